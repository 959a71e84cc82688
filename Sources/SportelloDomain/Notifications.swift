import Foundation

// Notification texts in Italian and English (docs/product.md §8): every notification about a ticket is
// written in the ticket's language; the seed: support answers in the language the customer
// used, at support@interzen.it, 8:00–18:30 Italian time on weekdays. Replies thread by the
// subject tag `[Sportello #123]` (docs/product.md "Planned"), so every subject starts with it and every body
// says to keep it.

/// The notifications docs/product.md §8 lists.
public enum NotificationKind: String, CaseIterable, Codable, Sendable {
    /// "We have received your request" — at once when a ticket opens (docs/product.md §4–5).
    case receipt
    /// The assignee's question to the customer (`ticket.requestClarification`).
    case clarification
    /// The ticket was closed, with the optional closing text.
    case closure
    /// A quote for paid work (docs/product.md "Planned").
    case quote
    /// The offer form for a support package, when the accepted quote is not covered.
    case offerForm
    /// An SLA warning or escalation, to staff (docs/product.md §6's ladder), its level in
    /// `extra[level]`. The sweep writes the three kinds below instead, which name the level.
    case escalation
    /// A scheduled maintenance window, to the customers of the products it touches (not about a ticket).
    case maintenance
    /// A maintenance window that was announced is cancelled.
    case maintenanceCancelled
    /// A closure of the support desk, with how support is reached during it (not about a ticket).
    case closureNotice

    /// The ladder's warning before a deadline (docs/product.md §6: 75 %), to staff.
    case slaWarning
    /// The ladder's step at a deadline, to staff.
    case slaBreach
    /// The ladder's step well past a deadline (docs/product.md §6: 150 %), to staff.
    case slaEscalation

    /// The portal wizard's confirmation code, to the person registering (no ticket).
    case accountConfirmation
    /// The system-generated credentials of a new portal account (no ticket).
    case accountCredentials
    /// A registration a care manager did not approve (no ticket).
    case accountRejected
    /// A password reset code, to the account's email (no ticket).
    case passwordReset

    /// Whether the kind is about one ticket (its subject carries the ticket's tag); the others
    /// are announcements to a customer or messages about an account.
    public var isAboutTicket: Bool {
        switch self {
        case .maintenance, .maintenanceCancelled, .closureNotice: false
        case .accountConfirmation, .accountCredentials, .accountRejected, .passwordReset: false
        default: true
        }
    }

    /// Whether the kind is a message about a portal account (a confirmation or reset code, a
    /// generated password, a refusal): `notification.list` shows these to the system only.
    public var isAboutAnAccount: Bool {
        switch self {
        case .accountConfirmation, .accountCredentials, .accountRejected, .passwordReset: true
        default: false
        }
    }

    /// The kinds about one ticket.
    public static var ticketKinds: [NotificationKind] { allCases.filter(\.isAboutTicket) }
}

/// A rendered notification: a one-line subject and a plain-text body.
public struct NotificationText: Sendable, Hashable {
    public var subject: String
    public var body: String

    public init(subject: String, body: String) {
        self.subject = subject
        self.body = body
    }
}

/// What a template may mention. Values are already formatted for display (dates, amounts);
/// the templates only place them.
public struct NotificationContext: Sendable, Hashable {
    public var ticketID: Int64
    /// The ticket's subject. Line breaks are folded and an existing `[Sportello #n]` tag is
    /// removed before use.
    public var subject: String
    public var customerName: String
    /// The person addressed; without one the customer company is.
    public var contactName: String?
    /// The kind's free text: the customer's request (receipt), the question (clarification),
    /// the closing text (closure), the work description (quote), a note (offer form,
    /// escalation).
    public var message: String?
    /// 1...4; shown with its severity name. Out-of-range values are not shown.
    public var priority: Int?
    /// A deadline: the SLA due instant (escalation) or, without `validUntil`, the quote's
    /// validity (quote).
    public var dueAt: String?
    /// Kind-specific values, keyed by `NotificationContext.Key`.
    public var extra: [String: String]
    /// A list the kind shows one per line: the support packages the offer form proposes.
    /// Each item is folded to one line; blank items are dropped.
    public var items: [String]

