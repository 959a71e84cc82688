import Foundation
import GRDB

/// What the desk's gauges read from the database when they are scraped.
public struct StoreGauges: Sendable, Hashable {
    /// Notifications by outbox status (pending, sent, failed, bounced).
    public var outbox: [String: Int]
    /// Open tickets by status.
    public var openTickets: [String: Int]
    /// Open tickets whose SLA index says breached, by SLA policy.
    public var breachedByPolicy: [String: Int]
    /// Mail received through mail.ingest, by outcome.
    public var inboundMail: [String: Int]
}

public enum MetricsStore {
    public static func gauges(_ tx: StoreReader, now: Date) throws -> StoreGauges {
        func counts(_ sql: String, _ arguments: StatementArguments = []) throws -> [String: Int] {
            var result: [String: Int] = [:]
            for row in try Row.fetchAll(tx.db, sql: sql, arguments: arguments) {
                let key: String = row[0]
                result[key] = row[1]
            }
            return result
        }
        let nowText = StoreTime.text(now)
        return StoreGauges(
            outbox: try counts("SELECT status, count(*) FROM outbox GROUP BY status"),
            openTickets: try counts("SELECT status, count(*) FROM ticket WHERE status != 'closed' GROUP BY status"),
            breachedByPolicy: try counts("""
                SELECT p.policy, count(*) FROM ticket t JOIN product p ON p.code = t.product
                WHERE t.status != 'closed' AND (\(TicketStore.slaStateExpression)) = 'breached' GROUP BY p.policy
                """, [nowText, nowText]),
            inboundMail: try counts("SELECT outcome, count(*) FROM inbound_mail GROUP BY outcome"))
    }
}
