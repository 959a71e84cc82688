import Foundation
import GRDB
import JSONRPC
@testable import SportelloService
import SportelloDomain
import SportelloStore
import Testing

// The customer portal's wizard through the real dispatcher: register → code from the outbox →
// confirm → credentials from the outbox → login → forced change → the account works; the
// approval queue; bad inputs; rate limits; brute force. argon2 is paid only where a real account
// is made or logged into (about a dozen hashes in all).

private let system = CallContext(transport: .socket, principal: .system)
private func anonymous() -> CallContext { CallContext(transport: .socket, principal: nil) }
private let careManager = CallContext(transport: .socket, principal: .staff(id: 1, role: .careManager))

extension AccountHarness {
    /// ACME (partita IVA 00743110157) whose people write from acme.example, with one contact
    /// (no password) and a care manager (staff 1).
    func makePortalCustomer() async throws {
        try await ok("staff.create", ["name": "Chiara Esposito", "email": "chiara@interzen.example", "role": "careManager"], as: system)
        try await ok("customer.create", [
            "code": "ACME", "name": "Acme Logistica S.p.A.", "vatNumber": "00743110157", "language": "it",
        ], as: system)
        try await ok("customer.setDomains", ["customer": "ACME", "domains": ["ACME.example"]], as: system)
        try await ok("contact.create", ["customer": "ACME", "name": "Giulia Bianchi", "email": "giulia@acme.example"], as: system)
    }

    /// The newest outbox row of `kind` to `email`: (subject, body).
    func outbox(_ kind: String, to email: String) throws -> (subject: String, body: String)? {
        try pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT subject, body FROM outbox WHERE kind = ? AND recipient = ? ORDER BY id DESC LIMIT 1",
                arguments: [kind, email]
            ).map { ($0["subject"], $0["body"]) }
        }
    }

    func outboxCount() throws -> Int { try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox") ?? 0 } }

    /// The code in the newest confirmation email to `email`: the line indented by four spaces.
    func code(sentTo email: String) throws -> String {
        let body = try #require(try outbox("accountConfirmation", to: email)?.body)
        let line = try #require(body.split(separator: "\n").first { $0.hasPrefix("    ") })
        return line.trimmingCharacters(in: .whitespaces)
    }

    /// The password in the newest credentials email to `email`.
    func password(sentTo email: String) throws -> String {
        let body = try #require(try outbox("accountCredentials", to: email)?.body)
        let line = try #require(body.split(separator: "\n").first { $0.hasPrefix("Password: ") })
        return String(line.dropFirst("Password: ".count))
    }

    func registration(_ email: String) throws -> (status: String, attempts: Int, codeHash: String)? {
        try pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT status, attempts, codeHash FROM registration WHERE email = ? ORDER BY id DESC LIMIT 1",
                arguments: [email]
            ).map { ($0["status"], $0["attempts"], $0["codeHash"]) }
        }
    }

    func contactCount() throws -> Int { try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM contact") ?? 0 } }
}

@Suite("Portal accounts: the wizard")
struct PortalAccountTests {
    @Test("register → code → confirm → credentials → login → forced change → the account works")
    func wizardInsideTheDomains() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        try await harness.makePortalCustomer()
        let portal = anonymous()

        let pending = try await harness.ok("account.register", [
            "customer": "IT 00743110157", "email": "Paolo.Verdi@acme.example", "name": "  Paolo Verdi ",
        ], as: portal)
        #expect(pending == ["status": "pending", "expiresAt": "2026-12-01T09:30:00Z"])
        let code = try harness.code(sentTo: "Paolo.Verdi@acme.example")
        let confirmation = try #require(try harness.outbox("accountConfirmation", to: "Paolo.Verdi@acme.example"))
        #expect(confirmation.subject == "Codice di conferma per il portale del Servizio Clienti")
        #expect(confirmation.body.hasPrefix("Gentile Paolo Verdi,"))
        // Only the keyed hash is stored.
        let stored = try #require(try harness.registration("Paolo.Verdi@acme.example"))
        #expect(stored.status == "awaitingCode" && !stored.codeHash.contains(code) && stored.codeHash.count == 64)

