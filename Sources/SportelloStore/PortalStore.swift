import Foundation
import GRDB
import SportelloDomain

/// A self-registration of the portal wizard.
public struct RegistrationRecord: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Codable {
        /// The code was sent; waiting for `account.confirm`.
        case awaitingCode
        /// Confirmed from outside the customer's domains; waiting for a care manager.
        case awaitingApproval
        /// The account exists (`contact`).
        case active
        /// A care manager said no.
        case rejected
        /// Five wrong codes, or the email became an account meanwhile.
        case voided
        /// A newer registration for the same email took its place.
        case replaced
    }

    public var id: Int64
    public var customer: Int64
    public var email: String
    public var name: String
    public var language: Language?
    /// HMAC-SHA256 (hex) of the code, keyed with the database's secret: the code itself is
    /// never stored.
    public var codeHash: String
    public var codeExpiresAt: Date
    public var attempts: Int
    public var status: Status
    public var createdAt: Date
    public var confirmedAt: Date?
    public var decidedAt: Date?
    public var decidedBy: Int64?
    public var reason: String?
    public var contact: Int64?

    public init(
        id: Int64 = 0, customer: Int64, email: String, name: String, language: Language?, codeHash: String, codeExpiresAt: Date,
        attempts: Int = 0, status: Status = .awaitingCode, createdAt: Date, confirmedAt: Date? = nil, decidedAt: Date? = nil,
        decidedBy: Int64? = nil, reason: String? = nil, contact: Int64? = nil
    ) {
        self.id = id
        self.customer = customer
        self.email = email
        self.name = name
        self.language = language
        self.codeHash = codeHash
        self.codeExpiresAt = codeExpiresAt
        self.attempts = attempts
        self.status = status
        self.createdAt = createdAt
        self.confirmedAt = confirmedAt
        self.decidedAt = decidedAt
        self.decidedBy = decidedBy
        self.reason = reason
        self.contact = contact
    }
}

extension RegistrationRecord: StoreRecord {
    public static let databaseTableName = "registration"
}

extension RegistrationRecord.Status: DatabaseValueConvertible {}

/// The portal's accounts: customers' domains, registrations, the wizard's rate-limit log and
/// password changes. Every function runs in the caller's transaction.
public enum PortalStore {
    // MARK: Domains

    /// A customer's domains, sorted.
    public static func domains(_ tx: StoreReader, customer: Int64) throws -> [String] {
        try tx.db.values(String.self, "SELECT domain FROM customer_domain WHERE customer = ? ORDER BY domain", [customer])
    }

    /// The customer a domain belongs to, if any (ignoring ASCII case).
    public static func domainOwner(_ tx: StoreReader, domain: String) throws -> Int64? {
        try tx.db.value(Int64.self, "SELECT customer FROM customer_domain WHERE domain = ?", [domain])
    }

    /// Replaces a customer's domains.
    public static func setDomains(_ tx: StoreWriter, customer: Int64, domains: [String]) throws {
        try tx.db.run("DELETE FROM customer_domain WHERE customer = ?", [customer])
        for domain in domains {
            try tx.db.run("INSERT INTO customer_domain(domain, customer) VALUES (?, ?)", [domain, customer])
        }
    }

    // MARK: Rate limits

    /// Records one call under `key` at `at` and returns the calls `key` has made strictly
    /// after `since` (this one included); forgets every key's calls before `forgetBefore`.
    public static func countAttempt(_ tx: StoreWriter, key: String, at: Date, since: Date, forgetBefore: Date) throws -> [Date] {
        try tx.db.run("DELETE FROM wizard_attempt WHERE at < ?", [StoreTime.text(forgetBefore)])
        try tx.db.run("INSERT INTO wizard_attempt(key, at) VALUES (?, ?)", [key, StoreTime.text(at)])
        return try tx.db.values(
            String.self, "SELECT at FROM wizard_attempt WHERE key = ? AND at > ? ORDER BY at", [key, StoreTime.text(since)]
        ).compactMap(StoreTime.date)
    }

    /// Withdraws the latest call recorded under `key` (a call refused by the limit does not count).
    public static func withdrawAttempt(_ tx: StoreWriter, key: String) throws {
        try tx.db.run("DELETE FROM wizard_attempt WHERE rowid = (SELECT max(rowid) FROM wizard_attempt WHERE key = ?)", [key])
    }

    // MARK: Registrations

