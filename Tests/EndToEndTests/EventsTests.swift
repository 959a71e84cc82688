// Live events (events.subscribe) over the real transports: who hears what (the ticket.get
// rules per event), versions that match the tickets, the order of events and replies on one
// connection (stdio, Content-Length framing), replay after a reconnect across a server restart
// with no gap and no duplicate, changes made by another process on the same database, and a
// subscriber that does not read.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A JSON object handed across threads.
struct Boxed: @unchecked Sendable {
    let json: JSON?
}

/// A connection that tells replies from the notifications interleaved with them: `call` reads
/// until its reply and keeps the notifications it passes for `event`.
final class EventClient: @unchecked Sendable {
    let stream: Stream
    let who: String
    private var counter = 0
    private(set) var events: [JSON] = []

    init(_ stream: Stream, who: String) {
        self.stream = stream
        self.who = who
    }

    private func readMessage(timeout: Double) throws -> JSON {
        let line = try stream.readLineSync(timeout: timeout)
        guard let message = try JSONSerialization.jsonObject(with: Data(line)) as? JSON else {
            throw HarnessError("\(who): not a JSON object: \(String(decoding: line, as: UTF8.self))")
        }
        return message
    }

    func call(_ method: String, _ params: JSON = [:], timeout: Double = 15) async throws -> JSON {
        counter += 1
        let id = counter
        let bytes = try RPCClient.request(id: id, method: method, params: params)
        return try await offload { [self] in
            try stream.sendSync(bytes)
            while true {
                let message = try readMessage(timeout: timeout)
                if message["id"] == nil {
                    events.append(message)
                } else {
                    guard message.int("id") == id else { throw HarnessError("\(who) \(method): reply for another id: \(message)") }
                    return Boxed(json: message)
                }
            }
        }.json ?? [:]
    }

