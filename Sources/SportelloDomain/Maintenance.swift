import Foundation

// Scheduled maintenance and availability (docs/product.md "Scheduled maintenance and
// availability"): windows lie wholly inside one stretch of `interzen-office` working time, are
// announced a number of working days ahead, and the monthly availability of each product is
// computed from its outages minus the maintenance that was announced in time.
//
// Decisions (see the docs):
// - A window is refused, as bad input, when it ends at or before its start, lasts more than one
//   office working day (480 minutes) or starts in the past; otherwise it must lie inside one
//   uninterrupted stretch of working time (09:00–13:00 or 14:30–18:30, Rome wall clock, on a
//   working date): a window may end exactly at 13:00 and another start exactly at 14:30.
// - `nextValidStart` is the earliest instant at or after the requested start where a window of
//   the same length fits; none exists (null) for a window longer than the longest stretch.
// - The notice is working time of the office calendar: "2 working days" before a start means
//   the working time between the announcement and the start is at least 2 × 480 minutes.
// - Availability is counted in whole minutes: outage boundaries are widened to the minute
//   (start down, end up), so a customer's downtime is never under-counted.

/// Why a maintenance window was refused.
public enum MaintenanceWindowError: Error, Hashable, Sendable {
    /// Ends at or before its start.
    case endsBeforeStart
    /// Longer than one office working day (`maximumMinutes`).
    case tooLong(maximumMinutes: Int)
    /// Starts before now.
    case inPast
    /// Not wholly inside one stretch of working time; `nextValidStart` is where a window of the
    /// same length fits (nil when none can).
    case outsideWorkingTime(nextValidStart: Date?)
    /// Announced with less notice than required, and not marked urgent.
    case shortNotice(requiredWorkingDays: Int, earliestStart: Date?)

    public var reason: String {
        switch self {
        case .endsBeforeStart: "the window ends at or before its start"
        case .tooLong(let max): "the window is longer than one office working day (\(max) minutes)"
        case .inPast: "the window starts in the past"
        case .outsideWorkingTime(let next):
            next == nil
                ? "the window does not fit in one stretch of interzen-office working time (09:00–13:00 or 14:30–18:30, Monday to Friday, holidays and closures excluded)"
                : "the window must lie wholly inside interzen-office working time (09:00–13:00 or 14:30–18:30, Monday to Friday, holidays and closures excluded)"
        case .shortNotice(let days, _):
            "customers must be told at least \(days) working days before the start; give urgent: true with a reason to schedule it anyway"
        }
    }
}

public enum MaintenanceRules {
    /// The default notice, in working days of the office calendar.
    public static let defaultNoticeWorkingDays = 2

    /// The working stretch (`[start, end)`, instants) of `calendar` holding `instant`, if any.
    public static func stretch(containing instant: Date, on calendar: BusinessCalendar) -> (start: Date, end: Date)? {
        guard calendar.isWorkingTime(instant) else { return nil }
        let date = calendar.localDate(of: instant)
        for interval in calendar.weekly[date.weekday] ?? [] {
            let a = calendar.instant(on: date, minute: interval.start)
            let b = calendar.instant(on: date, minute: interval.end)
            if a <= instant && instant < b { return (a, b) }
        }
        return nil
    }

    /// Whether `[from, to]` lies wholly inside one stretch of working time (its end may be the
    /// stretch's end).
    public static func fits(from: Date, to: Date, on calendar: BusinessCalendar) -> Bool {
        guard from < to, let stretch = stretch(containing: from, on: calendar) else { return false }
        return to <= stretch.end
    }

    /// The earliest start at or after `from` where a window of `length` seconds fits in one
    /// stretch; nil when no stretch of the week is long enough (or none is found within
    /// two years).
    public static func nextValidStart(atOrAfter from: Date, length: TimeInterval, on calendar: BusinessCalendar) -> Date? {
        let longest = Weekday.allCases.flatMap { calendar.weekly[$0] ?? [] }.map(\.length).max() ?? 0
        guard length > 0, length <= Double(longest * 60) else { return nil }
        var candidate = from
        let limit = from.addingTimeInterval(2 * 366 * 86_400)
        while candidate < limit {
            guard let start = try? calendar.nextWorkingInstant(atOrAfter: candidate),
                  let stretch = stretch(containing: start, on: calendar) else { return nil }
            if start.addingTimeInterval(length) <= stretch.end { return start }
            candidate = stretch.end
        }
        return nil
    }

