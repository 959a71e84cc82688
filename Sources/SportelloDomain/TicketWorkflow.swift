import Foundation

// The ticket state machine of docs/product.md §4–5 as a pure function: (state, command, principal) →
// new state + events, or a refusal. No I/O, no clock: the service layer persists the new
// state, writes the events to history and the `.notify` ones to the outbox (docs/product.md §8), all in
// the transaction that made the change.
//
// Where docs/product.md §4–5 is silent, the choices are written next to the rule that makes them.

/// What the workflow needs to know about a ticket.
public struct TicketState: Sendable, Hashable, Codable {
    public var status: TicketStatus
    /// `nil` until the care manager takes charge.
    public var classification: Classification?
    /// 1...4 (docs/product.md §4–5). Kept as the wire `Int`; commands that set it are validated.
    public var priority: Int
    /// The competent staff member working on the ticket.
    public var assignee: Int64?
    /// The contact who opened the ticket (`nil` e.g. for phone tickets typed in by staff).
    public var reporterContact: Int64?
    /// The customer company the ticket belongs to.
    public var customer: Int64
    /// Whether, among the company's contacts, only the reporting contact may see the ticket
    /// although it is not (yet) classified `vulnerability`: a follow-up of a vulnerability ticket
    /// (or of such a follow-up) repeats its origin's subject and names it, so it is restricted
    /// like its origin until the care manager takes charge and classifies it.
    public var restrictedToReporter: Bool

    public init(
        status: TicketStatus,
        classification: Classification? = nil,
        priority: Int = Priority.default.rawValue,
        assignee: Int64? = nil,
        reporterContact: Int64? = nil,
        customer: Int64,
        restrictedToReporter: Bool = false
    ) {
        self.status = status
        self.classification = classification
        self.priority = priority
        self.assignee = assignee
        self.reporterContact = reporterContact
        self.customer = customer
        self.restrictedToReporter = restrictedToReporter
    }

    /// Whether only the reporting contact, among the company's contacts, may see the ticket
    /// (docs/product.md §2: vulnerability tickets; and follow-ups of them until classified).
    public var isVisibleToReporterOnly: Bool { classification == .vulnerability || restrictedToReporter }
}

/// The names of the things that can be done to a ticket; `ticket.<rawValue>` for the ones of
/// docs/product.md §10–11's `ticket.*` family. The quote/package ones are driven by `quote.send`,
/// `quote.accept`, `quote.reject` and `package.order`.
public enum TicketAction: String, CaseIterable, Codable, Sendable {
    case takeCharge
    case assign
    case setPriority
    case requestClarification
    case addMessage
    case close
    case sendQuote
    case acceptQuote
    case rejectQuote
    case packageOrdered
}

/// A request to change a ticket. Who asks is passed separately as a `Principal`.
public enum TicketCommand: Sendable, Hashable {
    /// The care manager classifies the ticket, sets its priority and — required for `bug` and
    /// `vulnerability` — its assignee (docs/product.md §4–5).
    case takeCharge(classification: Classification, priority: Int, assignee: Int64?)
    /// (Re)assign the ticket to a competent staff member.
    case assign(assignee: Int64)
    /// Change the priority (the SLA deadlines are then recomputed, docs/product.md §6).
    case setPriority(Int)
    /// The assignee asks the customer a question by email (docs/product.md §4–5 `bug` flow).
    case requestClarification(text: String)
    /// A message on the ticket. The principal is the author: a contact's message answers a
    /// clarification request; staff messages may be `internal` (never shown to the customer).
    case addMessage(text: String, internal: Bool)
    /// Close the ticket with an optional text for the customer.
    case close(text: String?)
    /// The care manager sends the quote for a paid intervention (docs/product.md §4–5, §5).
    case sendQuote
    /// The customer accepts the quote. `packageCoversEstimate`: the customer has a support
    /// package whose balance covers the estimate (the service computes it, docs/product.md "Planned").
    case acceptQuote(packageCoversEstimate: Bool)
    /// The customer rejects the quote.
    case rejectQuote
    /// A support package was ordered for a ticket waiting for one.
    case packageOrdered

