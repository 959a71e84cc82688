import Foundation

/// A reply's text split into what the sender wrote now and what they quoted.
public struct ReplyParts: Sendable, Hashable {
    /// The new text, trimmed of blank lines at both ends.
    public var newText: String
    /// The quoted earlier mail(s): `>` lines, and everything from an attribution line or an
    /// Outlook header block on. Empty when nothing was quoted.
    public var quoted: String
    /// The signature after a `-- ` line (RFC 3676 §4.3), without that line; nil without one.
    public var signature: String?

    public init(newText: String, quoted: String, signature: String?) {
        self.newText = newText
        self.quoted = quoted
        self.signature = signature
    }
}

/// Separates the new text of a reply from the quoted part.
///
/// Rules, in the order they are tried on each line:
/// - an attribution: a line (or two, as clients wrap it) starting `On ` and ending `wrote:`, or
///   starting `Il ` and ending `ha scritto:`;
/// - Outlook's `-----Original Message-----` / `-----Messaggio originale-----` separators, and a
///   header block: a line `From:`/`Da:` followed within four lines by `Sent:`/`Inviato:`/`Date:`/`Data:`,
///   optionally after a `____` rule — unless it follows a "forwarded message" line: forwarded
///   text is what the sender wants read, so it stays in the new text;
/// - lines starting with `>` (RFC 3676 §4.5 quote marks).
/// After an attribution or Outlook block whose following lines are not `>`-quoted (top-posting),
/// everything to the end is quoted. After a `>` block, unquoted lines are new text again
/// (bottom-posting and interleaved answers).
public enum ReplySeparator {
    /// Splits a text body (any line breaks) into new text, quoted part and signature.
    public static func split(_ text: String) -> ReplyParts {
        let lines = normalizeNewlines(text).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var newLines: [String] = []
        var quotedLines: [String] = []
        var signatureLines: [String]? = nil
        var inSignature = false
        var quotedSinceNewText = false
        var i = 0
        while i < lines.count {
            let line = lines[i]
            let trimmed = line.trimmingBlanks()
            var headerLength = 0
            if let length = attributionLength(lines, at: i) { headerLength = length }
            else if isOutlookSeparator(trimmed) || isHeaderBlock(lines, at: i, after: newLines) { headerLength = 1 }
            if headerLength > 0 {
                var j = i + headerLength
                while j < lines.count, lines[j].isBlank { j += 1 }
                if j < lines.count, lines[j].hasPrefix(">"), !isOutlookSeparator(trimmed) {
                    // Attribution over a `>` block: quote it and the block, then go on.
                    quotedLines += lines[i..<j]
                    i = j
                    while i < lines.count, lines[i].hasPrefix(">") || lines[i].isBlank {
                        quotedLines.append(lines[i]); i += 1
                    }
                    inSignature = false
                    quotedSinceNewText = true
                    continue
                }
                quotedLines += lines[i...]
                break
            }
            if line.hasPrefix(">") {
                inSignature = false
                quotedSinceNewText = true
                quotedLines.append(line); i += 1
                continue
            }
            if line == "-- " {
                inSignature = true
                signatureLines = signatureLines ?? []
                i += 1
                continue
            }
            if inSignature {
                signatureLines!.append(line)
            } else if trimmed.isEmpty, quotedSinceNewText, newLines.last?.isBlank == true {
                // An interleaved quote taken out leaves the blank lines around it side by side:
                // keep one, as the sender separated the answers.
            } else {
                newLines.append(line)
                if !trimmed.isEmpty { quotedSinceNewText = false }
            }
            i += 1
        }
        func clean(_ lines: [String]) -> String {
            var slice = lines[...]
            while let first = slice.first, first.isBlank { slice = slice.dropFirst() }
            while let last = slice.last, last.isBlank { slice = slice.dropLast() }
            return slice.joined(separator: "\n")
        }
        return ReplyParts(newText: clean(newLines), quoted: clean(quotedLines), signature: signatureLines.map(clean))
    }

    /// How many lines (1 or 2) an attribution starting at `index` spans, or nil.
    static func attributionLength(_ lines: [String], at index: Int) -> Int? {
        let first = lines[index].trimmingBlanks()
        guard first.count < 300 else { return nil }
        if isAttribution(first) { return 1 }
        if index + 1 < lines.count {
            let joined = first + " " + lines[index + 1].trimmingBlanks()
            if joined.count < 400, isAttribution(joined) { return 2 }
        }
        return nil
    }

    static func isAttribution(_ line: String) -> Bool {
        let lower = line.lowercased()
        if lower.hasPrefix("on "), lower.hasSuffix("wrote:") || lower.hasSuffix("writes:") { return true }
        if lower.hasPrefix("il "), lower.hasSuffix("ha scritto:") || lower.hasSuffix("ha scritto :") || lower.hasSuffix("scrisse:") {
            return true
        }
        return false
    }

    static func isOutlookSeparator(_ line: String) -> Bool {
        let lower = line.lowercased()
        return lower.hasPrefix("-----original message") || lower.hasPrefix("-----messaggio originale")
            || lower.hasPrefix("----- original message") || lower.hasPrefix("----- messaggio originale")
    }

    static let fromLabels = ["from:", "da:", "*from:*", "*da:*"]
    static let sentLabels = ["sent:", "inviato:", "date:", "data:", "*sent:*", "*inviato:*", "*date:*", "*data:*"]

    /// Outlook's quoted header block (`From: … Sent: …`, `Da: … Inviato: …`), possibly after a
    /// `_____` rule.
    static func isHeaderBlock(_ lines: [String], at index: Int, after previous: [String]) -> Bool {
        var start = index
        let first = lines[index].trimmingBlanks()
        if first.count >= 10, first.allSatisfy({ $0 == "_" }) { start = index + 1 }
        guard start < lines.count else { return false }
        let head = lines[start].trimmingBlanks().lowercased()
        guard fromLabels.contains(where: { head.hasPrefix($0) }) else { return false }
        let window = lines[(start + 1)..<min(lines.count, start + 5)].map { $0.trimmingBlanks().lowercased() }
        guard window.contains(where: { line in sentLabels.contains { line.hasPrefix($0) } }) else { return false }
        // A forwarded message's header block belongs to the forward.
        if let marker = previous.last(where: { !$0.isBlank })?.lowercased(),
           marker.contains("forwarded message") || marker.contains("messaggio inoltrato") || marker.contains("inizio messaggio inoltrato")
            || marker.hasPrefix("begin forwarded message") {
            return false
        }
        return true
    }
}
