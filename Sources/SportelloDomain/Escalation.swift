import Foundation

// The escalation ladder (docs/product.md §6 "Escalation"): as a clock's counted working time
// reaches a share of its target, staff are told, once per step and per clock. The ladder is
// data; these are its rules, pure functions of the ticket's SLA facts and an instant.

/// What a step tells, and the outbox kind of its notifications.
public enum EscalationKind: String, Hashable, Sendable, Codable, CaseIterable {
    /// Before the deadline (docs/product.md §6: 75 %), to the assignee and the care managers.
    case slaWarning
    /// At the deadline, to the care managers.
    case slaBreach
    /// Well past the deadline (docs/product.md §6: 150 %), to the admins.
    case slaEscalation

    /// The notification template's level (`NotificationContext.Key.level`).
    public var level: String {
        switch self {
        case .slaWarning: "warning"
        case .slaBreach: "breach"
        case .slaEscalation: "critical"
        }
    }
}

/// Who a step is addressed to, resolved when it fires: the ticket's assignee, every active care
/// manager, every active admin, or one staff member by id.
public enum EscalationRecipient: Hashable, Sendable, Codable, CustomStringConvertible {
    case assignee
    case careManagers
    case admins
    case staff(Int64)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let id = try? container.decode(Int64.self) {
            guard id > 0 else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "a staff id is a positive integer, got \(id)")
            }
            self = .staff(id)
            return
        }
        let text = try container.decode(String.self)
        switch text {
        case "assignee": self = .assignee
        case "careManagers": self = .careManagers
        case "admins": self = .admins
        default:
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected \"assignee\", \"careManagers\", \"admins\" or a staff id, got \"\(text)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .assignee: try container.encode("assignee")
        case .careManagers: try container.encode("careManagers")
        case .admins: try container.encode("admins")
        case .staff(let id): try container.encode(id)
        }
    }

    public var description: String {
        switch self {
        case .assignee: "assignee"
        case .careManagers: "careManagers"
        case .admins: "admins"
        case .staff(let id): "staff \(id)"
        }
    }
}

/// One rung: when the clock's counted working time passes `at` × its target, `kind` is sent to `to`.
public struct EscalationStep: Hashable, Sendable, Codable {
    /// The share of the target, e.g. 0.75, 1, 1.5.
    public let at: Double
    public let kind: EscalationKind
    public let to: [EscalationRecipient]

    public init(at: Double, kind: EscalationKind, to: [EscalationRecipient]) {
        self.at = at
        self.kind = kind
        self.to = to
    }
}

/// The ladder of a policy (or the default one): steps sorted by `at`, each `at` once.
public struct EscalationLadder: Hashable, Sendable, Codable {
    public let steps: [EscalationStep]

    /// The most steps a ladder may have, and the largest share a step may wait for.
    public static let maximumSteps = 10
    public static let maximumShare = 10.0

    /// - Throws: ``SLAPolicyError/invalid(field:reason:)`` for no steps or too many, a share that
    ///   is not more than 0 and at most 10 (or not a whole number of thousandths), a share given
    ///   twice, a step with no recipient or with the same recipient twice.
    public init(steps: [EscalationStep]) throws {
        guard !steps.isEmpty else { throw SLAPolicyError.invalid(field: "steps", reason: "at least one step is needed") }
        guard steps.count <= Self.maximumSteps else {
            throw SLAPolicyError.invalid(field: "steps", reason: "at most \(Self.maximumSteps) steps")
        }
        var seen = Set<Double>()
        for (i, step) in steps.enumerated() {
            guard step.at.isFinite, step.at > 0, step.at <= Self.maximumShare else {
                throw SLAPolicyError.invalid(field: "steps[\(i)].at", reason: "must be more than 0 and at most \(Int(Self.maximumShare)), got \(step.at)")
            }
            guard (step.at * 1000).rounded() == step.at * 1000 else {
                throw SLAPolicyError.invalid(field: "steps[\(i)].at", reason: "at most three decimals, got \(step.at)")
            }
            guard seen.insert(step.at).inserted else {
                throw SLAPolicyError.invalid(field: "steps[\(i)].at", reason: "\(step.at) given twice")
            }
            guard !step.to.isEmpty else {
                throw SLAPolicyError.invalid(field: "steps[\(i)].to", reason: "at least one recipient is needed")
            }
            guard Set(step.to).count == step.to.count else {
                throw SLAPolicyError.invalid(field: "steps[\(i)].to", reason: "a recipient is given twice")
            }
        }
        self.steps = steps.sorted { $0.at < $1.at }
    }

    public init(from decoder: any Decoder) throws {
        enum Keys: String, CodingKey { case steps }
        let container = try decoder.container(keyedBy: Keys.self)
        do {
            try self.init(steps: container.decode([EscalationStep].self, forKey: .steps))
        } catch let error as SLAPolicyError {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: error.description, underlyingError: error))
        }
    }

    /// The product's ladder (docs/product.md §6): a warning to the assignee and the care managers at 75 % of a target, the
    /// breach to the care managers, and to the admins at 150 %.
    public static let standard = EscalationLadder(uncheckedSteps: [
        EscalationStep(at: 0.75, kind: .slaWarning, to: [.assignee, .careManagers]),
        EscalationStep(at: 1, kind: .slaBreach, to: [.careManagers]),
        EscalationStep(at: 1.5, kind: .slaEscalation, to: [.admins]),
    ])

    private init(uncheckedSteps: [EscalationStep]) { steps = uncheckedSteps }
}

