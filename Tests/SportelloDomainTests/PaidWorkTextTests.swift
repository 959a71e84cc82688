import Testing
@testable import SportelloDomain

private func eur(_ text: String) -> Money { try! Money(wire: text) }
private func day(_ iso: String) -> LocalDate { LocalDate(iso: iso)! }

/// A quote sent on 2026-12-16: 6 h 30 min at 85.00 €/h, valid until 2027-01-15.
private let quote = Quote(
    ticket: 123, customer: 10, estimateMinutes: 390, hourlyRate: eur("85.00"), rateSource: .priceList,
    amount: eur("85.00").forMinutes(390),  // 6.5 h × 8500 c = 55250 c
    validDays: 30, validUntil: day("2027-01-15"), storedStatus: .sent,
    description: "Nuovo report delle fatture scartate", assignee: 7)

private let offers = [
    PackageOffer(name: "Pacchetto 10", hours: 10, price: eur("800.00"), validityMonths: 12),
    PackageOffer(name: "Pacchetto 50", hours: 50, price: eur("3750.00"), validityMonths: 1),
]

private let base = NotificationContext(ticketID: 123, subject: "Report fatture", customerName: "ACME S.p.A.",
                                       contactName: "Anna Neri")

@Suite("Paid work texts")
struct PaidWorkTextTests {

    @Test("dates in words")
    func dates() {
        #expect(PaidWorkText.date(day("2027-01-15"), in: .it) == "15 gennaio 2027")
        #expect(PaidWorkText.date(day("2027-01-15"), in: .en) == "15 January 2027")
        #expect(PaidWorkText.date(day("2027-03-01"), in: .it) == "1° marzo 2027")
        #expect(PaidWorkText.date(day("2027-03-01"), in: .en) == "1 March 2027")
        #expect(PaidWorkText.date(day("2026-12-31"), in: .it) == "31 dicembre 2026")
    }

    @Test("hours in words", arguments: [
        (360, "6 ore", "6 hours"), (60, "1 ora", "1 hour"), (390, "6 ore e 30 minuti", "6 hours 30 minutes"),
        (45, "45 minuti", "45 minutes"), (61, "1 ora e 1 minuto", "1 hour 1 minute"), (0, "0 ore", "0 hours"),
    ] as [(Int, String, String)])
    func hours(_ minutes: Int, _ italian: String, _ english: String) {
        #expect(PaidWorkText.hours(minutes: minutes, in: .it) == italian)
        #expect(PaidWorkText.hours(minutes: minutes, in: .en) == english)
    }

    @Test("what is missing", arguments: [
        (360, 120, "servono 6 ore, ne restano 2", "6 hours are needed, 2 remain"),
        (360, 60, "servono 6 ore, ne resta 1", "6 hours are needed, 1 remains"),
        (60, 0, "serve 1 ora, non ne resta nessuna", "1 hour is needed, none remain"),
        (390, 90, "servono 6 ore e 30 minuti, ne restano 1 ora e 30 minuti",
         "6 hours 30 minutes are needed, 1 hour 30 minutes remain"),
    ] as [(Int, Int, String, String)])
    func shortfall(_ needed: Int, _ left: Int, _ italian: String, _ english: String) {
        let shortfall = PackageShortfall(neededMinutes: needed, bestAvailableMinutes: left, hasActivePackage: left > 0)
        #expect(PaidWorkText.shortfall(shortfall, in: .it) == italian)
        #expect(PaidWorkText.shortfall(shortfall, in: .en) == english)
    }

    @Test("offer lines")
    func offerLines() {
        #expect(PaidWorkText.offer(offers[0], in: .it) == "Pacchetto 10: 10 ore, 800,00 €, valido 12 mesi")
        #expect(PaidWorkText.offer(offers[1], in: .en) == "Pacchetto 50: 50 hours, €3,750.00, valid for 1 month")
    }

