// Support for the paid-work suite (PaidWorkTests): one customer company with its own portal
// contact per test (support packages belong to a customer, so tests never share hours), the
// suite's price list, money and duration literals, and an independent model of the customer's
// calendar day (Europe/Rome) with the date words the notifications use.

import Foundation
import Testing

// MARK: Literals

/// `{"amount": "85.00", "currency": "EUR"}`.
func eur(_ amount: String) -> JSON { ["amount": amount, "currency": "EUR"] }

/// `{"minutes": n}`.
func minutes(_ count: Int) -> JSON { ["minutes": count] }

extension Dictionary where Key == String, Value == Any {
    /// The minutes of the duration at `path` (`{"minutes": n}`), or nil.
    func minutesAt(_ path: String) -> Int? { int(path + ".minutes") }

    /// The wire amount of the money at `path` (`"552.50"`), after checking the currency is EUR.
    func euros(_ path: String) -> String? {
        guard string(path + ".currency") == "EUR" else { return nil }
        return string(path + ".amount")
    }
}

// MARK: The customer's calendar day

/// A day of the Europe/Rome calendar, as the server counts "today" for quotes, worklogs and
/// packages.
struct RomeDay: Sendable, Equatable, CustomStringConvertible {
    let year: Int
    let month: Int
    let day: Int

    static func today() -> RomeDay {
        let parts = InterzenSupport.rome.dateComponents([.year, .month, .day], from: Date())
        return RomeDay(year: parts.year!, month: parts.month!, day: parts.day!)
    }

    /// `YYYY-MM-DD`.
    var iso: String { String(format: "%04d-%02d-%02d", year, month, day) }
    /// `YYYY-MM`, as billing.statement takes it.
    var monthText: String { String(format: "%04d-%02d", year, month) }
    var description: String { iso }

    func adding(days: Int) -> RomeDay {
        let noon = InterzenSupport.rome(year, month, day, 12)
        let later = InterzenSupport.rome.date(byAdding: .day, value: days, to: noon)!
        let parts = InterzenSupport.rome.dateComponents([.year, .month, .day], from: later)
        return RomeDay(year: parts.year!, month: parts.month!, day: parts.day!)
    }

    private static let italianMonths = ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio",
                                        "agosto", "settembre", "ottobre", "novembre", "dicembre"]
    private static let englishMonths = ["January", "February", "March", "April", "May", "June", "July",
                                        "August", "September", "October", "November", "December"]

    /// "15 gennaio 2027" ("1° marzo 2027": Italian writes the first of the month as an ordinal) /
    /// "15 January 2027".
    func words(_ language: String) -> String {
        if language == "it" {
            return "\(day == 1 ? "1°" : String(day)) \(Self.italianMonths[month - 1]) \(year)"
        }
        return "\(day) \(Self.englishMonths[month - 1]) \(year)"
    }
}

// MARK: Money and hours as the customer reads them

/// "1.277,50 €" in Italian, "€1,277.50" in English, from a wire amount "1277.50".
func displayMoney(_ wire: String, _ language: String) -> String {
    let parts = wire.split(separator: ".")
    let units = String(parts[0])
    let cents = String(parts[1])
    var grouped = ""
    for (index, digit) in units.enumerated() {
        if index > 0, (units.count - index) % 3 == 0 { grouped.append(language == "it" ? "." : ",") }
        grouped.append(digit)
    }
    return language == "it" ? "\(grouped),\(cents) €" : "€\(grouped).\(cents)"
}

/// "6 ore e 30 minuti", "1 ora e 45 minuti", "6 ore" / "6 hours 30 minutes", "1 hour 45 minutes".
func displayHours(_ total: Int, _ language: String) -> String {
    let h = total / 60, m = total % 60
    let hourPart = language == "it" ? (h == 1 ? "1 ora" : "\(h) ore") : (h == 1 ? "1 hour" : "\(h) hours")
    let minutePart = language == "it" ? (m == 1 ? "1 minuto" : "\(m) minuti") : (m == 1 ? "1 minute" : "\(m) minutes")
    if m == 0 { return hourPart }
    if h == 0 { return minutePart }
    return language == "it" ? "\(hourPart) e \(minutePart)" : "\(hourPart) \(minutePart)"
}

// MARK: The suite's price list

/// The one price list every paid-work test sets (the list is global to the server, and the
/// suite's tests run in parallel: they all set the same one, so no test sees another's).
enum SuitePriceList {
    static let hourlyRate = "85.00"
    static var offers: [JSON] {
        [
            ["name": "Pacchetto 20 ore", "hours": 20, "price": eur("1600.00"), "validityMonths": 12],
            ["name": "Pacchetto 50 ore", "hours": 50, "price": eur("3750.00"), "validityMonths": 12],
        ]
    }

