import Foundation

/// The UTC offsets of one time zone over the engine's window (1900–2200), read once from
/// Foundation and then answered with integer math: the calendar arithmetic makes no
/// `TimeZone` calls and allocates nothing.
///
/// Instants are whole seconds since 2001-01-01T00:00:00Z (`Date.timeIntervalSinceReferenceDate`);
/// days are ``LocalDate/dayNumber`` (days since 2001-01-01); "local seconds" are wall-clock
/// seconds counted as if the zone were UTC (`day * 86400 + secondOfDay`).
///
/// Local → UTC (the rule for every working-interval boundary): a wall-clock time is converted
/// with the offset in force at that wall-clock time. A time that does not exist (the hour skipped
/// when clocks go forward) maps to the instant of the change, so it holds no working time; a
/// time that happens twice (clocks go back) maps to its first occurrence.
final class ZoneOffsetTable: Sendable {
    let identifier: String
    /// Offset changes, ascending (UTC seconds since 2001).
    let transitions: [Int]
    /// `offsets[i]` is in force before `transitions[i]`; `offsets[i + 1]` from it on.
    let offsets: [Int]
    /// `transitions[i] + min(offsets[i], offsets[i + 1])`: the first local second whose
    /// conversion the change affects (ascending).
    let localKeys: [Int]
    /// First day of the table (1900-01-01) and the day after its last (2201-01-01).
    let firstDay: Int
    let endDay: Int
    /// For each day `firstDay...endDay + 1`: the UTC offset at local midnight, times two, plus one
    /// when an offset change happens during the day (`[start(d), start(d + 1))`).
    private let dayInfo: [Int32]
    /// Days with an offset change, ascending.
    let transitionDays: [Int]

    static let windowFirstDay = LocalDate.daysFromCivil(year: 1900, month: 1, day: 1) - LocalDate.epoch2001
    static let windowEndDay = LocalDate.daysFromCivil(year: 2201, month: 1, day: 1) - LocalDate.epoch2001

    private init?(identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        firstDay = Self.windowFirstDay
        endDay = Self.windowEndDay
        let scanFrom = (firstDay - 3) * 86_400
        let scanTo = (endDay + 3) * 86_400
        func offset(_ t: Int) -> Int { zone.secondsFromGMT(for: Date(timeIntervalSinceReferenceDate: Double(t))) }

        // Foundation's DST transitions, checked against a weekly sampling of the offset so that
        // changes of standard time (which are not "daylight saving" transitions) are found too.
        var reported: [Int] = []
        var cursorDate = Date(timeIntervalSinceReferenceDate: Double(scanFrom))
        while let next = zone.nextDaylightSavingTimeTransition(after: cursorDate),
              next.timeIntervalSinceReferenceDate <= Double(scanTo) {
            reported.append(Int(next.timeIntervalSinceReferenceDate.rounded()))
            cursorDate = next
        }
        var transitions: [Int] = []
        var offsets: [Int] = [offset(scanFrom)]
        var current = offsets[0]
        var reportedIndex = 0
        var sample = scanFrom
        while sample < scanTo {
            let nextSample = min(sample + 7 * 86_400, scanTo)
            while reportedIndex < reported.count, reported[reportedIndex] <= nextSample {
                let t = reported[reportedIndex]
                reportedIndex += 1
                let after = offset(t)
                if after != current, t > (transitions.last ?? Int.min) {
                    transitions.append(t)
                    offsets.append(after)
                    current = after
                }
            }
            let actual = offset(nextSample)
            if actual != current {
                // A change Foundation did not report: bisect for its first second.
                var lo = max(sample, transitions.last ?? sample)
                var hi = nextSample
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2
                    if offset(mid) == current { lo = mid } else { hi = mid }
                }
                transitions.append(hi)
                offsets.append(actual)
                current = actual
            }
            sample = nextSample
        }
        self.transitions = transitions
        self.offsets = offsets
        self.localKeys = transitions.indices.map { transitions[$0] + min(offsets[$0], offsets[$0 + 1]) }

