import Foundation

extension BusinessCalendar {
    /// The deadline `duration` of working time after `start` (see ``add(seconds:to:)``).
    ///
    /// `.workingDays(n)` is `n` × ``workingDayMinutes`` of working time. Deadlines fall on whole
    /// working minutes: a duration that does not come to a whole number of minutes on this
    /// calendar (1.5 minutes; 0.001 working days) is refused, naming its unit
    /// (`duration.minutes`).
    public func add(_ duration: WorkingDuration, to start: Date) throws -> Date {
        guard duration.isValid else {
            throw CalendarError.invalid(field: "duration", reason: "must be a finite amount ≥ 0, got \(duration.amount)")
        }
        guard let minutes = duration.wholeMinutes(on: self) else {
            throw CalendarError.invalid(
                field: "duration.\(duration.unitName)",
                reason: "must come to a whole number of minutes; \(duration) is \(duration.seconds(on: self) / 60) minutes on \(name)")
        }
        if duration.amount > 0 && index.weekSeconds == 0 { throw CalendarError.noWorkingTime(calendar: name) }
        return try add(seconds: minutes * 60, to: start)
    }

    /// The earliest instant `T ≥ start` such that the working time in `[start, T]` is `seconds`
    /// (docs/product.md §6). `seconds == 0` gives `start`; a deadline that fills a working interval exactly
    /// is the interval's end (18:30), not the next opening; a start outside working time counts
    /// from the next opening.
    ///
    /// - Throws: ``CalendarError/noWorkingTime(calendar:)`` when the calendar has no working
    ///   intervals, or when reaching the deadline would cross a non-working stretch of two years
    ///   or more; ``CalendarError/invalid(field:reason:)`` for a negative or non-finite amount, a
    ///   start outside ``supportedYears``, or a deadline beyond them.
    public func add(seconds: Double, to start: Date) throws -> Date {
        guard seconds.isFinite, seconds >= 0 else {
            throw CalendarError.invalid(field: "duration", reason: "must be a finite amount ≥ 0, got \(seconds)")
        }
        if seconds == 0 { return start }
        let index = self.index
        guard index.weekSeconds > 0 else { throw CalendarError.noWorkingTime(calendar: name) }
        let s = start.timeIntervalSinceReferenceDate
        guard s >= index.windowStart, s < index.windowEnd else {
            throw CalendarError.invalid(field: "start", reason: "outside the supported years \(Self.yearsText)")
        }
        guard seconds < 1e13 else {
            throw CalendarError.invalid(field: "duration", reason: "deadline beyond \(Self.supportedYears.upperBound)")
        }

        // The rest of the start day.
        let day = index.zone.day(containing: s)
        let j = index.range(endingAfter: day)
        var remaining = seconds
        if !index.isClosed(day, range: j) {
            for k in index.intervals(of: day) {
                let (a, b) = index.bounds(k, on: day)
                guard Double(b) > s else { continue }
                let from = max(Double(a), s)
                let available = Double(b) - from
                if available >= remaining { return Date(timeIntervalSinceReferenceDate: from + remaining) }
                remaining -= available
            }
        }

        // The day that holds the rest, found in O(log n) from the index, then its intervals.
        let need = Int(remaining.rounded(.up))
        switch index.day(reaching: need, after: day, range: j) {
        case .failure(.noWorkingTime):
            throw CalendarError.noWorkingTime(calendar: name)
        case .failure(.beyondWindow):
            throw CalendarError.invalid(field: "duration", reason: "deadline beyond \(Self.supportedYears.upperBound)")
        case .success(let found):
            var left = remaining - Double(found.before)
            var lastEnd = 0
            for k in index.intervals(of: found.day) {
                let (a, b) = index.bounds(k, on: found.day)
                let length = Double(b - a)
                if length >= left { return Date(timeIntervalSinceReferenceDate: Double(a) + left) }
                left -= length
                lastEnd = b
            }
            return Date(timeIntervalSinceReferenceDate: Double(lastEnd))   // unreachable up to rounding
        }
    }

