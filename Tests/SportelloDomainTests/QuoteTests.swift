import Testing
@testable import SportelloDomain

private func eur(_ text: String) -> Money { try! Money(wire: text) }
private func day(_ iso: String) -> LocalDate { LocalDate(iso: iso)! }

private let customer: Int64 = 10
private let list = PriceList(hourlyRate: eur("85.00"))
private let paidWork = TicketState(status: .inCharge, classification: .evolutionaryChange, customer: customer)
private let created = day("2026-12-10")

private func draft(_ estimate: WorkingDuration = .hours(6.5), rate: Money? = nil, validDays: Int? = nil) -> QuoteDraft {
    QuoteDraft(estimate: estimate, description: "Nuovo report delle fatture scartate", assignee: 7,
               hourlyRate: rate, validDays: validDays)
}

private func make(_ draft: QuoteDraft = draft(), contract: Money? = nil, ticket: TicketState = paidWork) -> Result<Quote, QuoteError> {
    QuoteRules.create(draft, ticketID: 55, ticket: ticket, priceList: list, contractRate: contract, today: created)
}

private func sent(on date: LocalDate = day("2026-12-16"), validDays: Int? = nil) throws -> Quote {
    try QuoteRules.send(make(draft(validDays: validDays)).get(), today: date).get()
}

@Suite("Quotes")
struct QuoteTests {

    @Test("a draft: estimate × list rate, rounded half up, valid 30 days by default")
    func createDraft() throws {
        let quote = try make().get()
        // 390 min at 85.00 €/h = 6.5 h × 8500 c = 55250 c.
        #expect(quote.amount.wire == "552.50")
        #expect(quote.estimateMinutes == 390)
        #expect(quote.hourlyRate == eur("85.00") && quote.rateSource == .priceList)
        #expect(quote.storedStatus == .draft)
        #expect(quote.validDays == 30)
        #expect(quote.validUntil == day("2027-01-09"))  // provisional: 2026-12-10 + 30 days
        #expect(quote.customer == customer && quote.ticket == 55 && quote.assignee == 7)
    }

    @Test("the contract rate wins over the list; an explicit rate over both")
    func rateChoice() throws {
        let contract = try make(contract: eur("60.00")).get()
        // 390 min at 60.00 €/h = 6.5 × 6000 c = 39000 c.
        #expect(contract.amount.wire == "390.00" && contract.rateSource == .contract)
        let explicit = try make(draft(.minutes(30), rate: eur("10.01")), contract: eur("60.00")).get()
        // 30 min at 10.01 €/h = 1001 c × 30 / 60 = 500.5 c → half up → 501 c.
        #expect(explicit.amount.wire == "5.01" && explicit.rateSource == .quote)
    }

    @Test("only an inCharge ticket classified as paid work can be quoted", arguments: [
        TicketState(status: .inCharge, classification: .helpDesk, customer: customer),
        TicketState(status: .inCharge, classification: .invoicedIntervention, customer: customer),
    ])
    func quotable(_ ticket: TicketState) {
        #expect((try? make(ticket: ticket).get()) != nil)
    }

    @Test("a bug, a closed ticket, an already quoted one or an unclassified one: -32005", arguments: [
        TicketState(status: .assigned, classification: .bug, customer: customer),
        TicketState(status: .inCharge, classification: .outOfScope, customer: customer),
        TicketState(status: .closed, classification: .helpDesk, customer: customer),
        TicketState(status: .quoted, classification: .helpDesk, customer: customer),
        TicketState(status: .new, customer: customer),
    ])
    func notQuotable(_ ticket: TicketState) {
        #expect(make(ticket: ticket) == .failure(.ticketNotQuotable(status: ticket.status, classification: ticket.classification)))
    }

    @Test("bad estimates, rates, validity and descriptions name their field")
    func badParams() {
        func field(_ result: Result<Quote, QuoteError>) -> String? {
            if case .failure(.invalid(let field, _)) = result { field } else { nil }
        }
        #expect(field(make(draft(.minutes(0)))) == "estimate")
        #expect(field(make(draft(.minutes(-15)))) == "estimate")
        #expect(field(make(draft(.minutes(20)))) == "estimate")
        #expect(field(make(draft(.hours(10_000.25)))) == "estimate")
        #expect(field(make(draft(rate: .zero))) == "hourlyRate")
        #expect(field(make(draft(validDays: 0))) == "validDays")
        #expect(field(make(draft(validDays: 366))) == "validDays")
        #expect(field(make(QuoteDraft(estimate: .hours(1), description: " \n", assignee: 7))) == "description")
        // 10,000 h at 999999999.99 €/h: far beyond the largest amount.
        #expect(field(make(draft(.hours(10_000), rate: Money(cents: Money.maximumCents)))) == "estimate")
        #expect((try? make(draft(validDays: 365)).get())?.validUntil == day("2027-12-10"))
    }

