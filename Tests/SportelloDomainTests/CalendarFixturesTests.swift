import Foundation
import Testing
import SportelloDomain
import SportelloTestSupport

/// Shared helpers of the calendar and SLA tests. Instants are built with Foundation's own
/// `Calendar` (not with the engine's offset tables), so the tests check the engine's DST
/// handling against an independent conversion.
enum CalFixtures {
    static let support = CalendarSeed.interzenSupport
    static let office = CalendarSeed.interzenOffice
    static let zucchetti = CalendarSeed.zucchettiService

    static let romeCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Rome") ?? TimeZone(secondsFromGMT: 3600) ?? .current
        return calendar
    }()

    static let utcCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? .current
        return calendar
    }()

    /// `"2026-12-03 10:15"` (optionally `":SS"`) in Rome wall-clock time.
    static func rome(_ text: String) -> Date { parse(text, in: romeCalendar) }

    /// `"2026-12-07T07:30:00Z"`.
    static func utc(_ text: String) -> Date {
        parse(text.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: ""), in: utcCalendar)
    }

    private static func parse(_ text: String, in calendar: Calendar) -> Date {
        let numbers = text.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        precondition(numbers.count >= 5, "bad test instant \(text)")
        let components = DateComponents(
            year: numbers[0], month: numbers[1], day: numbers[2], hour: numbers[3], minute: numbers[4],
            second: numbers.count > 5 ? numbers[5] : 0)
        guard let date = calendar.date(from: components) else { preconditionFailure("bad test instant \(text)") }
        return date
    }

    /// ISO-8601 UTC text of an instant (for readable failures).
    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static func date(_ iso: String) -> LocalDate {
        guard let date = LocalDate(iso: iso) else { preconditionFailure("bad test date \(iso)") }
        return date
    }

    /// A calendar for tests; `weekly` maps weekdays to `"HH:MM-HH:MM"` intervals.
    static func calendar(
        _ name: String = "test",
        weekly: [Weekday: [String]],
        extra: [String] = [],
        holidays: [String] = [],
        closures: [(String, String)] = []
    ) throws -> BusinessCalendar {
        try BusinessCalendar(
            name: name,
            weekly: weekly.mapValues { $0.compactMap(WorkingInterval.init(string:)) },
            extraHolidays: extra.compactMap(MonthDay.init(string:)),
            holidays: holidays.map(date),
            closures: closures.map { Closure(from: date($0.0), to: date($0.1), reason: "test closure") })
    }

    static let weekdays: [Weekday] = [.mon, .tue, .wed, .thu, .fri]
}

@Suite("Calendar test fixtures")
struct CalendarFixturesTests {
    @Test func romeAndUTCParsingAgreeWithKnownOffsets() {
        // December is CET (UTC+1), July is CEST (UTC+2).
        #expect(CalFixtures.rome("2026-12-03 10:15") == CalFixtures.utc("2026-12-03T09:15:00Z"))
        #expect(CalFixtures.rome("2026-07-03 10:15") == CalFixtures.utc("2026-07-03T08:15:00Z"))
    }

    @Test func generatorIsDeterministic() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let first = (0..<5).map { _ in a.next() }
        #expect(first == (0..<5).map { _ in b.next() })
        #expect(first != (0..<5).map { _ in c.next() })
    }
}