    public static func insertRegistration(_ tx: StoreWriter, _ record: RegistrationRecord) throws -> RegistrationRecord {
        var record = record
        record.id = try tx.db.insert(record)
        return record
    }

    public static func registration(_ tx: StoreReader, id: Int64) throws -> RegistrationRecord? {
        try tx.db.record(RegistrationRecord.self, "SELECT * FROM registration WHERE id = ?", [id])
    }

    /// The newest registration of `email` in one of `statuses`.
    public static func registration(
        _ tx: StoreReader, email: String, statuses: [RegistrationRecord.Status]
    ) throws -> RegistrationRecord? {
        let marks = Array(repeating: "?", count: statuses.count).joined(separator: ", ")
        return try tx.db.record(
            RegistrationRecord.self,
            "SELECT * FROM registration WHERE email = ? AND status IN (\(marks)) ORDER BY id DESC LIMIT 1",
            [email] + statuses.map(\.rawValue))
    }

    /// Registrations in `status`, oldest first.
    public static func registrations(_ tx: StoreReader, status: RegistrationRecord.Status, limit: Int) throws -> [RegistrationRecord] {
        try tx.db.records(
            RegistrationRecord.self, "SELECT * FROM registration WHERE status = ? ORDER BY id LIMIT ?", [status.rawValue, limit])
    }

    /// Sets every awaiting-code registration of `email` to `replaced`.
    public static func replaceAwaitingCode(_ tx: StoreWriter, email: String) throws {
        try tx.db.run("UPDATE registration SET status = 'replaced' WHERE email = ? AND status = 'awaitingCode'", [email])
    }

    /// Writes a registration's mutable columns.
    public static func updateRegistration(_ tx: StoreWriter, _ record: RegistrationRecord) throws {
        _ = try tx.db.update(
            record, columns: ["attempts", "status", "confirmedAt", "decidedAt", "decidedBy", "reason", "contact"],
            where: "id = ?", [record.id])
    }

    // MARK: Accounts

    /// Marks a contact's password as system-generated (it must be changed before anything else).
    public static func setContactMustChangePassword(_ tx: StoreWriter, contact: Int64) throws {
        try tx.db.run("UPDATE contact SET mustChangePassword = 1 WHERE id = ?", [contact])
    }

    /// The stored password hash, email and name of an account (`kind` `staff` or `contact`).
    public static func account(
        _ tx: StoreReader, kind: SessionRecord.Kind, id: Int64
    ) throws -> (email: String, name: String, passwordHash: String?, mustChangePassword: Bool)? {
        let table = kind == .staff ? "staff" : "contact"
        guard let row = try tx.db.row("SELECT email, name, passwordHash, mustChangePassword FROM \(table) WHERE id = ?", [id])
        else { return nil }
        return (row["email"], row["name"], row["passwordHash"], row["mustChangePassword"] ?? false)
    }

    /// A new password for an account: the hash replaced, `mustChangePassword` cleared, the
    /// session `keeping` unrestricted and every other session of the account ended. Returns how
    /// many sessions ended.
    public static func changePassword(
        _ tx: StoreWriter, kind: SessionRecord.Kind, id: Int64, passwordHash: String, keeping tokenHash: String?
    ) throws -> Int {
        let table = kind == .staff ? "staff" : "contact"
        try tx.db.run("UPDATE \(table) SET passwordHash = ?, mustChangePassword = 0 WHERE id = ?", [passwordHash, id])
        try tx.db.run("UPDATE auth_session SET restriction = NULL WHERE tokenHash = ?", [tokenHash])
        try tx.db.run(
            "DELETE FROM auth_session WHERE kind = ? AND subject = ? AND tokenHash IS NOT ?", [kind.rawValue, id, tokenHash])
        return tx.db.changesCount
    }

    // MARK: Password resets

    /// A pending reset replaces any earlier pending one of the same email.
    public static func insertReset(
        _ tx: StoreWriter, kind: SessionRecord.Kind, subject: Int64, email: String, codeHash: String, expiresAt: Date, now: Date
    ) throws {
        try tx.db.run("UPDATE password_reset SET status = 'replaced' WHERE email = ? AND status = 'pending'", [email])
        try tx.db.run(
            """
            INSERT INTO password_reset(kind, subject, email, codeHash, expiresAt, attempts, status, createdAt)
            VALUES (?, ?, ?, ?, ?, 0, 'pending', ?)
            """, [kind.rawValue, subject, email, codeHash, StoreTime.text(expiresAt), StoreTime.text(now)])
    }

