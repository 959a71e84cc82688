import Foundation

/// A day of the week, ISO-8601 numbering (Monday = 1 … Sunday = 7).
public enum Weekday: Int, CaseIterable, Comparable, Hashable, Sendable, Codable {
    case mon = 1, tue, wed, thu, fri, sat, sun

    /// The three-letter lowercase key used in configuration and JSON: `"mon"` … `"sun"`.
    public var key: String {
        switch self {
        case .mon: "mon"
        case .tue: "tue"
        case .wed: "wed"
        case .thu: "thu"
        case .fri: "fri"
        case .sat: "sat"
        case .sun: "sun"
        }
    }

    /// Parses a key produced by ``key`` (case-insensitive).
    public init?(key: String) {
        guard let day = Weekday.allCases.first(where: { $0.key == key.lowercased() }) else { return nil }
        self = day
    }

    public static func < (lhs: Weekday, rhs: Weekday) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A date on the proleptic Gregorian calendar with no time and no time zone
/// ("2026-12-08" is the Immaculate Conception everywhere in Italy).
///
/// Years 1…9999 are representable; arithmetic is pure integer math (no Foundation calendar).
/// Encoded as an ISO-8601 string `"YYYY-MM-DD"`.
public struct LocalDate: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Validates the components; returns nil for 2026-02-29, month 13, year 0 and so on.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              day >= 1, day <= LocalDate.daysInMonth(year: year, month: month) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD` (four-digit year, two-digit month and day).
    public init?(iso: String) {
        let bytes = Array(iso.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let y = LocalDate.number(bytes[0..<4]), let m = LocalDate.number(bytes[5..<7]),
              let d = LocalDate.number(bytes[8..<10]) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// The date `daysSinceEpoch` days after 1970-01-01 (negative before it).
    public init(daysSinceEpoch days: Int) {
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.month = m
        self.day = d
    }

    /// Days from 1970-01-01 to this date.
    public var daysSinceEpoch: Int { LocalDate.daysFromCivil(year: year, month: month, day: day) }

    /// `"YYYY-MM-DD"`.
    public var iso: String {
        LocalDate.pad(year, 4) + "-" + LocalDate.pad(month, 2) + "-" + LocalDate.pad(day, 2)
    }

    public var description: String { iso }

    /// The day of the week (1970-01-01 was a Thursday).
    public var weekday: Weekday {
        // Unwrapping is total: the value is always in 1...7.
        Weekday(rawValue: LocalDate.floorMod(daysSinceEpoch + 3, 7) + 1) ?? .mon
    }

    /// The date `days` days later (earlier when negative).
    public func adding(days: Int) -> LocalDate {
        LocalDate(daysSinceEpoch: daysSinceEpoch + days)
    }

    /// Whole days from `self` to `other` (negative when `other` is earlier).
    public func days(to other: LocalDate) -> Int {
        other.daysSinceEpoch - daysSinceEpoch
    }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        case 1...12: 31
        default: 0
        }
    }

    // MARK: helpers shared inside the module

    /// Howard Hinnant's days_from_civil: days from 1970-01-01, no validation.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// 2001-01-01 (a Monday) in days since 1970-01-01.
    static let epoch2001 = 11_323

    /// Days since 2001-01-01: the calendar engine's day numbering (day 0 is a Monday, and
    /// `Date.timeIntervalSinceReferenceDate` counts from the same midnight UTC).
    var dayNumber: Int { daysSinceEpoch - LocalDate.epoch2001 }

    init(dayNumber: Int) { self.init(daysSinceEpoch: dayNumber + LocalDate.epoch2001) }

    static func floorMod(_ a: Int, _ n: Int) -> Int {
        let r = a % n
        return r < 0 ? r + n : r
    }

    static func floorDiv(_ a: Int, _ n: Int) -> Int {
        let q = a / n
        return (a % n != 0 && (a < 0) != (n < 0)) ? q - 1 : q
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// Parses a run of ASCII digits; nil on anything else.
    static func number(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard !bytes.isEmpty else { return nil }
        var n = 0
        for b in bytes {
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
            n = n * 10 + Int(b - UInt8(ascii: "0"))
        }
        return n
    }
}

extension LocalDate: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = LocalDate(iso: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected a date YYYY-MM-DD, got \"\(text)\"")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso)
    }
}

/// A recurring day of the year, such as a city's patron saint (`"06-29"` for Rome).
///
/// `02-29` is accepted and applies only in leap years. Encoded as `"MM-DD"`.
public struct MonthDay: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let month: Int
    public let day: Int

    /// Validates against the longest month (February has 29 days): rejects 02-30, 04-31, 13-01.
    public init?(month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1,
              day <= LocalDate.daysInMonth(year: 2000, month: month) else { return nil }
        self.month = month
        self.day = day
    }

    /// Parses exactly `MM-DD`.
    public init?(string: String) {
        let bytes = Array(string.utf8)
        guard bytes.count == 5, bytes[2] == UInt8(ascii: "-"),
              let m = LocalDate.number(bytes[0..<2]), let d = LocalDate.number(bytes[3..<5]) else { return nil }
        self.init(month: m, day: d)
    }

    /// `"MM-DD"`.
    public var string: String { LocalDate.pad(month, 2) + "-" + LocalDate.pad(day, 2) }

    public var description: String { string }

    /// This day in `year`; nil for 02-29 in a common year.
    public func date(in year: Int) -> LocalDate? {
        LocalDate(year: year, month: month, day: day)
    }

    public static func < (lhs: MonthDay, rhs: MonthDay) -> Bool {
        (lhs.month, lhs.day) < (rhs.month, rhs.day)
    }
}

extension MonthDay: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = MonthDay(string: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected a day of the year MM-DD, got \"\(text)\"")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(string)
    }
}
