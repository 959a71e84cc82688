// Bad and unusual input to the ticket methods over the real socket: unknown references,
// values outside their sets, size limits, times that may not be set, text that must survive
// byte for byte, search that cannot be turned into an FTS5 query, cursor pagination.

import Foundation
import Testing

@Suite("Tickets: bad and unusual input", .ticketWorld([.careManager, .operatorA, .giulia]))
struct TicketInputTests {
    static let missing = 999_999

    /// A customer of its own (so that list assertions see only this test's tickets).
    static func customer(_ system: RPCClient, _ prefix: String) async throws -> Int {
        let code = uniqueWord(prefix).uppercased()
        let customer = try await system.ok("customer.create", ["code": code, "name": "Cliente \(code)", "language": "it"])
        return try #require(customer.int("id"))
    }

    @Test("unknown ticket, contact, customer or assignee → -32003 naming the param")
    func unknownReferences() async throws {
        let world = try currentWorld()
        let system = try await world.client(.system)
        for (method, params) in [
            ("ticket.get", ["ticket": Self.missing]), ("ticket.history", ["ticket": Self.missing]),
            ("sla.status", ["ticket": Self.missing]), ("ticket.close", ["ticket": Self.missing]),
            ("ticket.addMessage", ["ticket": Self.missing, "body": "ciao"] as JSON),
            ("ticket.takeCharge", ["ticket": Self.missing, "classification": "bug", "priority": 2, "assignee": world.id(.operatorA)]),
            ("notification.list", ["ticket": Self.missing]),
        ] as [(String, JSON)] {
            let error = try await system.fails(method, params, code: -32003)
            #expect(error.string("data.field") == "params.ticket", "\(method): \(error)")
        }
        let base: JSON = ["product": TicketWorld.product, "subject": "Prova", "body": "Testo di prova.", "channel": "phone"]
        var withContact = base
        withContact["contact"] = Self.missing
        #expect(try await system.fails("ticket.open", withContact, code: -32003).string("data.field") == "params.contact")
        var withCustomer = base
        withCustomer["customer"] = "NO-SUCH-CUSTOMER"
        #expect(try await system.fails("ticket.open", withCustomer, code: -32003).string("data.field") == "params.customer")
        // An unknown assignee: refused, and the ticket stays new.
        let ticket = try await world.open(system, subject: "Assegnatario inesistente", body: "Verifica dell'assegnatario.")
        let error = try await system.fails("ticket.takeCharge", [
            "ticket": ticket.ticketID, "classification": "bug", "priority": 2, "assignee": Self.missing,
        ], code: -32003)
        #expect(error.string("data.field") == "params.assignee")
        #expect(try await system.ok("ticket.get", ["ticket": ticket.ticketID]).string("status") == "new")
        // A bug needs an assignee at take-charge.
        let noAssignee = try await system.fails("ticket.takeCharge", [
            "ticket": ticket.ticketID, "classification": "bug", "priority": 2,
        ], code: -32602)
        #expect(noAssignee.string("data.field") == "params.assignee")
    }

