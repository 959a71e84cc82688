import Foundation
import GRDB
import SportelloDomain

/// The filters of `ticket.list`, already checked and resolved by the service.
public struct TicketFilter: Sendable {
    public enum Visibility: Sendable {
        /// Every ticket (system, admins, care managers).
        case all
        /// Tickets assigned to this staff member (operators).
        case assignedTo(Int64)
        /// The company's tickets, except vulnerability reports (and unclassified follow-ups of
        /// them) by someone else (contacts).
        case contact(id: Int64, customer: Int64)
    }

    public var visibility: Visibility
    public var status: TicketStatus?
    public var assignee: Int64?
    public var customer: Int64?
    public var classification: Classification?
    public var priority: Int?
    public var slaState: SLAClockState?
    public var query: String?
    /// Only ids below this one (the cursor), newest first.
    public var before: Int64?
    public var limit: Int
    public var now: Date

    public init(
        visibility: Visibility, status: TicketStatus? = nil, assignee: Int64? = nil, customer: Int64? = nil,
        classification: Classification? = nil, priority: Int? = nil, slaState: SLAClockState? = nil, query: String? = nil,
        before: Int64? = nil, limit: Int = 50, now: Date
    ) {
        self.visibility = visibility
        self.status = status
        self.assignee = assignee
        self.customer = customer
        self.classification = classification
        self.priority = priority
        self.slaState = slaState
        self.query = query
        self.before = before
        self.limit = limit
        self.now = now
    }
}

/// A search text the full-text index cannot take (FTS5's own words in `reason`): the caller's
/// `query`, not the server, is at fault.
public struct SearchQueryError: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { "search query refused: \(reason)" }
}

public enum TicketStore {
    // MARK: Tickets

    public static func insert(_ tx: StoreWriter, _ ticket: TicketRecord) throws -> Int64 {
        try tx.db.insert(ticket)
    }

    /// Writes the changed ticket if its version is still `expectedVersion`; false when another
    /// change got there first.
    public static func update(_ tx: StoreWriter, _ ticket: TicketRecord, expectedVersion: Int) throws -> Bool {
        try tx.db.update(ticket, columns: changingColumns, where: "id = ? AND version = ?", [ticket.id, expectedVersion]) == 1
    }

    /// What a change may write: the workflow's state, the clocks' instants and the SLA index
    /// (who the ticket is for, what it is about and when it arrived never change).
    static let changingColumns = [
        "classification", "priority", "status", "assignee", "restricted", "chargeTakenAt", "closedAt", "version",
        "slaApplicable", "chargeTakingDue", "secondDue", "pausedSince", "updatedAt",
    ]

    public static func ticket(_ tx: StoreReader, id: Int64) throws -> TicketRecord? {
        try tx.db.record(TicketRecord.self, "SELECT * FROM ticket WHERE id = ?", [id], cached: true)
    }

    /// Several tickets at once, by id (the origins of a page's follow-ups).
    public static func tickets(_ tx: StoreReader, ids: Set<Int64>) throws -> [Int64: TicketRecord] {
        guard !ids.isEmpty else { return [:] }
        let tickets = try tx.db.records(
            TicketRecord.self, "SELECT * FROM ticket WHERE id IN (\(databaseQuestionMarks(count: ids.count)))", ids.map { $0 })
        return Dictionary(uniqueKeysWithValues: tickets.map { ($0.id, $0) })
    }