    /// Checks a window requested at `now`: bad input first, then working time.
    public static func check(from: Date, to: Date, now: Date, on calendar: BusinessCalendar) -> Result<Void, MaintenanceWindowError> {
        guard from < to else { return .failure(.endsBeforeStart) }
        let maximum = calendar.workingDayMinutes
        guard to.timeIntervalSince(from) <= Double(maximum * 60) else { return .failure(.tooLong(maximumMinutes: maximum)) }
        guard from >= now else { return .failure(.inPast) }
        guard fits(from: from, to: to, on: calendar) else {
            return .failure(.outsideWorkingTime(nextValidStart: nextValidStart(atOrAfter: from, length: to.timeIntervalSince(from), on: calendar)))
        }
        return .success(())
    }

    /// Whether announcing at `now` a window starting at `start` gives `workingDays` of notice:
    /// the working time of `calendar` in `[now, start]` is at least `workingDays` working days.
    public static func hasNotice(now: Date, start: Date, workingDays: Int, on calendar: BusinessCalendar) -> Bool {
        guard workingDays > 0 else { return true }
        return calendar.workingTime(from: now, to: start) >= Double(workingDays * calendar.workingDayMinutes * 60) - 1e-6
    }

    /// The earliest start a window of `length` may have when announced at `now` with
    /// `workingDays` of notice.
    public static func earliestStart(now: Date, workingDays: Int, length: TimeInterval, on calendar: BusinessCalendar) -> Date? {
        guard let reached = try? calendar.add(.workingDays(Double(workingDays)), to: now) else { return nil }
        return nextValidStart(atOrAfter: reached, length: length, on: calendar)
    }
}

// MARK: Announcement words

/// Customer-facing words for a maintenance window: "martedì 9 marzo 2027, dalle 14:30 alle
/// 16:00" / "Tuesday 9 March 2027, from 14:30 to 16:00" (Rome wall clock).
public enum MaintenanceText {
    private static let italianDays = ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"]
    private static let englishDays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    public static func window(from: Date, to: Date, on calendar: BusinessCalendar, in language: Language) -> String {
        let date = calendar.localDate(of: from)
        let start = wallClock(from, calendar: calendar)
        let end = wallClock(to, calendar: calendar)
        let day = date.weekday.rawValue - 1
        switch language {
        case .it: return "\(italianDays[day]) \(PaidWorkText.date(date, in: .it)), dalle \(start) alle \(end)"
        case .en: return "\(englishDays[day]) \(PaidWorkText.date(date, in: .en)), from \(start) to \(end)"
        }
    }

    /// The subject and message of an announcement (rendered with the greeting and the desk's
    /// footer by ``NotificationTemplates``): "Manutenzione programmata: <title> – martedì 9 marzo
    /// 2027, dalle 14:30 alle 16:00".
    public static func announcement(
        title: String, description: String?, window: String, products: [String], rescheduled: Bool, in language: Language
    ) -> (subject: String, message: String) {
        let list = products.joined(separator: ", ")
        switch language {
        case .it:
            var lines = [rescheduled
                ? "la manutenzione programmata \"\(title)\" è stata spostata. La nuova data è \(window) (ora italiana)."
                : "la informiamo che è prevista una manutenzione programmata, \"\(title)\", \(window) (ora italiana).",
                "", "Servizi interessati: \(list).", "Durante l'intervento i servizi potrebbero non essere disponibili."]
            if let description { lines += ["", description] }
            return ((rescheduled ? "Manutenzione spostata: " : "Manutenzione programmata: ") + "\(title) – \(window)", lines.joined(separator: "\n"))
        case .en:
            var lines = [rescheduled
                ? "The scheduled maintenance \"\(title)\" has been moved. The new date is \(window) (Italian time)."
                : "Please note that scheduled maintenance, \"\(title)\", will take place on \(window) (Italian time).",
                "", "Services affected: \(list).", "The services may be unavailable during the work."]
            if let description { lines += ["", description] }
            return ((rescheduled ? "Maintenance moved: " : "Scheduled maintenance: ") + "\(title) – \(window)", lines.joined(separator: "\n"))
        }
    }

