import Foundation
import Testing
import SportelloDomain
import SportelloTestSupport

/// Hand-computed deadlines. Rome is UTC+1 (CET) in winter and UTC+2 (CEST) from
/// 2026-03-29 01:00Z to 2026-10-25 01:00Z and from 2027-03-28 01:00Z.
/// interzen-support: Mon–Fri 08:00–18:30 (630 min); zucchetti-service: 09:00–13:00, 14:00–18:00
/// (480 min); interzen-office: 09:00–13:00, 14:30–18:30 (480 min).
@Suite("Business calendar arithmetic")
struct CalendarArithmeticTests {
    let support = CalFixtures.support
    func rome(_ s: String) -> Date { CalFixtures.rome(s) }
    func utc(_ s: String) -> Date { CalFixtures.utc(s) }

    @Test func workingDayLengths() {
        #expect(support.workingDayMinutes == 630)
        #expect(CalFixtures.office.workingDayMinutes == 480)
        #expect(CalFixtures.zucchetti.workingDayMinutes == 480)
        #expect(WorkingDuration.workingDays(1.5).seconds(on: support) == 1.5 * 630 * 60)
    }

    @Test func workingDayLengthIsTheMostCommonWeekdayThenTheLongest() throws {
        // Mon–Thu 8 h, Fri 6 h → 8 h; Mon, Tue 8 h, Wed, Thu 6 h, Fri off → tie → 8 h.
        let short = try CalFixtures.calendar(weekly: [
            .mon: ["09:00-17:00"], .tue: ["09:00-17:00"], .wed: ["09:00-17:00"], .thu: ["09:00-17:00"],
            .fri: ["09:00-15:00"], .sat: ["09:00-12:00"],
        ])
        #expect(short.workingDayMinutes == 480)
        let tie = try CalFixtures.calendar(weekly: [
            .mon: ["09:00-17:00"], .tue: ["09:00-17:00"], .wed: ["09:00-15:00"], .thu: ["09:00-15:00"],
        ])
        #expect(tie.workingDayMinutes == 480)
        let weekendOnly = try CalFixtures.calendar(weekly: [.sat: ["10:00-12:00"], .sun: ["10:00-11:00"]])
        #expect(weekendOnly.workingDayMinutes == 120)
    }

    @Test func fridayEveningPlusOneHourIsMondayMorning() throws {
        // Fri 4 Dec 18:00–18:30 = 30 min, Mon 7 Dec 08:00 + 30 min = 08:30 CET = 07:30Z.
        #expect(try support.add(.hours(1), to: rome("2026-12-04 18:00")) == utc("2026-12-07T07:30:00Z"))
    }

    @Test func immaculateConceptionIsSkipped() throws {
        // Mon 7 Dec 18:00–18:30 = 30 min, Tue 8 Dec holiday, Wed 9 Dec 08:30 CET = 07:30Z.
        #expect(try support.add(.hours(1), to: rome("2026-12-07 18:00")) == utc("2026-12-09T07:30:00Z"))
    }

    @Test func springClockChange() throws {
        // Fri 27 Mar 17:00–18:30 CET = 1.5 h; Mon 30 Mar 08:00 + 1.5 h = 09:30 CEST = 07:30Z.
        #expect(try support.add(.hours(3), to: rome("2026-03-27 17:00")) == utc("2026-03-30T07:30:00Z"))
        #expect(rome("2026-03-27 17:00") == utc("2026-03-27T16:00:00Z"))
    }

    @Test func autumnClockChange() throws {
        // Fri 23 Oct 17:00–18:30 CEST = 1.5 h; Mon 26 Oct 08:00 + 1.5 h = 09:30 CET = 08:30Z.
        #expect(try support.add(.hours(3), to: rome("2026-10-23 17:00")) == utc("2026-10-26T08:30:00Z"))
    }