    public init(
        ticketID: Int64,
        subject: String,
        customerName: String,
        contactName: String? = nil,
        message: String? = nil,
        priority: Int? = nil,
        dueAt: String? = nil,
        extra: [String: String] = [:],
        items: [String] = []
    ) {
        self.ticketID = ticketID
        self.subject = subject
        self.customerName = customerName
        self.contactName = contactName
        self.message = message
        self.priority = priority
        self.dueAt = dueAt
        self.extra = extra
        self.items = items
    }

    /// Keys of `extra` the templates read.
    public enum Key {
        /// Quote: its reference, e.g. "Q-2026-0042".
        public static let quoteReference = "quoteReference"
        /// Quote / offer form: the estimated work, in words, e.g. "6 ore e 30 minuti".
        public static let estimatedHours = "estimatedHours"
        /// Quote: hourly rate with its currency, e.g. "80,00 €" / "€80.00" (VAT excluded,
        /// which the template says).
        public static let hourlyRate = "hourlyRate"
        /// Quote: hours × rate with its currency, e.g. "1.275,00 €" / "€1,275.00".
        public static let amount = "amount"
        /// Quote: last day of validity in words, e.g. "15 gennaio 2027".
        public static let validUntil = "validUntil"
        /// Offer form: where to read and fill in the form.
        public static let offerURL = "offerURL"
        /// Offer form: hours left in the customer's current package, if any.
        public static let packageBalance = "packageBalance"
        /// Offer form: what is missing, e.g. "servono 6 ore, ne restano 2".
        public static let shortfall = "shortfall"
        /// Closure: the work logged on the ticket's task, e.g. "6 ore e 30 minuti".
        public static let hoursWorked = "hoursWorked"
        /// Escalation: `warning` (75 %), `breach` (100 %) or `critical` (150 %), docs/product.md §6.
        public static let level = "level"
        /// Escalation: `chargeTaking`, `resolution` or `firstAid`.
        public static let clock = "clock"
        /// Escalation: share of the target used, e.g. "75".
        public static let percent = "percent"
        /// Escalation: the assignee's display name.
        public static let assigneeName = "assigneeName"
    }
}

/// Renders notifications. Pure: the same kind, language and context give the same text.
public enum NotificationTemplates {
    /// The support address customers write and reply to (the seed).
    public static let supportAddress = "support@interzen.it"
    /// The switchboard, for customers who cannot send an email (the seed).
    public static let switchboard = "+39 085 4516447"

    /// The subject tag replies thread by (docs/product.md "Planned").
    public static func tag(_ ticketID: Int64) -> String { "[Sportello #\(ticketID)]" }

    /// The subject and body of `kind` in `language`.
    public static func render(
        _ kind: NotificationKind,
        language: Language,
        context: NotificationContext
    ) -> NotificationText {
        let page = Page(context: context, language: language)
        switch kind {
        case .receipt: return page.receipt()
        case .clarification: return page.clarification()
        case .closure: return page.closure()
        case .quote: return page.quote()
        case .offerForm: return page.offerForm()
        case .escalation: return page.escalation()
        case .maintenance, .maintenanceCancelled, .closureNotice: return page.announcement()
        case .slaWarning: return page.escalation(level: "warning")
        case .slaBreach: return page.escalation(level: "breach")
        case .slaEscalation: return page.escalation(level: "critical")
        case .accountConfirmation, .accountCredentials, .accountRejected, .passwordReset:
            return renderAccount(
                kind, language: language,
                context: AccountNotificationContext(
                    name: context.contactName ?? context.customerName, email: "", customerName: context.customerName,
                    code: context.extra[AccountNotificationContext.Key.code],
                    password: context.extra[AccountNotificationContext.Key.password], reason: context.message))
        }
    }