        // One wrong code counts; the right one (any case) activates: the email is in acme.example.
        let wrong = try await harness.fails("account.confirm", ["email": "paolo.verdi@acme.example", "code": "ABCD2345"], as: portal, code: -32006)
        #expect(wrong["data"]?["field"] == "params.code")
        #expect(try harness.registration("Paolo.Verdi@acme.example")?.attempts == 1)
        let active = try await harness.ok("account.confirm", ["email": "paolo.verdi@acme.example", "code": .string(code.lowercased())], as: portal)
        #expect(active == ["status": "active"])
        // A used code does not work twice.
        try await harness.fails("account.confirm", ["email": "paolo.verdi@acme.example", "code": .string(code)], as: portal, code: -32006)

        let password = try harness.password(sentTo: "Paolo.Verdi@acme.example")
        #expect(password.count == 20)
        let stored2 = try await harness.pool.read { db in try String.fetchOne(db, sql: "SELECT passwordHash FROM contact WHERE email = 'Paolo.Verdi@acme.example'") }
        #expect(stored2?.hasPrefix("$argon2id$") == true && stored2?.contains(password) == false)

        // Login: the session must change the password first.
        let person = anonymous()
        let session = try await harness.ok("session.login", ["email": "paolo.verdi@acme.example", "password": .string(password)], as: person)
        #expect(session["mustChangePassword"] == true)
        #expect(session["principal"]?["kind"] == "contact")
        let blocked = try await harness.fails("ticket.list", [:], as: person, code: -32002)
        #expect(blocked["data"]?["reason"] == "passwordChangeRequired")
        try await harness.fails("customer.get", ["customer": 1], as: person, code: -32002)
        try await harness.ok("session.whoami", [:], as: person)

        // Bad new passwords: nothing changes.
        try await harness.fails("account.changePassword", ["current": .string(password), "new": .string(password)], as: person, code: -32602)
        let named = try await harness.fails("account.changePassword", ["current": .string(password), "new": "Il-segreto-di-Verdi"], as: person, code: -32602)
        #expect(named["data"]?["reason"] == "must not contain your name")
        try await harness.fails("account.changePassword", ["current": .string(password), "new": "1qaz2wsx3edc"], as: person, code: -32602)
        try await harness.fails("account.changePassword", ["current": "not-the-password", "new": "Treni-lenti-a-Pescara"], as: person, code: -32006)
        try await harness.fails("ticket.list", [:], as: person, code: -32002)

