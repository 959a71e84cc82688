import Foundation

/// An outbound notification, everything it needs injected: no clock, no random source.
public struct OutgoingMail: Sendable, Hashable {
    /// The sender: the support address and its display name.
    public var from: MailAddress
    /// The recipients (RFC 5322 §3.6.3).
    public var to: [MailAddress]
    /// Copy recipients; no `Cc` field when empty.
    public var cc: [MailAddress]
    /// Subject in Unicode; the ticket tag is put in front when `ticket` is set and the subject
    /// does not carry it already.
    public var subject: String
    /// Text body in Unicode, any line breaks.
    public var body: String
    /// The ticket the mail is about, for the subject tag.
    public var ticket: Int64?
    /// Message-ID of the mail this one answers, without angle brackets.
    public var inReplyTo: String?
    /// The thread's earlier ids, oldest first, without angle brackets.
    public var references: [String]
    /// A unique token for the Message-ID (stable per notification, so a retry sends the same id).
    public var uniqueToken: String
    /// The domain of the Message-ID (RFC 5322 §3.6.4 `id-right`).
    public var messageIDDomain: String
    /// The `Date` field's instant (injected: the library reads no clock).
    public var date: Date
    /// The offset from UTC the Date header is written in, in seconds.
    public var utcOffsetSeconds: Int
    /// `Auto-Submitted` value (RFC 3834 §5): `auto-generated`, or `auto-replied` for receipts.
    public var autoSubmitted: String
    /// Further fields (e.g. `X-Loop`), ASCII values, written as they are.
    public var extraHeaders: [HeaderField]

    public init(from: MailAddress, to: [MailAddress], cc: [MailAddress] = [], subject: String, body: String,
                ticket: Int64? = nil, inReplyTo: String? = nil, references: [String] = [],
                uniqueToken: String, messageIDDomain: String, date: Date, utcOffsetSeconds: Int = 0,
                autoSubmitted: String = "auto-generated", extraHeaders: [HeaderField] = []) {
        self.from = from
        self.to = to
        self.cc = cc
        self.subject = subject
        self.body = body
        self.ticket = ticket
        self.inReplyTo = inReplyTo
        self.references = references
        self.uniqueToken = uniqueToken
        self.messageIDDomain = messageIDDomain
        self.date = date
        self.utcOffsetSeconds = utcOffsetSeconds
        self.autoSubmitted = autoSubmitted
        self.extraHeaders = extraHeaders
    }

    /// `<token@domain>` without brackets; characters outside RFC 5322 `atext` and `.` in the
    /// token become `-`.
    public var messageID: String {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "!#$%&'*+-/=?^_`{|}~."))
        let token = String(String.UnicodeScalarView(uniqueToken.unicodeScalars.map {
            $0.isASCII && allowed.contains($0) ? $0 : "-"
        }))
        return "\(token.isEmpty ? "-" : token)@\(messageIDDomain)"
    }

    /// The subject as sent: with the ticket tag.
    public var taggedSubject: String {
        let clean = subject.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }).joined(separator: " ")
        guard let ticket, SubjectTag.ticketNumber(in: clean) != ticket else { return clean }
        return SubjectTag.tag(for: ticket) + " " + clean
    }
}

/// Writes RFC 5322 messages.
public enum MailComposer {
    /// The message bytes: CRLF line ends, header lines of at most 78 characters (RFC 5322
    /// §2.1.1), a UTF-8 text/plain body in quoted-printable.
    public static func compose(_ mail: OutgoingMail) -> [UInt8] {
        var lines: [String] = []
        lines.append("Date: " + rfc5322Date(mail.date, utcOffsetSeconds: mail.utcOffsetSeconds))
        lines += foldList(name: "From", items: [mailboxTokens(mail.from)])
        lines += foldList(name: "To", items: mail.to.map(mailboxTokens))
        if !mail.cc.isEmpty { lines += foldList(name: "Cc", items: mail.cc.map(mailboxTokens)) }
        lines += encodeUnstructured(name: "Subject", value: mail.taggedSubject)
        lines.append("Message-ID: <\(mail.messageID)>")
        if let parent = mail.inReplyTo { lines.append("In-Reply-To: <\(parent)>") }
        var references = mail.references
        if let parent = mail.inReplyTo, references.last != parent { references.append(parent) }
        if !references.isEmpty { lines += foldList(name: "References", items: references.map { ["<\($0)>"] }, separator: "") }
        lines.append("Auto-Submitted: " + mail.autoSubmitted)
        for field in mail.extraHeaders {
            lines += foldList(name: field.name, items: [field.value.split(separator: " ").map(String.init)], separator: "")
        }
        lines.append("MIME-Version: 1.0")
        lines.append("Content-Type: text/plain; charset=utf-8")
        lines.append("Content-Transfer-Encoding: quoted-printable")
        var bytes = Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
        bytes += TransferEncoding.encodeQuotedPrintable(mail.body)
        if bytes.last != 0x0A { bytes += [0x0D, 0x0A] }
        return bytes
    }

