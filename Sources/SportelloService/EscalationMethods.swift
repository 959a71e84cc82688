import Foundation
import JSONRPC
import SportelloDomain
import SportelloStore

// The escalation methods (sla.ladder, sla.setLadder, sla.sweep) are declared by
// schema/sportello.openrpc.json; their types (SLALadderGet, SLALadderSet, SLASweep, and the
// shared LadderStep, LadderView, FiredStep) are generated at build time. The rules are the
// domain's (Escalation, EscalationLadder); a sweep is one transaction holding every step it
// fires with its outbox rows and history rows, and `sla_escalation`'s primary key makes a step
// fire once whatever runs the sweep (the server's minute, the timer's command, an admin).

extension SportelloService {
    func registerEscalationMethods(into registry: inout MethodRegistry<CallContext>) {
        let escalation = EscalationOperations(environment: environment, calendars: calendars)
        registry.register(SLALadderGet.self, by: self) { params, context in
            _ = try context.requireStaff()
            return try await escalation.ladder(policy: params.policy)
        }
        registry.register(SLALadderSet.self, by: self) { params, context in
            try await escalation.setLadder(params, principal: try context.requirePrincipal())
        }
        registry.register(SLASweep.self, by: self) { params, context in
            _ = try context.requirePrincipal()
            return try await escalation.sweep(at: params.at?.date)
        }
    }

    /// One sweep as the system (the server's minute, `sportello sweep`): what `sla.sweep` does.
    public func sweep(at: Date? = nil) async throws -> SLASweep.Result {
        try await EscalationOperations(environment: environment, calendars: calendars).sweep(at: at)
    }
}

struct EscalationOperations: Sendable {
    let environment: ServiceEnvironment
    let calendars: CalendarCatalog

    private var database: SportelloDatabase { environment.database }
    private func storedNow() -> Date { StoreTime.rounded(environment.now()) }

    // MARK: Ladders

    func ladder(policy: String?) async throws -> LadderView {
        try checkPolicy(policy)
        return try await database.read { tx in try Self.view(tx, policy: policy) }
    }

    func setLadder(_ params: SLALadderSet.Params, principal: Principal) async throws -> LadderView {
        try checkPolicy(params.policy)
        let ladder: EscalationLadder
        do {
            ladder = try EscalationLadder(steps: params.steps.map {
                EscalationStep(at: $0.at.value, kind: $0.kind, to: $0.to)
            })
        } catch SLAPolicyError.invalid(let field, let reason) {
            throw RPCError.invalidParams(field: "params." + field, reason: reason)
        }
        let named = Set(ladder.steps.flatMap(\.to).compactMap { if case .staff(let id) = $0 { id } else { nil } })
        let now = storedNow()
        return try await database.write { tx in
            for id in named.sorted() where try AccountStore.staff(tx, id: id) == nil {
                throw RPCError.invalidParams(field: "params.steps", reason: "no staff member #\(id)")
            }
            let before = try EscalationStore.ladder(tx, policy: params.policy)
            try EscalationStore.setLadder(tx, policy: params.policy, ladder, at: now)
            let encode = { (ladder: EscalationLadder?) throws -> JSONValue in
                guard let ladder else { return .null }
                return try JSONValueEncoder().encode(ladder.steps.map(LadderStep.init))
            }
            try PaidWorkStore.addConfigurationHistory(
                tx, subject: "slaLadder:" + (params.policy ?? "*"), actorKind: principal.kind, actorID: principal.id,
                changes: String(decoding: JSONSerializer.serialize(.object(["steps": [try encode(before?.ladder), try encode(ladder)]])), as: UTF8.self),
                at: now)
            return try Self.view(tx, policy: params.policy)
        }
    }

    private func checkPolicy(_ policy: String?) throws {
        guard let policy else { return }
        guard try calendars.policies().contains(where: { $0.name == policy }) else {
            throw RPCError.notFound(field: "params.policy", "no SLA policy named \"\(policy)\"")
        }
    }