    @Test func workingDayAcrossClockChangeKeepsWallClock() throws {
        // Fri 23 Oct 2026 10:00 CEST + 1 working day (630 min) = Mon 26 Oct 10:00 CET = 09:00Z.
        #expect(try support.add(.workingDays(1), to: rome("2026-10-23 10:00")) == utc("2026-10-26T09:00:00Z"))
        // Fri 27 Mar 2026 10:00 CET + 1 working day = Mon 30 Mar 10:00 CEST = 08:00Z.
        #expect(try support.add(.workingDays(1), to: rome("2026-03-27 10:00")) == utc("2026-03-30T08:00:00Z"))
        // The weekend across the change holds no working time.
        #expect(support.workingTime(from: rome("2026-03-27 18:30"), to: rome("2026-03-30 08:00")) == 0)
    }

    @Test func easter2026() throws {
        // Easter 5 Apr, Easter Monday 6 Apr. Fri 3 Apr 18:00–18:30 = 30 min; Tue 7 Apr 08:30 CEST = 06:30Z.
        #expect(try support.add(.hours(1), to: rome("2026-04-03 18:00")) == utc("2026-04-07T06:30:00Z"))
        #expect(!support.isWorkingDate(CalFixtures.date("2026-04-06")))
        #expect(support.isWorkingDate(CalFixtures.date("2026-04-07")))
    }

    @Test func easter2027OnTheClockChangeSunday() throws {
        // Easter 28 Mar 2027 is the DST Sunday; Easter Monday 29 Mar is a holiday.
        // Fri 26 Mar 18:00–18:30 CET = 30 min; Tue 30 Mar 08:30 CEST = 06:30Z.
        #expect(try support.add(.hours(1), to: rome("2027-03-26 18:00")) == utc("2027-03-30T06:30:00Z"))
        // Fri 26 Mar 08:00 + 2 working days (1260 min): Fri 630, Tue 630 → Tue 18:30 CEST = 16:30Z.
        #expect(try support.add(.workingDays(2), to: rome("2027-03-26 08:00")) == utc("2027-03-30T16:30:00Z"))
    }

    @Test func saintFrancisFrom2026() throws {
        // 4 Oct 2027 is a Monday: Fri 1 Oct 18:00–18:30 = 30 min; Tue 5 Oct 08:30 CEST = 06:30Z.
        #expect(try support.add(.hours(1), to: rome("2027-10-01 18:00")) == utc("2027-10-05T06:30:00Z"))
        #expect(!support.isWorkingDate(CalFixtures.date("2027-10-04")))
        #expect(!support.isWorkingDate(CalFixtures.date("2028-10-04")))   // a Wednesday
        #expect(support.isWorkingDate(CalFixtures.date("2024-10-04")))    // a Friday, before the law
        #expect(!support.holidays(in: 2025).contains { $0.date == CalFixtures.date("2025-10-04") })
    }

    @Test func deadlineFillingTheDayEndsAtClosingTime() throws {
        // Mon 7 Dec 08:00 + 10.5 h = Mon 18:30 CET = 17:30Z (not Tue 08:00).
        #expect(try support.add(.hours(10.5), to: rome("2026-12-07 08:00")) == utc("2026-12-07T17:30:00Z"))
        #expect(try support.add(.workingDays(1), to: rome("2026-12-07 08:00")) == utc("2026-12-07T17:30:00Z"))
        // Mon 14 Dec 08:00 + 2 working days = Tue 15 Dec 18:30 = 17:30Z.
        #expect(try support.add(.workingDays(2), to: rome("2026-12-14 08:00")) == utc("2026-12-15T17:30:00Z"))
        // Zucchetti: 09:00 + 4 h = 13:00 (the end of the morning), not 14:00.
        #expect(try CalFixtures.zucchetti.add(.hours(4), to: rome("2026-12-07 09:00")) == utc("2026-12-07T12:00:00Z"))
    }

