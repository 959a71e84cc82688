import Foundation
import Testing
import SportelloDomain

/// `TakeChargePreview`: a ticket's clocks as if a care manager took charge at `at`, hand
/// computed on the `interzen` policy (interzen-support, Mon–Fri 08:00–18:30 = 630 min a working
/// day; priority 1: 1 h / 1 working day, 2: 4 h / 2 working days, 3: 8 h / 5 working days).
/// Rome is UTC+1 in December.
@Suite("Previewing a take-charge")
struct TakeChargePreviewTests {
    let calendar = CalFixtures.support
    let policy = CalendarSeed.policies.first { $0.name == "interzen" }!
    func rome(_ s: String) -> Date { CalFixtures.rome(s) }
    func utc(_ s: String) -> Date { CalFixtures.utc(s) }

    /// A ticket received Fri 4 Dec 2026 09:00 CET, priority 3, not yet classified.
    var arrived: TicketSLAFacts {
        TicketSLAFacts(
            receivedAt: rome("2026-12-04 09:00"), priority: 3, classification: nil, status: .new, chargeTakenAt: nil, closedAt: nil)
    }

    func preview(
        _ facts: TicketSLAFacts, priority: Int? = nil, classification: Classification? = nil, at: String,
        now: String = "2026-12-07 12:00", pauses: [PauseInterval] = []
    ) throws -> TakeChargePreview {
        try TakeChargePreview.compute(
            facts, pauses: pauses, priority: priority, classification: classification, at: rome(at), now: rome(now),
            policy: policy, calendar: calendar)
    }

    @Test func aHighPriorityBugTakenChargeOfAfterAnHour() throws {
        // At Fri 10:00, priority 2: charge taking (4 h) stops after 60 working minutes, due
        // 09:00 + 4 h = 13:00 CET = 12:00Z, met, 180 min to spare. Resolution (2 working days =
        // 1260 min) runs: Fri 09:00–18:30 = 570, Mon 7 Dec 08:00–18:30 = 630 (1200), Tue 8 Dec is
        // a holiday, Wed 9 Dec 08:00 + 60 = 09:00 CET = 08:00Z; elapsed 60, remaining 1200.
        let result = try preview(arrived, priority: 2, classification: .bug, at: "2026-12-04 10:00")
        #expect(result.at == rome("2026-12-04 10:00"))
        #expect(result.priority == 2 && result.classification == .bug)
        let sla = result.sla
        #expect(sla.applicable && sla.summary == .running)
        #expect(sla.chargeTaking.state == .met)
        #expect(sla.chargeTaking.due == utc("2026-12-04T12:00:00Z"))
        #expect(sla.chargeTaking.elapsed == 60 * 60 && sla.chargeTaking.remaining == 180 * 60)
        #expect(sla.second.state == .running)
        #expect(sla.second.due == utc("2026-12-09T08:00:00Z"))
        #expect(sla.second.elapsed == 60 * 60 && sla.second.remaining == 1200 * 60)
    }

    @Test func blockingTakenChargeOfTooLateIsBreached() throws {
        // At Fri 14:00, priority 1: charge taking (1 h) was due 10:00 CET = 09:00Z; stopped at
        // 14:00, 300 min elapsed, -240 remaining: breached. Resolution (630 min): Fri 570, Mon
        // 08:00 + 60 = 09:00 CET = 08:00Z, running with 330 min remaining.
        let sla = try preview(arrived, priority: 1, classification: .bug, at: "2026-12-04 14:00").sla
        #expect(sla.chargeTaking.state == .breached)
        #expect(sla.chargeTaking.breachedAt == utc("2026-12-04T09:00:00Z"))
        #expect(sla.chargeTaking.remaining == -240 * 60)
        #expect(sla.second.due == utc("2026-12-07T08:00:00Z"))
        #expect(sla.second.state == .running && sla.second.remaining == 330 * 60)
        #expect(sla.summary == .breached)
    }

