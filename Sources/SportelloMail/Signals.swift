import Foundation

/// Why a message is taken as written by a program rather than a person.
public enum AutoReplyReason: String, Sendable, Hashable, CaseIterable {
    /// `Auto-Submitted` with a value other than `no` (RFC 3834 §5).
    case autoSubmitted
    /// `X-Autoreply` / `X-Autorespond` (common vacation programs).
    case autoreplyHeader
    /// `Precedence: bulk | junk | list | auto_reply` (RFC 3834 §3.1.8 tells responders to skip them).
    case precedence
    /// `X-Auto-Response-Suppress` (Microsoft: the sender asks for no auto-replies; Exchange puts
    /// it on its own out-of-office replies).
    case autoResponseSuppress
    /// An out-of-office subject (`Risposta automatica`, `Fuori sede`, `Out of Office`, `Automatic reply`…).
    case outOfOfficeSubject
}

/// The keys that tie a message to a thread.
public struct ThreadKeys: Sendable, Hashable {
    /// `Message-ID` without angle brackets.
    public var messageID: String?
    /// `In-Reply-To` ids, without angle brackets.
    public var inReplyTo: [String]
    /// `References` ids in order, without angle brackets.
    public var references: [String]
    /// The ticket number tagged in the subject, if any (see `SubjectTag`).
    public var ticketNumber: Int64?
    /// The subject without reply/forward prefixes and without the ticket tag.
    public var normalizedSubject: String

    /// In-Reply-To then References, newest first, without repeats: the ids to look up.
    public var ancestors: [String] {
        var seen = Set<String>()
        return (inReplyTo + references.reversed()).filter { seen.insert($0).inserted }
    }
}

/// One recipient's outcome in a delivery status notification (RFC 3464 §2.3).
public struct DeliveryStatus: Sendable, Hashable {
    /// `Final-Recipient` (the address, without its `rfc822;` type).
    public var recipient: String?
    /// `Action`: failed, delayed, delivered, relayed, expanded.
    public var action: String?
    /// `Status`: the enhanced status code (RFC 3463), e.g. `5.1.1`.
    public var status: String?
    /// `Diagnostic-Code` without its type, e.g. `550 5.1.1 User unknown`.
    public var diagnostic: String?

    public init(recipient: String?, action: String?, status: String?, diagnostic: String?) {
        self.recipient = recipient
        self.action = action
        self.status = status
        self.diagnostic = diagnostic
    }
}

/// Pure verdicts on a parsed message for the mail gateway.
public enum MailSignals {
    static let outOfOfficeSubjects = [
        "risposta automatica", "fuori sede", "fuori ufficio", "out of office", "out of the office",
        "automatic reply", "auto reply", "autoreply", "auto-reply", "abwesenheitsnotiz", "réponse automatique",
        "vacation reply",
    ]

    /// Whether the message was sent by a program (vacation notice, auto-responder, bulk mail),
    /// and why. Checked in the order of `AutoReplyReason`.
    public static func autoReplyReason(headers: MailHeaders, subject: String) -> AutoReplyReason? {
        if let value = headers["Auto-Submitted"] {
            let token = value.split(separator: ";").first?.trimmingBlanks().lowercased() ?? ""
            if !token.isEmpty && token != "no" { return .autoSubmitted }
        }
        if headers.contains("X-Autoreply") || headers.contains("X-Autorespond") || headers.contains("X-Autoresponder") {
            return .autoreplyHeader
        }
        if let precedence = headers["Precedence"]?.trimmingBlanks().lowercased(),
           ["bulk", "junk", "list", "auto_reply"].contains(precedence) {
            return .precedence
        }
        if headers.contains("X-Auto-Response-Suppress") { return .autoResponseSuppress }
        let lower = SubjectTag.normalize(subject).lowercased()
        if outOfOfficeSubjects.contains(where: { lower.hasPrefix($0) }) { return .outOfOfficeSubject }
        return nil
    }

    /// Whether the message is a delivery failure report: `multipart/report` with
    /// `report-type=delivery-status` (RFC 6522, RFC 3464), or from the mailer daemon, or with an
    /// empty `Return-Path` (RFC 5321 §4.5.5: bounces use the null reverse path) unless it is an
    /// auto-reply — RFC 3834 §3.3 has vacation notices use the null path too. A DSN is usually
    /// also `Auto-Submitted`: check for a bounce before treating a message as an auto-reply.
    public static func isBounce(_ message: MailMessage) -> Bool {
        let type = message.root.contentType
        if type.value == "multipart/report", type["report-type"]?.lowercased() == "delivery-status" { return true }
        if let from = message.from.first {
            let local = from.address.split(separator: "@").first.map { $0.lowercased() } ?? ""
            if local == "mailer-daemon" || local == "postmaster" && message.subject.lowercased().contains("deliver") { return true }
        }
        if let returnPath = message.headers["Return-Path"], returnPath.replacingOccurrences(of: " ", with: "") == "<>" {
            return autoReplyReason(headers: message.headers, subject: message.subject) == nil
        }
        return false
    }

