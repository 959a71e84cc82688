import Foundation
import GRDB
import SportelloDomain

// MARK: Time as the store writes it

/// Instants as the account tables store them: UTC text of one fixed width,
/// `YYYY-MM-DDTHH:MM:SS.sssZ` (to the nearest millisecond, always present), the form SQLite's
/// `strftime('%Y-%m-%dT%H:%M:%fZ', …)` writes. Fixed width makes text order the same as time
/// order, so `WHERE at > ?` and `ORDER BY at` work on the text. (The API's own form drops a zero
/// fraction, `…T17:00:00Z`, which would sort wrongly next to `…T17:00:00.500Z`: the service
/// reformats on the way out.)
public enum StoreTime {
    public static func text(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let fraction = Int(milliseconds - seconds * 1000)
        let days = Int(seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400)
        let secondOfDay = Int(seconds - Int64(days) * 86400)
        let date = LocalDate(daysSinceEpoch: days)
        guard (0...9999).contains(date.year) else {
            return date.iso + "T" + pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":"
                + pad(secondOfDay % 60, 2) + "." + pad(fraction, 3) + "Z"
        }
        // The 24 bytes written in place: joining eight padded strings was a twentieth of a
        // first sweep's time, which stamps every row it writes (measured with perf).
        return String(unsafeUninitializedCapacity: 24) { buffer in
            func put(_ value: Int, _ width: Int, at offset: Int) {
                var value = value
                for index in stride(from: offset + width - 1, through: offset, by: -1) {
                    buffer[index] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            put(date.year, 4, at: 0)
            buffer[4] = UInt8(ascii: "-")
            put(date.month, 2, at: 5)
            buffer[7] = UInt8(ascii: "-")
            put(date.day, 2, at: 8)
            buffer[10] = UInt8(ascii: "T")
            put(secondOfDay / 3600, 2, at: 11)
            buffer[13] = UInt8(ascii: ":")
            put(secondOfDay / 60 % 60, 2, at: 14)
            buffer[16] = UInt8(ascii: ":")
            put(secondOfDay % 60, 2, at: 17)
            buffer[19] = UInt8(ascii: ".")
            put(fraction, 3, at: 20)
            buffer[23] = UInt8(ascii: "Z")
            return 24
        }
    }

    /// `date` as the store will give it back: to the nearest millisecond (as `RFC3339.format`
    /// rounds too).
    public static func rounded(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
    }

    /// Parses the store's own form (and, leniently, the same without milliseconds).
    public static func date(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 24 || bytes.count == 20, bytes.last == UInt8(ascii: "Z"), bytes[10] == UInt8(ascii: "T"),
            let day = LocalDate(iso: String(decoding: bytes[0..<10], as: UTF8.self))
        else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var milliseconds = 0
        if bytes.count == 24 {
            guard bytes[19] == UInt8(ascii: "."), let fraction = number(20..<23) else { return nil }
            milliseconds = fraction
        }
        let seconds = Int64(day.daysSinceEpoch) * 86400 + Int64(hour * 3600 + minute * 60 + second)
        return Date(timeIntervalSince1970: Double(seconds * 1000 + Int64(milliseconds)) / 1000)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

// MARK: Records

/// How a customer holds a product (docs/product.md §3). Only `cloudSaas` and `subscription` give
/// guaranteed support; `perpetual` licences are served but their tickets are not eligible.
public enum SubscriptionMode: String, CaseIterable, Sendable, Codable {
    case cloudSaas, subscription, perpetual

    public var givesSupport: Bool { self != .perpetual }
}

/// Whoever an email logs in as, with the stored password hash (nil: no password set).
public struct Credential: Sendable {
    public enum Account: Sendable {
        case staff(StaffRecord)
        case contact(ContactRecord)
    }
    public var account: Account
    public var passwordHash: String?
    /// The password was generated by the system: the account must change it first.
    public var mustChangePassword: Bool = false
    /// A contact disabled by a care manager (staff: `StaffRecord.active`).
    public var disabled: Bool = false
}

/// A rule of the account tables the caller broke.
public enum AccountStoreError: Error, Equatable, Sendable {
    /// `field` (`code`, `vatNumber`, `email`) already belongs to another record.
    case duplicate(field: String, value: String)
}

/// A record a store function expected and did not find, or found unreadable.
public struct CorruptAccountRecord: Error, CustomStringConvertible {
    public let table: String
    public let key: String
    public let reason: String
    public var description: String { "\(table) \(key): \(reason)" }
}

// MARK: Queries

/// Customers, subscriptions, contacts, staff, sessions and failed logins. Every function runs in
/// the caller's transaction; none checks who is asking (the service layer does).
public enum AccountStore {
    // MARK: Customers

    public static func customer(_ tx: StoreReader, id: Int64) throws -> CustomerRecord? {
        try tx.db.record(CustomerRecord.self, "SELECT * FROM customer WHERE id = ?", [id])
    }

    /// By code, ignoring ASCII case.
    public static func customer(_ tx: StoreReader, code: String) throws -> CustomerRecord? {
        try tx.db.record(CustomerRecord.self, "SELECT * FROM customer WHERE code = ?", [code])
    }

    /// By the normalised VAT number (as `insertCustomer` stores it).
    public static func customer(_ tx: StoreReader, vatNumber: String) throws -> CustomerRecord? {
        try tx.db.record(CustomerRecord.self, "SELECT * FROM customer WHERE vatNumber = ?", [vatNumber])
    }

    /// Inserts a customer; `.duplicate(field: "code" | "vatNumber")` when taken.
    public static func insertCustomer(
        _ tx: StoreWriter, code: String, name: String, vatNumber: String?, language: Language, email: String?, now: Date
    ) throws -> CustomerRecord {
        if try customer(tx, code: code) != nil { throw AccountStoreError.duplicate(field: "code", value: code) }
        if let vatNumber, try customer(tx, vatNumber: vatNumber) != nil {
            throw AccountStoreError.duplicate(field: "vatNumber", value: vatNumber)
        }
        var customer = CustomerRecord(
            id: 0, code: code, name: name, vatNumber: vatNumber, language: language, email: email, createdAt: StoreTime.rounded(now))
        customer.id = try tx.db.insert(customer)
        return customer
    }

    /// One page of customers in id order, after the customer `after` (keyset pagination: a page
    /// never repeats or skips a row however many rows are added meanwhile). `query` matches the
    /// code, name or VAT number as a substring, ignoring ASCII case; LIKE's wildcards in it are
    /// taken literally. Returns up to `limit` rows and whether more follow.
    public static func customers(
        _ tx: StoreReader, query: String?, after: Int64?, limit: Int
    ) throws -> (items: [CustomerRecord], hasMore: Bool) {
        var sql = "SELECT * FROM customer WHERE id > ?"
        var arguments: SQLArguments = [after ?? Int64.min]
        if let query, !query.isEmpty {
            sql += #" AND (code LIKE ? ESCAPE '\' OR name LIKE ? ESCAPE '\' OR vatNumber LIKE ? ESCAPE '\')"#
            let pattern = "%" + likeEscaped(query) + "%"
            arguments += [pattern, pattern, pattern]
        }
        sql += " ORDER BY id LIMIT ?"
        arguments += [limit + 1]
        let rows = try tx.db.records(CustomerRecord.self, sql, arguments)
        return (Array(rows.prefix(limit)), rows.count > limit)
    }

    /// `text` with LIKE's metacharacters (`%`, `_` and the escape `\`) escaped by `\`.
    public static func likeEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    // MARK: Subscriptions

    public static func subscriptions(_ tx: StoreReader, customer: Int64) throws -> [SubscriptionRecord] {
        try tx.db.records(SubscriptionRecord.self, "SELECT * FROM subscription WHERE customer = ? ORDER BY id", [customer])
    }

    /// The subscriptions of several customers at once (a list page), by customer.
    public static func subscriptions(_ tx: StoreReader, customers: [Int64]) throws -> [Int64: [SubscriptionRecord]] {
        guard !customers.isEmpty else { return [:] }
        let marks = Array(repeating: "?", count: customers.count).joined(separator: ",")
        let rows = try tx.db.records(
            SubscriptionRecord.self, "SELECT * FROM subscription WHERE customer IN (\(marks)) ORDER BY id", customers.map { $0 })
        return Dictionary(grouping: rows, by: \.customer)
    }

    public static func insertSubscription(
        _ tx: StoreWriter, customer: Int64, product: String, mode: SubscriptionMode, from: String?, to: String?, now: Date
    ) throws -> SubscriptionRecord {
        var subscription = SubscriptionRecord(
            id: 0, customer: customer, product: product, mode: mode, from: from, to: to, createdAt: StoreTime.rounded(now))
        subscription.id = try tx.db.insert(subscription)
        return subscription
    }

    public static func productExists(_ tx: StoreReader, code: String) throws -> Bool {
        try tx.db.value(Bool.self, "SELECT EXISTS (SELECT 1 FROM product WHERE code = ?)", [code]) ?? false
    }

    /// Whether `customer` has guaranteed support for `product` on `date` (`YYYY-MM-DD`): an active
    /// `cloudSaas` or `subscription` subscription whose period (both ends included, NULL open)
    /// covers the date (docs/product.md §3). Tickets without it are accepted but flagged `eligible: false`.
    public static func isEligible(_ tx: StoreReader, customer: Int64, product: String, on date: String) throws -> Bool {
        try tx.db.value(Bool.self, """
            SELECT EXISTS (
                SELECT 1 FROM subscription
                WHERE customer = ? AND product = ? AND mode IN ('cloudSaas', 'subscription')
                  AND ("from" IS NULL OR "from" <= ?) AND ("to" IS NULL OR "to" >= ?))
            """, [customer, product, date, date]) ?? false
    }

    // MARK: Contacts and staff

    public static func contact(_ tx: StoreReader, id: Int64) throws -> ContactRecord? {
        try tx.db.record(ContactRecord.self, "SELECT * FROM contact WHERE id = ?", [id])
    }

    public static func contacts(_ tx: StoreReader, customer: Int64) throws -> [ContactRecord] {
        try tx.db.records(ContactRecord.self, "SELECT * FROM contact WHERE customer = ? ORDER BY id", [customer])
    }

    /// By email, ignoring ASCII case.
    public static func contact(_ tx: StoreReader, email: String) throws -> ContactRecord? {
        try tx.db.record(ContactRecord.self, "SELECT * FROM contact WHERE email = ?", [email])
    }

    public static func staff(_ tx: StoreReader, id: Int64) throws -> StaffRecord? {
        try tx.db.record(StaffRecord.self, "SELECT * FROM staff WHERE id = ?", [id])
    }

    /// By email, ignoring ASCII case.
    public static func staff(_ tx: StoreReader, email: String) throws -> StaffRecord? {
        try tx.db.record(StaffRecord.self, "SELECT * FROM staff WHERE email = ?", [email])
    }

    /// Every staff account, in id order.
    public static func allStaff(_ tx: StoreReader) throws -> [StaffRecord] {
        try tx.db.records(StaffRecord.self, "SELECT * FROM staff ORDER BY id")
    }

    /// Whether a staff account or a contact already logs in with `email` (ignoring ASCII case).
    public static func emailInUse(_ tx: StoreReader, _ email: String) throws -> Bool {
        try tx.db.value(Bool.self, """
            SELECT EXISTS (SELECT 1 FROM staff WHERE email = ?1) OR EXISTS (SELECT 1 FROM contact WHERE email = ?1)
            """, [email]) ?? false
    }

    /// Inserts a contact; `.duplicate(field: "email")` when a staff account or contact has it.
    public static func insertContact(
        _ tx: StoreWriter, customer: Int64, name: String, email: String, language: Language?, passwordHash: String?, now: Date
    ) throws -> ContactRecord {
        if try emailInUse(tx, email) { throw AccountStoreError.duplicate(field: "email", value: email) }
        let createdAt = StoreTime.text(now)
        try tx.db.run(
            "INSERT INTO contact(customer, name, email, language, passwordHash, createdAt) VALUES (?, ?, ?, ?, ?, ?)",
            [customer, name, email, language?.rawValue, passwordHash, createdAt])
        return ContactRecord(
            id: tx.db.lastInsertedRowID, customer: customer, name: name, email: email, language: language,
            hasPassword: passwordHash != nil, createdAt: StoreTime.date(createdAt) ?? now)
    }

    /// Inserts a staff account (active); `.duplicate(field: "email")` when the email is taken.
    public static func insertStaff(
        _ tx: StoreWriter, name: String, email: String, role: StaffRole, passwordHash: String?, language: Language = .it, now: Date
    ) throws -> StaffRecord {
        if try emailInUse(tx, email) { throw AccountStoreError.duplicate(field: "email", value: email) }
        let createdAt = StoreTime.text(now)
        try tx.db.run(
            "INSERT INTO staff(name, email, role, passwordHash, active, createdAt, language) VALUES (?, ?, ?, ?, 1, ?, ?)",
            [name, email, role.rawValue, passwordHash, createdAt, language.rawValue])
        return StaffRecord(
            id: tx.db.lastInsertedRowID, name: name, email: email, role: role, active: true,
            createdAt: StoreTime.date(createdAt) ?? now, language: language)
    }

    /// Who logs in with `email`, staff first, and their password hash.
    public static func credential(_ tx: StoreReader, email: String) throws -> Credential? {
        if let row = try tx.db.row("SELECT * FROM staff WHERE email = ?", [email]) {
            return Credential(
                account: .staff(try StaffRecord(row: row)), passwordHash: row["passwordHash"],
                mustChangePassword: row["mustChangePassword"] ?? false)
        }
        if let row = try tx.db.row("SELECT * FROM contact WHERE email = ?", [email]) {
            return Credential(
                account: .contact(try ContactRecord(row: row)), passwordHash: row["passwordHash"],
                mustChangePassword: row["mustChangePassword"] ?? false, disabled: !(row["active"] ?? true))
        }
        return nil
    }

    // MARK: Sessions

    public static func insertSession(
        _ tx: StoreWriter, tokenHash: String, kind: SessionRecord.Kind, subject: Int64, now: Date, expiresAt: Date,
        restriction: String? = nil, transport: String? = nil
    ) throws {
        try tx.db.insert(
            SessionRecord(
                tokenHash: tokenHash, kind: kind, subject: subject, createdAt: now, lastSeenAt: now, expiresAt: expiresAt,
                restriction: restriction, transport: transport),
            omitting: [])
    }

    /// The session with this token hash, expired or not.
    public static func session(_ tx: StoreReader, tokenHash: String) throws -> SessionRecord? {
        try tx.db.record(SessionRecord.self, "SELECT * FROM auth_session WHERE tokenHash = ?", [tokenHash])
    }

    /// Slides an idle session's expiry: seen at `now`, expiring at `expiresAt`.
    public static func touchSession(_ tx: StoreWriter, tokenHash: String, now: Date, expiresAt: Date) throws {
        try tx.db.run(
            "UPDATE auth_session SET lastSeenAt = ?, expiresAt = ? WHERE tokenHash = ?",
            [StoreTime.text(now), StoreTime.text(expiresAt), tokenHash])
    }

    /// Deletes a session; false when there was none.
    @discardableResult
    public static func deleteSession(_ tx: StoreWriter, tokenHash: String) throws -> Bool {
        try tx.db.run("DELETE FROM auth_session WHERE tokenHash = ?", [tokenHash])
        return tx.db.changesCount > 0
    }

    /// Deletes the sessions that expired before `now`; returns how many.
    @discardableResult
    public static func deleteExpiredSessions(_ tx: StoreWriter, now: Date) throws -> Int {
        try tx.db.run("DELETE FROM auth_session WHERE expiresAt <= ?", [StoreTime.text(now)])
        return tx.db.changesCount
    }

    // MARK: Failed logins

    /// Records a failed (or, until proven right, provisional) login for `email`; returns its rowid.
    public static func insertLoginFailure(_ tx: StoreWriter, email: String, at: Date) throws -> Int64 {
        try tx.db.run("INSERT INTO login_failure(email, at) VALUES (?, ?)", [email, StoreTime.text(at)])
        return tx.db.lastInsertedRowID
    }

    public static func deleteLoginFailure(_ tx: StoreWriter, rowID: Int64) throws {
        try tx.db.run("DELETE FROM login_failure WHERE rowid = ?", [rowID])
    }

    /// The failed logins for `email` at or after `since`, oldest first.
    public static func loginFailures(_ tx: StoreReader, email: String, since: Date) throws -> [Date] {
        try tx.db.values(
            String.self, "SELECT at FROM login_failure WHERE email = ? AND at >= ? ORDER BY at", [email, StoreTime.text(since)]
        ).compactMap(StoreTime.date)
    }

    /// Forgets failed logins older than `before` (every email).
    public static func pruneLoginFailures(_ tx: StoreWriter, before: Date) throws {
        try tx.db.run("DELETE FROM login_failure WHERE at < ?", [StoreTime.text(before)])
    }
}
