import Foundation

import JSONRPC
import SportelloDomain
import SportelloStore

// The ticket.* methods, sla.status and notification.list are declared by
// schema/sportello.openrpc.json; their types (TicketOpen, …, SLAStatus, NotificationList, and the
// shared Ticket, TicketSummary, TicketMessage, SLA, SLAClock, HistoryEntry and Notification) are
// generated at build time.

// MARK: Limits

enum TicketLimits {
    static let subjectCharacters = 500
    static let bodyBytes = 256 * 1024
    static let idempotencyKeyCharacters = 200
    static let queryCharacters = 200
}

/// The workflow actions that are methods today (quotes come later): the schema's `allowedActions`.
private let methodActions = Set(Ticket.AllowedAction.allCases.compactMap { TicketAction(rawValue: $0.rawValue) })

// MARK: Handlers

extension SportelloService {
    func registerTicketMethods(into registry: inout MethodRegistry<CallContext>) {
        let tickets = TicketOperations(environment: environment, calendars: calendars)

        registry.register(TicketOpen.self, by: self) { params, context in
            return try await tickets.open(params, principal: try context.requirePrincipal())
        }
        registry.register(TicketGet.self, by: self) { params, context in
            return try await tickets.get(Int64(params.ticket), principal: try context.requirePrincipal())
        }
        registry.register(TicketList.self, by: self) { params, context in
            return try await tickets.list(params, principal: try context.requirePrincipal())
        }
        registry.register(TicketTakeCharge.self, by: self) { params, context in
            let classification = try AccountValidation.choice(params.classification, field: "params.classification", as: Classification.self)
            let priority = try checkedPriority(params.priority, field: "params.priority")
            return try await tickets.change(
                Int64(params.ticket), expectedVersion: params.expectedVersion, principal: try context.requirePrincipal(),
                command: .takeCharge(classification: classification, priority: priority, assignee: params.assignee.map(Int64.init)))
        }
        registry.register(TicketAssign.self, by: self) { params, context in
            return try await tickets.change(
                Int64(params.ticket), expectedVersion: params.expectedVersion, principal: try context.requirePrincipal(),
                command: .assign(assignee: Int64(params.assignee)))
        }
        registry.register(TicketSetPriority.self, by: self) { params, context in
            let priority = try checkedPriority(params.priority, field: "params.priority")
            return try await tickets.change(
                Int64(params.ticket), expectedVersion: params.expectedVersion, principal: try context.requirePrincipal(),
                command: .setPriority(priority))
        }
        registry.register(TicketRequestClarification.self, by: self) { params, context in
            let text = try checkedBody(params.message, field: "params.message")
            return try await tickets.change(
                Int64(params.ticket), expectedVersion: params.expectedVersion, principal: try context.requirePrincipal(),
                command: .requestClarification(text: text))
        }
        registry.register(TicketAddMessage.self, by: self) { params, context in
            let text = try checkedBody(params.body, field: "params.body")
            return try await tickets.addMessage(
                Int64(params.ticket), text: text, isInternal: params.internal ?? false, expectedVersion: params.expectedVersion,
                principal: try context.requirePrincipal())
        }
        registry.register(TicketClose.self, by: self) { params, context in
            let text = try params.text.map { try checkedBody($0, field: "params.text", allowEmpty: true) }
            return try await tickets.change(
                Int64(params.ticket), expectedVersion: params.expectedVersion, principal: try context.requirePrincipal(),
                command: .close(text: text))
        }
        registry.register(TicketHistory.self, by: self) { params, context in
            return try await tickets.history(Int64(params.ticket), principal: try context.requirePrincipal())
        }
        registry.register(SLAStatus.self, by: self) { params, context in
            return try await tickets.slaStatus(Int64(params.ticket), principal: try context.requirePrincipal())
        }
        registry.register(SLAPreview.self, by: self) { params, context in
            let priority = try params.priority.map { try checkedPriority($0, field: "params.priority") }
            let classification = try params.classification.map {
                try AccountValidation.choice($0, field: "params.classification", as: Classification.self)
            }
            return try await tickets.slaPreview(
                Int64(params.ticket), priority: priority, classification: classification, at: params.at?.date,
                principal: try context.requirePrincipal())
        }
        registry.register(NotificationList.self, by: self) { params, context in
            return try await tickets.notifications(params, principal: try context.requireStaff())
        }
    }
}

private func checkedPriority(_ priority: Int, field: String) throws(RPCError) -> Int {
    guard Priority.validRange.contains(priority) else {
        throw RPCError.invalidParams(
            field: field, reason: "must be 1 (Blocking), 2 (High), 3 (Medium) or 4 (Low)", extra: ["allowed": [1, 2, 3, 4]])
    }
    return priority
}

/// A message text: not blank, at most 256 KiB of UTF-8. Kept byte for byte.
private func checkedBody(_ text: String, field: String, allowEmpty: Bool = false) throws(RPCError) -> String {
    if !allowEmpty, text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
        throw RPCError.invalidParams(field: field, reason: "must not be empty")
    }
    guard text.utf8.count <= TicketLimits.bodyBytes else {
        throw RPCError.invalidParams(field: field, reason: "must be at most \(TicketLimits.bodyBytes) bytes (256 KiB)")
    }
    return text
}

extension Principal {
    /// `system`, `staff:3`, `contact:7`: how history rows and idempotency keys name the caller.
    var key: String {
        switch self {
        case .system: "system"
        case .staff(let id, _): "staff:\(id)"
        case .contact(let id, _): "contact:\(id)"
        }
    }

    var kind: String {
        switch self {
        case .system: "system"
        case .staff: "staff"
        case .contact: "contact"
        }
    }

