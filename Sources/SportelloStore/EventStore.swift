import Foundation
import GRDB
import SportelloDomain

/// What live events are read from: the history rows (every committed change to a ticket, in
/// commit order by id) and the outbox rows (every notification queued). A subscriber's place
/// in the stream is a history row id, its `sequence`.
public enum EventStore {
    /// One queued notification as an event carries it.
    public struct QueuedNotification: Sendable {
        public var id: Int64
        public var ticket: Int64?
        public var kind: String
        public var language: String
        public var recipient: String
        public var createdAt: Date
        public var notBefore: Date?
    }

    /// The newest history row's id (0 when there is none).
    public static func lastSequence(_ tx: StoreReader) throws -> Int64 {
        try tx.db.value(Int64.self, "SELECT max(id) FROM ticket_history", cached: true) ?? 0
    }

    /// The newest outbox row's id (0 when there is none).
    public static func lastNotification(_ tx: StoreReader) throws -> Int64 {
        try tx.db.value(Int64.self, "SELECT max(id) FROM outbox", cached: true) ?? 0
    }

    /// The changes after `sequence` up to `through` (inclusive), oldest first, at most `limit`;
    /// only `ticket`'s when given. Operators' `read` rows are not changes and are left out.
    public static func changes(
        _ tx: StoreReader, after sequence: Int64, through: Int64 = .max, ticket: Int64? = nil, limit: Int
    ) throws -> [HistoryRecord] {
        let rows: [Row]
        if let ticket {
            rows = try tx.db.rows("""
                SELECT id, ticket, at, actorKind, actorID, action, changes, events, version FROM ticket_history
                WHERE ticket = ? AND id > ? AND id <= ? AND action <> 'read' ORDER BY id LIMIT ?
                """, [ticket, sequence, through, limit], cached: true)
        } else {
            rows = try tx.db.rows("""
                SELECT id, ticket, at, actorKind, actorID, action, changes, events, version FROM ticket_history
                WHERE id > ? AND id <= ? AND action <> 'read' ORDER BY id LIMIT ?
                """, [sequence, through, limit], cached: true)
        }
        return try rows.map { row in
            HistoryRecord(
                id: row[0], ticket: row[1], at: try TicketStore.time(row[2]), actorKind: row[3], actorID: row[4],
                action: row[5], changes: row[6], events: row[7], version: row[8])
        }
    }

    /// The last history row of `ticket` whose version is at most `version`: where a replay of
    /// that ticket's changes after `version` starts (0: from its first row).
    public static func sequence(_ tx: StoreReader, ticket: Int64, atVersion version: Int) throws -> Int64 {
        try tx.db.value(
            Int64.self, "SELECT max(id) FROM ticket_history WHERE ticket = ? AND version <= ?", [ticket, version]) ?? 0
    }

    /// The last history row written before `instant` (0: none), read backwards from the newest,
    /// so that only the rows after `instant` are looked at (no index on `at` to keep up).
    public static func sequence(_ tx: StoreReader, before instant: Date) throws -> Int64 {
        try tx.db.value(
            Int64.self,
            "SELECT id FROM ticket_history WHERE at < ? ORDER BY id DESC LIMIT 1",
            [StoreTime.text(instant)]) ?? 0
    }

    /// When the first change after `sequence` (of `ticket`, when given) was made; nil: none since.
    public static func firstChangeAt(_ tx: StoreReader, after sequence: Int64, ticket: Int64? = nil) throws -> Date? {
        let text: String?
        if let ticket {
            text = try tx.db.value(
                String.self, "SELECT at FROM ticket_history WHERE ticket = ? AND id > ? ORDER BY id LIMIT 1", [ticket, sequence])
        } else {
            text = try tx.db.value(String.self, "SELECT at FROM ticket_history WHERE id > ? ORDER BY id LIMIT 1", [sequence])
        }
        return try text.map(TicketStore.time)
    }

    /// The notifications queued after outbox row `id`, oldest first, at most `limit`.
    public static func notifications(_ tx: StoreReader, after id: Int64, limit: Int) throws -> [QueuedNotification] {
        let rows = try tx.db.rows("""
            SELECT id, ticket, kind, language, recipient, createdAt, notBefore FROM outbox WHERE id > ? ORDER BY id LIMIT ?
            """, [id, limit], cached: true)
        return try rows.map { row in
            let notBefore: String? = row[6]
            return QueuedNotification(
                id: row[0], ticket: row[1], kind: row[2], language: row[3], recipient: row[4], createdAt: try TicketStore.time(row[5]),
                notBefore: try notBefore.map(TicketStore.time))
        }
    }
}