        // Another session of the same account ends on the change; this one is freed.
        let other = anonymous()
        try await harness.ok("session.login", ["email": "paolo.verdi@acme.example", "password": .string(password)], as: other)
        let changed = try await harness.ok("account.changePassword", ["current": .string(password), "new": "Treni-lenti-a-Pescara"], as: person)
        #expect(changed == ["otherSessionsEnded": 1])
        try await harness.ok("ticket.list", [:], as: person)
        let company = try await harness.ok("customer.get", ["customer": 1], as: person)
        #expect(company["code"] == "ACME")
        try await harness.fails("ticket.list", [:], as: other, code: -32001)
        // The old password no longer works; the new one does, without restriction.
        try await harness.fails("session.login", ["email": "paolo.verdi@acme.example", "password": .string(password)], as: anonymous(), code: -32001)
        let again = try await harness.ok("session.login", ["email": "paolo.verdi@acme.example", "password": "Treni-lenti-a-Pescara"], as: anonymous())
        #expect(again["mustChangePassword"] == nil)
        // The system has no password to change.
        try await harness.fails("account.changePassword", ["current": "x", "new": "Treni-lenti-a-Pescara"], as: system, code: -32006)
    }

    @Test("outside the customer's domains the confirmed registration waits for a care manager; approve and reject")
    func approvalQueue() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        try await harness.makePortalCustomer()
        let portal = anonymous()
        for email in ["paolo@gmail.com", "anna@outside.example"] {
            try await harness.ok("account.register", ["customer": "acme", "email": .string(email), "name": "Someone Else", "language": "en"], as: portal)
            let code = try harness.code(sentTo: email)
            #expect(try harness.outbox("accountConfirmation", to: email)?.subject == "Confirmation code for the Customer Service portal")
            let queued = try await harness.ok("account.confirm", ["email": .string(email), "code": .string(code)], as: portal)
            #expect(queued == ["status": "awaitingApproval"])
        }
        #expect(try harness.contactCount() == 1)
        // Registering again while waiting sends nothing new.
        let before = try harness.outboxCount()
        try await harness.ok("account.register", ["customer": "ACME", "email": "paolo@gmail.com", "name": "Paolo"], as: portal)
        #expect(try harness.outboxCount() == before)

        try await harness.fails("account.pending", [:], as: anonymous(), code: -32001)
        try await harness.fails("account.pending", [:], as: CallContext(transport: .socket, principal: .staff(id: 9, role: .operator)), code: -32002)
        try await harness.fails("account.pending", [:], as: CallContext(transport: .socket, principal: .contact(id: 1, customer: 1)), code: -32002)
        let queue = try await harness.ok("account.pending", [:], as: careManager)
        let items = try #require(queue["items"]?.arrayValue)
        #expect(items.count == 2)
        #expect(items.first?["email"] == "paolo@gmail.com" && items.first?["customerName"] == "Acme Logistica S.p.A.")
        #expect(items.first?["language"] == "en")

        let approved = try await harness.ok("account.approve", ["registration": 1], as: careManager)
        #expect(approved == ["registration": 1, "status": "active", "contact": 2])
        let password = try harness.password(sentTo: "paolo@gmail.com")
        #expect(password.count == 20)
        try await harness.fails("account.approve", ["registration": 1], as: careManager, code: -32005)
        try await harness.fails("account.approve", ["registration": 99], as: careManager, code: -32003)

        let rejected = try await harness.ok("account.reject", ["registration": 2, "reason": "Non risulta un collaboratore di Acme."], as: careManager)
        #expect(rejected == ["registration": 2, "status": "rejected"])
        let notice = try #require(try harness.outbox("accountRejected", to: "anna@outside.example"))
        #expect(notice.body.contains("> Non risulta un collaboratore di Acme."))
        try await harness.fails("account.reject", ["registration": 2], as: careManager, code: -32005)
        #expect(try await harness.ok("account.pending", [:], as: careManager) == ["items": []])
        #expect(try harness.contactCount() == 2)

        // Staff never see the codes and passwords in notification.list; the system (the mail delivery) does.
        let staffView = try await harness.ok("notification.list", [:], as: careManager)
        #expect(staffView["items"]?.arrayValue?.isEmpty == true)
        let systemView = try await harness.ok("notification.list", ["kind": "accountCredentials"], as: system)
        #expect(systemView["items"]?.arrayValue?.count == 1)
    }

    @Test("the answer is the same whatever exists; bad inputs are refused with nothing changed")
    func sameAnswerAndBadInputs() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        try await harness.makePortalCustomer()
        let portal = anonymous()
        let expected: JSONValue = ["status": "pending", "expiresAt": "2026-12-01T09:30:00Z"]
        let before = try harness.outboxCount()
        // An unknown company, an unknown VAT number, an email that is already an account.
        #expect(try await harness.ok("account.register", ["customer": "NOBODY", "email": "x@nobody.example", "name": "X"], as: portal) == expected)
        #expect(try await harness.ok("account.register", ["customer": "12345678903", "email": "x@nobody.example", "name": "X"], as: portal) == expected)
        #expect(try await harness.ok("account.register", ["customer": "ACME", "email": "GIULIA@acme.example", "name": "Giulia"], as: portal) == expected)
        #expect(try harness.outboxCount() == before)

        let vat = try await harness.fails("account.register", ["customer": "00743110158", "email": "a@acme.example", "name": "A"], as: portal, code: -32602)
        #expect(vat["data"]?["field"] == "params.customer")
        try await harness.fails("account.register", ["customer": "IT0074311015", "email": "a@acme.example", "name": "A"], as: portal, code: -32602)
        try await harness.fails("account.register", ["customer": "ACME", "email": "no-at-sign.example", "name": "A"], as: portal, code: -32602)
        try await harness.fails("account.register", ["customer": "ACME", "email": "a@acme.example", "name": .string(String(repeating: "n", count: 500))], as: portal, code: -32602)
        try await harness.fails("account.register", ["customer": "ACME", "email": "a@acme.example", "name": "A", "language": "fr"], as: portal, code: -32602)
        try await harness.fails("account.confirm", ["email": "a@acme.example", "code": "ABC2345"], as: portal, code: -32602)
        try await harness.fails("account.confirm", ["email": "nobody@acme.example", "code": "ABCD2345"], as: portal, code: -32006)
        #expect(try harness.outboxCount() == before)
        #expect(try harness.registration("a@acme.example") == nil)

        // An expired code is refused like a wrong one; registering again replaces the code.
        try await harness.ok("account.register", ["customer": "ACME", "email": "a@acme.example", "name": "A"], as: portal)
        let first = try harness.code(sentTo: "a@acme.example")
        harness.clock.advance(31 * 60)
        try await harness.fails("account.confirm", ["email": "a@acme.example", "code": .string(first)], as: portal, code: -32006)
        try await harness.ok("account.register", ["customer": "ACME", "email": "a@acme.example", "name": "A"], as: portal)
        let second = try harness.code(sentTo: "a@acme.example")
        if second != first {
            try await harness.fails("account.confirm", ["email": "a@acme.example", "code": .string(first)], as: portal, code: -32006)
        }
        #expect(try harness.registration("a@acme.example")?.status == "awaitingCode")

        // Domains: a public provider, another customer's, a malformed one.
        try await harness.fails("customer.setDomains", ["customer": "ACME", "domains": ["gmail.com"]], as: system, code: -32006)
        try await harness.fails("customer.setDomains", ["customer": "ACME", "domains": ["not a domain"]], as: system, code: -32602)
        try await harness.ok("customer.create", ["code": "BETA", "name": "Beta", "language": "en"], as: system)
        try await harness.fails("customer.setDomains", ["customer": "BETA", "domains": ["acme.example"]], as: system, code: -32006)
        #expect(try await harness.ok("customer.domains", ["customer": "ACME"], as: careManager) == ["customer": 1, "domains": ["acme.example"]])
        try await harness.fails("customer.setDomains", ["customer": "ACME", "domains": []], as: CallContext(transport: .socket, principal: .contact(id: 1, customer: 1)), code: -32002)
    }

    @Test("rate limits: 5 registrations per email an hour, 20 wizard calls per connection in 10 minutes")
    func rateLimits() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        try await harness.makePortalCustomer()
        // Per email, across connections (the system too): the 6th within the hour is refused
        // until the 1st leaves the window (09:00 + 1 h).
        for minute in 0..<5 {
            try await harness.ok("account.register", ["customer": "NOBODY", "email": "Spam@x.example", "name": "S"], as: system)
            harness.clock.advance(minute == 4 ? 0 : 60)
        }
        let limited = try await harness.fails("account.register", ["customer": "NOBODY", "email": "spam@X.example", "name": "S"], as: anonymous(), code: -32007)
        #expect(limited["data"]?["retryAfter"] == "2026-12-01T10:00:00Z")
        harness.clock.advance(56 * 60)  // 09:04 + 56 min = 10:00: the first call leaves the window.
        try await harness.ok("account.register", ["customer": "NOBODY", "email": "spam@x.example", "name": "S"], as: anonymous())

        // Per connection: 20 calls (register or confirm, good or bad), then -32007 for 10 minutes.
        let portal = anonymous()
        for index in 0..<20 {
            try await harness.call("account.confirm", ["email": .string("p\(index)@x.example"), "code": "ABCD2345"], as: portal)
        }
        let throttled = try await harness.fails("account.register", ["customer": "ACME", "email": "new@acme.example", "name": "N"], as: portal, code: -32007)
        #expect(throttled["data"]?["retryAfter"] == "2026-12-01T10:10:00Z")
        try await harness.ok("account.register", ["customer": "ACME", "email": "new@acme.example", "name": "N"], as: anonymous())
        harness.clock.advance(10 * 60)
        try await harness.ok("account.register", ["customer": "ACME", "email": "new2@acme.example", "name": "N"], as: portal)
    }

    @Test("brute force: 10,000 wrong codes from 100 connections activate nothing, and the limits hold")
    func bruteForce() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        try await harness.makePortalCustomer()
        try await harness.ok("account.register", ["customer": "ACME", "email": "victim@acme.example", "name": "V"], as: anonymous())
        let code = try harness.code(sentTo: "victim@acme.example")
        let alphabet = ConfirmationCode.alphabet
        let (admitted, limited) = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for connection in 0..<100 {
                group.addTask {
                    let context = anonymous()
                    var counts = (0, 0)
                    for attempt in 0..<100 {
                        // Distinct guesses, never the real code.
                        var guess = String((0..<8).map { alphabet[(connection * 7 + attempt * 13 + $0 * 3) % alphabet.count] })
                        if guess == code { guess = "ZZZZZZZZ" }
                        let reply = try await harness.call("account.confirm", ["email": "victim@acme.example", "code": .string(guess)], as: context)
                        switch reply["error"]?["code"] {
                        case .int(-32006): counts.0 += 1
                        case .int(-32007): counts.1 += 1
                        default: Issue.record("unexpected reply \(reply)")
                        }
                    }
                    return counts
                }
            }
            return try await group.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
        }
        // Each connection: 20 admitted, 80 refused.
        #expect(admitted == 100 * 20 && limited == 100 * 80)
        // Five wrong codes voided the registration: the real code is now useless.
        #expect(try harness.registration("victim@acme.example")?.status == "voided")
        #expect(try harness.registration("victim@acme.example")?.attempts == 5)
        try await harness.fails("account.confirm", ["email": "victim@acme.example", "code": .string(code)], as: anonymous(), code: -32006)
        #expect(try harness.contactCount() == 1)
    }

    @Test("enumeration: register answers the same bytes, and as fast, for a known and an unknown customer")
    func enumeration() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        try await harness.makePortalCustomer()
        // Each pair is timed back to back, so the median of the pairs' differences is little
        // moved by the other suites running meanwhile (the medians of each side alone are).
        // Under a loaded machine a round may still be disturbed: the best of three rounds counts.
        let median = { (values: [Double]) in values.sorted()[values.count / 2] }
        var rounds: [Double] = []
        for round in 0..<3 {
            var differences: [Double] = []
            for index in 0..<50 {
                var pair: [Double] = []
                for customer in ["ACME", "NOBODY"] {
                    let started = ContinuousClock.now
                    let reply = try await harness.call("account.register", [
                        "customer": .string(customer), "email": .string("p\(round)-\(index)-\(customer)@acme.example"), "name": "P",
                    ], as: system)
                    let elapsed = ContinuousClock.now - started
                    #expect(JSONSerializer.serialize(reply) == JSONSerializer.serialize(
                        ["jsonrpc": "2.0", "id": 1, "result": ["status": "pending", "expiresAt": "2026-12-01T09:30:00Z"]]))
                    pair.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
                }
                differences.append(pair[0] - pair[1])
            }
            rounds.append(abs(median(differences)))
            if rounds.last! < 5 { break }
        }
        #expect(rounds.min()! < 5, "median differences of the rounds: \(rounds) ms")
    }
}

