import Foundation
import GRDB
import SportelloDomain

// The tables as GRDB records: a row decodes into its record and a record encodes into its row
// through Codable, so a column is named once (its property, or a coding key where the column's
// name differs) instead of in an INSERT's placeholder list and again in a reader.
//
// Two things stay the store's own. Instants keep the fixed-width text of `StoreTime` (the
// records' date strategies below), so the file format and the shipped migrations are unchanged.
// And rows are written and read through `Database.insert(_:)`/`records(_:_:_:)` below, which
// bind and read text by byte count (WholeText.swift): GRDB's own `insert`/`fetchAll` would cut a
// string at its first NUL.

// MARK: Tickets

/// A ticket row: its workflow state, its facts and the SLA index.
public struct TicketRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var customer: Int64
    public var contact: Int64?
    public var product: String
    public var subject: String
    public var channel: Channel
    public var language: Language
    public var classification: Classification?
    public var priority: Int
    public var severity: Int?
    public var status: TicketStatus
    public var assignee: Int64?
    public var eligible: Bool
    public var followUpOf: Int64?
    /// See `TicketState.restrictedToReporter`.
    public var restrictedToReporter: Bool
    public var receivedAt: Date
    public var chargeTakenAt: Date?
    public var closedAt: Date?
    public var version: Int
    public var slaApplicable: Bool
    public var chargeTakingDue: Date?
    public var secondDue: Date?
    public var pausedSince: Date?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: Int64 = 0, customer: Int64, contact: Int64?, product: String, subject: String, channel: Channel,
        language: Language, classification: Classification? = nil, priority: Int, severity: Int?,
        status: TicketStatus, assignee: Int64? = nil, eligible: Bool, followUpOf: Int64? = nil,
        restrictedToReporter: Bool = false, receivedAt: Date,
        chargeTakenAt: Date? = nil, closedAt: Date? = nil, version: Int = 1, slaApplicable: Bool = true,
        chargeTakingDue: Date? = nil, secondDue: Date? = nil, pausedSince: Date? = nil, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.customer = customer
        self.contact = contact
        self.product = product
        self.subject = subject
        self.channel = channel
        self.language = language
        self.classification = classification
        self.priority = priority
        self.severity = severity
        self.status = status
        self.assignee = assignee
        self.eligible = eligible
        self.followUpOf = followUpOf
        self.restrictedToReporter = restrictedToReporter
        self.receivedAt = receivedAt
        self.chargeTakenAt = chargeTakenAt
        self.closedAt = closedAt
        self.version = version
        self.slaApplicable = slaApplicable
        self.chargeTakingDue = chargeTakingDue
        self.secondDue = secondDue
        self.pausedSince = pausedSince
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The part the workflow decides on.
    public var state: TicketState {
        get {
            TicketState(
                status: status, classification: classification, priority: priority, assignee: assignee,
                reporterContact: contact, customer: customer, restrictedToReporter: restrictedToReporter)
        }
        set {
            status = newValue.status
            classification = newValue.classification
            priority = newValue.priority
            assignee = newValue.assignee
            restrictedToReporter = newValue.restrictedToReporter
        }
    }
}

public struct MessageRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var ticket: Int64
    public var authorKind: String
    public var authorID: Int64?
    public var body: String
    public var isInternal: Bool
    public var at: Date
}

public struct HistoryRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var ticket: Int64
    public var at: Date
    public var actorKind: String
    public var actorID: Int64?
    public var action: String
    /// JSON text: `{"field": [before, after], …}`.
    public var changes: String
    /// JSON text: the workflow's events.
    public var events: String
    /// The ticket's version after the change (nil on rows older than v14).
    public var version: Int? = nil
}

public struct OutboxRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var ticket: Int64?
    public var kind: String
    public var language: Language
    public var recipient: String
    public var subject: String
    public var body: String
    public var createdAt: Date
    public var status: String
    /// Delivery attempts made.
    public var attempts: Int = 0
    /// Why the last attempt failed.
    public var lastError: String? = nil
    /// When a pending notification is tried again (nil: due now).
    public var nextAttemptAt: Date? = nil
    public var sentAt: Date? = nil
    /// Given at the first attempt, kept for retries.
    public var messageID: String? = nil
    /// Not to be delivered before this instant (an SLA step fired outside working time).
    public var notBefore: Date? = nil
}

// MARK: Accounts

public struct CustomerRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var code: String
    public var name: String
    public var vatNumber: String?
    public var language: Language
    public var email: String?
    public var createdAt: Date
}

