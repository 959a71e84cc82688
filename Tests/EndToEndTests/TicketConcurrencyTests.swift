// Concurrent changes to tickets over the real socket: optimistic concurrency (expectedVersion),
// one winner when two care managers take charge at once, idempotent ticket.open under
// concurrent retries.

import Foundation
import Testing

extension RPCClient {
    /// Sends the same moment on several connections: every request is written first (one
    /// thread, back to back), then every reply read.
    static func simultaneously(_ calls: [(client: RPCClient, method: String, params: JSON)], timeout: Double = 20) async throws -> [Reply] {
        let prepared = try calls.enumerated().map { index, call in
            (call.client, try RPCClient.request(id: 1000 + index, method: call.method, params: call.params))
        }
        let replies = try await offload {
            for (client, bytes) in prepared { try client.connection.sendSync(bytes) }
            return try prepared.map { client, _ in try Reply(raw: try client.connection.readLineSync(timeout: timeout)) }
        }
        for (index, reply) in replies.enumerated() where reply.rawID != "\(1000 + index)" {
            throw HarnessError("reply \(index) has id \(reply.rawID ?? "nil"): \(reply)")
        }
        return replies
    }
}

@Suite("Tickets: concurrency", .ticketWorld([.careManager, .careManager2, .operatorA, .operatorB, .giulia]))
struct TicketConcurrencyTests {
    @Test("two care managers take charge of one new ticket with the same expectedVersion: exactly one wins")
    func takeChargeRace() async throws {
        let world = try currentWorld()
        let system = try await world.client(.system)
        // Connections of their own: nothing else is queued on them.
        let first = try await world.connect(.careManager)
        let second = try await world.connect(.careManager2)
        defer {
            first.close()
            second.close()
        }
        for round in 1...8 {
            let ticket = try await world.open(
                system, subject: "Blocco dell'applicazione all'avvio (\(round))",
                body: "All'avvio l'applicazione resta bloccata sulla schermata iniziale.")
            let id = ticket.ticketID
            let version = try #require(ticket.int("version"))
            // Each classifies differently, so the winner shows in the result.
            let replies = try await RPCClient.simultaneously([
                (first, "ticket.takeCharge", [
                    "ticket": id, "classification": "bug", "priority": 2, "assignee": world.id(.operatorA), "expectedVersion": version,
                ]),
                (second, "ticket.takeCharge", [
                    "ticket": id, "classification": "bug", "priority": 1, "assignee": world.id(.operatorB), "expectedVersion": version,
                ]),
            ])
            let winners = replies.indices.filter { replies[$0].result != nil }
            #expect(winners.count == 1, "round \(round): exactly one success: \(replies)")
            guard winners.count == 1, let winner = winners.first else { continue }
            let loser = replies[1 - winner]
            #expect(loser.errorCode == -32004 || loser.errorCode == -32005, "round \(round): the loser: \(loser)")
            if loser.errorCode == -32004 {
                #expect((loser.errorData?["current"] as? NSNumber)?.intValue == version + 1, "\(loser)")
            } else {
                #expect(loser.errorData?["status"] as? String == "assigned", "\(loser)")
            }
            let final = try await system.ok("ticket.get", ["ticket": id])
            #expect(final.int("version") == version + 1)
            #expect(final.int("assignee.id") == world.id(winner == 0 ? .operatorA : .operatorB), "the winner's assignee")
            #expect(final.int("priority") == (winner == 0 ? 2 : 1), "the winner's priority")
            let history = try await system.ok("ticket.history", ["ticket": id]).objects("items") ?? []
            #expect(history.filter { $0["action"] as? String == "takeCharge" }.count == 1, "one takeCharge in the history")
            let actor = history.first { $0["action"] as? String == "takeCharge" }?["actor"] as? JSON
            #expect(actor?.int("id") == world.id(winner == 0 ? .careManager : .careManager2))
        }
    }