    /// One page of the tickets `filter` lets through, newest first.
    public static func list(_ tx: StoreReader, _ filter: TicketFilter) throws -> [TicketRecord] {
        var conditions: [String] = []
        var arguments: SQLArguments = []
        switch filter.visibility {
        case .all:
            break
        case .assignedTo(let staff):
            conditions.append("t.assignee = ?")
            arguments += [staff]
        case .contact(let contact, let customer):
            // TicketState.isVisibleToReporterOnly, in SQL: the search below is limited by it too.
            conditions.append(
                "t.customer = ? AND ((t.classification IS NOT 'vulnerability' AND t.restricted = 0) OR t.contact = ?)")
            arguments += [customer, contact]
        }
        /// `t.column = value` when the filter names a value.
        func equal(_ column: String, _ value: (any DatabaseValueConvertible)?) {
            guard let value else { return }
            conditions.append("t.\(column) = ?")
            arguments.append(value)
        }
        equal("status", filter.status?.rawValue)
        equal("assignee", filter.assignee)
        equal("customer", filter.customer)
        equal("classification", filter.classification?.rawValue)
        equal("priority", filter.priority)
        if let state = filter.slaState {
            conditions.append("(\(slaStateExpression)) = ?")
            let now = StoreTime.text(filter.now)
            arguments += [now, now, state.rawValue]
        }
        if let before = filter.before {
            conditions.append("t.id < ?")
            arguments += [before]
        }
        if let query = filter.query {
            let internalAllowed: Bool = if case .contact = filter.visibility { false } else { true }
            conditions.append(
                "t.id IN (SELECT ticket FROM ticket_search WHERE ticket_search MATCH ?\(internalAllowed ? "" : " AND internal = 0"))")
            arguments += [ftsQuery(query)]
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments += [filter.limit]
        do {
            return try tx.db.records(TicketRecord.self, "SELECT t.* FROM ticket t \(whereClause) ORDER BY t.id DESC LIMIT ?", arguments)
        } catch let error as DatabaseError where filter.query != nil && error.resultCode == .SQLITE_ERROR {
            // The only plain SQL error this statement can meet is FTS5 refusing the search text.
            throw SearchQueryError(reason: error.message ?? "the full-text index refused it")
        }
    }

    /// The ticket's SLA summary in SQL, from the index columns (two `now` arguments):
    /// notApplicable, breached (a clock past its due, running or stopped late), paused,
    /// met (both stopped in time), running.
    static let slaStateExpression = """
        CASE
            WHEN t.slaApplicable = 0 THEN 'notApplicable'
            WHEN (t.chargeTakenAt IS NULL AND t.chargeTakingDue < ?)
              OR (t.chargeTakenAt > t.chargeTakingDue)
              OR (t.closedAt IS NULL AND t.pausedSince IS NULL AND t.secondDue < ?)
              OR (t.pausedSince > t.secondDue)
              OR (t.closedAt > t.secondDue) THEN 'breached'
            WHEN t.pausedSince IS NOT NULL THEN 'paused'
            WHEN t.closedAt IS NOT NULL THEN 'met'
            ELSE 'running'
        END
        """

    /// Each word of a user's search as a quoted FTS5 string: no operator can be injected,
    /// and every word must match (prefix match on the last one, for search-as-you-type).
    static func ftsQuery(_ text: String) -> String {
        let words = text.split(whereSeparator: { $0.isWhitespace || $0.isPunctuation && $0 != "'" }).map {
            "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        guard let last = words.last else { return "\"\"" }
        return (words.dropLast() + [last + "*"]).joined(separator: " ")
    }

    // MARK: Messages, history, outbox, search

    @discardableResult
    public static func addMessage(
        _ tx: StoreWriter, ticket: Int64, authorKind: String, authorID: Int64?, body: String, isInternal: Bool, at: Date,
        subject: String? = nil
    ) throws -> Int64 {
        let id = try tx.db.insert(
            MessageRecord(id: 0, ticket: ticket, authorKind: authorKind, authorID: authorID, body: body, isInternal: isInternal, at: at))
        let text = subject.map { $0 + "\n" + body } ?? body
        try tx.db.run(
            "INSERT INTO ticket_search(text, ticket, internal) VALUES (?, ?, ?)",
            [text, ticket, isInternal], cached: true)
        return id
    }

    /// The id of the ticket's newest message.
    public static func lastMessageID(_ tx: StoreReader, ticket: Int64) throws -> Int64 {
        try tx.db.value(Int64.self, "SELECT max(id) FROM ticket_message WHERE ticket = ?", [ticket], cached: true) ?? 0
    }

    public static func messages(_ tx: StoreReader, ticket: Int64, includeInternal: Bool) throws -> [MessageRecord] {
        try tx.db.records(
            MessageRecord.self,
            "SELECT * FROM ticket_message WHERE ticket = ?\(includeInternal ? "" : " AND internal = 0") ORDER BY id", [ticket])
    }

    /// One history row. `version` is the ticket's version after the change; nil takes the
    /// ticket's stored one (a change that writes no new version, such as an SLA step fired).
    public static func addHistory(
        _ tx: StoreWriter, ticket: Int64, at: Date, actorKind: String, actorID: Int64?, action: String, changes: String,
        events: String, version: Int? = nil
    ) throws {
        // Fixed SQL on a kept statement rather than `insert(HistoryRecord(…))`, which encodes the
        // record into a dictionary and rebuilds its SQL per row: a first sweep writes one row per
        // step fired (see `make bench`).
        let values: [KeptValue] = [
            .int(ticket), .text(StoreTime.text(at)), .text(actorKind), .int(actorID), .text(action), .text(changes), .text(events),
        ]
        if let version {
            try tx.db.runKept(
                "INSERT INTO ticket_history(ticket, at, actorKind, actorID, action, changes, events, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                values + [.int(Int64(version))])
        } else {
            try tx.db.runKept(
                """
                INSERT INTO ticket_history(ticket, at, actorKind, actorID, action, changes, events, version)
                VALUES (?1, ?, ?, ?, ?, ?, ?, (SELECT version FROM ticket WHERE id = ?1))
                """,
                values)
        }
    }

    public static func history(_ tx: StoreReader, ticket: Int64) throws -> [HistoryRecord] {
        try tx.db.records(HistoryRecord.self, "SELECT * FROM ticket_history WHERE ticket = ? ORDER BY id", [ticket])
    }

    /// The intervals the ticket spent in `waitingCustomer`, from its history (the last one open
    /// while it still waits): what pauses the second SLA clock.
    public static func waitingIntervals(_ tx: StoreReader, ticket: Int64) throws -> [(from: Date, to: Date?)] {
        try waitingIntervals(tx, tickets: [ticket])[ticket] ?? []
    }

    /// The waiting intervals of several tickets at once (a list page, a sweep, a report).
    ///
    /// Only history rows that mention `waitingCustomer` can start or end a wait, and the v13
    /// index `ticket_history_waiting` holds just those: a few tickets are looked up in it, many
    /// read it whole (no list of ids to bind, and no ticket's other history read).
    public static func waitingIntervals(_ tx: StoreReader, tickets: [Int64]) throws -> [Int64: [(from: Date, to: Date?)]] {
        guard !tickets.isEmpty else { return [:] }
        return try waitingIntervals(tx, tickets: Set(tickets), list: tickets)
    }

    /// The waiting intervals of every ticket that ever waited (a report of a long period).
    public static func waitingIntervalsOfAll(_ tx: StoreReader) throws -> [Int64: [(from: Date, to: Date?)]] {
        try waitingIntervals(tx, tickets: nil, list: [])
    }

    private static func waitingIntervals(
        _ tx: StoreReader, tickets wanted: Set<Int64>?, list tickets: [Int64]
    ) throws -> [Int64: [(from: Date, to: Date?)]] {
        var intervals: [Int64: [(from: Date, to: Date?)]] = [:]
        let columns = """
            SELECT ticket, at, json_extract(changes, '$.status[0]') AS before, json_extract(changes, '$.status[1]') AS after
            FROM ticket_history
            """
        var rows: [Row]
        if wanted != nil, tickets.count <= 500 {
            rows = try tx.db.rows("""
                \(columns)
                WHERE ticket IN (\(databaseQuestionMarks(count: tickets.count))) AND instr(changes, 'waitingCustomer') > 0
                  AND json_extract(changes, '$.status') IS NOT NULL
                ORDER BY ticket, id
                """,
                tickets.map { $0 })
        } else {
            rows = try tx.db.rows("""
                \(columns)
                WHERE instr(changes, 'waitingCustomer') > 0 AND json_extract(changes, '$.status') IS NOT NULL
                ORDER BY ticket, id
                """)
            if let wanted { rows.removeAll { !wanted.contains($0["ticket"]) } }
        }
        let waiting = TicketStatus.waitingCustomer.rawValue
        for row in rows {
            let ticket: Int64 = row["ticket"]
            let at = try time(row["at"])
            let before: String? = row["before"]
            let after: String? = row["after"]
            if after == waiting, before != after {
                intervals[ticket, default: []].append((at, nil))
            } else if before == waiting, after != before, var list = intervals[ticket], let last = list.last, last.to == nil {
                list[list.count - 1].to = at
                intervals[ticket] = list
            }
        }
        return intervals
    }

    /// What a ticket view shows of the people it names, for many tickets at once.
    public struct People: Sendable {
        public var customers: [Int64: (code: String, name: String)] = [:]
        public var contacts: [Int64: (name: String, email: String)] = [:]
        public var staff: [Int64: String] = [:]
    }

    public static func people(_ tx: StoreReader, customers: Set<Int64>, contacts: Set<Int64>, staff: Set<Int64>) throws -> People {
        var people = People()
        if !customers.isEmpty {
            for row in try tx.db.rows(
                "SELECT id, code, name FROM customer WHERE id IN (\(databaseQuestionMarks(count: customers.count)))",
                customers.map { $0 })
            {
                people.customers[row["id"]] = (row["code"], row["name"])
            }
        }
        if !contacts.isEmpty {
            for row in try tx.db.rows(
                "SELECT id, name, email FROM contact WHERE id IN (\(databaseQuestionMarks(count: contacts.count)))",
                contacts.map { $0 })
            {
                people.contacts[row["id"]] = (row["name"], row["email"])
            }
        }
        if !staff.isEmpty {
            for row in try tx.db.rows(
                "SELECT id, name FROM staff WHERE id IN (\(databaseQuestionMarks(count: staff.count)))",
                staff.map { $0 })
            {
                people.staff[row["id"]] = row["name"]
            }
        }
        return people
    }

    public static func enqueue(
        _ tx: StoreWriter, ticket: Int64?, kind: String, language: Language, recipient: String, subject: String, body: String,
        at: Date, notBefore: Date? = nil
    ) throws {
        // A new notification: pending, no attempt yet (the other columns NULL), as
        // `insert(OutboxRecord(…))` wrote it, on a kept statement (see `addHistory`).
        try tx.db.runKept(
            """
            INSERT INTO outbox(ticket, kind, language, recipient, subject, body, createdAt, status, attempts, notBefore)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?)
            """,
            [.int(ticket), .text(kind), .text(language.rawValue), .text(recipient), .text(subject), .text(body), .text(StoreTime.text(at)),
             .text(notBefore.map(StoreTime.text))])
    }

    /// One outbox row.
    public static func notification(_ tx: StoreReader, id: Int64) throws -> OutboxRecord? {
        try tx.db.record(OutboxRecord.self, "SELECT * FROM outbox WHERE id = ?", [id])
    }

    /// Outbox rows, newest first; with `assignee`, only those of tickets assigned to that staff member.
    public static func outbox(
        _ tx: StoreReader, ticket: Int64?, kind: String?, excludingKinds: [String] = [], assignee: Int64? = nil,
        before: Int64?, limit: Int
    ) throws -> [OutboxRecord] {
        var conditions: [String] = []
        var arguments: SQLArguments = []
        if !excludingKinds.isEmpty {
            conditions.append("kind NOT IN (\(Array(repeating: "?", count: excludingKinds.count).joined(separator: ", ")))")
            arguments += excludingKinds.map { $0 as (any DatabaseValueConvertible)? }
        }
        if let assignee {
            conditions.append("ticket IN (SELECT id FROM ticket WHERE assignee = ?)")
            arguments += [assignee]
        }
        if let ticket {
            conditions.append("ticket = ?")
            arguments += [ticket]
        }
        if let kind {
            conditions.append("kind = ?")
            arguments += [kind]
        }
        if let before {
            conditions.append("id < ?")
            arguments += [before]
        }
        arguments += [limit]
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try tx.db.records(OutboxRecord.self, "SELECT * FROM outbox \(whereClause) ORDER BY id DESC LIMIT ?", arguments)
    }

    // MARK: Idempotency

    public static func idempotentTicket(_ tx: StoreReader, principal: String, key: String) throws -> (ticket: Int64, digest: String)? {
        try tx.db.row(
            "SELECT ticket, paramsDigest FROM ticket_idempotency WHERE principal = ? AND key = ?",
            [principal, key]
        ).map { ($0["ticket"], $0["paramsDigest"]) }
    }

    public static func rememberIdempotency(_ tx: StoreWriter, principal: String, key: String, digest: String, ticket: Int64, at: Date) throws {
        try tx.db.run(
            "INSERT INTO ticket_idempotency(principal, key, paramsDigest, ticket, createdAt) VALUES (?, ?, ?, ?, ?)",
            [principal, key, digest, ticket, StoreTime.text(at)], cached: true)
    }

    // MARK: Rows

    static func time(_ text: String) throws -> Date {
        guard let date = StoreTime.date(text) else { throw CorruptRecord(table: "ticket", key: text, reason: "bad time") }
        return date
    }

}

extension TicketRecord {
    /// What the ticket's SLA clocks are derived from (`TicketSLA` in the domain).
    public var slaFacts: TicketSLAFacts {
        TicketSLAFacts(
            receivedAt: receivedAt, priority: priority, classification: classification, status: status,
            chargeTakenAt: chargeTakenAt, closedAt: closedAt)
    }

    /// The decision's new state, and the instants at which it stops the clocks: charge taken,
    /// closed (`now`, from the caller's injected clock).
    public mutating func apply(_ decision: TicketDecision, at now: Date) {
        state = decision.state
        if decision.takesCharge { chargeTakenAt = now }
        if decision.closes { closedAt = now }
    }

    /// Sets the SLA index columns `TicketStore.list` filters on (see `slaStateExpression`).
    public mutating func apply(_ index: TicketSLA.Index) {
        slaApplicable = index.applicable
        chargeTakingDue = index.chargeTakingDue
        secondDue = index.secondDue
        pausedSince = index.pausedSince
    }
}
