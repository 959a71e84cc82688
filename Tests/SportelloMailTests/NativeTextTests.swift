import Foundation
@testable import SportelloMail
import Testing

/// The trims that replaced Foundation's `trimmingCharacters(in:)` in the parser answer what
/// Foundation answers, on the blanks and line breaks mail really carries and on the odd ones.
@Suite struct NativeTextTests {
    static let samples: [String] = [
        "", " ", "\t", "abc", "  abc  ", "\tabc\t", "\u{00A0}Buongiorno\u{00A0}", "\u{3000}全角\u{3000}",
        "\u{2003}em\u{2009}thin\u{202F}", "\u{1680}ogham", "\r\nriga\r\n", "\nriga\n\n", "\u{85}NEL\u{85}",
        "\u{2028}LS\u{2029}", "\u{0B}\u{0C}VT FF\u{0C}", " \t\r\n mixed \n\t ", "e\u{301} ", " 🇮🇹 ", "\u{200B}zero width\u{200B}",
        "\u{FEFF}bom", "> quoted \u{00A0}", "—", "\u{180E}mongolian",
    ]

    @Test("trimmingBlanks, trimmingWhitespace and trimmingNewlines equal Foundation's whitespaces, whitespacesAndNewlines and newlines")
    func sameAsFoundation() {
        for sample in Self.samples {
            #expect(sample.trimmingBlanks() == sample.trimmingCharacters(in: .whitespaces), "\(sample.unicodeScalars.map(\.value))")
            #expect(sample.trimmingWhitespace() == sample.trimmingCharacters(in: .whitespacesAndNewlines), "\(sample.unicodeScalars.map(\.value))")
            #expect(sample.trimmingNewlines() == sample.trimmingCharacters(in: .newlines), "\(sample.unicodeScalars.map(\.value))")
            #expect(sample.isBlank == sample.trimmingCharacters(in: .whitespaces).isEmpty, "\(sample.unicodeScalars.map(\.value))")
            #expect(sample.isAllWhitespace == sample.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
            let inner = Substring("x" + sample + "y").dropFirst().dropLast()
            #expect(inner.trimmingBlanks() == sample.trimmingCharacters(in: .whitespaces), "a substring trims the same")
        }
    }

    @Test("normalizeNewlines: CRLF and a lone CR become LF, as two replacingOccurrences did")
    func newlines() {
        for sample in ["a\r\nb", "a\rb", "a\r\r\nb", "a\n\rb", "\r", "\r\n", "à\r\nè\rì\nò", "no breaks", "end\r"] {
            let foundation = sample.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            #expect(normalizeNewlines(sample) == foundation, "\(Array(sample.utf8))")
        }
    }
}
