import Foundation
import JSONRPC
import SportelloDomain
import SportelloStore

/// The service's side of the domain's `TicketSLA`: its rules run on a stored ticket, and its
/// answer rendered as JSON.
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