    @Test("classification, channel, priority, severity, status outside their sets → -32602 with data.field and data.allowed")
    func valuesOutsideTheirSets() async throws {
        let world = try currentWorld()
        let system = try await world.client(.system)
        let ticket = try await world.open(system, subject: "Valori non ammessi", body: "Verifica dei valori ammessi.")
        let id = ticket.ticketID
        func check(_ method: String, _ params: JSON, field: String, allowed: [AnyHashable], sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let error = try await system.fails(method, params, code: -32602, sourceLocation: sourceLocation)
            #expect(error.string("data.field") == field, "\(method): \(error)", sourceLocation: sourceLocation)
            let given = (error.at("data.allowed") as? [Any])?.compactMap { $0 as? AnyHashable } ?? []
            #expect(Set(given) == Set(allowed) && given.count == allowed.count, "\(method) allowed: \(error)", sourceLocation: sourceLocation)
        }
        let classifications: [AnyHashable] = [
            "bug", "evolutionaryChange", "helpDesk", "invoicedIntervention", "interventionNotAccepted", "outOfScope", "vulnerability",
        ]
        let priorities: [AnyHashable] = [NSNumber(value: 1), NSNumber(value: 2), NSNumber(value: 3), NSNumber(value: 4)]
        try await check("ticket.takeCharge", ["ticket": id, "classification": "feature", "priority": 2], field: "params.classification", allowed: classifications)
        try await check("ticket.takeCharge", ["ticket": id, "classification": "Bug", "priority": 2], field: "params.classification", allowed: classifications)
        try await check("ticket.takeCharge", ["ticket": id, "classification": "outOfScope", "priority": 0], field: "params.priority", allowed: priorities)
        try await check("ticket.takeCharge", ["ticket": id, "classification": "outOfScope", "priority": 5], field: "params.priority", allowed: priorities)
        try await check("ticket.setPriority", ["ticket": id, "priority": 9], field: "params.priority", allowed: priorities)
        try await check("ticket.list", ["classification": "feature"], field: "params.classification", allowed: classifications)
        try await check("ticket.list", ["priority": -1], field: "params.priority", allowed: priorities)
        let open: JSON = ["contact": world.id(.giulia), "product": TicketWorld.product, "subject": "Prova", "body": "Testo di prova."]
        var fax = open
        fax["channel"] = "fax"
        try await check("ticket.open", fax, field: "params.channel", allowed: ["email", "portal", "phone", "api"])
        var severity = open
        severity["channel"] = "api"
        severity["severity"] = 7
        try await check("ticket.open", severity, field: "params.severity", allowed: priorities)
        let status = try await system.fails("ticket.list", ["status": "open"], code: -32602)
        #expect(status.string("data.field") == "params.status")
        #expect((status.at("data.allowed") as? [String]).map { Set(["new", "inCharge", "assigned", "waitingCustomer", "closed"]).isSubset(of: $0) } == true)
        // Nothing of the above touched the ticket.
        let after = try await system.ok("ticket.get", ["ticket": id])
        #expect(after.string("status") == "new" && after.int("version") == ticket.int("version") && after.int("priority") == 3)
    }

    @Test("empty subject or body, subject over 500 characters, body over 256 KiB → -32602; the limits themselves pass")
    func sizes() async throws {
        let world = try currentWorld()
        let system = try await world.client(.system)
        func open(subject: String, body: String) async throws -> Reply {
            try await system.call("ticket.open", [
                "contact": world.id(.giulia), "product": TicketWorld.product, "channel": "api", "subject": subject, "body": body,
            ])
        }
        func expectInvalid(_ reply: Reply, _ field: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(reply.errorCode == -32602 && reply.errorData?["field"] as? String == field, "\(what): \(reply)",
                    sourceLocation: sourceLocation)
        }
        let body = "Il documento non si apre."
        expectInvalid(try await open(subject: "", body: body), "params.subject", "empty subject")
        expectInvalid(try await open(subject: " \t\n ", body: body), "params.subject", "blank subject")
        expectInvalid(try await open(subject: "Documento", body: ""), "params.body", "empty body")
        expectInvalid(try await open(subject: "Documento", body: "\n   \n"), "params.body", "blank body")
        // 500 characters (not bytes: "è" is two bytes) pass, 501 do not.
        let subject500 = String(repeating: "è", count: 500)
        let atLimit = try await open(subject: subject500, body: body)
        #expect(atLimit.result?["subject"] as? String == subject500, "a 500-character subject: \(atLimit)")
        expectInvalid(try await open(subject: subject500 + "e", body: body), "params.subject", "501 characters")
        // 256 KiB of UTF-8 pass, one byte more does not.
        let kib256 = 256 * 1024
        let filler = String(repeating: "Il caricamento dei documenti non riesce. ", count: kib256 / 41 + 1)
        let bodyAtLimit = String(filler.utf8.prefix(kib256 - 2))! + "é"  // "é": 2 bytes, 262,144 in all
        #expect(bodyAtLimit.utf8.count == kib256)
        let big = try await open(subject: "Registro molto lungo", body: bodyAtLimit)
        let bigID = try #require(big.result?.ticketID, "a 256 KiB body: \(big)")
        let stored = try await system.ok("ticket.get", ["ticket": bigID])
        #expect((stored.objects("messages")?.first?["text"] as? String).map { Array($0.utf8) == Array(bodyAtLimit.utf8) } == true)
        expectInvalid(try await open(subject: "Registro troppo lungo", body: bodyAtLimit + "!"), "params.body", "256 KiB + 1 byte")
        // The same limit for messages.
        let tooLong = try await system.call("ticket.addMessage", ["ticket": bigID, "body": bodyAtLimit + "!"])
        expectInvalid(tooLong, "params.body", "a 256 KiB + 1 byte message")
    }