    var id: Int64? {
        switch self {
        case .system: nil
        case .staff(let id, _), .contact(let id, _): id
        }
    }

    var isAdminOrSystem: Bool {
        switch self {
        case .system, .staff(_, .admin): true
        default: false
        }
    }

    var visibility: TicketFilter.Visibility {
        switch self {
        case .system: .all
        case .staff(let id, let role): role.managesTickets ? .all : .assignedTo(id)
        case .contact(let id, let customer): .contact(id: id, customer: customer)
        }
    }
}

/// The ticket operations: each reads or changes one ticket in one transaction, with its
/// history rows and outbox notifications.
struct TicketOperations: Sendable {
    let environment: ServiceEnvironment
    let calendars: CalendarCatalog


    /// The server clock to the millisecond, as the store keeps instants: the SLA of an answer is
    /// computed from this `now` and from history rows read back from the database, so both must
    /// be the same instant (an unrounded `now` a fraction of a millisecond before the stored
    /// pause start reported a ticket that had just entered `waitingCustomer` as `running`).
    func storedNow() -> Date { StoreTime.rounded(environment.now()) }

    // MARK: Open

    func open(_ params: TicketOpen.Params, principal: Principal) async throws -> Ticket {
        let channel = try AccountValidation.choice(params.channel, field: "params.channel", as: Channel.self)
        let explicitLanguage = try params.language.map { try AccountValidation.choice($0, field: "params.language", as: Language.self) }
        if let severity = params.severity { _ = try checkedPriority(severity, field: "params.severity") }
        let subject = params.subject.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !subject.isEmpty else { throw RPCError.invalidParams(field: "params.subject", reason: "must not be empty") }
        guard subject.count <= TicketLimits.subjectCharacters else {
            throw RPCError.invalidParams(field: "params.subject", reason: "must be at most \(TicketLimits.subjectCharacters) characters")
        }
        let body = try checkedBody(params.body, field: "params.body")
        let now = storedNow()
        let caller: TicketIntake.Caller = switch principal {
        case .contact(let id, let customer): .contact(id: id, customer: customer)
        default: .staff(mayBackdate: principal.isAdminOrSystem)
        }
        let received = try Self.decided(TicketIntake.receivedAt(requested: params.receivedAt?.date, now: now, caller: caller))
        if let key = params.idempotencyKey, key.isEmpty || key.count > TicketLimits.idempotencyKeyCharacters {
            throw RPCError.invalidParams(field: "params.idempotencyKey", reason: "must be 1 to \(TicketLimits.idempotencyKeyCharacters) characters")
        }
        let (policy, calendar) = try calendars.sla(forProduct: params.product)
        let digest = params.idempotencyKey.map { _ in Self.digest(params) }
        // Detected before the transaction: it needs no data and the write lock is shared.
        let detected = explicitLanguage == nil ? LanguageDetector.detect(subject + "\n" + body)?.language : nil

        // The answer is rendered in the same transaction: what the caller sees is what was written.
        return try await environment.database.write { tx in
            if let key = params.idempotencyKey, let digest,
                let earlier = try TicketStore.idempotentTicket(tx, principal: principal.key, key: key)
            {
                guard earlier.digest == digest else {
                    throw RPCError.invalidParams(
                        field: "params.idempotencyKey", reason: "already used for a different ticket.open; use a new key")
                }
                return try render(tx, ticket: try Self.visibleTicket(tx, id: earlier.ticket, principal: principal), principal: principal, now: now)
            }
            // Who the ticket is for.
            let customer: CustomerRecord
            var contact: ContactRecord?
            let reporter = try Self.decided(TicketIntake.reporter(for: caller, named: params.contact.map(Int64.init)))
            switch principal {
            case .contact(let id, let customerID):
                contact = try AccountStore.contact(tx, id: id)
                guard let own = try AccountStore.customer(tx, id: customerID) else {
                    throw RPCError.notFound(field: "params.customer", "your company no longer exists")
                }
                if let given = params.customer {
                    _ = try Self.resolve(given, tx: tx, principal: principal)
                }
                customer = own
            case .system, .staff:
                var company: CustomerRecord?
                if let contactID = reporter {
                    guard let found = try AccountStore.contact(tx, id: contactID) else {
                        throw RPCError.notFound(field: "params.contact", "no contact with id \(contactID)")
                    }
                    contact = found
                    guard let own = try AccountStore.customer(tx, id: found.customer) else {
                        throw RPCError.notFound(field: "params.contact", "the contact's company no longer exists")
                    }
                    company = own
                }
                let named = try params.customer.map { try $0.resolve(tx) }
                let chosen = try Self.decided(TicketIntake.customer(contactCompany: company?.id, namedCustomer: named?.id))
                customer = chosen == company?.id ? company! : named!
            }
            let decision = try Self.decided(TicketWorkflow.open(
                customer: customer.id, reporterContact: contact?.id, declaredPriority: params.severity))
            let language = TicketIntake.language(
                explicit: explicitLanguage, detected: detected, contact: contact?.language, customer: customer.language)
            let eligible = try AccountStore.isEligible(
                tx, customer: customer.id, product: params.product, on: String(StoreTime.text(received).prefix(10)))
            var ticket = TicketRecord(
                customer: customer.id, contact: contact?.id, product: params.product, subject: subject, channel: channel,
                language: language, priority: decision.state.priority, severity: params.severity, status: decision.state.status,
                eligible: eligible, receivedAt: received, createdAt: now, updatedAt: now)
            try persistOpening(
                tx, &ticket, decision: decision, body: body, at: received,
                author: contact.map { ("contact", $0.id) } ?? (principal.kind, principal.id),
                changes: [
                    "status": [.null, .string(ticket.status.rawValue)], "priority": [.null, .int(Int64(ticket.priority))],
                    "language": [.null, .string(language.rawValue)], "eligible": [.null, .bool(eligible)],
                ],
                customer: customer, contact: contact, principal: principal, policy: policy, calendar: calendar, now: now)
            if let key = params.idempotencyKey, let digest {
                try TicketStore.rememberIdempotency(tx, principal: principal.key, key: key, digest: digest, ticket: ticket.id, at: now)
            }
            return try render(tx, ticket: ticket, principal: principal, now: now)
        }
    }

