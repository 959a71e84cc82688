import Foundation

/// Why a calendar could not be built or could not answer.
public enum CalendarError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The calendar has no working time to reach the deadline: no working intervals at all, or
    /// a non-working stretch of two years or more (holidays and closures) on the way.
    case noWorkingTime(calendar: String)
    /// A definition field or an argument is not acceptable; `field` is its path
    /// (`"weekly.mon[1]"`, `"closures[0]"`, `"start"`, `"duration"`).
    case invalid(field: String, reason: String)

    public var description: String {
        switch self {
        case .noWorkingTime(let calendar): "calendar \(calendar) has no working time to reach the deadline"
        case .invalid(let field, let reason): "\(field): \(reason)"
        }
    }
}

/// A working interval of a day, in minutes from local midnight: `start < end`, `0...1440`
/// (`end` 1440 is 24:00). Written `"HH:MM"`; encoded as `{"start": "08:00", "end": "18:30"}`.
public struct WorkingInterval: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let start: Int
    public let end: Int

    /// nil unless `0 <= start < end <= 1440`.
    public init?(start: Int, end: Int) {
        guard start >= 0, start < end, end <= 1440 else { return nil }
        self.start = start
        self.end = end
    }

    /// From two `"HH:MM"` times (`"24:00"` allowed as an end).
    public init?(from start: String, to end: String) {
        guard let s = WorkingInterval.minutes(start), let e = WorkingInterval.minutes(end) else { return nil }
        self.init(start: s, end: e)
    }

    /// From `"HH:MM-HH:MM"`.
    public init?(string: String) {
        let parts = string.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        self.init(from: String(parts[0]), to: String(parts[1]))
    }

    /// Minutes from midnight of `"HH:MM"` (00:00 … 24:00); nil otherwise.
    public static func minutes(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.count == 5, bytes[2] == UInt8(ascii: ":"),
              let h = LocalDate.number(bytes[0..<2]), let m = LocalDate.number(bytes[3..<5]),
              m < 60, h * 60 + m <= 1440 else { return nil }
        return h * 60 + m
    }

    /// `"HH:MM"` of a minute of the day.
    public static func format(_ minutes: Int) -> String {
        LocalDate.pad(minutes / 60, 2) + ":" + LocalDate.pad(minutes % 60, 2)
    }

    public var startString: String { WorkingInterval.format(start) }
    public var endString: String { WorkingInterval.format(end) }
    /// Length in minutes.
    public var length: Int { end - start }
    /// `"08:00-18:30"`.
    public var description: String { startString + "-" + endString }

    public static func < (lhs: WorkingInterval, rhs: WorkingInterval) -> Bool {
        (lhs.start, lhs.end) < (rhs.start, rhs.end)
    }
}

extension WorkingInterval: Codable {
    private enum CodingKeys: String, CodingKey { case start, end }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let start = try container.decode(String.self, forKey: .start)
        let end = try container.decode(String.self, forKey: .end)
        guard let interval = WorkingInterval(from: start, to: end) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "a working interval is HH:MM to HH:MM with start < end ≤ 24:00, got \(start)-\(end)"))
        }
        self = interval
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(startString, forKey: .start)
        try container.encode(endString, forKey: .end)
    }
}

/// A closure period (summer, Christmas): every local date from `from` to `to`, both included,
/// is non-working.
public struct Closure: Hashable, Sendable, Codable {
    public let from: LocalDate
    public let to: LocalDate
    public let reason: String

    public init(from: LocalDate, to: LocalDate, reason: String) {
        self.from = from
        self.to = to
        self.reason = reason
    }

    public func contains(_ date: LocalDate) -> Bool { from <= date && date <= to }
}

