import GRDB

extension Migrations {
    /// The version a ticket had after each change, on the change's history row: what a live
    /// event carries (a subscriber that sees version 7 after 5 knows it missed one) and what a
    /// replay after a reconnect gives again. Rows written before this have none (NULL).
    static let v14HistoryVersion = Migration(identifier: "v14-history-version") { db in
        try db.execute(sql: "ALTER TABLE ticket_history ADD COLUMN version INTEGER")
    }
}
