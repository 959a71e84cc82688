import Foundation
import Testing
@testable import SportelloDomain

private func context(
    subject: String = "ZX-9 4.2",
    contact: String? = "Anna Neri",
    message: String? = nil,
    priority: Int? = 2,
    dueAt: String? = "2026-12-04T17:00:00Z",
    extra: [String: String] = [:]
) -> NotificationContext {
    NotificationContext(
        ticketID: 123, subject: subject, customerName: "ACME S.p.A.", contactName: contact,
        message: message, priority: priority, dueAt: dueAt, extra: extra)
}

/// Every extra the templates know, so that every optional line is rendered.
private let fullExtra: [String: String] = [
    NotificationContext.Key.quoteReference: "Q-2026-0042",
    NotificationContext.Key.estimatedHours: "6",
    NotificationContext.Key.hourlyRate: "80,00 €",
    NotificationContext.Key.amount: "480,00 €",
    NotificationContext.Key.validUntil: "2027-01-03",
    NotificationContext.Key.offerURL: "https://offers.example.com/pkg/77",
    NotificationContext.Key.packageBalance: "2",
    NotificationContext.Key.level: "breach",
    NotificationContext.Key.clock: "resolution",
    NotificationContext.Key.percent: "100",
    NotificationContext.Key.assigneeName: "Luca Bruni",
    NotificationContext.Key.hoursWorked: "6",
]

/// Phrases that give away the other language's template.
private let englishMarkers = ["Dear", "Thank you", "Kind regards", "Please", "your", "request", "Subject:",
                              "Priority", "reply", "Hello", "Customer Service", "hours"]
private let italianMarkers = ["Gentile", "Cordiali saluti", "richiesta", "Oggetto", "Priorità", "risponda",
                              "ringraziamo", "Buongiorno", "Servizio Clienti", "ore "]

/// A message in each language, for the "contains the message" checks.
private let messages: [Language: String] = [
    .it: "Può indicarci la versione del browser utilizzata?\nE l'orario esatto dell'errore?",
    .en: "Could you tell us which browser version you use?\nAnd the exact time of the error?",
]

private let everyKindAndLanguage: [(NotificationKind, Language)] =
    NotificationKind.ticketKinds.flatMap { kind in Language.allCases.map { (kind, $0) } }

private func contains(_ text: String, _ phrase: String) -> Bool {
    text.range(of: phrase, options: .caseInsensitive) != nil
}

@Suite("Notifications")
struct NotificationTests {

    @Test("the subject starts with the tag and carries the ticket subject", arguments: everyKindAndLanguage)
    func subjectLine(_ kind: NotificationKind, _ language: Language) {
        let text = NotificationTemplates.render(kind, language: language, context: context(subject: "Export fattura 4.2"))
        #expect(text.subject.hasPrefix("[Sportello #123] "))
        #expect(text.subject.hasSuffix(": Export fattura 4.2"))
        #expect(!text.subject.contains("\n"))
    }

    @Test("the body names the ticket, the tag to keep, and the given message", arguments: everyKindAndLanguage)
    func bodyContents(_ kind: NotificationKind, _ language: Language) throws {
        let message = try #require(messages[language])
        let text = NotificationTemplates.render(kind, language: language, context: context(message: message, extra: fullExtra))
        #expect(text.body.contains("#123"))
        #expect(text.body.contains("[Sportello #123]"))
        #expect(text.body.contains("ZX-9 4.2"))
        for line in message.split(separator: "\n") {
            #expect(text.body.contains("> \(line)"), "quoted line \(line)")
        }
    }

    @Test("without a message, no quotation block is rendered", arguments: everyKindAndLanguage)
    func noMessage(_ kind: NotificationKind, _ language: Language) {
        let text = NotificationTemplates.render(kind, language: language, context: context(message: "  \n "))
        #expect(!text.body.contains("\n>"))
    }

    @Test("Italian texts carry no English boilerplate and vice versa", arguments: everyKindAndLanguage)
    func noOtherLanguage(_ kind: NotificationKind, _ language: Language) {
        let text = NotificationTemplates.render(kind, language: language, context: context(extra: fullExtra))
        let markers = language == .it ? englishMarkers : italianMarkers
        for marker in markers {
            #expect(!contains(text.subject, marker), "subject has \(marker)")
            #expect(!contains(text.body, marker), "body has \(marker)")
        }
    }

    @Test("the language detector agrees with the template's language", arguments: everyKindAndLanguage)
    func detectorAgrees(_ kind: NotificationKind, _ language: Language) {
        let text = NotificationTemplates.render(kind, language: language, context: context(extra: fullExtra))
        #expect(LanguageDetector.detect(text.body)?.language == language)
    }