extension JSONValue {
    fileprivate var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }
}

@Suite("Portal accounts: password reset and sessions")
struct PasswordResetAndSessionTests {
    static let password = "Portale-Acme-2026"

    /// ACME with Lia, a contact with a password (contact 2).
    func harnessWithLia() async throws -> AccountHarness {
        let harness = try AccountHarness()
        try await harness.makePortalCustomer()
        try await harness.ok("contact.create", [
            "customer": "ACME", "name": "Lia Conti", "email": "lia@acme.example", "password": .string(Self.password), "language": "en",
        ], as: system)
        return harness
    }

    func resetCode(_ harness: AccountHarness, to email: String) throws -> String {
        let body = try #require(try harness.outbox("passwordReset", to: email)?.body)
        let line = try #require(body.split(separator: "\n").first { $0.hasPrefix("    ") })
        return line.trimmingCharacters(in: .whitespaces)
    }

    @Test("reset: the same answer for any email; the code by email; bad inputs change nothing; every session ends")
    func reset() async throws {
        let harness = try await harnessWithLia()
        defer { harness.cleanUp() }
        let portal = anonymous()
        let signedIn = anonymous()
        try await harness.ok("session.login", ["email": "lia@acme.example", "password": .string(Self.password)], as: signedIn)

        let before = try harness.outboxCount()
        let expected: JSONValue = ["status": "pending", "expiresAt": "2026-12-01T09:30:00Z"]
        // Unknown, and a contact without a password: nothing sent.
        #expect(try await harness.ok("account.requestPasswordReset", ["email": "nobody@acme.example"], as: portal) == expected)
        #expect(try await harness.ok("account.requestPasswordReset", ["email": "giulia@acme.example"], as: portal) == expected)
        #expect(try harness.outboxCount() == before)
        try await harness.fails("account.requestPasswordReset", ["email": "no-at-sign"], as: portal, code: -32602)

        #expect(try await harness.ok("account.requestPasswordReset", ["email": "LIA@acme.example"], as: portal) == expected)
        let mail = try #require(try harness.outbox("passwordReset", to: "lia@acme.example"))
        #expect(mail.subject == "Code to reset your password")
        let code = try resetCode(harness, to: "lia@acme.example")

        let new = "Treni lenti per Pescara 7"
        try await harness.fails("account.resetPassword", ["email": "lia@acme.example", "code": "ABC", "newPassword": .string(new)], as: portal, code: -32602)
        try await harness.fails("account.resetPassword", ["email": "lia@acme.example", "code": "ABCD2345", "newPassword": .string(new)], as: portal, code: -32006)
        let weak = try await harness.fails("account.resetPassword", ["email": "lia@acme.example", "code": .string(code), "newPassword": "short"], as: portal, code: -32602)
        #expect(weak["data"]?["field"] == "params.newPassword")
        try await harness.fails("account.resetPassword", ["email": "lia@acme.example", "code": .string(code), "newPassword": .string(Self.password)], as: portal, code: -32602)
        // Nothing changed yet: the old password and the session still work.
        try await harness.ok("ticket.list", [:], as: signedIn)

        let done = try await harness.ok("account.resetPassword", ["email": "lia@acme.example", "code": .string(code.lowercased()), "newPassword": .string(new)], as: portal)
        #expect(done == ["sessionsEnded": 1])
        try await harness.fails("ticket.list", [:], as: signedIn, code: -32001)
        try await harness.fails("account.resetPassword", ["email": "lia@acme.example", "code": .string(code), "newPassword": "Un'altra password lunga"], as: portal, code: -32006)
        try await harness.fails("session.login", ["email": "lia@acme.example", "password": .string(Self.password)], as: anonymous(), code: -32001)
        try await harness.ok("session.login", ["email": "lia@acme.example", "password": .string(new)], as: anonymous())

        // An expired code is refused.
        try await harness.ok("account.requestPasswordReset", ["email": "lia@acme.example"], as: portal)
        let late = try resetCode(harness, to: "lia@acme.example")
        harness.clock.advance(31 * 60)
        try await harness.fails("account.resetPassword", ["email": "lia@acme.example", "code": .string(late), "newPassword": "Ancora un'altra frase"], as: portal, code: -32006)
    }

