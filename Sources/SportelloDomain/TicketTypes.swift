// Ticket vocabulary shared by the workflow, the store and the service layer (docs/product.md §2, §3, §6).
// The raw values are the wire spelling of the JSON-RPC contract: do not rename them.

/// The seven ways the Customer Care Manager classifies a request (docs/product.md §4–5, the seed's list).
public enum Classification: String, CaseIterable, Codable, Sendable {
    /// Bug or malfunction: a feature cannot be used, fully or partly.
    case bug
    /// Evolutionary modification: not a malfunction but new or broader functionality.
    case evolutionaryChange
    /// Help desk: help with an operation the reporter cannot perform or no longer remembers.
    case helpDesk
    /// Intervention to be invoiced: a configuration change during a service's start-up phase.
    case invoicedIntervention
    /// The customer did not accept the intervention Interzen proposed (a rejected quote).
    case interventionNotAccepted
    /// Not within Interzen's competence, or not covered by the annual fee.
    case outOfScope
    /// A vulnerability not yet found by Interzen's periodic Vulnerability Assessment.
    case vulnerability

    /// Bug and vulnerability tickets go to competent staff when the care manager takes charge,
    /// so `ticket.takeCharge` must name an assignee for them (docs/product.md §4–5).
    public var requiresAssignee: Bool {
        self == .bug || self == .vulnerability
    }

    /// Evolutionary changes, help desk and invoiced interventions are paid work: they go through
    /// a quote, acceptance and a support package before anyone is assigned (docs/product.md §4–5, §5).
    public var isQuoteBased: Bool {
        switch self {
        case .evolutionaryChange, .helpDesk, .invoicedIntervention: true
        default: false
        }
    }

    /// Only the care manager (or an admin / the system) closes these; the assignee may not
    /// (docs/product.md §4–5: "the care manager closes it" for these three).
    public var closedByCareManagerOnly: Bool {
        switch self {
        case .interventionNotAccepted, .outOfScope, .vulnerability: true
        default: false
        }
    }

    /// Whether the SLA tables of docs/product.md §6 apply once the ticket carries this classification
    /// (they are "bugs and malfunctions" SLAs; every other classification is `notApplicable`).
    public var hasSLA: Bool { self == .bug }
}

/// Ticket statuses; the names are part of the contract (docs/product.md §4–5).
public enum TicketStatus: String, CaseIterable, Codable, Sendable {
    /// Just arrived; nobody has taken charge yet.
    case new
    /// Taken charge of by the care manager, no competent staff working on it (yet).
    case inCharge
    /// Assigned to competent staff who work on it.
    case assigned
    /// The assignee asked the customer for clarification; the resolution clock is paused.
    case waitingCustomer
    /// A quote has been sent; waiting for the customer's acceptance or rejection.
    case quoted
    /// The quote was accepted but the customer has no support package with enough hours:
    /// the offer form was sent and the ticket waits for an order.
    case awaitingPackage
    /// Final. A later customer message opens a new ticket that refers to this one.
    case closed

    /// `closed` is final: no action is allowed on it (docs/product.md §4–5).
    public var isFinal: Bool { self == .closed }
}

/// How a ticket arrived (docs/product.md §4–5).
public enum Channel: String, CaseIterable, Codable, Sendable {
    case email, portal, phone, api
}

/// The two languages support is given in (docs/product.md §8; the seed: "the same language the customer
/// used"). Raw values are ISO 639-1 codes.
public enum Language: String, CaseIterable, Codable, Sendable {
    case it, en
}

/// Ticket priority / severity, 1 (most urgent) to 4 (docs/product.md §4–5, §4).
///
/// Tickets and commands carry the priority as a plain `Int` (the wire form); use
/// `Priority(rawValue:)` to validate one — it is `nil` outside `1...4`.
public enum Priority: Int, CaseIterable, Codable, Sendable, Comparable {
    case blocking = 1
    case high = 2
    case medium = 3
    case low = 4

    /// The priority used when the customer declares none (docs/product.md §6: "else 3").
    public static let `default`: Priority = .medium

    /// The accepted range of raw values.
    public static let validRange: ClosedRange<Int> = 1...4

    /// The severity name in the given language: Blocking/Bloccante, High/Alta, Medium/Media,
    /// Low/Bassa.
    public func name(in language: Language) -> String {
        switch (self, language) {
        case (.blocking, .en): "Blocking"
        case (.blocking, .it): "Bloccante"
        case (.high, .en): "High"
        case (.high, .it): "Alta"
        case (.medium, .en): "Medium"
        case (.medium, .it): "Media"
        case (.low, .en): "Low"
        case (.low, .it): "Bassa"
        }
    }

    /// "1 – Blocking", "2 – Alta", …: the number first, as customers quote it.
    public func label(in language: Language) -> String {
        "\(rawValue) – \(name(in: language))"
    }

    public static func < (lhs: Priority, rhs: Priority) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

/// Staff roles (docs/product.md §2). An admin may do everything a care manager may.
public enum StaffRole: String, CaseIterable, Codable, Sendable {
    /// "Competent staff": sees and works only the tickets assigned to them.
    case `operator`
    /// The Customer Care Manager: sees every ticket, takes charge, classifies, assigns, closes.
    case careManager
    /// Configures the system; everything a care manager may.
    case admin

    /// Care managers and admins act on every ticket (docs/product.md §2).
    public var managesTickets: Bool { self != .operator }
}

/// Who is acting (docs/product.md §2's "principal").
///
/// Named `Principal` rather than `Actor`: a public type called `Actor` would shadow Swift's
/// `_Concurrency.Actor` protocol in every module that imports `SportelloDomain` (`any Actor`
/// and `isolated (any Actor)?` stop compiling there).
public enum Principal: Sendable, Hashable, Codable {
    /// The process owner on stdio or the socket's root/own user: may do everything an admin may.
    case system
    /// A staff account.
    case staff(id: Int64, role: StaffRole)
    /// A customer contact (portal account or a known email sender) of company `customer`.
    case contact(id: Int64, customer: Int64)

    /// System, admins and care managers: the principals that manage every ticket (docs/product.md §2).
    public var managesTickets: Bool {
        switch self {
        case .system: true
        case .staff(_, let role): role.managesTickets
        case .contact: false
        }
    }
}