    /// The action this command performs.
    public var action: TicketAction {
        switch self {
        case .takeCharge: .takeCharge
        case .assign: .assign
        case .setPriority: .setPriority
        case .requestClarification: .requestClarification
        case .addMessage: .addMessage
        case .close: .close
        case .sendQuote: .sendQuote
        case .acceptQuote: .acceptQuote
        case .rejectQuote: .rejectQuote
        case .packageOrdered: .packageOrdered
        }
    }

    /// The staff member the command hands the ticket to, if any (who must exist and be active).
    public var assignee: Int64? {
        switch self {
        case .takeCharge(_, _, let assignee): assignee
        case .assign(let assignee): assignee
        default: nil
        }
    }
}

/// Something that happened to a ticket: one history row each; `.notify` also an outbox row.
public enum TicketEvent: Sendable, Hashable, Codable {
    /// The ticket was created (status `new`).
    case opened
    case statusChanged(from: TicketStatus, to: TicketStatus)
    /// The care manager took charge: the charge-taking clock is met or breached now (docs/product.md §6).
    case chargeTaken
    case classified(from: Classification?, to: Classification)
    case priorityChanged(from: Int, to: Int)
    case assigned(from: Int64?, to: Int64)
    /// The question, as the assignee wrote it.
    case clarificationRequested(text: String)
    /// A message, as its author wrote it.
    case messageAdded(text: String, internal: Bool, fromCustomer: Bool)
    /// Entering `waitingCustomer`: working time no longer counts against the second clock.
    case clockPaused
    /// Leaving `waitingCustomer` for an open status: the second clock runs again.
    case clockResumed
    case quoteSent
    case quoteAccepted
    case quoteRejected
    case packageOrdered
    /// Final close; the second clock stops (docs/product.md §6). `text`: the closing text for the
    /// customer, as written (nil when none or blank).
    case closed(text: String?)
    /// A notification to write to the outbox, in the ticket's language (docs/product.md §8).
    case notify(NotificationKind)
}

/// An accepted command: the ticket's new state and what happened, in order.
public struct TicketDecision: Sendable, Hashable {
    public var state: TicketState
    public var events: [TicketEvent]

    public init(state: TicketState, events: [TicketEvent]) {
        self.state = state
        self.events = events
    }

    /// The message the decision adds to the ticket, exactly as its author wrote it: the
    /// question of a clarification request, a message, the text of a close.
    public var message: (text: String, internal: Bool)? {
        for event in events {
            switch event {
            case .clarificationRequested(let text): return (text, false)
            case .messageAdded(let text, let isInternal, _): return (text, isInternal)
            case .closed(let text?): return (text, false)
            default: continue
            }
        }
        return nil
    }

    /// Whether the decision takes charge of the ticket (its charge-taking clock stops now).
    public var takesCharge: Bool { events.contains(.chargeTaken) }

    /// Whether the decision closes the ticket (its second clock stops now).
    public var closes: Bool {
        events.contains { if case .closed = $0 { true } else { false } }
    }

    /// The notifications to write to the outbox, in order.
    public var notifications: [NotificationKind] {
        events.compactMap { event in
            if case .notify(let kind) = event { kind } else { nil }
        }
    }
}

/// Why a command was refused. Nothing changes on a refusal (docs/product.md §4–5).
public enum WorkflowError: Error, Sendable, Hashable {
    /// The action is not possible in the ticket's current status (or, for `close` and
    /// `sendQuote`, with its classification). `allowed` is what this principal may do now.
    /// JSON-RPC: -32005 with `status` and `allowed` in `error.data`.
    case notAllowed(status: TicketStatus, allowed: [TicketAction])
    /// This principal may not do this on this ticket, whatever its status. JSON-RPC: -32002.
    case forbidden(reason: String)
    /// A parameter is wrong; `field` is the params key. JSON-RPC: -32602.
    case invalid(field: String, reason: String)
}