    @Test("disable: the account's sessions end at once on every connection; no login, no reset; enable restores it")
    func disable() async throws {
        let harness = try await harnessWithLia()
        defer { harness.cleanUp() }
        let first = anonymous()
        let second = anonymous()
        for connection in [first, second] {
            try await harness.ok("session.login", ["email": "lia@acme.example", "password": .string(Self.password)], as: connection)
        }
        let lia: JSONValue = ["kind": "contact", "id": 2]
        try await harness.fails("account.disable", ["account": ["kind": "contact", "id": 99]], as: careManager, code: -32003)
        try await harness.fails("account.disable", ["account": ["kind": "staff", "id": 1]], as: careManager, code: -32002)
        try await harness.fails("account.disable", ["account": lia], as: CallContext(transport: .socket, principal: .contact(id: 1, customer: 1)), code: -32002)
        let admin = CallContext(transport: .socket, principal: .staff(id: 1, role: .admin))
        try await harness.fails("account.disable", ["account": ["kind": "staff", "id": 1]], as: admin, code: -32006)

        let disabled = try await harness.ok("account.disable", ["account": lia], as: careManager)
        #expect(disabled == ["account": lia, "active": false, "sessionsEnded": 2])
        try await harness.fails("ticket.list", [:], as: first, code: -32001)
        try await harness.fails("ticket.list", [:], as: second, code: -32001)
        try await harness.fails("session.login", ["email": "lia@acme.example", "password": .string(Self.password)], as: anonymous(), code: -32001)
        let before = try harness.outboxCount()
        try await harness.ok("account.requestPasswordReset", ["email": "lia@acme.example"], as: anonymous())
        #expect(try harness.outboxCount() == before)

        #expect(try await harness.ok("account.enable", ["account": lia], as: careManager) == ["account": lia, "active": true, "sessionsEnded": 0])
        try await harness.ok("session.login", ["email": "lia@acme.example", "password": .string(Self.password)], as: anonymous())
    }

