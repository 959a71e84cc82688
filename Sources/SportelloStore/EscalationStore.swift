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

    /// The open tickets the SLA applies to that the sweep must compute as of `asOf`: those it has
    /// never seen, those changed since (version), all of them after a calendar change
    /// (revision), and those whose next step is due. Oldest first.
    public static func sweepCandidates(_ tx: StoreReader, asOf: Date) throws -> [TicketRecord] {
        try tx.db.records(TicketRecord.self, """
            SELECT t.* FROM ticket t LEFT JOIN sla_sweep_next n ON n.ticket = t.id
            WHERE t.status <> 'closed' AND t.slaApplicable = 1
              AND (n.ticket IS NULL OR n.version <> t.version OR n.revision <> ? OR n.nextAt <= ?)
            ORDER BY t.id
            """, [try CalendarStore.revision(tx), StoreTime.text(asOf)])
    }

    /// Where the sweep left a ticket (see `sweepCandidates`).
    public static func bookmark(_ tx: StoreWriter, ticket: Int64, version: Int, revision: Int, nextAt: Date?) throws {
        try tx.db.run(
            "INSERT OR REPLACE INTO sla_sweep_next(ticket, version, revision, nextAt) VALUES (?, ?, ?, ?)",
            [ticket, version, revision, nextAt.map(StoreTime.text)], cached: true)
    }

    /// Forgets every bookmark (the ladder changed: every ticket is computed again).
    public static func clearBookmarks(_ tx: StoreWriter) throws {
        try tx.db.run("DELETE FROM sla_sweep_next")
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
        try tx.db.run(
            "INSERT OR IGNORE INTO sla_escalation(ticket, clock, step, kind, dueAt, firedAt, recipients) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [key.ticket, key.clock.rawValue, key.step, kind.rawValue, StoreTime.text(dueAt), StoreTime.text(firedAt),
             "[" + recipients.map(String.init).joined(separator: ",") + "]"],
            cached: true)
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
