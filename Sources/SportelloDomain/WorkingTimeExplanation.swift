import Foundation

/// How a deadline came about (docs/product.md §7): the stretches of working time that
/// ``BusinessCalendar/add(_:to:)`` consumed between the start and the deadline, in order. What
/// lies between two stretches (the evening, a weekend, a holiday, a closure, a lunch break) is
/// non-working time and is not listed.
public struct WorkingTimeExplanation: Hashable, Sendable {
    /// One stretch of working time consumed: `[from, to]`, inside one working interval of one
    /// local date.
    public struct Stretch: Hashable, Sendable {
        public let from: Date
        public let to: Date
        /// The local date of the working interval.
        public let date: LocalDate
        /// Wall-clock seconds from that date's local midnight of `from` and `to` (`to` may be
        /// 86,400: 24:00).
        public let fromWallSeconds: Int
        public let toWallSeconds: Int

        public init(from: Date, to: Date, date: LocalDate, fromWallSeconds: Int, toWallSeconds: Int) {
            self.from = from
            self.to = to
            self.date = date
            self.fromWallSeconds = fromWallSeconds
            self.toWallSeconds = toWallSeconds
        }

        /// Working seconds consumed (real elapsed time: an hour longer across the autumn change).
        public var seconds: Double { to.timeIntervalSince(from) }
    }

    /// Equal to ``BusinessCalendar/add(_:to:)`` for the same start and duration.
    public let deadline: Date
    public let stretches: [Stretch]
    /// The calendar's time zone, named in ``lines``.
    public let timeZoneIdentifier: String

    public init(deadline: Date, stretches: [Stretch], timeZoneIdentifier: String) {
        self.deadline = deadline
        self.stretches = stretches
        self.timeZoneIdentifier = timeZoneIdentifier
    }

    /// One line per stretch, in English: `"Fri 4 Dec 2026 17:00–18:30 Europe/Rome: 90 min"`
    /// (seconds are shown only when a bound is not on a whole minute).
    public var lines: [String] { lines(in: .en) }

    /// The lines in `language`: Italian names its days and months as Italian does
    /// (`"ven 4 dic 2026 17:00–18:30 Europe/Rome: 90 min"`).
    public func lines(in language: Language) -> [String] {
        let (weekdays, months) = language == .it ? (Self.italianWeekdays, Self.italianMonths) : (Self.weekdayNames, Self.monthNames)
        return stretches.map { stretch in
            let date = stretch.date
            let day = weekdays[date.weekday.rawValue - 1] + " \(date.day) " + months[date.month - 1] + " \(date.year)"
            return day + " " + Self.wallClock(stretch.fromWallSeconds) + "–" + Self.wallClock(stretch.toWallSeconds) + " "
                + timeZoneIdentifier + ": " + Self.minutesText(stretch.seconds) + " min"
        }
    }

    static let weekdayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    static let italianWeekdays = ["lun", "mar", "mer", "gio", "ven", "sab", "dom"]
    static let italianMonths = ["gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"]

    /// `"HH:MM"`, or `"HH:MM:SS"` off the minute.
    static func wallClock(_ seconds: Int) -> String {
        let text = WorkingInterval.format(seconds / 60)
        return seconds % 60 == 0 ? text : text + ":" + LocalDate.pad(seconds % 60, 2)
    }

    /// Whole minutes as an integer, else to the second (`"1.5"`).
    static func minutesText(_ seconds: Double) -> String {
        let minutes = (seconds / 60 * 1000).rounded() / 1000
        if minutes == minutes.rounded() { return String(Int(minutes)) }
        return String(minutes)
    }
}

extension BusinessCalendar {
    /// At most this many stretches are explained: a longer duration is refused (`duration`).
    public static let explanationLimit = 1000

    /// The deadline of ``add(_:to:)`` and the stretches of working time it was built from:
    /// the rest of the start's working interval (from the start, or from the next opening when
    /// the start is outside working time), then whole intervals of the following working days,
    /// then the part of the last interval up to the deadline. A zero duration has no stretches.
    ///
    /// - Throws: as ``add(_:to:)``; ``CalendarError/invalid(field:reason:)`` naming `duration`
    ///   when it would take more than ``explanationLimit`` stretches.
    public func explain(_ duration: WorkingDuration, from start: Date) throws -> WorkingTimeExplanation {
        let deadline = try add(duration, to: start)
        var remaining = (duration.wholeMinutes(on: self) ?? 0) * 60
        let index = self.index
        let zone = index.zone
        var stretches: [WorkingTimeExplanation.Stretch] = []
        let s = start.timeIntervalSinceReferenceDate
        var day = remaining > 0 ? zone.day(containing: s) : zone.endDay
        while remaining > 0, day < zone.endDay {
            if !index.isClosed(day) {
                for k in index.intervals(of: day) where remaining > 0 {
                    let (a, b) = index.bounds(k, on: day)
                    guard Double(b) > s, b > a else { continue }
                    let from = max(Double(a), s)
                    let to = from + min(Double(b) - from, remaining)
                    remaining -= to - from
                    guard stretches.count < Self.explanationLimit else {
                        throw CalendarError.invalid(
                            field: "duration",
                            reason: "takes more than \(Self.explanationLimit) stretches of working time to explain; explain a shorter duration")
                    }
                    func wall(_ instant: Double) -> Int {
                        Int((instant + Double(zone.offset(at: instant))).rounded(.down)) - day * 86_400
                    }
                    stretches.append(.init(
                        from: Date(timeIntervalSinceReferenceDate: from), to: Date(timeIntervalSinceReferenceDate: to),
                        date: LocalDate(dayNumber: day), fromWallSeconds: wall(from), toWallSeconds: wall(to)))
                }
            }
            day += 1
        }
        return WorkingTimeExplanation(deadline: deadline, stretches: stretches, timeZoneIdentifier: timeZoneIdentifier)
    }
}
