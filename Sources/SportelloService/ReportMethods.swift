import Foundation
import JSONRPC
import SportelloDomain
import SportelloStore

// sla.report (docs/product.md §6 "Reports"), declared by schema/sportello.openrpc.json; its types
// (SLAReportMethod, ReportRow, ReportClock) are generated, ReportGroup is written here. The
// counting is the domain's (SLAReport); this reads the tickets of the period in one read
// transaction and derives each one's clocks as of the report's instant.

/// The schema's `ReportGroup`: only the grouped keys' members are written; `assignee` is
/// written as null for the unassigned group.
public struct ReportGroup: Codable, Sendable, Hashable {
    public var group: SLAReportGroup

    public init(_ group: SLAReportGroup) { self.group = group }

    private enum Key: String, CodingKey { case month, policy, priority, customer, assignee, product }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        var group = SLAReportGroup()
        group.month = try c.decodeIfPresent(String.self, forKey: .month)
        group.policy = try c.decodeIfPresent(String.self, forKey: .policy)
        group.priority = try c.decodeIfPresent(Int.self, forKey: .priority)
        group.customer = try c.decodeIfPresent(String.self, forKey: .customer)
        if c.contains(.assignee) { group.assignee = .some(try c.decodeNil(forKey: .assignee) ? nil : try c.decode(Int64.self, forKey: .assignee)) }
        group.product = try c.decodeIfPresent(String.self, forKey: .product)
        self.group = group
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encodeIfPresent(group.month, forKey: .month)
        try c.encodeIfPresent(group.policy, forKey: .policy)
        try c.encodeIfPresent(group.priority, forKey: .priority)
        try c.encodeIfPresent(group.customer, forKey: .customer)
        if let assignee = group.assignee {
            if let id = assignee { try c.encode(id, forKey: .assignee) } else { try c.encodeNil(forKey: .assignee) }
        }
        try c.encodeIfPresent(group.product, forKey: .product)
    }
}

extension SportelloService {
    func registerReportMethods(into registry: inout MethodRegistry<CallContext>) {
        let reports = ReportOperations(environment: environment, calendars: calendars)
        registry.register(SLAReportMethod.self, by: self) { params, context in
            _ = try context.requirePrincipal()
            return try await reports.report(params)
        }
    }

    /// The printable page of a period (for `sportello report --format html`): the table grouped
    /// by `groupBy`, the charts by month and by priority and of the open tickets by age, from
    /// one reading of the tickets.
    public func reportPage(from: LocalDate, to: LocalDate, groupBy: [SLAReportKey], at: Date?, language: Language) async throws -> (page: String, table: SLAReportMethod.Result) {
        let (all, openAges) = try await ReportOperations(environment: environment, calendars: calendars).reports(
            SLAReportMethod.Params(from: from, to: to, groupBy: groupBy.isEmpty ? nil : groupBy, filter: nil, at: at.map(Instant.init)),
            groupings: [groupBy, [.month], [.priority]])
        return (SLAReportPage.render(.init(table: all[0], byMonth: all[1], byPriority: all[2], openAges: openAges), language: language), all[0])
    }

    /// `sla.report` as the system (for `sportello report`).
    public func report(from: LocalDate, to: LocalDate, groupBy: [SLAReportKey], at: Date?) async throws -> SLAReportMethod.Result {
        try await ReportOperations(environment: environment, calendars: calendars).report(SLAReportMethod.Params(
            from: from, to: to, groupBy: groupBy.isEmpty ? nil : groupBy, filter: nil, at: at.map(Instant.init)))
    }
}

struct ReportOperations: Sendable {
    let environment: ServiceEnvironment
    let calendars: CalendarCatalog

    /// The calendar whose dates and months a report is in (Europe/Rome).
    static let dayCalendar = "interzen-support"
    static let maximumDays = 1096

    func report(_ params: SLAReportMethod.Params) async throws -> SLAReportMethod.Result {
        try await reports(params, groupings: [params.groupBy ?? []]).results[0]
    }

