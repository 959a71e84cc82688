import Dispatch
import Foundation
import JSONRPC
import Logging
import SportelloDomain
import SportelloStore
import Synchronization

/// Live events (`events.subscribe`): reads every committed change from the history and the
/// outbox, and sends each one, as a JSON-RPC notification, to every subscriber that may see it.
///
/// One serial queue does all of it — reading new rows, replaying a new subscriber's missed
/// changes, fanning out — so a subscriber registered after its replay misses nothing and gets
/// nothing twice: the replay reads up to the hub's cursor, and the live feed starts after it.
/// New rows are read at once after a change this process committed (the database's commit
/// observer) and otherwise every `pollInterval`, which is how the changes of other processes
/// on the same database (a stdio instance, `sportello sweep`) arrive. Nothing is read while
/// nobody listens.
///
/// Each event's body is serialized once; a subscriber's message is a fixed prefix naming its
/// subscription followed by that body. Sending never blocks: the transport bounds what a
/// subscriber that does not read may hold, and ends its subscriptions (`overflowed`).
public final class EventHub: @unchecked Sendable {
    public enum Topic: String, Sendable, CaseIterable {
        case tickets, sla, notifications
    }

    /// One subscription: whose connection, what it hears, and how far it got.
    final class Subscriber: Sendable {
        /// Unique in the hub (ids are unique per connection only).
        let key: UInt64
        let id: String
        let context: CallContext
        let sink: any RPCNotificationSink
        let topics: Set<Topic>
        let ticket: Int64?
        let active = Atomic<Bool>(true)
        /// The last `sequence` actually written to the connection (what an overflow reports).
        let written = Atomic<Int64>(0)
        /// `{"jsonrpc":"2.0","method":"events.<name>","params":{"subscription":"<id>",` per method.
        let prefixes: [String: [UInt8]]

