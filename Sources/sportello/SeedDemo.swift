import ArgumentParser
import Foundation
import GRDB
import SportelloDomain
import SportelloStore

/// `sportello seed-demo --tickets N`: fills a database with a realistic support desk — customers
/// with subscriptions, contacts, staff, and N tickets in Italian and English spread over the
/// last year, in every status, with their messages, history and notifications — for trying the
/// API and for `make bench`. Deterministic for a given N.
struct SeedDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-demo",
        abstract: "Fill the database with demo customers, staff and tickets (Italian and English).")

    @OptionGroup var database: DatabaseOption

    @Option(name: .long, help: "How many tickets to create.")
    var tickets = 1000

    @Option(name: .long, help: "How many customer companies to create.")
    var customers = 200

    func validate() throws {
        guard tickets >= 0, tickets <= 10_000_000 else { throw ValidationError("--tickets must be between 0 and 10,000,000") }
        guard customers >= 1, customers <= 100_000 else { throw ValidationError("--customers must be between 1 and 100,000") }
    }

    func run() async throws {
        let store = try database.open()
        let started = Date()
        let counts = try await DemoSeeder(tickets: tickets, customers: customers).seed(into: store)
        try database.checkpoint(store)
        let seconds = Date().timeIntervalSince(started)
        print("\(store.path): \(counts.customers) customers, \(counts.contacts) contacts, \(counts.staff) staff, "
            + "\(counts.tickets) tickets in \(String(format: "%.1f", seconds)) s")
    }
}

struct DemoSeeder {
    let tickets: Int
    let customers: Int

    struct Counts {
        var customers = 0
        var contacts = 0
        var staff = 0
        var tickets = 0
    }

    private static let italianSubjects = [
        "Impossibile accedere al portale ZenShare", "Errore 500 durante l'esportazione delle fatture",
        "Richiesta di nuova funzionalità per i report", "Come si configura la firma digitale?",
        "Documenti non visibili dopo l'aggiornamento", "Lentezza nel caricamento dei file",
        "Fattura elettronica scartata dallo SdI", "Conservazione sostitutiva: pacchetto non generato",
        "Utente bloccato dopo troppi tentativi", "Richiesta preventivo per integrazione con il gestionale",
    ]
    private static let italianBodies = [
        "Buongiorno, da questa mattina non riusciamo ad accedere al portale: compare un errore generico. Potete verificare?",
        "Salve, l'esportazione delle fatture di ottobre si interrompe sempre con un errore 500. Allego il dettaglio.",
        "Vorremmo poter filtrare i report per centro di costo. È possibile prevederlo in una prossima versione?",
        "Non ricordo più come si imposta la firma digitale per i documenti in uscita. Potete indicarmi i passaggi?",
        "Dopo l'aggiornamento di ieri alcuni documenti della cartella condivisa non sono più visibili agli utenti.",
        "Il caricamento di file superiori a 20 MB richiede diversi minuti. Prima era molto più veloce.",
    ]
    private static let englishSubjects = [
        "Cannot log in to the ZenShare portal", "Error 500 when exporting invoices",
        "Feature request: filter reports by cost centre", "How do I set up the digital signature?",
        "Documents missing after the update", "File uploads are very slow",
        "E-invoice rejected by the exchange system", "Preservation package not generated",
        "User locked out after too many attempts", "Quote request for an ERP integration",
    ]
    private static let englishBodies = [
        "Hello, since this morning we cannot log in to the portal: a generic error is shown. Could you have a look?",
        "Hi, the export of October's invoices always stops with an error 500. Details attached.",
        "We would like to filter reports by cost centre. Could this be added in a future release?",
        "I no longer remember how to set up the digital signature for outgoing documents. Could you walk me through it?",
        "After yesterday's update some documents in the shared folder are no longer visible to our users.",
        "Uploading files larger than 20 MB takes several minutes. It used to be much faster.",
    ]
    private static let companyWords = ["Alfa", "Borgo", "Costa", "Delta", "Ellisse", "Faro", "Gemma", "Iride", "Lago", "Monte",
                                       "Nord", "Orsa", "Polo", "Quarzo", "Riva", "Sole", "Torre", "Valle", "Vento", "Zenit"]
    private static let firstNames = ["Mario", "Giulia", "Luca", "Francesca", "Paolo", "Chiara", "Andrea", "Sara", "John", "Emma"]
    private static let lastNames = ["Rossi", "Bianchi", "Verdi", "Esposito", "Romano", "Colombo", "Ricci", "Marino", "Smith", "Brown"]