    /// The subject and body of an account notification (`accountConfirmation`,
    /// `accountCredentials`, `accountRejected`, `passwordReset`) in `language`. These are about no ticket: no
    /// tag, and replies are not threaded. A ticket kind renders as `accountRejected` would
    /// not make sense: call `render` for those.
    public static func renderAccount(
        _ kind: NotificationKind, language: Language, context: AccountNotificationContext
    ) -> NotificationText {
        let it = language == .it
        let name = Page.oneLine(context.name)
        let customer = Page.oneLine(context.customerName)
        var lines = [it ? "Gentile \(name)," : "Dear \(name),", ""]
        let subject: String
        switch kind {
        case .accountConfirmation:
            subject = it ? "Codice di conferma per il portale del Servizio Clienti" : "Confirmation code for the Customer Service portal"
            lines.append(it
                ? "abbiamo ricevuto la sua richiesta di creare un account personale sul portale del Servizio Clienti Interzen per \(customer). Per proseguire inserisca nella procedura guidata questo codice di conferma:"
                : "We have received your request to create a personal account on the Interzen Customer Service portal for \(customer). To continue, enter this confirmation code in the wizard:")
            lines += ["", "    \(context.code ?? "")", ""]
            lines.append(it
                ? "Il codice vale 30 minuti e può essere usato una sola volta. Se non ha chiesto lei un account, ignori questo messaggio: senza il codice nessun account viene creato."
                : "The code is valid for 30 minutes and can be used once. If you did not ask for an account, ignore this message: without the code no account is created.")
        case .accountCredentials:
            subject = it ? "Le sue credenziali per il portale del Servizio Clienti" : "Your Customer Service portal credentials"
            lines.append(it
                ? "il suo account personale sul portale del Servizio Clienti Interzen per \(customer) è attivo. Queste sono le credenziali fornite dal sistema:"
                : "Your personal account on the Interzen Customer Service portal for \(customer) is active. These are the credentials provided by the system:")
            lines += ["", (it ? "Utente: " : "User: ") + Page.oneLine(context.email), "Password: \(context.password ?? "")", ""]
            lines.append(it
                ? "Al primo accesso le sarà chiesto di sostituire la password con una scelta da lei (almeno 12 caratteri). Non inoltri questo messaggio e lo elimini dopo aver cambiato la password."
                : "At your first login you will be asked to replace the password with one of your choice (at least 12 characters). Do not forward this message, and delete it once you have changed the password.")
        case .passwordReset:
            subject = it ? "Codice per reimpostare la password" : "Code to reset your password"
            lines.append(it
                ? "abbiamo ricevuto una richiesta di reimpostare la password del suo account sul portale del Servizio Clienti Interzen. Per scegliere una nuova password inserisca questo codice:"
                : "We have received a request to reset the password of your account on the Interzen Customer Service portal. To choose a new password, enter this code:")
            lines += ["", "    \(context.code ?? "")", ""]
            lines.append(it
                ? "Il codice vale 30 minuti e può essere usato una sola volta; reimpostando la password si chiudono tutte le sessioni aperte. Se non ha chiesto lei di reimpostarla, ignori questo messaggio: la password attuale resta valida."
                : "The code is valid for 30 minutes and can be used once; resetting the password ends every open session. If you did not ask for a reset, ignore this message: your current password stays valid.")
        default:
            subject = it ? "Richiesta di account non approvata" : "Account request not approved"
            lines.append(it
                ? "la sua richiesta di un account sul portale del Servizio Clienti Interzen per \(customer) non è stata approvata dal responsabile dell'assistenza clienti."
                : "Your request for an account on the Interzen Customer Service portal for \(customer) was not approved by our Customer Care Manager.")
            if let reason = context.reason?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty {
                lines += ["", it ? "Motivazione:" : "Reason:"]
                lines += reason.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? ">" : "> \($0)" }
            }
            lines.append("")
            lines.append(it
                ? "Per un chiarimento scriva a \(supportAddress) o chiami il \(switchboard) in orario d'ufficio."
                : "For clarification write to \(supportAddress) or call \(switchboard) during office hours.")
        }
        lines += ["", it ? "Cordiali saluti," : "Kind regards,", it ? "Servizio Clienti Interzen" : "Interzen Customer Service", supportAddress]
        return NotificationText(subject: subject, body: lines.joined(separator: "\n") + "\n")
    }
}

/// What an account notification may mention.
public struct AccountNotificationContext: Sendable, Hashable {
    /// The person addressed.
    public var name: String
    /// Their email: the login (credentials).
    public var email: String
    /// The company the account belongs to.
    public var customerName: String
    /// The confirmation code (accountConfirmation).
    public var code: String?
    /// The generated password (accountCredentials): in the outbox row until delivered, never
    /// anywhere else.
    public var password: String?
    /// Why a care manager did not approve (accountRejected).
    public var reason: String?

    public init(
        name: String, email: String, customerName: String, code: String? = nil, password: String? = nil, reason: String? = nil
    ) {
        self.name = name
        self.email = email
        self.customerName = customerName
        self.code = code
        self.password = password
        self.reason = reason
    }

    /// Keys of `NotificationContext.extra` that `render` passes on for an account kind.
    public enum Key {
        public static let code = "code"
        public static let password = "password"
    }
}

// MARK: - Templates

