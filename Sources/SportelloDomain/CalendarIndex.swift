import Foundation

/// The precomputed form of a ``BusinessCalendar`` that makes its arithmetic cost independent of
/// the duration: built once in the calendar's initialiser, shared by its copies, immutable.
///
/// Days are numbered from 2001-01-01 (a Monday, so `day mod 7` is the weekday index 0 = Monday)
/// and instants are seconds since 2001-01-01T00:00:00Z, as in ``ZoneOffsetTable``.
///
/// The model: `N(x)` is the *nominal* working seconds of days `[0, x)` from the weekly pattern
/// alone (O(1): whole weeks plus a prefix of the week). Real days differ from nominal ones only
/// on *special ranges*, sorted and disjoint: non-working stretches (holidays, closures, merged
/// with each other and across days that have no nominal working time) that hold no working
/// time, and single days on which a clock change shortens or lengthens a working interval.
/// `C(x)`, the real working seconds of days `[0, x)`, is `cStart[j]` inside range `j` and
/// `N(x) - gapLoss[j]` in the gap just before range `j`; a bucket lookup finds `j`, and a
/// galloping search over `cEnd` finds the range a deadline falls before.
final class CalendarIndex: Sendable {
    let zone: ZoneOffsetTable

    // Weekly pattern, flattened: the merged intervals (minutes) of weekday index w are
    // `intervalStart[intervalFirst[w] ..< intervalFirst[w + 1]]`.
    let intervalStart: [Int]
    let intervalEnd: [Int]
    let intervalFirst: [Int]
    /// Nominal working seconds of each weekday index, and their running sum (8 entries).
    let daySeconds: [Int]
    let weekPrefix: [Int]
    let weekSeconds: Int
    /// See ``BusinessCalendar/workingDayMinutes``.
    let workingDayMinutes: Int

    // Special ranges `[rangeStart[j], rangeEnd[j])`, the last one a sentinel at `zone.endDay`.
    let rangeStart: [Int]
    let rangeEnd: [Int]
    /// Whether range j is non-working (holiday or closure) rather than a clock-change day.
    let rangeClosed: [Bool]
    /// `C(rangeStart[j])` and `C(rangeEnd[j])`.
    let cStart: [Int]
    let cEnd: [Int]
    /// Working seconds lost to special ranges before range j: `C(x) = N(x) - gapLoss[j]` in the gap.
    let gapLoss: [Int]
    /// Number of closed ranges of two years or more among ranges `0 ..< j` (count + 1 entries).
    let longClosedBefore: [Int]
    /// `bucketFirst[b]`: the first range ending after day `zone.firstDay + b * 32`, so that
    /// finding a day's range is a lookup and a short scan instead of a binary search.
    let bucketFirst: [Int32]
    static let bucketShift = 5   // 32-day buckets

    /// A stretch of this many days without working time ends the search (`noWorkingTime`).
    static let giveUpDays = 732

    init(zone: ZoneOffsetTable, weekly: [[WorkingInterval]], nonWorkingDays: [Range<Int>]) {
        self.zone = zone
        var starts: [Int] = [], ends: [Int] = [], first: [Int] = [0], seconds: [Int] = []
        for intervals in weekly {
            var merged: [(start: Int, end: Int)] = []
            for interval in intervals.sorted(by: { $0.start < $1.start }) {
                if let last = merged.last, interval.start <= last.end {
                    merged[merged.count - 1].end = max(last.end, interval.end)
                } else {
                    merged.append((interval.start, interval.end))
                }
            }
            starts += merged.map(\.start)
            ends += merged.map(\.end)
            first.append(starts.count)
            seconds.append(merged.reduce(0) { $0 + ($1.end - $1.start) * 60 })
        }
        intervalStart = starts
        intervalEnd = ends
        intervalFirst = first
        daySeconds = seconds
        let prefix = seconds.reduce(into: [0]) { $0.append($0[$0.count - 1] + $1) }
        let week = prefix[7]
        weekPrefix = prefix
        weekSeconds = week
        workingDayMinutes = Self.regularDayMinutes(seconds.map { $0 / 60 })

        // Non-working stretches inside the window, merged.
        let firstDay = zone.firstDay, endDay = zone.endDay
        func nominal(_ x: Int) -> Int {
            LocalDate.floorDiv(x, 7) * week + prefix[LocalDate.floorMod(x, 7)]
        }
        var closed: [Range<Int>] = []
        closed.reserveCapacity(nonWorkingDays.count)
        for range in nonWorkingDays.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            let clamped = max(range.lowerBound, firstDay)..<min(range.upperBound, endDay)
            guard !clamped.isEmpty else { continue }
            if let last = closed.last,
               clamped.lowerBound <= last.upperBound || nominal(clamped.lowerBound) == nominal(last.upperBound) {
                closed[closed.count - 1] = last.lowerBound..<max(last.upperBound, clamped.upperBound)
            } else {
                closed.append(clamped)
            }
        }

