import Foundation
import GRDB
import SportelloDomain
import SportelloStore
import Synchronization
import Testing

/// The WAL of a served database cannot grow without bound: the background checkpointer copies
/// it into the database file while writers commit, and once a long reader lets go, the WAL is
/// restarted and cut back to `journal_size_limit`.
@Suite struct WALBoundTests {
    /// One ticket opened as `ticket.open` writes it: ticket, message (and its search row),
    /// history and outbox, in one transaction.
    static func open(_ db: Database, contact: Int64, customer: Int64, index: Int) throws {
        let now = Date()
        let ticket = TicketRecord(
            customer: customer, contact: contact, product: "zenshare-suite", subject: "Errore \(index) durante l'esportazione",
            channel: .email, language: .it, priority: 3, severity: nil, status: .new, eligible: true, receivedAt: now,
            chargeTakingDue: now, secondDue: now, createdAt: now, updatedAt: now)
        let id = try TicketStore.insert(StoreWriter(db), ticket)
        let body = "Buongiorno, l'esportazione delle fatture si interrompe con un errore (\(index)). Potete verificare?"
        try TicketStore.addMessage(
            StoreWriter(db), ticket: id, authorKind: "system", authorID: nil, body: body, isInternal: false, at: now, subject: ticket.subject)
        try TicketStore.addHistory(
            StoreWriter(db), ticket: id, at: now, actorKind: "system", actorID: nil, action: "open",
            changes: #"{"status":[null,"new"]}"#, events: #"["opened","notify:receipt"]"#)
        try TicketStore.enqueue(
            StoreWriter(db), ticket: id, kind: "receipt", language: .it, recipient: "cliente@example.invalid",
            subject: "[Sportello #\(id)] Ricevuta la sua richiesta", body: body, at: now)
    }

    @Test("100,000 opens, a reader holding a read transaction through 3,000 of them: the WAL ends under journal_size_limit (16 MiB)")
    func walStaysBounded() throws {
        // On tmpfs when there is one: what is measured is the WAL's length, not the disk's speed.
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let directory = base + "/sportello-wal-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try SportelloDatabase(path: directory + "/wal.db")
        let checkpointer = try Checkpointer(database: database, interval: .milliseconds(100)) { error in
            print("checkpoint failed: \(error)")
        }
        defer { checkpointer.stop() }
        let (customer, contact) = try database.pool.write { db in
            let customer = try AccountStore.insertCustomer(
                StoreWriter(db), code: "WAL", name: "Wal S.p.A.", vatNumber: nil, language: .it, email: nil, now: Date())
            let contact = try AccountStore.insertContact(
                StoreWriter(db), customer: customer.id, name: "Walter", email: "walter@wal.example", language: nil, passwordHash: nil, now: Date())
            return (customer.id, contact.id)
        }

        let total = 100_000
        var peak = 0
        var heldPeak = 0
        let release = DispatchSemaphore(value: 0)
        let released = DispatchSemaphore(value: 0)
        for index in 0..<total {
            if index == 40_000 {
                // A reader takes a snapshot and keeps it while the next 3,000 tickets are opened.
                let reader = Thread {
                    try? database.pool.read { db in
                        _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM ticket")
                        release.wait()
                    }
                    released.signal()
                }
                reader.start()
                usleep(50_000)
            }
            if index == 43_000 {
                heldPeak = database.walSize
                release.signal()
                released.wait()
            }
            try database.pool.write { db in try Self.open(db, contact: contact, customer: customer, index: index) }
            if index % 500 == 0 { peak = max(peak, database.walSize) }
        }
        // The checkpointer catches up within a few of its rounds.
        let deadline = Date().addingTimeInterval(5)
        while database.walSize > SportelloDatabase.journalSizeLimit, Date() < deadline { usleep(50_000) }
        let end = database.walSize
        #expect(heldPeak > SportelloDatabase.journalSizeLimit, "the reader should have made the WAL grow past the limit (\(heldPeak >> 20) MiB)")
        #expect(end <= SportelloDatabase.journalSizeLimit, "the WAL ended at \(end >> 20) MiB (peak \(peak >> 20) MiB)")
        let count = try database.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM ticket") }
        #expect(count == total)
    }
}