/// One rendering: the cleaned-up context plus the phrases shared by every kind.
private struct Page {
    let language: Language
    let id: Int64
    let tag: String
    let subject: String
    let customer: String
    let contact: String?
    let message: String?
    let priority: Priority?
    let dueAt: String?
    let extra: [String: String]
    let items: [String]

    init(context: NotificationContext, language: Language) {
        self.language = language
        id = context.ticketID
        tag = NotificationTemplates.tag(context.ticketID)
        subject = Page.cleanSubject(context.subject, language: language)
        customer = Page.oneLine(context.customerName)
        contact = context.contactName.map(Page.oneLine).flatMap { $0.isEmpty ? nil : $0 }
        message = context.message.flatMap { text in
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? nil : trimmed
        }
        priority = context.priority.flatMap(Priority.init(rawValue:))
        dueAt = context.dueAt.map(Page.oneLine).flatMap { $0.isEmpty ? nil : $0 }
        extra = context.extra.mapValues(Page.oneLine).filter { !$0.value.isEmpty }
        items = context.items.map(Page.oneLine).filter { !$0.isEmpty }
    }

    private var it: Bool { language == .it }

    // MARK: Kinds

    func receipt() -> NotificationText {
        var lines = [greeting, ""]
        lines.append(it
            ? "la ringraziamo per averci contattato. Abbiamo ricevuto la sua richiesta di assistenza e l'abbiamo registrata con il numero #\(id)."
            : "Thank you for contacting us. We have received your support request and registered it as ticket #\(id).")
        lines.append("")
        lines += facts([
            (it ? "Oggetto" : "Subject", subject),
            (it ? "Cliente" : "Customer", customer),
            (it ? "Priorità" : "Priority", priority?.label(in: language)),
        ])
        if let message {
            lines += ["", it ? "Testo della richiesta:" : "Your message:"] + quoted(message)
        }
        lines.append("")
        lines.append(it
            ? "Il responsabile dell'assistenza clienti prenderà in carico la richiesta, ne valuterà la priorità e la assegnerà al personale competente. Le risponderemo in italiano, la lingua con cui ci ha scritto."
            : "Our Customer Care Manager will take charge of your request, assess its priority and assign it to the relevant staff. We will answer in English, the language you wrote to us in.")
        lines.append("")
        lines.append(it
            ? "Per aggiungere informazioni risponda a questa email lasciando invariato nell'oggetto il riferimento \(tag). Può seguire tutte le sue richieste anche dal portale del Servizio Clienti Interzen."
            : "To add information, reply to this email keeping the reference \(tag) in the subject line. You can also follow all your requests on the Interzen Customer Service portal.")
        return text(it ? "Ricevuta la sua richiesta" : "We have received your request", lines)
    }

    func clarification() -> NotificationText {
        var lines = [greeting, ""]
        if let message {
            lines.append(it
                ? "per proseguire con la lavorazione della sua richiesta #\(id) («\(subject)») abbiamo bisogno di alcune informazioni aggiuntive:"
                : "To continue working on your request #\(id) (“\(subject)”), we need some further information:")
            lines += [""] + quoted(message)
        } else {
            lines.append(it
                ? "per proseguire con la lavorazione della sua richiesta #\(id) («\(subject)») abbiamo bisogno di alcune informazioni aggiuntive."
                : "To continue working on your request #\(id) (“\(subject)”), we need some further information.")
        }
        lines.append("")
        lines.append(it
            ? "La preghiamo di rispondere a questa email lasciando invariato nell'oggetto il riferimento \(tag). La lavorazione riprenderà appena riceveremo la sua risposta."
            : "Please reply to this email keeping the reference \(tag) in the subject line. We will resume work on your request as soon as we receive your answer.")
        return text(it ? "Richiesta di chiarimenti" : "Request for clarification", lines)
    }

    func closure() -> NotificationText {
        var lines = [greeting, ""]
        lines.append(it
            ? "la informiamo che la sua richiesta #\(id) («\(subject)») è stata chiusa."
            : "We would like to inform you that your request #\(id) (“\(subject)”) has been closed.")
        if let worked = extra[NotificationContext.Key.hoursWorked] {
            lines += ["", it ? "Ore di lavoro impiegate: \(worked)" : "Hours worked: \(worked)"]
        }
        if let message {
            lines += ["", it ? "Note di chiusura:" : "Closing notes:"] + quoted(message)
        }
        lines.append("")
        lines.append(it
            ? "Se il problema dovesse ripresentarsi, può rispondere a questa email lasciando invariato nell'oggetto il riferimento \(tag): la sua risposta aprirà una nuova richiesta collegata a questa."
            : "Should the problem occur again, you can reply to this email keeping the reference \(tag) in the subject line: your reply will open a new request linked to this one.")
        lines.append("")
        lines.append(it
            ? "La ringraziamo per aver utilizzato il nostro servizio di assistenza."
            : "Thank you for contacting our support service.")
        return text(it ? "Richiesta chiusa" : "Your request has been closed", lines)
    }