    @Test("sessions: a person lists and ends their own; an admin anyone's; an ended session is -32001 on its connection")
    func sessions() async throws {
        let harness = try await harnessWithLia()
        defer { harness.cleanUp() }
        let first = anonymous()
        let second = anonymous()
        try await harness.ok("session.login", ["email": "lia@acme.example", "password": .string(Self.password)], as: first)
        harness.clock.advance(120)
        try await harness.ok("session.login", ["email": "lia@acme.example", "password": .string(Self.password)], as: second)

        let list = try await harness.ok("session.list", [:], as: first)
        guard case .array(let items)? = list["items"] else { Issue.record("no items: \(list)"); return }
        #expect(items.count == 2)
        // Newest first: the second login; this connection's is the older one.
        #expect(items.map { $0["current"] } == [false, true])
        #expect(items.first?["transport"] == "socket")
        #expect(items.last?["createdAt"] == "2026-12-01T09:00:00Z" && items.first?["createdAt"] == "2026-12-01T09:02:00Z")
        guard case .string(let secondID)? = items.first?["id"], case .string(let firstID)? = items.last?["id"] else { return }

        try await harness.fails("session.revoke", ["session": "0000000000000000"], as: first, code: -32003)
        try await harness.fails("session.revoke", ["session": "not-an-id"], as: first, code: -32602)
        // Another person cannot end Lia's session, nor list it.
        let other = anonymous()
        try await harness.ok("account.register", ["customer": "ACME", "email": "x@acme.example", "name": "X"], as: other)
        try await harness.fails("session.list", ["contact": 2], as: CallContext(transport: .socket, principal: .contact(id: 1, customer: 1)), code: -32002)
        try await harness.fails("session.revoke", ["session": .string(firstID)], as: CallContext(transport: .socket, principal: .contact(id: 1, customer: 1)), code: -32003)

        let revoked = try await harness.ok("session.revoke", ["session": .string(secondID)], as: first)
        #expect(revoked == ["session": .string(secondID), "revoked": true])
        try await harness.fails("ticket.list", [:], as: second, code: -32001)
        try await harness.ok("ticket.list", [:], as: first)

        // An admin ends Lia's remaining session.
        let admin = CallContext(transport: .socket, principal: .staff(id: 1, role: .admin))
        let seen = try await harness.ok("session.list", ["contact": 2], as: admin)
        guard case .array(let adminItems)? = seen["items"] else { Issue.record("no items"); return }
        #expect(adminItems.count == 1 && adminItems.first?["current"] == false)
        try await harness.ok("session.revoke", ["session": .string(firstID)], as: admin)
        try await harness.fails("ticket.list", [:], as: first, code: -32001)
        #expect(try await harness.ok("session.list", [:], as: system) == ["items": []])
    }
}

