// Quotes for paid work (evolutionary changes, help desk, invoiced interventions): creation,
// update, sending and the customer's answer, as pure functions of the quote, the ticket and
// "today". The service stores the quote (and gives it its id), runs the matching
// `TicketCommand` (`sendQuote`, `acceptQuote`, `rejectQuote`) on the ticket in the same
// transaction, and queues the notifications.
//
// Decisions where the product description is silent:
// - `validUntil` is counted from the day the quote is **sent** (the customer cannot accept a
//   quote before seeing it). A draft shows the provisional date counted from its creation, or
//   its last update; `send` fixes it.
// - The quote is valid **through the end of** `validUntil`, in the customer's calendar: "today"
//   is the caller's local date (Europe/Rome for the Italian desk), so a quote valid until
//   15 January may still be accepted at 23:59 on 15 January and is `expired` from 16 January.
// - `validDays` is 1...365, 30 by default.
// - Rejecting an expired quote is refused like accepting it: there is nothing left to refuse.

/// A quote's status. Only `draft`, `sent`, `accepted` and `rejected` are stored; `expired` is
/// derived on read (``Quote/status(on:)``), like the SLA state.
public enum QuoteStatus: String, CaseIterable, Codable, Sendable {
    case draft, sent, accepted, rejected, expired
}

/// The things that can be done to a quote.
public enum QuoteAction: String, CaseIterable, Codable, Sendable {
    case update, send, accept, reject
}

/// A quote for a ticket: estimated minutes × hourly rate = amount, VAT excluded.
public struct Quote: Hashable, Sendable, Codable {
    public var ticket: Int64
    /// The ticket's customer company (a contact sees only their company's quotes).
    public var customer: Int64
    /// The estimated work in whole minutes (the price list's rule).
    public var estimateMinutes: Int
    public var hourlyRate: Money
    public var rateSource: RateSource
    /// `hourlyRate` × `estimateMinutes` / 60, rounded to the cent half up.
    public var amount: Money
    /// Days of validity from sending, 1...365.
    public var validDays: Int
    /// The last day the quote may be answered, in the customer's calendar.
    public var validUntil: LocalDate
    /// The stored status: never `expired` (see ``status(on:)``).
    public var storedStatus: QuoteStatus
    /// The work to do, as the customer will read it.
    public var description: String
    /// The competent staff member who made the estimate and will do the work.
    public var assignee: Int64
    /// How the answer was given (a care manager recording a phone call), or the reason of a
    /// refusal; nil until answered or when none was given.
    public var answerNote: String?

    public init(
        ticket: Int64, customer: Int64, estimateMinutes: Int, hourlyRate: Money, rateSource: RateSource,
        amount: Money, validDays: Int, validUntil: LocalDate, storedStatus: QuoteStatus,
        description: String, assignee: Int64, answerNote: String? = nil
    ) {
        self.ticket = ticket
        self.customer = customer
        self.estimateMinutes = estimateMinutes
        self.hourlyRate = hourlyRate
        self.rateSource = rateSource
        self.amount = amount
        self.validDays = validDays
        self.validUntil = validUntil
        self.storedStatus = storedStatus
        self.description = description
        self.assignee = assignee
        self.answerNote = answerNote
    }

    /// The status as shown on `today` (the customer's local date): a `sent` quote whose
    /// `validUntil` is before `today` is `expired`.
    public func status(on today: LocalDate) -> QuoteStatus {
        storedStatus == .sent && validUntil < today ? .expired : storedStatus
    }
}

/// What `quote.create` gives. The estimate is the wire duration; rate and validity are optional.
public struct QuoteDraft: Hashable, Sendable {
    public var estimate: WorkingDuration
    public var description: String
    public var assignee: Int64
    /// An explicit rate for this quote; nil: the contract rate, else the price list's.
    public var hourlyRate: Money?
    /// nil: 30 days.
    public var validDays: Int?

    public init(estimate: WorkingDuration, description: String, assignee: Int64,
                hourlyRate: Money? = nil, validDays: Int? = nil) {
        self.estimate = estimate
        self.description = description
        self.assignee = assignee
        self.hourlyRate = hourlyRate
        self.validDays = validDays
    }
}

/// What `quote.update` changes; nil fields are kept. An explicit rate set once stays explicit.
public struct QuoteChanges: Hashable, Sendable {
    public var estimate: WorkingDuration?
    public var description: String?
    public var assignee: Int64?
    public var hourlyRate: Money?
    public var validDays: Int?