        init(key: UInt64, id: String, context: CallContext, sink: any RPCNotificationSink, topics: Set<Topic>, ticket: Int64?) {
            self.key = key
            self.id = id
            self.context = context
            self.sink = sink
            self.topics = topics
            self.ticket = ticket
            var prefixes: [String: [UInt8]] = [:]
            let quoted = JSONSerializer.serialize(.string(id))
            for method in [EventHub.ticketChanged, EventHub.slaStep, EventHub.notificationQueued] {
                prefixes[method] = Array(#"{"jsonrpc":"2.0","method":""#.utf8) + Array(method.utf8)
                    + Array(#"","params":{"subscription":"#.utf8) + quoted + [UInt8(ascii: ",")]
            }
            self.prefixes = prefixes
        }
    }

    static let ticketChanged = "events.ticketChanged"
    static let slaStep = "events.slaStep"
    static let notificationQueued = "events.notificationQueued"
    static let overflow = "events.overflow"
    /// How far back `since` may reach.
    static let replayWindow: TimeInterval = 24 * 3600
    /// Rows read per query.
    static let batch = 500

    private let database: SportelloDatabase
    private let now: @Sendable () -> Date
    private let logger: Logger
    private let pollInterval: Duration
    private let queue = DispatchQueue(label: "sportello.events")
    private let fetchQueued = Atomic<Bool>(false)
    private let listening = Atomic<Int>(0)
    private let lastKey = Atomic<UInt64>(0)

    // On `queue` only.
    private var subscribers: [UInt64: Subscriber] = [:]
    private var order: [UInt64] = []
    private var cursor: Int64 = -1
    private var notificationCursor: Int64 = -1
    private var timer: (any DispatchSourceTimer)?
    private var observing = false

    init(database: SportelloDatabase, now: @escaping @Sendable () -> Date, logger: Logger, pollInterval: Duration = .milliseconds(250)) {
        self.database = database
        self.now = now
        self.logger = logger
        self.pollInterval = pollInterval
    }

    // MARK: Subscribing

    struct Subscribed: Sendable {
        var subscription: String
        var sequence: Int64
        var replayed: Int
    }

    /// Registers a subscription on `context`'s connection, after replaying what `since` asks.
    func subscribe(
        context: CallContext, topics: Set<Topic>, ticket: Int64?, since: EventsSince?
    ) async throws -> Subscribed {
        guard let sink = context.events.withLock({ $0.sink }) else {
            // A call made in process (no transport to push on): nothing could be heard.
            throw RPCError.invalidRequest("this caller has no connection to send notifications on")
        }
        let id = context.events.withLock { events -> String in
            events.lastSubscription += 1
            return String(events.lastSubscription)
        }
        let key = lastKey.add(1, ordering: .relaxed).newValue
        let subscriber = Subscriber(key: key, id: id, context: context, sink: sink, topics: topics, ticket: ticket)
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do {
                    continuation.resume(returning: try self.register(subscriber, since: since))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    private func register(_ subscriber: Subscriber, since: EventsSince?) throws -> Subscribed {
        dispatchPrecondition(condition: .onQueue(queue))
        if !observing {
            observing = true
            database.observeCommits { [weak self] in self?.poke() }
        }
        // Bring everyone up to date first: the replay then ends exactly where the live feed starts.
        fetch()
        if cursor < 0 {
            (cursor, notificationCursor) = try database.readNow { tx in
                (try EventStore.lastSequence(tx), try EventStore.lastNotification(tx))
            }
        }
        let through = cursor
        // On the connection from now: an overflow during the replay ends it like a live one. A
        // connection that closed meanwhile (its sink gone) gets none.
        context(of: subscriber) { events in
            if events.sink == nil {
                subscriber.active.store(false, ordering: .relaxed)
            } else {
                events.subscriptions[subscriber.id] = subscriber
            }
        }
        var replayed = 0
        if let since {
            do {
                replayed = try replay(subscriber, since: since, through: through)
            } catch {
                _ = subscriber.context.events.withLock { $0.subscriptions.removeValue(forKey: subscriber.id) }
                subscriber.active.store(false, ordering: .relaxed)
                throw error
            }
        }
        guard subscriber.active.load(ordering: .relaxed) else {
            return Subscribed(subscription: subscriber.id, sequence: through, replayed: replayed)
        }
        subscribers[subscriber.key] = subscriber
        order.append(subscriber.key)
        listening.store(subscribers.count, ordering: .relaxed)
        startPolling()
        return Subscribed(subscription: subscriber.id, sequence: through, replayed: replayed)
    }

    /// Sends `subscriber` the changes after `since` up to `through`; how many were sent.
    private func replay(_ subscriber: Subscriber, since: EventsSince, through: Int64) throws -> Int {
        try database.readNow { tx -> Int in
            var after = try self.replayStart(tx, since: since, ticket: subscriber.ticket, through: through)
            var count = 0
            while after < through, subscriber.active.load(ordering: .relaxed) {
                let changes = try EventStore.changes(tx, after: after, through: through, ticket: subscriber.ticket, limit: Self.batch)
                guard let last = changes.last else { break }
                count += try self.deliver(changes, to: [subscriber], tx: tx)
                after = last.id
            }
            return count
        }
    }

    private func context(of subscriber: Subscriber, _ body: (inout CallContext.ConnectionEvents) -> Void) {
        subscriber.context.events.withLock { body(&$0) }
    }

    /// The sequence a replay starts after, checked against what is kept.
    private func replayStart(_ tx: StoreReader, since: EventsSince, ticket: Int64?, through: Int64) throws -> Int64 {
        let now = self.now()
        let start: Int64
        switch since {
        case .sequence(let number) where ticket != nil:
            start = try EventStore.sequence(tx, ticket: ticket!, atVersion: number)
        case .sequence(let number):
            guard Int64(number) <= through else {
                throw RPCError.invalidParams(
                    field: "params.since", reason: "no change has sequence \(number) yet (the newest is \(through))")
            }
            start = Int64(number)
        case .instant(let instant):
            guard instant <= now else { throw RPCError.invalidParams(field: "params.since", reason: "must not be in the future") }
            // Checked first: the rows after `instant` are read to find where it falls.
            guard instant >= now.addingTimeInterval(-Self.replayWindow) else { throw Self.tooOld }
            start = try EventStore.sequence(tx, before: instant)
        }
        if let first = try EventStore.firstChangeAt(tx, after: start, ticket: ticket), first < now.addingTimeInterval(-Self.replayWindow) {
            throw Self.tooOld
        }
        return start
    }

    static let tooOld = RPCError.invalidParams(
        field: "params.since",
        reason: "more than 24 hours ago: changes are replayed for 24 hours; read the tickets again and subscribe without since")

    // MARK: Ending

    /// events.unsubscribe: false when `id` is not a live subscription of this connection.
    func unsubscribe(context: CallContext, id: String) -> Bool {
        guard let subscriber = context.events.withLock({ $0.subscriptions.removeValue(forKey: id) }) else { return false }
        end([subscriber])
        return true
    }

    /// The connection has closed.
    public func connectionClosed(_ context: CallContext) {
        let ended = context.events.withLock { events -> [Subscriber] in
            defer { events.subscriptions.removeAll(); events.sink = nil }
            return Array(events.subscriptions.values)
        }
        end(ended)
    }

    /// The transport could not send to a connection that does not read: its subscriptions
    /// end, each with a last `events.overflow` (what the transport writes whatever its bound).
    public func overflowed(_ context: CallContext) -> [[UInt8]] {
        let ended = context.events.withLock { events -> [Subscriber] in
            defer { events.subscriptions.removeAll() }
            return Array(events.subscriptions.values)
        }
        end(ended)
        return ended.sorted { $0.id < $1.id }.map { subscriber in
            JSONSerializer.serialize([
                "jsonrpc": "2.0", "method": .string(Self.overflow),
                "params": [
                    "subscription": .string(subscriber.id), "sequence": .int(subscriber.written.load(ordering: .relaxed)),
                    "reason": "the connection did not read its notifications; subscribe again with since = sequence",
                ],
            ])
        }
    }

    private func end(_ ended: [Subscriber]) {
        guard !ended.isEmpty else { return }
        for subscriber in ended { subscriber.active.store(false, ordering: .relaxed) }
        queue.async {
            for subscriber in ended { self.subscribers[subscriber.key] = nil }
            self.order.removeAll { self.subscribers[$0] == nil }
            self.listening.store(self.subscribers.count, ordering: .relaxed)
            if self.subscribers.isEmpty { self.stopPolling() }
        }
    }

    // MARK: Reading and fanning out

    /// A change was committed here: read it now (once for any number of pokes queued meanwhile).
    func poke() {
        guard listening.load(ordering: .relaxed) > 0, !fetchQueued.exchange(true, ordering: .acquiringAndReleasing) else { return }
        queue.async {
            self.fetchQueued.store(false, ordering: .releasing)
            self.fetch()
        }
    }

    private func startPolling() {
        guard timer == nil else { return }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let (seconds, attoseconds) = pollInterval.components
        let interval = DispatchTimeInterval.nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(20))
        timer.setEventHandler { [weak self] in self?.fetch() }
        timer.resume()
        self.timer = timer
    }

    private func stopPolling() {
        timer?.cancel()
        timer = nil
        // Nobody listens: the next subscriber starts from what is newest then.
        cursor = -1
        notificationCursor = -1
    }

    /// Reads what was committed since the cursors and sends it to whoever may see it.
    private func fetch() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !subscribers.isEmpty, cursor >= 0 else { return }
        let everyone = order.compactMap { subscribers[$0] }
        do {
            try database.readNow { tx in
                while true {
                    let changes = try EventStore.changes(tx, after: cursor, limit: Self.batch)
                    guard let last = changes.last else { break }
                    _ = try deliver(changes, to: everyone, tx: tx)
                    cursor = last.id
                    if changes.count < Self.batch { break }
                }
                // Past the rows a change is not made of (operators' reads), in the same snapshot.
                cursor = max(cursor, try EventStore.lastSequence(tx))
                let hearing = everyone.filter { $0.topics.contains(.notifications) }
                if hearing.isEmpty {
                    notificationCursor = try EventStore.lastNotification(tx)
                } else {
                    while true {
                        let queued = try EventStore.notifications(tx, after: notificationCursor, limit: Self.batch)
                        guard let last = queued.last else { break }
                        try deliver(queued, to: hearing, tx: tx)
                        notificationCursor = last.id
                        if queued.count < Self.batch { break }
                    }
                }
            }
        } catch {
            logger.warning("live events: reading new changes failed (tried again at the next poll): \(error)")
        }
    }

    /// Sends each change to the subscribers that hear it; returns how many messages went out.
    @discardableResult
    private func deliver(_ changes: [HistoryRecord], to subscribers: [Subscriber], tx: StoreReader) throws -> Int {
        guard !subscribers.isEmpty else { return 0 }
        var tickets: [Int64: TicketRecord] = [:]
        for change in changes where tickets[change.ticket] == nil {
            if let ticket = try TicketStore.ticket(tx, id: change.ticket) { tickets[change.ticket] = ticket }
        }
        var sent = 0
        for change in changes {
            guard let ticket = tickets[change.ticket] else { continue }
            let isStep = change.action == "slaEscalation"
            let topic: Topic = isStep ? .sla : .tickets
            let method = isStep ? Self.slaStep : Self.ticketChanged
            let eventNames = (try? JSONParser.parse(Array(change.events.utf8))) ?? .array([])
            let changed = (try? JSONParser.parse(Array(change.changes.utf8))) ?? .object([:])
            // An internal note and nothing else: contacts do not hear of it (they never see it).
            let noteOnly = eventNames == .array(["noteAdded"]) && changed == .object([:])
            var bodies: [Bool: [UInt8]] = [:]  // keyed by "for staff"
            for subscriber in subscribers {
                guard subscriber.active.load(ordering: .relaxed), subscriber.topics.contains(topic),
                    subscriber.ticket == nil || subscriber.ticket == change.ticket,
                    let principal = subscriber.context.principal,
                    TicketWorkflow.canView(ticket.state, actor: principal) || Self.tookAway(changed, from: principal)
                else { continue }
                let forStaff: Bool
                if case .contact = principal { forStaff = false } else { forStaff = true }
                if !forStaff, noteOnly || isStep { continue }
                let body: [UInt8]
                if let known = bodies[forStaff] {
                    body = known
                } else {
                    body = Self.body(of: change, eventNames: eventNames, changes: changed, isStep: isStep, forStaff: forStaff)
                    bodies[forStaff] = body
                }
                send(subscriber.prefixes[method]! + body, sequence: change.id, to: subscriber)
                sent += 1
            }
        }
        return sent
    }

    /// Whether the change reassigned the ticket away from `principal`: the operator who may no
    /// longer see it still hears the change that took it (so a list of "my tickets" drops it).
    static func tookAway(_ changes: JSONValue, from principal: Principal) -> Bool {
        guard case .staff(let id, _) = principal, case .array(let pair)? = changes["assignee"], pair.count == 2 else { return false }
        return pair[0] == .int(id)
    }

    private func send(_ message: [UInt8], sequence: Int64?, to subscriber: Subscriber) {
        subscriber.sink.send(message) {
            guard subscriber.active.load(ordering: .relaxed) else { return false }
            if let sequence { subscriber.written.store(sequence, ordering: .relaxed) }
            return true
        }
    }

    /// The params of one change's notification but for its first member (the subscription),
    /// without their opening brace, closed with the message's: `"sequence":…}}`.
    static func body(of change: HistoryRecord, eventNames: JSONValue, changes: JSONValue, isStep: Bool, forStaff: Bool) -> [UInt8] {
        var params: JSONObject = [
            "sequence": .int(change.id), "ticket": .int(change.ticket),
            "version": change.version.map { .int(Int64($0)) } ?? .null,
            "at": .string(RFC3339.format(change.at)),
        ]
        if isStep {
            if case .array(let pair)? = changes["escalation"], pair.count == 2 {
                params["step"] = pair[1]
            } else {
                params["step"] = .object([:])
            }
        } else {
            var actor: JSONObject = ["kind": .string(change.actorKind)]
            if let id = change.actorID { actor["id"] = .int(id) }
            params["action"] = .string(change.action)
            params["actor"] = .object(actor)
            var shown = changes
            // Which ticket a follow-up continues is shown to contacts by ticket.get only when
            // they may see that one too; an event does not say it.
            if !forStaff, case .object(var object) = shown {
                object["followUpOf"] = nil
                shown = .object(object)
            }
            params["changes"] = shown
            if forStaff { params["events"] = eventNames }
        }
        return Self.closing(params)
    }

    private static func closing(_ params: JSONObject) -> [UInt8] {
        // `{…}` → `…}}`: the message's prefix opened both objects.
        var bytes = JSONSerializer.serialize(.object(params))
        bytes.removeFirst()
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    private func deliver(_ queued: [EventStore.QueuedNotification], to subscribers: [Subscriber], tx: StoreReader) throws {
        var tickets: [Int64: TicketRecord] = [:]
        for notification in queued {
            if let id = notification.ticket, tickets[id] == nil, let ticket = try TicketStore.ticket(tx, id: id) { tickets[id] = ticket }
        }
        for notification in queued {
            var body: [UInt8]?
            for subscriber in subscribers where subscriber.active.load(ordering: .relaxed) {
                guard let principal = subscriber.context.principal, subscriber.ticket == nil || subscriber.ticket == notification.ticket
                else { continue }
                if let id = notification.ticket {
                    guard let ticket = tickets[id], TicketWorkflow.canView(ticket.state, actor: principal) else { continue }
                } else {
                    guard principal.managesTickets else { continue }
                }
                if case .contact = principal { continue }
                if body == nil {
                    body = Self.closing([
                        "notification": .int(notification.id), "ticket": notification.ticket.map { .int($0) } ?? .null,
                        "kind": .string(notification.kind), "language": .string(notification.language),
                        "recipient": .string(notification.recipient), "createdAt": .string(RFC3339.format(notification.createdAt)),
                        "notBefore": notification.notBefore.map { .string(RFC3339.format($0)) } ?? .null,
                    ])
                }
                send(subscriber.prefixes[Self.notificationQueued]! + body!, sequence: nil, to: subscriber)
            }
        }
    }
}