    /// The same period and tickets under several groupings, read and computed once (the
    /// printable page's table and charts), and the tickets still open by age and state.
    ///
    /// One pass over the period's tickets in arrival order: each ticket's clocks are derived and
    /// counted at once into its group of every grouping (and the totals), so no per-ticket value
    /// is kept but the stopped clocks' times the percentiles need. Groups are found by a key of
    /// integers, their names made once per group.
    func reports(
        _ params: SLAReportMethod.Params, groupings: [[SLAReportKey]]
    ) async throws -> (results: [SLAReportMethod.Result], openAges: SLAOpenTicketAges) {
        let now = StoreTime.rounded(environment.now())
        guard params.from <= params.to else { throw RPCError.invalidParams(field: "params.to", reason: "must not be before from") }
        guard params.from.days(to: params.to) < Self.maximumDays else {
            throw RPCError.invalidParams(field: "params.to", reason: "a report covers at most \(Self.maximumDays) days")
        }
        if let at = params.at?.date, at > now { throw RPCError.invalidParams(field: "params.at", reason: "must not be in the future") }
        let asOf = params.at.map { StoreTime.rounded($0.date) } ?? now
        let groupBy = params.groupBy ?? []
        guard Set(groupBy).count == groupBy.count else { throw RPCError.invalidParams(field: "params.groupBy", reason: "a key is given twice") }
        let filter = params.filter
        if let policy = filter?.policy, try !calendars.policies().contains(where: { $0.name == policy }) {
            throw RPCError.notFound(field: "params.filter.policy", "no SLA policy named \"\(policy)\"")
        }
        return try await environment.database.read { tx in
            let days = try calendars.calendar(named: Self.dayCalendar, in: tx)
            let start = days.instant(on: params.from, minute: 0)
            let end = min(days.instant(on: params.to.adding(days: 1), minute: 0), asOf.addingTimeInterval(0.001))
            let customer = try filter?.customer.map { try $0.resolve(tx).id }
            let waits = try TicketStore.waitingIntervalsOfAll(tx)
            var codes: [Int64: String]?
            var grouped = groupings.map { GroupTallies(keys: Set($0)) }
            var totals = SLAReportTally()
            var openAges = SLAOpenTicketAges()
            // Per product: its policy (with its index, for group keys) and calendar.
            var slaByProduct: [String: (policy: SLAPolicy, policyIndex: Int, productIndex: Int, calendar: BusinessCalendar)] = [:]
            var policyNames: [String] = []
            var productNames: [String] = []
            var monthNames: [Int: String] = [:]
            try ReportStore.forEachTicket(
                tx, receivedFrom: start, before: end, priority: filter?.priority, customer: customer,
                assignee: filter?.assignee.map(Int64.init), product: filter?.product
            ) { ticket in
                let sla: (policy: SLAPolicy, policyIndex: Int, productIndex: Int, calendar: BusinessCalendar)
                if let known = slaByProduct[ticket.product] {
                    sla = known
                } else {
                    let (policy, calendar) = try calendars.sla(forProduct: ticket.product, in: tx)
                    let policyIndex = policyNames.firstIndex(of: policy.name) ?? { policyNames.append(policy.name); return policyNames.count - 1 }()
                    productNames.append(ticket.product)
                    sla = (policy, policyIndex, productNames.count - 1, calendar)
                    slaByProduct[ticket.product] = sla
                }
                if let wanted = filter?.policy, wanted != sla.policy.name { return }
                // Only a ticket that ever left `new` can have waited (as the list pages ask).
                let pauses = ticket.pausedSince != nil || ticket.status != .new
                    ? (waits[ticket.id] ?? []).map { PauseInterval(from: $0.from, to: $0.to) } : []
                let clocks = try TicketSLA.compute(ticket.slaFacts, pauses: pauses, policy: sla.policy, calendar: sla.calendar, asOf: asOf)
                let received = days.localDate(of: ticket.receivedAt)
                let month = received.year * 100 + received.month
                let chargeTakingStopped = ticket.chargeTakenAt.map { $0 <= asOf } ?? false
                let secondStopped = ticket.closedAt.map { $0 <= asOf } ?? false
                let counted = clocks.applicable ? clocks : nil
                totals.add(counted, chargeTakingStopped: chargeTakingStopped, secondStopped: secondStopped)
                for index in grouped.indices {
                    try grouped[index].add(
                        GroupKey(month: month, policy: sla.policyIndex, priority: ticket.priority, customer: ticket.customer,
                                 assignee: ticket.assignee, product: sla.productIndex),
                        counted, chargeTakingStopped: chargeTakingStopped, secondStopped: secondStopped
                    ) { key in
                        if monthNames[month] == nil { monthNames[month] = String(format: "%04d-%02d", received.year, received.month) }
                        if codes == nil { codes = try ReportStore.customerCodes(tx) }
                        return SLAReportGroup(
                            month: key.month == nil ? nil : monthNames[month], policy: key.policy.map { policyNames[$0] },
                            priority: key.priority, customer: key.customer.map { codes?[$0] ?? String($0) },
                            assignee: key.assignee, product: key.product.map { productNames[$0] })
                    }
                }
                if !secondStopped { openAges.add(receivedAt: ticket.receivedAt, asOf: asOf, state: clocks.summary) }
            }
            let totalsRow = ReportRow(totals.row(SLAReportGroup()))
            let results = zip(groupings, grouped).map { groupBy, tallies in
                let rows = tallies.groups.sorted { $0.group < $1.group }.map { ReportRow($0.tally.row($0.group)) }
                return SLAReportMethod.Result(
                    from: params.from, to: params.to, at: Instant(asOf), groupBy: groupBy, rows: rows, totals: totalsRow)
            }
            return (results, openAges)
        }
    }
}

/// A ticket's group values as integers (policy and product by their index in the pass), with
/// only the grouped ones kept: what the groups of one grouping are found by.
private struct GroupKey: Hashable {
    var month: Int?
    var policy: Int?
    var priority: Int?
    var customer: Int64?
    var assignee: Int64??
    var product: Int?