    /// A digest of everything that defines the ticket, so a retry can be told from a reuse.
    private static func digest(_ params: TicketOpen.Params) -> String {
        let customer: JSONValue = switch params.customer {
        case .id(let id)?: .int(id)
        case .code(let code)?: .string(code)
        case nil: .null
        }
        let canonical: JSONValue = [
            "customer": customer, "contact": params.contact.map { .int(Int64($0)) } ?? .null, "product": .string(params.product),
            "subject": .string(params.subject), "body": .string(params.body), "channel": .string(params.channel),
            "severity": params.severity.map { .int(Int64($0)) } ?? .null, "language": params.language.map { .string($0) } ?? .null,
            "receivedAt": params.receivedAt.map { instant($0.date) } ?? .null,
        ]
        return Hashes.sha256Hex(JSONSerializer.serialize(canonical))
    }

    // MARK: Read

    /// Runs a read of tickets and answers what `body` returns. docs/product.md §2: every read of a ticket
    /// by staff other than admins and care managers is recorded. For an operator the read runs
    /// in a write transaction that adds, for each ticket the answer shows (`body`'s second
    /// value), one history row `read` — as ticket.get always has; for anyone else it is a
    /// plain read.
    ///
    /// A list records one row per ticket it returned, not one row naming the page: each ticket's
    /// own history then tells who saw it, which is what the audit is read for ("who looked at
    /// this vulnerability?"), and a page is at most 500 small rows in one transaction.
    private func reading<Answer: Sendable>(
        principal: Principal, now: Date, _ body: @escaping @Sendable (StoreReader) throws -> (answer: Answer, shown: [Int64])
    ) async throws -> Answer {
        guard case .staff(_, .operator) = principal else {
            return try await environment.database.read { tx in try body(tx).answer }
        }
        return try await environment.database.write { tx in
            let (answer, shown) = try body(tx)
            var recorded = Set<Int64>()
            for ticket in shown where recorded.insert(ticket).inserted {
                try TicketStore.addHistory(
                    tx, ticket: ticket, at: now, actorKind: principal.kind, actorID: principal.id, action: "read", changes: "{}",
                    events: "[]")
            }
            return answer
        }
    }

    /// The ticket as `principal` may see it.
    func get(_ id: Int64, principal: Principal) async throws -> Ticket {
        let now = storedNow()
        return try await reading(principal: principal, now: now) { tx in
            let ticket = try Self.visibleTicket(tx, id: id, principal: principal)
            return (try render(tx, ticket: ticket, principal: principal, now: now), [ticket.id])
        }
    }

    func list(_ params: TicketList.Params, principal: Principal) async throws -> TicketList.Result {
        let limit = try AccountValidation.limit(params.limit)
        let status = try params.status.map { try AccountValidation.choice($0, field: "params.status", as: TicketStatus.self) }
        let classification = try params.classification.map {
            try AccountValidation.choice($0, field: "params.classification", as: Classification.self)
        }
        let slaState = try params.slaState.map { try AccountValidation.choice($0, field: "params.slaState", as: SLAClockState.self) }
        let priority = try params.priority.map { try checkedPriority($0, field: "params.priority") }
        var query: String?
        if let text = params.query?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty {
            guard text.count <= TicketLimits.queryCharacters else {
                throw RPCError.invalidParams(field: "params.query", reason: "must be at most \(TicketLimits.queryCharacters) characters")
            }
            // FTS5 reads a search as a C string: a NUL would end it mid-word.
            guard !text.utf8.contains(0) else {
                throw RPCError.invalidParams(field: "params.query", reason: "must not contain NUL (U+0000): search cannot take it")
            }
            query = text
        }
        let now = storedNow()
        let search = query
        let assignee = params.assignee.map(Int64.init)
        return try await reading(principal: principal, now: now) { tx in
            let customer = try params.customer.map { try Self.resolve($0, tx: tx, principal: principal).id }
            let cursor = ListCursor(key: environment.database.cursorKey, list: TicketList.name, caller: principal, filters: [
                ("status", status.cursorValue), ("assignee", assignee.map { .int($0) } ?? .null),
                ("customer", customer.map { .int($0) } ?? .null), ("classification", classification.cursorValue),
                ("priority", priority.map { .int(Int64($0)) } ?? .null), ("slaState", slaState.cursorValue),
                ("query", search.map { .string($0) } ?? .null),
            ])
            let before = try params.cursor.map { try cursor.decode($0) }
            let filter = TicketFilter(
                visibility: principal.visibility, status: status, assignee: assignee, customer: customer,
                classification: classification, priority: priority, slaState: slaState, query: search, before: before,
                limit: limit + 1, now: now)
            var found: [TicketRecord]
            do {
                found = try TicketStore.list(tx, filter)
            } catch let error as SearchQueryError {
                throw RPCError.invalidParams(field: "params.query", reason: "search cannot take this text: \(error.reason)")
            }
            let more = found.count > limit
            if more { found.removeLast() }
            let answer = TicketList.Result(
                items: try summaries(tx, tickets: found, principal: principal, now: now),
                nextCursor: more ? cursor.encode(found.last!.id) : nil)
            return (answer, found.map(\.id))
        }
    }