    func quote() -> NotificationText {
        let vat: (String) -> String? = { key in
            extra[key].map { value in it ? "\(value) (IVA esclusa)" : "\(value) (VAT excluded)" }
        }
        var lines = [greeting, ""]
        lines.append(it
            ? "a seguito dell'analisi della sua richiesta #\(id) («\(subject)») le inviamo il preventivo dei servizi professionali necessari per eseguirla."
            : "Following our analysis of your request #\(id) (“\(subject)”), please find below our quotation for the professional services needed to carry it out.")
        let facts = facts([
            (it ? "Preventivo" : "Quotation", extra[NotificationContext.Key.quoteReference]),
            (it ? "Impegno stimato" : "Estimated effort", extra[NotificationContext.Key.estimatedHours]),
            (it ? "Tariffa oraria" : "Hourly rate", vat(NotificationContext.Key.hourlyRate)),
            (it ? "Importo" : "Amount", vat(NotificationContext.Key.amount)),
        ])
        if !facts.isEmpty { lines += [""] + facts }
        if let validUntil = extra[NotificationContext.Key.validUntil] ?? dueAt {
            lines += ["", it
                ? "Il preventivo è valido fino al \(validUntil) compreso."
                : "This quotation is valid until \(validUntil) inclusive."]
        }
        if let message {
            lines += ["", it ? "Descrizione dell'intervento:" : "Description of the work:"] + quoted(message)
        }
        lines.append("")
        lines.append(it
            ? "Per accettare il preventivo, o per rifiutarlo, risponda a questa email scrivendo «Accetto» oppure «Rifiuto» (con il motivo, se lo desidera) e lasciando invariato nell'oggetto il riferimento \(tag); può anche dare la sua risposta dal portale del Servizio Clienti Interzen. Dopo l'accettazione assegneremo la richiesta al personale competente e le ore saranno scalate dal suo pacchetto di assistenza; se non dispone di un pacchetto con ore sufficienti, le invieremo il modulo d'offerta per sottoscriverlo. Se rifiuta, l'intervento non sarà eseguito e chiuderemo la richiesta."
            : "To accept this quotation, or to refuse it, reply to this email with “I accept” or “I refuse” (and your reason, if you wish), keeping the reference \(tag) in the subject line; you can also give your answer through the Interzen Customer Service portal. Once you accept, we will assign your request to the relevant staff and the hours will be drawn from your support package; if you do not have a package with enough hours, we will send you the offer form to order one. If you refuse, the work will not be carried out and we will close your request.")
        return text(it ? "Preventivo per la sua richiesta" : "Quotation for your request", lines)
    }

