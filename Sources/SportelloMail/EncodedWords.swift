import Foundation

/// RFC 2047 encoded words (`=?charset?B|Q?text?=`) in header values.
public enum EncodedWords {
    /// Decodes every encoded word in a header value. Blanks between two adjacent encoded words
    /// are dropped (RFC 2047 §6.2); adjacent words in the same charset are joined as bytes before
    /// decoding, so a character split across two words (as some clients do) survives. A malformed
    /// word is left as it is. Unknown charsets decode best-effort.
    public static func decode(_ value: String) -> String {
        guard value.contains("=?") else { return value }
        let scalars = Array(value.unicodeScalars)
        var result = String.UnicodeScalarView()
        var pending: (charset: String, bytes: [UInt8])? = nil
        func flushPending() {
            // Scalar by scalar: UnicodeScalarView.append(contentsOf:) copies what is already there.
            if let p = pending { for scalar in MailCharset.decode(p.bytes, charset: p.charset).unicodeScalars { result.append(scalar) } }
            pending = nil
        }
        var i = 0
        while i < scalars.count {
            if scalars[i] == "=", let (charset, bytes, length) = parseWord(scalars, at: i) {
                if let p = pending, p.charset.lowercased() == charset.lowercased() {
                    pending!.bytes += bytes
                } else {
                    flushPending()
                    pending = (charset, bytes)
                }
                i += length
                // Blanks after the word vanish when another encoded word follows them.
                var j = i
                while j < scalars.count, scalars[j] == " " || scalars[j] == "\t" || scalars[j] == "\r" || scalars[j] == "\n" { j += 1 }
                if j < scalars.count, scalars[j] == "=", parseWord(scalars, at: j) != nil {
                    i = j
                } else {
                    flushPending()
                }
                continue
            }
            flushPending()
            result.append(scalars[i])
            i += 1
        }
        flushPending()
        return String(result)
    }

    /// Parses one encoded word at the start of `text`: its charset (language suffix removed,
    /// RFC 2231 §5), decoded bytes and length in characters.
    static func parseWord(_ all: [Unicode.Scalar], at start: Int) -> (String, [UInt8], Int)? {
        // An encoded word is at most 75 characters (RFC 2047 §2); allow generous overlong ones.
        let scalars = all[start..<min(all.count, start + 500)]
        guard scalars.count >= 8, all[start] == "=", all[start + 1] == "?" else { return nil }
        var i = start + 2
        var charset = ""
        let end = scalars.endIndex
        while i < end, scalars[i] != "?" {
            if scalars[i] == " " || scalars[i] == "\t" || charset.unicodeScalars.count > 60 { return nil }
            charset.unicodeScalars.append(scalars[i]); i += 1
        }
        guard i + 2 < end, !charset.isEmpty, scalars[i + 2] == "?" else { return nil }
        let encoding = scalars[i + 1]
        i += 3
        var payload: [UInt8] = []
        while i + 1 < end, !(scalars[i] == "?" && scalars[i + 1] == "=") {
            let s = scalars[i]
            if s.value > 126 || s.value <= 32 { return nil }
            payload.append(UInt8(s.value)); i += 1
        }
        guard i + 1 < end else { return nil }
        let length = i + 2 - start
        if let star = charset.firstIndex(of: "*") { charset = String(charset[..<star]) }
        let bytes: [UInt8]
        switch encoding {
        case "B", "b": bytes = TransferEncoding.decodeBase64(payload)
        case "Q", "q": bytes = decodeQ(payload)
        default: return nil
        }
        return (charset, bytes, length)
    }

    /// The "Q" encoding (RFC 2047 §4.2): `_` is a space, `=XX` a byte.
    static func decodeQ(_ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < payload.count {
            let b = payload[i]
            if b == UInt8(ascii: "_") { out.append(0x20); i += 1 }
            else if b == UInt8(ascii: "="), i + 2 < payload.count,
                    let h = TransferEncoding.hexValue(payload[i + 1]), let l = TransferEncoding.hexValue(payload[i + 2]) {
                out.append(h << 4 | l); i += 3
            } else { out.append(b); i += 1 }
        }
        return out
    }

    /// Encodes `text` as UTF-8 "B" encoded words (RFC 2047 §4.1), each at most 75 characters
    /// (§2) and holding whole characters only (§5), so that the first fits in `firstRoom`
    /// characters and the others in `room`.
    public static func encode(_ text: String, firstRoom: Int = 75, room: Int = 75) -> [String] {
        let overhead = "=?utf-8?B??=".count
        var words: [String] = []
        var chunk: [UInt8] = []
        func capacity() -> Int {
            let limit = min(75, words.isEmpty ? firstRoom : room) - overhead
            return max(1, limit / 4) * 3
        }
        for character in text {
            let bytes = Array(String(character).utf8)
            if !chunk.isEmpty, chunk.count + bytes.count > capacity() {
                words.append("=?utf-8?B?" + TransferEncoding.encodeBase64(chunk) + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?utf-8?B?" + TransferEncoding.encodeBase64(chunk) + "?=") }
        return words
    }
}
