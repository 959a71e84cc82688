import Foundation
import GRDB
import SportelloDomain

/// What `sla.report` reads.
public enum ReportStore {
    /// The tickets received in `[receivedFrom, before)` with the given values (by the
    /// `ticket_by_received` index).
    public static func tickets(
        _ tx: StoreReader, receivedFrom: Date, before: Date, priority: Int?, customer: Int64?, assignee: Int64?, product: String?
    ) throws -> [TicketRecord] {
        var conditions = ["receivedAt >= ?", "receivedAt < ?"]
        var arguments: SQLArguments = [StoreTime.text(receivedFrom), StoreTime.text(before)]
        if let priority { conditions.append("priority = ?"); arguments += [priority] }
        if let customer { conditions.append("customer = ?"); arguments += [customer] }
        if let assignee { conditions.append("assignee = ?"); arguments += [assignee] }
        if let product { conditions.append("product = ?"); arguments += [product] }
        return try tx.db.records(
            TicketRecord.self, "SELECT * FROM ticket WHERE \(conditions.joined(separator: " AND ")) ORDER BY receivedAt, id", arguments)
    }

    /// Customer codes by id.
    public static func customerCodes(_ tx: StoreReader, ids: Set<Int64>) throws -> [Int64: String] {
        var codes: [Int64: String] = [:]
        for row in try tx.db.rows("SELECT id, code FROM customer") where ids.contains(row["id"]) {
            codes[row["id"]] = row["code"]
        }
        return codes
    }
}