    @Test("20 concurrent retries of one ticket.open with the same idempotencyKey create one ticket")
    func idempotentOpen() async throws {
        let world = try currentWorld()
        let system = try await world.client(.system)
        let code = uniqueWord("IDEM").uppercased()
        let customer = try await system.ok("customer.create", ["code": code, "name": "Idempotenza S.p.A.", "language": "it"])
        let customerID = try #require(customer.int("id"))
        let contact = try await system.ok("contact.create", [
            "customer": customerID, "name": "Paola Neri", "email": "\(code.lowercased())@idempotenza.example",
        ])
        let key = "mail-<\(UUID().uuidString)@mx.idempotenza.example>"
        let params: JSON = [
            "contact": try #require(contact.int("id")), "product": TicketWorld.product, "channel": "email",
            "subject": "Fatture non inviate allo SdI", "idempotencyKey": key,
            "body": "Da ieri le fatture elettroniche restano nello stato 'da inviare' e non vengono trasmesse al Sistema di Interscambio.",
            "receivedAt": "2026-11-27T10:15:00+01:00",
        ]
        var clients: [RPCClient] = []
        for _ in 0..<20 { clients.append(try await world.connect(.system)) }
        defer { for client in clients { client.close() } }
        let replies = try await RPCClient.simultaneously(clients.map { ($0, "ticket.open", params) })
        let ids = Set(replies.compactMap { $0.result?.ticketID })
        #expect(replies.allSatisfy { $0.result != nil }, "every retry succeeds: \(replies.filter { $0.result == nil })")
        #expect(ids.count == 1, "one ticket id for all: \(ids)")
        let id = try #require(ids.first)
        let listed = try await system.ok("ticket.list", ["customer": customerID]).objects("items") ?? []
        #expect(listed.map(\.ticketID) == [id], "exactly one ticket for the customer")
        let receipts = try await system.ok("notification.list", ["ticket": id]).objects("items") ?? []
        #expect(receipts.count == 1, "one receipt")
        let history = try await system.ok("ticket.history", ["ticket": id]).objects("items") ?? []
        #expect(history.map { $0["action"] as? String } == ["open"])

        // The same key with another body is a client error naming the key; nothing is created.
        var changed = params
        changed["body"] = "Un'altra richiesta con la stessa chiave."
        let reused = try await system.fails("ticket.open", changed, code: -32602)
        #expect(reused.string("data.field") == "params.idempotencyKey", "\(reused)")
        // A retry after that still answers with the first ticket.
        let again = try await system.ok("ticket.open", params)
        #expect(again.ticketID == id)
        #expect(try await system.ok("ticket.list", ["customer": customerID]).objects("items")?.count == 1)
        // Another key is another ticket.
        var other = params
        other["idempotencyKey"] = key + "-2"
        let second = try await system.ok("ticket.open", other)
        #expect(second.ticketID != id)
        #expect(try await system.ok("ticket.list", ["customer": customerID]).objects("items")?.count == 2)
    }

    @Test("a stale expectedVersion is -32004 with data.current, and nothing changes")
    func staleVersion() async throws {
        let world = try currentWorld()
        let system = try await world.client(.system)
        let careManager = try await world.client(.careManager)
        let operatorA = try await world.client(.operatorA)
        let giulia = try await world.client(.giulia)
        let opened = try await world.open(system, subject: "Lentezza nella ricerca", body: "La ricerca full text impiega più di un minuto.")
        let id = opened.ticketID
        let v1 = try #require(opened.int("version"))
        let taken = try await careManager.ok("ticket.takeCharge", [
            "ticket": id, "classification": "bug", "priority": 3, "assignee": world.id(.operatorA), "expectedVersion": v1,
        ])
        let v2 = try #require(taken.int("version"))
        #expect(v2 == v1 + 1)
        let before = try await ticketSnapshot(system, id)
        let notificationsBefore = try await system.ok("notification.list", ["ticket": id]).objects("items")?.count

        let stale: [(RPCClient, String, JSON)] = [
            (careManager, "ticket.takeCharge", ["ticket": id, "classification": "bug", "priority": 1, "assignee": world.id(.operatorB)]),
            (careManager, "ticket.assign", ["ticket": id, "assignee": world.id(.operatorB)]),
            (careManager, "ticket.setPriority", ["ticket": id, "priority": 1]),
            (operatorA, "ticket.requestClarification", ["ticket": id, "message": "Quale browser usate?"]),
            (giulia, "ticket.addMessage", ["ticket": id, "body": "Usiamo Firefox."]),
            (operatorA, "ticket.close", ["ticket": id, "text": "Risolto."]),
        ]
        for (client, method, params) in stale {
            var withVersion = params
            withVersion["expectedVersion"] = v1
            let error = try await client.fails(method, withVersion, code: -32004)
            #expect(error.int("data.current") == v2, "\(method): \(error)")
            #expect(error.int("data.expected") == v1, "\(method): \(error)")
        }
        #expect(try await ticketSnapshot(system, id) == before, "nothing changed")
        #expect(try await system.ok("notification.list", ["ticket": id]).objects("items")?.count == notificationsBefore)
        // With the current version the same change goes through.
        let current = try await careManager.ok("ticket.setPriority", ["ticket": id, "priority": 1, "expectedVersion": v2])
        #expect(current.int("priority") == 1 && current.int("version") == v2 + 1)
    }
}