/// Where a non-working date comes from.
public enum HolidayKind: String, Hashable, Sendable, Codable, CaseIterable {
    /// An Italian national public holiday (``ItalianHolidays``).
    case national
    /// One of the calendar's recurring extra holidays (``BusinessCalendar/extraHolidays``).
    case extra
    /// One of the calendar's one-off holidays (``BusinessCalendar/holidays``).
    case oneOff
    /// A day of one of the calendar's closures.
    case closure
}

/// One non-working date of a calendar, as listed by ``BusinessCalendar/holidays(in:)``.
public struct Holiday: Hashable, Sendable, Codable {
    public let date: LocalDate
    public let name: String
    public let kind: HolidayKind

    public init(date: LocalDate, name: String, kind: HolidayKind) {
        self.date = date
        self.name = name
        self.kind = kind
    }
}

/// A business calendar: the working hours of a support desk or office in wall-clock time of
/// its time zone, minus non-working dates (docs/product.md §6).
///
/// **Working time** is the union of the calendar's working intervals, read in local wall-clock
/// time of ``timeZoneIdentifier`` on every date that is not non-working. Each interval boundary
/// becomes an instant with the zone's offset in force at that wall-clock time, so an
/// 08:00–18:30 shift stays 08:00–18:30 local across clock changes (a wall-clock time skipped by
/// the spring change holds no working time; one repeated in autumn counts once per occurrence
/// of the interval, i.e. an interval spanning it is an hour longer).
///
/// **Non-working dates**: weekdays without intervals (weekends), Italian national public
/// holidays (``ItalianHolidays``), the recurring ``extraHolidays`` (a patron saint), the
/// one-off ``holidays`` and every date of the ``closures``.
///
/// **Arithmetic** (``add(_:to:)``, ``workingTime(from:to:)``) is exact to the sub-second and
/// its cost does not grow with the duration: the calendar precomputes an index when it is
/// built (see `CalendarIndex`) for the years ``supportedYears``. Instants outside those years
/// are refused by `add` and contribute no working time to `workingTime`.
///
/// The definition is immutable; ``adding(closure:)`` and friends return a new calendar.
/// Equality, hashing and coding consider the definition only.
public struct BusinessCalendar: Sendable {
    public let name: String
    /// IANA identifier, `"Europe/Rome"` for the seeded calendars.
    public let timeZoneIdentifier: String
    public let description: String
    /// Working intervals of each weekday, sorted; weekdays without intervals are absent.
    /// Overlapping intervals are allowed and count once (the union).
    public let weekly: [Weekday: [WorkingInterval]]
    /// Recurring non-working days of the year (`02-29` only in leap years).
    public let extraHolidays: [MonthDay]
    /// One-off non-working dates.
    public let holidays: [LocalDate]
    public let closures: [Closure]

    let index: CalendarIndex

    /// The years the arithmetic covers.
    public static let supportedYears: ClosedRange<Int> = 1900...2200

    /// Validates and indexes a calendar.
    ///
    /// - Throws: ``CalendarError/invalid(field:reason:)`` for an empty name, a time zone
    ///   Foundation does not know, or a closure that ends before it starts. (Working intervals
    ///   are valid by construction.) A calendar without any working time is valid; arithmetic on
    ///   it throws ``CalendarError/noWorkingTime(calendar:)``.
    public init(
        name: String,
        timeZoneIdentifier: String = "Europe/Rome",
        description: String = "",
        weekly: [Weekday: [WorkingInterval]],
        extraHolidays: [MonthDay] = [],
        holidays: [LocalDate] = [],
        closures: [Closure] = []
    ) throws {
        guard !name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw CalendarError.invalid(field: "name", reason: "must not be empty")
        }
        guard let zone = ZoneOffsetTable.table(for: timeZoneIdentifier) else {
            throw CalendarError.invalid(field: "timeZone", reason: "unknown time zone \"\(timeZoneIdentifier)\"")
        }
        for (i, closure) in closures.enumerated() where closure.to < closure.from {
            throw CalendarError.invalid(
                field: "closures[\(i)]", reason: "ends (\(closure.to)) before it starts (\(closure.from))")
        }
        self.name = name
        self.timeZoneIdentifier = timeZoneIdentifier
        self.description = description
        let normalized = weekly.filter { !$0.value.isEmpty }.mapValues { $0.sorted() }
        self.weekly = normalized
        self.extraHolidays = extraHolidays
        self.holidays = holidays
        self.closures = closures