    public init(estimate: WorkingDuration? = nil, description: String? = nil, assignee: Int64? = nil,
                hourlyRate: Money? = nil, validDays: Int? = nil) {
        self.estimate = estimate
        self.description = description
        self.assignee = assignee
        self.hourlyRate = hourlyRate
        self.validDays = validDays
    }
}

/// The customer's answer to a sent quote.
public enum QuoteAnswer: String, Codable, Sendable {
    case accept, reject
}

/// Why a quote operation was refused. Nothing changes on a refusal.
public enum QuoteError: Error, Hashable, Sendable {
    /// A parameter is wrong; `field` is the params key. JSON-RPC: -32602.
    case invalid(field: String, reason: String)
    /// The ticket cannot be quoted: not `inCharge`, or not classified as paid work
    /// (a bug, a closed ticket). JSON-RPC: -32005.
    case ticketNotQuotable(status: TicketStatus, classification: Classification?)
    /// The quote's status does not allow the action (updating a sent quote, sending twice,
    /// answering a draft). JSON-RPC: -32005.
    case notAllowed(status: QuoteStatus, action: QuoteAction)
    /// The customer already answered (`accepted` or `rejected`). JSON-RPC: -32005.
    case alreadyAnswered(status: QuoteStatus)
    /// The quote was sent but its validity ended (`validUntil` is before today).
    /// JSON-RPC: -32006.
    case expired(validUntil: LocalDate)

    /// A sentence for `error.data.reason`.
    public var reason: String {
        switch self {
        case .invalid(_, let reason):
            reason
        case .ticketNotQuotable(let status, let classification):
            "a quote is made for an inCharge ticket classified evolutionaryChange, helpDesk or invoicedIntervention; this one is \(status.rawValue), classified \(classification?.rawValue ?? "not yet")"
        case .notAllowed(let status, let action):
            "cannot \(action.rawValue) a \(status.rawValue) quote"
        case .alreadyAnswered(let status):
            "the quote was already answered: it is \(status.rawValue)"
        case .expired(let validUntil):
            "the quote expired: it was valid until \(validUntil.iso)"
        }
    }
}

/// The quote rules. Every function is pure: the caller passes the current values and "today"
/// (the customer's local date) and stores what comes back.
public enum QuoteRules {
    /// Validity when `validDays` is not given.
    public static let defaultValidDays = 30
    /// Accepted `validDays`.
    public static let validDaysRange = 1...365
    /// Longest description, in characters.
    public static let maximumDescriptionLength = 10_000

    /// Whether `ticket` may be quoted now: `inCharge` and classified as paid work.
    public static func canQuote(_ ticket: TicketState) -> Bool {
        ticket.status == .inCharge && ticket.classification?.isQuoteBased == true
    }

    /// A new `draft` quote for `ticket` (`ticketID`), or why not. The ticket is checked first
    /// (-32005), then the params in the order estimate, description, hourlyRate, validDays.
    /// The rate is the draft's, else `contractRate`, else the price list's; the estimate obeys
    /// the price list's minutes rule.
    public static func create(
        _ draft: QuoteDraft, ticketID: Int64, ticket: TicketState,
        priceList: PriceList, contractRate: Money?, today: LocalDate
    ) -> Result<Quote, QuoteError> {
        guard canQuote(ticket) else {
            return .failure(.ticketNotQuotable(status: ticket.status, classification: ticket.classification))
        }
        let minutes: Int
        switch priceList.minutes.check(draft.estimate) {
        case .success(let m): minutes = m
        case .failure(let error): return .failure(.invalid(field: "estimate", reason: error.reason))
        }
        if let problem = descriptionProblem(draft.description) { return .failure(problem) }
        if let rate = draft.hourlyRate, rate.cents <= 0 {
            return .failure(.invalid(field: "hourlyRate", reason: "must be more than 0.00"))
        }
        let validDays = draft.validDays ?? defaultValidDays
        if let problem = validDaysProblem(validDays) { return .failure(problem) }
        let (rate, source) = priceList.resolveRate(quoteRate: draft.hourlyRate, contractRate: contractRate)
        let amount = rate.forMinutes(minutes)
        guard amount.isWithinWireBounds else {
            return .failure(.invalid(field: "estimate", reason: "the amount would exceed 999999999.99"))
        }
        return .success(Quote(
            ticket: ticketID, customer: ticket.customer, estimateMinutes: minutes, hourlyRate: rate,
            rateSource: source, amount: amount, validDays: validDays,
            validUntil: today.adding(days: validDays), storedStatus: .draft,
            description: draft.description, assignee: draft.assignee))
    }

