import Foundation
import GRDB
import SportelloDomain

/// A ticket row: its workflow state, its facts and the SLA index.
public struct TicketRecord: Sendable, Hashable {
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

public struct MessageRecord: Sendable, Hashable {
    public var id: Int64
    public var ticket: Int64
    public var authorKind: String
    public var authorID: Int64?
    public var body: String
    public var isInternal: Bool
    public var at: Date
}

public struct HistoryRecord: Sendable, Hashable {
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
}

public struct OutboxRecord: Sendable, Hashable {
    public var id: Int64
    public var ticket: Int64?
    public var kind: String
    public var language: Language
    public var recipient: String
    public var subject: String
    public var body: String
    public var createdAt: Date
    public var status: String
}

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
        try tx.db.run("""
                INSERT INTO ticket(customer, contact, product, subject, channel, language, classification, priority,
                    severity, status, assignee, eligible, followUpOf, restricted, receivedAt, chargeTakenAt, closedAt,
                    version, slaApplicable, chargeTakingDue, secondDue, pausedSince, createdAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [
                ticket.customer, ticket.contact, ticket.product, ticket.subject, ticket.channel.rawValue,
                ticket.language.rawValue, ticket.classification?.rawValue, ticket.priority, ticket.severity,
                ticket.status.rawValue, ticket.assignee, ticket.eligible, ticket.followUpOf, ticket.restrictedToReporter,
                StoreTime.text(ticket.receivedAt),
                ticket.chargeTakenAt.map(StoreTime.text), ticket.closedAt.map(StoreTime.text), ticket.version,
                ticket.slaApplicable, ticket.chargeTakingDue.map(StoreTime.text), ticket.secondDue.map(StoreTime.text),
                ticket.pausedSince.map(StoreTime.text), StoreTime.text(ticket.createdAt), StoreTime.text(ticket.updatedAt),
            ], cached: true)
        return tx.db.lastInsertedRowID
    }

    /// Writes the changed ticket if its version is still `expectedVersion`; false when another
    /// change got there first.
    public static func update(_ tx: StoreWriter, _ ticket: TicketRecord, expectedVersion: Int) throws -> Bool {
        try tx.db.run("""
                UPDATE ticket SET classification = ?, priority = ?, status = ?, assignee = ?, restricted = ?,
                    chargeTakenAt = ?, closedAt = ?, version = ?, slaApplicable = ?, chargeTakingDue = ?, secondDue = ?,
                    pausedSince = ?, updatedAt = ?
                WHERE id = ? AND version = ?
                """, [
                ticket.classification?.rawValue, ticket.priority, ticket.status.rawValue, ticket.assignee,
                ticket.restrictedToReporter,
                ticket.chargeTakenAt.map(StoreTime.text), ticket.closedAt.map(StoreTime.text), ticket.version,
                ticket.slaApplicable, ticket.chargeTakingDue.map(StoreTime.text), ticket.secondDue.map(StoreTime.text),
                ticket.pausedSince.map(StoreTime.text), StoreTime.text(ticket.updatedAt), ticket.id, expectedVersion,
            ], cached: true)
        return tx.db.changesCount == 1
    }

    public static func ticket(_ tx: StoreReader, id: Int64) throws -> TicketRecord? {
        try tx.db.row("SELECT * FROM ticket WHERE id = ?", [id], cached: true).map(record)
    }

    /// Several tickets at once, by id (the origins of a page's follow-ups).
    public static func tickets(_ tx: StoreReader, ids: Set<Int64>) throws -> [Int64: TicketRecord] {
        guard !ids.isEmpty else { return [:] }
        let rows = try tx.db.rows("SELECT * FROM ticket WHERE id IN (\(databaseQuestionMarks(count: ids.count)))", ids.map { $0 })
        return Dictionary(uniqueKeysWithValues: try rows.map(record).map { ($0.id, $0) })
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
            return try tx.db.rows("SELECT t.* FROM ticket t \(whereClause) ORDER BY t.id DESC LIMIT ?", arguments)
                .map(record)
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
        try tx.db.run(
            "INSERT INTO ticket_message(ticket, authorKind, authorID, body, internal, at) VALUES (?, ?, ?, ?, ?, ?)",
            [ticket, authorKind, authorID, body, isInternal, StoreTime.text(at)], cached: true)
        let id = tx.db.lastInsertedRowID
        let text = subject.map { $0 + "\n" + body } ?? body
        try tx.db.run(
            "INSERT INTO ticket_search(text, ticket, internal) VALUES (?, ?, ?)",
            [text, ticket, isInternal], cached: true)
        return id
    }

    public static func messages(_ tx: StoreReader, ticket: Int64, includeInternal: Bool) throws -> [MessageRecord] {
        try tx.db.rows(
            "SELECT * FROM ticket_message WHERE ticket = ?\(includeInternal ? "" : " AND internal = 0") ORDER BY id",
            [ticket]
        ).map { row in
            MessageRecord(
                id: row["id"], ticket: row["ticket"], authorKind: row["authorKind"], authorID: row["authorID"],
                body: row["body"], isInternal: row["internal"], at: try time(row["at"]))
        }
    }

    public static func addHistory(
        _ tx: StoreWriter, ticket: Int64, at: Date, actorKind: String, actorID: Int64?, action: String, changes: String,
        events: String
    ) throws {
        try tx.db.run(
            "INSERT INTO ticket_history(ticket, at, actorKind, actorID, action, changes, events) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [ticket, StoreTime.text(at), actorKind, actorID, action, changes, events], cached: true)
    }

    public static func history(_ tx: StoreReader, ticket: Int64) throws -> [HistoryRecord] {
        try tx.db.rows("SELECT * FROM ticket_history WHERE ticket = ? ORDER BY id", [ticket]).map { row in
            HistoryRecord(
                id: row["id"], ticket: row["ticket"], at: try time(row["at"]), actorKind: row["actorKind"],
                actorID: row["actorID"], action: row["action"], changes: row["changes"], events: row["events"])
        }
    }

    /// The intervals the ticket spent in `waitingCustomer`, from its history (the last one open
    /// while it still waits): what pauses the second SLA clock.
    public static func waitingIntervals(_ tx: StoreReader, ticket: Int64) throws -> [(from: Date, to: Date?)] {
        try waitingIntervals(tx, tickets: [ticket])[ticket] ?? []
    }

    /// The waiting intervals of several tickets at once (a list page).
    public static func waitingIntervals(_ tx: StoreReader, tickets: [Int64]) throws -> [Int64: [(from: Date, to: Date?)]] {
        guard !tickets.isEmpty else { return [:] }
        var intervals: [Int64: [(from: Date, to: Date?)]] = [:]
        let rows = try tx.db.rows("""
                SELECT ticket, at, json_extract(changes, '$.status[0]') AS before, json_extract(changes, '$.status[1]') AS after
                FROM ticket_history
                WHERE ticket IN (\(databaseQuestionMarks(count: tickets.count))) AND json_extract(changes, '$.status') IS NOT NULL
                ORDER BY ticket, id
                """,
            tickets.map { $0 })
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
        at: Date
    ) throws {
        try tx.db.run(
            "INSERT INTO outbox(ticket, kind, language, recipient, subject, body, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [ticket, kind, language.rawValue, recipient, subject, body, StoreTime.text(at)], cached: true)
    }

    /// Outbox rows, newest first; with `assignee`, only those of tickets assigned to that staff member.
    public static func outbox(
        _ tx: StoreReader, ticket: Int64?, kind: String?, assignee: Int64? = nil, before: Int64?, limit: Int
    ) throws -> [OutboxRecord] {
        var conditions: [String] = []
        var arguments: SQLArguments = []
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
        return try tx.db.rows("SELECT * FROM outbox \(whereClause) ORDER BY id DESC LIMIT ?", arguments).map { row in
            OutboxRecord(
                id: row["id"], ticket: row["ticket"], kind: row["kind"], language: Language(rawValue: row["language"]) ?? .it,
                recipient: row["recipient"], subject: row["subject"], body: row["body"], createdAt: try time(row["createdAt"]),
                status: row["status"])
        }
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

    static func record(_ row: Row) throws -> TicketRecord {
        func corrupt(_ what: String) -> CorruptRecord {
            CorruptRecord(table: "ticket", key: String(row["id"] as Int64), reason: "bad \(what)")
        }
        guard let channel = Channel(rawValue: row["channel"]) else { throw corrupt("channel") }
        guard let language = Language(rawValue: row["language"]) else { throw corrupt("language") }
        guard let status = TicketStatus(rawValue: row["status"]) else { throw corrupt("status") }
        let classificationText: String? = row["classification"]
        let classification = try classificationText.map { text in
            guard let value = Classification(rawValue: text) else { throw corrupt("classification") }
            return value
        }
        return TicketRecord(
            id: row["id"], customer: row["customer"], contact: row["contact"], product: row["product"], subject: row["subject"],
            channel: channel, language: language, classification: classification, priority: row["priority"],
            severity: row["severity"], status: status, assignee: row["assignee"], eligible: row["eligible"],
            followUpOf: row["followUpOf"], restrictedToReporter: row["restricted"], receivedAt: try time(row["receivedAt"]),
            chargeTakenAt: try optionalTime(row["chargeTakenAt"]), closedAt: try optionalTime(row["closedAt"]),
            version: row["version"], slaApplicable: row["slaApplicable"], chargeTakingDue: try optionalTime(row["chargeTakingDue"]),
            secondDue: try optionalTime(row["secondDue"]), pausedSince: try optionalTime(row["pausedSince"]),
            createdAt: try time(row["createdAt"]), updatedAt: try time(row["updatedAt"]))
    }

    static func time(_ text: String) throws -> Date {
        guard let date = StoreTime.date(text) else { throw CorruptRecord(table: "ticket", key: text, reason: "bad time") }
        return date
    }

    static func optionalTime(_ text: String?) throws -> Date? {
        try text.map(time)
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