        var nonWorking: [Range<Int>] = ItalianHolidays.supportedRangeDayNumbers.map { $0..<($0 + 1) }
        for year in Self.supportedYears {
            for monthDay in extraHolidays {
                if let date = monthDay.date(in: year) { nonWorking.append(date.dayNumber..<(date.dayNumber + 1)) }
            }
        }
        nonWorking += holidays.map { $0.dayNumber..<($0.dayNumber + 1) }
        nonWorking += closures.map { $0.from.dayNumber..<($0.to.dayNumber + 1) }
        let pattern = Weekday.allCases.map { normalized[$0] ?? [] }
        index = CalendarIndex(zone: zone, weekly: pattern, nonWorkingDays: nonWorking)
    }

    /// The same calendar with one more closure.
    public func adding(closure: Closure) throws -> BusinessCalendar {
        try replacing(closures: closures + [closure])
    }

    /// The same calendar with other closures.
    public func replacing(closures: [Closure]) throws -> BusinessCalendar {
        try BusinessCalendar(
            name: name, timeZoneIdentifier: timeZoneIdentifier, description: description, weekly: weekly,
            extraHolidays: extraHolidays, holidays: holidays, closures: closures)
    }

    /// The same calendar with other extra and one-off holidays.
    public func replacing(extraHolidays: [MonthDay], holidays: [LocalDate]) throws -> BusinessCalendar {
        try BusinessCalendar(
            name: name, timeZoneIdentifier: timeZoneIdentifier, description: description, weekly: weekly,
            extraHolidays: extraHolidays, holidays: holidays, closures: closures)
    }

    // MARK: days

    /// Minutes of the weekly pattern on `weekday` (the union of its intervals).
    public func workingMinutes(on weekday: Weekday) -> Int {
        index.daySeconds[weekday.rawValue - 1] / 60
    }

    /// The length of "one working day" (docs/product.md §6: the calendar's regular weekday): the most
    /// common non-zero length among Monday–Friday, ties going to the longest; when Monday–Friday
    /// have no working time, the same rule over the whole week; 0 for a calendar without working
    /// time. 630 for `interzen-support`, 480 for `interzen-office` and `zucchetti-service`.
    public var workingDayMinutes: Int { index.workingDayMinutes }

    /// Whether `date` has working time: its weekday has intervals and it is not a holiday,
    /// extra holiday, one-off holiday or closure day.
    public func isWorkingDate(_ date: LocalDate) -> Bool {
        guard workingMinutes(on: date.weekday) > 0 else { return false }
        let day = date.dayNumber
        if day >= index.zone.firstDay && day < index.zone.endDay { return !index.isClosed(day) }
        return nonWorkingReason(date) == nil
    }

    /// The non-working dates of `year` that come from holidays and closures (weekends are not
    /// listed), sorted, one per date. A date with several reasons is listed once, with the first
    /// of: national, extra, one-off, closure. Closures are expanded day by day (weekend days
    /// included) and named by their reason; extra and one-off holidays are named
    /// "Festività locale" and "Festività straordinaria".
    public func holidays(in year: Int) -> [Holiday] {
        var byDate: [LocalDate: Holiday] = [:]
        func add(_ holiday: Holiday) {
            if byDate[holiday.date] == nil { byDate[holiday.date] = holiday }
        }
        for entry in ItalianHolidays.national(year: year) {
            add(Holiday(date: entry.date, name: entry.name, kind: .national))
        }
        for monthDay in extraHolidays {
            if let date = monthDay.date(in: year) { add(Holiday(date: date, name: "Festività locale", kind: .extra)) }
        }
        for date in holidays where date.year == year {
            add(Holiday(date: date, name: "Festività straordinaria", kind: .oneOff))
        }
        guard let january1 = LocalDate(year: year, month: 1, day: 1),
              let december31 = LocalDate(year: year, month: 12, day: 31) else {
            return byDate.values.sorted { $0.date < $1.date }
        }
        for closure in closures where closure.from <= december31 && closure.to >= january1 {
            var date = max(closure.from, january1)
            let last = min(closure.to, december31)
            while date <= last {
                add(Holiday(date: date, name: closure.reason.isEmpty ? "Chiusura" : closure.reason, kind: .closure))
                date = date.adding(days: 1)
            }
        }
        return byDate.values.sorted { $0.date < $1.date }
    }

    /// Why `date` is not working because of a holiday or closure, or nil (weekly pattern ignored).
    func nonWorkingReason(_ date: LocalDate) -> HolidayKind? {
        if ItalianHolidays.isNationalHoliday(date) { return .national }
        if extraHolidays.contains(where: { $0.month == date.month && $0.day == date.day }) { return .extra }
        if holidays.contains(date) { return .oneOff }
        if closures.contains(where: { $0.contains(date) }) { return .closure }
        return nil
    }
}