        var info: [Int32] = []
        var days: [Int] = []
        info.reserveCapacity(endDay - firstDay + 2)
        var nextTransition = 0
        var start = Self.utc(local: firstDay * 86_400, transitions: transitions, offsets: offsets, keys: localKeys)
        for day in firstDay...(endDay + 1) {
            let nextStart = Self.utc(local: (day + 1) * 86_400, transitions: transitions, offsets: offsets, keys: localKeys)
            while nextTransition < transitions.count, transitions[nextTransition] < start { nextTransition += 1 }
            let changes = nextTransition < transitions.count && transitions[nextTransition] < nextStart
            if changes { days.append(day) }
            info.append(Int32(truncatingIfNeeded: (day * 86_400 - start) * 2 + (changes ? 1 : 0)))
            start = nextStart
        }
        dayInfo = info
        transitionDays = days
    }

    // MARK: conversions

    /// UTC instant of local second `local` (see the type's rule for skipped and repeated times).
    func utc(local: Int) -> Int {
        Self.utc(local: local, transitions: transitions, offsets: offsets, keys: localKeys)
    }

    private static func utc(local: Int, transitions: [Int], offsets: [Int], keys: [Int]) -> Int {
        // Last change whose key is ≤ local.
        var lo = 0, hi = keys.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if keys[mid] <= local { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return local - offsets[0] }
        let i = lo - 1
        let before = local - offsets[i]
        if before < transitions[i] { return before }          // still the old offset (or first of two)
        return max(local - offsets[i + 1], transitions[i])     // new offset; a skipped time → the change
    }

    /// The UTC offset (seconds) in force at `instant` (UTC seconds since 2001).
    func offset(at instant: Double) -> Int {
        var lo = 0, hi = transitions.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if Double(transitions[mid]) <= instant { lo = mid + 1 } else { hi = mid }
        }
        return offsets[lo]
    }

    /// UTC instant of local midnight starting `day` (`firstDay...endDay + 1`).
    @inline(__always)
    func dayStart(_ day: Int) -> Int {
        day * 86_400 - Int(dayInfo[day - firstDay] >> 1)
    }

    /// Whether the offset changes during `day`.
    @inline(__always)
    func changes(on day: Int) -> Bool {
        dayInfo[day - firstDay] & 1 != 0
    }

    /// UTC instant of `minute` (0...1440) of local `day`; `day` must be inside the window.
    @inline(__always)
    func utc(day: Int, minute: Int) -> Int {
        changes(on: day) ? utc(local: day * 86_400 + minute * 60) : dayStart(day) + minute * 60
    }

    /// The local day whose `[dayStart(d), dayStart(d + 1))` holds `instant`; the instant must be
    /// within `[dayStart(firstDay), dayStart(endDay))`.
    @inline(__always)
    func day(containing instant: Double) -> Int {
        let utcDay = LocalDate.floorDiv(Int(instant.rounded(.down)), 86_400)
        // Offsets are within ±26 h, so the local day is utcDay - 1, utcDay or utcDay + 1.
        let candidate = min(max(utcDay + 1, firstDay), endDay - 1)
        if Double(dayStart(candidate)) <= instant { return candidate }
        if candidate - 1 >= firstDay, Double(dayStart(candidate - 1)) <= instant { return candidate - 1 }
        return max(candidate - 2, firstDay)
    }

    // MARK: shared tables

    /// The table of `identifier`, built on first use and kept for the life of the process;
    /// nil for an identifier Foundation does not know.
    static func table(for identifier: String) -> ZoneOffsetTable? {
        cache.table(for: identifier)
    }

    private static let cache = Cache()

    private final class Cache: @unchecked Sendable {
        private let lock = NSLock()
        private var tables: [String: ZoneOffsetTable] = [:]

        func table(for identifier: String) -> ZoneOffsetTable? {
            lock.lock()
            defer { lock.unlock() }
            if let table = tables[identifier] { return table }
            guard let table = ZoneOffsetTable(identifier: identifier) else { return nil }
            tables[identifier] = table
            return table
        }
    }
}
