import Foundation
import SportelloMail
import Testing

// Notifications leave the outbox through the real binary: into a Maildir (what `make run` and
// the tests use), through a sendmail command that fails and is retried, and from two processes
// on one database without a notification being sent twice. The Postfix suite
// (Tests/Mail/test_postfix.py) takes the real mail system's path.

@Suite("Mail delivery")
struct MailDeliveryTests {
    /// The messages in a Maildir's new/ folder, parsed.
    static func delivered(_ maildir: String) -> [MailMessage] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: maildir + "/new")) ?? []
        return names.sorted().compactMap { name in
            FileManager.default.contents(atPath: maildir + "/new/" + name).map { MailMessage(data: $0) }
        }
    }

    static func setUp(_ client: RPCClient) async throws {
        _ = try await client.ok("customer.create", ["code": "ACME", "name": "Acme S.p.A.", "language": "it", "email": "it@acme.example"])
        _ = try await client.ok("customer.addSubscription", ["customer": "ACME", "product": "zenshare-suite", "mode": "subscription"])
        _ = try await client.ok("contact.create", ["customer": "ACME", "name": "Nicolò Bianchi", "email": "nicolo@acme.example"])
        _ = try await client.ok("staff.create", ["name": "Luca Ferri", "email": "luca@interzen.example", "role": "operator"])
    }

    @Test("a receipt reaches the Maildir by itself: encoded subject, the support address, auto-replied, X-Loop, the Message-ID notification.list shows; the next notification joins its thread")
    func maildir() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let maildir = directory.file("delivered")
        let server = try await SocketServer(directory: directory, environment: ["SPORTELLO_MAILDIR": maildir])
        defer { server.stop() }
        let client = RPCClient(try server.connect(), who: "system")
        try await Self.setUp(client)
        let subject = "Perché l'esportazione in € non funziona più?"
        _ = try await client.ok("ticket.open", [
            "contact": 1, "product": "zenshare-suite", "subject": subject, "channel": "email",
            "body": "Buongiorno, da ieri l'esportazione delle fatture in euro si interrompe. Potete verificare? Grazie.",
        ])
        #expect(await eventually(timeout: 5) { Self.delivered(maildir).count == 1 }, "the receipt was delivered")
        let receipt = try #require(Self.delivered(maildir).first)
        #expect(receipt.subject == "[Sportello #1] Ricevuta la sua richiesta: " + subject)
        #expect(receipt.headers["Subject"]?.allSatisfy(\.isASCII) == true, "the subject is RFC 2047-encoded on the wire")
        #expect(receipt.from.first?.address == "support@interzen.it")
        #expect(receipt.from.first?.name == "Servizio Clienti Interzen")
        #expect(receipt.to.first?.address == "nicolo@acme.example")
        #expect(receipt.headers["Auto-Submitted"] == "auto-replied")
        #expect(receipt.headers["X-Loop"] == "support@interzen.it")
        #expect(receipt.headers["Content-Type"]?.contains("charset=utf-8") == true)
        #expect(receipt.text.contains("Gentile Nicolò Bianchi"), "the body, decoded, in Italian")
        // The outcome is recorded just after the message is handed over.
        var row: JSON = [:]
        #expect(await eventually(timeout: 5) {
            row = (try? await client.ok("notification.list", ["ticket": 1]).objects("items")?.first) ?? [:]
            return row.string("status") == "sent"
        })
        #expect(row.int("attempts") == 1)
        #expect(row.string("sentAt") != nil)
        let messageID = try #require(row.string("messageID"))
        #expect(receipt.threadKeys.messageID == messageID)

        // The closure answers in the same thread.
        _ = try await client.ok("ticket.takeCharge", ["ticket": 1, "classification": "bug", "priority": 3, "assignee": 1])
        _ = try await client.ok("ticket.close", ["ticket": 1, "text": "Risolto."])
        #expect(await eventually(timeout: 5) { Self.delivered(maildir).count == 2 })
        let closure = try #require(Self.delivered(maildir).first { $0.subject.contains("chiusa") })
        #expect(closure.threadKeys.inReplyTo == [messageID])
        #expect(closure.threadKeys.references == [messageID])
        #expect(closure.headers["Auto-Submitted"] == "auto-generated")
    }

    @Test("a sendmail command that fails: the attempt and its error are recorded, retried in a minute; notification.retry after fixing the settings sends it with the same Message-ID")
    func failureAndRetry() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let maildir = directory.file("fixed")
        // No Maildir override: the settings decide.
        let server = try await SocketServer(directory: directory, environment: ["SPORTELLO_MAILDIR": ""])
        defer { server.stop() }
        let client = RPCClient(try server.connect(), who: "system")
        _ = try await client.ok("mail.settings.set", ["transport": "sendmail", "sendmailCommand": "/bin/false"])
        try await Self.setUp(client)
        _ = try await client.ok("ticket.open", [
            "contact": 1, "product": "zenshare-suite", "subject": "Errore", "channel": "email", "body": "Non funziona.",
        ])
        var failed: JSON = [:]
        #expect(await eventually(timeout: 5) {
            failed = (try? await client.ok("notification.list", ["ticket": 1]).objects("items")?.first) ?? [:]
            return failed.int("attempts") == 1
        })
        #expect(failed.string("status") == "pending")
        #expect(failed.string("lastError")?.contains("/bin/false exited with status 1") == true, "\(failed)")
        let next = try #require(failed.date("nextAttemptAt"))
        let last = try #require(failed.date("createdAt"))
        #expect(next.timeIntervalSince(last) >= 59 && next.timeIntervalSince(last) < 65, "retried a minute after the attempt")
        let firstID = try #require(failed.string("messageID"))

        _ = try await client.ok("mail.settings.set", ["transport": "maildir", "maildirPath": maildir])
        let retried = try await client.ok("notification.retry", ["notification": failed.int("id")!])
        #expect(retried.string("status") == "pending")
        #expect(await eventually(timeout: 5) { Self.delivered(maildir).count == 1 })
        #expect(Self.delivered(maildir).first?.threadKeys.messageID == firstID, "the retry carries the first attempt's Message-ID")
        // The outcome is recorded just after the message is handed over.
        var sent: JSON = [:]
        #expect(await eventually(timeout: 5) {
            sent = (try? await client.ok("notification.list", ["ticket": 1]).objects("items")?.first) ?? [:]
            return sent.string("status") == "sent"
        })
        #expect(sent.int("attempts") == 2)
        #expect(sent.isNull("lastError"))
        try await client.fails("notification.retry", ["notification": failed.int("id")!], code: -32005)
    }

    @Test("a server and two `sportello deliver` runs on one database: 40 notifications, each delivered exactly once")
    func noDoubleSend() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let maildir = directory.file("shared")
        // The server queues without sending (a pass only every second: the two deliver runs
        // below race it and each other).
        let server = try await SocketServer(directory: directory, environment: ["SPORTELLO_MAILDIR": maildir])
        defer { server.stop() }
        let client = RPCClient(try server.connect(), who: "system")
        try await Self.setUp(client)
        for index in 1...40 {
            _ = try await client.ok("ticket.open", [
                "contact": 1, "product": "zenshare-suite", "subject": "Errore \(index)", "channel": "email", "body": "Testo \(index).",
            ])
        }
        async let first = runCommand(
            sportelloBinary, ["deliver", "--database", server.databasePath, "--maildir", maildir], directory: directory, name: "deliver-1")
        async let second = runCommand(
            sportelloBinary, ["deliver", "--database", server.databasePath, "--maildir", maildir], directory: directory, name: "deliver-2")
        let outcomes = try await [first, second]
        for outcome in outcomes { #expect(outcome.status == 0, "\(outcome.stderr)") }
        #expect(await eventually(timeout: 10) { Self.delivered(maildir).count == 40 })
        try await Task.sleep(for: .seconds(1.5))
        let messages = Self.delivered(maildir)
        #expect(messages.count == 40, "no notification sent twice")
        #expect(Set(messages.compactMap(\.threadKeys.messageID)).count == 40)
        #expect(Set(messages.map(\.subject)).count == 40)
    }
}
