import Foundation
import JSONRPC
@testable import SportelloService
import SportelloDomain
import Testing

// Who is calling is checked before what they sent: an anonymous caller is -32001 and a caller
// of the wrong kind -32002 whatever the params, so that the answer tells them nothing about
// params they may not use.
@Suite struct AccessOrderTests {
    @Test("anonymous calls with bad params are -32001, for every method that needs a session")
    func anonymousBeforeParams() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        let anonymous = CallContext(transport: .socket, principal: nil)
        let calls: [(String, JSONValue)] = [
            ("ticket.takeCharge", ["ticket": 1, "classification": "nonsense", "priority": 9]),
            ("ticket.open", ["subject": 42]),
            ("ticket.get", [:]),
            ("ticket.list", ["status": "nonsense", "unknownParam": true]),
            ("ticket.addMessage", ["ticket": "one"]),
            ("sla.status", ["ticket": -1, "extra": 1]),
            ("notification.list", ["kind": 3]),
            ("customer.create", ["code": "bad code!"]),
            ("customer.get", [:]),
            ("customer.list", ["limit": "ten"]),
            ("contact.create", ["email": "not an email"]),
            ("staff.create", ["role": "king"]),
            ("calendar.addClosure", ["calendar": "interzen-support", "from": "not a date"]),
            ("calendar.removeHoliday", [:]),
        ]
        for (method, params) in calls {
            let error = try await harness.fails(method, params, as: anonymous, code: -32001)
            #expect(error["data"]?["field"] == nil, "\(method) named a field to an anonymous caller: \(error)")
        }
    }

    @Test("a contact calling a staff or admin method with bad params is -32002")
    func forbiddenBeforeParams() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        let contact = CallContext(transport: .socket, principal: .contact(id: 1, customer: 1))
        let careManager = CallContext(transport: .socket, principal: .staff(id: 1, role: .careManager))
        try await harness.fails("customer.create", ["code": "bad code!", "language": "fr"], as: contact, code: -32002)
        try await harness.fails("staff.create", ["role": "king"], as: careManager, code: -32002)
        try await harness.fails("calendar.addClosure", ["calendar": "interzen-support", "from": "x"], as: careManager, code: -32002)
        try await harness.fails("notification.list", ["kind": "nonsense"], as: contact, code: -32002)
        try await harness.fails("contact.create", ["email": "not an email"], as: contact, code: -32002)
        // Allowed callers still get the params error.
        let error = try await harness.fails(
            "ticket.takeCharge", ["ticket": 1, "classification": "nonsense", "priority": 2], as: careManager, code: -32602)
        #expect(error["data"]?["field"] == "params.classification")
    }
}
