import Foundation
import Testing
import SportelloDomain

/// Clock states on interzen-support (08:00–18:30), ticket received Thursday 3 Dec 2026 10:15
/// Rome (CET). Figures in working seconds.
@Suite("SLA clocks")
struct SLAClockTests {
    let calendar = CalFixtures.support
    let received = CalFixtures.rome("2026-12-03 10:15")
    func rome(_ s: String) -> Date { CalFixtures.rome(s) }

    func status(
        _ target: WorkingDuration, pauses: [PauseInterval] = [], stoppedAt: String? = nil, asOf: String
    ) throws -> SLAClockStatus {
        try SLAClock.status(
            start: received, target: target, calendar: calendar, pauses: pauses,
            stoppedAt: stoppedAt.map(rome), asOf: rome(asOf))
    }

    @Test func runningClock() throws {
        // 10:15 → 10:45 = 30 min counted of 60; due 11:15.
        let s = try status(.hours(1), asOf: "2026-12-03 10:45")
        #expect(s.state == .running)
        #expect(s.due == rome("2026-12-03 11:15"))
        #expect(s.elapsed == 1800 && s.remaining == 1800 && s.paused == 0)
        #expect(s.targetSeconds == 3600 && s.fraction == 0.5)
        #expect(s.breachedAt == nil)
    }

    @Test func escalationFractions() throws {
        // 45 of 60 min = 75 %; 90 of 60 = 150 %.
        #expect(try status(.hours(1), asOf: "2026-12-03 11:00").fraction == 0.75)
        #expect(try status(.hours(1), asOf: "2026-12-03 11:45").fraction == 1.5)
        // 1 working day from Thu 10:15: at Fri 08:00 the 495 min of Thursday are counted, 495/630.
        #expect(try status(.workingDays(1), asOf: "2026-12-04 08:00").fraction == 495.0 / 630.0)
    }

    @Test func metWhenStoppedInTime() throws {
        let s = try status(.hours(1), stoppedAt: "2026-12-03 11:00", asOf: "2026-12-05 12:00")
        #expect(s.state == .met && s.breachedAt == nil)
        #expect(s.elapsed == 2700 && s.remaining == 900)
        // Stopped exactly at the deadline is still met.
        #expect(try status(.hours(1), stoppedAt: "2026-12-03 11:15", asOf: "2026-12-03 12:00").state == .met)
    }

    @Test func breachedWhenStoppedLate() throws {
        let s = try status(.hours(1), stoppedAt: "2026-12-03 12:00", asOf: "2026-12-03 12:00")
        #expect(s.state == .breached)
        #expect(s.breachedAt == rome("2026-12-03 11:15"))
        #expect(s.elapsed == 6300 && s.remaining == -2700)
    }

    @Test func breachedWhilePastDue() throws {
        // One minute after the deadline.
        let s = try status(.hours(1), asOf: "2026-12-03 11:16")
        #expect(s.state == .breached && s.breachedAt == rome("2026-12-03 11:15"))
        #expect(s.remaining == -60)
        // Exactly at the deadline it is not yet breached.
        #expect(try status(.hours(1), asOf: "2026-12-03 11:15").state == .running)
        // 8 h from 10:15 falls at 18:15; at 18:40 (after closing) it is breached with 15 min over.
        let late = try status(.hours(8), asOf: "2026-12-03 18:40")
        #expect(late.state == .breached && late.breachedAt == rome("2026-12-03 18:15") && late.remaining == -900)
    }

    @Test func closedPauseMovesTheDeadline() throws {
        // Waiting for the customer Thu 14:00 → Fri 09:00: Thu 14:00–18:30 (270) + Fri 08:00–09:00 (60)
        // = 330 min paused. Counted: Thu 10:15–14:00 = 225 min; 405 left from Fri 09:00 → 15:45.
        let pause = PauseInterval(from: rome("2026-12-03 14:00"), to: rome("2026-12-04 09:00"))
        let s = try status(.workingDays(1), pauses: [pause], asOf: "2026-12-04 12:00")
        #expect(s.due == rome("2026-12-04 15:45"))
        #expect(s.paused == 330 * 60)
        // Elapsed: (495 + 240) − 330 = 405 min.
        #expect(s.elapsed == 405 * 60 && s.remaining == 225 * 60)
        #expect(s.state == .running)
        // due = add(target + paused, start) when the pauses precede the deadline.
        #expect(try calendar.add(seconds: (630 + 330) * 60, to: received) == s.due)
    }

