import Foundation
import JSONRPC
@testable import SportelloService
import SportelloDomain
import Testing

// Quote validity against a clock the test moves: a quote is valid through the whole of its
// validUntil day in Rome, and expired from the next Rome midnight (derived on read, like the SLA
// state); accepting it then is -32006 and changes nothing.

/// How many elements a JSON array has (nil for anything else).
private func count(_ value: JSONValue) -> Int? {
    if case .array(let items) = value { return items.count }
    return nil
}

@Suite struct QuoteExpiryTests {
    private let system = CallContext(transport: .socket, principal: .system)

    @Test("sent on 1 December for 10 days: valid through 23:59 in Rome on 11 December, expired at Rome's midnight; accepting then is -32006")
    func expiry() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        try await harness.makeAcme()
        _ = try await harness.ok("staff.create", ["name": "Luca Ferri", "email": "luca@interzen.example", "role": "operator"], as: system)
        _ = try await harness.ok("priceList.set", ["hourlyRate": ["amount": "85.00", "currency": "EUR"]], as: system)
        try await harness.openTickets(["Nuovo report"])
        _ = try await harness.ok("ticket.takeCharge", ["ticket": 1, "classification": "evolutionaryChange", "priority": 3], as: system)
        // The harness's clock starts at 2026-12-01T09:00Z, 10:00 in Rome (CET, UTC+1).
        let draft = try await harness.ok("quote.create", [
            "ticket": 1, "estimate": ["hours": 1], "description": "Un report.", "assignee": 1, "validDays": 10,
        ], as: system)
        // 1 hour at 85.00 = 85.00.
        #expect(draft["amount"] == ["amount": "85.00", "currency": "EUR"])
        let sent = try await harness.ok("quote.send", ["quote": 1], as: system)
        // Sent on Rome's 1 December: valid through 1 + 10 = 11 December.
        #expect(sent["validUntil"] == "2026-12-11")
        #expect(sent["status"] == "sent")

        // 2026-12-11T22:59Z is 23:59 on 11 December in Rome: still valid.
        harness.clock.advance(RFC3339.parse("2026-12-11T22:59:00Z")!.timeIntervalSince(harness.clock.now))
        #expect(try await harness.ok("quote.get", ["quote": 1], as: system)["status"] == "sent")
        let listedSent = try await harness.ok("quote.list", ["status": "sent"], as: system)
        #expect(listedSent["items"].map(count) == 1)

        // 2026-12-11T23:00Z is midnight, 12 December, in Rome: expired.
        harness.clock.advance(60)
        #expect(try await harness.ok("quote.get", ["quote": 1], as: system)["status"] == "expired")
        #expect(try await harness.ok("quote.list", ["status": "expired"], as: system)["items"].map(count) == 1)
        #expect(try await harness.ok("quote.list", ["status": "sent"], as: system)["items"].map(count) == 0)
        let refused = try await harness.fails("quote.accept", ["quote": 1, "note": "per telefono"], as: system, code: -32006)
        #expect(refused["data"]?["validUntil"] == "2026-12-11")
        // Nothing changed: the ticket still waits on the quote, no task, no package touched.
        #expect(try await harness.ok("ticket.get", ["ticket": 1], as: system)["status"] == "quoted")
        #expect(try await harness.ok("task.list", ["ticket": 1], as: system)["items"].map(count) == 0)
        // Refusing it is -32006 too: there is nothing left to refuse.
        try await harness.fails("quote.reject", ["quote": 1], as: system, code: -32006)
    }
}
