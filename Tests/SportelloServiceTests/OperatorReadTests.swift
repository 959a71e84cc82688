import Foundation
import JSONRPC
@testable import SportelloService
import SportelloDomain
import Testing

// docs/product.md §2: every read of a ticket by staff other than admins and care managers is recorded.
// ticket.get always did; sla.status, ticket.list (each ticket it returns), ticket.history and
// notification.list (the tickets its notifications quote) now do too.
@Suite struct OperatorReadTests {
    let system = CallContext(transport: .socket, principal: .system)
    let careManager = CallContext(transport: .socket, principal: .staff(id: 2, role: .careManager))
    let assignee = CallContext(transport: .socket, principal: .staff(id: 1, role: .operator))

    /// The `read` rows of `ticket`'s history, by actor id.
    func reads(_ harness: AccountHarness, ticket: Int) async throws -> [JSONValue] {
        let history = try await harness.ok("ticket.history", ["ticket": .int(Int64(ticket))], as: system)
        guard case .array(let items)? = history["items"] else { return [] }
        return items.filter { $0["action"] == "read" }.compactMap { $0["actor"]?["id"] }
    }

    @Test("an operator's reads through every method that shows a ticket are recorded, one row per ticket shown")
    func everyReadIsRecorded() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        try await harness.makeAcme()
        _ = try await harness.ok("staff.create", ["name": "Orazio Orlandi", "email": "orazio@interzen.example", "role": "operator"], as: system)
        _ = try await harness.ok("staff.create", ["name": "Carla Conti", "email": "carla@interzen.example", "role": "careManager"], as: system)
        try await harness.openTickets(["Primo", "Secondo", "Terzo"])
        // #1 and #2 are the operator's; #3 is nobody's.
        for ticket in [1, 2] {
            _ = try await harness.ok("ticket.takeCharge", ["ticket": .int(Int64(ticket)), "classification": "bug", "priority": 3, "assignee": 1], as: system)
        }

        _ = try await harness.ok("sla.status", ["ticket": 1], as: assignee)
        #expect(try await reads(harness, ticket: 1) == [1])
        let list = try await harness.ok("ticket.list", [:], as: assignee)
        #expect(list["items"].map { if case .array(let items) = $0 { items.count } else { 0 } } == 2)
        #expect(try await reads(harness, ticket: 1) == [1, 1])
        #expect(try await reads(harness, ticket: 2) == [1])
        _ = try await harness.ok("notification.list", ["ticket": 2], as: assignee)
        #expect(try await reads(harness, ticket: 2) == [1, 1])
        _ = try await harness.ok("ticket.history", ["ticket": 2], as: assignee)
        #expect(try await reads(harness, ticket: 2) == [1, 1, 1])
        _ = try await harness.ok("ticket.get", ["ticket": 2], as: assignee)
        #expect(try await reads(harness, ticket: 2) == [1, 1, 1, 1])
        #expect(try await reads(harness, ticket: 3) == [])

        // Care managers' reads are not recorded.
        _ = try await harness.ok("ticket.list", [:], as: careManager)
        _ = try await harness.ok("sla.status", ["ticket": 3], as: careManager)
        _ = try await harness.ok("notification.list", [:], as: careManager)
        #expect(try await reads(harness, ticket: 3) == [])
    }
}