    @Test func openPause() throws {
        // Paused since Thu 14:00, as of Fri 10:00: 270 + 120 = 390 min paused, 225 counted;
        // if resumed now: Fri 10:00 + 405 min = 16:45.
        let pause = PauseInterval(from: rome("2026-12-03 14:00"), to: nil)
        let s = try status(.workingDays(1), pauses: [pause], asOf: "2026-12-04 10:00")
        #expect(s.state == .paused)
        #expect(s.paused == 390 * 60 && s.elapsed == 225 * 60)
        #expect(s.due == rome("2026-12-04 16:45"))
        #expect(s.breachedAt == nil)
    }

    @Test func pausedAfterTheDeadlineStaysBreached() throws {
        // 1 h due at 11:15; paused from 12:00 on; as of Friday it is breached at 11:15.
        let pause = PauseInterval(from: rome("2026-12-03 12:00"), to: nil)
        let s = try status(.hours(1), pauses: [pause], asOf: "2026-12-04 10:00")
        #expect(s.state == .breached)
        #expect(s.due == rome("2026-12-03 11:15") && s.breachedAt == rome("2026-12-03 11:15"))
        // Counted 10:15–12:00 = 105 min: 45 over.
        #expect(s.elapsed == 105 * 60 && s.remaining == -45 * 60)
    }

    @Test func pauseBeforeTheDeadlineCanSaveTheClock() throws {
        // 1 h from 10:15, paused 10:30–14:00, stopped 14:30: counted 15 + 30 = 45 min → met,
        // due 14:45.
        let pause = PauseInterval(from: rome("2026-12-03 10:30"), to: rome("2026-12-03 14:00"))
        let s = try status(.hours(1), pauses: [pause], stoppedAt: "2026-12-03 14:30", asOf: "2026-12-03 15:00")
        #expect(s.state == .met)
        #expect(s.due == rome("2026-12-03 14:45"))
        #expect(s.elapsed == 45 * 60 && s.paused == 210 * 60)
    }

    @Test func overlappingPausesCountOnce() throws {
        let a = PauseInterval(from: rome("2026-12-03 11:00"), to: rome("2026-12-03 13:00"))
        let b = PauseInterval(from: rome("2026-12-03 12:00"), to: rome("2026-12-03 14:00"))
        let s = try status(.hours(4), pauses: [b, a], asOf: "2026-12-03 15:00")
        // Paused 11:00–14:00 = 180 min; counted 45 + 60 = 105 min; due 14:00 + 195 min = 17:15.
        #expect(s.paused == 180 * 60 && s.elapsed == 105 * 60)
        #expect(s.due == rome("2026-12-03 17:15"))
    }

    @Test func eventsAfterAsOfAreIgnored() throws {
        // A stop after asOf: the clock is still running as of 10:45.
        let s = try status(.hours(1), stoppedAt: "2026-12-03 11:00", asOf: "2026-12-03 10:45")
        #expect(s.state == .running && s.elapsed == 1800)
        // A pause starting after asOf does not count.
        let later = PauseInterval(from: rome("2026-12-03 11:00"), to: nil)
        let p = try status(.hours(1), pauses: [later], asOf: "2026-12-03 10:45")
        #expect(p.state == .running && p.paused == 0 && p.due == rome("2026-12-03 11:15"))
    }

    @Test func zeroTargetAndNotApplicable() throws {
        let zero = try status(.hours(0), asOf: "2026-12-03 10:15")
        #expect(zero.due == received && zero.state == .running && zero.fraction == 0)
        #expect(try status(.hours(0), asOf: "2026-12-03 10:16").state == .breached)
        let na = SLAClockStatus.notApplicable(target: .hours(1), start: received)
        #expect(na.state == .notApplicable && na.fraction == 0 && na.breachedAt == nil)
    }

    @Test func statusRoundTripsThroughJSON() throws {
        let s = try status(.hours(1), asOf: "2026-12-03 11:16")
        #expect(try JSONDecoder().decode(SLAClockStatus.self, from: JSONEncoder().encode(s)) == s)
    }
}