    /// The cancellation of an announced window, with the reason.
    public static func cancellation(title: String, window: String, products: [String], reason: String, in language: Language) -> (subject: String, message: String) {
        let list = products.joined(separator: ", ")
        switch language {
        case .it:
            return ("Manutenzione annullata: \(title) – \(window)",
                    "la manutenzione programmata \"\(title)\" prevista \(window) (ora italiana) per i servizi \(list) è stata annullata.\n\nMotivo: \(reason)")
        case .en:
            return ("Maintenance cancelled: \(title) – \(window)",
                    "The scheduled maintenance \"\(title)\" planned for \(window) (Italian time) on \(list) has been cancelled.\n\nReason: \(reason)")
        }
    }

    /// A closure of the support desk, with how support is reached during it: "Chiusura del
    /// servizio di assistenza dal 24 dicembre 2026 al 6 gennaio 2027".
    public static func closure(from: LocalDate, to: LocalDate, note: String, in language: Language) -> (subject: String, message: String) {
        let first = PaidWorkText.date(from, in: language), last = PaidWorkText.date(to, in: language)
        switch language {
        case .it:
            let span = from == to ? "il \(first)" : "dal \(first) al \(last) compresi"
            return ("Chiusura del servizio di assistenza " + (from == to ? "il \(first)" : "dal \(first) al \(last)"),
                    "la informiamo che il servizio di assistenza resterà chiuso \(span).\n\nDurante la chiusura: \(note)")
        case .en:
            let span = from == to ? "on \(first)" : "from \(first) to \(last) inclusive"
            return ("Support desk closed " + (from == to ? "on \(first)" : "from \(first) to \(last)"),
                    "Please note that our support desk will be closed \(span).\n\nDuring the closure: \(note)")
        }
    }

    /// "HH:MM" of `instant` in the calendar's zone.
    public static func wallClock(_ instant: Date, calendar: BusinessCalendar) -> String {
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = TimeZone(identifier: calendar.timeZoneIdentifier) ?? TimeZone(identifier: "UTC")!
        let parts = gregorian.dateComponents([.hour, .minute], from: instant)
        return WorkingInterval.format((parts.hour ?? 0) * 60 + (parts.minute ?? 0))
    }
}

// MARK: Availability

/// A half-open span of whole minutes since the reference date (UTC), `[start, end)`.
public struct MinuteSpan: Hashable, Sendable {
    public let start: Int64
    public let end: Int64

    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }

    /// Widened to whole minutes: the start down, the end up.
    public init(from: Date, to: Date) {
        start = Int64((from.timeIntervalSinceReferenceDate / 60).rounded(.down))
        end = Int64((to.timeIntervalSinceReferenceDate / 60).rounded(.up))
    }

    public var length: Int64 { max(0, end - start) }

    /// The minute of an instant (rounded down).
    public static func minute(_ date: Date) -> Int64 { Int64((date.timeIntervalSinceReferenceDate / 60).rounded(.down)) }
}

/// One product's availability for a month.
public struct AvailabilityFigures: Hashable, Sendable {
    public var minutes: Int64
    public var outageMinutes: Int64
    public var maintenanceMinutes: Int64
    public var downtimeMinutes: Int64
    /// Percentage to 5 places, rounded down: "99.97685".
    public var availability: String
    public var budgetMinutes: Int64
    /// `budgetMinutes - downtimeMinutes`: negative when the budget is overrun.
    public var budgetLeftMinutes: Int64
    public var met: Bool

