import Foundation
import GRDB
import SportelloStore
import Testing

@Suite struct DatabaseTests {
    func temporaryPath(_ name: String = "sportello.db") -> (String, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        return (directory.appendingPathComponent("nested/\(name)").path, directory.path)
    }

    @Test func opensInWALModeAndCreatesTheFolder() throws {
        let (path, directory) = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try SportelloDatabase(path: path)
        let mode = try database.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func migratingTwiceIsANoOp() throws {
        let (path, directory) = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try SportelloDatabase(path: path).appliedMigrations()
        let second = try SportelloDatabase(path: path).appliedMigrations()
        #expect(!first.isEmpty)
        #expect(first == second)
    }

    @Test func twoOpenersShareOneFile() throws {
        let (path, directory) = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let one = try SportelloDatabase(path: path)
        let two = try SportelloDatabase(path: path)
        try one.pool.write { db in try db.execute(sql: "INSERT INTO installation(key, value) VALUES ('probe', 'one')") }
        let seen = try two.pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM installation WHERE key = 'probe'") }
        #expect(seen == "one")
    }

    @Test func backupIsAConsistentCopyWhileWritersRun() async throws {
        let (path, directory) = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try SportelloDatabase(path: path)
        try await database.pool.write { db in try db.execute(sql: "CREATE TABLE counter(n INTEGER NOT NULL)") }
        let writer = Task.detached {
            for n in 0..<300 {
                try database.pool.write { db in try db.execute(sql: "INSERT INTO counter(n) VALUES (?)", arguments: [n]) }
            }
        }
        let backup = directory + "/backup.db"
        try database.backup(to: backup)
        try await writer.value
        let copy = try DatabaseQueue(path: backup)
        let (count, maximum) = try await copy.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM counter") ?? -1,
             try Int.fetchOne(db, sql: "SELECT coalesce(max(n), -1) FROM counter") ?? -2)
        }
        // A consistent snapshot: the rows 0..<count, none missing in the middle.
        #expect(maximum == count - 1)
        let integrity = try await copy.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
        #expect(integrity == "ok")
        #expect(!FileManager.default.fileExists(atPath: backup + ".partial-\(getpid())"))
    }

    @Test func backupToAnUnwritablePlaceFailsAndLeavesNothing() throws {
        let (path, directory) = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try SportelloDatabase(path: path)
        #expect(throws: (any Error).self) { try database.backup(to: "/nonexistent-dir/backup.db") }
    }
}

@Suite struct RestrictedFollowUpMigrationTests {
    @Test("upgrading restricts the unclassified follow-ups of vulnerabilities, and their own follow-ups")
    func backfill() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("sportello.db").path
        do {
            let pool = try DatabasePool(path: path)
            try SportelloDatabase.migrator.migrate(pool, upTo: "v4-tickets")
            try pool.write { db in
                try db.execute(sql: "INSERT INTO customer(id, code, name, language, createdAt) VALUES (1, 'ACME', 'Acme', 'it', 'x')")
                // #1 vulnerability ← #2 unclassified ← #3 unclassified; #4 bug ← #5 unclassified;
                // #1 ← #6 classified bug ← #7 unclassified.
                for (id, classification, followUpOf) in [
                    (1, "'vulnerability'", "NULL"), (2, "NULL", "1"), (3, "NULL", "2"), (4, "'bug'", "NULL"), (5, "NULL", "4"),
                    (6, "'bug'", "1"), (7, "NULL", "6"),
                ] {
                    try db.execute(sql: """
                        INSERT INTO ticket(id, customer, product, subject, channel, language, classification, priority, status,
                            eligible, followUpOf, receivedAt, createdAt, updatedAt)
                        VALUES (\(id), 1, 'zenshare-suite', 's', 'email', 'it', \(classification), 3, 'new', 1, \(followUpOf),
                            'x', 'x', 'x')
                        """)
                }
            }
        }
        let database = try SportelloDatabase(path: path)
        let restricted = try database.pool.read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM ticket WHERE restricted = 1 ORDER BY id")
        }
        #expect(restricted == [2, 3])
    }
}