    @Test func lunchBreakIsSkipped() throws {
        // zucchetti-service: 12:30–13:00 = 30 min, 14:00 + 30 min = 14:30 CET = 13:30Z.
        #expect(try CalFixtures.zucchetti.add(.hours(1), to: rome("2026-12-07 12:30")) == utc("2026-12-07T13:30:00Z"))
        // interzen-office: 12:30–13:00 = 30 min, 14:30 + 30 min = 15:00 CET = 14:00Z.
        #expect(try CalFixtures.office.add(.hours(1), to: rome("2026-12-07 12:30")) == utc("2026-12-07T14:00:00Z"))
        // Starting inside the break: 13:30 + 1 h = 15:00 on zucchetti-service.
        #expect(try CalFixtures.zucchetti.add(.minutes(60), to: rome("2026-12-07 13:30")) == utc("2026-12-07T14:00:00Z"))
    }

    @Test func thirtyAndOneHundredEightyWorkingDays() throws {
        // From Thu 3 Dec 2026 10:15, n working days end at 10:15 of the n-th working day after:
        // 495 min left on Thursday + (n − 1) × 630 + 135 min.
        // Working days after 3 Dec: Dec 18 (8 and 25 Dec off), Jan 2027 19 (1 and 6 Jan off) → 37,
        // Feb 20 → 57, Mar 22 (Easter Monday 29th off) → 79, Apr 22 → 101, May 21 → 122,
        // Jun 21 (2 Jun off) → 143, Jul 22 → 165, Aug: the 15th is Fri 20 Aug.
        let start = rome("2026-12-03 10:15")
        // 30th: the 12th of January 2027 = Wed 20 Jan, 10:15 CET = 09:15Z.
        #expect(try support.add(.workingDays(30), to: start) == utc("2027-01-20T09:15:00Z"))
        // 90th: the 11th of April 2027 = Thu 15 Apr, 10:15 CEST = 08:15Z.
        #expect(try support.add(.workingDays(90), to: start) == utc("2027-04-15T08:15:00Z"))
        // 180th: Fri 20 Aug 2027, 10:15 CEST = 08:15Z.
        #expect(try support.add(.workingDays(180), to: start) == utc("2027-08-20T08:15:00Z"))
    }

    @Test func workingTimeIsSignedAndExact() {
        let a = rome("2026-12-04 18:00"), b = rome("2026-12-07 08:30")
        #expect(support.workingTime(from: a, to: b) == 3600)
        #expect(support.workingTime(from: b, to: a) == -3600)
        #expect(support.workingTime(from: a, to: a) == 0)
        // Thu 3 Dec 10:15 → Fri 11 Dec 10:15 = 5 working days (8 Dec off) = 5 × 37 800 s.
        #expect(support.workingTime(from: rome("2026-12-03 10:15"), to: rome("2026-12-11 10:15")) == 5 * 37_800)
        // Fractions of a second.
        let t = rome("2026-12-07 09:00").addingTimeInterval(0.25)
        #expect(support.workingTime(from: rome("2026-12-07 09:00"), to: t) == 0.25)
    }

    @Test func closuresAndExtraHolidays() throws {
        let calendar = try CalFixtures.calendar(
            weekly: Dictionary(uniqueKeysWithValues: CalFixtures.weekdays.map { ($0, ["08:00-18:30"]) }),
            extra: ["06-29"], closures: [("2026-12-24", "2027-01-06")])
        // Wed 23 Dec 17:00–18:30 = 1.5 h; closed 24 Dec – 6 Jan; Thu 7 Jan 08:00 + 1.5 h = 09:30 CET = 08:30Z.
        #expect(try calendar.add(.hours(3), to: rome("2026-12-23 17:00")) == utc("2027-01-07T08:30:00Z"))
        // Rome's patron saint, Mon 29 Jun 2026: Fri 26 Jun 18:00–18:30, Tue 30 Jun 08:30 CEST = 06:30Z.
        #expect(try calendar.add(.hours(1), to: rome("2026-06-26 18:00")) == utc("2026-06-30T06:30:00Z"))
        // The seeded calendar has neither.
        #expect(try support.add(.hours(1), to: rome("2026-06-26 18:00")) == utc("2026-06-29T06:30:00Z"))
        #expect(!calendar.isWorkingDate(CalFixtures.date("2026-12-31")))
        #expect(calendar.isWorkingDate(CalFixtures.date("2027-01-07")))
    }