    func seed(into store: SportelloDatabase) async throws -> Counts {
        var counts = Counts()
        var random = SplitMix(seed: 20261128)
        let now = Date()
        let products = ["zenshare-up", "zenshare-suite", "zen-einvoice", "preservation-zucchetti", "preservation-grammelot"]
        let createdAt = StoreTime.text(now)

        let (customerIDs, contactsByCustomer, staffIDs): ([Int64], [Int64: [(Int64, String)]], [Int64]) = try await store.pool.write { db in
            var customerIDs: [Int64] = []
            var contacts: [Int64: [(Int64, String)]] = [:]
            let prefix = "DEMO\(Int(now.timeIntervalSince1970) % 100_000)"
            for index in 0..<customers {
                let word = Self.companyWords[index % Self.companyWords.count]
                let language = index % 4 == 3 ? "en" : "it"
                try db.execute(
                    sql: "INSERT INTO customer(code, name, language, email, createdAt) VALUES (?, ?, ?, ?, ?)",
                    arguments: ["\(prefix)-\(index)", "\(word) \(index) S.r.l.", language, "support\(index)@\(prefix.lowercased()).example", createdAt])
                let customer = db.lastInsertedRowID
                customerIDs.append(customer)
                try db.execute(
                    sql: "INSERT INTO subscription(customer, product, mode, \"from\", createdAt) VALUES (?, ?, ?, '2025-01-01', ?)",
                    arguments: [customer, products[index % 3], index % 5 == 4 ? "perpetual" : "cloudSaas", createdAt])
                for person in 0..<3 {
                    let name = "\(Self.firstNames[(index + person) % 10]) \(Self.lastNames[(index * 3 + person) % 10])"
                    try db.execute(
                        sql: "INSERT INTO contact(customer, name, email, createdAt) VALUES (?, ?, ?, ?)",
                        arguments: [customer, name, "c\(person).\(index)@\(prefix.lowercased()).example", createdAt])
                    contacts[customer, default: []].append((db.lastInsertedRowID, name))
                }
            }
            var staffIDs: [Int64] = []
            for (index, role) in ["careManager", "careManager", "admin", "operator", "operator", "operator", "operator", "operator"].enumerated() {
                try db.execute(
                    sql: "INSERT INTO staff(name, email, role, createdAt) VALUES (?, ?, ?, ?)",
                    arguments: ["\(Self.firstNames[index]) \(Self.lastNames[index])", "staff\(index)@\(prefix.lowercased()).example", role, createdAt])
                staffIDs.append(db.lastInsertedRowID)
            }
            return (customerIDs, contacts, staffIDs)
        }
        counts.customers = customers
        counts.contacts = customers * 3
        counts.staff = staffIDs.count
        let operators = Array(staffIDs.suffix(5))

        let statuses: [(TicketStatus, Classification?)] = [
            (.new, nil), (.assigned, .bug), (.waitingCustomer, .bug), (.closed, .bug), (.closed, .bug), (.inCharge, .helpDesk),
            (.closed, .outOfScope), (.assigned, .vulnerability), (.inCharge, .evolutionaryChange), (.closed, .bug),
        ]
        let batch = 2000
        var made = 0
        while made < tickets {
            let count = min(batch, tickets - made)
            var rows: [(TicketRecord, String, Language)] = []
            for _ in 0..<count {
                let customer = customerIDs[Int(random.next() % UInt64(customerIDs.count))]
                let (contact, _) = contactsByCustomer[customer]![Int(random.next() % 3)]
                let english = random.next() % 4 == 0
                let subjects = english ? Self.englishSubjects : Self.italianSubjects
                let bodies = english ? Self.englishBodies : Self.italianBodies
                let (status, classification) = statuses[Int(random.next() % UInt64(statuses.count))]
                let received = now.addingTimeInterval(-Double(random.next() % (365 * 86400)) - 3600)
                let priority = Int(random.next() % 4) + 1
                let assignee = status == .new || status == .inCharge ? nil : operators[Int(random.next() % UInt64(operators.count))]
                let ticket = TicketRecord(
                    customer: customer, contact: contact, product: products[Int(random.next() % 5)],
                    subject: subjects[Int(random.next() % UInt64(subjects.count))], channel: .email,
                    language: english ? .en : .it, classification: classification, priority: priority, severity: priority,
                    status: status, assignee: assignee, eligible: true, receivedAt: received,
                    chargeTakenAt: status == .new ? nil : received.addingTimeInterval(1800),
                    closedAt: status == .closed ? received.addingTimeInterval(86400) : nil,
                    slaApplicable: classification == nil || classification == .bug,
                    chargeTakingDue: received.addingTimeInterval(4 * 3600), secondDue: received.addingTimeInterval(3 * 86400),
                    pausedSince: status == .waitingCustomer ? received.addingTimeInterval(7200) : nil,
                    createdAt: received, updatedAt: received)
                rows.append((ticket, bodies[Int(random.next() % UInt64(bodies.count))], english ? .en : .it))
            }
            let prepared = rows
            try await store.pool.write { db in
                let tx = StoreWriter(db)
                for (ticket, body, language) in prepared {
                    let id = try TicketStore.insert(tx, ticket)
                    try TicketStore.addMessage(
                        tx, ticket: id, authorKind: "contact", authorID: ticket.contact, body: body, isInternal: false,
                        at: ticket.receivedAt, subject: ticket.subject)
                    try TicketStore.addHistory(
                        tx, ticket: id, at: ticket.receivedAt, actorKind: "contact", actorID: ticket.contact, action: "open",
                        changes: #"{"status":[null,"new"]}"#, events: #"["opened","notify:receipt"]"#)
                    let prefix = language == .it ? "Ricevuta la sua richiesta" : "We have received your request"
                    try TicketStore.enqueue(
                        tx, ticket: id, kind: "receipt", language: language, recipient: "demo@example.invalid",
                        subject: "[Sportello #\(id)] \(prefix): \(ticket.subject)", body: body, at: ticket.receivedAt)
                }
            }
            made += count
        }
        counts.tickets = made
        return counts
    }
}

/// A small deterministic generator (SplitMix64), so the demo data is the same every time.
struct SplitMix: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
