import Foundation

/// A mailbox from an address header: `Mario Rossi <mario@example.it>`.
public struct MailAddress: Sendable, Hashable {
    /// The display name, RFC 2047-decoded and unquoted; nil when there is none.
    public var name: String?
    /// The address (`local@domain`) as written, without angle brackets. May lack a domain
    /// (`MAILER-DAEMON`) when the header does.
    public var address: String
    /// The group this mailbox was listed in (RFC 5322 §3.4 `group`), if any.
    public var group: String?

    public init(name: String? = nil, address: String, group: String? = nil) {
        self.name = name
        self.address = address
        self.group = group
    }

    /// The domain after the last `@`, lowercased; nil without one.
    public var domain: String? {
        guard let at = address.lastIndex(of: "@") else { return nil }
        let domain = address[address.index(after: at)...]
        return domain.isEmpty ? nil : domain.lowercased()
    }

    /// Parses an address list (RFC 5322 §3.4: `address-list`, with groups, quoted names,
    /// comments and the obsolete `addr (Name)` form). Encoded words in names are decoded.
    /// Never fails: what cannot be read as a mailbox is skipped.
    public static func parseList(_ value: String) -> [MailAddress] {
        var result: [MailAddress] = []
        var phrase = ""
        var angle: String? = nil
        var comment: String? = nil
        var group: String? = nil
        // Whether `phrase` holds an `@`, kept as it grows: asking `phrase.contains("@")` at each
        // `:` made a long run of colons after an `@` quadratic.
        var phraseHasAt = false
        let scalars = Array(value.unicodeScalars)
        var i = 0

        func flush() {
            defer { phrase = ""; phraseHasAt = false; angle = nil; comment = nil }
            let text = phrase.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
            if var address = angle {
                // Obsolete route (RFC 5322 §4.4): `<@relay,@relay:user@host>`.
                if address.hasPrefix("@"), let colon = address.firstIndex(of: ":") {
                    address = String(address[address.index(after: colon)...])
                }
                address = address.trimmingBlanks()
                let name = decodeName(text) ?? comment.flatMap(decodeName)
                if !address.isEmpty || name != nil { result.append(MailAddress(name: name, address: address, group: group)) }
            } else if !text.isEmpty {
                let address = text.replacingOccurrences(of: " ", with: "")
                result.append(MailAddress(name: comment.flatMap(decodeName), address: address, group: group))
            }
        }

        while i < scalars.count {
            let c = scalars[i]
            switch c {
            case "\"":
                // Quoted string (RFC 5322 §3.2.4): backslash quotes the next character.
                i += 1
                var quoted = ""
                while i < scalars.count, scalars[i] != "\"" {
                    if scalars[i] == "\\", i + 1 < scalars.count { i += 1 }
                    quoted.unicodeScalars.append(scalars[i]); i += 1
                }
                // Keep encoded words inside quotes decodable: Outlook quotes them.
                phrase += quoted
                if quoted.unicodeScalars.contains("@") { phraseHasAt = true }
                i += 1
            case "(":
                // Comment (RFC 5322 §3.2.2), nested.
                var depth = 1
                var text = ""
                i += 1
                while i < scalars.count, depth > 0 {
                    let d = scalars[i]
                    if d == "\\", i + 1 < scalars.count { i += 1; text.unicodeScalars.append(scalars[i]); i += 1; continue }
                    if d == "(" { depth += 1 } else if d == ")" { depth -= 1; if depth == 0 { i += 1; break } }
                    text.unicodeScalars.append(d); i += 1
                }
                if !text.isEmpty { comment = text }
            case "<":
                i += 1
                var address = ""
                while i < scalars.count, scalars[i] != ">" { address.unicodeScalars.append(scalars[i]); i += 1 }
                i += 1
                angle = address
            case ":" where angle == nil && group == nil && !phraseHasAt:
                group = decodeName(phrase.trimmingBlanks()) ?? ""
                phrase = ""; phraseHasAt = false; comment = nil
                i += 1
            case ";":
                flush()
                group = nil
                i += 1
            case ",":
                flush()
                i += 1
            default:
                if angle == nil { // text after `>` is ignored
                    phrase.unicodeScalars.append(c)
                    if c == "@" { phraseHasAt = true }
                }
                i += 1
            }
        }
        flush()
        return result
    }

    static func decodeName(_ raw: String) -> String? {
        let name = EncodedWords.decode(raw).trimmingWhitespace()
        return name.isEmpty ? nil : name
    }

    /// The mailbox as a header value (RFC 5322 §3.4): the name quoted when it holds specials,
    /// RFC 2047-encoded when it is not ASCII.
    public var formatted: String {
        guard let name, !name.isEmpty else { return "<\(address)>" }
        return "\(Self.encodePhrase(name)) <\(address)>"
    }

    static func encodePhrase(_ name: String) -> String {
        if !name.unicodeScalars.allSatisfy({ $0.value >= 32 && $0.value < 127 }) || name.contains("=?") {
            return EncodedWords.encode(name).joined(separator: " ")
        }
        let atext = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "!#$%&'*+-/=?^_`{|}~ "))
        if name.unicodeScalars.allSatisfy({ atext.contains($0) }) && !name.hasPrefix(" ") && !name.hasSuffix(" ") { return name }
        return "\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