    @Test func oneOffHolidaysAndAddedClosures() throws {
        let calendar = try support.replacing(extraHolidays: [], holidays: [CalFixtures.date("2026-12-09")])
        // Mon 7 Dec 18:00: 30 min, 8 Dec national, 9 Dec one-off → Thu 10 Dec 08:30 CET = 07:30Z.
        #expect(try calendar.add(.hours(1), to: rome("2026-12-07 18:00")) == utc("2026-12-10T07:30:00Z"))
        let closed = try support.adding(closure: Closure(
            from: CalFixtures.date("2026-12-09"), to: CalFixtures.date("2026-12-11"), reason: "Inventario"))
        // 9–11 Dec closed: Mon 14 Dec 08:30 = 07:30Z.
        #expect(try closed.add(.hours(1), to: rome("2026-12-07 18:00")) == utc("2026-12-14T07:30:00Z"))
        #expect(closed.closures.count == 1)
        #expect(support.closures.isEmpty)
    }

    @Test func startOutsideWorkingTime() throws {
        // Saturday noon → Mon 7 Dec 08:00 + 1 h = 09:00 CET = 08:00Z.
        #expect(try support.add(.hours(1), to: rome("2026-12-05 12:00")) == utc("2026-12-07T08:00:00Z"))
        // Before opening on Monday.
        #expect(try support.add(.hours(1), to: rome("2026-12-07 06:00")) == utc("2026-12-07T08:00:00Z"))
        // On a holiday: Tue 8 Dec 10:00 → Wed 9 Dec 09:00 = 08:00Z.
        #expect(try support.add(.hours(1), to: rome("2026-12-08 10:00")) == utc("2026-12-09T08:00:00Z"))
        // After closing on Mon 7 Dec (Tue 8 Dec is a holiday): Wed 9 Dec 09:00 CET = 08:00Z.
        #expect(try support.add(.hours(1), to: rome("2026-12-07 19:00")) == utc("2026-12-09T08:00:00Z"))
        // At closing time exactly, 18:30 counts nothing more that day.
        #expect(try support.add(.minutes(1), to: rome("2026-12-04 18:30")) == utc("2026-12-07T07:01:00Z"))
    }

    @Test func zeroDurationReturnsTheStart() throws {
        for text in ["2026-12-05 03:17", "2026-12-07 10:00", "2026-12-07 18:30"] {
            #expect(try support.add(.hours(0), to: rome(text)) == rome(text))
            #expect(try support.add(seconds: 0, to: rome(text)) == rome(text))
        }
    }

    @Test func invalidDurationsAndStartsAreRefused() {
        #expect(throws: CalendarError.self) { try support.add(.hours(-1), to: rome("2026-12-07 10:00")) }
        #expect(throws: CalendarError.self) { try support.add(seconds: .nan, to: rome("2026-12-07 10:00")) }
        #expect(throws: CalendarError.self) { try support.add(seconds: .infinity, to: rome("2026-12-07 10:00")) }
        #expect(throws: CalendarError.self) { try support.add(.hours(1), to: utc("1850-01-01T00:00:00Z")) }
        #expect(throws: CalendarError.self) { try support.add(.workingDays(100_000), to: rome("2026-12-07 10:00")) }
    }

