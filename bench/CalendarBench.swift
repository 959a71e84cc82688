import Foundation
import SportelloDomain

/// Business-calendar arithmetic: the indexed `BusinessCalendar.add` against a day-by-day
/// reference timed in the same run, on `interzen-support` with the 2026–2027 summer and
/// Christmas closures, from 10,000 fixed start instants spread over 2026–2027.
///
/// Targets (docs/product.md §6 engine brief): add(5 working days) ≥ 1,000,000 ops/s on one core and ≥ 20×
/// the day-by-day reference; add(180 working days) ≤ 3× the cost of add(1 hour). Any start on
/// which the fast and reference answers differ is reported as a failure result.
func runCalendarBenchmarks() -> [BenchResult] {
    CalendarBenchmark().run()
}

private struct CalendarBenchmark {
    let calendar: BusinessCalendar
    let starts: [Date]

    init() {
        func day(_ iso: String) -> LocalDate { LocalDate(iso: iso) ?? LocalDate(daysSinceEpoch: 0) }
        let closures = [
            Closure(from: day("2026-08-10"), to: day("2026-08-21"), reason: "Chiusura estiva"),
            Closure(from: day("2026-12-24"), to: day("2027-01-06"), reason: "Chiusura natalizia"),
            Closure(from: day("2027-08-09"), to: day("2027-08-20"), reason: "Chiusura estiva"),
            Closure(from: day("2027-12-24"), to: day("2028-01-07"), reason: "Chiusura natalizia"),
        ]
        calendar = (try? CalendarSeed.interzenSupport.replacing(closures: closures)) ?? CalendarSeed.interzenSupport
        // 10,000 instants, whole seconds, uniform over 2026-01-01 … 2027-12-31 (UTC), fixed seed.
        var state: UInt64 = 0x5EED_CA1E
        let from = Date(timeIntervalSince1970: 1_767_225_600).timeIntervalSinceReferenceDate   // 2026-01-01Z
        starts = (0..<10_000).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Date(timeIntervalSinceReferenceDate: from + Double(z % (730 * 86_400)))
        }
    }

    func run() -> [BenchResult] {
        var results: [BenchResult] = []
        let fiveDays = WorkingDuration.workingDays(5)
        let fiveDaySeconds = fiveDays.seconds(on: calendar)
        let foundationReference = DayWalkReference(calendar: calendar, useFoundation: true)
        let cachedReference = DayWalkReference(calendar: calendar, useFoundation: false)

        // Correctness first: fast and reference answers on every start.
        var mismatches = 0
        var firstMismatch = ""
        for start in starts {
            let fast = try? calendar.add(fiveDays, to: start)
            let slow = foundationReference.add(seconds: fiveDaySeconds, to: start)
            let cached = cachedReference.add(seconds: fiveDaySeconds, to: start)
            if fast != slow || fast != cached {
                mismatches += 1
                if firstMismatch.isEmpty {
                    firstMismatch = "first at \(start): " + [fast, slow, cached].map { $0.map(String.init(describing:)) ?? "nil" }.joined(separator: " / ")
                }
            }
        }
        results.append(BenchResult(
            name: "calendar.add.5wd.mismatches", value: Double(mismatches), unit: "count",
            note: mismatches == 0 ? "ok: fast = both references on \(starts.count) starts" : "FAIL: \(firstMismatch)"))

        let fast5 = opsPerSecond(rounds: 7) { try? calendar.add(fiveDays, to: $0) }
        let reference5 = opsPerSecond(rounds: 2) { foundationReference.add(seconds: fiveDaySeconds, to: $0) }
        let cached5 = opsPerSecond(rounds: 3) { cachedReference.add(seconds: fiveDaySeconds, to: $0) }
        results.append(BenchResult(
            name: "calendar.add.5wd", value: fast5, unit: "ops/s",
            note: "interzen-support + 4 closures, 10k starts 2026–2027; target ≥ 1,000,000"))
        results.append(BenchResult(
            name: "calendar.add.5wd.reference", value: reference5, unit: "ops/s",
            note: "day-by-day walk, wall clock via Foundation Calendar"))
        results.append(BenchResult(
            name: "calendar.add.5wd.speedup", value: fast5 / reference5, unit: "x",
            note: "fast / day-by-day reference; target ≥ 20"))
        results.append(BenchResult(
            name: "calendar.add.5wd.speedup-vs-cached-walk", value: fast5 / cached5, unit: "x",
            note: "fast / day-by-day walk on the engine's cached offsets (\(Int(cached5)) ops/s)"))

        let oneHour = opsPerSecond(rounds: 7) { try? calendar.add(.hours(1), to: $0) }
        let longOne = opsPerSecond(rounds: 7) { try? calendar.add(.workingDays(180), to: $0) }
        results.append(BenchResult(name: "calendar.add.1h", value: oneHour, unit: "ops/s", note: ""))
        results.append(BenchResult(name: "calendar.add.180wd", value: longOne, unit: "ops/s", note: ""))
        results.append(BenchResult(
            name: "calendar.add.180wd-vs-1h", value: oneHour / longOne, unit: "x",
            note: "cost of add(180 wd) / cost of add(1 h); target ≤ 3"))

        let spans = starts.map { $0.addingTimeInterval(Double(Int($0.timeIntervalSinceReferenceDate) % (40 * 86_400))) }
        var i = 0
        let working = opsPerSecond(rounds: 7) { start -> Double in
            defer { i = (i + 1) % spans.count }
            return calendar.workingTime(from: start, to: spans[i])
        }
        results.append(BenchResult(name: "calendar.workingTime", value: working, unit: "ops/s", note: "spans up to 40 days"))

        let clock = ContinuousClock()
        let builds = 50
        let began = clock.now
        for _ in 0..<builds { _ = try? calendar.replacing(closures: calendar.closures) }
        let perBuild = (clock.now - began) / builds
        results.append(BenchResult(
            name: "calendar.init", value: seconds(perBuild) * 1e6, unit: "µs",
            note: "validate + index 1900–2200 (time-zone table cached per process)"))
        return results
    }

    /// Best of `rounds` passes over all starts.
    func opsPerSecond<T>(rounds: Int, _ body: (Date) -> T?) -> Double {
        let clock = ContinuousClock()
        var best = Double.infinity
        var answered = 0
        for _ in 0..<rounds {
            let began = clock.now
            for start in starts where body(start) != nil { answered += 1 }
            best = min(best, seconds(clock.now - began))
        }
        precondition(answered > 0)
        return Double(starts.count) / best
    }

    func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}

