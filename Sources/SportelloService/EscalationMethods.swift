import CoreMetrics
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
        let started = ContinuousClock.now
        let result = try await EscalationOperations(environment: environment, calendars: calendars).sweep(at: at)
        let (seconds, attoseconds) = (ContinuousClock.now - started).components
        CoreMetrics.Timer(label: "sportello_sla_sweep_duration_seconds").recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        return result
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
            let pauses = try TicketStore.waitingIntervals(tx, tickets: tickets.map(\.id))
            var result: [FiredStep] = []
            var people: TicketStore.People?
            // What is the same for many tickets is worked out once per sweep: the policy and
            // calendar of a product, when a step fired now may be delivered, a due instant as
            // displayed, a notification's text but for the ticket's own values.
            var slaByProduct: [String: (policy: SLAPolicy, calendar: BusinessCalendar)] = [:]
            var notBeforeCache: [String: Date?] = [:]
            var templates: [EscalationNotificationTemplate.Shape: EscalationNotificationTemplate] = [:]
            for ticket in tickets {
                let (policy, calendar): (SLAPolicy, BusinessCalendar)
                if let known = slaByProduct[ticket.product] {
                    (policy, calendar) = known
                } else {
                    (policy, calendar) = try calendars.sla(forProduct: ticket.product, in: tx)
                    slaByProduct[ticket.product] = (policy, calendar)
                }
                guard let ladder = ladders[policy.name] ?? ladders[""] else { continue }
                let (reached, next) = try Escalation.scan(
                    ticket.slaFacts, pauses: (pauses[ticket.id] ?? []).map { PauseInterval(from: $0.from, to: $0.to) },
                    policy: policy, calendar: calendar, ladder: ladder, asOf: asOf)
                try EscalationStore.bookmark(tx, ticket: ticket.id, version: ticket.version, revision: revision, nextAt: next)
                var values: [Language: EscalationNotificationTemplate.Values] = [:]
                for step in reached {
                    let key = FiredStepKey(ticket: ticket.id, clock: step.clock, step: step.step.at)
                    guard !fired.contains(key) else { continue }
                    let recipients = Self.recipients(step.step.to, assignee: ticket.assignee, staff: staff)
                    let notBefore: Date?
                    let deliveryKey = calendar.name + (ticket.priority == 1 ? "#1" : "")
                    if let known = notBeforeCache[deliveryKey] {
                        notBefore = known
                    } else {
                        notBefore = try Escalation.notBefore(priority: ticket.priority, firedAt: asOf, calendar: calendar)
                        notBeforeCache[deliveryKey] = notBefore
                    }
                    guard try EscalationStore.recordFired(
                        tx, key, kind: step.step.kind, dueAt: step.dueAt, firedAt: asOf, recipients: recipients.map(\.id))
                    else { continue }
                    if people == nil {
                        people = try TicketStore.people(
                            tx, customers: Set(tickets.map(\.customer)), contacts: [], staff: Set(staff.map(\.id)))
                    }
                    let kind = NotificationKind(step.step.kind)
                    let percent = Self.percent(step.step.at)
                    var dueTexts: [Language: String] = [:]
                    for person in recipients {
                        let language = person.language
                        let ticketValues: EscalationNotificationTemplate.Values
                        if let known = values[language] {
                            ticketValues = known
                        } else {
                            ticketValues = EscalationNotificationTemplate.Values(
                                ticketID: ticket.id, subject: ticket.subject,
                                customerName: people?.customers[ticket.customer]?.name ?? "",
                                assigneeName: ticket.assignee.flatMap { people?.staff[$0] } ?? "", language: language)
                            values[language] = ticketValues
                        }
                        let shape = EscalationNotificationTemplate.Shape(
                            kind: kind, language: language, priority: ticket.priority, clock: step.clock.rawValue, percent: percent,
                            hasCustomer: ticketValues.hasCustomer, hasAssignee: ticketValues.hasAssignee)
                        let template: EscalationNotificationTemplate
                        if let known = templates[shape] {
                            template = known
                        } else {
                            template = EscalationNotificationTemplate(shape)
                            templates[shape] = template
                        }
                        let dueText: String
                        if let known = dueTexts[language] {
                            dueText = known
                        } else {
                            dueText = Self.display(step.dueAt, calendar: calendar, language: language)
                            dueTexts[language] = dueText
                        }
                        let text = template.render(ticketValues, dueAt: dueText)
                        try TicketStore.enqueue(
                            tx, ticket: ticket.id, kind: kind.rawValue, language: language,
                            recipient: person.email, subject: text.subject, body: text.body, at: asOf, notBefore: notBefore)
                    }
                    let summary: JSONValue = .object([
                        "clock": .string(step.clock.rawValue), "step": .double(step.step.at), "kind": .string(step.step.kind.rawValue),
                        "dueAt": .string(RFC3339.format(step.dueAt)), "recipients": .array(recipients.map { .int($0.id) }),
                        "notBefore": notBefore.map { .string(RFC3339.format($0)) } ?? .null,
                    ])
                    try TicketOperations.record(
                        tx, ticket: ticket.id, principal: .system, action: "slaEscalation", changes: ["escalation": [.null, summary]],
                        events: recipients.isEmpty ? [] : [.notify(kind)], at: asOf)
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
    static func recipients(_ to: [EscalationRecipient], assignee: Int64?, staff: [EscalationStaff]) -> [EscalationStaff] {
        var chosen: [EscalationStaff] = []
        var seen = Set<Int64>()
        func add(_ person: EscalationStaff) { if seen.insert(person.id).inserted { chosen.append(person) } }
        for recipient in to {
            switch recipient {
            case .assignee:
                if let id = assignee, let person = staff.first(where: { $0.id == id }) { add(person) }
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
        // Zero-padded by hand: String(format:) went through Foundation's formatter per notification.
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
        }
        let time = pad(minute / 60, 2) + ":" + pad(minute % 60, 2)
        let date = language == .it
            ? pad(local.day, 2) + "/" + pad(local.month, 2) + "/" + pad(local.year, 4)
            : pad(local.year, 4) + "-" + pad(local.month, 2) + "-" + pad(local.day, 2)
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
