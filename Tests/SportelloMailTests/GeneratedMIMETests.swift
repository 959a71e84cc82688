import Foundation
import Testing
import SportelloMail
import SportelloTestSupport

/// Seeded random MIME trees written the way clients write them (every transfer encoding, three
/// charsets, RFC 2231 and RFC 2047 filenames, CRLF or LF), then parsed: the reader must find
/// exactly the text and the attachments that were put in.
@Suite struct GeneratedMIMETests {
    struct Expected {
        var texts: [String] = []
        var attachments: [(String, [UInt8])] = []
    }

    struct Writer {
        var rng: SeededGenerator
        var boundaryCounter = 0
        let words = ["perché", "fattura", "€", "caffè", "“ok”", "naïve", "prova", "=", "=?", "--", ">", "From", "ciao", "l’IVA"]

        mutating func sentence() -> String {
            (0..<Int.random(in: 1..<30, using: &rng)).map { _ in words.randomElement(using: &rng)! }.joined(separator: " ")
        }

        mutating func text() -> String {
            (0..<Int.random(in: 1..<5, using: &rng)).map { _ in sentence() }.joined(separator: "\n")
        }

        mutating func lines(_ text: String) -> [UInt8] {
            Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
        }

        /// One entity: header lines, blank line, body.
        mutating func entity(depth: Int, expected: inout Expected) -> String {
            let kind = depth >= 4 ? Int.random(in: 0..<2, using: &rng) : Int.random(in: 0..<3, using: &rng)
            switch kind {
            case 0: // text
                let content = text()
                expected.texts.append(content)
                let charset = ["utf-8", "iso-8859-15", "windows-1252"].randomElement(using: &rng)!
                var bytes: [UInt8]
                switch charset {
                case "utf-8": bytes = Array(content.utf8)
                default:
                    // Only characters all three charsets share, plus € where each puts it.
                    bytes = content.unicodeScalars.map { scalar -> UInt8 in
                        switch scalar {
                        case "€": return charset == "iso-8859-15" ? 0xA4 : 0x80
                        case "“": return 0x93
                        case "”": return 0x94
                        case "’": return 0x92
                        default: return UInt8(scalar.value)
                        }
                    }
                }
                // Curly quotes exist in Windows-1252 only: plain quotes in Latin-9 parts.
                if charset == "iso-8859-15" {
                    let plain = content.replacingOccurrences(of: "“", with: "\"").replacingOccurrences(of: "”", with: "\"")
                        .replacingOccurrences(of: "’", with: "'")
                    bytes = plain.unicodeScalars.map { $0 == "€" ? 0xA4 : UInt8($0.value) }
                    expected.texts[expected.texts.count - 1] = plain
                }
                let (cte, body) = encode(bytes, allow8bit: true, latin: charset != "utf-8")
                return "Content-Type: text/plain; charset=\"\(charset)\"\r\nContent-Transfer-Encoding: \(cte)\r\n\r\n" + body
            case 1: // attachment
                let size = Int.random(in: 0..<600, using: &rng)
                let payload = (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
                let name = "allegato_\(sentence().prefix(20))_\(expected.attachments.count).bin"
                    .replacingOccurrences(of: "\"", with: "").replacingOccurrences(of: "\\", with: "")
                expected.attachments.append((name, payload))
                let percent = Array(name.utf8).map { b -> String in
                    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x5F
                        ? String(UnicodeScalar(b)) : String(format: "%%%02X", b)
                }.joined()
                let disposition: String
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: disposition = "attachment; filename*=utf-8''\(percent)"
                case 1:
                    let cut = percent.index(percent.startIndex, offsetBy: percent.count / 2)
                    var head = String(percent[..<cut]), tail = String(percent[cut...])
                    // Do not cut a %XX escape in two.
                    while head.count >= 1, head.suffix(2).contains("%") { tail = String(head.removeLast()) + tail }
                    disposition = "attachment;\r\n filename*0*=utf-8''\(head);\r\n filename*1*=\(tail)"
                default: disposition = "attachment; filename=\"=?utf-8?B?\(Data(name.utf8).base64EncodedString())?=\""
                }
                let (cte, body) = encode(payload, allow8bit: false, latin: false)
                return "Content-Type: application/octet-stream\r\nContent-Disposition: \(disposition)\r\nContent-Transfer-Encoding: \(cte)\r\n\r\n" + body
            default: // multipart/mixed
                boundaryCounter += 1
                let boundary = "=_b\(boundaryCounter)_\(depth)"
                var out = "Content-Type: multipart/mixed;\r\n\tboundary=\"\(boundary)\"\r\n\r\nPreamble to ignore.\r\n"
                for _ in 0..<Int.random(in: 1..<4, using: &rng) {
                    out += "--\(boundary)\r\n" + entity(depth: depth + 1, expected: &expected) + "\r\n"
                }
                return out + "--\(boundary)--\r\nEpilogue to ignore.\r\n"
            }
        }

