import Foundation

/// Why a preview of a ticket's SLA was refused.
public enum TakeChargePreviewError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A closed ticket's clocks have stopped for good: there is no charge to take.
    case closed
    /// A parameter is wrong; `field` is the params key (`at`).
    case invalid(field: String, reason: String)

    public var description: String {
        switch self {
        case .closed: "the ticket is closed"
        case .invalid(let field, let reason): "invalid \(field): \(reason)"
        }
    }
}

/// What a ticket's SLA clocks would be if the care manager took charge at `at` with a given
/// priority and classification (docs/product.md §6, "Previewing a take-charge"), computed from
/// the ticket's facts without changing them.
public struct TakeChargePreview: Hashable, Sendable {
    /// The instant of the hypothetical take-charge, which is also the "as of" of the clocks.
    public let at: Date
    public let priority: Int
    public let classification: Classification
    public let sla: TicketSLA

    /// The preview for `facts` (and the ticket's `waitingCustomer` pauses):
    ///
    /// - `priority` defaults to the ticket's current one; `classification` to the ticket's,
    ///   else `bug` (what an unclassified ticket is assumed to be, docs/product.md §6);
    /// - the clocks are those of ``TicketSLA/compute(_:pauses:policy:calendar:asOf:)`` as of
    ///   `at`, with that priority and classification, and the charge-taking clock stopped at
    ///   `at` — or earlier, at the instant a care manager really took charge, when that was
    ///   before `at`. Only bugs have an SLA: any other classification gives
    ///   `applicable == false` and every clock ``SLAClockState/notApplicable``;
    /// - `at` may not be after `now` (a preview is of now or of the past) nor before the ticket
    ///   arrived, and a closed ticket has nothing to preview.
    ///
    /// The order of the checks: `at` after `now`, then a closed ticket, then `at` before the
    /// ticket arrived.
    ///
    /// - Throws: ``TakeChargePreviewError``; ``CalendarError`` or ``TicketSLAError`` from the clocks.
    public static func compute(
        _ facts: TicketSLAFacts, pauses: [PauseInterval], priority: Int?, classification: Classification?, at: Date, now: Date,
        policy: SLAPolicy, calendar: BusinessCalendar
    ) throws -> TakeChargePreview {
        guard at <= now else {
            throw TakeChargePreviewError.invalid(field: "at", reason: "must not be in the future: a preview is of now or of an earlier instant")
        }
        guard facts.status != .closed, facts.closedAt == nil else { throw TakeChargePreviewError.closed }
        guard at >= facts.receivedAt else {
            throw TakeChargePreviewError.invalid(field: "at", reason: "must not be before the ticket arrived")
        }
        let priority = priority ?? facts.priority
        guard SLAPolicy.priorities.contains(priority) else {
            throw TakeChargePreviewError.invalid(field: "priority", reason: "must be 1…4, got \(priority)")
        }
        let classification = classification ?? facts.classification ?? .bug
        var hypothetical = facts
        hypothetical.priority = priority
        hypothetical.classification = classification
        hypothetical.chargeTakenAt = min(facts.chargeTakenAt ?? at, at)
        if hypothetical.status == .new { hypothetical.status = classification.requiresAssignee ? .assigned : .inCharge }
        let sla = try TicketSLA.compute(hypothetical, pauses: pauses, policy: policy, calendar: calendar, asOf: at)
        return TakeChargePreview(at: at, priority: priority, classification: classification, sla: sla)
    }
}