    func ok(_ method: String, _ params: JSON = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSON {
        let reply = try await call(method, params)
        return try #require(reply["result"] as? JSON, "\(who) \(method) should succeed: \(reply)", sourceLocation: sourceLocation)
    }

    func error(_ method: String, _ params: JSON = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSON {
        let reply = try await call(method, params)
        return try #require(reply["error"] as? JSON, "\(who) \(method) should fail: \(reply)", sourceLocation: sourceLocation)
    }

    /// The next notification (kept or read now); nil when none arrives within `timeout`.
    func event(timeout: Double = 5) async throws -> JSON? {
        if !events.isEmpty { return events.removeFirst() }
        return try await offload { [self] in
            do {
                while true {
                    let message = try readMessage(timeout: timeout)
                    if message["id"] == nil { return Boxed(json: message) }
                    throw HarnessError("\(who): a reply nobody asked for: \(message)")
                }
            } catch let error as HarnessError where error.description.contains("timed out") || error.description.contains("no line") {
                return Boxed(json: nil)
            }
        }.json
    }

    /// `count` notifications, in order.
    func events(_ count: Int, timeout: Double = 10, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [JSON] {
        var received: [JSON] = []
        for _ in 0..<count {
            let next = try await event(timeout: timeout)
            received.append(try #require(next, "\(who): \(received.count) of \(count) events arrived: \(received)",
                                         sourceLocation: sourceLocation))
        }
        return received
    }

    /// The notifications that arrived before the reply to a ping sent now (and are kept).
    func pending() async throws -> [JSON] {
        _ = try await ok("server.ping")
        defer { events.removeAll() }
        return events
    }

    func close() { stream.close() }
}

extension TicketWorld {
    func eventClient(_ who: Who) async throws -> EventClient {
        let client = EventClient(try server.connect(), who: who.rawValue)
        if who != .system {
            let resumed = try await client.ok("session.resume", ["token": try #require(tokens[who])])
            #expect(resumed.int("principal.id") == ids[who])
        }
        return client
    }
}

func params(_ event: JSON) -> JSON { event["params"] as? JSON ?? [:] }

/// One test at a time: each asserts everything its subscribers hear on the shared server.
@Suite("Live events end to end", .serialized, .ticketWorld([.careManager, .operatorA, .operatorB, .giulia, .oliver]))
struct EventsTests {
    @Test("each subscriber hears the changes it may see, with the ticket's versions, and nothing else")
    func whoHearsWhat() async throws {
        let world = try currentWorld()
        let system = try await world.eventClient(.system)
        var listeners: [Who: EventClient] = [:]
        for who in [Who.careManager, .operatorA, .operatorB, .giulia, .oliver] {
            let client = try await world.eventClient(who)
            let subscribed = try await client.ok("events.subscribe")
            #expect(subscribed.string("subscription") == "1" && subscribed.int("replayed") == 0, "\(subscribed)")
            listeners[who] = client
        }
        defer { for client in listeners.values { client.close() }; system.close() }

        let opened = try await system.ok("ticket.open", [
            "product": TicketWorld.product, "contact": world.id(.giulia), "subject": "Le fatture non partono",
            "body": "Da ieri l'invio delle fatture elettroniche resta in coda.", "channel": "portal",
        ])
        let ticket = opened.ticketID
        // The care manager hears the opening (and so has everyone who will, by then).
        let heardOpen = try #require(try await listeners[.careManager]!.event())
        #expect(heardOpen["method"] as? String == "events.ticketChanged")
        #expect(params(heardOpen).int("ticket") == ticket && params(heardOpen).string("action") == "open")
        #expect(params(heardOpen).int("version") == opened.int("version"))
        #expect(params(heardOpen).string("subscription") == "1")

        let taken = try await system.ok("ticket.takeCharge", [
            "ticket": ticket, "classification": "bug", "priority": 2, "assignee": world.id(.operatorA),
        ])
        let operatorA = try await world.eventClient(.operatorA)
        defer { operatorA.close() }
        let note = try await operatorA.ok("ticket.addMessage", [
            "ticket": ticket, "body": "Nota interna: la coda SDI è ferma, verifico il certificato.", "internal": true,
        ])
        let answer = try await operatorA.ok("ticket.addMessage", [
            "ticket": ticket, "body": "Abbiamo individuato il problema, la coda riparte a breve.",
        ])

        // Care manager: every change, in order, each with the version it left.
        let manager = try await listeners[.careManager]!.events(3)
        #expect(manager.map { params($0).string("action") } == ["takeCharge", "addMessage", "addMessage"])
        #expect(manager.map { params($0).int("version") } == [taken.int("version"), note.int("version"), answer.int("version")])
        #expect(manager.map { params($0).strings("events")?.contains("noteAdded") } == [false, true, false])
        #expect(params(manager[0]).object("changes")?["assignee"] as? [Any] != nil, "\(manager[0])")
        let sequences = ([heardOpen] + manager).compactMap { params($0).int("sequence") }
        #expect(sequences == sequences.sorted() && Set(sequences).count == 4, "\(sequences)")

        // The assignee: not the opening (not theirs yet when it was sent), then the rest.
        let assignee = try await listeners[.operatorA]!.events(3)
        #expect(assignee.map { params($0).string("action") } == ["takeCharge", "addMessage", "addMessage"])
        #expect(try await listeners[.operatorA]!.pending().isEmpty)

        // Giulia (the ticket's company): everything but the internal note, and no staff events list.
        let contact = try await listeners[.giulia]!.events(3)
        #expect(contact.map { params($0).string("action") } == ["open", "takeCharge", "addMessage"])
        #expect(contact.map { params($0).int("version") } == [opened.int("version"), taken.int("version"), answer.int("version")])
        #expect(contact.allSatisfy { params($0)["events"] == nil })
        #expect(try await listeners[.giulia]!.pending().isEmpty)

        // Another operator and another company's contact hear nothing of it.
        #expect(try await listeners[.operatorB]!.pending().isEmpty)
        #expect(try await listeners[.oliver]!.pending().isEmpty)

        // Reassigned to another operator: both hear it, the one it was taken from included
        // (then nothing more of it), so that a list of "my tickets" can drop it.
        let reassigned = try await system.ok("ticket.assign", ["ticket": ticket, "assignee": world.id(.operatorB)])
        for who in [Who.operatorA, .operatorB] {
            let event = try #require(try await listeners[who]!.event(), "\(who) did not hear the reassignment")
            #expect(params(event).string("action") == "assign" && params(event).int("version") == reassigned.int("version"), "\(event)")
            #expect(params(event).object("changes")?["assignee"] as? [Int] == [world.id(.operatorA), world.id(.operatorB)])
        }
        _ = try await system.ok("ticket.addMessage", ["ticket": ticket, "body": "Passo la pratica a Ottavia.", "internal": true])
        #expect(try await listeners[.operatorB]!.event().map { params($0).string("action") } == "addMessage")
        #expect(try await listeners[.operatorA]!.pending().isEmpty)
        #expect(try await listeners[.careManager]!.events(2).map { params($0).string("action") } == ["assign", "addMessage"])
        #expect(try await listeners[.giulia]!.event().map { params($0).string("action") } == "assign")

        // Unsubscribed: nothing more; the same id again is -32003.
        let giulia = listeners[.giulia]!
        #expect(try await giulia.ok("events.unsubscribe", ["subscription": "1"])["unsubscribed"] as? Bool == true)
        _ = try await system.ok("ticket.addMessage", ["ticket": ticket, "body": "La coda è ripartita."])
        #expect(try await listeners[.careManager]!.event().map { params($0).string("action") } == "addMessage")
        #expect(try await giulia.pending().isEmpty)
        let again = try await giulia.error("events.unsubscribe", ["subscription": "1"])
        #expect(again.int("code") == -32003 && again.string("data.field") == "params.subscription")
    }

    @Test("a subscription to one ticket, replayed from a version; staff topics and bad input refused")
    func oneTicketAndBadInput() async throws {
        let world = try currentWorld()
        let system = try await world.eventClient(.system)
        defer { system.close() }
        let openedAt = Date()
        let opened = try await system.ok("ticket.open", [
            "product": TicketWorld.product, "contact": world.id(.oliver), "subject": "Login page times out",
            "body": "Since this morning the login page times out for every user.", "channel": "email",
        ])
        let ticket = opened.ticketID
        _ = try await system.ok("ticket.addMessage", ["ticket": ticket, "body": "We are looking into it."])
        let other = try await system.ok("ticket.open", [
            "product": TicketWorld.product, "contact": world.id(.oliver), "subject": "Another one", "body": "Unrelated.",
            "channel": "email",
        ])

        let oliver = try await world.eventClient(.oliver)
        defer { oliver.close() }
        // From version 1: the message (version 2) is replayed, after the reply; the other ticket's opening is not.
        let subscribed = try await oliver.ok("events.subscribe", ["ticket": ticket, "since": 1])
        #expect(subscribed.int("replayed") == 1)
        let replayed = try #require(try await oliver.event())
        #expect(params(replayed).int("ticket") == ticket && params(replayed).int("version") == 2)
        _ = try await system.ok("ticket.addMessage", ["ticket": other.ticketID, "body": "Not this one."])
        _ = try await system.ok("ticket.addMessage", ["ticket": ticket, "body": "Fixed, please try again."])
        let live = try #require(try await oliver.event())
        #expect(params(live).int("ticket") == ticket && params(live).int("version") == 3)

        // Since an instant: everything of the ticket after it (its opening, then two messages).
        let fromInstant = try await oliver.ok("events.subscribe", ["ticket": ticket, "since": rfc3339(openedAt.addingTimeInterval(-1))])
        #expect(fromInstant.int("replayed") == 3, "\(fromInstant)")
        let again = try await oliver.events(3)
        #expect(again.map { params($0).int("version") } == [1, 2, 3] && again.allSatisfy { params($0).string("subscription") == "2" })

        // Staff topics, another company's ticket, a bad since or topic: refused, naming the param.
        let topics = try await oliver.error("events.subscribe", ["topics": ["tickets", "notifications"]])
        #expect(topics.int("code") == -32002 && topics.string("data.field") == "params.topics")
        let giulia = try await world.eventClient(.giulia)
        defer { giulia.close() }
        let hidden = try await giulia.error("events.subscribe", ["ticket": ticket])
        #expect(hidden.int("code") == -32003 && hidden.string("data.field") == "params.ticket")
        for bad: JSON in [["since": "2999-01-01T00:00:00Z"], ["since": "2020-01-01T00:00:00Z"], ["since": 99_999_999], ["since": "yesterday"], ["since": -1],
                          ["topics": ["gossip"]], ["topics": []]] {
            let error = try await giulia.error("events.subscribe", bad)
            #expect(error.int("code") == -32602, "\(bad): \(error)")
            #expect(error.string("data.field")?.hasPrefix("params.") == true, "\(bad): \(error)")
        }
    }
}

@Suite("Live events across processes")
struct EventsAcrossProcessesTests {
    static func openTicket(_ client: EventClient, customer: Int, subject: String) async throws -> JSON {
        try await client.ok("ticket.open", [
            "product": TicketWorld.product, "customer": customer, "subject": subject, "body": subject + ".", "channel": "phone",
        ])
    }

    static func makeCustomer(_ client: EventClient) async throws -> Int {
        let customer = try await client.ok("customer.create", [
            "code": "ROSSI", "name": "Rossi Logistica S.r.l.", "language": "it", "email": "assistenza@rossi-logistica.it",
        ])
        let id = try #require(customer.int("id"))
        _ = try await client.ok("customer.addSubscription", ["customer": id, "product": TicketWorld.product, "mode": "cloudSaas"])
        return id
    }

    @Test("stdio with Content-Length framing: the change's reply first, then its event")
    func stdioFraming() async throws {
        let server = try StdioServer()
        defer { server.stop() }
        func send(_ id: Int, _ method: String, _ params: JSON) async throws {
            let body = try JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "id": id, "method": method, "params": params])
            try await server.stream.send(Array("Content-Length: \(body.count)\r\n\r\n".utf8) + Array(body))
        }
        func read() async throws -> JSON {
            let (_, reply) = try await server.stream.readFramed()
            return reply.json as? JSON ?? [:]
        }
        try await send(1, "events.subscribe", [:])
        #expect(try await read().string("result.subscription") == "1")
        try await send(2, "customer.create", ["code": "ACME", "name": "Acme S.p.A.", "language": "it", "email": "it@acme.example"])
        let customer = try #require(try await read().int("result.id"))
        try await send(3, "customer.addSubscription", ["customer": customer, "product": TicketWorld.product, "mode": "onPremises"])
        _ = try await read()
        try await send(4, "ticket.open", [
            "product": TicketWorld.product, "customer": customer, "subject": "Stampa bloccata", "body": "La stampa non parte.",
            "channel": "phone",
        ])
        let reply = try await read()
        #expect(reply.int("id") == 4, "the reply comes before the event it caused: \(reply)")
        let event = try await read()
        #expect(event["method"] as? String == "events.ticketChanged" && event["id"] == nil, "\(event)")
        #expect(params(event).int("ticket") == reply.int("result.id") && params(event).string("action") == "open")
    }

    @Test("another process's changes arrive within a second; after a restart, since replays exactly what was missed")
    func otherProcessesAndRestart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("sportello.db")
        var server = try await SocketServer(directory: directory, databasePath: database, arguments: ["--sweep-interval", "0"])
        let system = EventClient(try server.connect(), who: "system")
        let customer = try await Self.makeCustomer(system)
        let listener = EventClient(try server.connect(), who: "listener")
        let subscribed = try await listener.ok("events.subscribe")
        var seen = [subscribed.int("sequence") ?? -1]

        // A stdio instance on the same database opens a ticket: the socket server's subscriber
        // hears it within a second (it polls the history; nothing tells it).
        let stdio = try StdioServer(database: database)
        defer { stdio.stop() }
        let other = EventClient(stdio.stream, who: "stdio")
        let fromStdio = try await Self.openTicket(other, customer: customer, subject: "Aperto da un altro processo")
        let started = monotonicNow()
        let heard = try #require(try await listener.event(timeout: 1.0), "no event within 1 s of the other process's commit")
        #expect(monotonicNow() - started <= 1.0)
        #expect(params(heard).int("ticket") == fromStdio.ticketID)
        seen.append(try #require(params(heard).int("sequence")))

        // The listener goes; the server stops; changes are made meanwhile (by the stdio instance).
        listener.close()
        system.close()
        server.child.signal(SIGTERM)
        #expect(await server.child.waitForExit(timeout: 15) == 0)
        var missed: [Int] = []
        for index in 1...3 {
            let ticket = try await Self.openTicket(other, customer: customer, subject: "Mentre il server era fermo \(index)")
            missed.append(ticket.ticketID)
        }

        server = try await SocketServer(directory: directory, databasePath: database, arguments: ["--sweep-interval", "0"])
        defer { server.stop() }
        let back = EventClient(try server.connect(), who: "back")
        defer { back.close() }
        let resumed = try await back.ok("events.subscribe", ["since": seen.last!])
        #expect(resumed.int("replayed") == 3)
        let replayed = try await back.events(3)
        #expect(replayed.map { params($0).int("ticket") } == missed)
        // Then live, with nothing twice: a change now is the next event, after the replayed ones.
        let live = try await Self.openTicket(other, customer: customer, subject: "Dopo la riconnessione")
        let next = try #require(try await back.event(timeout: 2))
        #expect(params(next).int("ticket") == live.ticketID)
        let sequences = (replayed + [next]).compactMap { params($0).int("sequence") }
        #expect(sequences == sequences.sorted() && Set(sequences).count == 4 && sequences.first! > seen.last!, "\(sequences)")
        #expect(try await back.pending().isEmpty)
    }

    @Test("a subscriber that does not read is cut off with events.overflow; its connection still answers")
    func overflow() async throws {
        let server = try await SocketServer(
            arguments: ["--max-unread-bytes", "16384", "--sweep-interval", "0"], environment: ["SPORTELLO_DURABILITY": "normal"])
        defer { server.stop() }
        let system = EventClient(try server.connect(), who: "system")
        defer { system.close() }
        let customer = try await Self.makeCustomer(system)
        let stalled = EventClient(try server.connect(), who: "stalled")
        defer { stalled.close() }
        #expect(try await stalled.ok("events.subscribe")["subscription"] as? String == "1")

        // 1,500 tickets opened (about 400 KB of events): far past 16 KiB plus what the socket buffers.
        for batch in 0..<15 {
            var requests = "["
            for index in 0..<100 {
                if index > 0 { requests += "," }
                requests += #"{"jsonrpc":"2.0","id":\#(batch * 100 + index),"method":"ticket.open","params":{"product":"\#(TicketWorld.product)","customer":\#(customer),"subject":"Richiesta \#(batch * 100 + index)","body":"Testo.","channel":"phone"}}"#
            }
            try await system.stream.send(requests + "]\n")
            let line = try await system.stream.readLine(timeout: 30)
            #expect(!String(decoding: line, as: UTF8.self).contains("\"error\""))
        }

        // Now read: events, then one events.overflow naming the last sequence written, then nothing.
        var received: [JSON] = []
        var overflow: JSON?
        while overflow == nil, let event = try await stalled.event(timeout: 10) {
            if event["method"] as? String == "events.overflow" { overflow = event } else { received.append(event) }
        }
        let last = try #require(overflow, "no events.overflow after \(received.count) events")
        #expect(received.count > 0 && received.count < 1500)
        #expect(params(last).string("subscription") == "1")
        #expect(params(last).int("sequence") == params(received.last ?? [:]).int("sequence"), "\(last)")
        #expect(try await stalled.pending().isEmpty)
        #expect(try await stalled.error("events.unsubscribe", ["subscription": "1"]).int("code") == -32003)

        // Catching up: subscribe again from the last sequence; a replay larger than the bound is
        // cut the same way, after as much as fits. Round after round, every change arrives
        // exactly once.
        var sequences = received.compactMap { params($0).int("sequence") }
        var from = try #require(params(last).int("sequence"))
        for _ in 0..<200 {
            let again = try await stalled.ok("events.subscribe", ["since": from])
            #expect(try #require(again.int("replayed")) > 0)
            var cut: JSON?
            while cut == nil, let event = try await stalled.event(timeout: 2) {
                if event["method"] as? String == "events.overflow" { cut = event } else { sequences.append(params(event).int("sequence") ?? -1) }
            }
            guard let cut else { break }
            from = try #require(params(cut).int("sequence"))
        }
        #expect(sequences.count == 1500 && Set(sequences).count == 1500 && sequences == sequences.sorted(),
                "\(sequences.count) events, \(Set(sequences).count) distinct")
    }
}