    func offerForm() -> NotificationText {
        var lines = [greeting, ""]
        let shortfall: String
        if extra[NotificationContext.Key.packageBalance] != nil {
            shortfall = it
                ? "le ore residue del suo pacchetto attuale non sono sufficienti."
                : "your current package does not have enough hours left."
        } else {
            shortfall = it
                ? "al momento non risulta attivo alcun pacchetto."
                : "you do not currently have an active package."
        }
        lines.append(it
            ? "la ringraziamo per aver accettato il preventivo relativo alla sua richiesta #\(id) («\(subject)»). Per eseguire l'intervento è necessario un pacchetto di assistenza con ore sufficienti, ma \(shortfall)"
            : "Thank you for accepting the quotation for your request #\(id) (“\(subject)”). Carrying out the work requires a support package with enough hours, but \(shortfall)")
        if let shortfall = extra[NotificationContext.Key.shortfall] {
            lines += ["", it ? "In sintesi: \(shortfall)." : "In short: \(shortfall)."]
        } else {
            let facts = facts([
                (it ? "Ore necessarie" : "Hours required", extra[NotificationContext.Key.estimatedHours]),
                (it ? "Ore residue nel pacchetto attuale" : "Hours left in your current package",
                 extra[NotificationContext.Key.packageBalance]),
            ])
            if !facts.isEmpty { lines += [""] + facts }
        }
        if !items.isEmpty {
            lines += ["", it ? "I pacchetti di assistenza che le proponiamo (prezzi IVA esclusa):"
                             : "The support packages we offer (prices VAT excluded):"]
            lines += items.map { "- \($0)" }
        }
        if let message { lines += [""] + quoted(message) }
        lines.append("")
        if let url = extra[NotificationContext.Key.offerURL] {
            lines.append(it
                ? "Può consultare e compilare il modulo d'offerta per il pacchetto di assistenza a questo indirizzo: \(url)"
                : "You can read and fill in the support package offer form here: \(url)")
        } else {
            lines.append(it
                ? "Per ricevere il modulo d'offerta del pacchetto di assistenza e le relative condizioni, risponda a questa email."
                : "To receive the support package offer form and its terms, please reply to this email.")
        }
        lines.append("")
        lines.append(it
            ? "La richiesta resterà in attesa fino all'attivazione del pacchetto; subito dopo la assegneremo al personale competente. Nelle risposte lasci invariato nell'oggetto il riferimento \(tag)."
            : "Your request will be on hold until the package is active; we will then assign it to the relevant staff straight away. When replying, please keep the reference \(tag) in the subject line.")
        return text(it ? "Modulo d'offerta per il pacchetto di assistenza" : "Support package offer form", lines)
    }

    /// For staff (the SLA ladder of docs/product.md §6), still in the ticket's language.
    /// An announcement to a customer, not about a ticket: the context's subject as it is, the
    /// greeting, the message (already in the language) and the desk's footer.
    func announcement() -> NotificationText {
        var lines = [greeting, ""]
        if let message { lines += [message, ""] }
        lines += footer
        return NotificationText(subject: Page.oneLine(subject), body: lines.joined(separator: "\n"))
    }

    func escalation(level fixed: String? = nil) -> NotificationText {
        let level = fixed ?? extra[NotificationContext.Key.level]
        let heading: String
        switch level {
        case "warning": heading = it ? "Avviso di scadenza SLA" : "SLA warning"
        case "breach": heading = it ? "Scadenza SLA superata" : "SLA breached"
        case "critical": heading = it ? "Grave ritardo sulla scadenza SLA" : "SLA severely overdue"
        default: heading = it ? "Segnalazione SLA" : "SLA escalation"
        }
        let clock: String? = extra[NotificationContext.Key.clock].map { name in
            switch name {
            case "chargeTaking": it ? "presa in carico" : "charge taking"
            case "resolution": it ? "risoluzione" : "resolution"
            case "firstAid": it ? "primo intervento" : "first aid"
            default: name
            }
        }
        let percent = extra[NotificationContext.Key.percent].map {
            it ? "\($0)% dell'obiettivo" : "\($0)% of the target"
        }
        var lines = [it ? "Buongiorno," : "Hello,", ""]
        lines.append(it
            ? "\(heading.lowercasedFirst) per il ticket #\(id) («\(subject)»)."
            : "\(heading) for ticket #\(id) (“\(subject)”).")
        lines.append("")
        lines += facts([
            (it ? "Cliente" : "Customer", customer),
            (it ? "Priorità" : "Priority", priority?.label(in: language)),
            (it ? "Obiettivo" : "Target", clock),
            (it ? "Scadenza" : "Due", dueAt),
            (it ? "Tempo lavorativo trascorso" : "Working time elapsed", percent),
            (it ? "Assegnatario" : "Assignee", extra[NotificationContext.Key.assigneeName]),
        ])
        if let message {
            lines += ["", it ? "Nota:" : "Note:"] + quoted(message)
        }
        lines.append("")
        lines.append(it
            ? "Vi preghiamo di verificare la richiesta e di intervenire quanto prima. Ogni comunicazione con il cliente deve mantenere nell'oggetto il riferimento \(tag)."
            : "Please review the request and act on it as soon as possible. Any email to the customer must keep the reference \(tag) in the subject line.")
        lines += ["", "-- ", it ? "Sportello, notifica automatica" : "Sportello, automatic notification"]
        return NotificationText(subject: "\(tag) \(heading): \(subject)", body: lines.joined(separator: "\n") + "\n")
    }

    // MARK: Shared phrases

