import Foundation
import Testing
import SportelloDomain

@Suite("Calendar value types")
struct CalendarModelTests {
    @Test func localDateParsing() {
        #expect(LocalDate(iso: "2026-12-03")?.iso == "2026-12-03")
        #expect(LocalDate(iso: "2028-02-29") != nil)
        for bad in ["2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "26-12-03", "2026-1-03", "2026/12/03", "2026-12-3x", "", "0000-01-01"] {
            #expect(LocalDate(iso: bad) == nil, "\(bad)")
        }
        #expect(LocalDate(year: 1900, month: 2, day: 29) == nil)
        #expect(LocalDate(year: 2000, month: 2, day: 29) != nil)
        #expect(LocalDate(year: 2026, month: 12, day: 3)?.description == "2026-12-03")
    }

    @Test func weekdays() {
        let cases: [(String, Weekday)] = [
            ("1900-01-01", .mon), ("1970-01-01", .thu), ("2000-02-29", .tue), ("2001-01-01", .mon),
            ("2026-12-03", .thu), ("2026-12-06", .sun), ("2027-10-04", .mon), ("2100-12-31", .fri),
        ]
        for (iso, weekday) in cases { #expect(CalFixtures.date(iso).weekday == weekday, "\(iso)") }
        #expect(Weekday.allCases.map(\.key) == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
        #expect(Weekday(key: "SAT") == .sat && Weekday(key: "xyz") == nil)
    }

    @Test func dayArithmeticMatchesFoundation() {
        // Every 7th day from 1900 to 2200 against Foundation's own Gregorian calendar.
        let utc = CalFixtures.utcCalendar
        var day = CalFixtures.date("1900-01-01").daysSinceEpoch
        let end = CalFixtures.date("2200-12-31").daysSinceEpoch
        while day <= end {
            let date = LocalDate(daysSinceEpoch: day)
            let parts = utc.dateComponents([.year, .month, .day, .weekday], from: Date(timeIntervalSince1970: Double(day) * 86_400))
            #expect(parts.year == date.year && parts.month == date.month && parts.day == date.day, "\(day)")
            // Foundation: Sunday = 1 … Saturday = 7.
            #expect(parts.weekday.map { ($0 + 5) % 7 + 1 } == date.weekday.rawValue)
            #expect(date.daysSinceEpoch == day)
            day += 7
        }
        #expect(CalFixtures.date("2028-02-28").adding(days: 1).iso == "2028-02-29")
        #expect(CalFixtures.date("2027-02-28").adding(days: 1).iso == "2027-03-01")
        #expect(CalFixtures.date("2026-12-31").adding(days: -365).iso == "2025-12-31")
        #expect(CalFixtures.date("2026-12-03").days(to: CalFixtures.date("2027-01-20")) == 48)
        #expect(CalFixtures.date("2026-12-03") < CalFixtures.date("2026-12-04"))
        #expect(CalFixtures.date("1970-01-01").daysSinceEpoch == 0)
    }

    @Test func monthDays() {
        #expect(MonthDay(string: "02-29")?.string == "02-29")
        #expect(MonthDay(string: "06-29")?.date(in: 2026)?.iso == "2026-06-29")
        #expect(MonthDay(string: "02-29")?.date(in: 2026) == nil)
        for bad in ["02-30", "13-01", "00-10", "04-31", "2-3", "06/29", "06-29-", ""] {
            #expect(MonthDay(string: bad) == nil, "\(bad)")
        }
    }

    @Test func workingIntervals() {
        let day = WorkingInterval(string: "08:00-18:30")
        #expect(day?.start == 480 && day?.end == 1110 && day?.length == 630)
        #expect(day?.description == "08:00-18:30")
        #expect(WorkingInterval(from: "22:00", to: "24:00")?.endString == "24:00")
        #expect(WorkingInterval(start: 0, end: 1440) != nil)
        for bad in ["18:30-08:00", "08:00-08:00", "08:00-24:01", "25:00-26:00", "08:60-09:00", "8:00-9:00", "08:00"] {
            #expect(WorkingInterval(string: bad) == nil, "\(bad)")
        }
        #expect(WorkingInterval(start: -1, end: 10) == nil)
        #expect(WorkingInterval(start: 10, end: 1441) == nil)
    }

    @Test func calendarValidation() {
        let week: [Weekday: [WorkingInterval]] = [.mon: [WorkingInterval(start: 480, end: 1110)].compactMap { $0 }]
        #expect(throws: CalendarError.invalid(field: "name", reason: "must not be empty")) {
            try BusinessCalendar(name: "  ", weekly: week)
        }
        #expect(throws: CalendarError.self) { try BusinessCalendar(name: "x", timeZoneIdentifier: "Mars/Olympus", weekly: week) }
        let reversed = Closure(from: CalFixtures.date("2026-08-21"), to: CalFixtures.date("2026-08-10"), reason: "summer")
        #expect(throws: CalendarError.self) { try BusinessCalendar(name: "x", weekly: week, closures: [reversed]) }
        // A calendar without working time is valid (and cannot add).
        #expect(throws: Never.self) { try BusinessCalendar(name: "x", weekly: [:]) }
    }

