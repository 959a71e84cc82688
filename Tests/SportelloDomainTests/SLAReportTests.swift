import Foundation
import Testing
import SportelloDomain
import SportelloTestSupport

/// The report's counting on hand-computed clocks (interzen policy, interzen-support calendar,
/// December 2026, times in Rome).
@Suite("SLA report counting")
struct SLAReportTests {
    let policy = CalendarSeed.policy(named: "interzen")!
    let calendar = CalFixtures.support
    func rome(_ s: String) -> Date { CalFixtures.rome(s) }

    func ticket(
        _ received: String, priority: Int, taken: String? = nil, closed: String? = nil, bug: Bool = true,
        pauses: [PauseInterval] = [], assignee: Int64? = nil, asOf: String
    ) throws -> SLAReportTicket {
        let facts = TicketSLAFacts(
            receivedAt: rome(received), priority: priority, classification: bug ? .bug : .helpDesk,
            status: closed == nil ? .assigned : .closed, chargeTakenAt: taken.map(rome), closedAt: closed.map(rome))
        let sla = try TicketSLA.compute(facts, pauses: pauses, policy: policy, calendar: calendar, asOf: rome(asOf))
        return SLAReportTicket(
            month: String(received.prefix(7)), policy: policy.name, priority: priority, customer: "ACME", assignee: assignee,
            product: "zenshare-suite", sla: bug ? sla : nil,
            chargeTakingStopped: taken.map { rome($0) <= rome(asOf) } ?? false,
            secondStopped: closed.map { rome($0) <= rome(asOf) } ?? false)
    }

    @Test("met, breached and running; ratios over outcomes only; median and p90 of the stopped clocks")
    func counting() throws {
        let asOf = "2026-12-11 18:00"
        let tickets = [
            // P2 (charge 4 h, resolution 2 days = 1260 min) received Tue 1 Dec 09:00: taken 09:30
            // (30 min, met), closed Wed 2 Dec 10:00 (570 + 120 = 690 min, met).
            try ticket("2026-12-01 09:00", priority: 2, taken: "2026-12-01 09:30", closed: "2026-12-02 10:00", assignee: 2, asOf: asOf),
            // P2 received Tue 1 Dec 09:00: taken 14:00 (300 min > 240: breached), still open at
            // Fri 11 Dec 18:00, resolution (570 + 630 + 60) due Thu 3 Dec 09:00 → breached, no time to stop.
            try ticket("2026-12-01 09:00", priority: 2, taken: "2026-12-01 14:00", assignee: 2, asOf: asOf),
            // P2 received Fri 11 Dec 17:00: open, charge due Mon 14 Dec 10:30 → running (both clocks).
            try ticket("2026-12-11 17:00", priority: 2, asOf: asOf),
            // A help-desk request: no SLA.
            try ticket("2026-12-02 10:00", priority: 2, bug: false, asOf: asOf),
        ]
        let (rows, totals) = SLAReport.rows(tickets, groupBy: [.priority])
        #expect(rows.count == 1 && rows[0].group == SLAReportGroup(priority: 2))
        #expect(totals.tickets == 4 && totals.notApplicable == 1)
        let charge = totals.chargeTaking
        #expect((charge.met, charge.breached, charge.running) == (1, 1, 1))
        #expect(charge.metRatio == 0.5)
        // Stopped charge-taking clocks: 30 and 300 minutes; nearest rank: median = 1st of 2 (30),
        // p90 = ceil(1.8) = 2nd (300).
        #expect(charge.medianMinutes == 30 && charge.p90Minutes == 300)
        let resolution = try #require(totals.resolution)
        #expect((resolution.met, resolution.breached, resolution.running) == (1, 1, 1))
        #expect(resolution.medianMinutes == 690 && resolution.p90Minutes == 690)
        #expect(totals.firstAid == nil)
    }

    @Test("pauses are summed; groups by assignee put the unassigned first, by month in order")
    func groupsAndPauses() throws {
        let asOf = "2026-12-31 18:00"
        // P1 received Thu 3 Dec 10:15, waits Thu 14:00 → Fri 09:00 (330 working minutes),
        // closed Fri 15:00: 630 due moved to 15:45, counted 225 + 360 = 585 min → met.
        let paused = try ticket(
            "2026-12-03 10:15", priority: 1, taken: "2026-12-03 10:30", closed: "2026-12-04 15:00",
            pauses: [PauseInterval(from: rome("2026-12-03 14:00"), to: rome("2026-12-04 09:00"))], assignee: 5, asOf: asOf)
        let unassigned = try ticket("2026-11-30 08:00", priority: 3, taken: "2026-11-30 09:00", asOf: asOf)
        let (rows, totals) = SLAReport.rows([paused, unassigned], groupBy: [.assignee, .month])
        #expect(rows.map(\.group) == [
            SLAReportGroup(month: "2026-11", assignee: .some(nil)), SLAReportGroup(month: "2026-12", assignee: .some(5)),
        ])
        #expect(rows[1].resolution?.pausedMinutes == 330 && rows[1].resolution?.medianMinutes == 585)
        #expect(totals.resolution?.pausedMinutes == 330)
    }

    @Test("nearest-rank percentiles")
    func percentiles() {
        #expect(SLAReport.percentile([], 0.5) == nil)
        #expect(SLAReport.percentile([7], 0.9) == 7)
        // 10 values: median = 5th, p90 = 9th.
        let values = (1...10).map(Double.init)
        #expect(SLAReport.percentile(values, 0.5) == 5 && SLAReport.percentile(values, 0.9) == 9)
        // Selected from any order (repeats included), the same value as from the sorted list.
        var generator = SeededGenerator(seed: 20261206)
        for count in [1, 2, 3, 10, 101, 1000] {
            let shuffled = (0..<count).map { _ in Double(Int.random(in: 0..<(count / 2 + 1), using: &generator)) }
            for p in [0.5, 0.9, 0.01, 1] {
                var copy = shuffled
                #expect(SLAReport.percentile(selecting: &copy, p) == SLAReport.percentile(shuffled.sorted(), p))
            }
        }
    }

    @Test("open tickets by age and SLA state: each in the class of its calendar age, a bound in the class above")
    func openTicketAges() throws {
        let asOf = rome("2026-12-11 18:00")
        var ages = SLAOpenTicketAges()
        // Fri 11 Dec 18:00 minus 23 h 59 min = Thu 10 Dec 18:01: under a day → class 0.
        ages.add(receivedAt: rome("2026-12-10 18:01"), asOf: asOf, state: .running)
        // Exactly one day before (Thu 10 Dec 18:00) → 1 is not under 1: class 1 (1–3 days).
        ages.add(receivedAt: rome("2026-12-10 18:00"), asOf: asOf, state: .breached)
        // Fri 4 Dec 18:00 is 7 days → class 3 (7–30); Tue 1 Dec 09:00 is 10 days 9 h → class 3.
        ages.add(receivedAt: rome("2026-12-04 18:00"), asOf: asOf, state: .paused)
        ages.add(receivedAt: rome("2026-12-01 09:00"), asOf: asOf, state: .breached)
        // Tue 10 Nov 18:00 is 31 days → class 4 (30 and more); a help-desk request has no SLA.
        ages.add(receivedAt: rome("2026-11-10 18:00"), asOf: asOf, state: .notApplicable)
        // A met state cannot be an open ticket's: not counted.
        ages.add(receivedAt: rome("2026-12-11 09:00"), asOf: asOf, state: .met)
        // States in the order running, paused, breached, notApplicable.
        #expect(ages.counts == [[1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]])
        #expect(ages.total == 5)
    }
}