    /// A mailbox as tokens separated by single blanks, where the header may fold (RFC 5322
    /// §3.2.2 FWS, also inside a quoted string, §3.2.4). A name that is not ASCII, or too long
    /// to fit a line, becomes RFC 2047 encoded words (§5: allowed in a phrase), sized so each
    /// fits a folded line. Blank runs in names are collapsed.
    static func mailboxTokens(_ mailbox: MailAddress) -> [String] {
        let address = "<\(mailbox.address)>"
        let name = (mailbox.name ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
        guard !name.isEmpty else { return [address] }
        let phrase = MailAddress.encodePhrase(name)
        let tokens = phrase.split(separator: " ").map(String.init)
        if tokens.contains(where: { $0.count > 70 }) {
            return EncodedWords.encode(name, firstRoom: 70, room: 70) + [address]
        }
        return tokens + [address]
    }

    /// A header of items (each a list of tokens: a mailbox, an id) folded between tokens so no
    /// line passes 78 characters (RFC 5322 §2.1.1, §2.2.3); items are joined with `separator`
    /// after each but the last.
    static func foldList(name: String, items: [[String]], separator: String = ",") -> [String] {
        var lines: [String] = []
        var current = name + ":"
        for (index, item) in items.enumerated() {
            for (position, token) in item.enumerated() {
                let piece = (position == item.count - 1 && index < items.count - 1) ? token + separator : token
                if current.count + 1 + piece.count > 78, current.count > name.count + 1 {
                    lines.append(current)
                    current = " " + piece
                } else {
                    current += " " + piece
                }
            }
        }
        lines.append(current)
        return lines
    }

    /// An unstructured header (RFC 5322 §3.2.5): ASCII words as they are, folded at blanks; from
    /// the first word that is not ASCII (or looks like an encoded word) on, RFC 2047 "B" encoded
    /// words, one per line after the first. Leading ASCII words (the ticket tag) stay readable.
    static func encodeUnstructured(name: String, value: String) -> [String] {
        let words = value.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        // A word too long for a line is encoded too: encoded words can be split (RFC 2047 §2).
        let plainCount = words.firstIndex(where: { word in
            !word.unicodeScalars.allSatisfy { $0.value >= 32 && $0.value < 127 } || word.contains("=?") || word.count > 70
        }) ?? words.count
        var lines: [String] = []
        var current = name + ":"
        func add(_ token: String) {
            if current.count + 1 + token.count > 78, current.count > name.count + 1 {
                lines.append(current)
                current = " " + token
            } else {
                current += " " + token
            }
        }
        for word in words[..<plainCount] { add(word) }
        if plainCount < words.count {
            let rest = words[plainCount...].joined(separator: " ")
            let firstRoom = 78 - current.count - 1
            let encoded = EncodedWords.encode(rest, firstRoom: firstRoom >= 20 ? firstRoom : 75, room: 76)
            for word in encoded { add(word) }
        }
        lines.append(current)
        return lines
    }

    static let dayNames = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 06 Dec 2026 10:18:13 +0100` (RFC 5322 §3.3), computed without locale or calendar.
    public static func rfc5322Date(_ date: Date, utcOffsetSeconds: Int = 0) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down)) + utcOffsetSeconds
        let days = Int((Double(seconds) / 86_400).rounded(.down))
        let secondOfDay = seconds - days * 86_400
        // Civil date from days since 1970-01-01 (the proleptic Gregorian era arithmetic: 400-year eras of 146,097 days).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let weekday = ((days % 7) + 7) % 7
        let sign = utcOffsetSeconds < 0 ? "-" : "+"
        let offset = abs(utcOffsetSeconds) / 60
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(dayNames[weekday]), \(two(day)) \(monthNames[month - 1]) \(year) "
            + "\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):\(two(secondOfDay % 60)) "
            + "\(sign)\(two(offset / 60))\(two(offset % 60))"
    }
}