    func history(_ id: Int64, principal: Principal) async throws -> TicketHistory.Result {
        if case .contact = principal {
            // The audit trail names staff and internal actions: for staff only.
            _ = try await environment.database.read { tx in try Self.visibleTicket(tx, id: id, principal: principal) }
            throw RPCError.forbidden("the ticket history is for staff")
        }
        return try await reading(principal: principal, now: storedNow()) { tx in
            let ticket = try Self.visibleTicket(tx, id: id, principal: principal)
            let rows = try TicketStore.history(tx, ticket: ticket.id)
            let hidesOrigin = try ticket.followUpOf != nil && Self.originsVisible(tx, of: [ticket], to: principal).isEmpty
            let items = try rows.map { row in
                var changes = (try? JSONParser.parse(Array(row.changes.utf8))) ?? [:]
                if hidesOrigin, case .object(var object) = changes {
                    object["followUpOf"] = nil
                    changes = .object(object)
                }
                var events: [String] = []
                if case .array(let names)? = try? JSONParser.parse(Array(row.events.utf8)) {
                    events = names.compactMap(\.stringValue)
                }
                return HistoryEntry(
                    at: Instant(row.at), actor: try actor(tx, kind: row.actorKind, id: row.actorID), action: row.action,
                    changes: changes, events: events)
            }
            return (TicketHistory.Result(items: items), [ticket.id])
        }
    }

    func slaStatus(_ id: Int64, principal: Principal) async throws -> SLA {
        let now = storedNow()
        return try await reading(principal: principal, now: now) { tx in
            let ticket = try Self.visibleTicket(tx, id: id, principal: principal)
            return (SLA(try sla(tx, ticket: ticket, now: now)), [ticket.id])
        }
    }

    /// The clocks as if a care manager took charge at `at` (default now) with this priority and
    /// classification (docs/product.md §6): a read, nothing is written.
    func slaPreview(
        _ id: Int64, priority: Int?, classification: Classification?, at: Date?, principal: Principal
    ) async throws -> SLAPreview.Result {
        let now = storedNow()
        return try await environment.database.read { tx in
            let ticket = try Self.visibleTicket(tx, id: id, principal: principal)
            let (policy, calendar) = try calendars.sla(forProduct: ticket.product, in: tx)
            let pauses = try TicketStore.waitingIntervals(tx, ticket: ticket.id).map { PauseInterval(from: $0.from, to: $0.to) }
            let preview: TakeChargePreview
            do {
                preview = try TakeChargePreview.compute(
                    ticket.slaFacts, pauses: pauses, priority: priority, classification: classification, at: at ?? now, now: now,
                    policy: policy, calendar: calendar)
            } catch TakeChargePreviewError.closed {
                throw RPCError(code: RPCErrorCode.transitionNotAllowed, message: "Transition not allowed", data: [
                    "field": "params.ticket",
                    "status": .string(ticket.status.rawValue),
                    "reason": .string("ticket #\(id) is closed: its clocks have stopped and there is no charge to take"),
                ])
            } catch TakeChargePreviewError.invalid(let field, let reason) {
                throw RPCError.invalidParams(field: "params." + field, reason: reason)
            }
            return SLAPreview.Result(
                at: Instant(preview.at), priority: preview.priority, classification: preview.classification, sla: SLA(preview.sla))
        }
    }

    func notifications(_ params: NotificationList.Params, principal: Principal) async throws -> NotificationList.Result {
        let limit = try AccountValidation.limit(params.limit)
        let kind = try params.kind.map { try AccountValidation.choice($0, field: "params.kind", as: NotificationKind.self) }
        let ticketID = params.ticket.map(Int64.init)
        let cursor = ListCursor(key: environment.database.cursorKey, list: NotificationList.name, caller: principal, filters: [
            ("ticket", ticketID.map { .int($0) } ?? .null), ("kind", kind.cursorValue),
        ])
        let before = try params.cursor.map { try cursor.decode($0) }
        // A notification quotes its ticket (subject, messages): reading one reads the ticket.
        return try await reading(principal: principal, now: storedNow()) { tx in
            if let ticketID { _ = try Self.visibleTicket(tx, id: ticketID, principal: principal) }
            // Operators see the notifications of their own tickets only.
            let assignee: Int64? = if case .staff(let staffID, .operator) = principal { staffID } else { nil }
            // Account notifications carry codes and passwords for the mail delivery: the system's only.
            let hidden = principal == .system ? [] : NotificationKind.allCases.filter(\.isAboutAnAccount).map(\.rawValue)
            var rows = try TicketStore.outbox(
                tx, ticket: ticketID, kind: kind?.rawValue, excludingKinds: hidden, assignee: assignee, before: before,
                limit: limit + 1)
            let more = rows.count > limit
            if more { rows.removeLast() }
            let answer = NotificationList.Result(
                items: try rows.map(Notification.init),
                nextCursor: more ? rows.last.map { cursor.encode($0.id) } : nil)
            return (answer, (ticketID.map { [$0] } ?? []) + rows.compactMap(\.ticket))
        }
    }

    // MARK: Change

