import Foundation
import JSONRPC
@testable import SportelloService
import SportelloDomain
import Testing

// The SLA clocks of one bug, with the server's clock moved by hand, so that the paused working
// time is known exactly (the end-to-end scenario pauses at the real clock).
@Suite struct TicketSLATests {
    @Test("waiting for the customer moves the resolution deadline by exactly the working time waited")
    func pauseMovesTheDeadline() async throws {
        let harness = try AccountHarness()  // clock: Tuesday 2026-12-01 09:00Z = 10:00 in Rome
        defer { harness.cleanUp() }
        let system = CallContext(transport: .socket, principal: .system)
        _ = try await harness.ok("customer.create", ["code": "ACME", "name": "Acme S.p.A.", "language": "it", "email": "it@acme.example"], as: system)
        _ = try await harness.ok("customer.addSubscription", ["customer": "ACME", "product": "zenshare-suite", "mode": "cloudSaas"], as: system)
        _ = try await harness.ok("contact.create", ["customer": "ACME", "name": "Mario Rossi", "email": "mario@acme.example"], as: system)
        _ = try await harness.ok("staff.create", ["name": "Luca Verdi", "email": "luca@interzen.example", "role": "operator"], as: system)
        let assignee = CallContext(transport: .socket, principal: .staff(id: 1, role: .operator))
        let contact = CallContext(transport: .socket, principal: .contact(id: 1, customer: 1))

        // Received Tuesday 08:00 Rome (07:00Z), when the desk opens.
        _ = try await harness.ok("ticket.open", [
            "contact": 1, "product": "zenshare-suite", "channel": "email", "receivedAt": "2026-12-01T08:00:00+01:00",
            "subject": "Impossibile accedere", "body": "Buongiorno, da stamattina non riusciamo ad accedere al portale.",
        ], as: system)
        // Taken in charge at 10:00 Rome as a priority-2 bug: charge taking (4 h, due 12:00 Rome) is met.
        let taken = try await harness.ok(
            "ticket.takeCharge", ["ticket": 1, "classification": "bug", "priority": 2, "assignee": 1], as: system)
        #expect(taken["sla"]?["clocks"]?["chargeTaking"]?["state"] == "met")
        #expect(taken["sla"]?["clocks"]?["chargeTaking"]?["due"] == "2026-12-01T11:00:00Z")
        // Resolution, 2 working days = 1260 min: Tuesday 08:00–18:30 (630) + Wednesday 08:00–18:30 (630)
        // → Wednesday 18:30 Rome = 17:30Z.
        #expect(taken["sla"]?["clocks"]?["resolution"]?["due"] == "2026-12-02T17:30:00Z")

        // The assignee asks for clarification at 10:00 Rome; the clock pauses.
        let waiting = try await harness.ok("ticket.requestClarification", ["ticket": 1, "message": "Quale browser usate?"], as: assignee)
        #expect(waiting["status"] == "waitingCustomer")
        #expect(waiting["sla"]?["clocks"]?["resolution"]?["state"] == "paused")

        // The customer answers two hours later, at 12:00 Rome: 120 working minutes were waited.
        harness.clock.advance(2 * 3600)
        let answered = try await harness.ok("ticket.addMessage", ["ticket": 1, "body": "Usiamo Firefox 133."], as: contact)
        #expect(answered["status"] == "assigned")
        let resolution = try #require(answered["sla"]?["clocks"]?["resolution"])
        #expect(resolution["paused"] == ["minutes": 120])
        // Wednesday 18:30 + 120 working minutes: Thursday 08:00 + 120 = 10:00 Rome = 09:00Z.
        #expect(resolution["due"] == "2026-12-03T09:00:00Z")
        #expect(resolution["state"] == "running")
        // Elapsed: 08:00–10:00 before the pause, nothing while waiting, 12:00–12:00 after: 120 minutes.
        #expect(resolution["elapsed"] == ["minutes": 120])
        #expect(resolution["remaining"] == ["minutes": 1140])

        // The same answer from sla.status, and from the history it is derived from.
        let status = try await harness.ok("sla.status", ["ticket": 1], as: system)
        #expect(status["clocks"]?["resolution"]?["due"] == "2026-12-03T09:00:00Z")

        // Closed on Thursday at 11:00 Rome, after the moved deadline: breached at the deadline.
        harness.clock.advance(47 * 3600)  // Thursday 2026-12-03 10:00Z = 11:00 Rome
        let closed = try await harness.ok("ticket.close", ["ticket": 1, "text": "Risolto."], as: assignee)
        #expect(closed["sla"]?["clocks"]?["resolution"]?["state"] == "breached")
        #expect(closed["sla"]?["clocks"]?["resolution"]?["breachedAt"] == "2026-12-03T09:00:00Z")
        #expect(closed["sla"]?["state"] == "breached")
    }
}