    /// The draft with `changes` applied and its amount and provisional validity recomputed;
    /// only a `draft` may change. A rate that came from the contract or the list is resolved
    /// again (it may have changed since the draft was made) unless `changes` sets one.
    public static func update(
        _ quote: Quote, with changes: QuoteChanges,
        priceList: PriceList, contractRate: Money?, today: LocalDate
    ) -> Result<Quote, QuoteError> {
        guard quote.storedStatus == .draft else {
            return .failure(.notAllowed(status: quote.status(on: today), action: .update))
        }
        var next = quote
        if let estimate = changes.estimate {
            switch priceList.minutes.check(estimate) {
            case .success(let m): next.estimateMinutes = m
            case .failure(let error): return .failure(.invalid(field: "estimate", reason: error.reason))
            }
        }
        if let description = changes.description {
            if let problem = descriptionProblem(description) { return .failure(problem) }
            next.description = description
        }
        if let assignee = changes.assignee { next.assignee = assignee }
        if let rate = changes.hourlyRate {
            guard rate.cents > 0 else {
                return .failure(.invalid(field: "hourlyRate", reason: "must be more than 0.00"))
            }
            next.hourlyRate = rate
            next.rateSource = .quote
        } else if quote.rateSource != .quote {
            (next.hourlyRate, next.rateSource) = priceList.resolveRate(quoteRate: nil, contractRate: contractRate)
        }
        if let validDays = changes.validDays {
            if let problem = validDaysProblem(validDays) { return .failure(problem) }
            next.validDays = validDays
        }
        next.amount = next.hourlyRate.forMinutes(next.estimateMinutes)
        guard next.amount.isWithinWireBounds else {
            return .failure(.invalid(field: "estimate", reason: "the amount would exceed 999999999.99"))
        }
        next.validUntil = today.adding(days: next.validDays)
        return .success(next)
    }

    /// The quote sent on `today`: `sent`, valid through `today` + `validDays`. Only a draft.
    public static func send(_ quote: Quote, today: LocalDate) -> Result<Quote, QuoteError> {
        guard quote.storedStatus == .draft else {
            return .failure(.notAllowed(status: quote.status(on: today), action: .send))
        }
        var next = quote
        next.storedStatus = .sent
        next.validUntil = today.adding(days: quote.validDays)
        return .success(next)
    }

    /// The customer's answer given on `today`, with an optional note (how it was given, or the
    /// reason of a refusal; blank counts as none). Only a `sent` quote that has not expired:
    /// answering again is ``QuoteError/alreadyAnswered(status:)``, answering an expired quote
    /// ``QuoteError/expired(validUntil:)``, answering a draft ``QuoteError/notAllowed(status:action:)``.
    public static func answer(
        _ quote: Quote, _ answer: QuoteAnswer, note: String?, today: LocalDate
    ) -> Result<Quote, QuoteError> {
        let action: QuoteAction = answer == .accept ? .accept : .reject
        switch quote.status(on: today) {
        case .draft:
            return .failure(.notAllowed(status: .draft, action: action))
        case .accepted, .rejected:
            return .failure(.alreadyAnswered(status: quote.storedStatus))
        case .expired:
            return .failure(.expired(validUntil: quote.validUntil))
        case .sent:
            var next = quote
            next.storedStatus = answer == .accept ? .accepted : .rejected
            next.answerNote = note.flatMap { isBlank($0) ? nil : $0 }
            return .success(next)
        }
    }

    /// Whether `actor` may see the quote: staff and the system see all; a contact only their
    /// own company's (a hidden quote is answered like an unknown one, -32003).
    public static func canView(_ quote: Quote, actor: Principal) -> Bool {
        switch actor {
        case .system, .staff: true
        case .contact(_, let customer): customer == quote.customer
        }
    }

    private static func descriptionProblem(_ text: String) -> QuoteError? {
        if isBlank(text) { return .invalid(field: "description", reason: "must not be blank") }
        if text.count > maximumDescriptionLength {
            return .invalid(field: "description", reason: "at most \(maximumDescriptionLength) characters")
        }
        return nil
    }

    private static func validDaysProblem(_ days: Int) -> QuoteError? {
        validDaysRange.contains(days)
            ? nil
            : .invalid(field: "validDays", reason: "must be 1 to \(validDaysRange.upperBound) days, got \(days)")
    }

    private static func isBlank(_ text: String) -> Bool {
        text.allSatisfy { $0.isWhitespace || $0.isNewline }
    }
}