    @Test("receivedAt: in the future → -32602; from a contact → -32002; malformed → -32602")
    func receivedAt() async throws {
        let world = try currentWorld()
        let system = try await world.client(.system)
        let giulia = try await world.client(.giulia)
        let careManager = try await world.client(.careManager)
        let params: JSON = [
            "contact": world.id(.giulia), "product": TicketWorld.product, "channel": "email",
            "subject": "Importazione", "body": "Messaggio importato dalla casella di posta.",
        ]
        var future = params
        future["receivedAt"] = rfc3339(Date().addingTimeInterval(3600))
        #expect(try await system.fails("ticket.open", future, code: -32602).string("data.field") == "params.receivedAt")
        var malformed = params
        malformed["receivedAt"] = "ieri alle nove"
        #expect(try await system.fails("ticket.open", malformed, code: -32602).string("data.field") == "params.receivedAt")
        var past = params
        past["receivedAt"] = "2026-11-02T08:30:00+01:00"
        let imported = try await system.ok("ticket.open", past)
        #expect(imported.date("receivedAt") == parseInstant("2026-11-02T07:30:00Z"))
        // Only admins and the system set it: a contact (for their own ticket) and a care manager may not.
        var fromContact = past
        fromContact["contact"] = nil
        fromContact["channel"] = "portal"
        try await giulia.fails("ticket.open", fromContact, code: -32002)
        try await careManager.fails("ticket.open", past, code: -32002)
    }

    @Test("SQL metacharacters, emoji, right-to-left and decomposed text come back byte for byte")
    func textSurvives() async throws {
        let world = try currentWorld()
        let system = try await world.client(.system)
        let giulia = try await world.client(.giulia)
        let subject = #"Robert'); DROP TABLE ticket;-- "quoted" \back\slash % _ ' OR '1'='1 🎫🧑🏽‍💻 שלום مرحبا بالعالم e\#u{301} \#u{202E}gnp.exe"#
        let body = "Riga 1: SELECT * FROM ticket WHERE subject LIKE '%'; -- commento\r\n"
            + "Riga 2: \"virgolette\" e \\backslash\\ e \u{2066}isolato\u{2069} e\u{301}\u{300} 👨‍👩‍👧‍👦 🇮🇹\n"
            + "Riga 3: עברית ועוד · العربية · \t tab   \n"
        let opened = try await giulia.ok("ticket.open", [
            "product": TicketWorld.product, "channel": "portal", "subject": subject, "body": body,
        ])
        let id = opened.ticketID
        func same(_ value: Any?, _ expected: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
            let text = value as? String
            #expect(text.map { Array($0.utf8) } == Array(expected.utf8), "\(what): \(text.debugDescription)", sourceLocation: sourceLocation)
        }
        same(opened["subject"], subject, "subject in the open result")
        same(opened.objects("messages")?.first?["text"], body, "body in the open result")
        let fetched = try await system.ok("ticket.get", ["ticket": id])
        same(fetched["subject"], subject, "subject from ticket.get")
        same(fetched.objects("messages")?.first?["text"], body, "body from ticket.get")
        let reply = "Risposta con '; DELETE FROM ticket_message; -- e 😀 e \u{202B}نص\u{202C}\n"
        let answered = try await giulia.ok("ticket.addMessage", ["ticket": id, "body": reply])
        same(answered.objects("messages")?.last?["text"], reply, "a message")
        let listed = try await system.ok("ticket.list", ["customer": world.rossi, "limit": 500]).objects("items") ?? []
        same(listed.first { $0.ticketID == id }?["subject"], subject, "subject in ticket.list")
        // The tables are all still there.
        #expect(try await system.ok("ticket.get", ["ticket": id]).objects("messages")?.count == 2)
        let receipt = try await system.ok("notification.list", ["ticket": id]).objects("items")?.first
        #expect((receipt?["subject"] as? String)?.contains("🎫🧑🏽‍💻") == true)
    }

