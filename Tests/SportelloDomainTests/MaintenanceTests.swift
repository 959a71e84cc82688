import Foundation
import Testing
import SportelloDomain

/// Hand-computed maintenance windows and availability. interzen-office works Mon–Fri
/// 09:00–13:00 and 14:30–18:30 Rome wall clock (480 min a day). Rome is UTC+1 (CET) in winter
/// and UTC+2 (CEST) from 2027-03-28 01:00Z to 2027-10-31 01:00Z. Easter 2027 is 28 March (so
/// Easter Monday is 29 March, the day after the spring change); 4 October 2027 is a Monday,
/// 8 December 2027 a Wednesday, 1 November 2027 a Monday.
@Suite("Maintenance windows and availability")
struct MaintenanceTests {
    let office = CalFixtures.office
    func rome(_ s: String) -> Date { CalFixtures.rome(s) }
    func utc(_ s: String) -> Date { CalFixtures.utc(s) }
    let longAgo = CalFixtures.utc("2026-01-01T00:00:00Z")

    func refusal(_ from: String, _ to: String, on calendar: BusinessCalendar? = nil) -> MaintenanceWindowError? {
        if case .failure(let error) = MaintenanceRules.check(from: rome(from), to: rome(to), now: longAgo, on: calendar ?? office) {
            return error
        }
        return nil
    }

    // MARK: windows around the lunch break

    @Test func windowsThatFitAreAccepted() {
        #expect(refusal("2027-03-09 14:30", "2027-03-09 16:00") == nil)   // Tue afternoon
        #expect(refusal("2027-03-09 12:00", "2027-03-09 13:00") == nil)   // ends exactly at the break
        #expect(refusal("2027-03-09 14:30", "2027-03-09 18:30") == nil)   // the whole afternoon stretch
        #expect(refusal("2027-03-09 09:00", "2027-03-09 13:00") == nil)
    }

    @Test func acrossTheBreakMovesToTwoThirty() {
        // 12:30 + 60 min = 13:30 > 13:00 → the next stretch, 14:30 CET = 13:30Z.
        #expect(refusal("2027-03-09 12:30", "2027-03-09 13:30") == .outsideWorkingTime(nextValidStart: utc("2027-03-09T13:30:00Z")))
        // Starting inside the break (13:30): 14:30 CET.
        #expect(refusal("2027-03-09 13:30", "2027-03-09 14:00") == .outsideWorkingTime(nextValidStart: utc("2027-03-09T13:30:00Z")))
        // 12:45–13:00 fits; 12:45–13:15 moves to 14:30.
        #expect(refusal("2027-03-09 12:45", "2027-03-09 13:00") == nil)
    }

    @Test func holidaysMoveToTheNextWorkingMorning() {
        // Wed 8 Dec 2027 (Immacolata) → Thu 9 Dec 09:00 CET = 08:00Z.
        #expect(refusal("2027-12-08 10:00", "2027-12-08 11:00") == .outsideWorkingTime(nextValidStart: utc("2027-12-09T08:00:00Z")))
        // Easter Monday 29 Mar 2027 → Tue 30 Mar 09:00 CEST = 07:00Z.
        #expect(refusal("2027-03-29 10:00", "2027-03-29 11:00") == .outsideWorkingTime(nextValidStart: utc("2027-03-30T07:00:00Z")))
        // Mon 4 Oct 2027 (San Francesco) → Tue 5 Oct 09:00 CEST = 07:00Z.
        #expect(refusal("2027-10-04 10:00", "2027-10-04 11:00") == .outsideWorkingTime(nextValidStart: utc("2027-10-05T07:00:00Z")))
    }

    @Test func aClosureMovesPastItsLastDay() throws {
        // Closure Mon 9 – Fri 20 Aug 2027; Sat 21, Sun 22 → Mon 23 Aug 09:00 CEST = 07:00Z.
        let closed = try office.adding(closure: Closure(from: CalFixtures.date("2027-08-09"), to: CalFixtures.date("2027-08-20"), reason: "Chiusura estiva"))
        #expect(refusal("2027-08-11 10:00", "2027-08-11 11:00", on: closed) == .outsideWorkingTime(nextValidStart: utc("2027-08-23T07:00:00Z")))
        #expect(refusal("2027-08-11 10:00", "2027-08-11 11:00") == nil)
    }