        // Clock-change days whose working time differs from the nominal one.
        var specials: [(day: Int, seconds: Int)] = []
        var closedIndex = 0
        for day in zone.transitionDays where day >= firstDay && day < endDay {
            while closedIndex < closed.count, closed[closedIndex].upperBound <= day { closedIndex += 1 }
            if closedIndex < closed.count, closed[closedIndex].contains(day) { continue }
            let w = LocalDate.floorMod(day, 7)
            var actual = 0
            for k in first[w]..<first[w + 1] {
                actual += zone.utc(day: day, minute: ends[k]) - zone.utc(day: day, minute: starts[k])
            }
            if actual != seconds[w] { specials.append((day, actual)) }
        }

        // All ranges in order, with the running working time.
        var all: [(range: Range<Int>, closed: Bool, seconds: Int)] =
            closed.map { ($0, true, 0) } + specials.map { ($0.day..<($0.day + 1), false, $0.seconds) }
        all.sort { $0.range.lowerBound < $1.range.lowerBound }
        all.append((endDay..<(endDay + 1), true, 0))   // sentinel

        var rStart: [Int] = [], rEnd: [Int] = [], rClosed: [Bool] = []
        var cS: [Int] = [], cE: [Int] = [], loss: [Int] = [], long: [Int] = [0]
        rStart.reserveCapacity(all.count)
        rEnd.reserveCapacity(all.count)
        rClosed.reserveCapacity(all.count)
        cS.reserveCapacity(all.count)
        cE.reserveCapacity(all.count)
        loss.reserveCapacity(all.count)
        long.reserveCapacity(all.count + 1)
        var lost = 0
        for (index, entry) in all.enumerated() {
            let a = entry.range.lowerBound, b = entry.range.upperBound
            rStart.append(a)
            rEnd.append(b)
            rClosed.append(entry.closed)
            loss.append(lost)
            cS.append(nominal(a) - lost)
            cE.append(nominal(a) - lost + entry.seconds)
            lost += nominal(b) - nominal(a) - entry.seconds
            let isLong = entry.closed && b - a >= Self.giveUpDays && index < all.count - 1
            long.append(long[long.count - 1] + (isLong ? 1 : 0))
        }
        rangeStart = rStart
        rangeEnd = rEnd
        rangeClosed = rClosed
        cStart = cS
        cEnd = cE
        gapLoss = loss
        longClosedBefore = long

