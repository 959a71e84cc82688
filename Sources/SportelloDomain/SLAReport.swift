import Foundation

// SLA compliance as numbers (docs/product.md §6 "Reports"): tickets grouped by month, policy,
// priority, customer, assignee or product, each clock counted as met, breached or running as of
// an instant, with the working minutes the stopped clocks took. Pure: the service derives each
// ticket's clocks (TicketSLA) and hands them here.

/// What a report may group by.
public enum SLAReportKey: String, Hashable, Sendable, Codable, CaseIterable {
    case month, policy, priority, customer, assignee, product
}

/// One ticket's group values (each key's value, whether grouped by it or not) and its clocks.
public struct SLAReportTicket: Sendable {
    /// `YYYY-MM` of `receivedAt` on the desk's calendar (Europe/Rome).
    public var month: String
    public var policy: String
    public var priority: Int
    public var customer: String
    public var assignee: Int64?
    public var product: String
    /// nil when the SLA does not apply (the ticket is not a bug).
    public var sla: TicketSLA?
    /// Whether each clock had stopped as of the report's instant (charge taken; closed).
    public var chargeTakingStopped: Bool
    public var secondStopped: Bool

    public init(
        month: String, policy: String, priority: Int, customer: String, assignee: Int64?, product: String, sla: TicketSLA?,
        chargeTakingStopped: Bool, secondStopped: Bool
    ) {
        self.chargeTakingStopped = chargeTakingStopped
        self.secondStopped = secondStopped
        self.month = month
        self.policy = policy
        self.priority = priority
        self.customer = customer
        self.assignee = assignee
        self.product = product
        self.sla = sla
    }
}

/// A group's key: the values of the grouped keys only (`assignee` is `.some(nil)` for the
/// unassigned tickets when grouped by assignee).
public struct SLAReportGroup: Hashable, Sendable, Comparable {
    public var month: String?
    public var policy: String?
    public var priority: Int?
    public var customer: String?
    public var assignee: Int64??
    public var product: String?

    public init(month: String? = nil, policy: String? = nil, priority: Int? = nil, customer: String? = nil, assignee: Int64?? = nil, product: String? = nil) {
        self.month = month
        self.policy = policy
        self.priority = priority
        self.customer = customer
        self.assignee = assignee
        self.product = product
    }

    /// Month, policy, priority, customer, assignee (unassigned first), product.
    public static func < (a: SLAReportGroup, b: SLAReportGroup) -> Bool {
        func key(_ g: SLAReportGroup) -> [String] {
            [g.month ?? "", g.policy ?? "", g.priority.map { String($0) } ?? "", g.customer ?? "",
             g.assignee.map { $0.map { String(format: "%020lld", $0) } ?? "" } ?? "", g.product ?? ""]
        }
        return key(a).lexicographicallyPrecedes(key(b))
    }
}

/// One clock's figures over a group.
public struct SLAClockFigures: Hashable, Sendable {
    /// Stopped at or before the deadline.
    public var met = 0
    /// Stopped after the deadline, or not stopped and past it.
    public var breached = 0
    /// Not stopped and not past the deadline (paused included): neither met nor breached yet.
    public var running = 0
    /// `met / (met + breached)`; nil when no clock has an outcome.
    public var metRatio: Double?
    /// Working minutes from arrival to the stop, over the stopped clocks (pauses excluded):
    /// the median and the 90th percentile (nearest rank); nil when none stopped.
    public var medianMinutes: Double?
    public var p90Minutes: Double?
    /// Working minutes excluded by pauses, over all the group's clocks.
    public var pausedMinutes: Double = 0

    public init() {}
}

/// One row: a group's tickets and its clocks.
public struct SLAReportRow: Hashable, Sendable {
    public var group: SLAReportGroup
    /// Every ticket of the group, the SLA applies or not.
    public var tickets: Int
    /// Tickets the SLA does not apply to (not bugs): in no clock's figures.
    public var notApplicable: Int
    public var chargeTaking: SLAClockFigures
    /// The second clock of the tickets whose policy measures resolution, and of those measuring
    /// first aid; nil when the group has none of that kind.
    public var resolution: SLAClockFigures?
    public var firstAid: SLAClockFigures?
}

public enum SLAReport {
    /// The rows, one per group present (sorted), and the totals over every ticket.
    public static func rows(_ tickets: [SLAReportTicket], groupBy: Set<SLAReportKey>) -> (rows: [SLAReportRow], totals: SLAReportRow) {
        var groups: [SLAReportGroup: [SLAReportTicket]] = [:]
        for ticket in tickets {
            groups[group(of: ticket, by: groupBy), default: []].append(ticket)
        }
        let rows = groups.keys.sorted().map { row($0, groups[$0]!) }
        return (rows, row(SLAReportGroup(), tickets))
    }

    static func group(of t: SLAReportTicket, by keys: Set<SLAReportKey>) -> SLAReportGroup {
        SLAReportGroup(
            month: keys.contains(.month) ? t.month : nil, policy: keys.contains(.policy) ? t.policy : nil,
            priority: keys.contains(.priority) ? t.priority : nil, customer: keys.contains(.customer) ? t.customer : nil,
            assignee: keys.contains(.assignee) ? .some(t.assignee) : nil, product: keys.contains(.product) ? t.product : nil)
    }

    static func row(_ group: SLAReportGroup, _ tickets: [SLAReportTicket]) -> SLAReportRow {
        let applicable = tickets.filter { $0.sla != nil }
        let second = { (kind: SecondClock) in
            applicable.filter { $0.sla!.policy.secondClock == kind }.map { ($0.sla!.second, $0.secondStopped) }
        }
        let resolution = second(.resolution)
        let firstAid = second(.firstAid)
        return SLAReportRow(
            group: group, tickets: tickets.count, notApplicable: tickets.count - applicable.count,
            chargeTaking: figures(applicable.map { ($0.sla!.chargeTaking, $0.chargeTakingStopped) }),
            resolution: resolution.isEmpty ? nil : figures(resolution),
            firstAid: firstAid.isEmpty ? nil : figures(firstAid))
    }

    /// The figures of some clocks, each with whether it had stopped.
    public static func figures(_ clocks: [(clock: SLAClockStatus, stopped: Bool)]) -> SLAClockFigures {
        var f = SLAClockFigures()
        var stopped: [Double] = []
        for (clock, hasStopped) in clocks {
            switch clock.state {
            case .met: f.met += 1; stopped.append(clock.elapsed / 60)
            case .breached:
                f.breached += 1
                // Stopped late, or still open past its deadline: only a stopped clock has a time to stop.
                if hasStopped { stopped.append(clock.elapsed / 60) }
            case .running, .paused: f.running += 1
            case .notApplicable: break
            }
            f.pausedMinutes += clock.paused / 60
        }
        f.metRatio = f.met + f.breached > 0 ? Double(f.met) / Double(f.met + f.breached) : nil
        stopped.sort()
        f.medianMinutes = percentile(stopped, 0.5)
        f.p90Minutes = percentile(stopped, 0.9)
        return f
    }

    /// Nearest rank: the smallest value with at least `p` of the values at or below it.
    public static func percentile(_ sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[max(0, min(sorted.count - 1, rank - 1))]
    }
}