public struct SubscriptionRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var customer: Int64
    public var product: String
    public var mode: SubscriptionMode
    /// First covered date, `YYYY-MM-DD`; nil = since always.
    public var from: String?
    /// Last covered date (included), `YYYY-MM-DD`; nil = open-ended.
    public var to: String?
    public var createdAt: Date

    /// Whether the subscription gives support on `date` (`YYYY-MM-DD`).
    public func covers(_ date: String) -> Bool {
        mode.givesSupport && (from.map { $0 <= date } ?? true) && (to.map { date <= $0 } ?? true)
    }
}

public struct ContactRecord: Sendable, Hashable {
    public var id: Int64
    public var customer: Int64
    public var name: String
    public var email: String
    /// The contact's own language; nil = the customer's.
    public var language: Language?
    public var hasPassword: Bool
    public var createdAt: Date
}

public struct StaffRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var name: String
    public var email: String
    public var role: StaffRole
    public var active: Bool
    public var createdAt: Date
    /// What SLA notifications to them are written in (default `it`).
    public var language: Language
}

/// A login session, found by the SHA-256 (hex) of its token.
public struct SessionRecord: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable { case staff, contact }
    public var tokenHash: String
    public var kind: Kind
    public var subject: Int64
    public var createdAt: Date
    public var lastSeenAt: Date
    public var expiresAt: Date
    /// `passwordChange`: the session may only change the account's password (see
    /// docs/product.md §9); nil: unrestricted.
    public var restriction: String? = nil
    /// How it was opened: `stdio` or `socket`; nil for sessions older than the column.
    public var transport: String? = nil
}

// MARK: GRDB

/// A table row as a GRDB record, with the store's time format.
public protocol StoreRecord: Codable, FetchableRecord, PersistableRecord {}

extension StoreRecord {
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy {
        .custom { StoreTime.text($0) }
    }

    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy {
        .custom { value in String.fromDatabaseValue(value).flatMap(StoreTime.date) }
    }
}

// Enum columns hold their raw values.
extension Channel: DatabaseValueConvertible {}
extension Language: DatabaseValueConvertible {}
extension Classification: DatabaseValueConvertible {}
extension TicketStatus: DatabaseValueConvertible {}
extension StaffRole: DatabaseValueConvertible {}
extension SubscriptionMode: DatabaseValueConvertible {}
extension SessionRecord.Kind: DatabaseValueConvertible {}

extension TicketRecord: StoreRecord {
    public static let databaseTableName = "ticket"

    enum CodingKeys: String, CodingKey {
        case id, customer, contact, product, subject, channel, language, classification, priority, severity, status
        case assignee, eligible, followUpOf, restrictedToReporter = "restricted", receivedAt, chargeTakenAt, closedAt
        case version, slaApplicable, chargeTakingDue, secondDue, pausedSince, createdAt, updatedAt
    }

    /// Reads the row column by column instead of through `Decodable`: a list page decodes 50
    /// tickets of 24 columns, and GRDB's Codable decoding measured 2.2 times slower than this
    /// (`make bench`: 2,313 µs against 1,054 µs a page). Writing still goes through `Encodable`.
    public init(row: Row) throws {
        func corrupt(_ what: String) -> CorruptRecord {
            CorruptRecord(table: "ticket", key: String(row["id"] as Int64), reason: "bad \(what)")
        }
        func time(_ column: String) throws -> Date {
            guard let date = StoreTime.date(row[column]) else { throw corrupt(column) }
            return date
        }
        func optionalTime(_ column: String) throws -> Date? {
            let text: String? = row[column]
            return try text.map { text in
                guard let date = StoreTime.date(text) else { throw corrupt(column) }
                return date
            }
        }
        guard let channel = Channel(rawValue: row["channel"]) else { throw corrupt("channel") }
        guard let language = Language(rawValue: row["language"]) else { throw corrupt("language") }
        guard let status = TicketStatus(rawValue: row["status"]) else { throw corrupt("status") }
        let classificationText: String? = row["classification"]
        let classification = try classificationText.map { text in
            guard let value = Classification(rawValue: text) else { throw corrupt("classification") }
            return value
        }
        self.init(
            id: row["id"], customer: row["customer"], contact: row["contact"], product: row["product"], subject: row["subject"],
            channel: channel, language: language, classification: classification, priority: row["priority"],
            severity: row["severity"], status: status, assignee: row["assignee"], eligible: row["eligible"],
            followUpOf: row["followUpOf"], restrictedToReporter: row["restricted"], receivedAt: try time("receivedAt"),
            chargeTakenAt: try optionalTime("chargeTakenAt"), closedAt: try optionalTime("closedAt"),
            version: row["version"], slaApplicable: row["slaApplicable"], chargeTakingDue: try optionalTime("chargeTakingDue"),
            secondDue: try optionalTime("secondDue"), pausedSince: try optionalTime("pausedSince"),
            createdAt: try time("createdAt"), updatedAt: try time("updatedAt"))
    }
}