    init(month: Int, policy: Int, priority: Int, customer: Int64, assignee: Int64?, product: Int) {
        self.month = month
        self.policy = policy
        self.priority = priority
        self.customer = customer
        self.assignee = .some(assignee)
        self.product = product
    }

    func keeping(_ keys: KeptKeys) -> GroupKey {
        var key = self
        if !keys.month { key.month = nil }
        if !keys.policy { key.policy = nil }
        if !keys.priority { key.priority = nil }
        if !keys.customer { key.customer = nil }
        if !keys.assignee { key.assignee = nil }
        if !keys.product { key.product = nil }
        return key
    }
}

/// Which keys a grouping keeps, as flags (asked once per ticket and grouping).
private struct KeptKeys {
    let month, policy, priority, customer, assignee, product: Bool

    init(_ keys: Set<SLAReportKey>) {
        month = keys.contains(.month)
        policy = keys.contains(.policy)
        priority = keys.contains(.priority)
        customer = keys.contains(.customer)
        assignee = keys.contains(.assignee)
        product = keys.contains(.product)
    }
}

/// The groups of one grouping, in the order first seen.
private struct GroupTallies {
    let keys: KeptKeys
    var index: [GroupKey: Int] = [:]
    var groups: [(group: SLAReportGroup, tally: SLAReportTally)] = []

    init(keys: Set<SLAReportKey>) { self.keys = KeptKeys(keys) }

    mutating func add(
        _ full: GroupKey, _ sla: TicketSLA?, chargeTakingStopped: Bool, secondStopped: Bool, name: (GroupKey) throws -> SLAReportGroup
    ) rethrows {
        let key = full.keeping(keys)
        let position: Int
        if let known = index[key] {
            position = known
        } else {
            position = groups.count
            index[key] = position
            groups.append((try name(key), SLAReportTally()))
        }
        groups[position].tally.add(sla, chargeTakingStopped: chargeTakingStopped, secondStopped: secondStopped)
    }
}

extension ReportRow {
    init(_ row: SLAReportRow) {
        self.init(
            group: ReportGroup(row.group), tickets: row.tickets, notApplicable: row.notApplicable,
            chargeTaking: ReportClock(row.chargeTaking), resolution: row.resolution.map(ReportClock.init),
            firstAid: row.firstAid.map(ReportClock.init))
    }
}

extension ReportClock {
    init(_ f: SLAClockFigures) {
        let minutes = { (value: Double) in JSONNumber((value * 1000).rounded() / 1000) }
        self.init(
            met: f.met, breached: f.breached, running: f.running,
            metRatio: f.metRatio.map { JSONNumber(($0 * 10000).rounded() / 10000) }, medianMinutes: f.medianMinutes.map(minutes),
            p90Minutes: f.p90Minutes.map(minutes), pausedMinutes: minutes(f.pausedMinutes))
    }
}

/// `sla.report`'s answer as CSV (RFC 4180): a header row, then one row per group (the totals
/// are not a row: a reader summing a column would count them twice). Columns: the grouped
/// keys in the order asked, `tickets`, `notApplicable`, then for each clock (`chargeTaking`,
/// `resolution`, `firstAid`) `.met`, `.breached`, `.running`, `.metRatio`, `.medianMinutes`,
/// `.p90Minutes`, `.pausedMinutes`; an empty cell is null or a clock the group does not have.
/// Lines end in CRLF; a field with a comma, a quote or a line break is quoted.
public enum SLAReportCSV {
    static let clockFields = ["met", "breached", "running", "metRatio", "medianMinutes", "p90Minutes", "pausedMinutes"]

    public static func render(_ report: SLAReportMethod.Result) -> String {
        var header = report.groupBy.map(\.rawValue) + ["tickets", "notApplicable"]
        for clock in ["chargeTaking", "resolution", "firstAid"] { header += clockFields.map { clock + "." + $0 } }
        var lines = [header.map(field).joined(separator: ",")]
        for row in report.rows {
            var cells: [String] = report.groupBy.map { key in
                let g = row.group.group
                switch key {
                case .month: return g.month ?? ""
                case .policy: return g.policy ?? ""
                case .priority: return g.priority.map(String.init) ?? ""
                case .customer: return g.customer ?? ""
                case .assignee: return g.assignee.flatMap { $0 }.map(String.init) ?? ""
                case .product: return g.product ?? ""
                }
            }
            cells += [String(row.tickets), String(row.notApplicable)]
            for clock in [row.chargeTaking, row.resolution, row.firstAid] {
                guard let clock else { cells += Array(repeating: "", count: clockFields.count); continue }
                cells += [String(clock.met), String(clock.breached), String(clock.running), number(clock.metRatio),
                          number(clock.medianMinutes), number(clock.p90Minutes), number(clock.pausedMinutes)]
            }
            lines.append(cells.map(field).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func number(_ value: JSONNumber?) -> String {
        guard let value = value?.value else { return "" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
