import Foundation
import GRDB
import SportelloStore
import Testing

/// Concurrent changes share a transaction (and its fsync); each keeps its own outcome.
@Suite struct GroupCommitTests {
    struct Refused: Error {}

    func withDatabase(_ body: (SportelloDatabase) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "group-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try SportelloDatabase(path: directory + "/group.db")
        try await database.write { db in try db.execute(sql: "CREATE TABLE probe (name TEXT NOT NULL UNIQUE)") }
        try await body(database)
    }

    static func names(_ database: SportelloDatabase) throws -> [String] {
        try database.pool.read { db in try String.fetchAll(db, sql: "SELECT name FROM probe ORDER BY rowid") }
    }

    @Test("changes that arrive while a commit is under way go to disk together; one that fails is rolled back alone; the later ones see the earlier ones")
    func groupsAndIsolation() async throws {
        try await withDatabase { database in
            let before = database.groupsCommitted
            // The first change holds the writer for a moment, so the next four queue up behind it.
            async let first: Void = database.write { db in
                try db.execute(sql: "INSERT INTO probe(name) VALUES ('first')")
                usleep(300_000)
            }
            try await Task.sleep(for: .milliseconds(100))
            async let second: Void = database.write { db in try db.execute(sql: "INSERT INTO probe(name) VALUES ('second')") }
            try await Task.sleep(for: .milliseconds(20))
            async let failing: Void = database.write { db in
                try db.execute(sql: "INSERT INTO probe(name) VALUES ('failing')")
                throw Refused()
            }
            try await Task.sleep(for: .milliseconds(20))
            // A constraint violation inside the group fails this change only.
            async let duplicate: Void = database.write { db in try db.execute(sql: "INSERT INTO probe(name) VALUES ('second')") }
            try await Task.sleep(for: .milliseconds(20))
            async let seesSecond: Int = database.write { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM probe WHERE name IN ('first', 'second')") ?? -1
            }
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
                #expect((error as? DatabaseError)?.resultCode == .SQLITE_CONSTRAINT, "\(error)")
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
                        try await database.write { db in try db.execute(sql: "INSERT INTO probe(name) VALUES (?)", arguments: ["n\(index)"]) }
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
