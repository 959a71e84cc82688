import Foundation
import JSONRPC
import SportelloDomain
import SportelloMail
import SportelloStore

// Notifications leave the outbox here (docs/product.md §8). Each is made into an RFC 5322
// message and handed to the configured transport; the outcome is recorded in its row and an
// attempt row. A notification is claimed with a lease in a transaction of its own first, so two
// processes on one database (the socket server and an editor's stdio instance, or `sportello
// deliver` from a timer) never send it at the same time; if a process dies between handing a
// message over and recording it, the lease runs out and the message is sent again with the same
// Message-ID (given at the first claim), which the receiving side can recognise.

extension MailSettingsRecord {
    /// What applies until an admin sets the mail settings.
    static func defaults() -> MailSettingsRecord {
        MailSettingsRecord(
            supportAddress: "support@interzen.it", displayName: "Servizio Clienti Interzen", messageIDDomain: "interzen.it",
            transport: .sendmail, sendmailCommand: "/usr/sbin/sendmail -t -oi", maildirPath: nil,
            updatedAt: Date(timeIntervalSince1970: 0))
    }
}

/// One pass of the delivery worker: what it did.
public struct DeliveryPass: Sendable, Equatable {
    public var sent = 0
    public var retried = 0
    public var failed = 0

    public var attempted: Int { sent + retried + failed }
}

/// The delivery worker's steps. `maildirOverride` (from `--maildir`) sends everything to that
/// Maildir whatever the settings say (tests, demos, `make run`).
public struct MailDelivery: Sendable {
    let environment: ServiceEnvironment
    let maildirOverride: String?
    /// How long a claim holds before another worker may take the notification again.
    var lease: TimeInterval = 300

    public init(environment: ServiceEnvironment, maildirOverride: String? = nil) {
        self.environment = environment
        self.maildirOverride = maildirOverride
    }

    /// Sends what is due, up to `limit` notifications, oldest first.
    public func deliverDue(limit: Int = 50) async throws -> DeliveryPass {
        let now = environment.now()
        let leaseUntil = now.addingTimeInterval(lease)
        let (settings, claimed) = try await environment.database.write { tx in
            let settings = try MailStore.settings(tx) ?? .defaults()
            let due = try MailStore.claimDue(tx, now: now, leaseUntil: leaseUntil, limit: limit) { id in
                "sportello.\(id).\(Self.token())@\(settings.messageIDDomain)"
            }
            let threads = try due.map { item in try item.ticket.map { try MailStore.thread(tx, ticket: $0, before: item.id) } ?? [] }
            return (settings, Array(zip(due, threads)))
        }
        var pass = DeliveryPass()
        guard !claimed.isEmpty else { return pass }
        let transport: any MailTransport = if let maildirOverride {
            MaildirTransport(path: maildirOverride)
        } else {
            switch settings.transport {
            case .sendmail: SendmailTransport(commandLine: settings.sendmailCommand)
            case .maildir: MaildirTransport(path: settings.maildirPath ?? "")
            }
        }
        // Sent one after the other; the outcomes are recorded together, in one transaction at
        // the end of the pass (a crash before it sends this pass's messages again, with the
        // same Message-IDs).
        let messages = claimed.map { item, thread in
            MailComposer.compose(Self.mail(item, thread: thread, settings: settings, at: environment.now()))
        }
        let failures = await transport.send(batch: messages)
        let at = environment.now()
        let outcomes = zip(claimed, failures).map { (item: $0.0.0, at: at, failure: $0.1) }
        try await environment.database.write { tx in
            for (item, at, failure) in outcomes {
                guard let failure else {
                    try MailStore.markSent(tx, id: item.id, at: at)
                    continue
                }
                switch DeliverySchedule.next(afterAttempt: item.attempts + 1, at: at, queuedAt: item.createdAt) {
                case .retry(let next): try MailStore.markFailedAttempt(tx, id: item.id, at: at, error: failure, retryAt: next)
                case .fail: try MailStore.markFailedAttempt(tx, id: item.id, at: at, error: failure, retryAt: nil)
                }
            }
        }
        for (item, at, failure) in outcomes {
            guard let failure else {
                pass.sent += 1
                continue
            }
            environment.logger.warning("notification \(item.id) to \(item.recipient) not sent: \(failure)")
            if case .fail = DeliverySchedule.next(afterAttempt: item.attempts + 1, at: at, queuedAt: item.createdAt) {
                pass.failed += 1
            } else {
                pass.retried += 1
            }
        }
        return pass
    }

