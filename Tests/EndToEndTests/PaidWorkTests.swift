// Paid work end to end over the real socket: the price list, quotes, the customer's yes or no,
// support packages, tasks, worklogs, closure and the monthly statement, for the three
// quote-based classifications (evolutionaryChange, helpDesk, invoicedIntervention), in Italian
// and in English; the offer form when no package covers the estimate; the waiting queue; who
// may do what; bad input; and acceptances racing with worklogs for the last hours of a package.
//
// Every test works on a customer company of its own (packages are per customer), so the tests
// run in parallel on the suite's server; the price list is global and every test sets the same
// one (SuitePriceList).

import Foundation
import Testing

/// One step of logged work and the figures after it, in minutes.
struct WorkStep: Sendable {
    let log: Int
    let taskReserved: Int
    let taskLogged: Int
    let packageReserved: Int
    let packageConsumed: Int
    let packageAvailable: Int
}

/// How the quote's hourly rate is chosen.
enum RateSource: Sendable {
    /// The price list's 85.00.
    case list
    /// The customer's contract rate, set by an admin.
    case contract(String)
    /// Given on the quote itself.
    case quote(String)
}

struct PaidScenario: Sendable, CustomTestStringConvertible {
    let classification: String
    let language: String
    let subject: String
    let body: String
    let description: String
    let closing: String
    let estimate: Int
    let rateSource: RateSource
    /// The rate the quote must show, and its amount (hand-computed, to the cent).
    let rate: String
    let amount: String
    /// nil: the default (30 days).
    let validDays: Int?
    let packageHours: Int
    let packagePrice: String
    let steps: [WorkStep]
    /// The package after the close (what remained reserved for the task is released).
    let closedReserved: Int
    let closedConsumed: Int
    let closedAvailable: Int

    var testDescription: String { "\(classification), \(language == "it" ? "Italian" : "English")" }
    var logged: Int { steps.reduce(0) { $0 + $1.log } }

    static func evolutionaryChange(_ language: String) -> PaidScenario {
        let it = language == "it"
        // 6 h 30 min = 390 minutes at the list's 85.00: 6.5 × 85.00 = 552.50.
        // Package 20 h = 1200 min. Accepting reserves 390: reserved 390, consumed 0, available 1200 − 390 = 810.
        return PaidScenario(
            classification: "evolutionaryChange", language: language,
            subject: it ? "Nuovo report mensile delle spedizioni" : "New monthly shipments report",
            body: it
                ? "Buongiorno, vorremmo aggiungere alla suite un report mensile delle spedizioni suddiviso per cliente, esportabile in Excel. Potete inviarci un preventivo? Grazie."
                : "Hello, we would like to add a monthly report of the shipments grouped by customer to the suite, which we could export to Excel. Could you send us a quotation? Thank you.",
            description: it
                ? "Nuovo report mensile delle spedizioni per cliente, esportabile in Excel."
                : "A new monthly shipments report by customer, exportable to Excel.",
            closing: it ? "Il report è disponibile nel menu Analisi." : "The report is available in the Analysis menu.",
            estimate: 390, rateSource: .list, rate: "85.00", amount: "552.50", validDays: nil,
            packageHours: 20, packagePrice: "1600.00",
            steps: [
                // 2 h 30 = 150 min, all from the task's reservation: task reserved 390 − 150 = 240, logged 150;
                // package reserved 240, consumed 150, available still 810.
                WorkStep(log: 150, taskReserved: 240, taskLogged: 150, packageReserved: 240, packageConsumed: 150, packageAvailable: 810),
                // 4 h 15 = 255 min: the 240 still reserved first, then 15 of the package's free minutes:
                // task reserved 0, logged 405; package reserved 0, consumed 405, available 810 − 15 = 795.
                WorkStep(log: 255, taskReserved: 0, taskLogged: 405, packageReserved: 0, packageConsumed: 405, packageAvailable: 795),
            ],
            // Nothing left reserved to release: 0 / 405 / 795 (0 + 405 + 795 = 1200).
            closedReserved: 0, closedConsumed: 405, closedAvailable: 795)
    }

    static func helpDesk(_ language: String) -> PaidScenario {
        let it = language == "it"
        // 18 h 15 min = 1095 minutes at the customer's contract rate 70.00 (it wins over the list's 85.00):
        // 18.25 × 70.00 = 1277.50 ("1.277,50 €" / "€1,277.50").
        // Package 20 h = 1200 min; accepting reserves 1095: available 1200 − 1095 = 105.
        return PaidScenario(
            classification: "helpDesk", language: language,
            subject: it ? "Affiancamento per la migrazione degli archivi" : "Assistance with the archive migration",
            body: it
                ? "Buongiorno, ci serve l'affiancamento di un vostro tecnico per migrare gli archivi documentali del nostro ufficio alla nuova versione della suite. Grazie per la disponibilità."
                : "Hello, we need one of your technicians to help our office migrate the document archives to the new version of the suite. Thank you for your help.",
            description: it
                ? "Affiancamento per la migrazione degli archivi documentali alla nuova versione."
                : "Assistance migrating the document archives to the new version.",
            closing: it ? "Migrazione completata con il vostro personale." : "The migration was completed with your staff.",
            estimate: 1095, rateSource: .contract("70.00"), rate: "70.00", amount: "1277.50", validDays: 15,
            packageHours: 20, packagePrice: "1500.00",
            steps: [
                // 1 h = 60 min from the reservation: task reserved 1095 − 60 = 1035, logged 60;
                // package reserved 1035, consumed 60, available 105.
                WorkStep(log: 60, taskReserved: 1035, taskLogged: 60, packageReserved: 1035, packageConsumed: 60, packageAvailable: 105),
                // 45 min from the reservation: task reserved 990, logged 105; package 990 / 105 / 105.
                WorkStep(log: 45, taskReserved: 990, taskLogged: 105, packageReserved: 990, packageConsumed: 105, packageAvailable: 105),
            ],
            // Closing releases the 990 still reserved: 0 / 105 / 105 + 990 = 1095 (0 + 105 + 1095 = 1200).
            closedReserved: 0, closedConsumed: 105, closedAvailable: 1095)
    }