extension WorkflowError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notAllowed(let status, let allowed):
            let list = allowed.isEmpty ? "none" : allowed.map(\.rawValue).joined(separator: ", ")
            return "not allowed while the ticket is \(status.rawValue); allowed actions: \(list)"
        case .forbidden(let reason):
            return "forbidden: \(reason)"
        case .invalid(let field, let reason):
            return "invalid \(field): \(reason)"
        }
    }
}

/// The ticket workflow of docs/product.md §4–5.
///
/// Checks run in this order, and the first failure is returned:
/// 1. the principal may act on this ticket and may ever perform this action on it → else
///    `.forbidden` (operators: only tickets assigned to them; contacts: only their company's
///    tickets, and a vulnerability only if they reported it; role limits per action; contacts
///    never write internal notes);
/// 2. the action is possible in the current status → else `.notAllowed` (`closed` allows
///    nothing);
/// 3. the parameters are valid → else `.invalid`.
///
/// Who may do what (docs/product.md §2; system and admin may do everything a care manager may):
///
/// | action | care manager / admin / system | operator (assignee only) | contact (own company) |
/// |---|---|---|---|
/// | takeCharge, assign, setPriority, sendQuote, packageOrdered | yes | no | no |
/// | requestClarification | yes | yes | no |
/// | addMessage | yes | yes | yes, never `internal` |
/// | close | yes | `bug` and quote-based work only | no |
/// | acceptQuote, rejectQuote | yes (recording an answer given by phone or mail) | no | yes |
public enum TicketWorkflow {

    // MARK: Creation

    /// A new ticket: status `new`, unclassified, with the customer's declared severity or 3
    /// (docs/product.md §6), and a receipt notification at once (docs/product.md §4–5).
    public static func open(
        customer: Int64,
        reporterContact: Int64?,
        declaredPriority: Int?
    ) -> Result<TicketDecision, WorkflowError> {
        let priority = declaredPriority ?? Priority.default.rawValue
        if let problem = priorityProblem(priority) {
            return .failure(problem)
        }
        let state = TicketState(
            status: .new, classification: nil, priority: priority,
            assignee: nil, reporterContact: reporterContact, customer: customer)
        return .success(TicketDecision(state: state, events: [.opened, .notify(.receipt)]))
    }

    /// A follow-up of the closed ticket `origin` (docs/product.md §4–5: a customer message about a closed
    /// ticket opens a new ticket that refers to the old one), reported by `reporterContact`:
    /// opened like any ticket, and restricted to its reporter when its origin is (a follow-up
    /// of a vulnerability shows its origin's subject and number), until the care manager
    /// classifies it. Only a contact who could see the origin can write on it, so the reporter
    /// of a restricted follow-up is the reporter of its origin.
    public static func openFollowUp(of origin: TicketState, reporterContact: Int64?) -> Result<TicketDecision, WorkflowError> {
        open(customer: origin.customer, reporterContact: reporterContact, declaredPriority: nil).map { decision in
            var restricted = decision
            restricted.state.restrictedToReporter = origin.isVisibleToReporterOnly
            return restricted
        }
    }

    // MARK: Visibility

    /// Whether `actor` may see the ticket at all (docs/product.md §2): managers and the system see every
    /// ticket; operators the ones assigned to them; contacts their company's tickets, except
    /// vulnerability tickets (and unclassified follow-ups of them), which only the reporting
    /// contact sees.
    public static func canView(_ state: TicketState, actor: Principal) -> Bool {
        accessRefusal(state: state, actor: actor) == nil
    }

    // MARK: Deciding

    /// The actions `actor` may perform on the ticket now, in `TicketAction.allCases` order.
    /// Empty for a closed ticket and for a ticket the actor may not act on.
    ///
    /// An action listed here may still fail with `.invalid` (its parameters) or, for
    /// `addMessage`, with `.forbidden` when a contact asks for an internal note (refused in
    /// every status, before the status is looked at).
    public static func allowedActions(for state: TicketState, actor: Principal) -> [TicketAction] {
        TicketAction.allCases.filter { action in
            roleRefusal(action, state: state, actor: actor) == nil
                && isAvailable(action, in: state)
        }
    }

