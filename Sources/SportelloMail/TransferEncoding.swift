import Foundation

/// Content-Transfer-Encoding (RFC 2045 §6): decoding what arrives, encoding what we send.
public enum TransferEncoding {
    /// Decodes a body by its `Content-Transfer-Encoding` value. 7bit, 8bit, binary and any
    /// unknown value (RFC 2045 §6.4: treat as opaque) give the bytes unchanged.
    public static func decode(_ bytes: ArraySlice<UInt8>, encoding: String?) -> [UInt8] {
        switch encoding?.trimmingBlanks().lowercased() {
        case "quoted-printable": return decodeQuotedPrintable(bytes)
        case "base64": return decodeBase64(bytes)
        default: return Array(bytes)
        }
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        default: return nil
        }
    }

    /// Quoted-printable (RFC 2045 §6.7): `=XX` is a byte, `=` at the end of a line is a soft line
    /// break (rule 5), trailing blanks on a line are transport padding (rule 3). A malformed `=`
    /// is kept as it is (the RFC's suggested robust handling).
    public static func decodeQuotedPrintable<C: Collection>(_ input: C) -> [UInt8] where C.Element == UInt8 {
        let bytes = Array(input)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        let n = bytes.count
        var keep = 0 // `out` up to here is not trailing padding: line start, or last `=XX` byte
        while i < n {
            let b = bytes[i]
            if b == UInt8(ascii: "=") {
                if i + 2 < n, let h = hexValue(bytes[i + 1]), let l = hexValue(bytes[i + 2]) {
                    out.append(h << 4 | l); i += 3; keep = out.count; continue
                }
                // Soft line break: "=" then optional blanks then CRLF, LF or the end.
                var j = i + 1
                while j < n, bytes[j] == 0x20 || bytes[j] == 0x09 { j += 1 }
                if j == n { i = j; continue }
                if bytes[j] == 0x0A { i = j + 1; continue }
                if bytes[j] == 0x0D { i = (j + 1 < n && bytes[j + 1] == 0x0A) ? j + 2 : j + 1; continue }
                out.append(b); i += 1
            } else if b == 0x0A || b == 0x0D {
                // Rule 3: drop the literal trailing blanks of the line just ended (an encoded
                // `=20` is data and stays).
                while out.count > keep, out[out.count - 1] == 0x20 || out[out.count - 1] == 0x09 { out.removeLast() }
                out.append(b); i += 1
                if b == 0x0D, i < n, bytes[i] == 0x0A { out.append(0x0A); i += 1 }
                keep = out.count
            } else {
                out.append(b); i += 1
            }
        }
        return out
    }

    static let base64Values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = Int8(i) }
        table[Int(UInt8(ascii: "-"))] = 62 // base64url, seen from some webmail
        table[Int(UInt8(ascii: "_"))] = 63
        return table
    }()

    /// Base64 (RFC 2045 §6.8), tolerant: characters outside the alphabet (line breaks, blanks,
    /// stray punctuation) are skipped as the RFC says, and missing or extra `=` padding is
    /// ignored; a final lone sextet carries no whole byte and is dropped.
    public static func decodeBase64<C: Collection>(_ input: C) -> [UInt8] where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 3 / 4)
        var acc: UInt32 = 0
        var count = 0
        for c in input {
            let v = base64Values[Int(c)]
            if v < 0 { continue }
            acc = acc << 6 | UInt32(v)
            count += 1
            if count == 4 {
                out.append(UInt8(acc >> 16 & 0xFF)); out.append(UInt8(acc >> 8 & 0xFF)); out.append(UInt8(acc & 0xFF))
                acc = 0; count = 0
            }
        }
        if count == 2 { out.append(UInt8(acc >> 4 & 0xFF)) }
        if count == 3 { out.append(UInt8(acc >> 10 & 0xFF)); out.append(UInt8(acc >> 2 & 0xFF)) }
        return out
    }

    static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Base64 without line breaks (for RFC 2047 encoded words).
    public static func encodeBase64(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(base64Alphabet[Int(v >> 18 & 63)]); out.append(base64Alphabet[Int(v >> 12 & 63)])
            out.append(base64Alphabet[Int(v >> 6 & 63)]); out.append(base64Alphabet[Int(v & 63)])
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let v = UInt32(bytes[i]) << 16
            out.append(base64Alphabet[Int(v >> 18 & 63)]); out.append(base64Alphabet[Int(v >> 12 & 63)])
            out.append(UInt8(ascii: "=")); out.append(UInt8(ascii: "="))
        } else if rest == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out.append(base64Alphabet[Int(v >> 18 & 63)]); out.append(base64Alphabet[Int(v >> 12 & 63)])
            out.append(base64Alphabet[Int(v >> 6 & 63)]); out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// Quoted-printable encoding of text (RFC 2045 §6.7): line breaks of any kind become CRLF,
    /// lines are at most 76 characters (soft breaks `=`), blanks before a line break and
    /// `From ` at the start of a line are encoded so no transport can alter them.
    public static func encodeQuotedPrintable(_ text: String) -> [UInt8] {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var out: [UInt8] = []
        let lines = normalized.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            if index > 0 { out.append(contentsOf: [0x0D, 0x0A]) }
            let bytes = Array(line.utf8)
            var column = 0
            for (k, b) in bytes.enumerated() {
                let last = k == bytes.count - 1
                var token: [UInt8]
                let literal = (b >= 33 && b <= 126 && b != UInt8(ascii: "=")) || ((b == 0x20 || b == 0x09) && !last)
                if literal { token = [b] } else { token = [UInt8(ascii: "="), hexDigits[Int(b >> 4)], hexDigits[Int(b & 15)]] }
                if column == 0, k + 5 <= bytes.count, bytes[k..<(k + 5)].elementsEqual("From ".utf8) {
                    token = Array("=46".utf8)
                }
                // Leave room for the soft break "=" (76 characters in all, rule 5).
                let room = last ? 76 : 75
                if column + token.count > room {
                    out.append(contentsOf: [UInt8(ascii: "="), 0x0D, 0x0A])
                    column = 0
                }
                out.append(contentsOf: token)
                column += token.count
            }
        }
        return out
    }
}
