import Foundation
import GRDB
import SportelloDomain

// MARK: Records

/// A maintenance window row.
public struct MaintenanceWindowRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var startsAt: Date
    public var endsAt: Date
    public var titleIt: String
    public var titleEn: String
    public var descriptionIt: String?
    public var descriptionEn: String?
    public var announce: Bool
    public var urgent: Bool
    public var urgentReason: String?
    /// Announced with the required notice (its outage minutes are excluded from the downtime).
    public var inTime: Bool
    /// `scheduled` or `cancelled`.
    public var status: String
    public var cancelReason: String?
    public var createdBy: Int64?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: Int64 = 0, startsAt: Date, endsAt: Date, titleIt: String, titleEn: String, descriptionIt: String?,
        descriptionEn: String?, announce: Bool, urgent: Bool, urgentReason: String?, inTime: Bool, status: String = "scheduled",
        cancelReason: String? = nil, createdBy: Int64?, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.titleIt = titleIt
        self.titleEn = titleEn
        self.descriptionIt = descriptionIt
        self.descriptionEn = descriptionEn
        self.announce = announce
        self.urgent = urgent
        self.urgentReason = urgentReason
        self.inTime = inTime
        self.status = status
        self.cancelReason = cancelReason
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

extension MaintenanceWindowRecord: StoreRecord {
    public static let databaseTableName = "maintenance_window"
}

/// An outage row.
public struct OutageRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var startsAt: Date
    public var endsAt: Date?
    public var cause: String
    /// `partial` or `total`.
    public var severity: String
    public var createdBy: Int64?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: Int64 = 0, startsAt: Date, endsAt: Date?, cause: String, severity: String, createdBy: Int64?, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.cause = cause
        self.severity = severity
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

extension OutageRecord: StoreRecord {
    public static let databaseTableName = "outage"
}

/// A customer to announce to: the company, its language and where to write.
public struct AnnouncementAudience: Sendable, Hashable {
    public var customer: Int64
    public var name: String
    public var language: Language
    /// The company's address first, then its contacts', each once.
    public var recipients: [String]
}

// MARK: Functions

/// Maintenance windows and outages. Every function runs in the caller's transaction; none
/// checks who is asking (the service does).
public enum MaintenanceStore {
    // MARK: Windows

    public static func insertWindow(_ tx: StoreWriter, _ record: MaintenanceWindowRecord, products: [String]) throws -> Int64 {
        let id = try tx.db.insert(record)
        for product in products {
            try tx.db.run("INSERT INTO maintenance_product(maintenance, product) VALUES (?, ?)", [id, product])
        }
        return id
    }

    public static func updateWindow(_ tx: StoreWriter, _ record: MaintenanceWindowRecord) throws {
        try tx.db.run(
            "UPDATE maintenance_window SET startsAt = ?, endsAt = ?, urgent = ?, urgentReason = ?, inTime = ?, status = ?, cancelReason = ?, updatedAt = ? WHERE id = ?",
            [StoreTime.text(record.startsAt), StoreTime.text(record.endsAt), record.urgent, record.urgentReason, record.inTime,
             record.status, record.cancelReason, StoreTime.text(record.updatedAt), record.id])
    }

    public static func window(_ tx: StoreReader, id: Int64) throws -> MaintenanceWindowRecord? {
        try tx.db.record(MaintenanceWindowRecord.self, "SELECT * FROM maintenance_window WHERE id = ?", [id])
    }

    public static func products(_ tx: StoreReader, window: Int64) throws -> [String] {
        try tx.db.values(String.self, "SELECT product FROM maintenance_product WHERE maintenance = ? ORDER BY product", [window])
    }

    /// Windows overlapping `[from, to)` (either open), touching `products` when given, by start.
    public static func windows(_ tx: StoreReader, from: Date?, to: Date?, products: [String]?) throws -> [MaintenanceWindowRecord] {
        var conditions: [String] = []
        var arguments: SQLArguments = []
        if let from { conditions.append("endsAt > ?"); arguments += [StoreTime.text(from)] }
        if let to { conditions.append("startsAt < ?"); arguments += [StoreTime.text(to)] }
        if let products {
            conditions.append("id IN (SELECT maintenance FROM maintenance_product WHERE product IN (\(products.map { _ in "?" }.joined(separator: ", "))))")
            for product in products { arguments += [product] }
        }
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        return try tx.db.records(MaintenanceWindowRecord.self, "SELECT * FROM maintenance_window" + whereClause + " ORDER BY startsAt, id", arguments)
    }

