import Foundation
import GRDB
import SportelloDomain

/// The desk's mail settings row.
public struct MailSettingsRecord: Sendable, Hashable, Codable {
    public enum Transport: String, Sendable, Codable, CaseIterable {
        case sendmail, maildir
    }

    public var id: Int64 = 1
    public var supportAddress: String
    public var displayName: String
    public var messageIDDomain: String
    public var transport: Transport
    public var sendmailCommand: String
    public var maildirPath: String?
    public var updatedAt: Date
    /// Days mail in keeps each message's raw bytes.
    public var rawRetentionDays: Int = 90

    public init(
        supportAddress: String, displayName: String, messageIDDomain: String, transport: Transport, sendmailCommand: String,
        maildirPath: String?, updatedAt: Date
    ) {
        self.supportAddress = supportAddress
        self.displayName = displayName
        self.messageIDDomain = messageIDDomain
        self.transport = transport
        self.sendmailCommand = sendmailCommand
        self.maildirPath = maildirPath
        self.updatedAt = updatedAt
    }
}

extension MailSettingsRecord: StoreRecord {
    public static let databaseTableName = "mail_settings"
}

extension MailSettingsRecord.Transport: DatabaseValueConvertible {}

/// A notification claimed for delivery: what the mail is made of.
public struct DueNotification: Sendable, Hashable {
    public var id: Int64
    public var ticket: Int64?
    public var kind: String
    public var language: Language
    public var recipient: String
    public var subject: String
    public var body: String
    public var createdAt: Date
    /// Attempts made before this one.
    public var attempts: Int
    /// Given at the first claim and kept: a retry sends the same Message-ID.
    public var messageID: String
}

/// The outbox as the delivery worker sees it. Claims are leases written in a transaction of
/// their own: whichever process claims a row first sends it; the lease expires if that process
/// dies, and the row is claimed again with the same Message-ID.
public enum MailStore {
    public static func settings(_ tx: StoreReader) throws -> MailSettingsRecord? {
        try tx.db.record(MailSettingsRecord.self, "SELECT * FROM mail_settings WHERE id = 1", cached: true)
    }

    public static func setSettings(_ tx: StoreWriter, _ settings: MailSettingsRecord) throws {
        try tx.db.run("DELETE FROM mail_settings")
        try tx.db.insert(settings, omitting: [])
    }

    /// Claims up to `limit` notifications due at `now` (pending, their retry time and their
    /// `notBefore` reached, not leased), oldest first, until `leaseUntil`; gives each its Message-ID at its first claim
    /// (`messageID(id)`).
    public static func claimDue(
        _ tx: StoreWriter, now: Date, leaseUntil: Date, limit: Int, messageID: (Int64) -> String
    ) throws -> [DueNotification] {
        let nowText = StoreTime.text(now)
        let rows = try tx.db.rows("""
            SELECT id, ticket, kind, language, recipient, subject, body, createdAt, attempts, messageID FROM outbox
            WHERE status = 'pending' AND (nextAttemptAt IS NULL OR nextAttemptAt <= ?)
              AND (notBefore IS NULL OR notBefore <= ?) AND (claimedUntil IS NULL OR claimedUntil <= ?)
            ORDER BY id LIMIT ?
            """, [nowText, nowText, nowText, limit])
        var claimed: [DueNotification] = []
        for row in rows {
            let id: Int64 = row["id"]
            let existing: String? = row["messageID"]
            let assigned = existing ?? messageID(id)
            try tx.db.run(
                "UPDATE outbox SET claimedUntil = ?, messageID = ? WHERE id = ?", [StoreTime.text(leaseUntil), assigned, id],
                cached: true)
            let language: String = row["language"]
            let created: String = row["createdAt"]
            claimed.append(DueNotification(
                id: id, ticket: row["ticket"], kind: row["kind"], language: Language(rawValue: language) ?? .it,
                recipient: row["recipient"], subject: row["subject"], body: row["body"],
                createdAt: StoreTime.date(created) ?? now, attempts: row["attempts"], messageID: assigned))
        }
        return claimed
    }

    /// The Message-IDs of the ticket's notifications already sent before `before`, oldest first
    /// (the thread a new one joins: In-Reply-To the last, References all).
    public static func thread(_ tx: StoreReader, ticket: Int64, before: Int64) throws -> [String] {
        // `+id`, `+status`: by the ticket's index. Left to itself the planner took the status
        // index and read every notification sent before this one, for each one sent (measured:
        // delivery of 10,000 receipts spent most of its time in pread).
        try tx.db.values(String.self, """
            SELECT messageID FROM outbox WHERE ticket = ? AND +id < ? AND +status = 'sent' AND messageID IS NOT NULL
            ORDER BY id
            """, [ticket, before], cached: true)
    }

    /// What replaces the body of a sent notification that carried a generated password.
    public static let removedCredentials = "(The credentials were removed from this copy once the email was sent.)"

    /// The kinds whose body is erased once sent: the generated password must not stay stored.
    static let erasedOnceSent = ["accountCredentials"]

    public static func markSent(_ tx: StoreWriter, id: Int64, at: Date) throws {
        try tx.db.run("""
            UPDATE outbox SET status = 'sent', sentAt = ?, attempts = attempts + 1, lastError = NULL, nextAttemptAt = NULL,
                claimedUntil = NULL,
                body = CASE WHEN kind IN (\(erasedOnceSent.map { "'\($0)'" }.joined(separator: ", "))) THEN ? ELSE body END
            WHERE id = ?
            """, [StoreTime.text(at), removedCredentials, id], cached: true)
        try attempt(tx, id: id, at: at, outcome: "sent", error: nil)
    }

    /// A failed attempt: tried again at `retryAt`, or `failed` when nil.
    public static func markFailedAttempt(_ tx: StoreWriter, id: Int64, at: Date, error: String, retryAt: Date?) throws {
        try tx.db.run("""
            UPDATE outbox SET status = ?, attempts = attempts + 1, lastError = ?, nextAttemptAt = ?, claimedUntil = NULL
            WHERE id = ?
            """, [retryAt == nil ? "failed" : "pending", error, retryAt.map(StoreTime.text), id], cached: true)
        try attempt(tx, id: id, at: at, outcome: retryAt == nil ? "failed" : "retry", error: error)
    }

    /// Puts a notification back in the queue, due now (`notification.retry`); false when it
    /// was already sent.
    public static func retry(_ tx: StoreWriter, id: Int64, at: Date) throws -> Bool {
        try tx.db.run(
            "UPDATE outbox SET status = 'pending', nextAttemptAt = ?, claimedUntil = NULL WHERE id = ? AND status != 'sent'",
            [StoreTime.text(at), id])
        return tx.db.changesCount == 1
    }

    /// How many notifications wait to be sent now or later.
    public static func pendingCount(_ tx: StoreReader) throws -> Int {
        try tx.db.value(Int.self, "SELECT count(*) FROM outbox WHERE status = 'pending'") ?? 0
    }

    private static func attempt(_ tx: StoreWriter, id: Int64, at: Date, outcome: String, error: String?) throws {
        try tx.db.run(
            "INSERT INTO outbox_attempt(outbox, at, outcome, error) VALUES (?, ?, ?, ?)",
            [id, StoreTime.text(at), outcome, error], cached: true)
    }
}