    /// Working seconds in `[from, to]`; negative (the opposite) when `to` is before `from`.
    /// Time outside ``supportedYears`` counts as non-working.
    public func workingTime(from: Date, to: Date) -> Double {
        let a = from.timeIntervalSinceReferenceDate, b = to.timeIntervalSinceReferenceDate
        guard a.isFinite, b.isFinite else { return .nan }
        if b < a { return -workingTime(from: to, to: from) }
        let index = self.index
        let lo = min(max(a, index.windowStart), index.windowEnd)
        let hi = min(max(b, index.windowStart), index.windowEnd)
        guard hi > lo else { return 0 }
        let first = index.zone.day(containing: lo)
        let last = index.zone.day(containing: hi)
        let jFirst = index.range(endingAfter: first)
        let head = index.isClosed(first, range: jFirst) ? 0 : index.worked(on: first, from: lo, to: hi)
        if first == last { return head }
        let jLast = index.range(endingAfter: last)
        let tail = index.isClosed(last, range: jLast) ? 0 : index.worked(on: last, from: lo, to: hi)
        let jNext = index.range(endingAfter: first + 1)
        let middle = index.cumulative(last, range: jLast) - index.cumulative(first + 1, range: jNext)
        return head + Double(middle) + tail
    }

    /// The first instant at or after `instant` that lies inside working time (itself when it
    /// already does). Useful to deliver "inside working time" notifications.
    ///
    /// - Throws: as ``add(seconds:to:)``.
    public func nextWorkingInstant(atOrAfter instant: Date) throws -> Date {
        let index = self.index
        guard index.weekSeconds > 0 else { throw CalendarError.noWorkingTime(calendar: name) }
        let s = instant.timeIntervalSinceReferenceDate
        guard s.isFinite, s >= index.windowStart, s < index.windowEnd else {
            throw CalendarError.invalid(field: "start", reason: "outside the supported years \(Self.yearsText)")
        }
        let day = index.zone.day(containing: s)
        let j = index.range(endingAfter: day)
        if !index.isClosed(day, range: j) {
            for k in index.intervals(of: day) {
                let (a, b) = index.bounds(k, on: day)
                if Double(b) > s && b > a { return Date(timeIntervalSinceReferenceDate: max(Double(a), s)) }
            }
        }
        switch index.day(reaching: 1, after: day, range: j) {
        case .failure(.noWorkingTime):
            throw CalendarError.noWorkingTime(calendar: name)
        case .failure(.beyondWindow):
            throw CalendarError.invalid(field: "start", reason: "no working time before \(Self.supportedYears.upperBound + 1)")
        case .success(let found):
            for k in index.intervals(of: found.day) {
                let (a, b) = index.bounds(k, on: found.day)
                if b > a { return Date(timeIntervalSinceReferenceDate: Double(a)) }
            }
            return Date(timeIntervalSinceReferenceDate: Double(index.zone.dayStart(found.day)))   // unreachable
        }
    }

    /// Whether `instant` lies inside working time (interval starts included, ends excluded).
    public func isWorkingTime(_ instant: Date) -> Bool {
        let s = instant.timeIntervalSinceReferenceDate
        let index = self.index
        guard s.isFinite, s >= index.windowStart, s < index.windowEnd else { return false }
        let day = index.zone.day(containing: s)
        guard !index.isClosed(day) else { return false }
        return index.intervals(of: day).contains { k in
            let (a, b) = index.bounds(k, on: day)
            return Double(a) <= s && s < Double(b)
        }
    }

    /// Whether all of `[from, to]` is working time (e.g. a maintenance window inside office hours).
    public func isWithinWorkingTime(from: Date, to: Date) -> Bool {
        guard from <= to else { return false }
        if from == to { return isWorkingTime(from) }
        return abs(workingTime(from: from, to: to) - to.timeIntervalSince(from)) < 1e-6
    }

    // MARK: wall clock

    /// The local date of `instant` in the calendar's time zone.
    public func localDate(of instant: Date) -> LocalDate {
        let s = instant.timeIntervalSinceReferenceDate
        let index = self.index
        if s >= index.windowStart && s < index.windowEnd {
            return LocalDate(dayNumber: index.zone.day(containing: s))
        }
        let shifted = s + Double(TimeZone(identifier: timeZoneIdentifier)?.secondsFromGMT(for: instant) ?? 0)
        return LocalDate(dayNumber: LocalDate.floorDiv(Int(shifted.rounded(.down)), 86_400))
    }

    /// The instant of wall-clock `minute` (0…1440) of `date` in the calendar's time zone, with
    /// the calendar's rule for skipped (→ the instant of the change) and repeated (→ the first
    /// occurrence) wall-clock times.
    public func instant(on date: LocalDate, minute: Int) -> Date {
        let local = date.dayNumber * 86_400 + minute * 60
        return Date(timeIntervalSinceReferenceDate: Double(index.zone.utc(local: local)))
    }

    private static var yearsText: String { "\(supportedYears.lowerBound)–\(supportedYears.upperBound)" }
}
