// Trimming without Foundation. On Linux `trimmingCharacters(in:)` bridges the string to an
// NSString (UTF-16) and the result back: measured with perf on the mail-in bench, it and the
// UTF-16 decoding it causes were 17 % of taking a mail, most of it per line in the reply
// separator. These walk the Unicode scalars in place and match Foundation's sets exactly:
// `.whitespaces` is the Zs category plus tab; `.whitespacesAndNewlines` the White_Space
// property; `.newlines` U+000A–U+000D, U+0085, U+2028 and U+2029. Foundation on Linux also
// counts the zero width space (U+200B) as a blank, and so do these (NativeTextTests compares
// them with Foundation's on the blanks mail carries).

extension Unicode.Scalar {
    var isNewline: Bool {
        switch value {
        case 0x0A...0x0D, 0x85, 0x2028, 0x2029: true
        default: false
        }
    }

    /// Foundation's `CharacterSet.whitespaces`: a space separator (Zs) or tab.
    var isBlank: Bool {
        value == 0x09 || value == 0x20 || (value > 0x7F && (value == 0x200B || properties.generalCategory == .spaceSeparator))
    }

    /// Foundation's `CharacterSet.whitespacesAndNewlines` (the White_Space property).
    var isWhitespace: Bool {
        value == 0x20 || (0x09...0x0D).contains(value) || (value > 0x7F && (value == 0x200B || properties.isWhitespace))
    }
}

extension Substring {
    func trimmingScalars(where drop: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !drop($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !drop($0) })!
        return String(scalars[first...last])
    }
}

extension Substring {
    /// Without blanks (spaces, tabs) at either end: `trimmingCharacters(in: .whitespaces)`.
    func trimmingBlanks() -> String { trimmingScalars(where: \.isBlank) }
    /// Without blanks and line breaks at either end: `trimmingCharacters(in: .whitespacesAndNewlines)`.
    func trimmingWhitespace() -> String { trimmingScalars(where: \.isWhitespace) }
    /// Without line breaks at either end: `trimmingCharacters(in: .newlines)`.
    func trimmingNewlines() -> String { trimmingScalars(where: \.isNewline) }
    /// Empty or blanks only.
    var isBlank: Bool { unicodeScalars.allSatisfy(\.isBlank) }
    /// Empty or blanks and line breaks only.
    var isAllWhitespace: Bool { unicodeScalars.allSatisfy(\.isWhitespace) }
}

extension String {
    func trimmingBlanks() -> String { self[...].trimmingBlanks() }
    func trimmingWhitespace() -> String { self[...].trimmingWhitespace() }
    func trimmingNewlines() -> String { self[...].trimmingNewlines() }
    var isBlank: Bool { self[...].isBlank }
    var isAllWhitespace: Bool { self[...].isAllWhitespace }
}
