// The paid-work steps that change a quote and its ticket together (`quote.send`,
// `quote.accept`, `quote.reject`, `package.order`), joining QuoteRules, PackageLedger and the
// ticket workflow, so the service runs one pure decision per call and stores its parts in
// one transaction. Each returns everything that changes, or the first refusal.

/// A refusal of a paid-work step, with the JSON-RPC code the service answers.
public enum PaidWorkError: Error, Hashable, Sendable {
    /// The caller may not see the quote (another company's contact): -32003, like an unknown id.
    case notFound
    /// The ticket workflow refused (its own codes: -32002, -32005, -32602).
    case workflow(WorkflowError)
    /// The quote rules refused (-32602, -32005, or -32006 for an expired quote).
    case quote(QuoteError)
}

/// What `quote.send` changes.
public struct QuoteSending: Hashable, Sendable {
    /// The quote, `sent`, valid from today.
    public var quote: Quote
    /// The ticket → `quoted`, with a `quote` notification to queue.
    public var ticket: TicketDecision
}

/// What `quote.accept` changes.
public struct QuoteAcceptance: Hashable, Sendable {
    /// The quote, `accepted`.
    public var quote: Quote
    /// The ticket → `assigned` to the quote's assignee when covered, else → `awaitingPackage`
    /// with an `offerForm` notification.
    public var ticket: TicketDecision
    /// Covered: the package with the estimate reserved in it; open a task on it reserving
    /// `quote.estimateMinutes`.
    public var reservedIn: SupportPackage?
    /// Not covered: what the offer form says is missing.
    public var shortfall: PackageShortfall?
}

/// What `quote.reject` changes.
public struct QuoteRejection: Hashable, Sendable {
    /// The quote, `rejected`.
    public var quote: Quote
    /// The ticket → `inCharge`, classified `interventionNotAccepted`, for a care manager to close.
    public var ticket: TicketDecision
}

public enum PaidWork {
    /// Sends a draft quote on `today`; the ticket goes to `quoted`. Checks: the caller may see
    /// the quote, the workflow allows `sendQuote` for this caller (care managers, admins,
    /// system) and ticket status, the quote is a draft.
    public static func send(
        _ quote: Quote, ticket: TicketState, actor: Principal, today: LocalDate
    ) -> Result<QuoteSending, PaidWorkError> {
        guard QuoteRules.canView(quote, actor: actor) else { return .failure(.notFound) }
        let decision = TicketWorkflow.decide(.sendQuote, state: ticket, actor: actor)
        if case .failure(let error) = decision, case .forbidden = error { return .failure(.workflow(error)) }
        let sent: Quote
        switch QuoteRules.send(quote, today: today) {
        case .success(let q): sent = q
        case .failure(let error): return .failure(.quote(error))
        }
        switch decision {
        case .success(let ticket): return .success(QuoteSending(quote: sent, ticket: ticket))
        case .failure(let error): return .failure(.workflow(error))
        }
    }

