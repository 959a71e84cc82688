// The customer portal's accounts end to end over the real socket, as the portal drives them:
// register → the code read from the outbox → confirm → the credentials read from the outbox →
// login → the forced password change → the contact opens a ticket and sees their company's
// tickets. The same for an email outside the customer's domains, through a care manager's
// approval. Each test makes a customer company of its own.

import Foundation
import SportelloMail
import Testing

extension TicketWorld {
    /// A new customer (unique code) with a subscription, the email domain `<code>.example`, and
    /// one ticket opened by the system; returns (id, code, domain, ticket id).
    func portalCustomer(sourceLocation: SourceLocation = #_sourceLocation) async throws -> (id: Int, code: String, domain: String, ticket: Int) {
        let system = try await client(.system)
        let code = uniqueWord("PORTAL").uppercased()
        let domain = "\(code.lowercased()).example"
        let customer = try await system.ok("customer.create", ["code": code, "name": "Portale \(code) S.r.l.", "language": "it"],
                                           sourceLocation: sourceLocation)
        let id = try #require(customer.int("id"), sourceLocation: sourceLocation)
        _ = try await system.ok("customer.addSubscription", ["customer": id, "product": Self.product, "mode": "cloudSaas"],
                                sourceLocation: sourceLocation)
        let domains = try await system.ok("customer.setDomains", ["customer": code, "domains": [domain]], sourceLocation: sourceLocation)
        #expect(domains.strings("domains") == [domain], sourceLocation: sourceLocation)
        let ticket = try await open(system, for: nil, customer: id, subject: "Stampa etichette ferma", body: "La stampa delle etichette non parte.")
        return (id, code, domain, try #require(ticket.int("id"), sourceLocation: sourceLocation))
    }

    /// The body of the newest account notification of `kind` to `email`, read from the outbox
    /// as the mail delivery does (the system).
    func accountMail(_ kind: String, to email: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let system = try await client(.system)
        let list = try await system.ok("notification.list", ["kind": kind, "limit": 500], sourceLocation: sourceLocation)
        let mail = try #require(list.objects("items")?.first { $0.string("to") == email }, "no \(kind) to \(email)", sourceLocation: sourceLocation)
        #expect(mail.isNull("ticket"), sourceLocation: sourceLocation)
        return try #require(mail.string("body"), sourceLocation: sourceLocation)
    }

    func confirmationCode(to email: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let body = try await accountMail("accountConfirmation", to: email, sourceLocation: sourceLocation)
        let line = try #require(body.split(separator: "\n").first { $0.hasPrefix("    ") }, sourceLocation: sourceLocation)
        return line.trimmingCharacters(in: .whitespaces)
    }

    /// The text of the credentials email the person received (the server delivers into its
    /// Maildir): the outbox keeps no copy of the password once the email is sent.
    func deliveredCredentials(to email: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let maildir = server.directory.file("mail") + "/new"
        var text: String?
        let found = await eventually(timeout: 10) {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: maildir)) ?? [] {
                guard let data = FileManager.default.contents(atPath: maildir + "/" + name) else { continue }
                let mail = MailMessage(data: data)
                guard mail.to.contains(where: { $0.address == email }), mail.text.contains("Password: ") else { continue }
                text = mail.text
                return true
            }
            return false
        }
        #expect(found, "no credentials delivered to \(email)", sourceLocation: sourceLocation)
        return try #require(text, sourceLocation: sourceLocation)
    }

    func generatedPassword(to email: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let text = try await deliveredCredentials(to: email, sourceLocation: sourceLocation)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("Password: ") }, sourceLocation: sourceLocation)
        return String(line.dropFirst("Password: ".count)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Logs in with the generated password on a new connection, is held to the password change,
    /// changes it, and returns the connection, now free.
    func firstLogin(email: String, password: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> RPCClient {
        let person = RPCClient(try server.connect(), who: email)
        let login = try await person.ok("session.login", ["email": email, "password": password], sourceLocation: sourceLocation)
        #expect(login["mustChangePassword"] as? Bool == true, sourceLocation: sourceLocation)
        let held = try await person.fails("ticket.list", [:], code: -32002, sourceLocation: sourceLocation)
        #expect(held.string("data.reason") == "passwordChangeRequired", "\(held)", sourceLocation: sourceLocation)
        let whoami = try await person.ok("session.whoami", sourceLocation: sourceLocation)
        #expect(whoami.string("principal.kind") == "contact", sourceLocation: sourceLocation)
        let changed = try await person.ok("account.changePassword", ["current": password, "new": "Treni lenti per Pescara 7"],
                                          sourceLocation: sourceLocation)
        #expect(changed.int("otherSessionsEnded") == 0, sourceLocation: sourceLocation)
        return person
    }
}

@Suite("Portal accounts over the socket", .ticketWorld())
struct PortalAccountEndToEndTests {
    @Test("a person of the customer's domain: register, confirm, credentials, forced change, their company's tickets")
    func insideTheDomain() async throws {
        let world = try currentWorld()
        let company = try await world.portalCustomer()
        let portal = RPCClient(try world.server.connect(), who: "portal")
        let email = "paola.neri@\(company.domain)"
        let registered = try await portal.ok("account.register", ["customer": company.code, "email": email, "name": "Paola Neri"])
        #expect(registered.string("status") == "pending" && registered.date("expiresAt") != nil)
        let code = try await world.confirmationCode(to: email)
        let confirmed = try await portal.ok("account.confirm", ["email": email, "code": code])
        #expect(confirmed.string("status") == "active")
        let password = try await world.generatedPassword(to: email)
        #expect(password.count == 20)

        let person = try await world.firstLogin(email: email, password: password)
        let list = try await person.ok("ticket.list")
        #expect(list.objects("items")?.map { $0.int("id") } == [company.ticket])
        let opened = try await person.ok("ticket.open", [
            "product": TicketWorld.product, "subject": "Nuovo utente", "body": "Serve un secondo utente per il magazzino.",
            "channel": "portal",
        ])
        #expect(opened.int("customer.id") == company.id)
        // Someone else's company stays closed.
        _ = try await person.fails("customer.get", ["customer": world.rossi], code: -32003)
    }

    @Test("a person outside the customer's domains waits for a care manager's approval")
    func throughApproval() async throws {
        let world = try currentWorld()
        let company = try await world.portalCustomer()
        let portal = RPCClient(try world.server.connect(), who: "portal")
        let email = "\(uniqueWord("consulente"))@studio-esterno.example"
        _ = try await portal.ok("account.register", ["customer": company.code, "email": email, "name": "Sara Galli", "language": "en"])
        let code = try await world.confirmationCode(to: email)
        let confirmed = try await portal.ok("account.confirm", ["email": email, "code": code])
        #expect(confirmed.string("status") == "awaitingApproval")
        // Nothing can be logged into yet.
        _ = try await RPCClient(try world.server.connect(), who: email).fails(
            "session.login", ["email": email, "password": "anything at all 1"], code: -32001)

        let manager = try await world.client(.careManager)
        let queue = try await manager.ok("account.pending")
        let waiting = try #require(queue.objects("items")?.first { $0.string("email") == email })
        #expect(waiting.int("customer") == company.id && waiting.string("language") == "en")
        let registration = try #require(waiting.int("id"))
        _ = try await (try await world.client(.operatorA)).fails("account.approve", ["registration": registration], code: -32002)
        let approved = try await manager.ok("account.approve", ["registration": registration])
        #expect(approved.string("status") == "active")
        let delivered = try await world.deliveredCredentials(to: email)
        #expect(delivered.hasPrefix("Dear Sara Galli,"))
        let password = try await world.generatedPassword(to: email)

        let person = try await world.firstLogin(email: email, password: password)
        let list = try await person.ok("ticket.list")
        #expect(list.objects("items")?.map { $0.int("id") } == [company.ticket])
    }
}