    @Test func noWorkingTimeThrowsQuickly() throws {
        let clock = ContinuousClock()
        let began = clock.now
        let empty = try CalFixtures.calendar("empty", weekly: [:])
        #expect(throws: CalendarError.noWorkingTime(calendar: "empty")) {
            try empty.add(.hours(1), to: rome("2026-12-07 10:00"))
        }
        #expect(throws: CalendarError.noWorkingTime(calendar: "empty")) {
            try empty.add(.workingDays(1), to: rome("2026-12-07 10:00"))
        }
        #expect(throws: CalendarError.noWorkingTime(calendar: "empty")) {
            try empty.nextWorkingInstant(atOrAfter: rome("2026-12-07 10:00"))
        }
        // Every date closed for decades.
        let closed = try CalFixtures.calendar(
            "closed", weekly: [.mon: ["08:00-18:00"]], closures: [("2026-01-01", "2199-12-31")])
        #expect(throws: CalendarError.noWorkingTime(calendar: "closed")) {
            try closed.add(.hours(1), to: rome("2026-12-07 10:00"))
        }
        #expect(clock.now - began < .seconds(1))
    }

    @Test func aYearLongClosureIsCrossed() throws {
        // Closed all of 2026; 1 Jan 2027 is a Friday holiday; Mon 4 Jan 2027 09:00 CET = 08:00Z.
        let calendar = try CalFixtures.calendar(
            weekly: Dictionary(uniqueKeysWithValues: CalFixtures.weekdays.map { ($0, ["08:00-18:30"]) }),
            closures: [("2026-01-01", "2026-12-31")])
        #expect(try calendar.add(.hours(1), to: rome("2026-03-10 10:00")) == utc("2027-01-04T08:00:00Z"))
    }

    @Test func nextWorkingInstantAndWorkingTimeChecks() throws {
        #expect(try support.nextWorkingInstant(atOrAfter: rome("2026-12-07 10:00")) == rome("2026-12-07 10:00"))
        #expect(try support.nextWorkingInstant(atOrAfter: rome("2026-12-07 18:30")) == rome("2026-12-09 08:00"))
        #expect(try support.nextWorkingInstant(atOrAfter: rome("2026-12-05 09:00")) == rome("2026-12-07 08:00"))
        #expect(support.isWorkingTime(rome("2026-12-07 08:00")))
        #expect(!support.isWorkingTime(rome("2026-12-07 18:30")))
        #expect(!support.isWorkingTime(rome("2026-12-08 10:00")))
        // Maintenance inside interzen-office hours: 09:00–13:00 yes, 12:00–15:00 no (lunch).
        #expect(CalFixtures.office.isWithinWorkingTime(from: rome("2026-12-09 09:00"), to: rome("2026-12-09 13:00")))
        #expect(!CalFixtures.office.isWithinWorkingTime(from: rome("2026-12-09 12:00"), to: rome("2026-12-09 15:00")))
    }

    @Test func wallClockConversions() {
        #expect(support.localDate(of: utc("2026-12-07T23:30:00Z")) == CalFixtures.date("2026-12-08"))
        #expect(support.localDate(of: utc("2026-07-07T21:59:00Z")) == CalFixtures.date("2026-07-07"))
        #expect(support.localDate(of: utc("2026-07-07T22:00:00Z")) == CalFixtures.date("2026-07-08"))
        #expect(support.instant(on: CalFixtures.date("2026-03-30"), minute: 8 * 60) == utc("2026-03-30T06:00:00Z"))
        #expect(support.instant(on: CalFixtures.date("2026-03-27"), minute: 8 * 60) == utc("2026-03-27T07:00:00Z"))
        // 02:30 on 29 Mar 2026 does not exist: it maps to the change, 01:00Z.
        #expect(support.instant(on: CalFixtures.date("2026-03-29"), minute: 150) == utc("2026-03-29T01:00:00Z"))
        // 02:30 on 25 Oct 2026 happens twice: the first one (CEST) is taken.
        #expect(support.instant(on: CalFixtures.date("2026-10-25"), minute: 150) == utc("2026-10-25T00:30:00Z"))
    }
}