@Suite("Audit trail")
struct AuditTrailTests {
    @Test("audit.list: ticket history and account events in one trail, filtered and paged; rows cannot be changed or removed")
    func trail() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        try await harness.makePortalCustomer()
        try await harness.ok("ticket.open", [
            "customer": "ACME", "product": "zenshare-suite", "subject": "Export bloccato", "body": "L'export non parte.", "channel": "phone",
        ], as: system)
        let admin = CallContext(transport: .socket, principal: .staff(id: 9, role: .admin))
        try await harness.fails("audit.list", [:], as: careManager, code: -32002)
        try await harness.fails("audit.list", [:], as: CallContext(transport: .socket, principal: .contact(id: 1, customer: 1)), code: -32002)

        let all = try await harness.ok("audit.list", [:], as: admin)
        guard case .array(let items)? = all["items"] else { Issue.record("no items: \(all)"); return }
        // Newest first: the ticket's opening (from its history), then the domains set by the system.
        #expect(items.count == 2)
        #expect(items.first?["object"] == ["kind": "ticket", "id": 1])
        #expect(items.first?["transport"] == .null)
        #expect(items.last?["action"] == "customer.setDomains")
        #expect(items.last?["actor"] == ["kind": "system", "id": .null])
        #expect(items.last?["transport"] == "socket")
        #expect(items.last?["changes"] == ["domains": ["acme.example"]])

