// The seed's support process end to end over the real socket (docs/product.md §4–5, §4, §6): a bug from
// intake in the customer's language through take-charge, clarification, the customer's answer
// and closure, with the SLA deadlines checked against instants computed by hand; a
// vulnerability and an out-of-scope ticket; the ticket language rules.

import Foundation
import Testing

/// The texts of one bug scenario, and what the notifications must say, in one language.
struct BugTexts: Sendable {
    let subject: String
    let body: String
    let question: String
    let answer: String
    let closing: String
    /// Notification titles (subject after the tag) and phrases of the body.
    let receiptTitle: String
    let receiptPhrase: String
    let clarificationTitle: String
    let clarificationPhrase: String
    let closureTitle: String
    let closurePhrase: String
    let greeting: String
    /// Phrases of the other language that must not appear.
    let foreign: [String]

    static let italian = BugTexts(
        subject: "Errore nel caricamento dei documenti nella cartella condivisa",
        body: """
            Buongiorno, da questa mattina quando proviamo a caricare i documenti nella cartella condivisa \
            dell'ufficio acquisti compare un messaggio di errore e il file non viene salvato. Il problema si \
            presenta con tutti gli utenti del nostro ufficio. Potete verificare al più presto? Grazie e cordiali saluti.
            """,
        question: "Può indicarci il nome esatto del file e l'ora in cui si è verificato l'errore? Ci servirebbe anche uno screenshot del messaggio.",
        answer: "Il file si chiama fattura_novembre.pdf e l'errore è comparso alle 9:15. Allego lo screenshot richiesto.",
        closing: "Abbiamo corretto la configurazione dell'archivio: ora il caricamento funziona regolarmente.",
        receiptTitle: "Ricevuta la sua richiesta",
        receiptPhrase: "Abbiamo ricevuto la sua richiesta di assistenza",
        clarificationTitle: "Richiesta di chiarimenti",
        clarificationPhrase: "abbiamo bisogno di alcune informazioni aggiuntive",
        closureTitle: "Richiesta chiusa",
        closurePhrase: "è stata chiusa",
        greeting: "Gentile Giulia Bianchi,",
        foreign: ["Dear ", "Kind regards", "Thank you"])

    static let english = BugTexts(
        subject: "Documents fail to upload to the shared folder",
        body: """
            Hello, since this morning every time we try to upload a document to the purchasing team's shared \
            folder an error message appears and the file is not saved. The problem affects all the users in \
            our office. Could you please look into it as soon as possible? Thank you and kind regards.
            """,
        question: "Could you tell us the exact file name and the time the error occurred? A screenshot of the message would also help.",
        answer: "The file is called invoice_november.pdf and the error appeared at 9:15. I have attached the screenshot you asked for.",
        closing: "We fixed the repository configuration: uploads now work normally.",
        receiptTitle: "We have received your request",
        receiptPhrase: "We have received your support request",
        clarificationTitle: "Request for clarification",
        clarificationPhrase: "we need some further information",
        closureTitle: "Your request has been closed",
        closurePhrase: "has been closed",
        greeting: "Dear Oliver Smith,",
        foreign: ["Gentile ", "Cordiali saluti", "richiesta"])
}

struct BugScenario: Sendable, CustomTestStringConvertible {
    /// "it" (Giulia, Rossi Logistica) or "en" (Oliver, Northwind Traders).
    let language: String
    /// Imported by the system with `receivedAt` (deadlines computed by hand to the instant) or
    /// opened by the contact on their own connection (receivedAt = now; relative checks).
    let imported: Bool

    var testDescription: String {
        "\(language == "it" ? "Italian" : "English"), \(imported ? "imported with receivedAt Thu 2026-11-26 09:00 CET" : "opened by the contact")"
    }

    var texts: BugTexts { language == "it" ? .italian : .english }
    var reporter: Who { language == "it" ? .giulia : .oliver }

    static let all = [
        BugScenario(language: "it", imported: true), BugScenario(language: "it", imported: false),
        BugScenario(language: "en", imported: true), BugScenario(language: "en", imported: false),
    ]
}