    private var greeting: String {
        let name = contact ?? (customer.isEmpty ? nil : customer)
        switch (language, name) {
        case (.it, let name?): return "Gentile \(name),"
        case (.it, nil): return "Gentile cliente,"
        case (.en, let name?): return "Dear \(name),"
        case (.en, nil): return "Dear customer,"
        }
    }

    private var footer: [String] {
        it
            ? [
                "Il servizio di assistenza risponde in italiano e in inglese dal lunedì al venerdì, dalle 8:00 alle 18:30 (ora italiana), esclusi i giorni festivi. Se non le è possibile inviare email, il centralino è raggiungibile al numero \(NotificationTemplates.switchboard) in orario d'ufficio.",
                "",
                "Cordiali saluti,",
                "Servizio Clienti Interzen",
                NotificationTemplates.supportAddress,
            ]
            : [
                "Our support desk answers in English and Italian from Monday to Friday, 8:00 AM to 6:30 PM (Italian time), excluding public holidays. If you cannot send an email, our switchboard is available on \(NotificationTemplates.switchboard) during office hours.",
                "",
                "Kind regards,",
                "Interzen Customer Service",
                NotificationTemplates.supportAddress,
            ]
    }

    /// A customer notification: tagged subject, body lines, then the common footer.
    private func text(_ title: String, _ lines: [String]) -> NotificationText {
        NotificationText(
            subject: "\(tag) \(title): \(subject)",
            body: (lines + [""] + footer).joined(separator: "\n") + "\n")
    }

    /// "Label: value" lines for the values present.
    private func facts(_ pairs: [(String, String?)]) -> [String] {
        pairs.compactMap { label, value in
            guard let value, !value.isEmpty else { return nil }
            return "\(label): \(value)"
        }
    }

    /// The text as an email quote, one "> " per line.
    private func quoted(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            let line = line.trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
            return line.isEmpty ? ">" : "> \(line)"
        }
    }

    // MARK: Cleaning

    /// Folds whitespace (a subject is one header line), drops our own tags (they are added
    /// once, in front), shortens very long subjects, and names a missing one.
    static func cleanSubject(_ raw: String, language: Language) -> String {
        // Without a "[" there is no tag to drop: the regular expression (compiled at each call)
        // was most of an SLA notification's rendering (measured with perf on a first sweep).
        var text = !raw.utf8.contains(UInt8(ascii: "[")) ? raw : raw.replacingOccurrences(
            of: #"\[\s*Sportello\s*#\s*\d+\s*\]"#, with: " ",
            options: [.regularExpression, .caseInsensitive])
        text = oneLine(text)
        if text.count > 160 { text = String(text.prefix(159)) + "…" }
        if text.isEmpty { return language == .it ? "(senza oggetto)" : "(no subject)" }
        return text
    }

    /// Collapses every run of whitespace (line breaks included) into one space.
    static func oneLine(_ raw: String) -> String {
        // Already one line — printable ASCII, single spaces between words, none at either
        // end — comes back as it is, without splitting it into words and joining them again.
        var previous: UInt8 = UInt8(ascii: " ")
        var plain = true
        for byte in raw.utf8 {
            if byte < 0x20 || byte >= 0x7F || (byte == UInt8(ascii: " ") && previous == UInt8(ascii: " ")) {
                plain = false
                break
            }
            previous = byte
        }
        if plain && previous != UInt8(ascii: " ") { return raw }
        return raw.split(whereSeparator: { $0.isWhitespace || $0.isNewline }).joined(separator: " ")
    }
}

private extension String {
    var lowercasedFirst: String {
        guard let first else { return self }
        return first.lowercased() + dropFirst()
    }
}

// MARK: - SLA step notifications, rendered once per shape

/// An SLA step's notification (`slaWarning`, `slaBreach`, `slaEscalation`) rendered once for
/// everything that is the same across tickets — kind, language, priority, clock, share — with
/// holes for what is not: the ticket's number, subject, customer, assignee and the due
/// instant. ``render(_:dueAt:)`` gives exactly what ``NotificationTemplates/render(_:language:context:)``
/// gives for the same values (a value folding to empty where the shape expects one, or the
/// other way round, falls back to it). A first sweep writes one notification per recipient of
/// every step fired; rendering each from scratch cleaned the subject with a regular expression
/// and rebuilt every line each time.
public struct EscalationNotificationTemplate: Sendable {
    /// What decides the text apart from the holes.
    public struct Shape: Hashable, Sendable {
        public var kind: NotificationKind
        public var language: Language
        public var priority: Int?
        /// `chargeTaking`, `resolution` or `firstAid`.
        public var clock: String
        /// e.g. "75".
        public var percent: String
        /// Whether the customer's name and the assignee's name fold to something (else their
        /// lines are left out).
        public var hasCustomer: Bool
        public var hasAssignee: Bool