    /// Applies a workflow command to a ticket: one transaction for the state, the message (if
    /// any), the history row and the notifications. A stale `expectedVersion` is -32004, a
    /// command the status does not allow -32005; in both cases nothing changes.
    /// Any workflow command on one ticket: what it changes, the message it adds and the
    /// notifications it sends are the domain's decision (`TicketDecision`); `apply` persists it.
    func change(_ id: Int64, expectedVersion: Int?, principal: Principal, command: TicketCommand) async throws -> Ticket {
        let now = storedNow()
        return try await environment.database.write { tx in
            var ticket = try Self.visibleTicket(tx, id: id, principal: principal)
            if let assignee = command.assignee {
                guard let staff = try AccountStore.staff(tx, id: assignee), staff.active else {
                    throw RPCError.notFound(field: "params.assignee", "no active staff member with id \(assignee)")
                }
            }
            try apply(tx, &ticket, expectedVersion: expectedVersion, principal: principal, command: command, now: now)
            return try render(tx, ticket: ticket, principal: principal, now: now)
        }
    }

    /// `ticket.addMessage`: on a closed ticket, a contact's message opens a follow-up ticket
    /// that refers to it (docs/product.md §4–5); otherwise it is a workflow command like the others.
    func addMessage(_ id: Int64, text: String, isInternal: Bool, expectedVersion: Int?, principal: Principal) async throws -> Ticket {
        let now = storedNow()
        return try await environment.database.write { tx in
            var ticket = try Self.visibleTicket(tx, id: id, principal: principal)
            if ticket.status == .closed, case .contact = principal {
                ticket = try openFollowUp(tx, of: ticket, text: text, principal: principal, now: now)
            } else {
                try apply(tx, &ticket, expectedVersion: expectedVersion, principal: principal,
                          command: .addMessage(text: text, internal: isInternal), now: now)
            }
            return try render(tx, ticket: ticket, principal: principal, now: now)
        }
    }

    /// Runs one workflow command on the ticket and persists its decision.
    private func apply(
        _ tx: StoreWriter, _ ticket: inout TicketRecord, expectedVersion: Int?, principal: Principal, command: TicketCommand, now: Date
    ) throws {
        try Self.checkVersion(ticket, expected: expectedVersion)
        let decision = try Self.decided(TicketWorkflow.decide(command, state: ticket.state, actor: principal))
        try persist(tx, &ticket, decision: decision, action: command.action.rawValue, principal: principal, now: now)
    }

    /// -32004 when the caller saw another version than the ticket's.
    static func checkVersion(_ ticket: TicketRecord, expected: Int?) throws {
        if let expected, expected != ticket.version {
            throw RPCError(code: RPCErrorCode.versionConflict, message: "Version conflict", data: [
                "field": "params.expectedVersion", "expected": .int(Int64(expected)), "current": .int(Int64(ticket.version)),
                "reason": "the ticket changed since you read it; read it again",
            ])
        }
    }

    /// Persists one decision, for every command: the new state with its clocks' instants, the
    /// history row (with `extraChanges`, the changes of the quote, task or package the command
    /// touched), the SLA index, the message and the outbox rows, in the caller's transaction.
    /// Closing a ticket also closes its open tasks, releasing what they still reserve, and tells
    /// the hours worked in the closure notification. `notification` adds what a paid-work
    /// notification says (the quote, the offer form) to the texts' context.
    func persist(
        _ tx: StoreWriter, _ ticket: inout TicketRecord, decision: TicketDecision, action: String, principal: Principal,
        now: Date, extraChanges: JSONObject = [:], author: (kind: String, id: Int64?)? = nil,
        notification: (NotificationContext) -> NotificationContext = { $0 }
    ) throws {
        let message = decision.message
        let before = ticket
        ticket.apply(decision, at: now)
        var changes = Self.changes(from: before, to: ticket)
        for (key, value) in extraChanges { changes[key] = value }
        if changes.isEmpty, message == nil {
            return  // Nothing to do (the same assignee again, the same priority): no new version.
        }
        var minutesWorked: Int?
        if decision.closes {
            minutesWorked = try PaidWorkOperations.closeTasks(tx, ticket: ticket.id, principal: principal, now: now, changes: &changes)
        }
        ticket.version += 1
        ticket.updatedAt = now
        // Record the history first: the pauses the SLA index needs are read from it.
        try Self.record(tx, ticket: ticket, principal: principal, action: action, changes: changes, events: decision.events, at: now)
        let (policy, calendar) = try calendars.sla(forProduct: ticket.product, in: tx)
        let pauses = try TicketStore.waitingIntervals(tx, ticket: ticket.id)
        try TicketSLA.index(&ticket, pauses: pauses, policy: policy, calendar: calendar, now: now)
        guard try TicketStore.update(tx, ticket, expectedVersion: before.version) else {
            throw RPCError(code: RPCErrorCode.versionConflict, message: "Version conflict", data: [
                "reason": "the ticket changed while this change was being made; read it again",
            ])
        }
        if let message {
            try TicketStore.addMessage(
                tx, ticket: ticket.id, authorKind: author?.kind ?? principal.kind, authorID: author.map(\.id) ?? principal.id,
                body: message.text, isInternal: message.internal, at: now)
        }
        if !decision.notifications.isEmpty {
            guard let customer = try AccountStore.customer(tx, id: ticket.customer) else { return }
            let contact = try ticket.contact.flatMap { try AccountStore.contact(tx, id: $0) }
            let sender = contact == nil ? try InboundStore.sender(tx, ticket: ticket.id) : nil
            let language = ticket.language
            try Self.notify(tx, ticket: ticket, customer: customer, contact: contact, sender: sender, kinds: decision.notifications,
                            message: message?.text, at: now) { context in
                let context = notification(context)
                return minutesWorked.map { context.withHoursWorked(minutes: $0, language: language) } ?? context
            }
        }
    }