        #expect(try await harness.ok("audit.list", ["ticket": 1], as: admin)["items"].map { if case .array(let a) = $0 { a.count } else { -1 } } == 1)
        #expect(try await harness.ok("audit.list", ["customer": "ACME", "action": "customer.setDomains"], as: admin)["items"].map { if case .array(let a) = $0 { a.count } else { -1 } } == 1)
        #expect(try await harness.ok("audit.list", ["actor": ["kind": "contact", "id": 1]], as: admin) == ["items": [], "nextCursor": .null])
        try await harness.fails("audit.list", ["customer": "NOBODY"], as: admin, code: -32003)
        try await harness.fails("audit.list", ["from": "2026-12-02T00:00:00Z", "to": "2026-12-01T00:00:00Z"], as: admin, code: -32602)

        // Paged: one at a time, the cursor bound to the filters.
        let first = try await harness.ok("audit.list", ["limit": 1], as: admin)
        guard case .string(let cursor)? = first["nextCursor"] else { Issue.record("no cursor: \(first)"); return }
        let second = try await harness.ok("audit.list", ["limit": 1, "cursor": .string(cursor)], as: admin)
        #expect(second["items"] == .array([items[1]]) && second["nextCursor"] == .null)
        try await harness.fails("audit.list", ["limit": 1, "cursor": .string(cursor), "action": "read"], as: admin, code: -32602)

        // Account events: a disabled contact is in the trail with who did it.
        try await harness.ok("account.disable", ["account": ["kind": "contact", "id": 1]], as: careManager)
        let disabled = try await harness.ok("audit.list", ["action": "account.disable"], as: admin)
        #expect(disabled["items"] == [[
            "at": "2026-12-01T09:00:00Z", "actor": ["kind": "staff", "id": 1], "action": "account.disable",
            "object": ["kind": "contact", "id": 1], "transport": "socket",
        ]])

        // Append-only: the database refuses to change or remove an event.
        await #expect(throws: (any Error).self) {
            try await harness.pool.write { db in try db.execute(sql: "UPDATE audit_event SET action = 'nothing happened'") }
        }
        await #expect(throws: (any Error).self) {
            try await harness.pool.write { db in try db.execute(sql: "DELETE FROM audit_event") }
        }
        #expect(try await harness.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_event") } == 3)
    }
}