    public init(
        minutes: Int64, outageMinutes: Int64, maintenanceMinutes: Int64, downtimeMinutes: Int64, availability: String,
        budgetMinutes: Int64, budgetLeftMinutes: Int64, met: Bool
    ) {
        self.minutes = minutes
        self.outageMinutes = outageMinutes
        self.maintenanceMinutes = maintenanceMinutes
        self.downtimeMinutes = downtimeMinutes
        self.availability = availability
        self.budgetMinutes = budgetMinutes
        self.budgetLeftMinutes = budgetLeftMinutes
        self.met = met
    }
}

public enum Availability {
    /// The data centre's target, in hundred-thousandths of a percent: 99.95 %.
    public static let target = "99.95"
    /// Allowed downtime per 10,000 minutes (0.05 %).
    static let budgetPerTenThousand: Int64 = 5

    /// The month `[start, end)` in whole minutes, local months of `calendar`'s zone (Europe/Rome):
    /// March 2027 has 44,580 minutes (an hour is skipped), October 2027 44,700.
    public static func monthSpan(_ month: YearMonth, calendar: BusinessCalendar) -> MinuteSpan {
        let first = LocalDate(year: month.year, month: month.month, day: 1)!
        let next = month.month == 12 ? LocalDate(year: month.year + 1, month: 1, day: 1)! : LocalDate(year: month.year, month: month.month + 1, day: 1)!
        return MinuteSpan(start: MinuteSpan.minute(calendar.instant(on: first, minute: 0)),
                          end: MinuteSpan.minute(calendar.instant(on: next, minute: 0)))
    }

    /// The union of `spans` clipped to `bounds`, sorted and disjoint.
    public static func union(_ spans: [MinuteSpan], within bounds: MinuteSpan) -> [MinuteSpan] {
        let clipped = spans.compactMap { span -> MinuteSpan? in
            let a = max(span.start, bounds.start), b = min(span.end, bounds.end)
            return a < b ? MinuteSpan(start: a, end: b) : nil
        }.sorted { $0.start < $1.start }
        var merged: [MinuteSpan] = []
        for span in clipped {
            if let last = merged.last, span.start <= last.end {
                merged[merged.count - 1] = MinuteSpan(start: last.start, end: max(last.end, span.end))
            } else {
                merged.append(span)
            }
        }
        return merged
    }

    /// Minutes shared by two sorted disjoint lists.
    public static func overlap(_ a: [MinuteSpan], _ b: [MinuteSpan]) -> Int64 {
        var i = 0, j = 0
        var total: Int64 = 0
        while i < a.count && j < b.count {
            let lo = max(a[i].start, b[j].start), hi = min(a[i].end, b[j].end)
            if lo < hi { total += hi - lo }
            if a[i].end < b[j].end { i += 1 } else { j += 1 }
        }
        return total
    }

    /// The figures of one product for the month `bounds`: outages (already cut at the report's
    /// `at` when ongoing) counted once where they overlap, minus the minutes inside maintenance
    /// windows announced in time.
    public static func figures(month bounds: MinuteSpan, outages: [MinuteSpan], maintenance: [MinuteSpan]) -> AvailabilityFigures {
        let total = bounds.length
        let down = union(outages, within: bounds)
        let windows = union(maintenance, within: bounds)
        let outageMinutes = down.reduce(0) { $0 + $1.length }
        let maintenanceMinutes = overlap(down, windows)
        let downtime = outageMinutes - maintenanceMinutes
        let budget = total * budgetPerTenThousand / 10_000
        return AvailabilityFigures(
            minutes: total, outageMinutes: outageMinutes, maintenanceMinutes: maintenanceMinutes, downtimeMinutes: downtime,
            availability: percentage(up: total - downtime, of: total), budgetMinutes: budget,
            budgetLeftMinutes: budget - downtime, met: downtime <= budget)
    }

    /// `up / total` as a percentage with 5 decimals, rounded down ("100.00000" when nothing was down).
    public static func percentage(up: Int64, of total: Int64) -> String {
        guard total > 0 else { return "100.00000" }
        let scaled = up * 10_000_000 / total   // hundred-thousandths of a percent
        let whole = scaled / 100_000, fraction = scaled % 100_000
        let digits = String(fraction)
        return "\(whole)." + String(repeating: "0", count: 5 - digits.count) + digits
    }
}