/// Checks one outbox row.
func expectNotification(
    _ row: JSON?, kind: String, ticket: Int, language: String, to: String, title: String, ticketSubject: String,
    contains phrases: [String], excludes foreign: [String], sourceLocation: SourceLocation = #_sourceLocation
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
    #expect(subject == "[Sportello #\(ticket)] \(title): \(ticketSubject)", "\(kind) subject: \(subject)", sourceLocation: sourceLocation)
    let body = row.string("body") ?? ""
    for phrase in phrases {
        #expect(body.contains(phrase), "the \(kind) body lacks \(phrase.debugDescription):\n\(body)", sourceLocation: sourceLocation)
    }
    for phrase in foreign {
        #expect(!body.contains(phrase), "the \(kind) body (\(language)) contains \(phrase.debugDescription):\n\(body)",
                sourceLocation: sourceLocation)
    }
    #expect(body.contains("[Sportello #\(ticket)]"), "the \(kind) body should tell to keep the tag", sourceLocation: sourceLocation)
}

@Suite("Tickets: the seed's workflows end to end", .ticketWorld([.careManager, .admin, .operatorA, .operatorB, .giulia, .marco, .oliver]))
struct TicketScenarioTests {
    /// Priority 2 on `interzen`: charge taking 4 working hours, resolution 2 working days.
    static let chargeTakingP2 = 4.0 * 3600
    static let resolutionP2 = 2 * InterzenSupport.workingDaySeconds  // 2 × 630 min = 1260 min