        /// A body in a transfer encoding. 8bit Latin bytes are returned as the scalars of the same
        /// value, which `latinize` turns back into single bytes.
        mutating func encode(_ bytes: [UInt8], allow8bit: Bool, latin: Bool) -> (String, String) {
            switch Int.random(in: 0..<(allow8bit ? 3 : 2), using: &rng) {
            case 0:
                let b64 = Data(bytes).base64EncodedString(options: [.lineLength64Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
                return ("base64", b64)
            case 1:
                var out = "", column = 0
                for b in bytes {
                    let token = (b >= 33 && b <= 126 && b != 61) ? String(UnicodeScalar(b)) : String(format: "=%02X", b)
                    if column + token.count > 75 { out += "=\r\n"; column = 0 }
                    out += token; column += token.count
                }
                return ("quoted-printable", out)
            default:
                return ("8bit", latin ? String(String.UnicodeScalarView(bytes.map { UnicodeScalar($0) }))
                                      : String(decoding: bytes, as: UTF8.self))
            }
        }
    }

    @Test func randomTreesReadBackExactly() {
        var writer = Writer(rng: SeededGenerator(seed: 77))
        var attachmentsSeen = 0, textsSeen = 0
        for round in 0..<150 {
            var expected = Expected()
            var message = "From: a@b.it\r\nSubject: round \(round)\r\nMIME-Version: 1.0\r\n"
            message += writer.entity(depth: 0, expected: &expected)
            // 8bit bodies in a Latin charset are written as Latin bytes, not UTF-8.
            var bytes = Self.latinize(message)
            if round % 3 == 0 { bytes = bytes.filter { $0 != 0x0D } } // bare LF, as some MTAs store mail
            let parsed = MailMessage(bytes: bytes)
            #expect(parsed.subject == "round \(round)")
            #expect(parsed.text == expected.texts.joined(separator: "\n\n"), "round \(round)")
            #expect(parsed.attachments.map(\.filename) == expected.attachments.map(\.0), "round \(round)")
            if round % 3 != 0 {
                #expect(parsed.attachments.map(\.bytes) == expected.attachments.map(\.1), "round \(round)")
            }
            #expect(parsed.defects.isEmpty, "round \(round): \(parsed.defects)")
            attachmentsSeen += parsed.attachments.count
            textsSeen += expected.texts.count
        }
        // The generator really built nested mixes of both.
        #expect(attachmentsSeen > 100 && textsSeen > 100 && writer.boundaryCounter > 100)
    }

    /// The writer builds a Swift string; 8bit Latin parts hold scalars below 256 standing for
    /// bytes. UTF-8 parts are marked by their charset, so: every scalar below 256 that is not
    /// ASCII and sits in a Latin part becomes one byte; the rest is UTF-8.
    static func latinize(_ message: String) -> [UInt8] {
        var out: [UInt8] = []
        var latin = false
        // Split on scalars: as Characters, "\r\n" is one grapheme and would not split at "\n".
        for scalars in message.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(String.UnicodeScalarView(scalars))
            if line.hasPrefix("Content-Type: text/plain; charset=") { latin = !line.contains("utf-8") }
            if line.hasPrefix("Content-Type: application") || line.hasPrefix("Content-Type: multipart") { latin = false }
            for scalar in scalars {
                if latin && scalar.value >= 0x80 && scalar.value < 0x100 { out.append(UInt8(scalar.value)) }
                else { out += Array(String(scalar).utf8) }
            }
            out.append(0x0A)
        }
        out.removeLast()
        return out
    }
}
