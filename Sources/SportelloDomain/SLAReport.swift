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

/// One group's figures, built one ticket at a time in the order the tickets come (a report
/// over a million tickets streams them instead of keeping one value per ticket): what
/// ``SLAReport/rows(_:groupBy:)`` computes for the same tickets in the same order.
public struct SLAReportTally: Sendable {
    public private(set) var tickets = 0
    public private(set) var notApplicable = 0
    var chargeTaking = ClockTally()
    var resolution: ClockTally?
    var firstAid: ClockTally?

    public init() {}

    /// Counts one ticket: its clocks (nil when the SLA does not apply) and whether each had
    /// stopped as of the report's instant.
    public mutating func add(_ sla: TicketSLA?, chargeTakingStopped: Bool, secondStopped: Bool) {
        tickets += 1
        guard let sla else {
            notApplicable += 1
            return
        }
        chargeTaking.add(sla.chargeTaking, stopped: chargeTakingStopped)
        switch sla.policy.secondClock {
        case .resolution:
            if resolution == nil { resolution = ClockTally() }
            resolution!.add(sla.second, stopped: secondStopped)
        case .firstAid:
            if firstAid == nil { firstAid = ClockTally() }
            firstAid!.add(sla.second, stopped: secondStopped)
        }
    }

    public mutating func add(_ ticket: SLAReportTicket) {
        add(ticket.sla, chargeTakingStopped: ticket.chargeTakingStopped, secondStopped: ticket.secondStopped)
    }

    /// The row of `group` (sorts each clock's stopped times: call once).
    public func row(_ group: SLAReportGroup) -> SLAReportRow {
        SLAReportRow(
            group: group, tickets: tickets, notApplicable: notApplicable, chargeTaking: chargeTaking.figures(),
            resolution: resolution?.figures(), firstAid: firstAid?.figures())
    }

    /// One clock over a group: see ``SLAReport/figures(_:)``.
    struct ClockTally: Sendable {
        var figures0 = SLAClockFigures()
        var stopped: [Double] = []

        mutating func add(_ clock: SLAClockStatus, stopped hasStopped: Bool) {
            switch clock.state {
            case .met: figures0.met += 1; stopped.append(clock.elapsed / 60)
            case .breached:
                figures0.breached += 1
                // Stopped late, or still open past its deadline: only a stopped clock has a time to stop.
                if hasStopped { stopped.append(clock.elapsed / 60) }
            case .running, .paused: figures0.running += 1
            case .notApplicable: break
            }
            figures0.pausedMinutes += clock.paused / 60
        }

        func figures() -> SLAClockFigures {
            var f = figures0
            f.metRatio = f.met + f.breached > 0 ? Double(f.met) / Double(f.met + f.breached) : nil
            // The two ranks are selected, not sorted for: a year's report has a million stopped
            // times in its totals, and the printable page tallies three groupings.
            var values = stopped
            f.medianMinutes = SLAReport.percentile(selecting: &values, 0.5)
            f.p90Minutes = SLAReport.percentile(selecting: &values, 0.9)
            return f
        }
    }
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
        var tally = SLAReportTally()
        for ticket in tickets { tally.add(ticket) }
        return tally.row(group)
    }

    /// The figures of some clocks, each with whether it had stopped.
    public static func figures(_ clocks: [(clock: SLAClockStatus, stopped: Bool)]) -> SLAClockFigures {
        var tally = SLAReportTally.ClockTally()
        for (clock, hasStopped) in clocks { tally.add(clock, stopped: hasStopped) }
        return tally.figures()
    }

    /// ``percentile(_:_:)`` of `values` in any order, found by selection (quickselect with the
    /// median of three); reorders `values`.
    public static func percentile(selecting values: inout [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let rank = Int((p * Double(values.count)).rounded(.up))
        let k = max(0, min(values.count - 1, rank - 1))
        var lo = 0, hi = values.count - 1
        while lo < hi {
            // Median of three as the pivot, then Hoare's partition.
            let mid = lo + (hi - lo) / 2
            if values[mid] < values[lo] { values.swapAt(mid, lo) }
            if values[hi] < values[lo] { values.swapAt(hi, lo) }
            if values[hi] < values[mid] { values.swapAt(hi, mid) }
            let pivot = values[mid]
            var i = lo, j = hi
            while i <= j {
                while values[i] < pivot { i += 1 }
                while pivot < values[j] { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { return values[k] }
        }
        return values[k]
    }

    /// Nearest rank: the smallest value with at least `p` of the values at or below it.
    public static func percentile(_ sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[max(0, min(sorted.count - 1, rank - 1))]
    }
}

/// The tickets of a report still open at its instant, by how long ago they arrived and by their
/// SLA state then (the printable page's chart "open tickets by age and SLA state").
public struct SLAOpenTicketAges: Sendable, Hashable {
    /// The age classes' upper bounds in days (calendar time since arrival): under 1 day, 1 to
    /// 3, 3 to 7, 7 to 30, 30 and more; a bound belongs to the class above it.
    public static let bounds: [Double] = [1, 3, 7, 30]
    /// An open ticket's state (``TicketSLA/summary``): its second clock still counts, so it is
    /// running, paused or breached, or the SLA does not apply.
    public static let states: [SLAClockState] = [.running, .paused, .breached, .notApplicable]

    /// `counts[ageClass][state]`, in the order of ``bounds`` (one more class) and ``states``.
    public private(set) var counts: [[Int]] = Array(repeating: Array(repeating: 0, count: states.count), count: bounds.count + 1)

    public init() {}

    /// The class of a ticket received at `receivedAt`, as of `asOf`.
    public static func ageClass(receivedAt: Date, asOf: Date) -> Int {
        let days = asOf.timeIntervalSince(receivedAt) / 86_400
        return bounds.firstIndex { days < $0 } ?? bounds.count
    }

    /// Counts a ticket open at `asOf`; a state outside ``states`` (a clock met, which an open
    /// ticket's second clock cannot be) is not counted.
    public mutating func add(receivedAt: Date, asOf: Date, state: SLAClockState) {
        guard let column = Self.states.firstIndex(of: state) else { return }
        counts[Self.ageClass(receivedAt: receivedAt, asOf: asOf)][column] += 1
    }

    public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }
}