extension BusinessCalendar: Hashable {
    public static func == (lhs: BusinessCalendar, rhs: BusinessCalendar) -> Bool {
        lhs.name == rhs.name && lhs.timeZoneIdentifier == rhs.timeZoneIdentifier
            && lhs.description == rhs.description && lhs.weekly == rhs.weekly
            && lhs.extraHolidays == rhs.extraHolidays && lhs.holidays == rhs.holidays
            && lhs.closures == rhs.closures
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(timeZoneIdentifier)
        hasher.combine(description)
        hasher.combine(weekly)
        hasher.combine(extraHolidays)
        hasher.combine(holidays)
        hasher.combine(closures)
    }
}

/// `{"name", "timeZone", "description", "weekly": {"mon": [{"start","end"}]…}, "extraHolidays":
/// ["MM-DD"], "holidays": ["YYYY-MM-DD"], "closures": [{"from","to","reason"}]}`; decoding
/// validates like the initialiser (the optional lists may be absent).
extension BusinessCalendar: Codable {
    private enum CodingKeys: String, CodingKey {
        case name, timeZone, description, weekly, extraHolidays, holidays, closures
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let rawWeekly = try c.decode([String: [WorkingInterval]].self, forKey: .weekly)
        var weekly: [Weekday: [WorkingInterval]] = [:]
        for (key, intervals) in rawWeekly {
            guard let day = Weekday(key: key) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .weekly, in: c, debugDescription: "unknown weekday \"\(key)\" (mon…sun)")
            }
            weekly[day] = intervals
        }
        do {
            try self.init(
                name: c.decode(String.self, forKey: .name),
                timeZoneIdentifier: c.decodeIfPresent(String.self, forKey: .timeZone) ?? "Europe/Rome",
                description: c.decodeIfPresent(String.self, forKey: .description) ?? "",
                weekly: weekly,
                extraHolidays: c.decodeIfPresent([MonthDay].self, forKey: .extraHolidays) ?? [],
                holidays: c.decodeIfPresent([LocalDate].self, forKey: .holidays) ?? [],
                closures: c.decodeIfPresent([Closure].self, forKey: .closures) ?? [])
        } catch let error as CalendarError {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: error.description, underlyingError: error))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(timeZoneIdentifier, forKey: .timeZone)
        try c.encode(description, forKey: .description)
        try c.encode(Dictionary(uniqueKeysWithValues: weekly.map { ($0.key.key, $0.value) }), forKey: .weekly)
        try c.encode(extraHolidays, forKey: .extraHolidays)
        try c.encode(holidays, forKey: .holidays)
        try c.encode(closures, forKey: .closures)
    }
}