    static func invoicedIntervention(_ language: String) -> PaidScenario {
        let it = language == "it"
        // 3 h 15 min = 195 minutes at 92.50 given on the quote: 3.25 × 92.50 = 300.625 → 300.63 (half up).
        // Package 5 h = 300 min; accepting reserves 195: available 300 − 195 = 105.
        return PaidScenario(
            classification: "invoicedIntervention", language: language,
            subject: it ? "Intervento presso la sede per il nuovo scanner" : "On-site installation of the new scanner",
            body: it
                ? "Buongiorno, abbiamo acquistato un nuovo scanner di rete e chiediamo un intervento presso la nostra sede per collegarlo alla suite documentale. Cordiali saluti."
                : "Hello, we bought a new network scanner and would like one of your technicians to come to our office and connect it to the document suite. Kind regards.",
            description: it
                ? "Installazione e configurazione dello scanner di rete presso la sede del cliente."
                : "Installing and configuring the network scanner at the customer's office.",
            closing: it ? "Scanner collegato e provato con l'ufficio acquisti." : "The scanner is connected and was tested with the purchasing team.",
            estimate: 195, rateSource: .quote("92.50"), rate: "92.50", amount: "300.63", validDays: 7,
            packageHours: 5, packagePrice: "425.00",
            steps: [
                // 2 h = 120 min from the reservation: task reserved 195 − 120 = 75, logged 120; package 75 / 120 / 105.
                WorkStep(log: 120, taskReserved: 75, taskLogged: 120, packageReserved: 75, packageConsumed: 120, packageAvailable: 105),
                // 1 h 15 = 75 min, exactly the rest of the reservation: task 0, logged 195; package 0 / 195 / 105.
                WorkStep(log: 75, taskReserved: 0, taskLogged: 195, packageReserved: 0, packageConsumed: 195, packageAvailable: 105),
            ],
            // Nothing left to release: 0 / 195 / 105 (0 + 195 + 105 = 300).
            closedReserved: 0, closedConsumed: 195, closedAvailable: 105)
    }

    static let all: [PaidScenario] = ["it", "en"].flatMap { [evolutionaryChange($0), helpDesk($0), invoicedIntervention($0)] }
}

/// The last day of a package bought from an offer of `months` months starting on `start`: the
/// day before the same date `months` months later (the last day of that month when the date
/// does not exist there). 2026-12-06 + 12 months → 2027-12-05.
func offerEnd(_ start: RomeDay, months: Int) -> RomeDay {
    let index = start.year * 12 + (start.month - 1) + months
    let year = index / 12, month = index % 12 + 1
    let daysInMonth = InterzenSupport.rome.range(
        of: .day, in: .month, for: InterzenSupport.rome(year, month, 1, 12))!.count
    if start.day <= daysInMonth { return RomeDay(year: year, month: month, day: start.day).adding(days: -1) }
    return RomeDay(year: year, month: month, day: daysInMonth)
}

/// `error.data.available` as minutes, whether written `{"minutes": n}` or as a bare number.
func availableMinutes(_ error: JSON) -> Int? {
    if let object = error.object("data.available") { return object.int("minutes") }
    return error.int("data.available")
}

/// `count` readings of a package's [reserved, consumed, available] minutes, back to back.
func sampleBalances(_ client: RPCClient, package: Int, count: Int) async throws -> [[Int]] {
    var samples: [[Int]] = []
    for _ in 0..<count {
        let row = try await client.ok("package.get", ["package": package])
        samples.append([row.minutesAt("reserved") ?? -1, row.minutesAt("consumed") ?? -1, row.minutesAt("available") ?? -1])
    }
    return samples
}

/// The history rows whose changes include `status: [from, to]`.
func statusChanges(_ history: [JSON], from: String, to: String) -> [JSON] {
    history.filter { row in
        guard let pair = (row["changes"] as? JSON)?["status"] as? [Any], pair.count == 2 else { return false }
        return pair[0] as? String == from && pair[1] as? String == to
    }
}

func actorKey(_ row: JSON) -> String {
    let actor = row["actor"] as? JSON
    return "\(actor?.string("kind") ?? "?"):\(actor?.int("id").map(String.init) ?? "-")"
}

@Suite("Paid work: quotes, packages, tasks and worklogs end to end",
       .ticketWorld([.admin, .careManager, .operatorA, .operatorB]))