    /// The customer's yes on `today` (by a contact of the company, or recorded by a care
    /// manager with a `note` saying how). Checks in order: the caller may see the quote
    /// (-32003); the caller may answer for this ticket (-32002); the quote is `sent`, not
    /// answered (-32005) and not expired (-32006); the ticket is `quoted` (-32005). Then the
    /// estimate is reserved whole in the oldest active package that covers it and the ticket is
    /// assigned to the quote's assignee, or the ticket waits for a package with the offer form.
    public static func accept(
        _ quote: Quote, note: String?, ticket: TicketState, packages: [SupportPackage],
        actor: Principal, today: LocalDate
    ) -> Result<QuoteAcceptance, PaidWorkError> {
        guard QuoteRules.canView(quote, actor: actor) else { return .failure(.notFound) }
        let coverage = PackageLedger.cover(estimateMinutes: quote.estimateMinutes, packages: packages, today: today)
        let covered: Bool
        if case .covered = coverage { covered = true } else { covered = false }
        let decision = TicketWorkflow.decide(.acceptQuote(packageCoversEstimate: covered), state: ticket, actor: actor)
        if case .failure(let error) = decision, case .forbidden = error { return .failure(.workflow(error)) }
        let accepted: Quote
        switch QuoteRules.answer(quote, .accept, note: note, today: today) {
        case .success(let q): accepted = q
        case .failure(let error): return .failure(.quote(error))
        }
        var next: TicketDecision
        switch decision {
        case .success(let ticket): next = ticket
        case .failure(let error): return .failure(.workflow(error))
        }
        switch coverage {
        case .covered(let id):
            guard let package = packages.first(where: { $0.id == id }) else { return .failure(.notFound) }
            next = assignToQuoteAssignee(next, quote: accepted)
            return .success(QuoteAcceptance(
                quote: accepted, ticket: next,
                reservedIn: PackageLedger.reserve(accepted.estimateMinutes, in: package), shortfall: nil))
        case .notCovered(let shortfall):
            return .success(QuoteAcceptance(quote: accepted, ticket: next, reservedIn: nil, shortfall: shortfall))
        }
    }

    /// The customer's no on `today`, with an optional reason. Same checks as ``accept(_:note:ticket:packages:actor:today:)``.
    public static func reject(
        _ quote: Quote, reason: String?, ticket: TicketState, actor: Principal, today: LocalDate
    ) -> Result<QuoteRejection, PaidWorkError> {
        guard QuoteRules.canView(quote, actor: actor) else { return .failure(.notFound) }
        let decision = TicketWorkflow.decide(.rejectQuote, state: ticket, actor: actor)
        if case .failure(let error) = decision, case .forbidden = error { return .failure(.workflow(error)) }
        let rejected: Quote
        switch QuoteRules.answer(quote, .reject, note: reason, today: today) {
        case .success(let q): rejected = q
        case .failure(let error): return .failure(.quote(error))
        }
        switch decision {
        case .success(let ticket): return .success(QuoteRejection(quote: rejected, ticket: ticket))
        case .failure(let error): return .failure(.workflow(error))
        }
    }

    /// A waiting ticket that proceeds after a package order (``PackageLedger/proceedWaiting(_:packages:today:)``):
    /// `awaitingPackage` → `assigned` to its accepted quote's assignee.
    public static func proceed(_ ticket: TicketState, quote: Quote) -> Result<TicketDecision, PaidWorkError> {
        switch TicketWorkflow.decide(.packageOrdered, state: ticket, actor: .system) {
        case .success(let decision): .success(assignToQuoteAssignee(decision, quote: quote))
        case .failure(let error): .failure(.workflow(error))
        }
    }

    /// Who may log work on a task of this ticket: its assignee, care managers, admins, the system.
    public static func mayLogWork(_ actor: Principal, on ticket: TicketState) -> Bool {
        switch actor {
        case .system: true
        case .staff(let id, let role): role.managesTickets || ticket.assignee == id
        case .contact: false
        }
    }

    /// Who may order a package for `customer`: care managers, admins and the system (recording
    /// a signed form, any hours and price); a contact only for their own company and only one
    /// of the price list's offers (`byOffer`).
    public static func mayOrderPackage(_ actor: Principal, for customer: Int64, byOffer: Bool) -> Bool {
        switch actor {
        case .system: true
        case .staff(_, let role): role.managesTickets
        case .contact(_, let company): company == customer && byOffer
        }
    }

    /// The decision with the ticket handed to the quote's assignee (one `.assigned` event,
    /// none when it already is theirs).
    private static func assignToQuoteAssignee(_ decision: TicketDecision, quote: Quote) -> TicketDecision {
        var next = decision
        if next.state.assignee != quote.assignee {
            next.events.append(.assigned(from: next.state.assignee, to: quote.assignee))
            next.state.assignee = quote.assignee
        }
        return next
    }
}
