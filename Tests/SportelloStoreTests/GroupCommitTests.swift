import Foundation
import GRDB
@testable import SportelloStore
import Testing

/// Concurrent changes share a transaction (and its fsync); each keeps its own outcome.
@Suite struct GroupCommitTests {
    struct Refused: Error {}

    func withDatabase(_ body: (SportelloDatabase) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "group-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try SportelloDatabase(path: directory + "/group.db")
        try await database.write { tx in try tx.db.execute(sql: "CREATE TABLE probe (name TEXT NOT NULL UNIQUE)") }
        try await body(database)
    }

    static func names(_ database: SportelloDatabase) throws -> [String] {
        try database.pool.read { db in try String.fetchAll(db, sql: "SELECT name FROM probe ORDER BY rowid") }
    }

    @Test("changes that arrive while a commit is under way go to disk together; one that fails is rolled back alone; the later ones see the earlier ones")
    func groupsAndIsolation() async throws {
        try await withDatabase { database in
            let before = database.groupsCommitted
            // The first change holds the writer until the next four have queued up behind it,
            // one after the other.
            let started = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            async let first: Void = database.write { tx in
                try tx.db.execute(sql: "INSERT INTO probe(name) VALUES ('first')")
                started.signal()
                release.wait()
            }
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    started.wait()
                    continuation.resume()
                }
            }
            func queued(_ count: Int) async throws {
                let deadline = Date().addingTimeInterval(30)
                while database.writesWaiting < count, Date() < deadline { try await Task.sleep(for: .milliseconds(5)) }
                try #require(database.writesWaiting == count)
            }
            async let second: Void = database.write { tx in try tx.db.execute(sql: "INSERT INTO probe(name) VALUES ('second')") }
            try await queued(1)
            async let failing: Void = database.write { tx in
                try tx.db.execute(sql: "INSERT INTO probe(name) VALUES ('failing')")
                throw Refused()
            }
            try await queued(2)
            // A constraint violation inside the group fails this change only.
            async let duplicate: Void = database.write { tx in try tx.db.execute(sql: "INSERT INTO probe(name) VALUES ('second')") }
            try await queued(3)
            async let seesSecond: Int = database.write { tx in
                try Int.fetchOne(tx.db, sql: "SELECT count(*) FROM probe WHERE name IN ('first', 'second')") ?? -1
            }
            try await queued(4)
            release.signal()
            try await first
            try await second
            do {
                try await failing
                Issue.record("the failing change succeeded")
            } catch {
                #expect(error is Refused)
            }
            do {
                try await duplicate
                Issue.record("the duplicate was inserted")
            } catch {
                #expect((error as? StoreFailure)?.kind == .constraint, "\(error)")
            }
            #expect(try await seesSecond == 2)
            #expect(try Self.names(database) == ["first", "second"])
            // 'first' alone, then the four that waited for it in one transaction.
            #expect(database.groupsCommitted - before == 2)
        }
    }

    @Test("200 concurrent changes: every one committed exactly once, in far fewer transactions")
    func manyConcurrentChanges() async throws {
        try await withDatabase { database in
            let before = database.groupsCommitted
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for index in 0..<200 {
                    tasks.addTask {
                        try await database.write { tx in try tx.db.execute(sql: "INSERT INTO probe(name) VALUES (?)", arguments: ["n\(index)"]) }
                    }
                }
                try await tasks.waitForAll()
            }
            #expect(Set(try Self.names(database)) == Set((0..<200).map { "n\($0)" }))
            let groups = database.groupsCommitted - before
            #expect(groups < 200, "\(groups) transactions for 200 changes")
        }
    }
}
