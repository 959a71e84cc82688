import Foundation
import JSONRPC
@testable import SportelloService
import SportelloDomain
import Testing

// The small world the ticket suites share: a customer with its contacts and a few tickets,
// created as the system through the dispatcher.
extension AccountHarness {
    /// Acme S.p.A. (customer 1) and `contacts` (ids 1, 2, … in order).
    func makeAcme(contacts: [(name: String, email: String)] = [("Mario Rossi", "mario@acme.example")]) async throws {
        let system = CallContext(transport: .socket, principal: .system)
        _ = try await ok("customer.create", ["code": "ACME", "name": "Acme S.p.A.", "language": "it", "email": "it@acme.example"], as: system)
        for contact in contacts {
            _ = try await ok("contact.create", ["customer": "ACME", "name": .string(contact.name), "email": .string(contact.email)], as: system)
        }
    }

    /// One ticket per subject for contact 1, opened by the system.
    func openTickets(_ subjects: [String]) async throws {
        let system = CallContext(transport: .socket, principal: .system)
        for subject in subjects {
            _ = try await ok("ticket.open", [
                "contact": 1, "product": "zenshare-suite", "channel": "email", "subject": .string(subject), "body": "Testo.",
            ], as: system)
        }
    }
}