    public static func addRecipient(_ tx: StoreWriter, window: Int64, customer: Int64) throws {
        try tx.db.run("INSERT OR IGNORE INTO maintenance_recipient(maintenance, customer) VALUES (?, ?)", [window, customer])
    }

    public static func recipients(_ tx: StoreReader, window: Int64) throws -> [Int64] {
        try tx.db.values(Int64.self, "SELECT customer FROM maintenance_recipient WHERE maintenance = ? ORDER BY customer", [window])
    }

    /// The customers holding one of `products` in `cloudSaas` or `subscription` mode on `day`
    /// (an active subscription), with their addresses, by id.
    public static func audience(_ tx: StoreReader, products: [String]?, on day: LocalDate) throws -> [AnnouncementAudience] {
        var sql = """
            SELECT DISTINCT customer FROM subscription
            WHERE mode IN ('cloudSaas', 'subscription') AND ("from" IS NULL OR "from" <= ?) AND ("to" IS NULL OR "to" >= ?)
            """
        var arguments: SQLArguments = [day.iso, day.iso]
        if let products {
            sql += " AND product IN (\(products.map { _ in "?" }.joined(separator: ", ")))"
            for product in products { arguments += [product] }
        }
        return try audience(tx, customers: try tx.db.values(Int64.self, sql + " ORDER BY customer", arguments))
    }

    /// The given customers with their addresses.
    public static func audience(_ tx: StoreReader, customers: [Int64]) throws -> [AnnouncementAudience] {
        try customers.compactMap { id -> AnnouncementAudience? in
            guard let customer = try AccountStore.customer(tx, id: id) else { return nil }
            var recipients: [String] = []
            for email in [customer.email].compactMap({ $0 }) + (try tx.db.values(String.self, "SELECT email FROM contact WHERE customer = ? ORDER BY id", [id]))
            where !recipients.contains(where: { $0.caseInsensitiveCompare(email) == .orderedSame }) {
                recipients.append(email)
            }
            return AnnouncementAudience(customer: id, name: customer.name, language: customer.language, recipients: recipients)
        }
    }

    /// The products a customer holds in an active subscription on `day`.
    public static func activeProducts(_ tx: StoreReader, customer: Int64, on day: LocalDate) throws -> [String] {
        try tx.db.values(String.self, """
            SELECT DISTINCT product FROM subscription
            WHERE customer = ? AND mode IN ('cloudSaas', 'subscription') AND ("from" IS NULL OR "from" <= ?) AND ("to" IS NULL OR "to" >= ?)
            ORDER BY product
            """, [customer, day.iso, day.iso])
    }

    /// The products whose SLA policy runs on `calendar` (the customers a support calendar serves).
    public static func products(_ tx: StoreReader, servedBy calendar: String) throws -> [String] {
        try tx.db.values(String.self, """
            SELECT p.code FROM product p JOIN sla_policy s ON s.name = p.policy WHERE s.calendar = ? ORDER BY p.code
            """, [calendar])
    }

    public static func productExists(_ tx: StoreReader, _ code: String) throws -> Bool {
        try tx.db.value(Int64.self, "SELECT count(*) FROM product WHERE code = ?", [code]) ?? 0 > 0
    }

    // MARK: Outages

    public static func insertOutage(_ tx: StoreWriter, _ record: OutageRecord, products: [String]) throws -> Int64 {
        let id = try tx.db.insert(record)
        for product in products {
            try tx.db.run(
                "INSERT INTO outage_product(outage, product, startsAt, endsAt) VALUES (?, ?, ?, ?)",
                [id, product, StoreTime.text(record.startsAt), record.endsAt.map(StoreTime.text)])
            if let end = record.endsAt { try noteLength(tx, product: product, seconds: end.timeIntervalSince(record.startsAt)) }
        }
        return id
    }

    /// Ends an ongoing outage at `at`.
    public static func endOutage(_ tx: StoreWriter, id: Int64, at: Date, now: Date) throws {
        guard let record = try outage(tx, id: id) else { return }
        try tx.db.run("UPDATE outage SET endsAt = ?, updatedAt = ? WHERE id = ?", [StoreTime.text(at), StoreTime.text(now), id])
        try tx.db.run("UPDATE outage_product SET endsAt = ? WHERE outage = ?", [StoreTime.text(at), id])
        for product in try outageProducts(tx, outage: id) {
            try noteLength(tx, product: product, seconds: at.timeIntervalSince(record.startsAt))
        }
    }

