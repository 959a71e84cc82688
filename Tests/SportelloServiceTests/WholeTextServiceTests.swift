import Foundation
import JSONRPC
@testable import SportelloService
import SportelloDomain
import Testing

// Customers' text with NUL (U+0000) bytes — valid JSON ("\u0000") and valid UTF-8 — is kept
// byte for byte from ticket.open to every answer that shows it; a search with a NUL is the
// caller's error (-32602), never -32603.
@Suite struct WholeTextServiceTests {
    let system = CallContext(transport: .socket, principal: .system)

    func world() async throws -> AccountHarness {
        let harness = try AccountHarness()
        try await harness.makeAcme()
        return harness
    }

    @Test("a body and a subject with NUL bytes are stored and returned whole, and found by search")
    func nulInTicketText() async throws {
        let harness = try await world()
        defer { harness.cleanUp() }
        let body = "before\u{0}after"
        let subject = "Sub\u{0}ject"
        let opened = try await harness.ok("ticket.open", [
            "contact": 1, "product": "zenshare-suite", "channel": "email", "subject": .string(subject), "body": .string(body),
        ], as: system)
        #expect(opened["subject"] == .string(subject))
        #expect(opened["messages"]?[0]?["text"] == .string(body))
        let read = try await harness.ok("ticket.get", ["ticket": 1], as: system)
        #expect(read["subject"] == .string(subject))
        #expect(read["messages"]?[0]?["text"] == .string(body))
        // A message and a closing text keep their NULs too.
        let answered = try await harness.ok("ticket.addMessage", ["ticket": 1, "body": "x\u{0}y", "internal": true], as: system)
        #expect(answered["messages"]?[1]?["text"] == "x\u{0}y")
        // The words after the NUL were indexed.
        let found = try await harness.ok("ticket.list", ["query": "after"], as: system)
        #expect(found["items"]?[0]?["id"] == 1)
        // The receipt quotes the subject whole.
        let notifications = try await harness.ok("notification.list", ["ticket": 1], as: system)
        #expect(notifications["items"]?[0]?["subject"]?.stringValue?.contains(subject) == true, "\(notifications)")
    }

    @Test("a search with a NUL is -32602 naming params.query")
    func nulInSearch() async throws {
        let harness = try await world()
        defer { harness.cleanUp() }
        for query in ["\u{0}", "word\u{0}", "\"\u{0}"] {
            let error = try await harness.fails("ticket.list", ["query": .string(query)], as: system, code: -32602)
            #expect(error["data"]?["field"] == "params.query")
            #expect(error["data"]?["reason"]?.stringValue?.contains("NUL") == true, "\(error)")
        }
    }

    @Test("idempotency keys that differ after a NUL are different keys")
    func nulInIdempotencyKey() async throws {
        let harness = try await world()
        defer { harness.cleanUp() }
        let first = try await harness.ok("ticket.open", [
            "contact": 1, "product": "zenshare-suite", "channel": "email", "subject": "Uno", "body": "Primo.",
            "idempotencyKey": "import\u{0}1",
        ], as: system)
        let second = try await harness.ok("ticket.open", [
            "contact": 1, "product": "zenshare-suite", "channel": "email", "subject": "Due", "body": "Secondo.",
            "idempotencyKey": "import\u{0}2",
        ], as: system)
        #expect(first["id"] == 1 && second["id"] == 2)
    }

    @Test("a login email with a NUL and more after it is not the account before the NUL")
    func nulInLoginEmail() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        let password = "correct horse battery staple"
        _ = try await harness.ok("staff.create", [
            "name": "Ada Admin", "email": "ada@interzen.example", "role": "admin", "password": .string(password),
        ], as: system)
        let anonymous = CallContext(transport: .socket, principal: nil)
        try await harness.fails("session.login", ["email": "ada@interzen.example\u{0}x", "password": .string(password)], as: anonymous, code: -32001)
        #expect(anonymous.principal == nil)
    }
}

extension JSONValue {
    /// The element at `index` of an array, else nil.
    fileprivate subscript(index: Int) -> JSONValue? {
        guard case .array(let values) = self, values.indices.contains(index) else { return nil }
        return values[index]
    }
}
