import Foundation
import Testing
import SportelloDomain
import SportelloTestSupport

/// Properties over thousands of seeded-random cases, and a day-by-day reference built on
/// Foundation's `Calendar` (independent of the engine's offset tables and index).
@Suite("Business calendar properties")
struct CalendarPropertyTests {
    static let withClosures: BusinessCalendar = {
        do {
            return try CalFixtures.calendar(
                "with-closures",
                weekly: Dictionary(uniqueKeysWithValues: CalFixtures.weekdays.map { ($0, ["08:00-18:30"]) }),
                extra: ["06-29", "02-29"],
                holidays: ["2026-11-02", "2027-03-26"],
                closures: [("2026-08-10", "2026-08-21"), ("2026-12-24", "2027-01-06"), ("2027-08-09", "2027-08-20")])
        } catch {
            preconditionFailure("\(error)")
        }
    }()

    static let uneven: BusinessCalendar = {
        do {
            return try CalFixtures.calendar("uneven", weekly: [
                .mon: ["07:15-12:00", "13:00-19:45"], .wed: ["00:00-03:30", "22:00-24:00"],
                .fri: ["09:00-09:01"], .sat: ["01:30-03:30"], .sun: ["01:00-04:00"],
            ], closures: [("2027-02-01", "2027-02-14")])
        } catch {
            preconditionFailure("\(error)")
        }
    }()

    static let calendars: [BusinessCalendar] = CalendarSeed.calendars + [withClosures, uneven]

    /// Random instant in 2025-07-01 … 2027-12-31, at a whole second or a fraction of one.
    static func instant(_ rng: inout SeededGenerator) -> Date {
        let from = CalFixtures.utc("2025-07-01T00:00:00Z").timeIntervalSinceReferenceDate
        let span = 2.5 * 365 * 86_400.0
        let s = from + Double(rng.next() % UInt64(span))
        return Date(timeIntervalSinceReferenceDate: rng.next() % 3 == 0 ? s + Double(rng.next() % 1000) / 1000 : s)
    }

    /// Random duration in seconds: minutes to 200 working days, sometimes fractional.
    static func duration(_ rng: inout SeededGenerator) -> Double {
        switch rng.next() % 4 {
        case 0: Double(rng.next() % 600) * 60                      // up to 10 h
        case 1: Double(rng.next() % (5 * 37_800))                  // up to ~5 days, to the second
        case 2: Double(rng.next() % 200 + 1) * 37_800              // whole interzen days
        default: Double(rng.next() % 10_000_000) / 7               // fractional
        }
    }