    private static func noteLength(_ tx: StoreWriter, product: String, seconds: Double) throws {
        try tx.db.run("""
            INSERT INTO outage_longest(product, seconds) VALUES (?, ?)
            ON CONFLICT(product) DO UPDATE SET seconds = max(seconds, excluded.seconds)
            """, [product, Int64(seconds.rounded(.up))])
    }

    public static func outage(_ tx: StoreReader, id: Int64) throws -> OutageRecord? {
        try tx.db.record(OutageRecord.self, "SELECT * FROM outage WHERE id = ?", [id])
    }

    public static func outageProducts(_ tx: StoreReader, outage: Int64) throws -> [String] {
        try tx.db.values(String.self, "SELECT product FROM outage_product WHERE outage = ? ORDER BY product", [outage])
    }

    /// Outages of `product` with `cause` overlapping `[from, to)` (an ongoing one counts as open-ended).
    public static func overlapping(_ tx: StoreReader, product: String, cause: String, from: Date, to: Date?) throws -> Int64? {
        var sql = """
            SELECT o.id FROM outage_product p JOIN outage o ON o.id = p.outage
            WHERE p.product = ? AND o.cause = ? AND (p.endsAt IS NULL OR p.endsAt > ?)
            """
        var arguments: SQLArguments = [product, cause, StoreTime.text(from)]
        if let to { sql += " AND p.startsAt < ?"; arguments += [StoreTime.text(to)] }
        return try tx.db.value(Int64.self, sql + " ORDER BY o.id LIMIT 1", arguments)
    }

    /// Outages overlapping `[from, to)`, touching `product` when given, by start.
    public static func outages(_ tx: StoreReader, from: Date?, to: Date?, product: String?) throws -> [OutageRecord] {
        var conditions: [String] = []
        var arguments: SQLArguments = []
        if let from { conditions.append("(endsAt IS NULL OR endsAt > ?)"); arguments += [StoreTime.text(from)] }
        if let to { conditions.append("startsAt < ?"); arguments += [StoreTime.text(to)] }
        if let product { conditions.append("id IN (SELECT outage FROM outage_product WHERE product = ?)"); arguments += [product] }
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        return try tx.db.records(OutageRecord.self, "SELECT * FROM outage" + whereClause + " ORDER BY startsAt, id", arguments)
    }

    /// The outage spans of `product` that may touch `[from, to)`, each as `(start, end?)` in
    /// store text: those starting in the month or up to the product's longest outage before it,
    /// and the ongoing ones.
    public static func outageSpans(_ tx: StoreReader, product: String, from: Date, to: Date) throws -> [(Date, Date?)] {
        let longest = try tx.db.value(Int64.self, "SELECT seconds FROM outage_longest WHERE product = ?", [product], cached: true) ?? 0
        let lower = from.addingTimeInterval(-Double(longest))
        let rows = try tx.db.rows("""
            SELECT startsAt, endsAt FROM outage_product
            WHERE product = ? AND startsAt >= ? AND startsAt < ? AND endsAt IS NOT NULL AND endsAt > ?
            UNION ALL
            SELECT startsAt, endsAt FROM outage_product INDEXED BY outage_product_ongoing
            WHERE product = ? AND endsAt IS NULL AND startsAt < ?
            """, [product, StoreTime.text(lower), StoreTime.text(to), StoreTime.text(from), product, StoreTime.text(to)], cached: true)
        return rows.compactMap { row in
            guard let start = StoreTime.date(row[0]) else { return nil }
            let end: String? = row[1]
            return (start, end.flatMap(StoreTime.date))
        }
    }

    /// The windows of `product`, scheduled and announced in time, overlapping `[from, to)`.
    public static func excludedWindows(_ tx: StoreReader, product: String, from: Date, to: Date) throws -> [(Date, Date)] {
        let rows = try tx.db.rows("""
            SELECT w.startsAt, w.endsAt FROM maintenance_window w JOIN maintenance_product p ON p.maintenance = w.id
            WHERE p.product = ? AND w.status = 'scheduled' AND w.inTime = 1 AND w.startsAt < ? AND w.endsAt > ?
            """, [product, StoreTime.text(to), StoreTime.text(from)], cached: true)
        return rows.compactMap { row in
            guard let start = StoreTime.date(row[0]), let end = StoreTime.date(row[1]) else { return nil }
            return (start, end)
        }
    }
}