/// The straightforward algorithm: walk local days one by one; on each working date subtract
/// the working seconds of its intervals, converting wall-clock times to instants either with
/// Foundation's `Calendar` or with the calendar's own cached offsets.
private struct DayWalkReference {
    let calendar: BusinessCalendar
    let useFoundation: Bool
    let foundation: Calendar

    init(calendar: BusinessCalendar, useFoundation: Bool) {
        self.calendar = calendar
        self.useFoundation = useFoundation
        var foundation = Calendar(identifier: .gregorian)
        foundation.timeZone = TimeZone(identifier: calendar.timeZoneIdentifier) ?? .current
        self.foundation = foundation
    }

    func instant(_ date: LocalDate, minute: Int) -> Date {
        guard useFoundation else { return calendar.instant(on: date, minute: minute) }
        let parts = DateComponents(year: date.year, month: date.month, day: date.day, hour: minute / 60, minute: minute % 60)
        return foundation.date(from: parts) ?? .distantPast
    }

    func localDate(_ instant: Date) -> LocalDate {
        guard useFoundation else { return calendar.localDate(of: instant) }
        let parts = foundation.dateComponents([.year, .month, .day], from: instant)
        return LocalDate(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1) ?? LocalDate(daysSinceEpoch: 0)
    }

    func add(seconds: Double, to start: Date) -> Date? {
        if seconds == 0 { return start }
        var remaining = seconds
        var date = localDate(start)
        for _ in 0..<3_660 {
            if calendar.isWorkingDate(date) {
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
        return nil
    }
}