    @Test func bothDaylightSavingWeekends() {
        // Fri 26 Mar 2027 17:30–18:30 CET fits.
        #expect(refusal("2027-03-26 17:30", "2027-03-26 18:30") == nil)
        // Sat 27 Mar → Sun 28 (the change) → Mon 29 Easter Monday → Tue 30 Mar 09:00 CEST = 07:00Z.
        #expect(refusal("2027-03-27 10:00", "2027-03-27 11:00") == .outsideWorkingTime(nextValidStart: utc("2027-03-30T07:00:00Z")))
        // Fri 29 Oct 2027 17:00 for 2 h ends 19:00 > 18:30; Sat 30, Sun 31 (the change), Mon 1 Nov
        // (Ognissanti) → Tue 2 Nov 09:00 CET = 08:00Z.
        #expect(refusal("2027-10-29 17:00", "2027-10-29 19:00") == .outsideWorkingTime(nextValidStart: utc("2027-11-02T08:00:00Z")))
        // Mon 1 Nov after the change, 14:30 → Tue 2 Nov 09:00 CET.
        #expect(refusal("2027-11-01 14:30", "2027-11-01 15:00") == .outsideWorkingTime(nextValidStart: utc("2027-11-02T08:00:00Z")))
    }

    @Test func badWindows() {
        #expect(refusal("2027-03-09 15:00", "2027-03-09 14:30") == .endsBeforeStart)
        #expect(refusal("2027-03-09 15:00", "2027-03-09 15:00") == .endsBeforeStart)
        // 09:00 → 17:01 is 481 min > 480.
        #expect(refusal("2027-03-09 09:00", "2027-03-09 17:01") == .tooLong(maximumMinutes: 480))
        // 5 h fits in no stretch (the longest is 4 h): no next start.
        #expect(refusal("2027-03-09 09:00", "2027-03-09 14:00") == .outsideWorkingTime(nextValidStart: nil))
        let past = MaintenanceRules.check(from: rome("2027-03-09 10:00"), to: rome("2027-03-09 11:00"), now: rome("2027-03-09 10:01"), on: office)
        guard case .failure(.inPast) = past else { Issue.record("expected inPast, got \(past)"); return }
    }

    // MARK: notice

    @Test func twoWorkingDaysOfNotice() {
        // Thu 4 Mar 10:00 → Tue 9 Mar 14:30: Thu 180 + 240, Fri 480, Mon 480, Tue 240 = 1620 ≥ 960.
        #expect(MaintenanceRules.hasNotice(now: rome("2027-03-04 10:00"), start: rome("2027-03-09 14:30"), workingDays: 2, on: office))
        // Fri 5 Mar 16:00 → Tue 9 Mar 14:30: Fri 150, Mon 480, Tue 240 = 870 < 960.
        #expect(!MaintenanceRules.hasNotice(now: rome("2027-03-05 16:00"), start: rome("2027-03-09 14:30"), workingDays: 2, on: office))
        // 960 min from Fri 16:00: Fri 150, Mon 480 (630), Tue morning 240 (870), 90 more from 14:30
        // = Tue 9 Mar 16:00 CET = 15:00Z; a 90-minute window fits there (ends 17:30).
        #expect(MaintenanceRules.earliestStart(now: rome("2027-03-05 16:00"), workingDays: 2, length: 90 * 60, on: office) == utc("2027-03-09T15:00:00Z"))
        // A 3-hour window does not fit after 16:00 (ends 19:00): Wed 10 Mar 09:00 CET = 08:00Z.
        #expect(MaintenanceRules.earliestStart(now: rome("2027-03-05 16:00"), workingDays: 2, length: 3 * 3600, on: office) == utc("2027-03-10T08:00:00Z"))
    }

    @Test func announcementWords() {
        let from = rome("2027-03-09 14:30"), to = rome("2027-03-09 16:00")
        #expect(MaintenanceText.window(from: from, to: to, on: office, in: .it) == "martedì 9 marzo 2027, dalle 14:30 alle 16:00")
        #expect(MaintenanceText.window(from: from, to: to, on: office, in: .en) == "Tuesday 9 March 2027, from 14:30 to 16:00")
        // Summer time: 1 June 2027 09:00 CEST.
        #expect(MaintenanceText.window(from: rome("2027-06-01 09:00"), to: rome("2027-06-01 10:00"), on: office, in: .it) == "martedì 1° giugno 2027, dalle 09:00 alle 10:00")
    }

    // MARK: availability

    func span(_ from: String, _ to: String) -> MinuteSpan { MinuteSpan(from: rome(from), to: rome(to)) }
    func month(_ iso: String) -> MinuteSpan { Availability.monthSpan(YearMonth(iso: iso)!, calendar: office) }

    @Test func monthLengthsInRome() {
        #expect(month("2027-03").length == 44_580)   // 31 × 1440 − 60 (spring change)
        #expect(month("2027-10").length == 44_700)   // 31 × 1440 + 60 (autumn change)
        #expect(month("2027-02").length == 40_320)   // 28 × 1440
        #expect(month("2026-11").length == 43_200)   // 30 × 1440
        // 1 Nov 2026 00:00 CET = 31 Oct 23:00Z.
        #expect(month("2026-11").start == MinuteSpan.minute(utc("2026-10-31T23:00:00Z")))
    }