struct PaidWorkTests {
    @Test("price list → open → take charge → package → quote → send → accept → task → log work → close → statement",
          arguments: PaidScenario.all)
    func paidWorkflow(_ s: PaidScenario) async throws {
        let world = try currentWorld()
        let admin = try await world.client(.admin)
        let careManager = try await world.client(.careManager)
        let assignee = try await world.client(.operatorA)
        let it = s.language == "it"

        // MARK: The price list, and the customer
        let list = try await SuitePriceList.set(admin)
        #expect(list.euros("hourlyRate") == "85.00", "\(list)")
        #expect(list.int("minimumMinutes") == 15 && list.int("stepMinutes") == 15, "the defaults: \(list)")
        #expect(list.objects("packageOffers")?.map { $0["name"] as? String } == ["Pacchetto 20 ore", "Pacchetto 50 ore"])
        let customer = try await world.paidCustomer(
            language: s.language, name: it ? "Ferri Trasporti S.r.l." : "Harbour Freight Ltd",
            contactName: it ? "Elena Ferri" : "Jack Harbour")
        let seenList = try await customer.contact.ok("priceList.get")
        #expect(seenList.euros("hourlyRate") == "85.00", "a contact reads the price list: \(seenList)")
        if case .contract(let rate) = s.rateSource {
            let set = try await admin.ok("customer.setContractRate", ["customer": customer.id, "hourlyRate": eur(rate)])
            #expect(set.int("customer") == customer.id && set.euros("hourlyRate") == rate, "\(set)")
        }

        // MARK: Open, take charge
        let id = try await world.openPaidTicket(customer, classification: s.classification, subject: s.subject, body: s.body)
        #expect(try await careManager.ok("ticket.get", ["ticket": id]).string("language") == s.language)

        // MARK: The package the care manager records from the signed form
        let package = try await world.orderPackage(
            for: customer.id, hours: s.packageHours, price: s.packagePrice, reference: "modulo \(customer.code)")
        let packageID = try #require(package.int("id"))
        let bought = s.packageHours * 60
        #expect(package.int("customer") == customer.id)
        #expect(package.euros("price") == s.packagePrice)
        #expect(package.string("startsOn") == RomeDay.today().iso)
        #expect(package.string("reference") == "modulo \(customer.code)")
        #expect(package.minutesAt("reserved") == 0 && package.minutesAt("consumed") == 0 && package.minutesAt("available") == bought)

        // MARK: The quote
        var params: JSON = [
            "ticket": id, "estimate": minutes(s.estimate), "description": s.description, "assignee": world.id(.operatorA),
        ]
        if case .quote(let rate) = s.rateSource { params["hourlyRate"] = eur(rate) }
        if let validDays = s.validDays { params["validDays"] = validDays }
        let draft = try await careManager.ok("quote.create", params)
        let quoteID = try #require(draft.int("id"))
        let validDays = s.validDays ?? 30
        #expect(draft.string("status") == "draft")
        #expect(draft.int("ticket") == id && draft.int("customer") == customer.id)
        #expect(draft.minutesAt("estimate") == s.estimate)
        #expect(draft.euros("hourlyRate") == s.rate, "rate: \(draft)")
        #expect(draft.euros("amount") == s.amount, "amount: \(draft)")
        #expect(draft.int("validDays") == validDays)
        #expect(draft.string("validUntil") == RomeDay.today().adding(days: validDays).iso, "a draft shows validUntil as if sent today")
        #expect(draft.int("assignee.id") == world.id(.operatorA))
        #expect(draft.string("description") == s.description)
        #expect(draft.isNull("answerNote"))
        #expect(try await world.ticketStatus(id) == "inCharge", "a draft does not move the ticket")
        #expect(try await world.notifications(id, kind: "quote").isEmpty, "a draft is not sent")

        // MARK: Send: the ticket is quoted, the customer gets the quote in their language
        let sent = try await careManager.ok("quote.send", ["quote": quoteID])
        let validUntil = RomeDay.today().adding(days: validDays)
        #expect(sent.string("status") == "sent")
        #expect(sent.string("validUntil") == validUntil.iso, "valid through today + \(validDays) days")
        #expect(sent.euros("amount") == s.amount)
        #expect(try await world.ticketStatus(id) == "quoted")
        let quoteMails = try await world.notifications(id, kind: "quote")
        #expect(quoteMails.count == 1)
        // E.g. "552,50 € (IVA esclusa)", "valido fino al 5 gennaio 2027" / "€552.50 (VAT excluded)", "5 January 2027".
        expectPaidNotification(
            quoteMails.first, kind: "quote", ticket: id, language: s.language, to: customer.contactEmail, ticketSubject: s.subject,
            contains: [
                customer.contactName, displayMoney(s.amount, s.language), displayMoney(s.rate, s.language),
                displayHours(s.estimate, s.language), validUntil.words(s.language), it ? "IVA esclusa" : "VAT excluded",
            ])
        // The contact sees their company's quote.
        let seen = try await customer.contact.ok("quote.get", ["quote": quoteID])
        #expect(seen.string("status") == "sent" && seen.euros("amount") == s.amount)
        let listed = try await customer.contact.ok("quote.list", [:]).objects("items") ?? []
        #expect(listed.compactMap { $0.int("id") } == [quoteID], "the contact lists their company's quote: \(listed)")

        // MARK: Accept: assigned to the quote's assignee, a task reserving the estimate
        let accepted = try await customer.contact.ok("quote.accept", ["quote": quoteID])
        #expect(accepted.string("status") == "accepted")
        let assigned = try await careManager.ok("ticket.get", ["ticket": id])
        #expect(assigned.string("status") == "assigned")
        #expect(assigned.int("assignee.id") == world.id(.operatorA), "assigned to the quote's assignee")
        #expect(try await world.notifications(id, kind: "offerForm").isEmpty, "the package covers it: no offer form")
        let task = try await world.task(of: id)
        let taskID = try #require(task.int("id"))
        #expect(task.int("package") == packageID && task.int("quote") == quoteID && task.int("ticket") == id)
        #expect(task.minutesAt("estimate") == s.estimate && task.minutesAt("reserved") == s.estimate && task.minutesAt("logged") == 0)
        #expect(task.isNull("closedOn"))
        let afterAccept = try await world.balance(of: packageID)
        #expect(afterAccept.reserved == s.estimate && afterAccept.consumed == 0 && afterAccept.available == bought - s.estimate,
                "the estimate is reserved: \(afterAccept)")