        public init(kind: NotificationKind, language: Language, priority: Int?, clock: String, percent: String, hasCustomer: Bool, hasAssignee: Bool) {
            self.kind = kind
            self.language = language
            self.priority = priority
            self.clock = clock
            self.percent = percent
            self.hasCustomer = hasCustomer
            self.hasAssignee = hasAssignee
        }
    }

    /// One ticket's values, folded as the templates fold them (once per ticket and language).
    public struct Values: Sendable {
        public let ticketID: Int64
        public let rawSubject: String
        public let rawCustomer: String
        public let rawAssignee: String
        let subject: String
        let customer: String
        let assignee: String

        public init(ticketID: Int64, subject: String, customerName: String, assigneeName: String, language: Language) {
            self.ticketID = ticketID
            rawSubject = subject
            rawCustomer = customerName
            rawAssignee = assigneeName
            self.subject = Page.cleanSubject(subject, language: language)
            customer = Page.oneLine(customerName)
            assignee = Page.oneLine(assigneeName)
        }

        public var hasCustomer: Bool { !customer.isEmpty }
        public var hasAssignee: Bool { !assignee.isEmpty }
    }

    private enum Part: Sendable {
        case text(String)
        case ticketID, subject, customer, dueAt, assignee
    }

    public let shape: Shape
    private let subjectParts: [Part]
    private let bodyParts: [Part]

    // Stand-ins the templates pass through unchanged (no whitespace, no tag, short), found
    // again in the rendered text. The number stands in for the ticket's.
    private static let idMark = "8070450532247928832"
    private static let marks: [(String, Part)] = [
        ("\u{E001}", .subject), ("\u{E002}", .customer), ("\u{E003}", .dueAt), ("\u{E004}", .assignee), (idMark, .ticketID),
    ]

    public init(_ shape: Shape) {
        self.shape = shape
        let text = NotificationTemplates.render(shape.kind, language: shape.language, context: NotificationContext(
            ticketID: Int64(Self.idMark)!, subject: "\u{E001}", customerName: shape.hasCustomer ? "\u{E002}" : "",
            priority: shape.priority, dueAt: "\u{E003}",
            extra: [
                NotificationContext.Key.clock: shape.clock, NotificationContext.Key.percent: shape.percent,
                NotificationContext.Key.assigneeName: shape.hasAssignee ? "\u{E004}" : "",
            ]))
        subjectParts = Self.parts(text.subject)
        bodyParts = Self.parts(text.body)
    }

    private static func parts(_ text: String) -> [Part] {
        var parts: [Part] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            let next = marks.compactMap { mark, part in rest.range(of: mark).map { ($0, part) } }.min { $0.0.lowerBound < $1.0.lowerBound }
            guard let (range, part) = next else { parts.append(.text(String(rest))); break }
            if range.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<range.lowerBound]))) }
            parts.append(part)
            rest = rest[range.upperBound...]
        }
        return parts
    }

    /// The notification for one ticket's values and the step's due instant as displayed.
    public func render(_ values: Values, dueAt: String) -> NotificationText {
        let due = Page.oneLine(dueAt)
        guard values.hasCustomer == shape.hasCustomer, values.hasAssignee == shape.hasAssignee, !due.isEmpty else {
            return NotificationTemplates.render(shape.kind, language: shape.language, context: NotificationContext(
                ticketID: values.ticketID, subject: values.rawSubject, customerName: values.rawCustomer, priority: shape.priority,
                dueAt: dueAt,
                extra: [
                    NotificationContext.Key.clock: shape.clock, NotificationContext.Key.percent: shape.percent,
                    NotificationContext.Key.assigneeName: values.rawAssignee,
                ]))
        }
        let id = String(values.ticketID)
        func fill(_ parts: [Part]) -> String {
            var out = ""
            for part in parts {
                switch part {
                case .text(let text): out += text
                case .ticketID: out += id
                case .subject: out += values.subject
                case .customer: out += values.customer
                case .dueAt: out += due
                case .assignee: out += values.assignee
                }
            }
            return out
        }
        return NotificationText(subject: fill(subjectParts), body: fill(bodyParts))
    }
}