    public struct PendingReset: Sendable {
        public var id: Int64
        public var kind: SessionRecord.Kind
        public var subject: Int64
        public var codeHash: String
        public var expiresAt: Date
        public var attempts: Int
    }

    /// The newest pending reset of `email`.
    public static func pendingReset(_ tx: StoreReader, email: String) throws -> PendingReset? {
        guard let row = try tx.db.row(
            "SELECT * FROM password_reset WHERE email = ? AND status = 'pending' ORDER BY id DESC LIMIT 1", [email])
        else { return nil }
        let kind: String = row["kind"]
        let expires: String = row["expiresAt"]
        return PendingReset(
            id: row["id"], kind: kind == "staff" ? .staff : .contact, subject: row["subject"], codeHash: row["codeHash"],
            expiresAt: StoreTime.date(expires) ?? .distantPast, attempts: row["attempts"])
    }

    /// One more wrong code; at `limit` the reset is voided.
    public static func countWrongResetCode(_ tx: StoreWriter, id: Int64, limit: Int) throws {
        try tx.db.run(
            "UPDATE password_reset SET attempts = attempts + 1, status = CASE WHEN attempts + 1 >= ? THEN 'voided' ELSE status END WHERE id = ?",
            [limit, id])
    }

    public static func useReset(_ tx: StoreWriter, id: Int64) throws {
        try tx.db.run("UPDATE password_reset SET status = 'used' WHERE id = ?", [id])
    }

    // MARK: Sessions of an account

    /// The live sessions of an account, newest first.
    public static func sessions(_ tx: StoreReader, kind: SessionRecord.Kind, subject: Int64, now: Date) throws -> [SessionRecord] {
        try tx.db.records(
            SessionRecord.self,
            "SELECT * FROM auth_session WHERE kind = ? AND subject = ? AND expiresAt > ? ORDER BY createdAt DESC, tokenHash",
            [kind.rawValue, subject, StoreTime.text(now)])
    }

    /// The live session whose token hash starts with `prefix` (a session's public id).
    public static func session(_ tx: StoreReader, idPrefix prefix: String, now: Date) throws -> SessionRecord? {
        try tx.db.record(
            SessionRecord.self, "SELECT * FROM auth_session WHERE substr(tokenHash, 1, ?) = ? AND expiresAt > ?",
            [prefix.count, prefix, StoreTime.text(now)])
    }

    /// Ends every session of an account; returns how many.
    @discardableResult
    public static func deleteSessions(_ tx: StoreWriter, kind: SessionRecord.Kind, subject: Int64) throws -> Int {
        try tx.db.run("DELETE FROM auth_session WHERE kind = ? AND subject = ?", [kind.rawValue, subject])
        return tx.db.changesCount
    }

    /// A new password for an account, from a reset: hash replaced, mustChangePassword cleared.
    public static func setPassword(_ tx: StoreWriter, kind: SessionRecord.Kind, id: Int64, passwordHash: String) throws {
        let table = kind == .staff ? "staff" : "contact"
        try tx.db.run("UPDATE \(table) SET passwordHash = ?, mustChangePassword = 0 WHERE id = ?", [passwordHash, id])
    }

    // MARK: Two-factor login (staff)

    /// A staff member's TOTP state: the secret in use and the one being set up (base32), and
    /// the last step used.
    public static func totp(_ tx: StoreReader, staff: Int64) throws -> (secret: String?, pending: String?, lastStep: Int64?) {
        guard let row = try tx.db.row("SELECT totpSecret, totpPending, totpLastStep FROM staff WHERE id = ?", [staff]) else {
            return (nil, nil, nil)
        }
        return (row["totpSecret"], row["totpPending"], row["totpLastStep"])
    }

    public static func setTotpPending(_ tx: StoreWriter, staff: Int64, secret: String) throws {
        try tx.db.run("UPDATE staff SET totpPending = ? WHERE id = ?", [secret, staff])
    }

    /// The secret being set up becomes the one in use, its code of `step` used; the account's
    /// sessions held to setting it up are freed.
    public static func activateTotp(_ tx: StoreWriter, staff: Int64, step: Int64) throws {
        try tx.db.run(
            "UPDATE staff SET totpSecret = totpPending, totpPending = NULL, totpLastStep = ? WHERE id = ?", [step, staff])
        try tx.db.run(
            "UPDATE auth_session SET restriction = NULL WHERE kind = 'staff' AND subject = ? AND restriction = 'totpSetup'", [staff])
    }