    @Test func overlappingIntervalsCountOnce() throws {
        let calendar = try CalFixtures.calendar(weekly: [.mon: ["09:00-12:00", "11:00-13:00", "12:30-13:00"]])
        #expect(calendar.workingMinutes(on: .mon) == 240)
        #expect(calendar.workingTime(from: CalFixtures.rome("2026-12-07 00:00"), to: CalFixtures.rome("2026-12-08 00:00")) == 240 * 60)
    }

    @Test func durationsUseSpecJSON() throws {
        let decoder = JSONDecoder()
        #expect(try decoder.decode(WorkingDuration.self, from: Data(#"{"minutes": 90}"#.utf8)) == .minutes(90))
        #expect(try decoder.decode(WorkingDuration.self, from: Data(#"{"hours": 1.5}"#.utf8)) == .hours(1.5))
        #expect(try decoder.decode(WorkingDuration.self, from: Data(#"{"workingDays": 30}"#.utf8)) == .workingDays(30))
        for bad in [#"{}"#, #"{"hours": 1, "minutes": 2}"#, #"{"hours": -1}"#, #"{"days": 1}"#, #"{"hours": "1"}"#,
                    #"{"minutes": 1.5}"#, #"{"hours": 0.01}"#] {
            #expect(throws: DecodingError.self, "\(bad)") { try decoder.decode(WorkingDuration.self, from: Data(bad.utf8)) }
        }
        let encoded = try JSONEncoder().encode(WorkingDuration.workingDays(2))
        #expect(String(decoding: encoded, as: UTF8.self) == #"{"workingDays":2}"#)
        #expect(WorkingDuration.hours(1).description == "1 working hour")
        #expect(WorkingDuration.workingDays(2.5).description == "2.5 working days")
    }

    @Test func calendarsRoundTripThroughJSON() throws {
        let calendar = try CalFixtures.calendar(
            "rome-office", weekly: [.mon: ["09:00-13:00", "14:30-18:30"], .sat: ["09:00-12:00"]],
            extra: ["06-29"], holidays: ["2026-11-02"], closures: [("2026-08-10", "2026-08-21")])
        let data = try JSONEncoder().encode(calendar)
        let decoded = try JSONDecoder().decode(BusinessCalendar.self, from: data)
        #expect(decoded == calendar)
        #expect(try decoded.add(.hours(1), to: CalFixtures.rome("2026-08-08 12:00")) == CalFixtures.rome("2026-08-22 10:00"))
        for seeded in CalendarSeed.calendars {
            #expect(try JSONDecoder().decode(BusinessCalendar.self, from: JSONEncoder().encode(seeded)) == seeded)
        }
        let json = #"{"name":"c","weekly":{"tue":[{"start":"08:00","end":"12:00"}]},"closures":[{"from":"2026-01-10","to":"2026-01-12","reason":"r"}]}"#
        let minimal = try JSONDecoder().decode(BusinessCalendar.self, from: Data(json.utf8))
        #expect(minimal.timeZoneIdentifier == "Europe/Rome" && minimal.workingMinutes(on: .tue) == 240)
        let badDay = #"{"name":"c","weekly":{"tues":[{"start":"08:00","end":"12:00"}]}}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(BusinessCalendar.self, from: Data(badDay.utf8)) }
        let badInterval = #"{"name":"c","weekly":{"tue":[{"start":"12:00","end":"08:00"}]}}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(BusinessCalendar.self, from: Data(badInterval.utf8)) }
        let badClosure = #"{"name":"c","weekly":{},"closures":[{"from":"2026-01-12","to":"2026-01-10","reason":"r"}]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(BusinessCalendar.self, from: Data(badClosure.utf8)) }
    }
}