/// Calendars whose working intervals touch the clock change itself.
@Suite("Business calendar on clock-change days")
struct CalendarClockChangeTests {
    func utc(_ s: String) -> Date { CalFixtures.utc(s) }

    @Test func roundTheClockCalendarFollowsRealTime() throws {
        let always = try CalFixtures.calendar(weekly: Dictionary(uniqueKeysWithValues: Weekday.allCases.map { ($0, ["00:00-24:00"]) }))
        // Sun 29 Mar 2026 lasts 23 h, Sun 25 Oct 2026 25 h.
        let spring = always.workingTime(from: CalFixtures.rome("2026-03-29 00:00"), to: CalFixtures.rome("2026-03-30 00:00"))
        let autumn = always.workingTime(from: CalFixtures.rome("2026-10-25 00:00"), to: CalFixtures.rome("2026-10-26 00:00"))
        #expect(spring == 23 * 3600)
        #expect(autumn == 25 * 3600)
        // Sat 28 Mar 00:00 CET (27 Mar 23:00Z) + 47 h = Mon 30 Mar 00:00 CEST = 29 Mar 22:00Z.
        #expect(try always.add(.hours(47), to: utc("2026-03-27T23:00:00Z")) == utc("2026-03-29T22:00:00Z"))
        // Away from holidays, adding to a 24/7 calendar is adding real time.
        var rng = SeededGenerator(seed: 7)
        let base = utc("2026-10-19T00:00:00Z").timeIntervalSinceReferenceDate
        for _ in 0..<500 {
            let s = Date(timeIntervalSinceReferenceDate: base + Double(rng.next() % (5 * 86_400)))
            let d = Double(rng.next() % (3 * 86_400))
            #expect(try always.add(seconds: d, to: s) == s.addingTimeInterval(d))
        }
    }

    @Test func intervalAcrossTheChange() throws {
        // Sundays 01:00–04:00: on 29 Mar 2026 01:00 CET = 00:00Z to 04:00 CEST = 02:00Z (2 h);
        // on 25 Oct 2026 01:00 CEST = 24 Oct 23:00Z to 04:00 CET = 03:00Z (4 h).
        let night = try CalFixtures.calendar(weekly: [.sun: ["01:00-04:00"]])
        let spring = night.workingTime(from: utc("2026-03-28T12:00:00Z"), to: utc("2026-03-29T12:00:00Z"))
        let autumn = night.workingTime(from: utc("2026-10-24T12:00:00Z"), to: utc("2026-10-25T12:00:00Z"))
        #expect(spring == 2 * 3600)
        #expect(autumn == 4 * 3600)
        // 2.5 h from Saturday: 2 h on 29 Mar, then Sun 5 Apr 01:00 CEST (4 Apr 23:00Z) + 30 min.
        #expect(try night.add(.hours(2.5), to: utc("2026-03-28T12:00:00Z")) == utc("2026-04-04T23:30:00Z"))
        // 3 h from Saturday 24 Oct: 24 Oct 23:00Z + 3 h = 25 Oct 02:00Z (03:00 CET).
        #expect(try night.add(.hours(3), to: utc("2026-10-24T12:00:00Z")) == utc("2026-10-25T02:00:00Z"))
        // 5 h: the 4 h of 25 Oct and 1 h of 1 Nov? 1 Nov is Ognissanti (a Sunday holiday), so
        // Sun 8 Nov 01:00 CET (00:00Z) + 1 h = 01:00Z.
        #expect(try night.add(.hours(5), to: utc("2026-10-24T12:00:00Z")) == utc("2026-11-08T01:00:00Z"))
        // A year of such Sundays: workingTime and add agree.
        let start = utc("2026-01-01T00:00:00Z")
        let year = night.workingTime(from: start, to: utc("2027-01-01T00:00:00Z"))
        #expect(try night.workingTime(from: start, to: night.add(seconds: year, to: start)) == year)
    }
}