/// The clock a step belongs to: charge taking, or the policy's second clock.
public enum EscalationClock: String, Hashable, Sendable, Codable, CaseIterable {
    case chargeTaking
    case resolution
    case firstAid

    public init(_ second: SecondClock) {
        switch second {
        case .resolution: self = .resolution
        case .firstAid: self = .firstAid
        }
    }
}

/// A step a clock has reached: the instant its share of the target was reached.
public struct ReachedStep: Hashable, Sendable {
    public let clock: EscalationClock
    public let step: EscalationStep
    public let dueAt: Date

    public init(clock: EscalationClock, step: EscalationStep, dueAt: Date) {
        self.clock = clock
        self.step = step
        self.dueAt = dueAt
    }
}

public enum Escalation {
    /// The steps of `ladder` each clock of the ticket has reached by `asOf`, in the order they were
    /// reached (charge taking first on a tie).
    ///
    /// Rules (docs/product.md §6 "Escalation"):
    /// - only a ticket the SLA applies to, and only a clock still counting at `asOf` (not stopped
    ///   by taking charge or by closing at or before `asOf`): a stopped clock fires nothing more;
    /// - a step's instant is where the counted working time reaches `at` × the target, on the
    ///   policy's calendar, from `receivedAt`, with the second clock's pauses excluded (a paused
    ///   clock does not advance toward its steps) — the same arithmetic as the deadline, which
    ///   is the step at 1;
    /// - a step is reached once `asOf` is strictly after its instant (at the deadline itself the
    ///   clock is not yet breached);
    /// - the targets are those of the current priority: after a priority change the steps are
    ///   recomputed, and whether one was already fired is the caller's record, not this rule's.
    public static func reached(
        _ facts: TicketSLAFacts, pauses: [PauseInterval], policy: SLAPolicy, calendar: BusinessCalendar,
        ladder: EscalationLadder, asOf: Date
    ) throws -> [ReachedStep] {
        try scan(facts, pauses: pauses, policy: policy, calendar: calendar, ladder: ladder, asOf: asOf).reached
    }

    /// ``reached(_:pauses:policy:calendar:ladder:asOf:)``, and the earliest instant at which a
    /// further step could be reached if nothing about the ticket changes (nil: none can). While
    /// the second clock is paused that instant assumes it resumes at `asOf`: the real one can
    /// only be later, so a sweep that looks again then finds nothing or recomputes.
    public static func scan(
        _ facts: TicketSLAFacts, pauses: [PauseInterval], policy: SLAPolicy, calendar: BusinessCalendar,
        ladder: EscalationLadder, asOf: Date
    ) throws -> (reached: [ReachedStep], next: Date?) {
        guard facts.classification.map({ $0.hasSLA }) ?? true else { return ([], nil) }
        guard let target = policy.target(priority: facts.priority) else { throw TicketSLAError.noTargets(policy: policy.name) }
        let clocks: [(EscalationClock, WorkingDuration, [PauseInterval], Date?)] = [
            (.chargeTaking, target.chargeTaking, [], facts.chargeTakenAt),
            (EscalationClock(policy.secondClock), target.second, pauses, facts.closedAt),
        ]
        var reached: [ReachedStep] = []
        var next: Date?
        for (clock, duration, clockPauses, stoppedAt) in clocks {
            if let stoppedAt, stoppedAt <= asOf { continue }
            let targetSeconds = duration.seconds(on: calendar)
            // A step's instant is `SLAClock.status(…, target: .minutes(targetSeconds × at / 60), pauses, asOf).due`;
            // only that deadline is computed, with the same arithmetic, the pauses merged once per
            // clock (a full status also counts the elapsed and paused time, unused here).
            let spans = SLAClock.merged(clockPauses, from: facts.receivedAt, to: max(facts.receivedAt, asOf))
            for step in ladder.steps {
                let share = WorkingDuration.minutes(targetSeconds * step.at / 60)
                guard share.isValid else {
                    throw CalendarError.invalid(field: "target", reason: "must be a finite amount ≥ 0, got \(share.amount)")
                }
                let dueAt = try SLAClock.deadline(
                    start: facts.receivedAt, targetSeconds: share.seconds(on: calendar), calendar: calendar, spans: spans)
                guard dueAt < asOf else {
                    // Later steps come later still: this one is the clock's next.
                    next = min(next ?? dueAt, dueAt)
                    break
                }
                reached.append(ReachedStep(clock: clock, step: step, dueAt: dueAt))
            }
        }
        let sorted = reached.sorted { ($0.dueAt, $0.clock == .chargeTaking ? 0 : 1) < ($1.dueAt, $1.clock == .chargeTaking ? 0 : 1) }
        return (sorted, next)
    }

    /// When a step fired at `firedAt` may be delivered: at once (nil) for priority 1 or inside the
    /// calendar's working time; else at the calendar's next opening.
    public static func notBefore(priority: Int, firedAt: Date, calendar: BusinessCalendar) throws -> Date? {
        if priority == 1 || calendar.isWorkingTime(firedAt) { return nil }
        return try calendar.nextWorkingInstant(atOrAfter: firedAt)
    }
}