    /// Decides `command` on `state` for `actor`: the new state and events, or why not.
    public static func decide(
        _ command: TicketCommand,
        state: TicketState,
        actor: Principal
    ) -> Result<TicketDecision, WorkflowError> {
        let action = command.action
        if let reason = roleRefusal(action, state: state, actor: actor) {
            return .failure(.forbidden(reason: reason))
        }
        if case .addMessage(_, true) = command, case .contact = actor {
            return .failure(.forbidden(reason: "customer contacts cannot write internal notes"))
        }
        guard isAvailable(action, in: state) else {
            return .failure(.notAllowed(
                status: state.status, allowed: allowedActions(for: state, actor: actor)))
        }
        switch command {
        case .takeCharge(let classification, let priority, let assignee):
            return takeCharge(state, classification: classification, priority: priority, assignee: assignee)
        case .assign(let assignee):
            return .success(assign(state, to: assignee))
        case .setPriority(let priority):
            return setPriority(state, to: priority)
        case .requestClarification(let text):
            return requestClarification(state, text: text)
        case .addMessage(let text, let isInternal):
            return addMessage(state, text: text, internal: isInternal, actor: actor)
        case .close(let text):
            return .success(close(state, text: text))
        case .sendQuote:
            return .success(move(state, to: .quoted, events: [.quoteSent, .notify(.quote)]))
        case .acceptQuote(let covered):
            // docs/product.md §4–5: with enough package hours the ticket is assigned and a task opened;
            // otherwise the offer form goes out and the ticket waits for a package order.
            // A quote-based ticket reaches `assigned` with the assignee designated at take
            // charge, if any; otherwise the care manager assigns it next (`assign` is allowed
            // in `assigned`).
            return .success(covered
                ? move(state, to: .assigned, events: [.quoteAccepted])
                : move(state, to: .awaitingPackage, events: [.quoteAccepted, .notify(.offerForm)]))
        case .rejectQuote:
            // docs/product.md §4–5: "On rejection the classification becomes interventionNotAccepted"; the
            // ticket goes back to the care manager (`inCharge`), who closes it.
            var decision = move(state, to: .inCharge, events: [.quoteRejected])
            decision.state.classification = .interventionNotAccepted
            decision.events.append(.classified(from: state.classification, to: .interventionNotAccepted))
            return .success(decision)
        case .packageOrdered:
            return .success(move(state, to: .assigned, events: [.packageOrdered]))
        }
    }

    // MARK: Rules: who

    /// Why `actor` may not touch this ticket at all, or `nil` (docs/product.md §2).
    private static func accessRefusal(state: TicketState, actor: Principal) -> String? {
        switch actor {
        case .system:
            return nil
        case .staff(let id, let role):
            if role.managesTickets || state.assignee == id { return nil }
            return "operators may act only on tickets assigned to them"
        case .contact(let id, let customer):
            guard customer == state.customer else {
                return "contacts may act only on their own company's tickets"
            }
            if state.isVisibleToReporterOnly, state.reporterContact != id {
                return "a vulnerability ticket (or a follow-up of one) is visible only to the contact who reported it"
            }
            return nil
        }
    }

    /// Why `actor` may never perform `action` on this ticket, or `nil`: who the actor is and,
    /// for `close`, the classification — never the status.
    private static func roleRefusal(_ action: TicketAction, state: TicketState, actor: Principal) -> String? {
        if let refusal = accessRefusal(state: state, actor: actor) { return refusal }
        switch actor {
        case .system:
            return nil
        case .staff(_, let role) where role.managesTickets:
            return nil
        case .staff:
            switch action {
            case .requestClarification, .addMessage:
                return nil
            case .close:
                // docs/product.md §4–5: the care manager closes intervention-not-accepted, out-of-scope and
                // vulnerability tickets; the assignee closes bugs and paid work.
                if let classification = state.classification, classification.closedByCareManagerOnly {
                    return "only a care manager closes \(classification.rawValue) tickets"
                }
                return nil
            default:
                return "operators may not \(action.rawValue)"
            }
        case .contact:
            switch action {
            case .addMessage, .acceptQuote, .rejectQuote:
                return nil
            default:
                return "customer contacts may not \(action.rawValue)"
            }
        }
    }

