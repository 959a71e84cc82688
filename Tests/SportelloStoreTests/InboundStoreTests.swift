import Foundation
import GRDB
import SportelloDomain
@testable import SportelloStore
import Testing

/// What mail in keeps: the raw message compressed and given back byte for byte, attachments
/// stored once per digest, raw copies dropped after their retention while the record stays.
@Suite struct InboundStoreTests {
    static func database() throws -> (SportelloDatabase, String) {
        let directory = NSTemporaryDirectory() + "inbound-\(UUID().uuidString)"
        return (try SportelloDatabase(path: directory + "/mail.db"), directory)
    }

    @Test("the raw message comes back byte for byte, stored smaller than it came; once expired only the record stays")
    func rawCopies() async throws {
        let (database, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let now = Date(timeIntervalSince1970: 1_796_000_000)
        // A typical text mail: repetitive headers and prose compress well; NUL and CR bytes survive.
        let raw = Array(String(repeating: "Received: from mx.example.it by mail.example.it\r\n", count: 40).utf8) + [0, 13, 10, 0xFF]
        let id = try await database.write { tx in
            try InboundStore.insert(tx, InboundMailRecord(
                messageID: "a@b", receivedAt: now, sender: "a@b.example", subject: "s", outcome: "opened", reason: nil, ticket: nil,
                message: nil, size: raw.count, sha256: "x", expiresAt: now.addingTimeInterval(86_400)), raw: InboundStore.compress(raw))
        }
        let stored = try await database.read { tx in try InboundStore.mail(tx, id: id) }
        #expect(stored?.raw == raw)
        let compressedSize = try await database.read { tx in
            try Int.fetchOne(tx.db, sql: "SELECT length(raw) FROM inbound_mail WHERE id = ?", arguments: [id])
        }
        #expect(try #require(compressedSize) < raw.count / 5, "2,004 bytes of repeated header lines compress more than 5×")

        let expired = try await database.write { tx in try InboundStore.expireRaw(tx, now: now.addingTimeInterval(86_399)) }
        #expect(expired == 0, "not before its time")
        #expect(try await database.write { tx in try InboundStore.expireRaw(tx, now: now.addingTimeInterval(86_400)) } == 1)
        let after = try await database.read { tx in try InboundStore.mail(tx, id: id) }
        #expect(after?.raw == nil)
        #expect(after?.record.outcome == "opened")
    }

    @Test("the same attachment on two tickets is stored once and listed on each")
    func attachmentsOnce() async throws {
        let (database, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let now = Date(timeIntervalSince1970: 1_796_000_000)
        let bytes = Array("%PDF-1.4 fattura".utf8)
        try await database.write { tx in
            try tx.db.run("INSERT INTO customer(code, name, language, createdAt) VALUES ('A', 'A', 'it', ?)", [StoreTime.text(now)])
            for n in 1...2 {
                let ticket = try TicketStore.insert(tx, TicketRecord(
                    customer: 1, contact: nil, product: "zenshare-up", subject: "s\(n)", channel: .email, language: .it, priority: 3,
                    severity: nil, status: .new, eligible: false, receivedAt: now, createdAt: now, updatedAt: now))
                let message = try TicketStore.addMessage(
                    tx, ticket: ticket, authorKind: "system", authorID: nil, body: "b", isInternal: false, at: now)
                _ = try InboundStore.addAttachment(
                    tx, ticket: ticket, message: message, filename: "f\(n).pdf", contentType: "application/pdf", bytes: bytes,
                    sha256: "same-digest")
            }
        }
        let blobs = try await database.read { tx in try Int.fetchOne(tx.db, sql: "SELECT count(*) FROM attachment_blob") }
        #expect(blobs == 1)
        let second = try await database.read { tx in try InboundStore.attachments(tx, ticket: 2) }
        #expect(second.map(\.filename) == ["f2.pdf"])
        let served = try await database.read { tx in try InboundStore.attachment(tx, id: second[0].id) }
        #expect(served?.bytes == bytes)
    }
}
