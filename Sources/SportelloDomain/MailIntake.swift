import Foundation

/// What the desk does with a message that came in by mail (docs/product.md §8, "Mail in"): the
/// rules, apart from parsing (SportelloMail) and storing (SportelloStore).
public enum MailIntake {
    /// Limits of mail in.
    public struct Limits: Sendable, Hashable {
        /// A whole message, raw.
        public var messageBytes = 25 * 1024 * 1024
        /// One attachment, decoded: a larger one is replaced by a note on the message.
        public var attachmentBytes = 10 * 1024 * 1024
        /// More messages than this from one sender within `burstWindow` are a robot's.
        public var senderBurst = 20
        public var burstWindow: TimeInterval = 600
        /// A fallback product for a ticket opened by mail for a customer without subscriptions.
        public var fallbackProduct = "zenshare-up"

        public init() {}
        public static let standard = Limits()
    }

    /// Why a message opened or changed nothing.
    public enum IgnoredBecause: String, Sendable, Hashable, CaseIterable {
        /// The same Message-ID was ingested before.
        case duplicate
        /// A delivery status notification (it marks the notification it answers `bounced`).
        case bounce
        /// Sportello's own mail coming back (its `X-Loop`, its support address as sender).
        case loop
        /// An automatic reply (`Auto-Submitted`, `X-Autoreply`, vacation notices…).
        case autoReply
        /// Mailing-list or bulk mail (`List-Id`, `Precedence: bulk|junk|list`).
        case bulk
        /// More than `senderBurst` messages from one sender within `burstWindow`.
        case tooManyFromSender
        /// No sender address to answer or match.
        case unknownSender
    }

    /// What the headers say about a message, read by the mail parser.
    public struct Signals: Sendable, Hashable {
        public var alreadyIngested = false
        public var isBounce = false
        public var carriesOurLoopMarker = false
        public var fromOurSupportAddress = false
        public var isAutoReply = false
        public var isBulk = false
        public var recentFromSender = 0
        public var hasSender = true

        public init(
            alreadyIngested: Bool = false, isBounce: Bool = false, carriesOurLoopMarker: Bool = false,
            fromOurSupportAddress: Bool = false, isAutoReply: Bool = false, isBulk: Bool = false, recentFromSender: Int = 0,
            hasSender: Bool = true
        ) {
            self.alreadyIngested = alreadyIngested
            self.isBounce = isBounce
            self.carriesOurLoopMarker = carriesOurLoopMarker
            self.fromOurSupportAddress = fromOurSupportAddress
            self.isAutoReply = isAutoReply
            self.isBulk = isBulk
            self.recentFromSender = recentFromSender
            self.hasSender = hasSender
        }
    }

    /// Whether the message is to be recorded only, and why; nil when a person wrote it to the
    /// desk. The first rule that applies names the reason: a repeat first (nothing changes,
    /// whatever it is), then bounces (they change a notification), then our own mail, robots,
    /// lists, bursts, and mail without a sender.
    public static func screen(_ signals: Signals, limits: Limits = .standard) -> IgnoredBecause? {
        if signals.alreadyIngested { return .duplicate }
        if signals.isBounce { return .bounce }
        if signals.carriesOurLoopMarker || signals.fromOurSupportAddress { return .loop }
        if signals.isAutoReply { return .autoReply }
        if signals.isBulk { return .bulk }
        // This message is the (recent + 1)th: the 21st within the window is refused.
        if signals.recentFromSender >= limits.senderBurst { return .tooManyFromSender }
        if !signals.hasSender { return .unknownSender }
        return nil
    }

    /// Who wrote, as far as the desk knows.
    public enum Sender: Sendable, Hashable {
        /// A contact (matched by address, case-insensitively).
        case contact(id: Int64, customer: Int64)
        /// An address no contact has, on a domain exactly one customer owns.
        case domainOf(customer: Int64)
        /// Nobody the desk knows: an unmatched ticket, linked later by a care manager.
        case unknown
    }

    /// The ticket a reply names (by subject tag or Message-ID), as far as threading needs it.
    public struct Candidate: Sendable, Hashable {
        public var ticket: Int64
        public var state: TicketState
        /// The address the ticket came from when it was opened by mail by no contact.
        public var senderAddress: String?

        public init(ticket: Int64, state: TicketState, senderAddress: String?) {
            self.ticket = ticket
            self.state = state
            self.senderAddress = senderAddress
        }
    }

    /// Where the message goes.
    public enum Placement: Sendable, Hashable {
        /// A message on an open ticket.
        case append(ticket: Int64)
        /// A follow-up of a closed ticket.
        case followUp(of: Int64)
        /// A new ticket.
        case open
    }

    /// A reply joins the ticket it names only when its sender may write on it: a contact who
    /// may see it (their company's ticket, and for a vulnerability the reporter only), or the
    /// very address a contact-less mail ticket came from. Anyone else opens a new ticket, and
    /// nothing of the named one is shown to them. A closed ticket gets a follow-up.
    public static func place(sender: Sender, address: String, candidate: Candidate?) -> Placement {
        guard let candidate else { return .open }
        let mayWrite: Bool
        switch sender {
        case .contact(let id, let customer):
            mayWrite = TicketWorkflow.canView(candidate.state, actor: .contact(id: id, customer: customer))
        case .domainOf, .unknown:
            mayWrite = candidate.senderAddress.map { $0.caseInsensitiveCompare(address) == .orderedSame } ?? false
        }
        guard mayWrite else { return .open }
        return candidate.state.status == .closed ? .followUp(of: candidate.ticket) : .append(ticket: candidate.ticket)
    }
}
