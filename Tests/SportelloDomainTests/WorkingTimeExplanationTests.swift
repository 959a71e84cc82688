import Foundation
import Testing
import SportelloDomain
import SportelloTestSupport

/// `BusinessCalendar.explain`: the stretches of working time a deadline was built from, hand
/// computed. Rome is UTC+1 (CET) in winter and UTC+2 (CEST) from 2026-03-29 01:00Z to
/// 2026-10-25 01:00Z and from 2027-03-28 01:00Z. interzen-support: Mon–Fri 08:00–18:30;
/// zucchetti-service: Mon–Fri 09:00–13:00 and 14:00–18:00.
@Suite("Explaining a deadline")
struct WorkingTimeExplanationTests {
    let support = CalFixtures.support
    let zucchetti = CalFixtures.zucchetti
    func rome(_ s: String) -> Date { CalFixtures.rome(s) }
    func utc(_ s: String) -> Date { CalFixtures.utc(s) }

    /// `(from, to)` of each stretch.
    func spans(_ explanation: WorkingTimeExplanation) -> [[Date]] {
        explanation.stretches.map { [$0.from, $0.to] }
    }

    @Test func fridayEveningPlusOneHourIsMondayMorning() throws {
        // Fri 4 Dec 2026 18:00 CET: 18:00–18:30 = 30 min (17:00Z–17:30Z); Sat, Sun closed;
        // Mon 7 Dec 08:00 + the other 30 min = 08:30 CET (07:00Z–07:30Z).
        let explanation = try support.explain(.hours(1), from: rome("2026-12-04 18:00"))
        #expect(explanation.deadline == utc("2026-12-07T07:30:00Z"))
        #expect(spans(explanation) == [
            [utc("2026-12-04T17:00:00Z"), utc("2026-12-04T17:30:00Z")],
            [utc("2026-12-07T07:00:00Z"), utc("2026-12-07T07:30:00Z")],
        ])
        #expect(explanation.lines == [
            "Fri 4 Dec 2026 18:00–18:30 Europe/Rome: 30 min",
            "Mon 7 Dec 2026 08:00–08:30 Europe/Rome: 30 min",
        ])
    }

    @Test func immaculateConceptionIsSkipped() throws {
        // Mon 7 Dec 2026 18:00–18:30 = 30 min; Tue 8 Dec is a national holiday; Wed 9 Dec
        // 08:00–08:30 = 30 min → 08:30 CET = 07:30Z.
        let explanation = try support.explain(.hours(1), from: rome("2026-12-07 18:00"))
        #expect(explanation.deadline == utc("2026-12-09T07:30:00Z"))
        #expect(explanation.lines == [
            "Mon 7 Dec 2026 18:00–18:30 Europe/Rome: 30 min",
            "Wed 9 Dec 2026 08:00–08:30 Europe/Rome: 30 min",
        ])
    }

    @Test func springClockChangeAndEasterMonday() throws {
        // Fri 26 Mar 2027 18:00 CET (17:00Z): 18:00–18:30 = 30 min (17:00Z–17:30Z). Clocks go
        // forward on Sun 28 Mar (Easter); Mon 29 Mar is Easter Monday, a national holiday;
        // Tue 30 Mar 08:00–08:30 CEST = 06:00Z–06:30Z: the wall clock is kept, the offset moves.
        let explanation = try support.explain(.hours(1), from: rome("2027-03-26 18:00"))
        #expect(explanation.deadline == utc("2027-03-30T06:30:00Z"))
        #expect(spans(explanation) == [
            [utc("2027-03-26T17:00:00Z"), utc("2027-03-26T17:30:00Z")],
            [utc("2027-03-30T06:00:00Z"), utc("2027-03-30T06:30:00Z")],
        ])
        #expect(explanation.lines == [
            "Fri 26 Mar 2027 18:00–18:30 Europe/Rome: 30 min",
            "Tue 30 Mar 2027 08:00–08:30 Europe/Rome: 30 min",
        ])
    }

    @Test func autumnClockChange() throws {
        // Fri 23 Oct 2026 17:00–18:30 CEST = 90 min (15:00Z–16:30Z); clocks go back on Sun 25
        // Oct; Mon 26 Oct 08:00–09:30 CET = 90 min (07:00Z–08:30Z).
        let explanation = try support.explain(.hours(3), from: rome("2026-10-23 17:00"))
        #expect(explanation.deadline == utc("2026-10-26T08:30:00Z"))
        #expect(spans(explanation) == [
            [utc("2026-10-23T15:00:00Z"), utc("2026-10-23T16:30:00Z")],
            [utc("2026-10-26T07:00:00Z"), utc("2026-10-26T08:30:00Z")],
        ])
        #expect(explanation.lines == [
            "Fri 23 Oct 2026 17:00–18:30 Europe/Rome: 90 min",
            "Mon 26 Oct 2026 08:00–09:30 Europe/Rome: 90 min",
        ])
    }

    @Test func italianLinesNameDaysAndMonthsInItalian() throws {
        // The same Friday evening as above: venerdì 4 dicembre 18:00–18:30, then lunedì 7
        // dicembre 08:00–08:30; English stays the default.
        let explanation = try support.explain(.hours(1), from: rome("2026-12-04 18:00"))
        #expect(explanation.lines(in: .it) == [
            "ven 4 dic 2026 18:00–18:30 Europe/Rome: 30 min",
            "lun 7 dic 2026 08:00–08:30 Europe/Rome: 30 min",
        ])
        #expect(explanation.lines(in: .en) == explanation.lines)
    }

    @Test func zucchettiLunchBreak() throws {
        // Fri 4 Dec 2026 12:00 CET + 3 h: 12:00–13:00 = 60 min, lunch 13:00–14:00, 14:00–16:00 =
        // 120 min → 16:00 CET = 15:00Z.
        let explanation = try zucchetti.explain(.hours(3), from: rome("2026-12-04 12:00"))
        #expect(explanation.deadline == utc("2026-12-04T15:00:00Z"))
        #expect(spans(explanation) == [
            [utc("2026-12-04T11:00:00Z"), utc("2026-12-04T12:00:00Z")],
            [utc("2026-12-04T13:00:00Z"), utc("2026-12-04T15:00:00Z")],
        ])
        #expect(explanation.lines == [
            "Fri 4 Dec 2026 12:00–13:00 Europe/Rome: 60 min",
            "Fri 4 Dec 2026 14:00–16:00 Europe/Rome: 120 min",
        ])
    }

    @Test func oneZucchettiWorkingDayOverTwoDays() throws {
        // Thu 3 Dec 2026 17:00 CET + 1 working day (480 min): Thu 17:00–18:00 = 60; Fri
        // 09:00–13:00 = 240; Fri 14:00–17:00 = 180 (60 + 240 + 180 = 480) → 17:00 CET = 16:00Z.
        let explanation = try zucchetti.explain(.workingDays(1), from: rome("2026-12-03 17:00"))
        #expect(explanation.deadline == utc("2026-12-04T16:00:00Z"))
        #expect(explanation.lines == [
            "Thu 3 Dec 2026 17:00–18:00 Europe/Rome: 60 min",
            "Fri 4 Dec 2026 09:00–13:00 Europe/Rome: 240 min",
            "Fri 4 Dec 2026 14:00–17:00 Europe/Rome: 180 min",
        ])
    }

    @Test func aStartOutsideWorkingTimeCountsFromTheNextOpening() throws {
        // Sat 5 Dec 2026 10:00 + 30 min: nothing on the weekend; Mon 7 Dec 08:00–08:30 CET.
        let explanation = try support.explain(.minutes(30), from: rome("2026-12-05 10:00"))
        #expect(explanation.deadline == utc("2026-12-07T07:30:00Z"))
        #expect(explanation.lines == ["Mon 7 Dec 2026 08:00–08:30 Europe/Rome: 30 min"])
    }

    @Test func aDeadlineThatFillsTheDayIsClosingTime() throws {
        // Fri 4 Dec 2026 17:00 + 90 min = 18:30 exactly: 18:30 CET (17:30Z), not Monday 08:00.
        let explanation = try support.explain(.minutes(90), from: rome("2026-12-04 17:00"))
        #expect(explanation.deadline == utc("2026-12-04T17:30:00Z"))
        #expect(explanation.lines == ["Fri 4 Dec 2026 17:00–18:30 Europe/Rome: 90 min"])
    }

    @Test func aStartOffTheMinuteShowsItsSeconds() throws {
        // Fri 4 Dec 2026 18:00:30 + 60 min: 18:00:30–18:30 = 29.5 min; Mon 08:00–08:30:30 = 30.5 min.
        let explanation = try support.explain(.hours(1), from: rome("2026-12-04 18:00:30"))
        #expect(explanation.deadline == utc("2026-12-07T07:30:30Z"))
        #expect(explanation.lines == [
            "Fri 4 Dec 2026 18:00:30–18:30 Europe/Rome: 29.5 min",
            "Mon 7 Dec 2026 08:00–08:30:30 Europe/Rome: 30.5 min",
        ])
    }

    @Test func zeroDurationHasNoStretches() throws {
        let start = rome("2026-12-05 10:00")
        let explanation = try support.explain(.minutes(0), from: start)
        #expect(explanation.deadline == start)
        #expect(explanation.stretches.isEmpty && explanation.lines.isEmpty)
    }

    @Test func anIntervalEndingAtMidnightReads2400() throws {
        // Mon 7 Dec 2026 22:00 + 3 h on a calendar open 20:00–24:00 every day: Mon 22:00–24:00 =
        // 120 min; Tue 8 Dec is a holiday; Wed 9 Dec 20:00–21:00 = 60 min → 21:00 CET = 20:00Z.
        let nights = try CalFixtures.calendar(weekly: Dictionary(uniqueKeysWithValues: Weekday.allCases.map { ($0, ["20:00-24:00"]) }))
        let explanation = try nights.explain(.hours(3), from: rome("2026-12-07 22:00"))
        #expect(explanation.deadline == utc("2026-12-09T20:00:00Z"))
        #expect(explanation.lines == [
            "Mon 7 Dec 2026 22:00–24:00 Europe/Rome: 120 min",
            "Wed 9 Dec 2026 20:00–21:00 Europe/Rome: 60 min",
        ])
    }

    @Test func tooManyStretchesAreRefusedNamingTheDuration() throws {
        // 1,000 working days of interzen-support are 1,000 stretches (one a day); one more is refused.
        let start = rome("2026-12-07 08:00")
        #expect(try support.explain(.workingDays(1000), from: start).stretches.count == 1000)
        #expect {
            try support.explain(.workingDays(1001), from: start)
        } throws: { error in
            guard case CalendarError.invalid(let field, _) = error else { return false }
            return field == "duration"
        }
        #expect(throws: CalendarError.self) { try support.explain(.minutes(-1), from: start) }
    }

    /// The deadline is `add`'s, the stretches add up to the duration, come in order without
    /// overlapping, and lie inside working time: for random starts and durations on the three
    /// seeded calendars (holidays, clock changes and lunch breaks included).
    @Test func agreesWithAddOnRandomCases() throws {
        var generator = SeededGenerator(seed: 20261206)
        let base = rome("2026-01-01 00:00")
        for _ in 0..<600 {
            let calendar = [support, zucchetti, CalFixtures.office].randomElement(using: &generator)!
            let start = base.addingTimeInterval(Double(Int.random(in: 0..<(2 * 366 * 86_400), using: &generator) / 60 * 60))
            let minutes = Int.random(in: 0...(8 * 630), using: &generator)
            let explanation = try calendar.explain(.minutes(Double(minutes)), from: start)
            #expect(explanation.deadline == (try calendar.add(.minutes(Double(minutes)), to: start)))
            #expect(explanation.stretches.reduce(0) { $0 + $1.seconds } == Double(minutes * 60))
            #expect(explanation.stretches.last.map { $0.to } ?? start == explanation.deadline)
            var previous = start
            for stretch in explanation.stretches {
                #expect(stretch.from >= previous && stretch.to > stretch.from)
                #expect(calendar.isWithinWorkingTime(from: stretch.from, to: stretch.to.addingTimeInterval(-1)))
                previous = stretch.to
            }
            #expect(explanation.lines.count == explanation.stretches.count)
        }
    }
}
