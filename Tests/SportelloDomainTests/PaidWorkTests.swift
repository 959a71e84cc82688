import Testing
@testable import SportelloDomain

private func eur(_ text: String) -> Money { try! Money(wire: text) }
private func day(_ iso: String) -> LocalDate { LocalDate(iso: iso)! }

private let customer: Int64 = 10
private let careManager = Principal.staff(id: 2, role: .careManager)
private let contact = Principal.contact(id: 100, customer: customer)
private let otherCompany = Principal.contact(id: 200, customer: 20)
private let list = PriceList(hourlyRate: eur("85.00"))
private let today = day("2026-12-20")

private let inCharge = TicketState(status: .inCharge, classification: .helpDesk, reporterContact: 100, customer: customer)
private let quoted = TicketState(status: .quoted, classification: .helpDesk, reporterContact: 100, customer: customer)

/// A 6-hour quote for staff member 7, sent on 2026-12-16 (valid until 2027-01-15).
private func sentQuote() throws -> Quote {
    let draft = QuoteDraft(estimate: .hours(6), description: "Configurazione del nuovo flusso", assignee: 7)
    let quote = try QuoteRules.create(draft, ticketID: 55, ticket: inCharge, priceList: list, contractRate: nil,
                                      today: day("2026-12-15")).get()
    return try QuoteRules.send(quote, today: day("2026-12-16")).get()
}

private func package(_ id: Int64, available: Int) -> SupportPackage {
    SupportPackage(id: id, customer: customer, boughtMinutes: 1200, price: eur("1500.00"),
                   startsOn: day("2026-01-01"), consumedMinutes: 1200 - available)
}

@Suite("Paid work steps")
struct PaidWorkTests {

    @Test("sending: the quote becomes sent and the ticket quoted, with the quote notification")
    func send() throws {
        let draft = try QuoteRules.create(
            QuoteDraft(estimate: .hours(6), description: "x", assignee: 7), ticketID: 55, ticket: inCharge,
            priceList: list, contractRate: nil, today: today).get()
        let sending = try PaidWork.send(draft, ticket: inCharge, actor: careManager, today: today).get()
        #expect(sending.quote.storedStatus == .sent)
        #expect(sending.ticket.state.status == .quoted)
        #expect(sending.ticket.notifications == [.quote])
        // A contact may not send; a sent quote is not sent again.
        #expect(PaidWork.send(draft, ticket: inCharge, actor: contact, today: today).isForbidden)
        #expect(PaidWork.send(sending.quote, ticket: inCharge, actor: careManager, today: today)
            == .failure(.quote(.notAllowed(status: .sent, action: .send))))
    }

    @Test("accepted with enough hours: reserved in the package, ticket assigned to the quote's assignee")
    func acceptCovered() throws {
        let quote = try sentQuote()
        // Package 1 has 5 h left, package 2 has 8 h: the 6 h go whole into package 2.
        let outcome = try PaidWork.accept(quote, note: nil, ticket: quoted,
                                          packages: [package(1, available: 300), package(2, available: 480)],
                                          actor: contact, today: today).get()
        #expect(outcome.quote.storedStatus == .accepted)
        #expect(outcome.reservedIn?.id == 2 && outcome.reservedIn?.availableMinutes == 120)  // 480 − 360
        #expect(outcome.shortfall == nil)
        #expect(outcome.ticket.state.status == .assigned && outcome.ticket.state.assignee == 7)
        #expect(outcome.ticket.events.contains(.assigned(from: nil, to: 7)))
        #expect(outcome.ticket.notifications.isEmpty)
    }

    @Test("accepted without enough hours: the ticket waits, the offer form says what is missing")
    func acceptNotCovered() throws {
        let quote = try sentQuote()
        let outcome = try PaidWork.accept(quote, note: "Confermato al telefono", ticket: quoted,
                                          packages: [package(1, available: 120)], actor: careManager, today: today).get()
        #expect(outcome.reservedIn == nil)
        #expect(outcome.shortfall == PackageShortfall(neededMinutes: 360, bestAvailableMinutes: 120, hasActivePackage: true))
        #expect(outcome.ticket.state.status == .awaitingPackage)
        #expect(outcome.ticket.notifications == [.offerForm])
        #expect(outcome.quote.answerNote == "Confermato al telefono")
        // Once a package is ordered the ticket proceeds to the quote's assignee.
        let proceeded = try PaidWork.proceed(outcome.ticket.state, quote: outcome.quote).get()
        #expect(proceeded.state.status == .assigned && proceeded.state.assignee == 7)
    }

    @Test("refusals: another company's quote is unknown, twice is already answered, too late is expired")
    func refusals() throws {
        let quote = try sentQuote()
        #expect(PaidWork.accept(quote, note: nil, ticket: quoted, packages: [], actor: otherCompany, today: today)
            == .failure(.notFound))
        #expect(PaidWork.accept(quote, note: nil, ticket: quoted, packages: [], actor: .staff(id: 7, role: .operator),
                                today: today).isForbidden)
        #expect(PaidWork.accept(quote, note: nil, ticket: quoted, packages: [], actor: contact, today: day("2027-01-16"))
            == .failure(.quote(.expired(validUntil: day("2027-01-15")))))
        let answered = try PaidWork.accept(quote, note: nil, ticket: quoted, packages: [], actor: contact, today: today).get()
        #expect(PaidWork.accept(answered.quote, note: nil, ticket: answered.ticket.state, packages: [], actor: contact,
                                today: today) == .failure(.quote(.alreadyAnswered(status: .accepted))))
        #expect(PaidWork.reject(answered.quote, reason: nil, ticket: answered.ticket.state, actor: contact, today: today)
            == .failure(.quote(.alreadyAnswered(status: .accepted))))
    }

    @Test("rejected: the ticket goes back to the care manager as intervention not accepted")
    func reject() throws {
        let outcome = try PaidWork.reject(try sentQuote(), reason: "Troppo caro", ticket: quoted, actor: contact,
                                          today: today).get()
        #expect(outcome.quote.storedStatus == .rejected && outcome.quote.answerNote == "Troppo caro")
        #expect(outcome.ticket.state.status == .inCharge)
        #expect(outcome.ticket.state.classification == .interventionNotAccepted)
    }

    @Test("who logs work and who orders packages")
    func permissions() {
        let assigned = TicketState(status: .assigned, classification: .helpDesk, assignee: 7, customer: customer)
        #expect(PaidWork.mayLogWork(.staff(id: 7, role: .operator), on: assigned))
        #expect(!PaidWork.mayLogWork(.staff(id: 8, role: .operator), on: assigned))
        #expect(PaidWork.mayLogWork(careManager, on: assigned))
        #expect(!PaidWork.mayLogWork(contact, on: assigned))
        #expect(PaidWork.mayOrderPackage(contact, for: customer, byOffer: true))
        #expect(!PaidWork.mayOrderPackage(contact, for: customer, byOffer: false))
        #expect(!PaidWork.mayOrderPackage(otherCompany, for: customer, byOffer: true))
        #expect(PaidWork.mayOrderPackage(careManager, for: customer, byOffer: false))
        #expect(!PaidWork.mayOrderPackage(.staff(id: 7, role: .operator), for: customer, byOffer: false))
    }
}

private extension Result where Failure == PaidWorkError {
    var isForbidden: Bool {
        if case .failure(.workflow(.forbidden)) = self { true } else { false }
    }
}