        var buckets: [Int32] = []
        buckets.reserveCapacity((endDay - firstDay) >> Self.bucketShift + 2)
        var j = 0
        var bucketDay = firstDay
        while bucketDay <= endDay {
            while rEnd[j] <= bucketDay { j += 1 }   // the sentinel ends after endDay
            buckets.append(Int32(j))
            bucketDay += 1 << Self.bucketShift
        }
        bucketFirst = buckets
    }

    /// The most common non-zero length among Monday–Friday (`minutes[0...4]`), ties to the
    /// longest; else the same over the whole week; else 0.
    static func regularDayMinutes(_ minutes: [Int]) -> Int {
        func regular(_ lengths: ArraySlice<Int>) -> Int? {
            let counts = Dictionary(lengths.filter { $0 > 0 }.map { ($0, 1) }, uniquingKeysWith: +)
            return counts.max { ($0.value, $0.key) < ($1.value, $1.key) }?.key
        }
        return regular(minutes[0..<5]) ?? regular(minutes[...]) ?? 0
    }

    // MARK: working time of days

    /// Nominal working seconds of days `[0, x)`.
    @inline(__always)
    func nominal(_ x: Int) -> Int {
        LocalDate.floorDiv(x, 7) * weekSeconds + weekPrefix[LocalDate.floorMod(x, 7)]
    }

    /// Smallest day count `x` with `nominal(x) >= value` (needs `weekSeconds > 0`).
    @inline(__always)
    func nominalInverse(_ value: Int) -> Int {
        let weeks = LocalDate.floorDiv(value - 1, weekSeconds)
        let rest = value - weeks * weekSeconds          // 1 ... weekSeconds
        var k = 1
        while weekPrefix[k] < rest { k += 1 }
        return weeks * 7 + k
    }

    /// Index of the first special range that ends after `day` (the sentinel at the latest).
    @inline(__always)
    func range(endingAfter day: Int) -> Int {
        let offset = day - zone.firstDay
        var j = offset <= 0 ? 0 : Int(bucketFirst[min(offset >> Self.bucketShift, bucketFirst.count - 1)])
        let last = rangeEnd.count - 1
        while j < last && rangeEnd[j] <= day { j += 1 }
        return j
    }

    /// Real working seconds of days `[0, x)`, given `j = range(endingAfter: x)`.
    @inline(__always)
    func cumulative(_ x: Int, range j: Int) -> Int {
        rangeStart[j] <= x ? cStart[j] : nominal(x) - gapLoss[j]
    }

    /// Whether `day` is a holiday or closure (given `j = range(endingAfter: day)`).
    @inline(__always)
    func isClosed(_ day: Int, range j: Int) -> Bool {
        rangeStart[j] <= day && rangeClosed[j]
    }

    func isClosed(_ day: Int) -> Bool {
        isClosed(day, range: range(endingAfter: day))
    }

    // MARK: searches

    enum SearchFailure: Error {
        case noWorkingTime
        case beyondWindow
    }

    /// The day holding the `need`-th working second after the start of day `after + 1`
    /// (`need >= 1`), with the working seconds of days `[after + 1, day)`.
    /// `j` is `range(endingAfter: after)`.
    func day(reaching need: Int, after: Int, range j: Int) -> Result<(day: Int, before: Int), SearchFailure> {
        let base = after + 1 < rangeEnd[j] || rangeStart[j] > after
            ? cumulative(after + 1, range: j)
            : cEnd[j]
        let target = base + need
        // Gallop, then bisect, for the first range with cEnd >= target.
        let last = cEnd.count - 1
        var lo = j, step = 1, hi = j
        while hi <= last, cEnd[hi] < target {
            lo = hi + 1
            hi += step
            step <<= 1
        }
        hi = min(hi, last + 1)
        while lo < hi {
            let mid = (lo + hi) >> 1
            if cEnd[mid] >= target { hi = mid } else { lo = mid + 1 }
        }
        let found = lo
        // Closed stretches of two years or more on the way: give up. The range holding `after`
        // counts only for what is left of it.
        let inside = rangeStart[j] <= after
        let longAhead = inside && rangeClosed[j] && rangeEnd[j] - (after + 1) >= Self.giveUpDays
        if longAhead || longClosedBefore[found] - longClosedBefore[inside ? j + 1 : j] > 0 {
            return .failure(.noWorkingTime)
        }
        guard found <= last else { return .failure(.beyondWindow) }
        if cStart[found] < target {
            // Inside a clock-change day.
            return .success((rangeStart[found], cStart[found] - base))
        }
        let x = nominalInverse(target + gapLoss[found])
        let day = x - 1
        guard day < zone.endDay else { return .failure(.beyondWindow) }
        return .success((day, nominal(day) - gapLoss[found] - base))
    }

    // MARK: instants

    /// UTC bounds (seconds since 2001) of interval `k` on `day`.
    @inline(__always)
    func bounds(_ k: Int, on day: Int) -> (start: Int, end: Int) {
        if zone.changes(on: day) {
            return (zone.utc(day: day, minute: intervalStart[k]), zone.utc(day: day, minute: intervalEnd[k]))
        }
        let midnight = zone.dayStart(day)
        return (midnight + intervalStart[k] * 60, midnight + intervalEnd[k] * 60)
    }

    /// Interval indices of `day`'s weekday.
    @inline(__always)
    func intervals(of day: Int) -> Range<Int> {
        let w = LocalDate.floorMod(day, 7)
        return intervalFirst[w]..<intervalFirst[w + 1]
    }

    /// Working seconds of `day` inside `[from, to]` (instants); the day must not be closed.
    func worked(on day: Int, from: Double, to: Double) -> Double {
        var total = 0.0
        for k in intervals(of: day) {
            let (a, b) = bounds(k, on: day)
            let lo = max(Double(a), from), hi = min(Double(b), to)
            if hi > lo { total += hi - lo }
        }
        return total
    }

    /// First instant of the window and the instant just after it.
    var windowStart: Double { Double(zone.dayStart(zone.firstDay)) }
    var windowEnd: Double { Double(zone.dayStart(zone.endDay)) }
}