    /// The recipients' statuses of a DSN (RFC 3464 §2.3), read from its message/delivery-status part.
    public static func deliveryStatuses(_ message: MailMessage) -> [DeliveryStatus] {
        guard let part = findPart(message.root, where: { $0.mimeType == "message/delivery-status" }) else { return [] }
        // The report is header-like blocks separated by blank lines: per-message, then per-recipient.
        let text = normalizeNewlines(MailCharset.bestEffort(part.body))
        let blocks = text.components(separatedBy: "\n\n").map { MailHeaders.parse(Array(($0 + "\n").utf8)) }
        return blocks.compactMap { block in
            guard block.contains("Final-Recipient") || block.contains("Action") || block.contains("Status") else { return nil }
            // `type; value` (RFC 3464 §2.3.2, §2.3.6), folding blanks collapsed.
            func stripType(_ value: String?) -> String? {
                guard let value else { return nil }
                let text = value.firstIndex(of: ";").map { value[value.index(after: $0)...] } ?? value[...]
                return text.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
            }
            return DeliveryStatus(recipient: stripType(block["Final-Recipient"] ?? block["Original-Recipient"]),
                                  action: block["Action"]?.trimmingBlanks().lowercased(),
                                  status: block["Status"]?.split(separator: " ").first.map(String.init),
                                  diagnostic: stripType(block["Diagnostic-Code"]))
        }
    }

    /// The Message-ID of the mail that bounced, from the DSN's returned message or headers
    /// (message/rfc822 or text/rfc822-headers, RFC 3462 §2).
    public static func bouncedMessageID(_ message: MailMessage) -> String? {
        if let part = findPart(message.root, where: { $0.isEmbeddedMessage }), let inner = part.children.first {
            return inner.headers["Message-ID"].flatMap { messageIDs($0).first }
        }
        if let part = findPart(message.root, where: { $0.mimeType == "text/rfc822-headers" }) {
            return MailHeaders.parse(part.body)["Message-ID"].flatMap { messageIDs($0).first }
        }
        return nil
    }

    /// Whether the message carries our own loop marker: an `X-Loop` field (any of them) equal,
    /// ignoring case and blanks, to `marker` — the value our outbound mail sets (e.g. the support
    /// address). Mail that comes back with it must never be answered.
    public static func hasLoopMarker(_ headers: MailHeaders, marker: String) -> Bool {
        let wanted = marker.trimmingBlanks().lowercased()
        return !wanted.isEmpty && headers.values("X-Loop").contains { $0.trimmingBlanks().lowercased() == wanted }
    }

    /// `List-Id` (RFC 2919) without the phrase: `<support.lists.example.it>` → `support.lists.example.it`;
    /// nil when the message is not from a mailing list.
    public static func listID(_ headers: MailHeaders) -> String? {
        guard let value = headers["List-Id"] else { return nil }
        if let ids = messageIDs(value).first { return ids }
        let trimmed = value.trimmingBlanks()
        return trimmed.isEmpty ? nil : trimmed
    }

    /// Parses a `Message-ID`, `In-Reply-To` or `References` value into ids without angle
    /// brackets (RFC 5322 §3.6.4). Comments and phrases between ids (old clients) are skipped;
    /// a value without brackets is split at blanks and its tokens containing `@` are kept.
    public static func messageIDs(_ value: String) -> [String] {
        var ids: [String] = []
        var rest = Substring(value)
        while let open = rest.firstIndex(of: "<") {
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: ">") else { break }
            let id = after[..<close].trimmingBlanks()
            if !id.isEmpty && !id.contains(" ") { ids.append(id) }
            rest = after[after.index(after: close)...]
        }
        if ids.isEmpty {
            ids = value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init).filter { $0.contains("@") }
        }
        return ids
    }

    /// The threading keys of a message.
    public static func threadKeys(_ message: MailMessage) -> ThreadKeys {
        let headers = message.headers
        return ThreadKeys(messageID: headers["Message-ID"].flatMap { messageIDs($0).first },
                          inReplyTo: headers.values("In-Reply-To").flatMap(messageIDs),
                          references: headers.values("References").flatMap(messageIDs),
                          ticketNumber: SubjectTag.ticketNumber(in: message.subject),
                          normalizedSubject: SubjectTag.normalize(message.subject))
    }

    static func findPart(_ part: MailPart, where predicate: (MailPart) -> Bool) -> MailPart? {
        if predicate(part) { return part }
        for child in part.children {
            if let found = findPart(child, where: predicate) { return found }
        }
        return nil
    }
}

