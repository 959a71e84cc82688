import Foundation
import GRDB
import SportelloDomain

/// A staff member as the sweep addresses them.
public struct EscalationStaff: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var email: String
    public var role: StaffRole
    public var language: Language
}

/// A step already fired, as kept in `sla_escalation`.
public struct FiredStepKey: Sendable, Hashable {
    public var ticket: Int64
    public var clock: EscalationClock
    public var step: Double

    public init(ticket: Int64, clock: EscalationClock, step: Double) {
        self.ticket = ticket
        self.clock = clock
        self.step = step
    }
}

/// An open ticket as the sweep reads it: the columns its clocks, its notifications and its
/// bookmark need, not the whole row.
public struct SweepTicket: Sendable, Hashable {
    public var id: Int64
    public var customer: Int64
    public var product: String
    public var subject: String
    public var priority: Int
    public var classification: Classification?
    public var status: TicketStatus
    public var assignee: Int64?
    public var receivedAt: Date
    public var chargeTakenAt: Date?
    public var closedAt: Date?
    public var version: Int

    init(row: Row) throws {
        func corrupt(_ what: String) -> CorruptRecord {
            CorruptRecord(table: "ticket", key: String(row[0] as Int64), reason: "bad \(what)")
        }
        func time(_ index: Int, _ name: String) throws -> Date? {
            guard let text = row[index] as String? else { return nil }
            guard let date = StoreTime.date(text) else { throw corrupt(name) }
            return date
        }
        id = row[0]
        customer = row[1]
        product = row[2]
        subject = row[3]
        priority = row[4]
        if let text = row[5] as String? {
            guard let value = Classification(rawValue: text) else { throw corrupt("classification") }
            classification = value
        }
        guard let status = TicketStatus(rawValue: row[6]) else { throw corrupt("status") }
        self.status = status
        assignee = row[7]
        guard let received = try time(8, "receivedAt") else { throw corrupt("receivedAt") }
        receivedAt = received
        chargeTakenAt = try time(9, "chargeTakenAt")
        closedAt = try time(10, "closedAt")
        version = row[11]
    }

    /// What the ticket's SLA clocks are derived from.
    public var slaFacts: TicketSLAFacts {
        TicketSLAFacts(
            receivedAt: receivedAt, priority: priority, classification: classification, status: status,
            chargeTakenAt: chargeTakenAt, closedAt: closedAt)
    }
}

/// The escalation ladders, the steps fired, and what a sweep reads.
public enum EscalationStore {
    // MARK: Ladders

    /// The ladder stored for `policy` (`nil`: the default one), with when it was set; nil when
    /// that policy has none of its own.
    public static func ladder(_ tx: StoreReader, policy: String?) throws -> (ladder: EscalationLadder, updatedAt: Date)? {
        guard let row = try tx.db.row("SELECT steps, updatedAt FROM sla_ladder WHERE policy = ?", [policy ?? ""]) else {
            return nil
        }
        let text: String = row["steps"]
        let steps: [EscalationStep]
        let ladder: EscalationLadder
        do {
            steps = try JSONDecoder().decode([EscalationStep].self, from: Data(text.utf8))
            ladder = try EscalationLadder(steps: steps)
        } catch {
            throw CorruptRecord(table: "sla_ladder", key: policy ?? "", reason: "bad steps: \(error)")
        }
        return (ladder, try TicketStore.time(row["updatedAt"]))
    }

    /// Every stored ladder by policy (`""` is the default one).
    public static func ladders(_ tx: StoreReader) throws -> [String: EscalationLadder] {
        var ladders: [String: EscalationLadder] = [:]
        for row in try tx.db.rows("SELECT policy FROM sla_ladder") {
            let policy: String = row["policy"]
            if let found = try ladder(tx, policy: policy.isEmpty ? nil : policy) { ladders[policy] = found.ladder }
        }
        return ladders
    }