    @Test("ticket.list query: a word of the body, accent-insensitive; FTS operators are harmless")
    func search() async throws {
        let world = try currentWorld()
        let system = try await world.client(.system)
        let customer = try await Self.customer(system, "SRCH")
        func open(_ subject: String, _ body: String) async throws -> Int {
            try await world.open(system, for: nil, customer: customer, subject: subject, body: body, channel: "phone").ticketID
        }
        let why = try await open("Domanda sul documento", "Vorrei capire perché il documento zafferano non si apre più.")
        let foo = try await open("Primo caso", "Il modulo qwfoo restituisce un errore.")
        let bar = try await open("Secondo caso", "Il modulo qwbar restituisce un errore.")
        func search(_ query: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [Int]? {
            let reply = try await system.call("ticket.list", ["customer": customer, "query": query])
            #expect(reply.result != nil, "query \(query.debugDescription): \(reply)", sourceLocation: sourceLocation)
            return reply.result?.objects("items")?.map(\.ticketID)
        }
        #expect(try await search("zafferano") == [why], "a word of the body only")
        #expect(try await search("perche") == [why], "accent-insensitive")
        #expect(try await search("PERCHÉ") == [why], "case-insensitive")
        #expect(try await search("documento") == [why], "subject and body")
        #expect(try await search("qwfoo") == [foo])
        #expect(try await search("errore") == [bar, foo], "newest first")
        // Operators are words, not syntax: nothing matches all of them, and nothing fails.
        #expect(try await search(#"qwfoo" OR "qwbar"#) == [])
        #expect(try await search("qwfoo OR qwbar") == [])
        for hostile in [#"""#, "*", "(", ")", "NEAR(qwfoo qwbar)", "subject:qwfoo", "qwfoo AND", "-qwfoo", "^qwfoo", "'", "''", "qwf*", "{qwfoo}", ":"] {
            let found = try await search(hostile)
            #expect(found.map { Set($0).isSubset(of: [why, foo, bar]) } == true, "query \(hostile.debugDescription)")
        }
        // Reaching other customers' tickets through the query is impossible too.
        #expect(try await search("Errore") == [bar, foo])
    }

    @Test("pagination with limit 2 across 5 tickets: every ticket once, newest first")
    func pagination() async throws {
        let world = try currentWorld()
        let system = try await world.client(.system)
        let customer = try await Self.customer(system, "PAGE")
        var opened: [Int] = []
        for index in 1...5 {
            opened.append(try await world.open(
                system, for: nil, customer: customer, subject: "Ticket numero \(index)", body: "Contenuto del ticket \(index).",
                channel: "api").ticketID)
        }
        var pages: [[Int]] = []
        var cursor: String?
        for _ in 0..<10 {
            var params: JSON = ["customer": customer, "limit": 2]
            if let cursor { params["cursor"] = cursor }
            let page = try await system.ok("ticket.list", params)
            pages.append(page.objects("items")?.map(\.ticketID) ?? [])
            guard let next = page.string("nextCursor") else {
                #expect(page.isNull("nextCursor"))
                break
            }
            cursor = next
        }
        #expect(pages.map(\.count) == [2, 2, 1], "\(pages)")
        #expect(pages.flatMap { $0 } == opened.reversed(), "every ticket once, newest first: \(pages)")
        // A tampered cursor is bad input, not a crash.
        try await system.fails("ticket.list", ["customer": customer, "limit": 2, "cursor": "not a cursor"], code: -32602)
    }
}
