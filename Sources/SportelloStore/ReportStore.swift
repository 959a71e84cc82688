import Foundation
import GRDB
import SportelloDomain
#if canImport(GRDBSQLite)
import GRDBSQLite
#else
import SQLite3
#endif

/// A ticket as `sla.report` reads it: the columns its clocks and its groups need.
public struct ReportTicketRow: Sendable {
    public var id: Int64
    public var customer: Int64
    public var product: String
    public var priority: Int
    public var assignee: Int64?
    public var classification: Classification?
    public var status: TicketStatus
    public var receivedAt: Date
    public var chargeTakenAt: Date?
    public var closedAt: Date?
    public var pausedSince: Date?

    /// What the ticket's SLA clocks are derived from.
    public var slaFacts: TicketSLAFacts {
        TicketSLAFacts(
            receivedAt: receivedAt, priority: priority, classification: classification, status: status,
            chargeTakenAt: chargeTakenAt, closedAt: closedAt)
    }
}

/// What `sla.report` reads.
public enum ReportStore {
    /// Calls `body` with each ticket received in `[receivedFrom, before)` with the given values,
    /// in `receivedAt, id` order (by the `ticket_by_received` index), one row at a time.
    ///
    /// Reads the eleven columns it needs straight from the statement, times parsed from their
    /// bytes, and keeps nothing: a report of a year holds up to a million tickets, which were
    /// each decoded into a whole `TicketRecord` (24 columns) and all kept until counted.
    public static func forEachTicket(
        _ tx: StoreReader, receivedFrom: Date, before: Date, priority: Int?, customer: Int64?, assignee: Int64?, product: String?,
        _ body: (ReportTicketRow) throws -> Void
    ) throws {
        var conditions = ["receivedAt >= ?", "receivedAt < ?"]
        var arguments: [(any DatabaseValueConvertible)?] = [StoreTime.text(receivedFrom), StoreTime.text(before)]
        if let priority { conditions.append("priority = ?"); arguments.append(priority) }
        if let customer { conditions.append("customer = ?"); arguments.append(customer) }
        if let assignee { conditions.append("assignee = ?"); arguments.append(assignee) }
        if let product { conditions.append("product = ?"); arguments.append(product) }
        let sql = """
            SELECT id, customer, product, priority, assignee, classification, status, receivedAt, chargeTakenAt, closedAt, pausedSince
            FROM ticket WHERE \(conditions.joined(separator: " AND ")) ORDER BY receivedAt, id
            """
        let statement = try tx.db.makeStatement(sql: sql)
        try statement.setArguments(StatementArguments(arguments))
        let s = statement.sqliteStatement
        let cursor = try Row.fetchCursor(statement)
        // The few distinct texts of the product, classification and status columns, each made
        // into its value once and found again by its bytes (memcmp): comparing through
        // String.UTF8View and switching over strings for every row measured about 7 % of a
        // 1.1-million-ticket report's CPU samples (perf).
        var products = KnownTexts<String> { $0 }
        var classifications = KnownTexts<Classification?> { Classification(rawValue: $0) }
        var statuses = KnownTexts<TicketStatus?> { TicketStatus(rawValue: $0) }
        func corrupt(_ what: String) -> CorruptRecord {
            CorruptRecord(table: "ticket", key: String(sqlite3_column_int64(s, 0)), reason: "bad \(what)")
        }
        func text(_ index: Int32) -> UnsafeBufferPointer<UInt8>? {
            guard sqlite3_column_type(s, index) == SQLITE_TEXT, let bytes = sqlite3_column_text(s, index) else { return nil }
            return UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(s, index)))
        }
        func time(_ index: Int32, _ name: String) throws -> Date? {
            guard let bytes = text(index) else { return nil }
            guard let date = StoreTime.date(bytes: bytes) else { throw corrupt(name) }
            return date
        }
        while try cursor.next() != nil {
            guard let productBytes = text(2) else { throw corrupt("product") }
            let product = products.value(productBytes)
            var classification: Classification?
            if let bytes = text(5) {
                guard let value = classifications.value(bytes) else { throw corrupt("classification") }
                classification = value
            }
            guard let statusBytes = text(6), let status = statuses.value(statusBytes) else { throw corrupt("status") }
            guard let receivedAt = try time(7, "receivedAt") else { throw corrupt("receivedAt") }
            try body(ReportTicketRow(
                id: sqlite3_column_int64(s, 0), customer: sqlite3_column_int64(s, 1), product: product,
                priority: Int(sqlite3_column_int64(s, 3)),
                assignee: sqlite3_column_type(s, 4) == SQLITE_NULL ? nil : sqlite3_column_int64(s, 4),
                classification: classification, status: status, receivedAt: receivedAt,
                chargeTakenAt: try time(8, "chargeTakenAt"), closedAt: try time(9, "closedAt"),
                pausedSince: try time(10, "pausedSince")))
        }
    }

    /// Every customer's code by id.
    public static func customerCodes(_ tx: StoreReader) throws -> [Int64: String] {
        var codes: [Int64: String] = [:]
        for row in try tx.db.rows("SELECT id, code FROM customer") {
            codes[row["id"]] = row["code"]
        }
        return codes
    }
}

/// Values made from a column's text, kept by the text's bytes (a column with few distinct values).
private struct KnownTexts<Value> {
    private var known: [(bytes: [UInt8], value: Value)] = []
    private let make: (String) -> Value

    init(_ make: @escaping (String) -> Value) { self.make = make }

    mutating func value(_ bytes: UnsafeBufferPointer<UInt8>) -> Value {
        for entry in known where entry.bytes.count == bytes.count {
            let same = entry.bytes.withUnsafeBufferPointer { stored in
                bytes.isEmpty || memcmp(stored.baseAddress!, bytes.baseAddress!, bytes.count) == 0
            }
            if same { return entry.value }
        }
        let value = make(String(decoding: bytes, as: UTF8.self))
        known.append((Array(bytes), value))
        return value
    }
}