    public static func setLadder(_ tx: StoreWriter, policy: String?, _ ladder: EscalationLadder, at: Date) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let steps = String(decoding: try encoder.encode(ladder.steps), as: UTF8.self)
        try tx.db.run(
            "INSERT INTO sla_ladder(policy, steps, updatedAt) VALUES (?, ?, ?) ON CONFLICT(policy) DO UPDATE SET steps = excluded.steps, updatedAt = excluded.updatedAt",
            [policy ?? "", steps, StoreTime.text(at)])
        try clearBookmarks(tx)
    }

    /// Removes a policy's own ladder (the policy then follows the default one); false if it had none.
    public static func removeLadder(_ tx: StoreWriter, policy: String) throws -> Bool {
        try tx.db.run("DELETE FROM sla_ladder WHERE policy = ?", [policy])
        return tx.db.changesCount > 0
    }

    // MARK: Sweep

    /// The open tickets the SLA applies to that the sweep must compute as of `asOf`: those whose
    /// `sla_sweep_next.nextAt` is due — new and changed tickets are due at once (the v13
    /// triggers), and every one after a calendar change. Oldest first. Removes on the way the
    /// rows of due tickets that have closed or lost their SLA (nothing of theirs fires).
    ///
    /// Reads the index on `nextAt` only: a sweep with nothing due reads no ticket, where the join
    /// it replaces compared every open ticket with its row. The CROSS JOIN keeps it so: with a
    /// plain JOIN SQLite's planner, seeing the WHERE match the partial index `ticket_open_by_id`,
    /// scanned every open ticket and looked each one's row up (EXPLAIN QUERY PLAN; strace showed
    /// an idle sweep reading every page of that index).
    public static func sweepCandidates(_ tx: StoreWriter, asOf: Date) throws -> [SweepTicket] {
        let revision = try CalendarStore.revision(tx)
        // Two lookups in the index on `revision`: is any row computed under another revision?
        let stale = try tx.db.value(Bool.self, """
            SELECT EXISTS (SELECT 1 FROM sla_sweep_next WHERE revision < ?1)
                OR EXISTS (SELECT 1 FROM sla_sweep_next WHERE revision > ?1)
            """, [revision]) ?? false
        if stale {
            try tx.db.run("UPDATE sla_sweep_next SET nextAt = '', revision = ?1 WHERE revision <> ?1", [revision])
        }
        let now = StoreTime.text(asOf)
        try tx.db.run("""
            DELETE FROM sla_sweep_next WHERE nextAt <= ?1 AND NOT EXISTS (
                SELECT 1 FROM ticket t WHERE t.id = sla_sweep_next.ticket AND t.status <> 'closed' AND t.slaApplicable = 1)
            """, [now])
        return try tx.db.rows("""
            SELECT t.id, t.customer, t.product, t.subject, t.priority, t.classification, t.status, t.assignee,
                   t.receivedAt, t.chargeTakenAt, t.closedAt, t.version
            FROM sla_sweep_next n CROSS JOIN ticket t ON t.id = n.ticket
            WHERE n.nextAt <= ? AND t.status <> 'closed' AND t.slaApplicable = 1
            ORDER BY t.id
            """, [now]).map(SweepTicket.init(row:))
    }

    /// Where the sweep left a ticket (see `sweepCandidates`): `nextAt` nil when no further step
    /// can fire until the ticket changes.
    public static func bookmark(_ tx: StoreWriter, ticket: Int64, version: Int, revision: Int, nextAt: Date?) throws {
        try tx.db.runKept(
            "INSERT OR REPLACE INTO sla_sweep_next(ticket, version, revision, nextAt) VALUES (?, ?, ?, ?)",
            [.int(ticket), .int(Int64(version)), .int(Int64(revision)), .text(nextAt.map(StoreTime.text))])
    }

    /// Makes every ticket due again (the ladder changed: every ticket is computed again).
    public static func clearBookmarks(_ tx: StoreWriter) throws {
        try tx.db.run("UPDATE sla_sweep_next SET nextAt = ''")
    }

    public static func calendarRevision(_ tx: StoreReader) throws -> Int { try CalendarStore.revision(tx) }

    /// The steps already fired on open tickets.
    public static func firedSteps(_ tx: StoreReader) throws -> Set<FiredStepKey> {
        try firedSteps(rows: tx.db.rows("""
            SELECT e.ticket, e.clock, e.step FROM sla_escalation e JOIN ticket t ON t.id = e.ticket
            WHERE t.status <> 'closed' AND t.slaApplicable = 1
            """))
    }

    /// The steps already fired on these tickets (asked in chunks: SQLite's variable limit).
    public static func firedSteps(_ tx: StoreReader, tickets: [Int64]) throws -> Set<FiredStepKey> {
        var fired = Set<FiredStepKey>()
        for start in stride(from: 0, to: tickets.count, by: 5000) {
            let chunk = Array(tickets[start..<min(start + 5000, tickets.count)])
            fired.formUnion(try firedSteps(rows: tx.db.rows(
                "SELECT ticket, clock, step FROM sla_escalation WHERE ticket IN (\(databaseQuestionMarks(count: chunk.count)))",
                chunk.map { $0 })))
        }
        return fired
    }

    private static func firedSteps(rows: [Row]) -> Set<FiredStepKey> {
        Set(rows.compactMap { row in
            EscalationClock(rawValue: row["clock"]).map { FiredStepKey(ticket: row["ticket"], clock: $0, step: row["step"]) }
        })
    }

    /// Records a fired step; false when it was already recorded (another sweep got there first),
    /// in which case the caller must not notify.
    public static func recordFired(
        _ tx: StoreWriter, _ key: FiredStepKey, kind: EscalationKind, dueAt: Date, firedAt: Date, recipients: [Int64]
    ) throws -> Bool {
        try tx.db.runKept(
            "INSERT OR IGNORE INTO sla_escalation(ticket, clock, step, kind, dueAt, firedAt, recipients) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [.int(key.ticket), .text(key.clock.rawValue), .double(key.step), .text(kind.rawValue), .text(StoreTime.text(dueAt)),
             .text(StoreTime.text(firedAt)), .text("[" + recipients.map(String.init).joined(separator: ",") + "]")])
        return tx.db.changesCount == 1
    }

    /// The active staff, with their language.
    public static func activeStaff(_ tx: StoreReader) throws -> [EscalationStaff] {
        try tx.db.rows("SELECT id, name, email, role, language FROM staff WHERE active = 1 ORDER BY id").compactMap { row in
            guard let role = StaffRole(rawValue: row["role"]), let language = Language(rawValue: row["language"]) else { return nil }
            return EscalationStaff(id: row["id"], name: row["name"], email: row["email"], role: role, language: language)
        }
    }

    public static func setStaffLanguage(_ tx: StoreWriter, staff: Int64, language: Language) throws {
        try tx.db.run("UPDATE staff SET language = ? WHERE id = ?", [language.rawValue, staff])
    }

    public static func staffLanguage(_ tx: StoreReader, staff: Int64) throws -> Language {
        try tx.db.value(String.self, "SELECT language FROM staff WHERE id = ?", [staff]).flatMap(Language.init(rawValue:)) ?? .it
    }
}