    // MARK: Rules: when

    /// Whether `action` is possible in the ticket's status (and classification) — docs/product.md §4–5.
    private static func isAvailable(_ action: TicketAction, in state: TicketState) -> Bool {
        let status = state.status
        guard !status.isFinal else { return false }  // `closed` is final.
        switch action {
        case .takeCharge:
            return status == .new
        case .assign:
            // Before take-charge there is no classification to route by; while a quote is
            // pending or a package awaited there is no work to do yet.
            return [.inCharge, .assigned, .waitingCustomer].contains(status)
        case .setPriority, .addMessage:
            return true
        case .requestClarification:
            return status == .assigned
        case .close:
            return isClosable(state)
        case .sendQuote:
            return status == .inCharge && state.classification?.isQuoteBased == true
        case .acceptQuote, .rejectQuote:
            return status == .quoted
        case .packageOrdered:
            return status == .awaitingPackage
        }
    }

    /// Closing needs a classification. Bugs, vulnerabilities and paid work close once someone
    /// works on them (`assigned`, or `waitingCustomer` when the customer never answered);
    /// quote-based tickets cannot be closed before the work is assigned — a care manager who
    /// finds one not worth doing lets the quote be rejected (no reclassification exists in
    /// docs/product.md §10–11). Intervention-not-accepted and out-of-scope tickets close from any open status.
    private static func isClosable(_ state: TicketState) -> Bool {
        guard let classification = state.classification, state.status != .new else { return false }
        switch classification {
        case .interventionNotAccepted, .outOfScope:
            return true
        case .bug, .vulnerability, .evolutionaryChange, .helpDesk, .invoicedIntervention:
            return state.status == .assigned || state.status == .waitingCustomer
        }
    }

    // MARK: Transitions

    private static func takeCharge(
        _ state: TicketState, classification: Classification, priority: Int, assignee: Int64?
    ) -> Result<TicketDecision, WorkflowError> {
        if let problem = priorityProblem(priority) { return .failure(problem) }
        if classification.requiresAssignee, assignee == nil {
            return .failure(.invalid(
                field: "assignee",
                reason: "a \(classification.rawValue) ticket is assigned to competent staff when taking charge"))
        }
        // docs/product.md §4–5: → `assigned` for bug and vulnerability, `inCharge` otherwise. An assignee
        // given for another classification is recorded (the staff who will estimate or do the
        // work) but the status stays `inCharge` until the quote is accepted.
        let target: TicketStatus = classification.requiresAssignee ? .assigned : .inCharge
        var next = state
        next.status = target
        next.classification = classification
        next.priority = priority
        // Classified: from now on the classification decides who sees it (a follow-up of a
        // vulnerability classified `vulnerability` again stays restricted by that).
        next.restrictedToReporter = false
        var events: [TicketEvent] = [
            .statusChanged(from: state.status, to: target),
            .chargeTaken,
            .classified(from: state.classification, to: classification),
        ]
        if priority != state.priority {
            events.append(.priorityChanged(from: state.priority, to: priority))
        }
        if let assignee, assignee != state.assignee {
            next.assignee = assignee
            events.append(.assigned(from: state.assignee, to: assignee))
        }
        return .success(TicketDecision(state: next, events: events))
    }

    /// Reassigning to the current assignee changes nothing and yields no events. A bug or
    /// vulnerability in `inCharge` (only reachable through imported data) moves to `assigned`;
    /// other classifications keep their status.
    private static func assign(_ state: TicketState, to assignee: Int64) -> TicketDecision {
        var next = state
        var events: [TicketEvent] = []
        if assignee != state.assignee {
            next.assignee = assignee
            events.append(.assigned(from: state.assignee, to: assignee))
        }
        if state.status == .inCharge, state.classification?.requiresAssignee == true {
            next.status = .assigned
            events.append(.statusChanged(from: .inCharge, to: .assigned))
        }
        return TicketDecision(state: next, events: events)
    }

