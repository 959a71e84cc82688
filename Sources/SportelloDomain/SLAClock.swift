import Foundation

/// The state of one SLA clock (docs/product.md §6).
public enum SLAClockState: String, Hashable, Sendable, Codable, CaseIterable {
    /// Counting, deadline not passed.
    case running
    /// Not counting (the ticket waits for the customer), deadline not passed.
    case paused
    /// Stopped at or before its deadline.
    case met
    /// Its deadline has passed: stopped late, or not stopped and past due (paused or not).
    case breached
    /// The SLA does not apply (the ticket is not a bug).
    case notApplicable
}

/// A span during which a clock does not count (status `waitingCustomer`); `to == nil` while it
/// lasts.
public struct PauseInterval: Hashable, Sendable, Codable {
    public let from: Date
    public let to: Date?

    public init(from: Date, to: Date?) {
        self.from = from
        self.to = to
    }
}

/// One clock as reported to clients: the working-time figures are seconds.
public struct SLAClockStatus: Hashable, Sendable, Codable {
    public let target: WorkingDuration
    /// ``target`` in working seconds on the policy's calendar.
    public let targetSeconds: Double
    /// When the counted working time reaches the target. While the clock is paused (and not yet
    /// past due) it is where the deadline falls if the clock resumes at `asOf`.
    public let due: Date
    /// Working seconds counted: from the start to the stop (or `asOf`), minus those in pauses.
    public let elapsed: Double
    /// `targetSeconds - elapsed`; negative when overdue.
    public let remaining: Double
    /// Working seconds excluded by pauses (up to the stop or `asOf`).
    public let paused: Double
    public let state: SLAClockState
    /// The deadline, when the clock is breached.
    public let breachedAt: Date?

    public init(
        target: WorkingDuration, targetSeconds: Double, due: Date, elapsed: Double, remaining: Double,
        paused: Double, state: SLAClockState, breachedAt: Date?
    ) {
        self.target = target
        self.targetSeconds = targetSeconds
        self.due = due
        self.elapsed = elapsed
        self.remaining = remaining
        self.paused = paused
        self.state = state
        self.breachedAt = breachedAt
    }

    /// A clock the SLA does not apply to: `due` is `start`, every figure 0, state
    /// ``SLAClockState/notApplicable``; clients should show only the state.
    public static func notApplicable(target: WorkingDuration, start: Date) -> SLAClockStatus {
        SLAClockStatus(
            target: target, targetSeconds: 0, due: start, elapsed: 0, remaining: 0, paused: 0,
            state: .notApplicable, breachedAt: nil)
    }

    /// `elapsed / targetSeconds`, for the escalation ladder (0.75 warning, 1.5 to admins).
    /// With a zero target: 0 until any working time is counted, then infinity; 0 when not applicable.
    public var fraction: Double {
        guard state != .notApplicable else { return 0 }
        guard targetSeconds > 0 else { return elapsed > 0 ? .infinity : 0 }
        return elapsed / targetSeconds
    }
}

/// SLA clock arithmetic: a pure function of the clock's history (docs/product.md §6 clock rules), so
/// recomputing always gives the same answer.
public enum SLAClock {
    /// The status of a clock started at `start` with `target`, as of `asOf`.
    ///
    /// Rules:
    /// - the clock counts the calendar's working time from `start`, except working time inside
    ///   `pauses` (overlapping pauses count once; a pause with `to == nil`, or ending after the
    ///   clock's end, lasts until that end);
    /// - it ends at `stoppedAt` when that is not after `asOf`, else at `asOf` (events after
    ///   `asOf` are ignored: an "as of" report shows the clock as it was);
    /// - `due` is the instant the counted working time reaches the target: pauses before the
    ///   deadline move it later by their working time (`due = add(target + paused, start)`);
    ///   pauses after it do not, so a clock past due stays breached while paused;
    /// - stopped: ``SLAClockState/met`` if stopped at or before `due`, else
    ///   ``SLAClockState/breached``; not stopped: breached once `asOf > due`, else
    ///   ``SLAClockState/paused`` inside an open pause, else ``SLAClockState/running``.
    ///   `breachedAt` is `due` for a breached clock.
    ///
    /// - Throws: ``CalendarError`` from the calendar's arithmetic (no working time, a start or
    ///   deadline outside the supported years, an invalid target).
    public static func status(
        start: Date,
        target: WorkingDuration,
        calendar: BusinessCalendar,
        pauses: [PauseInterval] = [],
        stoppedAt: Date? = nil,
        asOf: Date
    ) throws -> SLAClockStatus {
        guard target.isValid else {
            throw CalendarError.invalid(field: "target", reason: "must be a finite amount ≥ 0, got \(target.amount)")
        }
        let targetSeconds = target.seconds(on: calendar)
        let stop = stoppedAt.flatMap { $0 <= asOf ? $0 : nil }
        let end = max(start, stop ?? asOf)

        let spans = merged(pauses, from: start, to: end)
        let pausedSeconds = spans.reduce(0) { $0 + calendar.workingTime(from: $1.from, to: $1.to) }
        let elapsed = calendar.workingTime(from: start, to: end) - pausedSeconds

        let deadline = try self.deadline(start: start, targetSeconds: targetSeconds, calendar: calendar, spans: spans)

        let state: SLAClockState
        if let stop {
            state = stop <= deadline ? .met : .breached
        } else if asOf > deadline {
            state = .breached
        } else if pauses.contains(where: { $0.from <= asOf && ($0.to.map { $0 > asOf } ?? true) }) {
            state = .paused
        } else {
            state = .running
        }
        return SLAClockStatus(
            target: target, targetSeconds: targetSeconds, due: deadline, elapsed: elapsed,
            remaining: targetSeconds - elapsed, paused: pausedSeconds, state: state,
            breachedAt: state == .breached ? deadline : nil)
    }

    /// The instant the counted working time from `start` reaches `targetSeconds`, the working
    /// time inside `spans` (``merged(_:from:to:)``) not counted: `status`'s `due`, without the
    /// rest of the figures (the escalation sweep asks it for every step of every open clock).
    static func deadline(start: Date, targetSeconds: Double, calendar: BusinessCalendar, spans: [(from: Date, to: Date)]) throws -> Date {
        // Walk the counted stretches between pauses until the target is reached.
        var counted = 0.0
        var cursor = start
        for span in spans {
            let stretch = calendar.workingTime(from: cursor, to: span.from)
            if counted + stretch >= targetSeconds {
                return try calendar.add(seconds: max(0, targetSeconds - counted), to: cursor)
            }
            counted += stretch
            cursor = span.to
        }
        return try calendar.add(seconds: max(0, targetSeconds - counted), to: cursor)
    }

    /// The pauses clipped to `[from, to]` (open ones end at `to`), sorted, overlaps merged.
    static func merged(_ pauses: [PauseInterval], from: Date, to: Date) -> [(from: Date, to: Date)] {
        let clipped = pauses
            .map { (from: max($0.from, from), to: min($0.to ?? to, to)) }
            .filter { $0.from < $0.to }
            .sorted { $0.from < $1.from }
        var result: [(from: Date, to: Date)] = []
        for span in clipped {
            if let last = result.last, span.from <= last.to {
                result[result.count - 1].to = max(last.to, span.to)
            } else {
                result.append(span)
            }
        }
        return result
    }
}