extension MessageRecord: StoreRecord {
    public static let databaseTableName = "ticket_message"

    enum CodingKeys: String, CodingKey {
        case id, ticket, authorKind, authorID, body, isInternal = "internal", at
    }
}

extension HistoryRecord: StoreRecord {
    public static let databaseTableName = "ticket_history"
}

extension OutboxRecord: StoreRecord {
    public static let databaseTableName = "outbox"
}

extension CustomerRecord: StoreRecord {
    public static let databaseTableName = "customer"
}

extension SubscriptionRecord: StoreRecord {
    public static let databaseTableName = "subscription"
}

extension SessionRecord: StoreRecord {
    public static let databaseTableName = "auth_session"
}

extension StaffRecord: StoreRecord {
    public static let databaseTableName = "staff"
}

/// Contacts are read as records; `hasPassword` is whether the row's `passwordHash` is set (the
/// hash itself never leaves `AccountStore.credential`). They are inserted by `insertContact`,
/// which writes the hash.
extension ContactRecord: FetchableRecord, Decodable {
    enum CodingKeys: String, CodingKey {
        case id, customer, name, email, language, passwordHash, createdAt
    }

    public init(from decoder: any Decoder) throws {
        let row = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try row.decode(Int64.self, forKey: .id), customer: try row.decode(Int64.self, forKey: .customer),
            name: try row.decode(String.self, forKey: .name), email: try row.decode(String.self, forKey: .email),
            language: try row.decodeIfPresent(Language.self, forKey: .language),
            hasPassword: try row.decodeIfPresent(String.self, forKey: .passwordHash) != nil,
            createdAt: try Self.time(row.decode(String.self, forKey: .createdAt), id: row.decode(Int64.self, forKey: .id)))
    }

    private static func time(_ text: String, id: Int64) throws -> Date {
        guard let date = StoreTime.date(text) else {
            throw CorruptAccountRecord(table: "contact", key: String(id), reason: "bad createdAt")
        }
        return date
    }
}

extension Database {
    /// Inserts `record` with every column it encodes but those in `omitting` (the rowid the
    /// table assigns), text bound whole; returns the new row's rowid.
    @discardableResult
    func insert<Record: StoreRecord>(_ record: Record, omitting: Set<String> = ["id"]) throws -> Int64 {
        let columns = try record.databaseDictionary.filter { !omitting.contains($0.key) }.sorted { $0.key < $1.key }
        let names = columns.map { "\"\($0.key)\"" }.joined(separator: ", ")
        try run(
            "INSERT INTO \(Record.databaseTableName)(\(names)) VALUES (\(databaseQuestionMarks(count: columns.count)))",
            columns.map(\.value), cached: true)
        return lastInsertedRowID
    }

    /// Writes `columns` of `record` to the rows `condition` matches (text bound whole); returns
    /// how many rows changed.
    func update<Record: StoreRecord>(
        _ record: Record, columns: [String], where condition: String, _ arguments: SQLArguments
    ) throws -> Int {
        let values = try record.databaseDictionary
        let assignments = columns.map { "\"\($0)\" = ?" }.joined(separator: ", ")
        try run(
            "UPDATE \(Record.databaseTableName) SET \(assignments) WHERE \(condition)",
            columns.map { values[$0] } + arguments, cached: true)
        return changesCount
    }

    /// The records a query selects, text read whole.
    func records<Record: FetchableRecord>(
        _ type: Record.Type, _ sql: String, _ arguments: SQLArguments = [], cached: Bool = false
    ) throws -> [Record] {
        try rows(sql, arguments, cached: cached).map(Record.init(row:))
    }

    /// The first record a query selects, if any.
    func record<Record: FetchableRecord>(
        _ type: Record.Type, _ sql: String, _ arguments: SQLArguments = [], cached: Bool = false
    ) throws -> Record? {
        try rows(sql, arguments, cached: cached).first.map(Record.init(row:))
    }
}
