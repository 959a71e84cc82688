import Foundation

/// What a ticket's SLA clocks depend on: its arrival, priority, classification, status and the
/// instants its clocks stopped. The pauses come from its history (`waitingCustomer` intervals).
public struct TicketSLAFacts: Hashable, Sendable {
    public var receivedAt: Date
    public var priority: Int
    public var classification: Classification?
    public var status: TicketStatus
    /// When a care manager took charge (stops the charge-taking clock).
    public var chargeTakenAt: Date?
    /// When the ticket was closed (stops the second clock).
    public var closedAt: Date?

    public init(
        receivedAt: Date, priority: Int, classification: Classification?, status: TicketStatus, chargeTakenAt: Date?,
        closedAt: Date?
    ) {
        self.receivedAt = receivedAt
        self.priority = priority
        self.classification = classification
        self.status = status
        self.chargeTakenAt = chargeTakenAt
        self.closedAt = closedAt
    }
}

public enum TicketSLAError: Error, CustomStringConvertible {
    case noTargets(policy: String)

    public var description: String {
        switch self {
        case .noTargets(let policy): "SLA policy \(policy) has no targets"
        }
    }
}

/// A ticket's two SLA clocks (docs/product.md §6), derived from its facts and its history: both
/// start at `receivedAt`; charge taking stops when a care manager takes charge; the second
/// clock stops at close and excludes the working time spent in `waitingCustomer`. Only bugs
/// (and tickets not yet classified, which may be bugs) have an SLA.
public struct TicketSLA: Hashable, Sendable {
    public let policy: SLAPolicy
    public let applicable: Bool
    public let chargeTaking: SLAClockStatus
    public let second: SLAClockStatus

    public static func compute(
        _ facts: TicketSLAFacts, pauses: [PauseInterval], policy: SLAPolicy, calendar: BusinessCalendar, asOf now: Date
    ) throws -> TicketSLA {
        guard let target = policy.target(priority: facts.priority) else { throw TicketSLAError.noTargets(policy: policy.name) }
        let applicable = facts.classification.map { $0.hasSLA } ?? true
        guard applicable else {
            return TicketSLA(
                policy: policy, applicable: false,
                chargeTaking: .notApplicable(target: target.chargeTaking, start: facts.receivedAt),
                second: .notApplicable(target: target.second, start: facts.receivedAt))
        }
        let chargeTaking = try SLAClock.status(
            start: facts.receivedAt, target: target.chargeTaking, calendar: calendar, pauses: [],
            stoppedAt: facts.chargeTakenAt, asOf: now)
        let second = try SLAClock.status(
            start: facts.receivedAt, target: target.second, calendar: calendar, pauses: pauses, stoppedAt: facts.closedAt,
            asOf: now)
        return TicketSLA(policy: policy, applicable: true, chargeTaking: chargeTaking, second: second)
    }

    /// What a store keeps so that lists can filter on SLA state without deriving every clock:
    /// the due instants, and since when the ticket is paused.
    public struct Index: Hashable, Sendable {
        public var applicable: Bool
        public var chargeTakingDue: Date?
        public var secondDue: Date?
        public var pausedSince: Date?
    }

    /// The index for `facts` as of `now`. While the ticket waits for the customer, the due
    /// dates are the ones the pause began with (the pause moves them only once it ends).
    public static func index(
        _ facts: TicketSLAFacts, pauses: [PauseInterval], policy: SLAPolicy, calendar: BusinessCalendar, now: Date
    ) throws -> Index {
        let pausedSince = facts.status == .waitingCustomer ? pauses.last.flatMap { $0.to == nil ? $0.from : nil } : nil
        let sla = try compute(facts, pauses: pauses, policy: policy, calendar: calendar, asOf: pausedSince ?? now)
        return Index(
            applicable: sla.applicable, chargeTakingDue: sla.applicable ? sla.chargeTaking.due : nil,
            secondDue: sla.applicable ? sla.second.due : nil, pausedSince: pausedSince)
    }

    /// One word for the ticket: breached if a clock is, else paused, running, met.
    public var summary: SLAClockState {
        guard applicable else { return .notApplicable }
        let states = [chargeTaking.state, second.state]
        if states.contains(.breached) { return .breached }
        if states.contains(.paused) { return .paused }
        if states.contains(.running) { return .running }
        return .met
    }
}