    @Test(arguments: calendars.indices)
    func workingTimeInvertsAdd(_ which: Int) throws {
        let calendar = Self.calendars[which]
        var rng = SeededGenerator(seed: 1000 + UInt64(which))
        for _ in 0..<2000 {
            let s = Self.instant(&rng), d = Self.duration(&rng)
            let t = try calendar.add(seconds: d, to: s)
            #expect(t >= s)
            let back = calendar.workingTime(from: s, to: t)
            #expect(abs(back - d) < 1e-6, "\(calendar.name): \(CalFixtures.iso(s)) + \(d) s → \(CalFixtures.iso(t)), back \(back)")
            #expect(abs(calendar.workingTime(from: t, to: s) + d) < 1e-6)
            // The deadline is the earliest such instant: just before it there is working time.
            if d >= 0.01 { #expect(calendar.isWorkingTime(t.addingTimeInterval(-0.005)), "\(calendar.name) \(CalFixtures.iso(t))") }
        }
    }

    @Test(arguments: calendars.indices)
    func addIsMonotone(_ which: Int) throws {
        let calendar = Self.calendars[which]
        var rng = SeededGenerator(seed: 2000 + UInt64(which))
        for _ in 0..<1500 {
            let s = Self.instant(&rng), d1 = Self.duration(&rng), d2 = Self.duration(&rng)
            #expect(try calendar.add(seconds: min(d1, d2), to: s) <= calendar.add(seconds: max(d1, d2), to: s))
            let s2 = s.addingTimeInterval(Double(rng.next() % (7 * 86_400)))
            #expect(try calendar.add(seconds: d1, to: s) <= calendar.add(seconds: d1, to: s2))
        }
    }

    @Test(arguments: calendars.indices)
    func addComposesInsideWorkingIntervals(_ which: Int) throws {
        let calendar = Self.calendars[which]
        var rng = SeededGenerator(seed: 3000 + UInt64(which))
        var checked = 0
        for _ in 0..<2000 {
            let s = Self.instant(&rng), d1 = Self.duration(&rng), d2 = Self.duration(&rng)
            let middle = try calendar.add(seconds: d1, to: s)
            // Strictly inside a working interval (not at its end).
            guard d1 > 0, calendar.isWorkingTime(middle) else { continue }
            checked += 1
            let direct = try calendar.add(seconds: d1 + d2, to: s)
            let stepwise = try calendar.add(seconds: d2, to: middle)
            #expect(abs(direct.timeIntervalSince(stepwise)) < 1e-6, "\(calendar.name) \(CalFixtures.iso(s)) \(d1) \(d2)")
        }
        #expect(checked > 500)
    }

    @Test(arguments: [0, 1, 2, 3])
    func agreesWithADayByDayReference(_ which: Int) throws {
        let calendar = Self.calendars[which]
        let reference = CalFixtures.DayByDayReference(calendar: calendar)
        var rng = SeededGenerator(seed: 4000 + UInt64(which))
        for _ in 0..<600 {
            let s = Self.instant(&rng)
            let d = Double(rng.next() % UInt64(20 * calendar.workingDayMinutes * 60))
            let fast = try calendar.add(seconds: d, to: s)
            let slow = reference.add(seconds: d, to: s)
            #expect(fast == slow, "\(calendar.name) \(CalFixtures.iso(s)) + \(d): \(CalFixtures.iso(fast)) vs \(CalFixtures.iso(slow))")
        }
    }

    @Test func wholeSupportedRange() throws {
        // 1901–2199, with the historical clock changes (1916–1920 at local midnight, 1940–1948,
        // 1966 on) and the pre-1977 holidays.
        let always = try CalFixtures.calendar("always", weekly: Dictionary(uniqueKeysWithValues: Weekday.allCases.map { ($0, ["00:00-24:00"]) }))
        let reference = CalFixtures.DayByDayReference(calendar: CalFixtures.support)
        let from = CalFixtures.utc("1901-01-01T00:00:00Z").timeIntervalSinceReferenceDate
        let to = CalFixtures.utc("2199-06-01T00:00:00Z").timeIntervalSinceReferenceDate
        var rng = SeededGenerator(seed: 5000)
        for calendar in [CalFixtures.support, Self.uneven, always] {
            for _ in 0..<700 {
                let s = Date(timeIntervalSinceReferenceDate: from + Double(rng.next() % UInt64(to - from)))
                let d = Double(rng.next() % (30 * 37_800))
                let t = try calendar.add(seconds: d, to: s)
                #expect(abs(calendar.workingTime(from: s, to: t) - d) < 1e-6, "\(calendar.name) \(CalFixtures.iso(s)) + \(d)")
                if calendar.name == CalFixtures.support.name {
                    #expect(t == reference.add(seconds: d, to: s), "\(CalFixtures.iso(s)) + \(d)")
                }
            }
        }
        // A day-long calendar measures real days: 4 Jun 1916 00:00 local was skipped to 01:00.
        let june3 = CalFixtures.rome("1916-06-03 00:00"), june5 = CalFixtures.rome("1916-06-05 00:00")
        #expect(always.workingTime(from: june3, to: june5) == june5.timeIntervalSince(june3))
        #expect(june5.timeIntervalSince(june3) == 47 * 3600)
    }

    @Test func indexAgreesWithTheHolidayListDayByDay() {
        for calendar in [CalFixtures.support, Self.withClosures] {
            for year in 2024...2029 {
                let holidays = Set(calendar.holidays(in: year).map(\.date))
                guard let first = LocalDate(year: year, month: 1, day: 1) else { continue }
                var date = first
                while date.year == year {
                    let expected = date.weekday <= .fri && !holidays.contains(date)
                    #expect(calendar.isWorkingDate(date) == expected, "\(calendar.name) \(date)")
                    date = date.adding(days: 1)
                }
            }
        }
    }
}

extension CalFixtures {
    /// The straightforward algorithm: walk the local days one by one with Foundation's
    /// `Calendar`, skipping the dates `holidays(in:)` lists.
    struct DayByDayReference {
        let calendar: BusinessCalendar
        let foundation: Calendar

        init(calendar: BusinessCalendar) {
            self.calendar = calendar
            var foundation = Calendar(identifier: .gregorian)
            foundation.timeZone = TimeZone(identifier: calendar.timeZoneIdentifier) ?? .current
            self.foundation = foundation
        }

        func instant(_ date: LocalDate, minute: Int) -> Date {
            let components = DateComponents(year: date.year, month: date.month, day: date.day, hour: minute / 60, minute: minute % 60)
            return foundation.date(from: components) ?? .distantPast
        }

        func add(seconds: Double, to start: Date) -> Date {
            if seconds == 0 { return start }
            let parts = foundation.dateComponents([.year, .month, .day], from: start)
            guard let y = parts.year, let m = parts.month, let d = parts.day,
                  var date = LocalDate(year: y, month: m, day: d) else { return .distantFuture }
            var closed = Set<LocalDate>()
            var loadedYear = 0
            var remaining = seconds
            for _ in 0..<20_000 {
                if date.year != loadedYear {
                    loadedYear = date.year
                    closed = Set(calendar.holidays(in: loadedYear).map(\.date))
                }
                if !closed.contains(date) {
                    for interval in calendar.weekly[date.weekday] ?? [] {
                        let a = instant(date, minute: interval.start)
                        let b = interval.end == 1440 ? instant(date.adding(days: 1), minute: 0) : instant(date, minute: interval.end)
                        guard b > start else { continue }
                        let from = max(a, start)
                        let available = b.timeIntervalSince(from)
                        if available >= remaining { return from.addingTimeInterval(remaining) }
                        remaining -= available
                    }
                }
                date = date.adding(days: 1)
            }
            return .distantFuture
        }
    }
}
