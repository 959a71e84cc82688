import Foundation
import GRDB
import SportelloDomain
@testable import SportelloStore
import Testing

/// What the delivery worker may claim: pending rows whose retry time and `notBefore` have come,
/// not leased by another worker; a claim gives the Message-ID once and keeps it.
@Suite struct MailStoreTests {
    @Test("a notification held until the next opening (notBefore) is not claimed before it; a leased one is not claimed twice; the Message-ID is given once")
    func claims() async throws {
        let directory = NSTemporaryDirectory() + "mailstore-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try SportelloDatabase(path: directory + "/mail.db")
        let now = Date(timeIntervalSince1970: 1_796_000_000)
        let opening = now.addingTimeInterval(3_600)
        try await database.write { tx in
            for (subject, notBefore) in [("now", nil), ("at the opening", opening)] as [(String, Date?)] {
                try tx.db.insert(OutboxRecord(
                    id: 0, ticket: nil, kind: "slaWarning", language: .it, recipient: "luca@interzen.example", subject: subject,
                    body: "…", createdAt: now, status: "pending", notBefore: notBefore))
            }
        }
        func claim(at instant: Date, lease: TimeInterval = 300) async throws -> [DueNotification] {
            try await database.write { tx in
                try MailStore.claimDue(tx, now: instant, leaseUntil: instant.addingTimeInterval(lease), limit: 10) { "m\($0)@x" }
            }
        }
        // The first is leased for two hours; the second waits for the opening.
        #expect(try await claim(at: now, lease: 7_200).map(\.subject) == ["now"])
        #expect(try await claim(at: now.addingTimeInterval(60)).isEmpty)
        let atOpening = try await claim(at: opening)
        #expect(atOpening.map(\.subject) == ["at the opening"])
        // Both leases ran out (the workers died): claimed again, with the same Message-IDs.
        let again = try await claim(at: now.addingTimeInterval(7_201))
        #expect(again.map(\.subject) == ["now", "at the opening"])
        #expect(again.map(\.messageID) == ["m1@x", "m2@x"])
    }

    @Test("the generated password of an account's credentials does not stay in the outbox once the email is sent")
    func credentialsErased() async throws {
        let directory = NSTemporaryDirectory() + "mailstore-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try SportelloDatabase(path: directory + "/mail.db")
        let now = Date(timeIntervalSince1970: 1_796_000_000)
        let bodies = try await database.write { tx -> [String] in
            for kind in ["accountCredentials", "receipt"] {
                try tx.db.insert(OutboxRecord(
                    id: 0, ticket: nil, kind: kind, language: .it, recipient: "anna@acme.example", subject: kind,
                    body: "Password: Xk4-secret-Pw9", createdAt: now, status: "pending"))
            }
            for due in try MailStore.claimDue(tx, now: now, leaseUntil: now.addingTimeInterval(300), limit: 10, messageID: { "m\($0)@x" }) {
                try MailStore.markSent(tx, id: due.id, at: now)
            }
            return try String.fetchAll(tx.db, sql: "SELECT body FROM outbox ORDER BY id")
        }
        #expect(bodies == [MailStore.removedCredentials, "Password: Xk4-secret-Pw9"])
    }
}