    func openFollowUp(
        _ tx: StoreWriter, of closed: TicketRecord, text: String, principal: Principal, now: Date, sender: TicketSenderRecord? = nil,
        detected: Language?? = nil
    ) throws -> TicketRecord {
        guard let customer = try AccountStore.customer(tx, id: closed.customer) else {
            throw RPCError.notFound(field: "params.ticket", "the ticket's company no longer exists")
        }
        let contact = try principal.id.flatMap { try AccountStore.contact(tx, id: $0) }
        let decision = try Self.decided(TicketWorkflow.openFollowUp(of: closed.state, reporterContact: contact?.id))
        let (policy, calendar) = try calendars.sla(forProduct: closed.product, in: tx)
        // `detected`: the language already detected (mail in detects before the transaction).
        let language = (detected ?? LanguageDetector.detect(text)?.language) ?? closed.language
        var ticket = TicketRecord(
            customer: customer.id, contact: contact?.id, product: closed.product, subject: closed.subject, channel: closed.channel,
            language: language, priority: decision.state.priority, severity: nil, status: decision.state.status,
            eligible: try AccountStore.isEligible(tx, customer: customer.id, product: closed.product, on: String(StoreTime.text(now).prefix(10))),
            followUpOf: closed.id, restrictedToReporter: decision.state.restrictedToReporter, receivedAt: now, createdAt: now,
            updatedAt: now)
        try persistOpening(
            tx, &ticket, decision: decision, body: text, at: now, author: ("contact", contact?.id),
            changes: ["status": [.null, .string(ticket.status.rawValue)], "followUpOf": [.null, .int(closed.id)]],
            customer: customer, contact: contact, principal: principal, policy: policy, calendar: calendar, now: now,
            sender: contact == nil ? sender : nil)
        try Self.record(tx, ticket: closed, principal: principal, action: "followUp",
                        changes: ["followUp": [.null, .int(ticket.id)]], events: [], at: now)
        return ticket
    }

    /// Persists an opening decision, as `apply` persists the others: the new ticket with its SLA
    /// index, its first message (searchable with the subject), the history row and the outbox
    /// rows, in the caller's transaction. Sets `ticket.id`.
    /// `sender`: the address a mail ticket came from when it is no contact's (notifications go
    /// to it; none while it is unmatched).
    func persistOpening(
        _ tx: StoreWriter, _ ticket: inout TicketRecord, decision: TicketDecision, body: String, at received: Date,
        author: (kind: String, id: Int64?), changes: JSONObject, customer: CustomerRecord, contact: ContactRecord?,
        principal: Principal, policy: SLAPolicy, calendar: BusinessCalendar, now: Date, sender: TicketSenderRecord? = nil
    ) throws {
        try TicketSLA.index(&ticket, pauses: [], policy: policy, calendar: calendar, now: now)
        ticket.id = try TicketStore.insert(tx, ticket)
        try TicketStore.addMessage(
            tx, ticket: ticket.id, authorKind: author.kind, authorID: author.id, body: body, isInternal: false, at: received,
            subject: ticket.subject)
        var sender = sender
        if sender != nil {
            sender!.ticket = ticket.id
            try InboundStore.setSender(tx, sender!)
        }
        try Self.record(tx, ticket: ticket, principal: principal, action: "open", changes: changes, events: decision.events, at: now)
        try Self.notify(
            tx, ticket: ticket, customer: customer, contact: contact, sender: sender, kinds: decision.notifications, message: nil, at: now)
    }

    // MARK: Pieces

    /// The origins of these follow-ups that `principal` may see. A follow-up never shows anything
    /// of its origin to someone who could not see the origin: not its number (`followUpOf` is
    /// null for them), not the history row that names it. (Its subject, copied from the origin,
    /// is the follow-up's own: whoever may see the follow-up was given it by its restriction or
    /// by the care manager's classification and assignment.)
    static func originsVisible(_ tx: StoreReader, of tickets: [TicketRecord], to principal: Principal) throws -> Set<Int64> {
        let origins = try TicketStore.tickets(tx, ids: Set(tickets.compactMap(\.followUpOf)))
        return Set(origins.values.filter { TicketWorkflow.canView($0.state, actor: principal) }.map(\.id))
    }

    /// A customer named in params. A contact may name only their own company; any other answers
    /// exactly like a code that does not exist (no existence leak).
    static func resolve(_ ref: CustomerRef, tx: StoreReader, principal: Principal) throws -> CustomerRecord {
        if case .contact(_, let own) = principal {
            guard let found = try? ref.resolve(tx), found.id == own else {
                throw RPCError.notFound(field: "params.customer", "no customer with \(ref)")
            }
            return found
        }
        return try ref.resolve(tx)
    }

    /// The ticket if `principal` may see it; -32003 exactly as for a ticket that does not exist.
    static func visibleTicket(_ tx: StoreReader, id: Int64, principal: Principal) throws -> TicketRecord {
        guard let ticket = try TicketStore.ticket(tx, id: id), TicketWorkflow.canView(ticket.state, actor: principal) else {
            throw RPCError.notFound(field: "params.ticket", "no ticket #\(id)")
        }
        return ticket
    }

    static func decided<Decided>(_ result: Result<Decided, WorkflowError>) throws -> Decided {
        switch result {
        case .success(let decision):
            return decision
        case .failure(.notAllowed(let status, let allowed)):
            let offered = allowed.filter { methodActions.contains($0) }
            throw RPCError(code: RPCErrorCode.transitionNotAllowed, message: "Transition not allowed", data: [
                "status": .string(status.rawValue),
                "allowed": .array(offered.map { .string($0.rawValue) }),
                "reason": .string("not allowed while the ticket is \(status.rawValue)"),
            ])
        case .failure(.forbidden(let reason)):
            throw RPCError.forbidden(reason)
        case .failure(.invalid(let field, let reason)):
            throw RPCError.invalidParams(field: field.hasPrefix("params.") ? field : "params." + field, reason: reason)
        }
    }