    private static func view(_ tx: StoreReader, policy: String?) throws -> LadderView {
        let own = try policy.flatMap { try EscalationStore.ladder(tx, policy: $0) }
        guard let found = try own ?? EscalationStore.ladder(tx, policy: nil) else {
            throw RPCError.internalError("the default escalation ladder is missing")
        }
        return LadderView(
            policy: policy, own: policy == nil || own != nil, steps: found.ladder.steps.map(LadderStep.init),
            updatedAt: Instant(found.updatedAt))
    }

    // MARK: Sweep

    /// Fires every step reached by `at` (default now) that has not fired yet, in one transaction.
    func sweep(at requested: Date?) async throws -> SLASweep.Result {
        let now = storedNow()
        if let requested, requested > now {
            throw RPCError.invalidParams(field: "params.at", reason: "must not be in the future")
        }
        let asOf = requested.map(StoreTime.rounded) ?? now
        return try await database.write { tx in
            let tickets = try EscalationStore.sweepCandidates(tx, asOf: asOf)
            guard !tickets.isEmpty else { return SLASweep.Result(at: Instant(asOf), checked: 0, fired: []) }
            let ladders = try EscalationStore.ladders(tx)
            let staff = try EscalationStore.activeStaff(tx)
            let fired = try EscalationStore.firedSteps(tx, tickets: tickets.map(\.id))
            let revision = try EscalationStore.calendarRevision(tx)
            var pauses: [Int64: [(from: Date, to: Date?)]] = [:]
            // Only tickets that ever waited have pauses; ask in chunks (SQLite's variable limit).
            let ids = tickets.map(\.id)
            for start in stride(from: 0, to: ids.count, by: 5000) {
                pauses.merge(try TicketStore.waitingIntervals(tx, tickets: Array(ids[start..<min(start + 5000, ids.count)]))) { $1 }
            }
            var result: [FiredStep] = []
            var people: TicketStore.People?
            for ticket in tickets {
                let (policy, calendar) = try calendars.sla(forProduct: ticket.product, in: tx)
                guard let ladder = ladders[policy.name] ?? ladders[""] else { continue }
                let (reached, next) = try Escalation.scan(
                    ticket.slaFacts, pauses: (pauses[ticket.id] ?? []).map { PauseInterval(from: $0.from, to: $0.to) },
                    policy: policy, calendar: calendar, ladder: ladder, asOf: asOf)
                try EscalationStore.bookmark(tx, ticket: ticket.id, version: ticket.version, revision: revision, nextAt: next)
                for step in reached {
                    let key = FiredStepKey(ticket: ticket.id, clock: step.clock, step: step.step.at)
                    guard !fired.contains(key) else { continue }
                    let recipients = Self.recipients(step.step.to, ticket: ticket, staff: staff)
                    let notBefore = try Escalation.notBefore(priority: ticket.priority, firedAt: asOf, calendar: calendar)
                    guard try EscalationStore.recordFired(
                        tx, key, kind: step.step.kind, dueAt: step.dueAt, firedAt: asOf, recipients: recipients.map(\.id))
                    else { continue }
                    if people == nil {
                        people = try TicketStore.people(
                            tx, customers: Set(tickets.map(\.customer)), contacts: [], staff: Set(staff.map(\.id)))
                    }
                    let customerName = people?.customers[ticket.customer]?.name ?? ""
                    let assigneeName = ticket.assignee.flatMap { people?.staff[$0] }
                    for person in recipients {
                        let text = NotificationTemplates.render(
                            NotificationKind(step.step.kind), language: person.language,
                            context: NotificationContext(
                                ticketID: ticket.id, subject: ticket.subject, customerName: customerName,
                                priority: ticket.priority, dueAt: Self.display(step.dueAt, calendar: calendar, language: person.language),
                                extra: [
                                    NotificationContext.Key.clock: step.clock.rawValue,
                                    NotificationContext.Key.percent: Self.percent(step.step.at),
                                    NotificationContext.Key.assigneeName: assigneeName ?? "",
                                ]))
                        try TicketStore.enqueue(
                            tx, ticket: ticket.id, kind: NotificationKind(step.step.kind).rawValue, language: person.language,
                            recipient: person.email, subject: text.subject, body: text.body, at: asOf, notBefore: notBefore)
                    }
                    let summary: JSONValue = .object([
                        "clock": .string(step.clock.rawValue), "step": .double(step.step.at), "kind": .string(step.step.kind.rawValue),
                        "dueAt": .string(RFC3339.format(step.dueAt)), "recipients": .array(recipients.map { .int($0.id) }),
                        "notBefore": notBefore.map { .string(RFC3339.format($0)) } ?? .null,
                    ])
                    try TicketOperations.record(
                        tx, ticket: ticket, principal: .system, action: "slaEscalation", changes: ["escalation": [.null, summary]],
                        events: recipients.isEmpty ? [] : [.notify(NotificationKind(step.step.kind))], at: asOf)
                    result.append(FiredStep(
                        ticket: Int(ticket.id), clock: step.clock, step: JSONNumber(step.step.at), kind: step.step.kind,
                        dueAt: Instant(step.dueAt), firedAt: Instant(asOf), notBefore: notBefore.map(Instant.init),
                        recipients: recipients.map { StaffRef(id: Int($0.id), name: $0.name) }))
                }
            }
            return SLASweep.Result(at: Instant(asOf), checked: tickets.count, fired: result)
        }
    }