    @discardableResult
    static func set(_ admin: RPCClient, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSON {
        try await admin.ok("priceList.set", ["hourlyRate": eur(hourlyRate), "packageOffers": offers], sourceLocation: sourceLocation)
    }
}

// MARK: A customer of one's own

/// A customer company created for one test, with one portal contact signed in on a connection
/// of its own.
struct PaidCustomer: Sendable {
    let id: Int
    let code: String
    let language: String
    let contactID: Int
    let contactName: String
    let contactEmail: String
    let contact: RPCClient
}

extension TicketWorld {
    /// A new customer (unique code) with a cloudSaas subscription and a contact with a password,
    /// signed in (session.login) on a new connection.
    func paidCustomer(
        language: String, name: String, contactName: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> PaidCustomer {
        let system = try await client(.system)
        let code = uniqueWord("PW").uppercased()
        let domain = "\(code.lowercased()).example"
        let customer = try await system.ok("customer.create", [
            "code": code, "name": name, "language": language, "email": "info@\(domain)",
        ], sourceLocation: sourceLocation)
        let id = try #require(customer.int("id"), sourceLocation: sourceLocation)
        _ = try await system.ok("customer.addSubscription", ["customer": id, "product": Self.product, "mode": "cloudSaas"],
                                sourceLocation: sourceLocation)
        let email = "referente@\(domain)"
        let contact = try await system.ok("contact.create", [
            "customer": id, "name": contactName, "email": email, "password": Self.password,
        ], sourceLocation: sourceLocation)
        let contactID = try #require(contact.int("id"), sourceLocation: sourceLocation)
        let signedIn = try await signIn(email: email, expecting: contactID, sourceLocation: sourceLocation)
        return PaidCustomer(
            id: id, code: code, language: language, contactID: contactID, contactName: contactName, contactEmail: email,
            contact: signedIn)
    }

    /// Another contact of `customer`, signed in on a new connection.
    func addContact(
        to customer: PaidCustomer, name: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (id: Int, client: RPCClient) {
        let system = try await client(.system)
        let email = "\(uniqueWord("c"))@\(customer.code.lowercased()).example"
        let contact = try await system.ok("contact.create", [
            "customer": customer.id, "name": name, "email": email, "password": Self.password,
        ], sourceLocation: sourceLocation)
        let contactID = try #require(contact.int("id"), sourceLocation: sourceLocation)
        return (contactID, try await signIn(email: email, expecting: contactID, sourceLocation: sourceLocation))
    }

    /// A new session (session.login) on a new connection, for a staff account or a contact.
    func signIn(email: String, expecting id: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws -> RPCClient {
        let client = RPCClient(try server.connect(), who: email)
        let login = try await client.ok("session.login", ["email": email, "password": Self.password], sourceLocation: sourceLocation)
        #expect(login.int("principal.id") == id, "\(email) signed in as \(login)", sourceLocation: sourceLocation)
        return client
    }

    func signIn(_ who: Who, sourceLocation: SourceLocation = #_sourceLocation) async throws -> RPCClient {
        try await signIn(email: who.email, expecting: id(who), sourceLocation: sourceLocation)
    }

    // MARK: Steps of the paid-work flow

    /// The contact opens a ticket on the portal and a care manager takes charge of it with
    /// `classification` (→ `inCharge`); returns the ticket's id.
    func openPaidTicket(
        _ customer: PaidCustomer, classification: String, subject: String, body: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Int {
        let opened = try await customer.contact.ok("ticket.open", [
            "product": Self.product, "channel": "portal", "subject": subject, "body": body,
        ], sourceLocation: sourceLocation)
        let id = opened.ticketID
        #expect(opened.string("status") == "new", sourceLocation: sourceLocation)
        let careManager = try await client(.careManager)
        let taken = try await careManager.ok("ticket.takeCharge", ["ticket": id, "classification": classification, "priority": 3],
                                             sourceLocation: sourceLocation)
        #expect(taken.string("status") == "inCharge", "\(classification) goes to inCharge: \(taken)", sourceLocation: sourceLocation)
        #expect(taken.string("classification") == classification, sourceLocation: sourceLocation)
        return id
    }

    /// A care manager creates a quote of `estimate` minutes for operator A and sends it; returns
    /// the sent quote.
    func sentQuote(
        ticket: Int, estimate: Int, description: String = "Intervento come da analisi.", extra: JSON = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JSON {
        let careManager = try await client(.careManager)
        var params: JSON = ["ticket": ticket, "estimate": minutes(estimate), "description": description, "assignee": id(.operatorA)]
        for (key, value) in extra { params[key] = value }
        let draft = try await careManager.ok("quote.create", params, sourceLocation: sourceLocation)
        let quoteID = try #require(draft.int("id"), sourceLocation: sourceLocation)
        let sent = try await careManager.ok("quote.send", ["quote": quoteID], sourceLocation: sourceLocation)
        #expect(sent.string("status") == "sent", sourceLocation: sourceLocation)
        return sent
    }

    /// A care manager records a package of `hours` bought by the customer, starting today.
    func orderPackage(
        for customer: Int, hours: Int, price: String, reference: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JSON {
        let careManager = try await client(.careManager)
        var params: JSON = ["customer": customer, "hours": ["hours": hours], "price": eur(price), "startsOn": RomeDay.today().iso]
        if let reference { params["reference"] = reference }
        let package = try await careManager.ok("package.order", params, sourceLocation: sourceLocation)
        #expect(package.minutesAt("hours") == hours * 60, sourceLocation: sourceLocation)
        #expect(package.string("status") == "active", sourceLocation: sourceLocation)
        return package
    }

    /// The package's (reserved, consumed, available) minutes, checking that they add up to
    /// what was bought and that none is negative.
    func balance(
        of package: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (reserved: Int, consumed: Int, available: Int) {
        let careManager = try await client(.careManager)
        let row = try await careManager.ok("package.get", ["package": package], sourceLocation: sourceLocation)
        let reserved = try #require(row.minutesAt("reserved"), "\(row)", sourceLocation: sourceLocation)
        let consumed = try #require(row.minutesAt("consumed"), "\(row)", sourceLocation: sourceLocation)
        let available = try #require(row.minutesAt("available"), "\(row)", sourceLocation: sourceLocation)
        let bought = try #require(row.minutesAt("hours"), "\(row)", sourceLocation: sourceLocation)
        #expect(reserved >= 0 && consumed >= 0 && available >= 0, "package \(package) went negative: \(row)",
                sourceLocation: sourceLocation)
        #expect(reserved + consumed + available == bought, "package \(package): reserved + consumed + available ≠ bought: \(row)",
                sourceLocation: sourceLocation)
        return (reserved, consumed, available)
    }

    /// The only task of `ticket` (staff view).
    func task(of ticket: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSON {
        let careManager = try await client(.careManager)
        let tasks = try await careManager.ok("task.list", ["ticket": ticket], sourceLocation: sourceLocation).objects("items") ?? []
        #expect(tasks.count == 1, "one task for #\(ticket): \(tasks)", sourceLocation: sourceLocation)
        return try #require(tasks.first, "no task for #\(ticket)", sourceLocation: sourceLocation)
    }

    /// The ticket's notifications of `kind`, newest first.
    func notifications(_ ticket: Int, kind: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [JSON] {
        let careManager = try await client(.careManager)
        return try await careManager.ok("notification.list", ["ticket": ticket, "kind": kind], sourceLocation: sourceLocation)
            .objects("items") ?? []
    }

    func ticketStatus(_ ticket: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String? {
        let careManager = try await client(.careManager)
        return try await careManager.ok("ticket.get", ["ticket": ticket], sourceLocation: sourceLocation).string("status")
    }
}

/// Checks a customer-facing paid-work notification: kind, ticket, language, recipient, the tag
/// in the subject and body, the ticket's subject, the phrases the body must contain and the
/// other language's phrases it must not.
func expectPaidNotification(
    _ row: JSON?, kind: String, ticket: Int, language: String, to: String, ticketSubject: String,
    contains phrases: [String], sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let row else {
        Issue.record("no \(kind) notification for #\(ticket)", sourceLocation: sourceLocation)
        return
    }
    #expect(row.string("kind") == kind, sourceLocation: sourceLocation)
    #expect(row.int("ticket") == ticket, sourceLocation: sourceLocation)
    #expect(row.string("language") == language, "\(kind) language", sourceLocation: sourceLocation)
    #expect(row.string("to") == to, "\(kind) recipient", sourceLocation: sourceLocation)
    let subject = row.string("subject") ?? ""
    #expect(subject.hasPrefix("[Sportello #\(ticket)] ") && subject.hasSuffix(ticketSubject), "\(kind) subject: \(subject)",
            sourceLocation: sourceLocation)
    let body = row.string("body") ?? ""
    for phrase in phrases {
        #expect(body.contains(phrase), "the \(kind) body lacks \(phrase.debugDescription):\n\(body)", sourceLocation: sourceLocation)
    }
    let foreign = language == "it" ? ["Dear ", "VAT excluded", "Thank you", "hours"] : ["Gentile ", "IVA esclusa", "richiesta", "Cordiali saluti"]
    for phrase in foreign {
        #expect(!body.contains(phrase), "the \(kind) body (\(language)) contains \(phrase.debugDescription):\n\(body)",
                sourceLocation: sourceLocation)
    }
    #expect(body.contains("[Sportello #\(ticket)]"), "the \(kind) body should tell to keep the tag", sourceLocation: sourceLocation)
}