    /// Setting the current priority again changes nothing and yields no events.
    private static func setPriority(_ state: TicketState, to priority: Int) -> Result<TicketDecision, WorkflowError> {
        if let problem = priorityProblem(priority) { return .failure(problem) }
        guard priority != state.priority else { return .success(TicketDecision(state: state, events: [])) }
        var next = state
        next.priority = priority
        return .success(TicketDecision(state: next, events: [.priorityChanged(from: state.priority, to: priority)]))
    }

    /// docs/product.md §4–5 / §4: `assigned` → `waitingCustomer`, the second clock pauses, the question goes
    /// to the customer by email.
    private static func requestClarification(
        _ state: TicketState, text: String
    ) -> Result<TicketDecision, WorkflowError> {
        guard nonBlank(text) != nil else {
            return .failure(.invalid(field: "text", reason: "the clarification request needs a question"))
        }
        return .success(move(state, to: .waitingCustomer, events: [
            .clarificationRequested(text: text), .clockPaused, .notify(.clarification),
        ]))
    }

    /// A contact's message while the ticket waits for them brings it back to `assigned` and
    /// resumes the clock (docs/product.md §4–5, §4); any other message changes no status. Staff messages
    /// notify nobody here: docs/product.md §8 lists no notification for them.
    private static func addMessage(
        _ state: TicketState, text: String, internal isInternal: Bool, actor: Principal
    ) -> Result<TicketDecision, WorkflowError> {
        let fromCustomer: Bool
        if case .contact = actor { fromCustomer = true } else { fromCustomer = false }
        guard nonBlank(text) != nil else {
            return .failure(.invalid(field: "text", reason: "the message is empty"))
        }
        let added = TicketEvent.messageAdded(text: text, internal: isInternal, fromCustomer: fromCustomer)
        if fromCustomer, state.status == .waitingCustomer {
            return .success(move(state, to: .assigned, events: [added, .clockResumed]))
        }
        return .success(TicketDecision(state: state, events: [added]))
    }

    /// A message from the customer that came by mail from an address that is no contact's (the
    /// sender of a mail ticket of a known company's domain): what `addMessage` decides for a
    /// contact — it resumes a ticket waiting for the customer.
    public static func customerMailMessage(_ state: TicketState, text: String) -> Result<TicketDecision, WorkflowError> {
        guard state.status != .closed else { return .failure(.notAllowed(status: state.status, allowed: [])) }
        guard nonBlank(text) != nil else { return .failure(.invalid(field: "text", reason: "the message is empty")) }
        let added = TicketEvent.messageAdded(text: text, internal: false, fromCustomer: true)
        if state.status == .waitingCustomer {
            return .success(move(state, to: .assigned, events: [added, .clockResumed]))
        }
        return .success(TicketDecision(state: state, events: [added]))
    }

    /// docs/product.md §4–5: closed with an optional text (blank counts as none); the customer gets a
    /// closure notification. The assignee stays recorded. The text is kept as written.
    private static func close(_ state: TicketState, text: String?) -> TicketDecision {
        let note = text.flatMap { nonBlank($0) == nil ? nil : $0 }
        return move(state, to: .closed, events: [.closed(text: note), .notify(.closure)])
    }

    // MARK: Helpers

    /// The state moved to `status`, with `.statusChanged` first and then `events`.
    private static func move(_ state: TicketState, to status: TicketStatus, events: [TicketEvent]) -> TicketDecision {
        var next = state
        next.status = status
        return TicketDecision(state: next, events: [.statusChanged(from: state.status, to: status)] + events)
    }

    private static func priorityProblem(_ priority: Int) -> WorkflowError? {
        Priority(rawValue: priority) == nil
            ? .invalid(field: "priority", reason: "must be an integer from 1 (blocking) to 4 (low), got \(priority)")
            : nil
    }

    private static func nonBlank(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }
}
