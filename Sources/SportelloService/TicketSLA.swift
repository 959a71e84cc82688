import Foundation
import JSONRPC
import SportelloDomain
import SportelloStore

/// A ticket's two SLA clocks (docs/product.md §6), derived from its facts and its history: both start at
/// `receivedAt`; charge taking stops when a care manager takes charge; the second clock stops
/// at close and excludes the working time spent in `waitingCustomer`. Only bugs (and tickets
/// not yet classified, which may be bugs) have an SLA.
struct TicketSLA {
    let policy: SLAPolicy
    let applicable: Bool
    let chargeTaking: SLAClockStatus
    let second: SLAClockStatus

    static func compute(
        ticket: TicketRecord, pauses: [(from: Date, to: Date?)], policy: SLAPolicy, calendar: BusinessCalendar, asOf now: Date
    ) throws -> TicketSLA {
        guard let target = policy.target(priority: ticket.priority) else {
            throw RPCError.internalError("policy \(policy.name) has no targets")
        }
        let applicable = ticket.classification.map { $0.hasSLA } ?? true
        guard applicable else {
            return TicketSLA(
                policy: policy, applicable: false,
                chargeTaking: .notApplicable(target: target.chargeTaking, start: ticket.receivedAt),
                second: .notApplicable(target: target.second, start: ticket.receivedAt))
        }
        let chargeTaking = try SLAClock.status(
            start: ticket.receivedAt, target: target.chargeTaking, calendar: calendar, pauses: [],
            stoppedAt: ticket.chargeTakenAt, asOf: now)
        let second = try SLAClock.status(
            start: ticket.receivedAt, target: target.second, calendar: calendar,
            pauses: pauses.map { PauseInterval(from: $0.from, to: $0.to) }, stoppedAt: ticket.closedAt, asOf: now)
        return TicketSLA(policy: policy, applicable: true, chargeTaking: chargeTaking, second: second)
    }

    /// Writes the SLA index columns `ticket.list` filters on.
    static func index(
        _ ticket: inout TicketRecord, pauses: [(from: Date, to: Date?)], policy: SLAPolicy, calendar: BusinessCalendar, now: Date
    ) throws {
        let pausedSince = ticket.status == .waitingCustomer ? pauses.last.flatMap { $0.to == nil ? $0.from : nil } : nil
        // While waiting, the due date is the one the pause began with.
        let sla = try compute(ticket: ticket, pauses: pauses, policy: policy, calendar: calendar, asOf: pausedSince ?? now)
        ticket.slaApplicable = sla.applicable
        ticket.chargeTakingDue = sla.applicable ? sla.chargeTaking.due : nil
        ticket.secondDue = sla.applicable ? sla.second.due : nil
        ticket.pausedSince = pausedSince
    }

    var json: JSONValue {
        var clocks = JSONObject()
        clocks["chargeTaking"] = Self.json(chargeTaking)
        clocks[policy.secondClock.rawValue] = Self.json(second)
        return [
            "policy": .string(policy.name),
            "applicable": .bool(applicable),
            "state": .string(summary.rawValue),
            "clocks": .object(clocks),
        ]
    }

    /// One word for the ticket: breached if a clock is, else paused, running, met.
    var summary: SLAClockState {
        guard applicable else { return .notApplicable }
        let states = [chargeTaking.state, second.state]
        if states.contains(.breached) { return .breached }
        if states.contains(.paused) { return .paused }
        if states.contains(.running) { return .running }
        return .met
    }

    static func json(_ clock: SLAClockStatus) -> JSONValue {
        [
            "target": clock.target.json,
            "due": instant(clock.due),
            "elapsed": ["minutes": minutes(clock.elapsed)],
            "remaining": ["minutes": minutes(clock.remaining)],
            "paused": ["minutes": minutes(clock.paused)],
            "state": .string(clock.state.rawValue),
            "breachedAt": clock.breachedAt.map(instant) ?? .null,
        ]
    }

    /// Working seconds as minutes, to the second.
    private static func minutes(_ seconds: Double) -> JSONValue {
        number((seconds / 60 * 1000).rounded() / 1000)
    }
}