extension MailMessage {
    /// See `MailSignals.autoReplyReason(headers:subject:)`.
    public var autoReplyReason: AutoReplyReason? { MailSignals.autoReplyReason(headers: headers, subject: subject) }
    /// See `MailSignals.isBounce(_:)`.
    public var isBounce: Bool { MailSignals.isBounce(self) }
    /// See `MailSignals.listID(_:)`.
    public var listID: String? { MailSignals.listID(headers) }
    /// See `MailSignals.threadKeys(_:)`.
    public var threadKeys: ThreadKeys { MailSignals.threadKeys(self) }
    /// The text split into new text, quoted part and signature (see `ReplySeparator`).
    public var reply: ReplyParts { ReplySeparator.split(text) }
}

/// The ticket tag in subjects: `[Sportello #123]`, the form our notifications write, is read
/// case-insensitively with any blanks inside the brackets; a bare `[#123]` is read too.
/// Reply and forward prefixes (`Re:`, `R:`, `RE:`, `Fwd:`, `Fw:`, `I:`, `Inoltro:`, `AW:`, `WG:`,
/// `Rif:`, also with a counter like `Re[2]:`) are stripped for the normalized subject.
public enum SubjectTag {
    /// The tag for a ticket: `[Sportello #123]`.
    public static func tag(for ticket: Int64) -> String { "[Sportello #\(ticket)]" }

    /// The ticket number of the first tag in the subject, or nil.
    public static func ticketNumber(in subject: String) -> Int64? { firstTag(in: subject)?.number }

    /// One pass over the subject: only a `[` with no other `[` before the next `]` can open a
    /// tag (the inside of a tag holds no `[`), so each `]` is tried with the last `[` before it
    /// and every character is looked at a bounded number of times — a subject of thousands of
    /// brackets stays linear.
    static func firstTag(in subject: String) -> (range: Range<String.Index>, number: Int64)? {
        var open: String.Index? = nil
        var index = subject.startIndex
        while index < subject.endIndex {
            let c = subject[index]
            if c == "[" {
                open = index
            } else if c == "]", let start = open {
                open = nil
                let inside = subject[subject.index(after: start)..<index].trimmingBlanks()
                let lower = inside.lowercased()
                var rest = Substring(lower)
                if rest.hasPrefix("sportello") { rest = rest.dropFirst("sportello".count).drop(while: { $0 == " " }) }
                if rest.hasPrefix("#") {
                    let digits = rest.dropFirst().trimmingBlanks()
                    if !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int64(digits) {
                        return (start..<subject.index(after: index), n)
                    }
                }
            }
            index = subject.index(after: index)
        }
        return nil
    }

    static let prefixes = ["re", "r", "fwd", "fw", "i", "inoltro", "aw", "wg", "rif", "tr", "sv", "vs"]

    /// The subject without leading reply/forward prefixes (repeated, any case) and without the
    /// ticket tag, blanks collapsed.
    public static func normalize(_ subject: String) -> String {
        var text = subject
        if let tag = firstTag(in: text) { text.replaceSubrange(tag.range, with: " ") }
        // Prefixes are cut from a Substring, so a subject of many thousands of `Re:` is not
        // copied once per prefix.
        let blank: (Character) -> Bool = { $0.unicodeScalars.allSatisfy(CharacterSet.whitespaces.contains) }
        var rest = Substring(text)
        while true {
            rest = rest.drop(while: blank)
            let word = rest.prefix { $0.isLetter }
            guard word.count <= 7, prefixes.contains(word.lowercased()) else { break }
            var after = rest.dropFirst(word.count)
            // Optional counter: `Re[2]:`, `Re^2:`, `RE (2):`
            if after.hasPrefix("[") || after.hasPrefix("(") { after = after.drop(while: { $0 != "]" && $0 != ")" }).dropFirst() }
            if after.hasPrefix("^") { after = after.dropFirst().drop(while: { $0.isNumber }) }
            after = after.drop(while: { $0 == " " })
            guard after.hasPrefix(":") || after.hasPrefix("：") else { break }
            rest = after.dropFirst()
        }
        return rest.trimmingBlanks().split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }
}