    /// `{"field": [before, after]}` for every field the change touched.
    static func changes(from before: TicketRecord, to after: TicketRecord) -> JSONObject {
        var changes = JSONObject()
        if before.status != after.status { changes["status"] = [.string(before.status.rawValue), .string(after.status.rawValue)] }
        if before.classification != after.classification {
            changes["classification"] = [
                before.classification.map { .string($0.rawValue) } ?? .null, after.classification.map { .string($0.rawValue) } ?? .null,
            ]
        }
        if before.priority != after.priority { changes["priority"] = [.int(Int64(before.priority)), .int(Int64(after.priority))] }
        if before.assignee != after.assignee {
            changes["assignee"] = [before.assignee.map { .int($0) } ?? .null, after.assignee.map { .int($0) } ?? .null]
        }
        return changes
    }

    /// The history row of a change to `ticket`, which carries its new version (the row is
    /// written before the ticket itself: the SLA index reads the pauses from the history).
    static func record(
        _ tx: StoreWriter, ticket: TicketRecord, principal: Principal, action: String, changes: JSONObject, events: [TicketEvent], at: Date
    ) throws {
        try record(
            tx, ticket: ticket.id, principal: principal, action: action, changes: changes, events: events, at: at, version: ticket.version)
    }

    /// A history row; without `version`, the ticket's stored version is the row's.
    static func record(
        _ tx: StoreWriter, ticket: Int64, principal: Principal, action: String, changes: JSONObject, events: [TicketEvent], at: Date,
        version: Int? = nil
    ) throws {
        let eventNames: [JSONValue] = events.map { .string(eventName($0)) }
        try TicketStore.addHistory(
            tx, ticket: ticket, at: at, actorKind: principal.kind, actorID: principal.id, action: action,
            changes: String(decoding: JSONSerializer.serialize(.object(changes)), as: UTF8.self),
            events: String(decoding: JSONSerializer.serialize(.array(eventNames)), as: UTF8.self), version: version)
    }

    private static func eventName(_ event: TicketEvent) -> String {
        switch event {
        case .opened: "opened"
        case .statusChanged: "statusChanged"
        case .chargeTaken: "chargeTaken"
        case .classified: "classified"
        case .priorityChanged: "priorityChanged"
        case .assigned: "assigned"
        case .clarificationRequested: "clarificationRequested"
        // An internal note has its own name: a live event for it is not sent to contacts.
        case .messageAdded(_, let isInternal, _): isInternal ? "noteAdded" : "messageAdded"
        case .clockPaused: "clockPaused"
        case .clockResumed: "clockResumed"
        case .quoteSent: "quoteSent"
        case .quoteAccepted: "quoteAccepted"
        case .quoteRejected: "quoteRejected"
        case .packageOrdered: "packageOrdered"
        case .closed: "closed"
        case .notify(let kind): "notify:\(kind.rawValue)"
        }
    }

    /// Writes the notifications to the outbox, in the ticket's language, to the reporting
    /// contact (else the address a mail ticket came from, else the company's address). Without
    /// any address nothing can be sent, and nothing is queued; nothing goes to an unmatched
    /// sender (no backscatter to whoever forged an address) until a care manager links it.
    static func notify(
        _ tx: StoreWriter, ticket: TicketRecord, customer: CustomerRecord, contact: ContactRecord?,
        sender: TicketSenderRecord? = nil, kinds: [NotificationKind],
        message: String?, at: Date, context extend: (NotificationContext) -> NotificationContext = { $0 }
    ) throws {
        if contact == nil, sender?.unmatched == true { return }
        guard let recipient = contact?.email ?? sender?.address ?? customer.email, !kinds.isEmpty else { return }
        for kind in kinds {
            let text = NotificationTemplates.render(kind, language: ticket.language, context: extend(NotificationContext(
                ticketID: ticket.id, subject: ticket.subject, customerName: customer.name, contactName: contact?.name ?? sender?.name,
                message: message, priority: ticket.priority)))
            try TicketStore.enqueue(
                tx, ticket: ticket.id, kind: kind.rawValue, language: ticket.language, recipient: recipient,
                subject: text.subject, body: text.body, at: at)
        }
    }

    private func sla(_ tx: StoreReader, ticket: TicketRecord, now: Date) throws -> TicketSLA {
        let (policy, calendar) = try calendars.sla(forProduct: ticket.product, in: tx)
        let pauses = try TicketStore.waitingIntervals(tx, ticket: ticket.id)
        return try TicketSLA.compute(ticket: ticket, pauses: pauses, policy: policy, calendar: calendar, asOf: now)
    }

    func render(_ tx: StoreReader, ticket: TicketRecord, principal: Principal, now: Date) throws -> Ticket {
        let summary = try summaries(tx, tickets: [ticket], principal: principal, now: now)[0]
        let isContact: Bool = if case .contact = principal { true } else { false }
        let messages = try TicketStore.messages(tx, ticket: ticket.id, includeInternal: !isContact)
        let attachments = Dictionary(grouping: try InboundStore.attachments(tx, ticket: ticket.id), by: \.message)
        let sender = ticket.contact == nil ? try InboundStore.sender(tx, ticket: ticket.id) : nil
        var view = Ticket(
            summary,
            messages: try messages.map { message in
                var author = try actor(tx, kind: message.authorKind, id: message.authorID)
                // A mail sender who is no contact is named by the address they wrote from.
                if author.kind == .contact, author.id == nil, let sender { author.name = sender.name ?? sender.address }
                return TicketMessage(
                    id: Int(message.id), author: author,
                    at: Instant(message.at), text: message.body, internal: message.isInternal,
                    attachments: attachments[message.id].map { $0.map {
                        AttachmentInfo(id: Int($0.id), filename: $0.filename, contentType: $0.contentType, size: $0.size)
                    } })
            },
            // The actions that are methods (`methodActions`): the schema's enum leaves out those of quotes.
            allowedActions: TicketWorkflow.allowedActions(for: ticket.state, actor: principal).compactMap {
                Ticket.AllowedAction(rawValue: $0.rawValue)
            })
        view.sender = sender.map { MailSender(address: $0.address, name: $0.name, unmatched: $0.unmatched) }
        return view
    }