        // MARK: Log work: the reservation first, then the package's free minutes
        for (index, step) in s.steps.enumerated() {
            let note = "Lavoro \(index + 1)"
            let worklog = try await assignee.ok("task.logWork", ["task": taskID, "duration": minutes(step.log), "note": note])
            #expect(worklog.int("task") == taskID && worklog.int("staff.id") == world.id(.operatorA))
            #expect(worklog.minutesAt("duration") == step.log && worklog.string("note") == note)
            #expect(worklog.string("on") == RomeDay.today().iso, "on defaults to today")
            let now = try await careManager.ok("task.get", ["task": taskID])
            #expect(now.minutesAt("reserved") == step.taskReserved && now.minutesAt("logged") == step.taskLogged,
                    "task after \(step.log) min: \(now)")
            let balance = try await world.balance(of: packageID)
            #expect(balance.reserved == step.packageReserved && balance.consumed == step.packageConsumed
                    && balance.available == step.packageAvailable, "package after \(step.log) min: \(balance)")
        }
        let worklogs = try await careManager.ok("task.worklogs", ["task": taskID]).objects("items") ?? []
        #expect(worklogs.map { $0.minutesAt("duration") } == s.steps.map { $0.log }, "oldest first")

        // MARK: Close: the rest of the reservation is released, the closure states the hours worked
        let closed = try await assignee.ok("ticket.close", ["ticket": id, "text": s.closing])
        #expect(closed.string("status") == "closed")
        let closedTask = try await careManager.ok("task.get", ["task": taskID])
        #expect(closedTask.minutesAt("reserved") == 0 && closedTask.minutesAt("logged") == s.logged, "\(closedTask)")
        #expect(closedTask.string("closedOn") == RomeDay.today().iso)
        let final = try await world.balance(of: packageID)
        #expect(final.reserved == s.closedReserved && final.consumed == s.closedConsumed && final.available == s.closedAvailable,
                "package after the close: \(final)")
        let closures = try await world.notifications(id, kind: "closure")
        #expect(closures.count == 1)
        // E.g. "6 ore e 45 minuti" / "6 hours 45 minutes".
        expectPaidNotification(
            closures.first, kind: "closure", ticket: id, language: s.language, to: customer.contactEmail, ticketSubject: s.subject,
            contains: [displayHours(s.logged, s.language), "> " + s.closing])

        // MARK: The month's statement: the package line and the closed task at the quote's amount
        let month = RomeDay.today().monthText
        let statement = try await careManager.ok("billing.statement", ["customer": customer.id, "month": month])
        #expect(statement.int("customer") == customer.id && statement.string("month") == month)
        let lines = statement.objects("packages") ?? []
        #expect(lines.count == 1, "\(statement)")
        let line = try #require(lines.first)
        #expect(line.int("package") == packageID && line.minutesAt("hours") == bought)
        #expect(line.minutesAt("consumedInMonth") == s.logged && line.minutesAt("consumedToDate") == s.logged)
        #expect(line.minutesAt("available") == s.closedAvailable)
        let tasks = statement.objects("closedTasks") ?? []
        #expect(tasks.count == 1, "\(statement)")
        let billed = try #require(tasks.first)
        #expect(billed.int("task") == taskID && billed.int("ticket") == id && billed.int("quote") == quoteID)
        #expect(billed.int("package") == packageID && billed.string("closedOn") == RomeDay.today().iso)
        #expect(billed.euros("amount") == s.amount, "billed at the quote's amount to the cent: \(billed)")
        #expect(billed.minutesAt("estimate") == s.estimate && billed.minutesAt("logged") == s.logged)
        // The contact reads the same statement for their own company.
        let theirs = try await customer.contact.ok("billing.statement", ["customer": customer.id, "month": month])
        #expect(canonicalJSON(theirs) == canonicalJSON(statement))

        // MARK: Every change left its history row with before → after
        let history = try await careManager.ok("ticket.history", ["ticket": id]).objects("items") ?? []
        let sentRows = statusChanges(history, from: "inCharge", to: "quoted")
        #expect(sentRows.count == 1, "one row for sending the quote: \(history)")
        #expect(sentRows.first.map(actorKey) == "staff:\(world.id(.careManager))")
        let acceptedRows = statusChanges(history, from: "quoted", to: "assigned")
        #expect(acceptedRows.count == 1, "one row for the acceptance: \(history)")
        #expect(acceptedRows.first.map(actorKey) == "contact:\(customer.contactID)")
        // The assignee set on acceptance is recorded too (null → the quote's assignee), in whichever row.
        let assigneeRows = history.filter { row in
            guard let pair = (row["changes"] as? JSON)?["assignee"] as? [Any], pair.count == 2 else { return false }
            return pair[0] is NSNull && ((pair[1] as? JSON)?.int("id") ?? (pair[1] as? NSNumber)?.intValue) == world.id(.operatorA)
        }
        #expect(assigneeRows.count == 1, "the assignee change, before → after: \(history)")
        #expect(statusChanges(history, from: "assigned", to: "closed").first.map(actorKey) == "staff:\(world.id(.operatorA))")
        customer.contact.close()
    }

    @Test("accepting with too few package hours sends the offer form; ordering a package lets the ticket proceed in the same call",
          arguments: ["it", "en"])
    func offerForm(_ language: String) async throws {
        let world = try currentWorld()
        let it = language == "it"
        let careManager = try await world.client(.careManager)
        try await SuitePriceList.set(try await world.client(.admin))
        let customer = try await world.paidCustomer(
            language: language, name: it ? "Conti Arredamenti S.p.A." : "Lakeside Furniture Ltd",
            contactName: it ? "Paolo Conti" : "Emma Lake")
        // A package of 2 h = 120 min: not enough for 6 h.
        let small = try await world.orderPackage(for: customer.id, hours: 2, price: "170.00")
        let smallID = try #require(small.int("id"))
        let subject = it ? "Nuovo campo nel modulo degli ordini" : "A new field in the order form"
        let id = try await world.openPaidTicket(
            customer, classification: "evolutionaryChange", subject: subject,
            body: it
                ? "Buongiorno, vorremmo aggiungere al modulo degli ordini un campo per il codice del progetto, obbligatorio per il nostro ufficio amministrativo. Grazie."
                : "Hello, we would like to add a field for the project code to the order form, which our accounts department requires. Thank you.")
        // 6 h = 360 min at 85.00: 6 × 85.00 = 510.00.
        let quote = try await world.sentQuote(ticket: id, estimate: 360)
        let quoteID = try #require(quote.int("id"))
        #expect(quote.euros("amount") == "510.00")

        let accepted = try await customer.contact.ok("quote.accept", ["quote": quoteID])
        #expect(accepted.string("status") == "accepted")
        #expect(try await world.ticketStatus(id) == "awaitingPackage")
        let noTask = try await careManager.ok("task.list", ["ticket": id]).objects("items") ?? []
        #expect(noTask.isEmpty, "no task while waiting: \(noTask)")
        let untouched = try await world.balance(of: smallID)
        #expect(untouched.reserved == 0 && untouched.available == 120, "the small package is not touched: \(untouched)")
        let forms = try await world.notifications(id, kind: "offerForm")
        #expect(forms.count == 1)
        // What is missing ("servono 6 ore, ne restano 2"), and the two offers with their prices.
        expectPaidNotification(
            forms.first, kind: "offerForm", ticket: id, language: language, to: customer.contactEmail, ticketSubject: subject,
            contains: [
                it ? "servono 6 ore, ne restano 2" : "6 hours are needed, 2 remain",
                "Pacchetto 20 ore", displayMoney("1600.00", language), "Pacchetto 50 ore", displayMoney("3750.00", language),
            ])

        // The order: Italian — the contact orders an offer by name; English — the care manager records it.
        let today = RomeDay.today()
        let ordered: JSON
        if it {
            ordered = try await customer.contact.ok("package.order", ["customer": customer.id, "offer": "Pacchetto 20 ore"])
            #expect(ordered.string("offer") == "Pacchetto 20 ore")
            // 12 months from today, through the day before.
            #expect(ordered.string("endsOn") == offerEnd(today, months: 12).iso, "\(ordered)")
        } else {
            ordered = try await careManager.ok("package.order", [
                "customer": customer.id, "hours": ["hours": 20], "price": eur("1600.00"), "startsOn": today.iso,
                "reference": "signed form 2026/77",
            ])
        }
        let bigID = try #require(ordered.int("id"))
        #expect(ordered.minutesAt("hours") == 1200 && ordered.euros("price") == "1600.00" && ordered.string("startsOn") == today.iso)

        // Nothing else called: the waiting ticket proceeded in the order's transaction.
        let proceeded = try await careManager.ok("ticket.get", ["ticket": id])
        #expect(proceeded.string("status") == "assigned")
        #expect(proceeded.int("assignee.id") == world.id(.operatorA))
        let task = try await world.task(of: id)
        // Never split across packages: the whole 360 in the new package; the old one keeps its 120.
        #expect(task.int("package") == bigID && task.int("quote") == quoteID && task.minutesAt("reserved") == 360)
        let big = try await world.balance(of: bigID)
        #expect(big.reserved == 360 && big.consumed == 0 && big.available == 1200 - 360, "\(big)")
        let old = try await world.balance(of: smallID)
        #expect(old.reserved == 0 && old.available == 120, "\(old)")
        let history = try await careManager.ok("ticket.history", ["ticket": id]).objects("items") ?? []
        #expect(statusChanges(history, from: "quoted", to: "awaitingPackage").count == 1, "\(history)")
        #expect(statusChanges(history, from: "awaitingPackage", to: "assigned").count == 1, "\(history)")
        customer.contact.close()
    }

    @Test("waiting tickets proceed oldest first when a package is ordered; the first that does not fit stops the queue")
    func waitingQueue() async throws {
        let world = try currentWorld()
        try await SuitePriceList.set(try await world.client(.admin))
        let customer = try await world.paidCustomer(language: "it", name: "Magazzini Riva S.r.l.", contactName: "Sara Riva")
        // Three tickets, opened and accepted in this order, with no package: all wait.
        var tickets: [Int] = []
        for (index, estimate) in [480, 240, 60].enumerated() {
            let id = try await world.openPaidTicket(
                customer, classification: "helpDesk", subject: "Supporto alla configurazione \(index + 1)",
                body: "Buongiorno, chiediamo il vostro supporto per la configurazione dei nuovi utenti del magazzino. Grazie.")
            let quote = try await world.sentQuote(ticket: id, estimate: estimate)
            _ = try await customer.contact.ok("quote.accept", ["quote": try #require(quote.int("id"))])
            #expect(try await world.ticketStatus(id) == "awaitingPackage")
            tickets.append(id)
        }
        // 10 h = 600 min: the oldest (480) fits, 120 remain; the second (240) does not and stops
        // the queue, so the third (60) waits although 120 would cover it.
        let first = try await world.orderPackage(for: customer.id, hours: 10, price: "850.00")
        let firstID = try #require(first.int("id"))
        #expect(try await world.ticketStatus(tickets[0]) == "assigned")
        #expect(try await world.ticketStatus(tickets[1]) == "awaitingPackage")
        #expect(try await world.ticketStatus(tickets[2]) == "awaitingPackage", "the queue stops at the first that does not fit")
        var balance = try await world.balance(of: firstID)
        #expect(balance.reserved == 480 && balance.available == 120, "\(balance)")

        // 5 h = 300 min more: the second (240) fits in the new package; the third (60) then fits too
        // (in the oldest package that covers it: the first, with 120 left, or the new one with 60).
        let second = try await world.orderPackage(for: customer.id, hours: 5, price: "425.00")
        let secondID = try #require(second.int("id"))
        #expect(try await world.ticketStatus(tickets[1]) == "assigned")
        #expect(try await world.ticketStatus(tickets[2]) == "assigned")
        #expect(try await world.task(of: tickets[1]).int("package") == secondID, "240 fits only in the new package")
        let third = try await world.task(of: tickets[2]).int("package")
        #expect(third == firstID, "the oldest package that covers the whole estimate: \(third.map(String.init) ?? "nil")")
        balance = try await world.balance(of: firstID)
        let other = try await world.balance(of: secondID)
        // Reserved in all: 480 + 240 + 60 = 780 of 900 bought; 120 available.
        #expect(balance.reserved + other.reserved == 780 && balance.available + other.available == 120, "\(balance) \(other)")
        customer.contact.close()
    }

    @Test("the customer refuses: quote rejected, ticket inCharge as interventionNotAccepted, closed by a care manager; an answer recorded by phone")
    func rejection() async throws {
        let world = try currentWorld()
        let careManager = try await world.client(.careManager)
        try await SuitePriceList.set(try await world.client(.admin))
        let customer = try await world.paidCustomer(language: "it", name: "Studio Galli", contactName: "Marta Galli")
        let subject = "Installazione del modulo firme"
        let id = try await world.openPaidTicket(
            customer, classification: "invoicedIntervention", subject: subject,
            body: "Buongiorno, chiediamo l'installazione del modulo per la firma digitale presso il nostro studio. Grazie.")
        let quote = try await world.sentQuote(ticket: id, estimate: 120)
        let quoteID = try #require(quote.int("id"))
        let reason = "Budget non disponibile quest'anno."
        let rejected = try await customer.contact.ok("quote.reject", ["quote": quoteID, "reason": reason])
        #expect(rejected.string("status") == "rejected")
        #expect(rejected.string("answerNote") == reason)
        let ticket = try await careManager.ok("ticket.get", ["ticket": id])
        #expect(ticket.string("status") == "inCharge")
        #expect(ticket.string("classification") == "interventionNotAccepted")
        #expect(try await careManager.ok("task.list", ["ticket": id]).objects("items")?.isEmpty == true, "no task")
        #expect(try await world.notifications(id, kind: "offerForm").isEmpty)
        // Answered already.
        try await customer.contact.fails("quote.accept", ["quote": quoteID], code: -32005)
        #expect(try await careManager.ok("quote.get", ["quote": quoteID]).string("status") == "rejected")

        let text = "Intervento non accettato dal cliente: chiudiamo la richiesta."
        let closed = try await careManager.ok("ticket.close", ["ticket": id, "text": text])
        #expect(closed.string("status") == "closed")
        let closures = try await world.notifications(id, kind: "closure")
        #expect(closures.count == 1)
        expectPaidNotification(
            closures.first, kind: "closure", ticket: id, language: "it", to: customer.contactEmail, ticketSubject: subject,
            contains: ["> " + text])
        let history = try await careManager.ok("ticket.history", ["ticket": id]).objects("items") ?? []
        let rows = statusChanges(history, from: "quoted", to: "inCharge")
        #expect(rows.count == 1 && rows.first.map(actorKey) == "contact:\(customer.contactID)", "\(history)")
        let classification = (rows.first?["changes"] as? JSON)?["classification"] as? [Any]
        #expect(classification?.compactMap { $0 as? String } == ["invoicedIntervention", "interventionNotAccepted"], "\(rows)")

        // A care manager records an answer given by phone: the note says how.
        let other = try await world.openPaidTicket(
            customer, classification: "helpDesk", subject: "Formazione sul nuovo archivio",
            body: "Buongiorno, vorremmo una sessione di formazione sul nuovo archivio documentale per i colleghi. Grazie.")
        let second = try await world.sentQuote(ticket: other, estimate: 60)
        let note = "accettato per telefono dal responsabile IT"
        let byPhone = try await careManager.ok("quote.accept", ["quote": try #require(second.int("id")), "note": note])
        #expect(byPhone.string("status") == "accepted" && byPhone.string("answerNote") == note)
        #expect(try await world.ticketStatus(other) == "awaitingPackage", "no package: the offer form")
        customer.contact.close()
    }

    @Test("who may: other companies' contacts see nothing (-32003), operators cannot answer (-32002), contacts cannot touch tasks, answering twice is -32005")
    func access() async throws {
        let world = try currentWorld()
        let careManager = try await world.client(.careManager)
        let operatorA = try await world.client(.operatorA)
        let operatorB = try await world.client(.operatorB)
        try await SuitePriceList.set(try await world.client(.admin))
        let mine = try await world.paidCustomer(language: "it", name: "Lombardi Ottica", contactName: "Franco Lombardi")
        let theirs = try await world.paidCustomer(language: "en", name: "Seaview Optics Ltd", contactName: "Lucy Seaview")
        let package = try await world.orderPackage(for: mine.id, hours: 10, price: "850.00")
        let packageID = try #require(package.int("id"))
        let id = try await world.openPaidTicket(
            mine, classification: "evolutionaryChange", subject: "Stampa delle etichette",
            body: "Buongiorno, vorremmo stampare le etichette dei prodotti direttamente dalla scheda articolo. Grazie.")
        let quote = try await world.sentQuote(ticket: id, estimate: 120)
        let quoteID = try #require(quote.int("id"))

        // Another company's contact: the quote, the package and the statement do not exist for them.
        try await theirs.contact.fails("quote.get", ["quote": quoteID], code: -32003)
        try await theirs.contact.fails("quote.accept", ["quote": quoteID], code: -32003)
        try await theirs.contact.fails("quote.reject", ["quote": quoteID], code: -32003)
        try await theirs.contact.fails("package.get", ["package": packageID], code: -32003)
        try await theirs.contact.fails("billing.statement", ["customer": mine.id, "month": RomeDay.today().monthText], code: -32003)
        let theirList = try await theirs.contact.ok("quote.list", [:]).objects("items") ?? []
        #expect(!theirList.contains { $0.int("id") == quoteID }, "another company's quote is never listed")
        // Operators cannot answer for the customer, not even the quote's assignee; nor make or send quotes.
        for client in [operatorA, operatorB] {
            try await client.fails("quote.accept", ["quote": quoteID], code: -32002)
            try await client.fails("quote.reject", ["quote": quoteID], code: -32002)
        }
        try await operatorA.fails("quote.send", ["quote": quoteID], code: -32002)
        try await operatorA.fails("quote.create", [
            "ticket": id, "estimate": minutes(60), "description": "x", "assignee": world.id(.operatorA),
        ], code: -32002)
        // Admin-only settings.
        try await careManager.fails("priceList.set", ["hourlyRate": eur("85.00"), "packageOffers": SuitePriceList.offers], code: -32002)
        try await careManager.fails("customer.setContractRate", ["customer": mine.id, "hourlyRate": eur("60.00")], code: -32002)
        // A contact orders packages by offer name only.
        try await mine.contact.fails("package.order", [
            "customer": mine.id, "hours": ["hours": 100], "price": eur("1.00"), "startsOn": RomeDay.today().iso,
        ], code: -32002)
        #expect(try await careManager.ok("package.list", ["customer": mine.id]).objects("items")?.count == 1, "nothing ordered")
        #expect(try await world.ticketStatus(id) == "quoted", "nothing answered")

        // The customer's own contact answers; answering again is -32005 either way.
        _ = try await mine.contact.ok("quote.accept", ["quote": quoteID])
        try await mine.contact.fails("quote.accept", ["quote": quoteID], code: -32005)
        try await mine.contact.fails("quote.reject", ["quote": quoteID], code: -32005)
        try await careManager.fails("quote.accept", ["quote": quoteID, "note": "per telefono"], code: -32005)
        try await careManager.fails("quote.send", ["quote": quoteID], code: -32005)
        try await careManager.fails("quote.update", ["quote": quoteID, "estimate": minutes(180)], code: -32005)
        #expect(try await careManager.ok("quote.get", ["quote": quoteID]).minutesAt("estimate") == 120)

        // Tasks are staff-only; only the assignee (or a manager) logs work.
        let taskID = try #require(try await world.task(of: id).int("id"))
        try await mine.contact.fails("task.get", ["task": taskID], code: -32002)
        try await mine.contact.fails("task.list", ["ticket": id], code: -32002)
        try await mine.contact.fails("task.worklogs", ["task": taskID], code: -32002)
        try await mine.contact.fails("task.logWork", ["task": taskID, "duration": minutes(30), "note": "x"], code: -32002)
        // An operator not assigned to the ticket does not see it, nor its task: -32003, as ticket.get answers.
        try await operatorB.fails("task.logWork", ["task": taskID, "duration": minutes(30), "note": "x"], code: -32003)
        #expect(try await world.task(of: id).minutesAt("logged") == 0, "nothing logged")
        _ = try await careManager.ok("task.logWork", ["task": taskID, "duration": minutes(30), "note": "Analisi con il cliente."])
        // Their own things the contact does see.
        #expect(try await mine.contact.ok("package.get", ["package": packageID]).minutesAt("consumed") == 30)
        mine.contact.close()
        theirs.contact.close()
    }

    @Test("bad input: estimates, rates, currencies, validity, dates and durations are -32602 naming the field; wrong states -32005; no hours left -32006")
    func badInput() async throws {
        let world = try currentWorld()
        let careManager = try await world.client(.careManager)
        let admin = try await world.client(.admin)
        let operatorA = try await world.client(.operatorA)
        try await SuitePriceList.set(admin)
        let customer = try await world.paidCustomer(language: "it", name: "Officine Sala", contactName: "Bruno Sala")
        let id = try await world.openPaidTicket(
            customer, classification: "evolutionaryChange", subject: "Nuovo cruscotto",
            body: "Buongiorno, vorremmo un cruscotto con l'andamento mensile degli ordini. Grazie.")
        let base: JSON = ["ticket": id, "estimate": minutes(60), "description": "Cruscotto ordini.", "assignee": world.id(.operatorA)]
        func create(_ change: JSON) -> JSON {
            var params = base
            for (key, value) in change { params[key] = value }
            return params
        }

        // Estimates: 0, negative, under the 15-minute minimum, not a multiple of 15, over 10,000 hours.
        for estimate: JSON in [minutes(0), minutes(-60), minutes(10), minutes(20), ["hours": 10_001]] {
            let error = try await careManager.fails("quote.create", create(["estimate": estimate]), code: -32602)
            let field = error.string("data.field") ?? ""
            #expect(field.hasPrefix("params.estimate"), "estimate \(estimate): \(error)")
        }
        // Rates: three decimals, a sign, a JSON number, a currency in the amount; another currency.
        for amount in ["12.345", "-5.00", 12.5, "EUR 12"] as [Any] {
            let error = try await careManager.fails(
                "quote.create", create(["hourlyRate": ["amount": amount, "currency": "EUR"]]), code: -32602)
            #expect(error.string("data.field") == "params.hourlyRate.amount", "rate \(amount): \(error)")
            let contract = try await admin.fails(
                "customer.setContractRate", ["customer": customer.id, "hourlyRate": ["amount": amount, "currency": "EUR"]], code: -32602)
            // hourlyRate is Money or null here: the field names the rate (ideally its amount).
            #expect((contract.string("data.field") ?? "").hasPrefix("params.hourlyRate"), "contract rate \(amount): \(contract)")
        }
        let usd = try await careManager.fails("quote.create", create(["hourlyRate": ["amount": "85.00", "currency": "USD"]]), code: -32602)
        #expect(usd.string("data.field") == "params.hourlyRate.currency", "\(usd)")
        for days in [0, 366] {
            let error = try await careManager.fails("quote.create", create(["validDays": days]), code: -32602)
            #expect(error.string("data.field") == "params.validDays", "validDays \(days): \(error)")
        }
        #expect(try await careManager.ok("quote.list", ["ticket": id]).objects("items")?.isEmpty == true, "nothing created")

        // One open quote per ticket.
        let draft = try await careManager.ok("quote.create", base)
        try await careManager.fails("quote.create", base, code: -32005)
        // No quote on a bug.
        let bugOpened = try await customer.contact.ok("ticket.open", [
            "product": TicketWorld.product, "channel": "portal", "subject": "Errore di stampa",
            "body": "Buongiorno, la stampa delle fatture si interrompe con un errore. Grazie.",
        ])
        _ = try await careManager.ok("ticket.takeCharge", [
            "ticket": bugOpened.ticketID, "classification": "bug", "priority": 3, "assignee": world.id(.operatorA),
        ])
        var onBug = base
        onBug["ticket"] = bugOpened.ticketID
        try await careManager.fails("quote.create", onBug, code: -32005)

        // A package ending before it starts.
        let backwards = try await careManager.fails("package.order", [
            "customer": customer.id, "hours": ["hours": 2], "price": eur("170.00"), "startsOn": "2026-12-01", "endsOn": "2026-11-30",
        ], code: -32602)
        #expect(backwards.string("data.field") == "params.endsOn", "\(backwards)")
        #expect(try await careManager.ok("package.list", ["customer": customer.id]).objects("items")?.isEmpty == true)

        // 2 h = 120 min bought; the 60-minute quote reserves 60 (available 60).
        let package = try await world.orderPackage(for: customer.id, hours: 2, price: "170.00")
        let packageID = try #require(package.int("id"))
        _ = try await careManager.ok("quote.send", ["quote": try #require(draft.int("id"))])
        _ = try await customer.contact.ok("quote.accept", ["quote": try #require(draft.int("id"))])
        let taskID = try #require(try await world.task(of: id).int("id"))
        let tooShort = try await operatorA.fails("task.logWork", ["task": taskID, "duration": minutes(10), "note": "x"], code: -32602)
        #expect((tooShort.string("data.field") ?? "").hasPrefix("params.duration"), "\(tooShort)")
        // 60 min: the whole reservation → task reserved 0; package reserved 0, consumed 60, available 60.
        _ = try await operatorA.ok("task.logWork", ["task": taskID, "duration": minutes(60), "note": "Query."])
        // 75 min: nothing reserved is left and the package has 60 free → -32006, nothing changes.
        let tooMuch = try await operatorA.fails("task.logWork", ["task": taskID, "duration": minutes(75), "note": "Layout."], code: -32006)
        #expect(availableMinutes(tooMuch) == 60, "data.available: \(tooMuch)")
        #expect(tooMuch.string("data.reason") != nil, "\(tooMuch)")
        var balance = try await world.balance(of: packageID)
        #expect(balance.reserved == 0 && balance.consumed == 60 && balance.available == 60, "nothing changed: \(balance)")
        #expect(try await world.task(of: id).minutesAt("logged") == 60)
        // Closed: no more work on its task (although 15 min would fit in the 60 available), no quote on it.
        _ = try await operatorA.ok("ticket.close", ["ticket": id, "text": "Cruscotto consegnato."])
        try await careManager.fails("task.logWork", ["task": taskID, "duration": minutes(15), "note": "x"], code: -32005)
        try await careManager.fails("quote.create", base, code: -32005)
        #expect(try await world.task(of: id).minutesAt("logged") == 60)
        balance = try await world.balance(of: packageID)
        #expect(balance.reserved == 0 && balance.consumed == 60 && balance.available == 60, "nothing changed: \(balance)")
        customer.contact.close()
    }

    @Test("20 clients race: 10 acceptances for a package that covers one, and 10 worklogs; the balance never goes below zero")
    func concurrency() async throws {
        let world = try currentWorld()
        let careManager = try await world.client(.careManager)
        try await SuitePriceList.set(try await world.client(.admin))
        let customer = try await world.paidCustomer(language: "it", name: "Distribuzione Moretti S.p.A.", contactName: "Luisa Moretti")
        // 9 h = 540 min bought.
        let package = try await world.orderPackage(for: customer.id, hours: 9, price: "765.00")
        let packageID = try #require(package.int("id"))
        // A first ticket accepted by phone: its task reserves 5 h = 300 min → available 540 − 300 = 240,
        // exactly one 4-hour estimate.
        let first = try await world.openPaidTicket(
            customer, classification: "helpDesk", subject: "Supporto alla chiusura contabile",
            body: "Buongiorno, chiediamo supporto per la chiusura contabile di fine anno nella suite. Grazie.")
        let firstQuote = try await world.sentQuote(ticket: first, estimate: 300)
        _ = try await careManager.ok("quote.accept", ["quote": try #require(firstQuote.int("id")), "note": "per telefono"])
        let firstTask = try #require(try await world.task(of: first).int("id"))
        var balance = try await world.balance(of: packageID)
        #expect(balance.reserved == 300 && balance.available == 240, "\(balance)")

        // Ten more tickets, each with a sent 4-hour (240 min) quote.
        var tickets: [Int] = []
        var quotes: [Int] = []
        for index in 1...10 {
            let id = try await world.openPaidTicket(
                customer, classification: "evolutionaryChange", subject: "Personalizzazione \(index)",
                body: "Buongiorno, vorremmo una personalizzazione della scheda cliente con nuovi campi. Grazie.")
            tickets.append(id)
            quotes.append(try #require(try await world.sentQuote(ticket: id, estimate: 240).int("id")))
        }

        // 20 clients, each on its own connection with its own session (session.login): ten for the
        // contact, ten for the assignee.
        let acceptors = try await withThrowingTaskGroup(of: RPCClient.self) { group in
            for _ in 0..<10 { group.addTask { try await world.signIn(email: customer.contactEmail, expecting: customer.contactID) } }
            return try await group.reduce(into: [RPCClient]()) { $0.append($1) }
        }
        let loggers = try await withThrowingTaskGroup(of: RPCClient.self) { group in
            for _ in 0..<10 { group.addTask { try await world.signIn(.operatorA) } }
            return try await group.reduce(into: [RPCClient]()) { $0.append($1) }
        }
        defer { for client in acceptors + loggers { client.close() } }
        var calls: [(client: RPCClient, method: String, params: JSON)] = []
        for index in 0..<10 {
            calls.append((acceptors[index], "quote.accept", ["quote": quotes[index]]))
            // 10 × 30 min = 300: exactly the first task's reservation, so the worklogs never need free minutes.
            calls.append((loggers[index], "task.logWork", ["task": firstTask, "duration": minutes(30), "note": "Riconciliazione \(index)"]))
        }
        // An observer on a connection of its own reads the package while the race runs.
        let watcher = try await world.signIn(.careManager)
        defer { watcher.close() }
        async let observed = sampleBalances(watcher, package: packageID, count: 25)
        let replies = try await RPCClient.simultaneously(calls, timeout: 30)
        for sample in try await observed {
            #expect(sample.allSatisfy { $0 >= 0 } && sample[0] + sample[1] + sample[2] == 540,
                    "mid-race reserved, consumed, available: \(sample)")
        }
        for (index, reply) in replies.enumerated() {
            #expect(reply.result != nil, "call \(index) (\(calls[index].method)) should succeed: \(reply)")
        }
        #expect(replies.enumerated().filter { $0.offset % 2 == 0 }.allSatisfy { $0.element.result?["status"] as? String == "accepted" })

        // Exactly one acceptance was covered; the other nine wait for a package with the offer form.
        var statuses: [Int: String] = [:]
        for id in tickets { statuses[id] = try await world.ticketStatus(id) }
        let assigned = tickets.filter { statuses[$0] == "assigned" }
        let waiting = tickets.filter { statuses[$0] == "awaitingPackage" }
        #expect(assigned.count == 1 && waiting.count == 9, "\(statuses)")
        for id in tickets {
            let forms = try await world.notifications(id, kind: "offerForm").count
            #expect(forms == (statuses[id] == "awaitingPackage" ? 1 : 0), "#\(id) (\(statuses[id] ?? "?")): \(forms) offer forms")
        }
        if let winner = assigned.first {
            let task = try await world.task(of: winner)
            #expect(task.int("package") == packageID && task.minutesAt("reserved") == 240)
        }
        let logged = try await careManager.ok("task.get", ["task": firstTask])
        #expect(logged.minutesAt("logged") == 300 && logged.minutesAt("reserved") == 0, "\(logged)")
        #expect(try await careManager.ok("task.worklogs", ["task": firstTask]).objects("items")?.count == 10)
        // reserved 240 (the winner) + consumed 300 + available 0 = 540.
        balance = try await world.balance(of: packageID)
        #expect(balance.reserved == 240 && balance.consumed == 300 && balance.available == 0, "\(balance)")

        // Nothing is left for more work: -32006, and nothing changes.
        let refused = try await loggers[0].fails("task.logWork", ["task": firstTask, "duration": minutes(15), "note": "x"], code: -32006)
        #expect(availableMinutes(refused) == 0, "\(refused)")
        balance = try await world.balance(of: packageID)
        #expect(balance.reserved == 240 && balance.consumed == 300 && balance.available == 0, "\(balance)")

        // A new package of 8 h = 480 min covers two of the waiting 240-minute estimates, in the order's call.
        let more = try await world.orderPackage(for: customer.id, hours: 8, price: "680.00")
        let moreID = try #require(more.int("id"))
        var after: [String] = []
        for id in waiting { after.append(try await world.ticketStatus(id) ?? "?") }
        #expect(after.filter { $0 == "assigned" }.count == 2 && after.filter { $0 == "awaitingPackage" }.count == 7, "\(after)")
        let second = try await world.balance(of: moreID)
        #expect(second.reserved == 480 && second.available == 0, "\(second)")
        customer.contact.close()
    }
}