    @Test("a draft can be updated; the amount and provisional validity follow")
    func update() throws {
        let quote = try make().get()
        let later = day("2026-12-12")
        let changed = try QuoteRules.update(
            quote, with: QuoteChanges(estimate: .hours(8), validDays: 10),
            priceList: list, contractRate: nil, today: later).get()
        // 480 min at 85.00 €/h = 8 × 8500 c = 68000 c.
        #expect(changed.amount.wire == "680.00")
        #expect(changed.validUntil == day("2026-12-22"))
        #expect(changed.description == quote.description)
        let rated = try QuoteRules.update(
            changed, with: QuoteChanges(hourlyRate: eur("42.50")), priceList: list, contractRate: nil, today: later).get()
        // 480 min at 42.50 €/h = 8 × 4250 c = 34000 c.
        #expect(rated.amount.wire == "340.00" && rated.rateSource == .quote)
        // A rate from the list follows a new contract rate on the next update.
        let contract = try QuoteRules.update(
            changed, with: QuoteChanges(), priceList: list, contractRate: eur("50.00"), today: later).get()
        #expect(contract.amount.wire == "400.00" && contract.rateSource == .contract)
        #expect(QuoteRules.update(changed, with: QuoteChanges(description: ""), priceList: list, contractRate: nil, today: later)
            == .failure(.invalid(field: "description", reason: "must not be blank")))
    }

    @Test("only a draft is updated or sent")
    func onlyDrafts() throws {
        let quote = try sent()
        let today = day("2026-12-17")
        #expect(QuoteRules.update(quote, with: QuoteChanges(estimate: .hours(1)), priceList: list, contractRate: nil, today: today)
            == .failure(.notAllowed(status: .sent, action: .update)))
        #expect(QuoteRules.send(quote, today: today) == .failure(.notAllowed(status: .sent, action: .send)))
    }

    @Test("sending fixes the validity from the send date")
    func sendDate() throws {
        let quote = try sent(on: day("2026-12-16"))
        #expect(quote.storedStatus == .sent)
        #expect(quote.validUntil == day("2027-01-15"))  // 2026-12-16 + 30 days
    }

    @Test("valid through the whole validUntil day, expired from the next")
    func expiry() throws {
        let quote = try sent(on: day("2026-12-16"))  // valid until 2027-01-15
        #expect(quote.status(on: day("2027-01-15")) == .sent)
        #expect(quote.status(on: day("2027-01-16")) == .expired)
        #expect(quote.storedStatus == .sent)
        #expect((try? QuoteRules.answer(quote, .accept, note: nil, today: day("2027-01-15")).get())?.storedStatus == .accepted)
        #expect(QuoteRules.answer(quote, .accept, note: nil, today: day("2027-01-16"))
            == .failure(.expired(validUntil: day("2027-01-15"))))
        #expect(QuoteRules.answer(quote, .reject, note: nil, today: day("2027-02-01"))
            == .failure(.expired(validUntil: day("2027-01-15"))))
        // Drafts and answered quotes never show as expired.
        #expect(try make().get().status(on: day("2030-01-01")) == .draft)
    }

    @Test("answers: accept or reject once; twice is already answered; a draft cannot be answered")
    func answers() throws {
        let quote = try sent()
        let today = day("2026-12-20")
        let accepted = try QuoteRules.answer(quote, .accept, note: "Accettato al telefono", today: today).get()
        #expect(accepted.storedStatus == .accepted && accepted.answerNote == "Accettato al telefono")
        #expect(QuoteRules.answer(accepted, .accept, note: nil, today: today) == .failure(.alreadyAnswered(status: .accepted)))
        #expect(QuoteRules.answer(accepted, .reject, note: nil, today: today) == .failure(.alreadyAnswered(status: .accepted)))
        let rejected = try QuoteRules.answer(quote, .reject, note: "  ", today: today).get()
        #expect(rejected.storedStatus == .rejected && rejected.answerNote == nil)
        // Long after validity, an answered quote is still "already answered", not expired.
        #expect(QuoteRules.answer(rejected, .accept, note: nil, today: day("2028-01-01"))
            == .failure(.alreadyAnswered(status: .rejected)))
        #expect(QuoteRules.answer(try make().get(), .accept, note: nil, today: today)
            == .failure(.notAllowed(status: .draft, action: .accept)))
    }

    @Test("contacts see their company's quotes only; staff see all")
    func visibility() throws {
        let quote = try make().get()
        #expect(QuoteRules.canView(quote, actor: .contact(id: 1, customer: customer)))
        #expect(!QuoteRules.canView(quote, actor: .contact(id: 2, customer: 20)))
        #expect(QuoteRules.canView(quote, actor: .staff(id: 3, role: .operator)))
        #expect(QuoteRules.canView(quote, actor: .system))
    }

    @Test("the reasons say what to do")
    func reasons() {
        #expect(QuoteError.expired(validUntil: day("2027-01-15")).reason == "the quote expired: it was valid until 2027-01-15")
        #expect(QuoteError.alreadyAnswered(status: .accepted).reason == "the quote was already answered: it is accepted")
        #expect(QuoteError.ticketNotQuotable(status: .assigned, classification: .bug).reason.contains("classified bug"))
    }
}
