import Foundation
import JSONRPC
@testable import SportelloService
import SportelloDomain
import Testing

// A follow-up of a vulnerability is restricted like a vulnerability until a care manager
// classifies it, and a follow-up never shows anything of its origin (its number, the history
// row naming it) to someone who could not see the origin: not through ticket.get, ticket.list,
// its search, sla.status or ticket.history.
@Suite struct FollowUpVisibilityTests {
    let system = CallContext(transport: .socket, principal: .system)
    let careManager = CallContext(transport: .socket, principal: .staff(id: 3, role: .careManager))
    let reporter = CallContext(transport: .socket, principal: .contact(id: 1, customer: 1))
    let colleague = CallContext(transport: .socket, principal: .contact(id: 2, customer: 1))
    let verifier = CallContext(transport: .socket, principal: .staff(id: 1, role: .operator))
    let otherOperator = CallContext(transport: .socket, principal: .staff(id: 2, role: .operator))

    /// Acme with two contacts: Mario (1), who reports, and his colleague Luigi (2).
    func world() async throws -> AccountHarness {
        let harness = try AccountHarness()
        try await harness.makeAcme(contacts: [("Mario Rossi", "mario@acme.example"), ("Luigi Bianchi", "luigi@acme.example")])
        return harness
    }

    @Test("the follow-up of a closed vulnerability is the reporter's alone until classified, and never names its origin to others")
    func followUpOfAVulnerability() async throws {
        let harness = try await world()
        defer { harness.cleanUp() }
        for (name, email, role) in [
            ("Vera Verifica", "vera@interzen.example", "operator"), ("Otto Altro", "otto@interzen.example", "operator"),
            ("Carla Conti", "carla@interzen.example", "careManager"),
        ] {
            _ = try await harness.ok("staff.create", ["name": .string(name), "email": .string(email), "role": .string(role)], as: system)
        }

        // Mario reports a vulnerability; it is treated and closed.
        _ = try await harness.ok("ticket.open", [
            "product": "zenshare-suite", "channel": "portal", "subject": "Falla XSS nel portale clienti",
            "body": "Il campo ricerca esegue script iniettati.",
        ], as: reporter)
        _ = try await harness.ok("ticket.takeCharge", ["ticket": 1, "classification": "vulnerability", "priority": 1, "assignee": 1], as: careManager)
        _ = try await harness.ok("ticket.close", ["ticket": 1, "text": "Corretta nella versione 4.2."], as: careManager)
        try await harness.fails("ticket.get", ["ticket": 1], as: colleague, code: -32003)

        // Mario writes on it after it is closed: follow-up #2.
        let followUp = try await harness.ok("ticket.addMessage", [
            "ticket": 1, "body": "La correzione non copre il modulo zanzibarite.",
        ], as: reporter)
        #expect(followUp["id"] == 2)
        #expect(followUp["followUpOf"] == 1)
        #expect(followUp["subject"] == "Falla XSS nel portale clienti")

        // Luigi, of the same company, sees nothing of it.
        try await harness.fails("ticket.get", ["ticket": 2], as: colleague, code: -32003)
        try await harness.fails("sla.status", ["ticket": 2], as: colleague, code: -32003)
        try await harness.fails("ticket.addMessage", ["ticket": 2, "body": "Anche da noi."], as: colleague, code: -32003)
        for params: JSONValue in [[:], ["query": "XSS"], ["query": "zanzibarite"], ["customer": "ACME"], ["status": "new"]] {
            let list = try await harness.ok("ticket.list", params, as: colleague)
            #expect(list["items"] == [], "\(params): \(list)")
        }
        // Mario finds it.
        let found = try await harness.ok("ticket.list", ["query": "zanzibarite"], as: reporter)
        #expect(found["items"]?.arrayValue?.count == 1)

        // The care manager classifies it as a bug for another operator: the company sees it now,
        // but not its origin's number, and neither does that operator.
        _ = try await harness.ok("ticket.takeCharge", ["ticket": 2, "classification": "bug", "priority": 2, "assignee": 2], as: careManager)
        let seenByColleague = try await harness.ok("ticket.get", ["ticket": 2], as: colleague)
        #expect(seenByColleague["followUpOf"] == .null)
        let listed = try await harness.ok("ticket.list", ["query": "zanzibarite"], as: colleague)
        #expect(listed["items"]?.arrayValue?.first?["followUpOf"] == .null, "\(listed)")
        let seenByOperator = try await harness.ok("ticket.get", ["ticket": 2], as: otherOperator)
        #expect(seenByOperator["followUpOf"] == .null)
        let history = try await harness.ok("ticket.history", ["ticket": 2], as: otherOperator)
        #expect(!"\(history)".contains("followUpOf"), "\(history)")
        // Who may see the origin still sees the link.
        #expect(try await harness.ok("ticket.get", ["ticket": 2], as: reporter)["followUpOf"] == 1)
        #expect(try await harness.ok("ticket.get", ["ticket": 2], as: careManager)["followUpOf"] == 1)
        let fullHistory = try await harness.ok("ticket.history", ["ticket": 2], as: careManager)
        #expect("\(fullHistory)".contains("followUpOf"))
    }

    @Test("a follow-up classified as a vulnerability again stays restricted; one of an ordinary ticket is the company's")
    func classificationDecidesAfterTakeCharge() async throws {
        let harness = try await world()
        defer { harness.cleanUp() }
        _ = try await harness.ok("staff.create", ["name": "Vera Verifica", "email": "vera@interzen.example", "role": "operator"], as: system)
        _ = try await harness.ok("ticket.open", ["product": "zenshare-suite", "channel": "portal", "subject": "Token esposto", "body": "Nei log."], as: reporter)
        _ = try await harness.ok("ticket.takeCharge", ["ticket": 1, "classification": "vulnerability", "priority": 1, "assignee": 1], as: system)
        _ = try await harness.ok("ticket.close", ["ticket": 1], as: system)
        _ = try await harness.ok("ticket.addMessage", ["ticket": 1, "body": "Ancora nei log."], as: reporter)
        _ = try await harness.ok("ticket.takeCharge", ["ticket": 2, "classification": "vulnerability", "priority": 1, "assignee": 1], as: system)
        try await harness.fails("ticket.get", ["ticket": 2], as: colleague, code: -32003)

        // An ordinary ticket's follow-up is visible to the whole company, origin included.
        _ = try await harness.ok("ticket.open", ["product": "zenshare-suite", "channel": "portal", "subject": "Stampa lenta", "body": "Molto."], as: reporter)
        _ = try await harness.ok("ticket.takeCharge", ["ticket": 3, "classification": "outOfScope", "priority": 4], as: system)
        _ = try await harness.ok("ticket.close", ["ticket": 3], as: system)
        _ = try await harness.ok("ticket.addMessage", ["ticket": 3, "body": "Ancora lenta."], as: reporter)
        #expect(try await harness.ok("ticket.get", ["ticket": 4], as: colleague)["followUpOf"] == 3)
    }
}

extension JSONValue {
    fileprivate var arrayValue: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }
}