    /// The staff a step names, resolved now: the ticket's assignee, every active care manager or
    /// admin, or one staff member; inactive staff are skipped, each person once, in order.
    static func recipients(_ to: [EscalationRecipient], ticket: TicketRecord, staff: [EscalationStaff]) -> [EscalationStaff] {
        var chosen: [EscalationStaff] = []
        var seen = Set<Int64>()
        func add(_ person: EscalationStaff) { if seen.insert(person.id).inserted { chosen.append(person) } }
        for recipient in to {
            switch recipient {
            case .assignee:
                if let id = ticket.assignee, let person = staff.first(where: { $0.id == id }) { add(person) }
            case .careManagers:
                staff.filter { $0.role == .careManager }.forEach(add)
            case .admins:
                staff.filter { $0.role == .admin }.forEach(add)
            case .staff(let id):
                if let person = staff.first(where: { $0.id == id }) { add(person) }
            }
        }
        return chosen
    }

    /// "75", "100", "150", "87.5".
    static func percent(_ share: Double) -> String {
        let value = (share * 1000).rounded() / 10
        return value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// An instant as staff read it: the calendar's local date and time with its zone.
    static func display(_ instant: Date, calendar: BusinessCalendar, language: Language) -> String {
        let local = calendar.localDate(of: instant)
        let minute = Int((instant.timeIntervalSince(calendar.instant(on: local, minute: 0)) / 60).rounded(.down))
        let time = String(format: "%02d:%02d", minute / 60, minute % 60)
        let date = language == .it
            ? String(format: "%02d/%02d/%04d", local.day, local.month, local.year)
            : String(format: "%04d-%02d-%02d", local.year, local.month, local.day)
        return date + " " + time + " (" + calendar.timeZoneIdentifier + ")"
    }
}

extension NotificationKind {
    init(_ kind: EscalationKind) {
        switch kind {
        case .slaWarning: self = .slaWarning
        case .slaBreach: self = .slaBreach
        case .slaEscalation: self = .slaEscalation
        }
    }
}

extension LadderStep {
    init(_ step: EscalationStep) {
        self.init(at: JSONNumber(step.at), kind: step.kind, to: step.to)
    }
}