    /// Every pass until nothing is due now (what `sportello deliver` runs, in passes of 500:
    /// one claim, one sync of the Maildir and one record per pass).
    public func deliverAllDue() async throws -> DeliveryPass {
        var total = DeliveryPass()
        while true {
            let pass = try await deliverDue(limit: 500)
            total.sent += pass.sent
            total.retried += pass.retried
            total.failed += pass.failed
            if pass.attempted == 0 { return total }
        }
    }

    /// The message for a notification: from the support address, to its recipient, the
    /// ticket's tag in the subject, in the ticket's thread (In-Reply-To the last notification
    /// sent for it, References all of them), `Auto-Submitted: auto-replied` on receipts (RFC
    /// 3834: an answer to the customer's own message) and `auto-generated` otherwise, and
    /// `X-Loop` with the support address so that it never comes back in as a customer's mail.
    static func mail(_ item: DueNotification, thread: [String], settings: MailSettingsRecord, at now: Date) -> OutgoingMail {
        let at = item.messageID.lastIndex(of: "@")
        let token = at.map { String(item.messageID[..<$0]) } ?? item.messageID
        let domain = at.map { String(item.messageID[item.messageID.index(after: $0)...]) } ?? settings.messageIDDomain
        return OutgoingMail(
            from: MailAddress(name: settings.displayName, address: settings.supportAddress),
            to: item.recipient.split(separator: ",").map { MailAddress(address: $0.trimmingCharacters(in: .whitespaces)) },
            subject: item.subject, body: item.body, ticket: item.ticket,
            inReplyTo: thread.last, references: thread, uniqueToken: token, messageIDDomain: domain, date: now,
            utcOffsetSeconds: TimeZone(identifier: "Europe/Rome")?.secondsFromGMT(for: now) ?? 0,
            autoSubmitted: item.kind == NotificationKind.receipt.rawValue ? "auto-replied" : "auto-generated",
            extraHeaders: [HeaderField(name: "X-Loop", value: settings.supportAddress)])
    }

    /// 12 random hex digits: a Message-ID no one can guess from the notification's number.
    private static func token() -> String {
        (0..<6).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }
}

// MARK: Methods