    @Test("customer notifications give the desk hours and the support address", arguments: everyKindAndLanguage)
    func footer(_ kind: NotificationKind, _ language: Language) {
        let text = NotificationTemplates.render(kind, language: language, context: context())
        if [.escalation, .slaWarning, .slaBreach, .slaEscalation].contains(kind) {
            #expect(!text.body.contains("8:00"))  // internal: no customer footer
        } else {
            #expect(text.body.contains("support@interzen.it"))
            #expect(text.body.contains("8:00"))
            #expect(text.body.contains(language == .it ? "18:30" : "6:30 PM"))
        }
    }

    @Test("the receipt's exact subjects")
    func receiptSubjects() {
        let ctx = context(subject: "Portale non raggiungibile")
        #expect(NotificationTemplates.render(.receipt, language: .it, context: ctx).subject
            == "[Sportello #123] Ricevuta la sua richiesta: Portale non raggiungibile")
        #expect(NotificationTemplates.render(.receipt, language: .en, context: ctx).subject
            == "[Sportello #123] We have received your request: Portale non raggiungibile")
    }

    @Test("priority is shown with its severity name, and only when valid")
    func priorityLine() {
        #expect(NotificationTemplates.render(.receipt, language: .it, context: context(priority: 2)).body.contains("Priorità: 2 – Alta"))
        #expect(NotificationTemplates.render(.receipt, language: .en, context: context(priority: 1)).body.contains("Priority: 1 – Blocking"))
        #expect(!NotificationTemplates.render(.receipt, language: .it, context: context(priority: 9)).body.contains("Priorità"))
        #expect(!NotificationTemplates.render(.receipt, language: .en, context: context(priority: nil)).body.contains("Priority"))
    }

    @Test("the greeting falls back from the contact to the company to a generic one")
    func greetings() {
        #expect(NotificationTemplates.render(.closure, language: .it, context: context()).body.hasPrefix("Gentile Anna Neri,\n"))
        #expect(NotificationTemplates.render(.closure, language: .en, context: context(contact: nil)).body.hasPrefix("Dear ACME S.p.A.,\n"))
        let anonymous = NotificationContext(ticketID: 5, subject: "x", customerName: " ", contactName: "")
        #expect(NotificationTemplates.render(.closure, language: .it, context: anonymous).body.hasPrefix("Gentile cliente,\n"))
        #expect(NotificationTemplates.render(.closure, language: .en, context: anonymous).body.hasPrefix("Dear customer,\n"))
    }

    @Test("subjects are one clean line without a second tag")
    func subjectCleaning() {
        let messy = context(subject: "Re: [Sportello #123]  errore\r\n  in fattura\t")
        #expect(NotificationTemplates.render(.closure, language: .it, context: messy).subject
            == "[Sportello #123] Richiesta chiusa: Re: errore in fattura")
        let empty = context(subject: " \n ")
        #expect(NotificationTemplates.render(.receipt, language: .it, context: empty).subject.hasSuffix(": (senza oggetto)"))
        #expect(NotificationTemplates.render(.receipt, language: .en, context: empty).subject.hasSuffix(": (no subject)"))
        let long = context(subject: String(repeating: "a", count: 400))
        #expect(NotificationTemplates.render(.receipt, language: .en, context: long).subject.count < 220)
    }

    @Test("a quote lists hours, rate and amount VAT excluded, and its validity")
    func quoteFigures() {
        let it = NotificationTemplates.render(.quote, language: .it, context: context(extra: fullExtra)).body
        for line in ["Preventivo: Q-2026-0042", "Impegno stimato: 6", "Tariffa oraria: 80,00 € (IVA esclusa)",
                     "Importo: 480,00 € (IVA esclusa)", "Il preventivo è valido fino al 2027-01-03 compreso."] {
            #expect(it.contains(line), "\(line)")
        }
        var undated = fullExtra
        undated[NotificationContext.Key.validUntil] = nil
        let en = NotificationTemplates.render(.quote, language: .en, context: context(extra: undated)).body
        #expect(en.contains("Amount: 480,00 € (VAT excluded)"))
        #expect(en.contains("This quotation is valid until 2026-12-04T17:00:00Z inclusive."))  // falls back to dueAt
        let bare = NotificationTemplates.render(.quote, language: .en, context: context(dueAt: nil)).body
        #expect(!bare.contains("Amount:") && !bare.contains("valid until"))
    }

    @Test("the offer form links the form when there is one, else asks for a reply")
    func offerForm() {
        let linked = NotificationTemplates.render(.offerForm, language: .en, context: context(extra: fullExtra)).body
        #expect(linked.contains("https://offers.example.com/pkg/77"))
        #expect(linked.contains("Hours required: 6"))
        #expect(linked.contains("Hours left in your current package: 2"))
        #expect(linked.contains("your current package does not have enough hours left"))
        let unlinked = NotificationTemplates.render(.offerForm, language: .it, context: context()).body
        #expect(!unlinked.contains("http"))
        #expect(unlinked.contains("risponda a questa email"))
        #expect(unlinked.contains("non risulta attivo alcun pacchetto"))
        #expect(!unlinked.contains("Ore residue"))
    }

    @Test("escalations name the level, the clock and the deadline in the ticket's language")
    func escalation() {
        var extra = fullExtra
        let breach = NotificationTemplates.render(.escalation, language: .it, context: context(extra: extra))
        #expect(breach.subject == "[Sportello #123] Scadenza SLA superata: ZX-9 4.2")
        #expect(breach.body.contains("Obiettivo: risoluzione"))
        #expect(breach.body.contains("Scadenza: 2026-12-04T17:00:00Z"))
        #expect(breach.body.contains("Priorità: 2 – Alta"))
        #expect(breach.body.contains("Assegnatario: Luca Bruni"))
        extra[NotificationContext.Key.level] = "warning"
        extra[NotificationContext.Key.clock] = "chargeTaking"
        extra[NotificationContext.Key.percent] = "75"
        let warning = NotificationTemplates.render(.escalation, language: .en, context: context(extra: extra))
        #expect(warning.subject == "[Sportello #123] SLA warning: ZX-9 4.2")
        #expect(warning.body.contains("Target: charge taking"))
        #expect(warning.body.contains("Working time elapsed: 75% of the target"))
        extra[NotificationContext.Key.level] = "critical"
        #expect(NotificationTemplates.render(.escalation, language: .en, context: context(extra: extra)).subject
            .hasPrefix("[Sportello #123] SLA severely overdue: "))
        #expect(NotificationTemplates.render(.escalation, language: .it, context: context()).subject
            .hasPrefix("[Sportello #123] Segnalazione SLA: "))
    }

    @Test("rendering is deterministic")
    func deterministic() {
        for (kind, language) in everyKindAndLanguage {
            let a = NotificationTemplates.render(kind, language: language, context: context(extra: fullExtra))
            let b = NotificationTemplates.render(kind, language: language, context: context(extra: fullExtra))
            #expect(a == b)
        }
    }

    @Test("an SLA step's notification rendered once per shape reads exactly as one rendered for the ticket")
    func escalationTemplate() {
        let subjects = ["Errore 500 sul portale", "[Sportello #77] Re: login\nbloccato", "  ", String(repeating: "lungo ", count: 40), "«x» & <y>"]
        let customers = ["ACME S.p.A.", "", " \n "]
        let assignees = ["Luca Bruni", ""]
        for kind in [NotificationKind.slaWarning, .slaBreach, .slaEscalation] {
            for language in Language.allCases {
                for priority in [1, 4, 9] {
                    for subject in subjects {
                        for customer in customers {
                            for assignee in assignees {
                                let values = EscalationNotificationTemplate.Values(
                                    ticketID: 4021, subject: subject, customerName: customer, assigneeName: assignee, language: language)
                                let template = EscalationNotificationTemplate(.init(
                                    kind: kind, language: language, priority: priority, clock: "resolution", percent: "87.5",
                                    hasCustomer: values.hasCustomer, hasAssignee: values.hasAssignee))
                                let direct = NotificationTemplates.render(kind, language: language, context: NotificationContext(
                                    ticketID: 4021, subject: subject, customerName: customer, priority: priority,
                                    dueAt: "04/12/2026 18:00 (Europe/Rome)",
                                    extra: [
                                        NotificationContext.Key.clock: "resolution", NotificationContext.Key.percent: "87.5",
                                        NotificationContext.Key.assigneeName: assignee,
                                    ]))
                                #expect(template.render(values, dueAt: "04/12/2026 18:00 (Europe/Rome)") == direct)
                            }
                        }
                    }
                }
            }
        }
        // A template made for a ticket with an assignee, given one without: still the ticket's own text.
        let withAssignee = EscalationNotificationTemplate(.init(
            kind: .slaBreach, language: .it, priority: 2, clock: "chargeTaking", percent: "100", hasCustomer: true, hasAssignee: true))
        let unassigned = EscalationNotificationTemplate.Values(ticketID: 9, subject: "x", customerName: "ACME", assigneeName: "", language: .it)
        #expect(!withAssignee.render(unassigned, dueAt: "d").body.contains("Assegnatario"))
    }
}