    @Test("the quote in Italian: figures, VAT, validity in words, how to answer")
    func quoteItalian() {
        let text = NotificationTemplates.render(.quote, language: .it,
                                                context: base.withQuote(quote, reference: "Q-2026-0042", language: .it))
        #expect(text.subject == "[Sportello #123] Preventivo per la sua richiesta: Report fatture")
        let expected = """
            Gentile Anna Neri,

            a seguito dell'analisi della sua richiesta #123 («Report fatture») le inviamo il preventivo dei servizi professionali necessari per eseguirla.

            Preventivo: Q-2026-0042
            Impegno stimato: 6 ore e 30 minuti
            Tariffa oraria: 85,00 € (IVA esclusa)
            Importo: 552,50 € (IVA esclusa)

            Il preventivo è valido fino al 15 gennaio 2027 compreso.

            Descrizione dell'intervento:
            > Nuovo report delle fatture scartate

            Per accettare il preventivo, o per rifiutarlo, risponda a questa email scrivendo «Accetto» oppure «Rifiuto» (con il motivo, se lo desidera) e lasciando invariato nell'oggetto il riferimento [Sportello #123]; può anche dare la sua risposta dal portale del Servizio Clienti Interzen.
            """
        #expect(text.body.hasPrefix(expected))
        #expect(text.body.contains("valido fino al 15 gennaio 2027"))
    }

    @Test("the quote in English")
    func quoteEnglish() {
        let text = NotificationTemplates.render(.quote, language: .en, context: base.withQuote(quote, language: .en))
        #expect(text.subject == "[Sportello #123] Quotation for your request: Report fatture")
        for line in ["Estimated effort: 6 hours 30 minutes", "Hourly rate: €85.00 (VAT excluded)",
                     "Amount: €552.50 (VAT excluded)", "This quotation is valid until 15 January 2027 inclusive.",
                     "To accept this quotation, or to refuse it, reply to this email with “I accept” or “I refuse”",
                     "> Nuovo report delle fatture scartate"] {
            #expect(text.body.contains(line), "\(line)")
        }
        #expect(!text.body.contains("Quotation:"))  // no reference given
    }

    @Test("the offer form: what is missing and the offers, in both languages")
    func offerForm() {
        let shortfall = PackageShortfall(neededMinutes: 360, bestAvailableMinutes: 120, hasActivePackage: true)
        let it = NotificationTemplates.render(.offerForm, language: .it,
                                              context: base.withOfferForm(shortfall, offers: offers, language: .it)).body
        #expect(it.contains("""
            ma le ore residue del suo pacchetto attuale non sono sufficienti.

            In sintesi: servono 6 ore, ne restano 2.

            I pacchetti di assistenza che le proponiamo (prezzi IVA esclusa):
            - Pacchetto 10: 10 ore, 800,00 €, valido 12 mesi
            - Pacchetto 50: 50 ore, 3.750,00 €, valido 1 mese

            """))
        let en = NotificationTemplates.render(.offerForm, language: .en,
                                              context: base.withOfferForm(shortfall, offers: offers, language: .en)).body
        #expect(en.contains("""
            but your current package does not have enough hours left.

            In short: 6 hours are needed, 2 remain.

            The support packages we offer (prices VAT excluded):
            - Pacchetto 10: 10 hours, €800.00, valid for 12 months
            - Pacchetto 50: 50 hours, €3,750.00, valid for 1 month

            """))
        let none = PackageShortfall(neededMinutes: 360, bestAvailableMinutes: 0, hasActivePackage: false)
        let first = NotificationTemplates.render(.offerForm, language: .en,
                                                 context: base.withOfferForm(none, offers: [], language: .en)).body
        #expect(first.contains("you do not currently have an active package."))
        #expect(first.contains("In short: 6 hours are needed, none remain."))
        #expect(!first.contains("The support packages we offer"))
    }

    @Test("the closure states the hours worked")
    func closure() {
        let it = NotificationTemplates.render(.closure, language: .it,
                                              context: base.withHoursWorked(minutes: 450, language: .it)).body
        #expect(it.contains("è stata chiusa.\n\nOre di lavoro impiegate: 7 ore e 30 minuti\n"))
        let en = NotificationTemplates.render(.closure, language: .en,
                                              context: base.withHoursWorked(minutes: 60, language: .en)).body
        #expect(en.contains("has been closed.\n\nHours worked: 1 hour\n"))
        let plain = NotificationTemplates.render(.closure, language: .en, context: base).body
        #expect(!plain.contains("Hours worked"))
    }

    @Test("a quote's texts pass the language checks of every notification")
    func languages() {
        let en = NotificationTemplates.render(.quote, language: .en, context: base.withQuote(quote, language: .en)).body
        let it = NotificationTemplates.render(.quote, language: .it, context: base.withQuote(quote, language: .it)).body
        #expect(LanguageDetector.detect(en)?.language == .en)
        #expect(LanguageDetector.detect(it)?.language == .it)
        #expect(!it.contains("VAT") && !en.contains("IVA"))
    }
}