    @Test func defaultsAreTheTicketsPriorityAndBug() throws {
        // Unclassified, priority 3: a bug with 8 h to take charge, due Fri 17:00 CET = 16:00Z.
        let result = try preview(arrived, at: "2026-12-04 10:00")
        #expect(result.priority == 3 && result.classification == .bug)
        #expect(result.sla.chargeTaking.due == utc("2026-12-04T16:00:00Z"))
        #expect(result.sla.chargeTaking.state == .met)
        // A ticket already classified keeps its classification: paid work has no SLA.
        var classified = arrived
        classified.classification = .evolutionaryChange
        classified.status = .inCharge
        classified.chargeTakenAt = rome("2026-12-04 09:30")
        let paid = try preview(classified, at: "2026-12-04 10:00")
        #expect(paid.classification == .evolutionaryChange)
        #expect(!paid.sla.applicable && paid.sla.summary == .notApplicable)
    }

    @Test func onlyBugsHaveAnSLA() throws {
        for classification in Classification.allCases where classification != .bug {
            let sla = try preview(arrived, priority: 1, classification: classification, at: "2026-12-04 10:00").sla
            #expect(!sla.applicable, "\(classification)")
            #expect(sla.chargeTaking.state == .notApplicable && sla.second.state == .notApplicable)
        }
    }

    @Test func chargeAlreadyTakenStopsTheClockWhenItWasTaken() throws {
        // Taken charge of at Fri 09:30 (30 min); previewed at 11:00 as priority 1: charge
        // taking stopped at 09:30, met (due 10:00). Previewed at 09:15, before the real
        // take-charge: it stops at 09:15 (15 min).
        var taken = arrived
        taken.classification = .bug
        taken.status = .assigned
        taken.chargeTakenAt = rome("2026-12-04 09:30")
        let later = try preview(taken, priority: 1, at: "2026-12-04 11:00").sla.chargeTaking
        #expect(later.state == .met && later.elapsed == 30 * 60)
        let earlier = try preview(taken, priority: 1, at: "2026-12-04 09:15").sla.chargeTaking
        #expect(earlier.state == .met && earlier.elapsed == 15 * 60)
    }

    @Test func aPauseMovesTheResolutionDeadline() throws {
        // Priority 1, taken charge of at 09:30; waiting for the customer Fri 10:00–12:00 (120
        // min); previewed at Fri 14:00: resolution elapsed 300 - 120 = 180, due = 630 + 120 =
        // 750 min after Fri 09:00: Fri 570, Mon 08:00 + 180 = 11:00 CET = 10:00Z.
        var taken = arrived
        taken.classification = .bug
        taken.status = .assigned
        taken.chargeTakenAt = rome("2026-12-04 09:30")
        let pauses = [PauseInterval(from: rome("2026-12-04 10:00"), to: rome("2026-12-04 12:00"))]
        let second = try preview(taken, priority: 1, at: "2026-12-04 14:00", pauses: pauses).sla.second
        #expect(second.elapsed == 180 * 60 && second.paused == 120 * 60)
        #expect(second.due == utc("2026-12-07T10:00:00Z"))
    }

    @Test func refusals() throws {
        func refusal(_ body: () throws -> TakeChargePreview) -> TakeChargePreviewError? {
            do { _ = try body(); return nil } catch let error as TakeChargePreviewError { return error } catch { return nil }
        }
        // `at` after now.
        #expect(refusal { try preview(arrived, at: "2026-12-07 12:01", now: "2026-12-07 12:00") }
            == .invalid(field: "at", reason: "must not be in the future: a preview is of now or of an earlier instant"))
        // Before the ticket arrived.
        #expect(refusal { try preview(arrived, at: "2026-12-04 08:59") }
            == .invalid(field: "at", reason: "must not be before the ticket arrived"))
        // Closed.
        var closed = arrived
        closed.status = .closed
        closed.classification = .bug
        closed.chargeTakenAt = rome("2026-12-04 09:30")
        closed.closedAt = rome("2026-12-04 12:00")
        #expect(refusal { try preview(closed, at: "2026-12-04 11:00") } == .closed)
        // A priority outside 1…4.
        if case .invalid(let field, _)? = refusal({ try preview(arrived, priority: 5, at: "2026-12-04 10:00") }) {
            #expect(field == "priority")
        } else {
            Issue.record("priority 5 was accepted")
        }
        // `at` equal to now is allowed.
        #expect(try preview(arrived, at: "2026-12-07 12:00", now: "2026-12-07 12:00").at == rome("2026-12-07 12:00"))
    }
}
