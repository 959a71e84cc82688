import Foundation

/// The rules of a new ticket's intake: when it was received, who it is for, and the language
/// every notification about it is written in. The service looks the people up; these decide.
public enum TicketIntake {
    /// Who is opening the ticket.
    public enum Caller: Sendable, Hashable {
        /// A customer's contact, for their own company.
        case contact(id: Int64, customer: Int64)
        /// Staff (or the system), on a customer's behalf; `mayBackdate` for admins and the system.
        case staff(mayBackdate: Bool)
    }

    /// The instant the ticket was received: now, unless an admin or the system gives an earlier
    /// one (imports, the mail channel's own receipt time). A given instant may be at most 1 s
    /// ahead of the server's clock (clients' clocks differ by that much), never further.
    public static func receivedAt(requested: Date?, now: Date, caller: Caller) -> Result<Date, WorkflowError> {
        guard let requested else { return .success(now) }
        guard case .staff(mayBackdate: true) = caller else {
            return .failure(.forbidden(reason: "receivedAt is for imports and the mail channel: admin or system only"))
        }
        guard requested <= now.addingTimeInterval(1) else {
            return .failure(.invalid(field: "receivedAt", reason: "must not be in the future"))
        }
        return .success(requested)
    }

    /// The contact a contact's ticket is reported by: the contact themselves, whatever contact
    /// they name.
    public static func reporter(for caller: Caller, named given: Int64?) -> Result<Int64?, WorkflowError> {
        switch caller {
        case .contact(let id, _):
            if let given, given != id { return .failure(.forbidden(reason: "a contact opens tickets as themselves")) }
            return .success(id)
        case .staff:
            return .success(given)
        }
    }

    /// The customer a ticket opened by staff is for: the named contact's company, which a named
    /// customer must agree with; or the named customer alone. One of the two must be named.
    public static func customer(contactCompany: Int64?, namedCustomer: Int64?) -> Result<Int64, WorkflowError> {
        switch (contactCompany, namedCustomer) {
        case (let company?, let named?) where company != named:
            return .failure(.invalid(field: "contact", reason: "the contact does not belong to that customer"))
        case (let company?, _):
            return .success(company)
        case (nil, let named?):
            return .success(named)
        case (nil, nil):
            return .failure(.invalid(field: "contact", reason: "name the contact (or at least the customer) the ticket is for"))
        }
    }

    /// The ticket's language (docs/product.md §8): the one the caller states, else the one its
    /// first message is written in (when the detector can tell), else the contact's, else the
    /// customer's.
    public static func language(explicit: Language?, detected: Language?, contact: Language?, customer: Language) -> Language {
        explicit ?? detected ?? contact ?? customer
    }
}