    @Test func overlappingOutagesCountOnce() {
        // Nov 2026: 43,200 min; budget 43,200 × 0.05 % = 21.6 → 21. Outages 10:00–10:30 and
        // 10:20–10:40 on 10 Nov → 10:00–10:40 = 40 min; 43,160 / 43,200 = 99.907407… % → "99.90740".
        let figures = Availability.figures(
            month: month("2026-11"),
            outages: [span("2026-11-10 10:00", "2026-11-10 10:30"), span("2026-11-10 10:20", "2026-11-10 10:40")],
            maintenance: [])
        #expect(figures == AvailabilityFigures(
            minutes: 43_200, outageMinutes: 40, maintenanceMinutes: 0, downtimeMinutes: 40, availability: "99.90740",
            budgetMinutes: 21, budgetLeftMinutes: -19, met: false))
    }

    @Test func maintenanceIsExcludedAndTheExampleFigure() {
        // Outage 10:00–10:40, window 10:30–11:00 → 10 min inside it, 30 down; plus 10:50–10:55
        // inside the window only → 45 outage minutes, 15 maintenance, 30 down.
        let figures = Availability.figures(
            month: month("2026-11"),
            outages: [span("2026-11-10 10:00", "2026-11-10 10:40"), span("2026-11-10 10:50", "2026-11-10 10:55")],
            maintenance: [span("2026-11-10 10:30", "2026-11-10 11:00")])
        #expect(figures.outageMinutes == 45)
        #expect(figures.maintenanceMinutes == 15)
        #expect(figures.downtimeMinutes == 30)
        // 10 minutes down in 43,200: 43,190 / 43,200 = 99.976851… → "99.97685", budget left 11.
        let ten = Availability.figures(month: month("2026-11"), outages: [span("2026-11-03 09:00", "2026-11-03 09:10")], maintenance: [])
        #expect(ten.availability == "99.97685")
        #expect(ten.budgetLeftMinutes == 11)
        #expect(ten.met)
    }

    @Test func outagesCrossingMonthBoundaries() {
        // 31 Oct 2026 23:50 → 1 Nov 00:20 (CET both): 10 min in October, 20 in November.
        let outage = span("2026-10-31 23:50", "2026-11-01 00:20")
        #expect(Availability.figures(month: month("2026-10"), outages: [outage], maintenance: []).outageMinutes == 10)
        #expect(Availability.figures(month: month("2026-11"), outages: [outage], maintenance: []).outageMinutes == 20)
    }

    @Test func theTwoDaylightSavingMonths() {
        // 28 Mar 2027 01:30 CET (00:30Z) → 03:30 CEST (01:30Z): 60 min, though the wall clock
        // shows two hours. 44,520 / 44,580 = 99.865410… → "99.86541"; budget 22.29 → 22.
        let march = Availability.figures(month: month("2027-03"), outages: [span("2027-03-28 01:30", "2027-03-28 03:30")], maintenance: [])
        #expect(march == AvailabilityFigures(
            minutes: 44_580, outageMinutes: 60, maintenanceMinutes: 0, downtimeMinutes: 60, availability: "99.86541",
            budgetMinutes: 22, budgetLeftMinutes: -38, met: false))
        // 31 Oct 2027 00:30Z (02:30 CEST) → 00:52Z: 22 min, exactly the budget (44,700 × 0.05 % =
        // 22.35 → 22): met, nothing left. 44,678 / 44,700 = 99.950782… → "99.95078".
        let october = Availability.figures(
            month: month("2027-10"), outages: [MinuteSpan(from: utc("2027-10-31T00:30:00Z"), to: utc("2027-10-31T00:52:00Z"))], maintenance: [])
        #expect(october == AvailabilityFigures(
            minutes: 44_700, outageMinutes: 22, maintenanceMinutes: 0, downtimeMinutes: 22, availability: "99.95078",
            budgetMinutes: 22, budgetLeftMinutes: 0, met: true))
    }

    @Test func minutesAreWidenedNeverShortened() {
        // 10:00:30 → 10:01:10 touches minutes 10:00 and 10:01: 2 minutes.
        #expect(MinuteSpan(from: rome("2026-11-10 10:00:30"), to: rome("2026-11-10 10:01:10")).length == 2)
        #expect(Availability.percentage(up: 0, of: 10) == "0.00000")
        #expect(Availability.percentage(up: 10, of: 10) == "100.00000")
    }
}
