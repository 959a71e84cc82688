import Foundation
import JSONRPC
import SportelloDomain
import SportelloStore

/// The service's side of the domain's `TicketSLA`: its rules run on a stored ticket, and its
/// answer shown as the schema's `SLA`.
extension TicketSLA {
    static func compute(
        ticket: TicketRecord, pauses: [(from: Date, to: Date?)], policy: SLAPolicy, calendar: BusinessCalendar, asOf now: Date
    ) throws -> TicketSLA {
        try compute(ticket.slaFacts, pauses: pauses.map { PauseInterval(from: $0.from, to: $0.to) }, policy: policy,
                    calendar: calendar, asOf: now)
    }

    /// Writes the SLA index columns `ticket.list` filters on.
    static func index(
        _ ticket: inout TicketRecord, pauses: [(from: Date, to: Date?)], policy: SLAPolicy, calendar: BusinessCalendar, now: Date
    ) throws {
        ticket.apply(try index(
            ticket.slaFacts, pauses: pauses.map { PauseInterval(from: $0.from, to: $0.to) }, policy: policy, calendar: calendar,
            now: now))
    }
}

extension SLA {
    /// The schema's view of a ticket's SLA: the charge-taking clock and the policy's second one.
    init(_ sla: TicketSLA) {
        let second = SLAClock(sla.second)
        let clocks: Clocks = switch sla.policy.secondClock {
        case .resolution: Clocks(chargeTaking: SLAClock(sla.chargeTaking), resolution: second)
        case .firstAid: Clocks(chargeTaking: SLAClock(sla.chargeTaking), firstAid: second)
        }
        self.init(policy: sla.policy.name, applicable: sla.applicable, state: sla.summary, clocks: clocks)
    }
}

extension SLAClock {
    init(_ clock: SLAClockStatus) {
        self.init(
            target: clock.target, due: Instant(clock.due), elapsed: Elapsed(minutes: Self.minutes(clock.elapsed)),
            remaining: Remaining(minutes: Self.minutes(clock.remaining)), paused: Paused(minutes: Self.minutes(clock.paused)),
            state: clock.state, breachedAt: clock.breachedAt.map(Instant.init))
    }

    /// Working seconds as minutes, to the second.
    private static func minutes(_ seconds: Double) -> JSONNumber {
        JSONNumber((seconds / 60 * 1000).rounded() / 1000)
    }
}