    @Test("a bug: open → receipt → take charge with priority 2 → clarification → the contact's answer → closed by the assignee",
          arguments: BugScenario.all)
    func bugWorkflow(_ scenario: BugScenario) async throws {
        let world = try currentWorld()
        let texts = scenario.texts
        let reporter = scenario.reporter
        let system = try await world.client(.system)
        let careManager = try await world.client(.careManager)
        let assignee = try await world.client(.operatorA)
        let contact = try await world.client(reporter)

        // MARK: 1. Intake
        let openedFrom = Date()
        var ticket: JSON
        if scenario.imported {
            // Through the mail channel: the system imports it with the instant the email arrived.
            ticket = try await world.open(
                system, for: reporter, subject: texts.subject, body: texts.body, channel: "email",
                receivedAt: "2026-11-26T09:00:00+01:00")
        } else {
            ticket = try await contact.ok("ticket.open", [
                "product": TicketWorld.product, "subject": texts.subject, "body": texts.body, "channel": "portal",
            ])
        }
        let openedUntil = Date()
        let id = ticket.ticketID
        #expect(ticket.string("number") == "#\(id)")
        #expect(ticket.string("language") == scenario.language)
        #expect(ticket.string("status") == "new")
        #expect(ticket.string("channel") == (scenario.imported ? "email" : "portal"))
        #expect(ticket.int("contact.id") == world.id(reporter))
        #expect(ticket.int("customer.id") == (reporter == .giulia ? world.rossi : world.northwind))
        #expect(ticket.string("product") == TicketWorld.product)
        #expect(ticket.isNull("classification") && ticket.isNull("assignee"))
        #expect(ticket.int("priority") == 3, "no severity declared: priority 3")
        #expect(ticket.at("eligible") as? Bool == true, "a cloudSaas subscription for the product")
        #expect(ticket.objects("messages")?.map { $0["text"] as? String } == [texts.body])
        let receivedAt = try #require(ticket.date("receivedAt"))
        if scenario.imported {
            expectSameInstant(receivedAt, try #require(parseInstant("2026-11-26T08:00:00Z")), "receivedAt, returned in UTC")
        } else {
            #expect(receivedAt >= openedFrom.addingTimeInterval(-1) && receivedAt <= openedUntil.addingTimeInterval(1))
        }

        // SLA at intake, priority 3: charge taking 8 working hours, resolution 5 working days.
        let chargeDueP3 = InterzenSupport.add(seconds: 8 * 3600, to: receivedAt)
        let resolutionDueP3 = InterzenSupport.add(workingDays: 5, to: receivedAt)
        if scenario.imported {
            // Thu 26 Nov 09:00 + 8 h → Thu 17:00 CET (16:00Z).
            #expect(chargeDueP3 == InterzenSupport.rome(2026, 11, 26, 17))
            // 5 × 630 = 3150 min: Thu 09:00–18:30 = 570, Fri 27 = 630 (1200), Mon 30 (1830), Tue 1 Dec (2460),
            // Wed 2 Dec (3090), then 60 min on Thu 3 Dec → 09:00 CET (08:00Z). No holiday in between.
            #expect(resolutionDueP3 == InterzenSupport.rome(2026, 12, 3, 9))
        }
        #expect(ticket.string("sla.policy") == "interzen")
        #expect(ticket.at("sla.applicable") as? Bool == true, "unclassified tickets run the SLA (they may be bugs)")
        expectSameInstant(ticket.date("sla.clocks.chargeTaking.due"), chargeDueP3, "charge-taking due at intake")
        expectSameInstant(ticket.date("sla.clocks.resolution.due"), resolutionDueP3, "resolution due at intake")
        // Imported: Thu 17:00 CET has long passed (today is later than 26 Nov 2026) → breached at the due.
        // Opened now: 8 working hours are ahead → running.
        #expect(ticket.string("sla.clocks.chargeTaking.state") == (scenario.imported ? "breached" : "running"))
        if scenario.imported {
            expectSameInstant(ticket.date("sla.clocks.chargeTaking.breachedAt"), chargeDueP3, "charge-taking breachedAt")
        }

        // The receipt, at once, in the ticket's language, to the contact.
        let afterOpen = try await careManager.ok("notification.list", ["ticket": id])
        let receipts = afterOpen.objects("items") ?? []
        #expect(receipts.map { $0["kind"] as? String } == ["receipt"], "exactly the receipt after intake")
        expectNotification(
            receipts.first, kind: "receipt", ticket: id, language: scenario.language, to: reporter.email, title: texts.receiptTitle,
            ticketSubject: texts.subject, contains: [texts.greeting, texts.receiptPhrase, "#\(id)"], excludes: texts.foreign)

        // MARK: 2. Take charge: a bug, priority 2, assigned to operator A
        let version = try #require(ticket.int("version"))
        ticket = try await careManager.ok("ticket.takeCharge", [
            "ticket": id, "classification": "bug", "priority": 2, "assignee": world.id(.operatorA), "expectedVersion": version,
        ])
        #expect(ticket.string("status") == "assigned")
        #expect(ticket.string("classification") == "bug")
        #expect(ticket.int("priority") == 2)
        #expect(ticket.int("assignee.id") == world.id(.operatorA))
        #expect(ticket.int("version") == version + 1)
        let tookCharge = try await careManager.ok("ticket.history", ["ticket": id])
        let takenAt = try #require(tookCharge.objects("items")?.first { $0["action"] as? String == "takeCharge" }?.date("at"))

        // Changing the priority recomputes both deadlines from receivedAt (docs/product.md §6).
        let chargeDue = InterzenSupport.add(seconds: Self.chargeTakingP2, to: receivedAt)
        let resolutionDue = InterzenSupport.add(seconds: Self.resolutionP2, to: receivedAt)
        if scenario.imported {
            // Thu 09:00 + 4 h → Thu 13:00 CET (12:00Z).
            #expect(chargeDue == InterzenSupport.rome(2026, 11, 26, 13))
            // 1260 min: Thu 570 + Fri 630 = 1200, then 60 min on Mon 30 Nov → 09:00 CET (08:00Z).
            #expect(resolutionDue == InterzenSupport.rome(2026, 11, 30, 9))
        }
        expectSameInstant(ticket.date("sla.clocks.chargeTaking.due"), chargeDue, "charge-taking due, priority 2")
        expectSameInstant(ticket.date("sla.clocks.resolution.due"), resolutionDue, "resolution due, priority 2")
        // Charge taking stops at the take-charge instant: met if not after the due.
        let chargeState = takenAt <= chargeDue ? "met" : "breached"
        // Imported: taken days after Thu 13:00 → breached. Opened now: taken within seconds → met.
        #expect(chargeState == (scenario.imported ? "breached" : "met"), "hand rule vs scenario")
        #expect(ticket.string("sla.clocks.chargeTaking.state") == chargeState)
        if chargeState == "breached" {
            expectSameInstant(ticket.date("sla.clocks.chargeTaking.breachedAt"), chargeDue, "charge-taking breachedAt")
        } else {
            #expect(ticket.isNull("sla.clocks.chargeTaking.breachedAt"))
        }
        let chargeElapsed = InterzenSupport.workingSeconds(from: receivedAt, to: takenAt) / 60
        #expect(abs((ticket.double("sla.clocks.chargeTaking.elapsed.minutes") ?? -1) - chargeElapsed) < 0.002,
                "charge-taking elapsed \(ticket.at("sla.clocks.chargeTaking.elapsed") ?? "nil"), expected \(chargeElapsed) min")

        // MARK: 3. The assignee asks the customer for clarification
        ticket = try await assignee.ok("ticket.requestClarification", ["ticket": id, "message": texts.question])
        #expect(ticket.string("status") == "waitingCustomer")
        let now = Date()
        if abs(now.timeIntervalSince(resolutionDue)) > 5 {
            // Paused while waiting — unless the deadline had already passed (runs after Mon 30 Nov 09:00 CET).
            #expect(ticket.string("sla.clocks.resolution.state") == (now < resolutionDue ? "paused" : "breached"))
        }
        let afterQuestion = try await careManager.ok("notification.list", ["ticket": id, "kind": "clarification"])
        let clarifications = afterQuestion.objects("items") ?? []
        #expect(clarifications.count == 1)
        expectNotification(
            clarifications.first, kind: "clarification", ticket: id, language: scenario.language, to: reporter.email,
            title: texts.clarificationTitle, ticketSubject: texts.subject,
            contains: [texts.greeting, texts.clarificationPhrase, "> " + texts.question], excludes: texts.foreign)

        // MARK: 4. The contact answers: back to assigned, the clock runs again
        // A pause long enough to be measured when the test runs inside working hours (outside them
        // the paused working time is 0 and the due date does not move).
        try await Task.sleep(for: .milliseconds(250))
        let answered = try await contact.ok("ticket.addMessage", ["ticket": id, "body": texts.answer])
        #expect(answered.string("status") == "assigned")
        let lastMessage = answered.objects("messages")?.last
        #expect(lastMessage?["text"] as? String == texts.answer)
        #expect((lastMessage?["author"] as? JSON)?.int("id") == world.id(reporter))
        #expect((lastMessage?["author"] as? JSON)?.string("kind") == "contact")

        // MARK: 5. The assignee closes it with a text
        ticket = try await assignee.ok("ticket.close", ["ticket": id, "text": texts.closing])
        #expect(ticket.string("status") == "closed")
        let closures = try await careManager.ok("notification.list", ["ticket": id, "kind": "closure"]).objects("items") ?? []
        #expect(closures.count == 1)
        expectNotification(
            closures.first, kind: "closure", ticket: id, language: scenario.language, to: reporter.email, title: texts.closureTitle,
            ticketSubject: texts.subject, contains: [texts.greeting, texts.closurePhrase, "> " + texts.closing], excludes: texts.foreign)
        let everything = try await careManager.ok("notification.list", ["ticket": id]).objects("items") ?? []
        #expect(everything.map { $0["kind"] as? String } == ["closure", "clarification", "receipt"], "newest first, one of each")

        // MARK: 6. The history, and the resolution deadline including the paused working time
        let history = try #require(try await careManager.ok("ticket.history", ["ticket": id]).objects("items"))
        #expect(history.map { $0["action"] as? String } == ["open", "takeCharge", "requestClarification", "addMessage", "close"])
        let actors = history.map { ($0["actor"] as? JSON).map { "\($0.string("kind") ?? "?"):\($0.int("id").map(String.init) ?? "-")" } }
        let reporterKey = "contact:\(world.id(reporter))"
        #expect(actors == [
            scenario.imported ? "system:-" : reporterKey, "staff:\(world.id(.careManager))", "staff:\(world.id(.operatorA))",
            reporterKey, "staff:\(world.id(.operatorA))",
        ])
        let statuses = history.map { ($0["changes"] as? JSON)?.at("status") as? [Any] }.map { $0?.map { $0 as? String ?? "null" } }
        #expect(statuses == [
            ["null", "new"], ["new", "assigned"], ["assigned", "waitingCustomer"], ["waitingCustomer", "assigned"],
            ["assigned", "closed"],
        ])
        let pauseFrom = try #require(history[2].date("at"))
        let pauseTo = try #require(history[3].date("at"))
        let closedAt = try #require(history[4].date("at"))

        // The pause happened at the server's real clock, so its working time is computed from the
        // recorded instants: paused = working time of interzen-support in [pauseFrom, pauseTo]
        // (Mon–Fri 08:00–18:30 Rome, holidays excluded; 0 when both fall outside working hours).
        let paused = InterzenSupport.workingSeconds(from: pauseFrom, to: pauseTo)
        let countedBeforePause = InterzenSupport.workingSeconds(from: receivedAt, to: pauseFrom)
        let expectedDue: Date
        if countedBeforePause < Self.resolutionP2 {
            // The pause began before the deadline: due = receivedAt + 1260 working minutes + paused.
            // Imported: receivedAt Thu 26 Nov 09:00 CET → Mon 30 Nov 09:00 CET, plus the paused working
            // minutes (0 when the test runs at a weekend, as on Sat 28 Nov 2026).
            expectedDue = InterzenSupport.add(seconds: Self.resolutionP2 + paused, to: receivedAt)
            // The same, as "the rest of the target counted from the end of the pause".
            expectSameInstant(
                InterzenSupport.due(start: receivedAt, targetSeconds: Self.resolutionP2, pauseFrom: pauseFrom, pauseTo: pauseTo),
                expectedDue, "oracle self-check")
        } else {
            // The deadline had already passed when the pause began: it does not move.
            expectedDue = resolutionDue
        }
        let sla = try await careManager.ok("sla.status", ["ticket": id])
        expectSameInstant(sla.date("clocks.resolution.due"), expectedDue, "resolution due after the pause")
        let pausedReported = sla.double("clocks.resolution.paused.minutes") ?? -1
        #expect(abs(pausedReported - paused / 60) < 0.002, "paused minutes \(pausedReported), expected \(paused / 60)")
        let resolutionElapsed = (InterzenSupport.workingSeconds(from: receivedAt, to: closedAt) - paused) / 60
        #expect(abs((sla.double("clocks.resolution.elapsed.minutes") ?? -1) - resolutionElapsed) < 0.002,
                "resolution elapsed \(sla.at("clocks.resolution.elapsed") ?? "nil"), expected \(resolutionElapsed) min")
        // Stopped at close: met if closed by the due.
        let resolutionState = closedAt <= expectedDue ? "met" : "breached"
        #expect(sla.string("clocks.resolution.state") == resolutionState)
        #expect(sla.string("clocks.chargeTaking.state") == chargeState, "a stopped clock keeps its verdict")
        #expect(sla.string("state") == (chargeState == "breached" || resolutionState == "breached" ? "breached" : "met"))
        #expect(sla.object("clocks.resolution.target").map(canonicalJSON) == #"{"workingDays":2}"#)
        #expect(sla.object("clocks.chargeTaking.target").map(canonicalJSON) == #"{"hours":4}"#)
        // ticket.get tells the same.
        let final = try await careManager.ok("ticket.get", ["ticket": id])
        #expect(final.object("sla").map(canonicalJSON) == canonicalJSON(sla))
    }

    @Test("a vulnerability: care managers, admins, the assignee and the reporting contact see it; only a care manager closes it")
    func vulnerability() async throws {
        let world = try currentWorld()
        let word = uniqueWord("vuln")
        let giulia = try await world.client(.giulia)
        let careManager = try await world.client(.careManager)
        let ticket = try await giulia.ok("ticket.open", [
            "product": TicketWorld.product, "channel": "portal",
            "subject": "Possibile vulnerabilità nel portale documentale \(word)",
            "body": "Abbiamo notato che il link di condivisione di un documento resta accessibile anche dopo la revoca dei permessi. Vi chiediamo di verificare con urgenza.",
        ])
        let id = ticket.ticketID
        let marco = try await world.client(.marco)
        // Before it is classified, Marco (same company) sees it like any company ticket.
        _ = try await marco.ok("ticket.get", ["ticket": id])

        let taken = try await careManager.ok("ticket.takeCharge", [
            "ticket": id, "classification": "vulnerability", "priority": 1, "assignee": world.id(.operatorA),
        ])
        #expect(taken.string("status") == "assigned")
        #expect(taken.string("classification") == "vulnerability")
        #expect(taken.at("sla.applicable") as? Bool == false, "the SLA applies to bugs only")
        #expect(taken.string("sla.state") == "notApplicable")
        #expect(taken.string("sla.clocks.chargeTaking.state") == "notApplicable")
        #expect(taken.string("sla.clocks.resolution.state") == "notApplicable")

        let missing = 999_999
        for who in [Who.system, .admin, .careManager, .operatorA, .giulia] {
            let client = try await world.client(who)
            let seen = try await client.ok("ticket.get", ["ticket": id])
            #expect(seen.ticketID == id, "\(who) sees the vulnerability")
            let listed = try await client.ok("ticket.list", ["query": word])
            #expect(listed.objects("items")?.map(\.ticketID) == [id], "\(who) lists it")
        }
        for who in [Who.marco, .oliver, .operatorB] {
            let client = try await world.client(who)
            let hidden = try await client.fails("ticket.get", ["ticket": id], code: -32003)
            let absent = try await client.fails("ticket.get", ["ticket": missing], code: -32003)
            #expect(canonicalJSON(hidden).replacingOccurrences(of: "#\(id)", with: "#\(missing)") == canonicalJSON(absent),
                    "\(who): a hidden vulnerability answers exactly like a missing ticket")
            let listed = try await client.ok("ticket.list", ["query": word])
            #expect(listed.objects("items")?.isEmpty == true, "\(who) must not list it: \(listed)")
            let all = try await client.ok("ticket.list", ["limit": 500])
            #expect(all.objects("items")?.contains { $0.ticketID == id } == false, "\(who) must not list it unfiltered")
        }

        // The assignee treats it but does not close it; the care manager does.
        let operatorA = try await world.client(.operatorA)
        _ = try await operatorA.ok("ticket.addMessage", [
            "ticket": id, "body": "Verificato: il token di condivisione non viene invalidato. Correzione in corso.", "internal": true,
        ])
        let refused = try await operatorA.fails("ticket.close", ["ticket": id, "text": "Corretto."], code: -32002)
        #expect(refused.string("message") != nil)
        let unchanged = try await careManager.ok("ticket.get", ["ticket": id])
        #expect(unchanged.string("status") == "assigned")
        // The internal note is not shown to the reporting contact.
        let contactView = try await giulia.ok("ticket.get", ["ticket": id])
        #expect(contactView.objects("messages")?.count == 1, "contacts never see internal notes")
        #expect(unchanged.objects("messages")?.count == 2)

        let closingText = "La vulnerabilità è stata corretta: i link di condivisione revocati non sono più accessibili."
        let closed = try await careManager.ok("ticket.close", ["ticket": id, "text": closingText])
        #expect(closed.string("status") == "closed")
        let closure = try await careManager.ok("notification.list", ["ticket": id, "kind": "closure"]).objects("items")?.first
        expectNotification(
            closure, kind: "closure", ticket: id, language: "it", to: Who.giulia.email, title: "Richiesta chiusa",
            ticketSubject: "Possibile vulnerabilità nel portale documentale \(word)", contains: ["> " + closingText],
            excludes: BugTexts.italian.foreign)
    }

    @Test("an out-of-scope ticket: not eligible, taken in charge as outOfScope (inCharge, no SLA), closed by the care manager")
    func outOfScope() async throws {
        let world = try currentWorld()
        let system = try await world.client(.system)
        let careManager = try await world.client(.careManager)
        // A customer whose only licence is perpetual: support is not guaranteed (docs/product.md §3).
        let code = uniqueWord("PERP").uppercased()
        let customer = try await system.ok("customer.create", [
            "code": code, "name": "Studio Ferri", "language": "it", "email": "segreteria@studioferri.example",
        ])
        let customerID = try #require(customer.int("id"))
        _ = try await system.ok("customer.addSubscription", ["customer": customerID, "product": TicketWorld.product, "mode": "perpetual"])
        // Taken by phone, for the company (no portal contact).
        let subject = "Richiesta di installazione su un nuovo server"
        let ticket = try await world.open(
            system, for: nil, customer: customerID, subject: subject,
            body: "Il cliente chiede di installare la suite su un nuovo server del proprio studio.", channel: "phone")
        let id = ticket.ticketID
        #expect(ticket.at("eligible") as? Bool == false)
        #expect(ticket.isNull("contact"))
        let receipt = try await careManager.ok("notification.list", ["ticket": id]).objects("items")?.first
        #expect(receipt?["to"] as? String == "segreteria@studioferri.example", "without a contact the company's address")

        let taken = try await careManager.ok("ticket.takeCharge", ["ticket": id, "classification": "outOfScope", "priority": 4])
        #expect(taken.string("status") == "inCharge")
        #expect(taken.isNull("assignee"))
        #expect(taken.string("classification") == "outOfScope")
        #expect(taken.at("sla.applicable") as? Bool == false)
        #expect(taken.string("sla.clocks.chargeTaking.state") == "notApplicable")
        #expect(taken.string("sla.clocks.resolution.state") == "notApplicable")
        let status = try await careManager.ok("sla.status", ["ticket": id])
        #expect(status.string("state") == "notApplicable")

        // Operators do not see it; the care manager closes it.
        let operatorA = try await world.client(.operatorA)
        try await operatorA.fails("ticket.close", ["ticket": id], code: -32003)
        let closed = try await careManager.ok("ticket.close", ["ticket": id, "text": "Attività non coperta dal contratto di assistenza."])
        #expect(closed.string("status") == "closed")
        let closure = try await careManager.ok("notification.list", ["ticket": id, "kind": "closure"]).objects("items")?.first
        #expect((closure?["body"] as? String)?.contains("> Attività non coperta dal contratto di assistenza.") == true)
        #expect(closure?["to"] as? String == "segreteria@studioferri.example")
    }

    @Test("language: the text decides, an explicit language wins, a text too short to tell falls back to the customer's")
    func language() async throws {
        let world = try currentWorld()
        let giulia = try await world.client(.giulia)  // Rossi Logistica: Italian
        let oliver = try await world.client(.oliver)  // Northwind Traders: English
        func open(_ client: RPCClient, _ subject: String, _ body: String, language: String? = nil) async throws -> String? {
            var params: JSON = ["product": TicketWorld.product, "channel": "portal", "subject": subject, "body": body]
            if let language { params["language"] = language }
            return try await client.ok("ticket.open", params).string("language")
        }
        // Oliver writes in Italian: the detector decides, not his company's English.
        #expect(try await open(oliver, "Problema con la firma digitale", "Non riusciamo a firmare i documenti: il sistema risponde che il certificato non è valido.") == "it")
        // Giulia writes in English: English, although Rossi Logistica prefers Italian.
        #expect(try await open(giulia, "Cannot sign documents", "We cannot sign documents any more: the system says the certificate is not valid.") == "en")
        // Too short to tell: the contact has no language, so the customer's.
        #expect(try await open(giulia, "#4411", "??") == "it")
        #expect(try await open(oliver, "#4412", "??") == "en")
        // An explicit language wins over the text.
        #expect(try await open(giulia, "Problema con la firma digitale", "Non riusciamo a firmare i documenti: il certificato non è valido.", language: "en") == "en")
    }
}
