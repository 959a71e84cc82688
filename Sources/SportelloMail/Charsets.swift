import Foundation

/// Turning the bytes of a text part or header into a `String` by the charset it declares.
///
/// Never fails: a label we do not know, or bytes that do not fit the label they came with
/// (a "lying charset"), still give readable text, with U+FFFD where nothing better is possible.
public enum MailCharset {
    /// The Unicode scalars of Windows-1252 bytes 0x80–0x9F (WHATWG Encoding §9, index windows-1252);
    /// 0 marks the five bytes Windows leaves undefined, decoded as the C1 control of the same value.
    static let windows1252High: [UInt32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ]

    /// The eight code points where ISO-8859-15 differs from ISO-8859-1 (ISO/IEC 8859-15 §6).
    static let latin9Differences: [UInt8: UInt32] = [
        0xA4: 0x20AC, 0xA6: 0x0160, 0xA8: 0x0161, 0xB4: 0x017D,
        0xB8: 0x017E, 0xBC: 0x0152, 0xBD: 0x0153, 0xBE: 0x0178,
    ]

    /// The charsets this library decodes itself.
    public enum Known: Sendable, Equatable {
        case utf8, ascii, windows1252, latin9, utf16BE, utf16LE, utf16
    }

    /// Maps a charset label (RFC 2045 §5.1 `charset` parameter, any case, with or without an
    /// RFC 2231 `*language` suffix) to a decoder, or `nil` when it is unknown.
    public static func known(_ label: String) -> Known? {
        var name = label.trimmingWhitespace().lowercased()
        // Labels have no blanks: cut a trailing comment (`us-ascii (Plain text)`) or language.
        if let cut = name.firstIndex(where: { $0 == "*" || $0 == " " || $0 == "(" || $0 == "\t" }) { name = String(name[..<cut]) }
        name = name.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        switch name {
        case "utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8": return .utf8
        case "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "cp367", "ibm367": return .ascii
        // WHATWG Encoding §4.2: the latin-1 labels mean windows-1252, because mail and web
        // software routinely send 1252's smart quotes under an ISO-8859-1 label.
        case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "cp819", "ibm819",
             "iso-ir-100", "iso_8859-1:1987", "windows-1252", "cp1252", "x-cp1252", "ms-ansi":
            return .windows1252
        case "iso-8859-15", "iso8859-15", "iso_8859-15", "latin9", "latin-9", "l9", "csisolatin9":
            return .latin9
        case "utf-16be": return .utf16BE
        case "utf-16le": return .utf16LE
        case "utf-16", "ucs-2": return .utf16
        default: return nil
        }
    }

    /// Decodes `bytes` declared as `charset` (nil: none declared). An unknown label, or
    /// declared UTF-8/ASCII bytes that are not valid UTF-8, fall back to `bestEffort`; a Latin
    /// label on bytes that are well-formed UTF-8 is read as UTF-8 (`looksLikeUTF8`).
    public static func decode<C: Collection>(_ bytes: C, charset: String?) -> String where C.Element == UInt8 {
        let array = Array(bytes)
        guard let label = charset, let known = known(label) else { return bestEffort(array) }
        switch known {
        case .utf8, .ascii:
            // A declared ASCII or UTF-8 part with 8-bit bytes: trust UTF-8 when it is valid.
            return bestEffort(array)
        case .windows1252: return looksLikeUTF8(array) ? String(decoding: array, as: UTF8.self) : windows1252(array)
        case .latin9: return looksLikeUTF8(array) ? String(decoding: array, as: UTF8.self) : latin9(array)
        case .utf16BE: return utf16(array, bigEndian: true)
        case .utf16LE: return utf16(array, bigEndian: false)
        case .utf16:
            if array.count >= 2, array[0] == 0xFF, array[1] == 0xFE { return utf16(Array(array[2...]), bigEndian: false) }
            if array.count >= 2, array[0] == 0xFE, array[1] == 0xFF { return utf16(Array(array[2...]), bigEndian: true) }
            return utf16(array, bigEndian: true)
        }
    }

    /// Bytes of unknown or unreliable charset: valid UTF-8 is UTF-8; text that is mostly
    /// UTF-8 with a few broken sequences keeps its UTF-8 and gets U+FFFD for the broken bytes;
    /// anything else (typically Latin-1 or Windows-1252 sent as "utf-8") is read as Windows-1252,
    /// where every byte means a character.
    public static func bestEffort(_ bytes: [UInt8]) -> String {
        if !bytes.contains(where: { $0 >= 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        let (valid, invalid) = utf8Census(bytes)
        if invalid == 0 { return String(decoding: bytes, as: UTF8.self) }
        if valid > invalid * 2 { return String(decoding: bytes, as: UTF8.self) }
        return windows1252(bytes)
    }

    /// The opposite lie, as common: UTF-8 bytes under a Latin label. Well-formed multi-byte UTF-8
    /// with no stray 8-bit byte is practically never real Latin-1 text (it would need pairs
    /// like "Ã©" throughout), so it is read as UTF-8.
    static func looksLikeUTF8(_ bytes: [UInt8]) -> Bool {
        guard bytes.contains(where: { $0 >= 0x80 }) else { return false }
        let (valid, invalid) = utf8Census(bytes)
        return valid > 0 && invalid == 0
    }

    /// Counts well-formed multi-byte UTF-8 sequences and bytes that belong to none.
    static func utf8Census(_ bytes: [UInt8]) -> (valid: Int, invalid: Int) {
        var valid = 0, invalid = 0, i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let length: Int
            switch b {
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: invalid += 1; i += 1; continue
            }
            var ok = i + length <= n
            if ok {
                for k in 1..<length where bytes[i + k] & 0xC0 != 0x80 { ok = false; break }
            }
            if ok { valid += 1; i += length } else { invalid += 1; i += 1 }
        }
        return (valid, invalid)
    }

    /// Windows-1252 (and so ISO-8859-1, its subset for printable characters).
    public static func windows1252(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.reserveCapacity(bytes.count)
        for b in bytes {
            var value = UInt32(b)
            if b >= 0x80 && b <= 0x9F, windows1252High[Int(b - 0x80)] != 0 { value = windows1252High[Int(b - 0x80)] }
            scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
        }
        return String(scalars)
    }

    /// ISO-8859-15 (Latin-9): Latin-1 with € at 0xA4 and seven other replacements.
    public static func latin9(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.reserveCapacity(bytes.count)
        for b in bytes {
            let value = latin9Differences[b] ?? UInt32(b)
            scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
        }
        return String(scalars)
    }

    static func utf16(_ bytes: [UInt8], bigEndian: Bool) -> String {
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var i = 0
        while i + 1 < bytes.count {
            let hi = UInt16(bytes[bigEndian ? i : i + 1]), lo = UInt16(bytes[bigEndian ? i + 1 : i])
            units.append(hi << 8 | lo)
            i += 2
        }
        return String(decoding: units, as: UTF16.self)
    }
}