extension SportelloService {
    func registerMailMethods(into registry: inout MethodRegistry<CallContext>) {
        let database = environment.database
        let now = environment.now
        registry.register(MailSettingsGet.self, by: self) { _, _ in
            try await database.read { tx in MailSettingsView(try MailStore.settings(tx), defaults: .defaults()) }
        }
        registry.register(MailSettingsSet.self, by: self) { params, _ in
            let at = StoreTime.rounded(now())
            return try await database.write { tx in
                let stored = try MailStore.settings(tx)
                var settings = stored ?? .defaults()
                if let address = params.supportAddress { settings.supportAddress = try MailSettingsCheck.address(address, field: "params.supportAddress") }
                if let name = params.displayName { settings.displayName = try MailSettingsCheck.line(name, field: "params.displayName") }
                if let domain = params.messageIDDomain { settings.messageIDDomain = try MailSettingsCheck.domain(domain, field: "params.messageIDDomain") }
                if let command = params.sendmailCommand { settings.sendmailCommand = try MailSettingsCheck.absolute(command, field: "params.sendmailCommand") }
                if let path = params.maildirPath { settings.maildirPath = try MailSettingsCheck.absolute(path, field: "params.maildirPath") }
                if let days = params.rawRetentionDays {
                    guard (1...3650).contains(days) else {
                        throw RPCError.invalidParams(field: "params.rawRetentionDays", reason: "must be 1 to 3650 days")
                    }
                    settings.rawRetentionDays = days
                }
                if let transport = params.transport {
                    settings.transport = try AccountValidation.choice(transport, field: "params.transport", as: MailSettingsRecord.Transport.self)
                }
                if settings.transport == .maildir, settings.maildirPath == nil {
                    throw RPCError.invalidParams(field: "params.maildirPath", reason: "is required for the maildir transport")
                }
                settings.updatedAt = at
                try MailStore.setSettings(tx, settings)
                return MailSettingsView(settings, defaults: .defaults())
            }
        }
        registry.register(NotificationRetry.self, by: self) { params, context in
            let principal = try context.requireStaff()
            let at = StoreTime.rounded(now())
            return try await database.write { tx in
                let id = Int64(params.notification)
                guard let row = try TicketStore.notification(tx, id: id) else {
                    throw RPCError.notFound(field: "params.notification", "no notification with id \(id)")
                }
                if case .staff(let staff, .operator) = principal {
                    let ticket = try row.ticket.flatMap { try TicketStore.ticket(tx, id: $0) }
                    guard ticket?.assignee == staff else {
                        throw RPCError.notFound(field: "params.notification", "no notification with id \(id)")
                    }
                }
                guard try MailStore.retry(tx, id: id, at: at) else {
                    throw RPCError(code: RPCErrorCode.transitionNotAllowed, message: "Transition not allowed", data: [
                        "field": "params.notification", "status": "sent", "reason": "the notification was already sent",
                    ])
                }
                guard let updated = try TicketStore.notification(tx, id: id) else {
                    throw RPCError.notFound(field: "params.notification", "no notification with id \(id)")
                }
                return try Notification(updated)
            }
        }
    }
}

extension MailSettingsView {
    init(_ stored: MailSettingsRecord?, defaults: MailSettingsRecord) {
        let settings = stored ?? defaults
        self.init(
            supportAddress: settings.supportAddress, displayName: settings.displayName, messageIDDomain: settings.messageIDDomain,
            transport: .init(rawValue: settings.transport.rawValue) ?? .sendmail, sendmailCommand: settings.sendmailCommand,
            maildirPath: settings.maildirPath, updatedAt: stored.map { Instant($0.updatedAt) },
            rawRetentionDays: settings.rawRetentionDays)
    }
}

/// The checks on mail settings: values that end up in headers or on a command line get no line
/// breaks and no room for ambiguity.
enum MailSettingsCheck {
    static func line(_ text: String, field: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 200, !trimmed.contains(where: { $0.isNewline || $0 == "\u{0}" }) else {
            throw RPCError.invalidParams(field: field, reason: "must be one line of 1 to 200 characters")
        }
        return trimmed
    }

    static func address(_ text: String, field: String) throws -> String {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, (try? domain(String(parts[1]), field: field)) != nil,
            text.allSatisfy({ $0.isASCII && !$0.isWhitespace && !"<>()[],;:\\\"".contains($0) })
        else {
            throw RPCError.invalidParams(field: field, reason: "must be an address such as support@interzen.it")
        }
        return text
    }

    static func domain(_ text: String, field: String) throws -> String {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, text.count <= 253, labels.allSatisfy({ label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }) else {
            throw RPCError.invalidParams(field: field, reason: "must be a domain name such as interzen.it")
        }
        return text.lowercased()
    }

    static func absolute(_ text: String, field: String) throws -> String {
        let value = try line(text, field: field)
        guard value.hasPrefix("/") else { throw RPCError.invalidParams(field: field, reason: "must be an absolute path") }
        return value
    }
}
