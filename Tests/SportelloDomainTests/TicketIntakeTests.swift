import Foundation
import SportelloDomain
import Testing

@Suite struct TicketIntakeTests {
    let now = Date(timeIntervalSince1970: 1_796_112_000)  // Tuesday 1 December 2026, 09:00 in Rome
    let contact = TicketIntake.Caller.contact(id: 7, customer: 3)
    let operatorCaller = TicketIntake.Caller.staff(mayBackdate: false)
    let admin = TicketIntake.Caller.staff(mayBackdate: true)

    @Test("receivedAt: now when not given; an admin may backdate it, and be 1 s ahead of the clock but no more; others may not set it")
    func receivedAt() {
        #expect(TicketIntake.receivedAt(requested: nil, now: now, caller: contact) == .success(now))
        let monday = now.addingTimeInterval(-86_400)
        #expect(TicketIntake.receivedAt(requested: monday, now: now, caller: admin) == .success(monday))
        // 1 s ahead: clients' clocks differ by that much. 1.001 s ahead is the future.
        #expect(TicketIntake.receivedAt(requested: now.addingTimeInterval(1), now: now, caller: admin) == .success(now.addingTimeInterval(1)))
        #expect(TicketIntake.receivedAt(requested: now.addingTimeInterval(1.001), now: now, caller: admin)
            == .failure(.invalid(field: "receivedAt", reason: "must not be in the future")))
        for caller in [contact, operatorCaller] {
            guard case .failure(.forbidden) = TicketIntake.receivedAt(requested: monday, now: now, caller: caller) else {
                Issue.record("\(caller) backdated a ticket")
                continue
            }
        }
    }

    @Test("a contact reports as themselves (naming themselves is fine, naming another is forbidden); staff report as the contact they name, or nobody")
    func reporter() {
        #expect(TicketIntake.reporter(for: contact, named: nil) == .success(7))
        #expect(TicketIntake.reporter(for: contact, named: 7) == .success(7))
        #expect(TicketIntake.reporter(for: contact, named: 8) == .failure(.forbidden(reason: "a contact opens tickets as themselves")))
        #expect(TicketIntake.reporter(for: operatorCaller, named: 8) == .success(8))
        #expect(TicketIntake.reporter(for: admin, named: nil) == .success(nil))
    }

    @Test("staff name the contact (its company decides), the customer, or both when they agree; neither is an error naming params.contact")
    func customer() {
        #expect(TicketIntake.customer(contactCompany: 3, namedCustomer: nil) == .success(3))
        #expect(TicketIntake.customer(contactCompany: 3, namedCustomer: 3) == .success(3))
        #expect(TicketIntake.customer(contactCompany: nil, namedCustomer: 4) == .success(4))
        #expect(TicketIntake.customer(contactCompany: 3, namedCustomer: 4)
            == .failure(.invalid(field: "contact", reason: "the contact does not belong to that customer")))
        guard case .failure(.invalid(field: "contact", _)) = TicketIntake.customer(contactCompany: nil, namedCustomer: nil) else {
            Issue.record("a ticket for nobody was accepted")
            return
        }
    }

    @Test("language: stated, else detected, else the contact's, else the customer's")
    func language() {
        #expect(TicketIntake.language(explicit: .en, detected: .it, contact: .it, customer: .it) == .en)
        #expect(TicketIntake.language(explicit: nil, detected: .it, contact: .en, customer: .en) == .it)
        #expect(TicketIntake.language(explicit: nil, detected: nil, contact: .en, customer: .it) == .en)
        #expect(TicketIntake.language(explicit: nil, detected: nil, contact: nil, customer: .it) == .it)
    }
}