    /// Marks `step`'s code used, unless it (or a later one) already was: false then.
    public static func useTotpStep(_ tx: StoreWriter, staff: Int64, step: Int64) throws -> Bool {
        try tx.db.run(
            "UPDATE staff SET totpLastStep = ? WHERE id = ? AND (totpLastStep IS NULL OR totpLastStep < ?)", [step, staff, step])
        return tx.db.changesCount == 1
    }

    // MARK: Disabling

    /// Whether an account exists, and whether it is active.
    public static func isActive(_ tx: StoreReader, kind: SessionRecord.Kind, id: Int64) throws -> Bool? {
        let table = kind == .staff ? "staff" : "contact"
        return try tx.db.value(Bool.self, "SELECT active FROM \(table) WHERE id = ?", [id])
    }

    public static func setActive(_ tx: StoreWriter, kind: SessionRecord.Kind, id: Int64, active: Bool) throws {
        let table = kind == .staff ? "staff" : "contact"
        try tx.db.run("UPDATE \(table) SET active = ? WHERE id = ?", [active, id])
    }

    // MARK: Audit

    public struct AuditRow: Sendable {
        public var id: Int64
        public var at: String
        public var actorKind: String
        public var actorID: Int64?
        public var action: String
        public var objectKind: String
        public var objectID: Int64?
        public var changes: String?
        public var transport: String?
    }

    /// Appends an audit event (the table refuses updates and deletes).
    public static func audit(
        _ tx: StoreWriter, at: Date, actorKind: String, actorID: Int64?, action: String, objectKind: String, objectID: Int64?,
        customer: Int64?, changes: String? = nil, transport: String?
    ) throws {
        try tx.db.run(
            """
            INSERT INTO audit_event(at, actorKind, actorID, action, objectKind, objectID, customer, changes, transport)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [StoreTime.text(at), actorKind, actorID, action, objectKind, objectID, customer, changes, transport])
    }

    /// Audit events newest first (by id), before the event `before`, filtered; up to `limit`.
    public static func auditEvents(
        _ tx: StoreReader, ticket: Int64?, customer: Int64?, actorKind: String?, actorID: Int64?, action: String?,
        from: Date?, to: Date?, before: Int64?, limit: Int
    ) throws -> [AuditRow] {
        var conditions: [String] = []
        var arguments: SQLArguments = []
        if let ticket { conditions.append("ticket = ?"); arguments.append(ticket) }
        if let customer { conditions.append("customer = ?"); arguments.append(customer) }
        if let actorKind { conditions.append("actorKind = ?"); arguments.append(actorKind) }
        if let actorID { conditions.append("actorID = ?"); arguments.append(actorID) }
        if let action { conditions.append("action = ?"); arguments.append(action) }
        if let from { conditions.append("at >= ?"); arguments.append(StoreTime.text(from)) }
        if let to { conditions.append("at < ?"); arguments.append(StoreTime.text(to)) }
        if let before { conditions.append("id < ?"); arguments.append(before) }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments.append(limit)
        return try tx.db.rows("SELECT * FROM audit_event \(filter) ORDER BY id DESC LIMIT ?", arguments).map { row in
            AuditRow(
                id: row["id"], at: row["at"], actorKind: row["actorKind"], actorID: row["actorID"], action: row["action"],
                objectKind: row["objectKind"], objectID: row["objectID"], changes: row["changes"], transport: row["transport"])
        }
    }

    /// Audit events in id order (oldest first), after the event `after`, with `at` in
    /// [`from`, `to`); up to `limit`: the export reads the trail a page at a time.
    public static func auditEventsForExport(
        _ tx: StoreReader, from: Date, to: Date, after: Int64, limit: Int
    ) throws -> [AuditRow] {
        try tx.db.rows(
            "SELECT * FROM audit_event WHERE id > ? AND at >= ? AND at < ? ORDER BY id LIMIT ?",
            [after, StoreTime.text(from), StoreTime.text(to), limit]
        ).map { row in
            AuditRow(
                id: row["id"], at: row["at"], actorKind: row["actorKind"], actorID: row["actorID"], action: row["action"],
                objectKind: row["objectKind"], objectID: row["objectID"], changes: row["changes"], transport: row["transport"])
        }
    }
}
