import Foundation
import GRDB
import SportelloDomain
import SportelloStore
import SportelloTestSupport
import Testing

/// The SLA index the store keeps (due instants, paused-since) and its SQL summary answer
/// `ticket.list {slaState}` exactly as the domain's derivation from the ticket's facts and
/// history would, on generated tickets.
@Suite struct SLAIndexTests {
    /// A ticket's facts and its waiting intervals, drawn at random but consistent with the
    /// workflow: charge taken after arrival, pauses after that, closed last.
    struct Drawn {
        var facts: TicketSLAFacts
        var pauses: [PauseInterval]
    }

    static func draw(_ random: inout SeededGenerator, start: Date) -> Drawn {
        func later(_ date: Date, maxMinutes: Int) -> Date {
            date.addingTimeInterval(Double(Int.random(in: 1...maxMinutes, using: &random)) * 60)
        }
        let received = later(start, maxMinutes: 20 * 24 * 60)
        let classification: Classification? = Bool.random(using: &random) ? nil
            : [Classification.bug, .bug, .bug, .helpDesk, .vulnerability].randomElement(using: &random)!
        let priority = Int.random(in: 1...4, using: &random)
        var facts = TicketSLAFacts(
            receivedAt: received, priority: priority, classification: classification, status: .new, chargeTakenAt: nil, closedAt: nil)
        var pauses: [PauseInterval] = []
        switch Int.random(in: 0..<4, using: &random) {
        case 0:
            break  // new: nobody has taken charge yet
        case 1:
            facts.status = .assigned
            facts.chargeTakenAt = later(received, maxMinutes: 3 * 24 * 60)
        case 2:
            facts.status = .waitingCustomer
            let taken = later(received, maxMinutes: 3 * 24 * 60)
            facts.chargeTakenAt = taken
            let firstPause = later(taken, maxMinutes: 24 * 60)
            if Bool.random(using: &random) {
                let resumed = later(firstPause, maxMinutes: 24 * 60)
                pauses = [PauseInterval(from: firstPause, to: resumed), PauseInterval(from: later(resumed, maxMinutes: 24 * 60), to: nil)]
            } else {
                pauses = [PauseInterval(from: firstPause, to: nil)]
            }
        default:
            facts.status = .closed
            let taken = later(received, maxMinutes: 3 * 24 * 60)
            facts.chargeTakenAt = taken
            var last = taken
            if Bool.random(using: &random) {
                let from = later(taken, maxMinutes: 24 * 60)
                last = later(from, maxMinutes: 24 * 60)
                pauses = [PauseInterval(from: from, to: last)]
            }
            facts.closedAt = later(last, maxMinutes: 10 * 24 * 60)
        }
        return Drawn(facts: facts, pauses: pauses)
    }

    @Test("400 generated tickets: the stored pauses, due instants and SQL SLA state agree with the domain's derivation at several instants")
    func indexAgreesWithTheDomain() async throws {
        let directory = NSTemporaryDirectory() + "sla-index-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try SportelloDatabase(path: directory + "/sla.db")
        let policy = try #require(CalendarSeed.policy(named: "interzen"))
        let calendar = try #require(CalendarSeed.calendar(named: policy.calendar))
        // Tuesday 1 December 2026, 00:00 in Rome.
        let start = Date(timeIntervalSince1970: 1_796_079_600)
        var random = SeededGenerator(seed: 0x5_1A)
        let drawn = (0..<400).map { _ in Self.draw(&random, start: start) }

        let stored: [(id: Int64, drawn: Drawn)] = try await database.write { tx in
            let customer = try AccountStore.insertCustomer(
                tx, code: "SLA", name: "Sla S.p.A.", vatNumber: nil, language: .it, email: nil, now: start)
            return try drawn.map { item in
                let facts = item.facts
                // The index as the service writes it: at the ticket's last change.
                let lastChange = [facts.closedAt, item.pauses.last?.to, item.pauses.last?.from, facts.chargeTakenAt, facts.receivedAt]
                    .compactMap { $0 }.max()!
                var ticket = TicketRecord(
                    customer: customer.id, contact: nil, product: "zenshare-suite", subject: "SLA", channel: .email, language: .it,
                    classification: facts.classification, priority: facts.priority, severity: nil, status: facts.status,
                    eligible: true, receivedAt: facts.receivedAt, chargeTakenAt: facts.chargeTakenAt, closedAt: facts.closedAt,
                    createdAt: facts.receivedAt, updatedAt: lastChange)
                ticket.apply(try TicketSLA.index(facts, pauses: item.pauses, policy: policy, calendar: calendar, now: lastChange))
                let id = try TicketStore.insert(tx, ticket)
                // The pauses live in the history, as status changes.
                for pause in item.pauses {
                    try TicketStore.addHistory(
                        tx, ticket: id, at: pause.from, actorKind: "system", actorID: nil, action: "requestClarification",
                        changes: #"{"status":["assigned","waitingCustomer"]}"#, events: "[]")
                    if let to = pause.to {
                        try TicketStore.addHistory(
                            tx, ticket: id, at: to, actorKind: "system", actorID: nil, action: "addMessage",
                            changes: #"{"status":["waitingCustomer","assigned"]}"#, events: "[]")
                    }
                }
                return (id, item)
            }
        }

        let pauses = try await database.pool.read { db in try TicketStore.waitingIntervals(StoreReader(db), tickets: stored.map(\.id)) }
        for (id, item) in stored {
            let read = (pauses[id] ?? []).map { PauseInterval(from: $0.from, to: $0.to) }
            #expect(read == item.pauses, "ticket \(id): pauses read back from the history")
        }

        // Instants before, among and after the tickets' lives (every ticket has arrived by the last).
        for days in [5.0, 12.0, 21.0, 40.0] {
            let now = start.addingTimeInterval(days * 86_400)
            let arrived = stored.filter { $0.drawn.facts.receivedAt <= now && ($0.drawn.facts.closedAt ?? now) <= now
                && ($0.drawn.facts.chargeTakenAt ?? now) <= now && ($0.drawn.pauses.last.map { $0.to ?? $0.from } ?? now) <= now }
            var expected: [SLAClockState: Set<Int64>] = [:]
            for (id, item) in arrived {
                let sla = try TicketSLA.compute(item.facts, pauses: item.pauses, policy: policy, calendar: calendar, asOf: now)
                expected[sla.summary, default: []].insert(id)
            }
            let arrivedIDs = Set(arrived.map(\.id))
            for state in SLAClockState.allCases {
                let listed = try await database.pool.read { db in
                    try TicketStore.list(StoreReader(db), TicketFilter(visibility: .all, slaState: state, limit: 10_000, now: now)).map(\.id)
                }
                #expect(Set(listed).intersection(arrivedIDs) == (expected[state] ?? []),
                        "day \(days), \(state): SQL and domain disagree")
            }
            #expect(expected.count >= (days > 10 ? 3 : 1), "day \(days): too few states covered: \(expected.keys)")
        }
    }
}