    /// Tickets without their messages (lists), with the people they name and their SLA pauses
    /// loaded for the whole page at once.
    private func summaries(_ tx: StoreReader, tickets: [TicketRecord], principal: Principal, now: Date) throws -> [TicketSummary] {
        let people = try TicketStore.people(
            tx, customers: Set(tickets.map(\.customer)), contacts: Set(tickets.compactMap(\.contact)),
            staff: Set(tickets.compactMap(\.assignee)))
        let pauses = try TicketStore.waitingIntervals(tx, tickets: tickets.map(\.id))
        let shownOrigins = try Self.originsVisible(tx, of: tickets, to: principal)
        return try tickets.map { ticket in
            let (policy, calendar) = try calendars.sla(forProduct: ticket.product, in: tx)
            let sla = try TicketSLA.compute(
                ticket: ticket, pauses: pauses[ticket.id] ?? [], policy: policy, calendar: calendar, asOf: now)
            return TicketSummary(
                id: Int(ticket.id),
                number: "#\(ticket.id)",
                customer: people.customers[ticket.customer].map { .init(id: Int(ticket.customer), code: $0.code, name: $0.name) },
                contact: ticket.contact.flatMap { id in people.contacts[id].map { .init(id: Int(id), name: $0.name, email: $0.email) } },
                product: ticket.product,
                subject: ticket.subject,
                channel: ticket.channel,
                language: ticket.language,
                classification: ticket.classification,
                priority: ticket.priority,
                severity: ticket.severity,
                status: ticket.status,
                assignee: ticket.assignee.flatMap { id in people.staff[id].map { .init(id: Int(id), name: $0) } },
                eligible: ticket.eligible,
                followUpOf: ticket.followUpOf.flatMap { shownOrigins.contains($0) ? Int($0) : nil },
                receivedAt: Instant(ticket.receivedAt),
                version: ticket.version,
                sla: SLA(sla))
        }
    }

    /// Who wrote a message or made a change, named as they are now (null once they are gone).
    private func actor(_ tx: StoreReader, kind: String, id: Int64?) throws -> TicketActor {
        switch kind {
        case "staff":
            TicketActor(kind: .staff, id: id.map(Int.init), name: try id.flatMap { try AccountStore.staff(tx, id: $0) }?.name)
        case "contact":
            TicketActor(kind: .contact, id: id.map(Int.init), name: try id.flatMap { try AccountStore.contact(tx, id: $0) }?.name)
        default:
            TicketActor(kind: .system)
        }
    }
}

// MARK: Views

extension Ticket {
    /// A ticket as `ticket.get` shows it: its summary, with its messages and the actions the
    /// caller may take now.
    init(_ summary: TicketSummary, messages: [TicketMessage], allowedActions: [AllowedAction]) {
        self.init(
            id: summary.id, number: summary.number, customer: summary.customer, contact: summary.contact,
            product: summary.product, subject: summary.subject, channel: summary.channel, language: summary.language,
            classification: summary.classification, priority: summary.priority, severity: summary.severity,
            status: summary.status, assignee: summary.assignee, eligible: summary.eligible, followUpOf: summary.followUpOf,
            receivedAt: summary.receivedAt, version: summary.version, sla: summary.sla, messages: messages,
            allowedActions: allowedActions)
    }
}

extension Notification {
    /// An outbox row; a kind or status the schema does not list is an internal error.
    init(_ row: OutboxRecord) throws {
        guard let kind = NotificationKind(rawValue: row.kind), let status = Status(rawValue: row.status) else {
            throw RPCError.internalError("notification \(row.id) has a stored kind or status the schema does not list")
        }
        self.init(
            id: Int(row.id), ticket: row.ticket.map(Int.init), kind: kind, language: row.language, to: row.recipient,
            subject: row.subject, body: row.body, createdAt: Instant(row.createdAt), status: status, attempts: row.attempts,
            lastError: row.lastError, nextAttemptAt: row.nextAttemptAt.map(Instant.init), sentAt: row.sentAt.map(Instant.init),
            messageID: row.messageID, notBefore: row.notBefore.map(Instant.init))
    }
}

/// Who wrote a message or made a change (the schema's `Actor`): `{"kind": "system"}`, or
/// `{"kind": "staff" | "contact", "id": …, "name": …}` with `id` and `name` null when unknown.
public struct TicketActor: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, Hashable {
        case system, staff, contact
    }

    public var kind: Kind
    public var id: Int?
    public var name: String?

    public init(kind: Kind, id: Int? = nil, name: String? = nil) {
        self.kind = kind
        self.id = id
        self.name = name
    }

    private enum Key: String, CodingKey { case kind, id, name }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        kind = try container.decode(Kind.self, forKey: .kind)
        id = try container.decodeIfPresent(Int.self, forKey: .id)
        name = try container.decodeIfPresent(String.self, forKey: .name)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(kind, forKey: .kind)
        guard kind != .system else { return }
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
    }
}
