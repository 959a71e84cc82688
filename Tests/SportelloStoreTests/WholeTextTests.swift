import Foundation
import GRDB
import SportelloStore
import Testing

// Text goes into SQLite and comes back byte for byte, NUL (U+0000) included: GRDB on its own
// binds and reads strings as C strings and would cut them at the first NUL.
@Suite struct WholeTextTests {
    func withDatabase(_ body: (SportelloDatabase) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(try SportelloDatabase(path: directory.appendingPathComponent("sportello.db").path))
    }

    @Test("a string with NUL bytes is stored, matched and read back whole")
    func nulRoundTrip() throws {
        try withDatabase { database in
            let text = "before\u{0}after \u{0}\u{0} end"
            try database.pool.write { db in
                try db.run("INSERT INTO installation(key, value) VALUES (?, ?)", ["k\u{0}1", text])
                try db.run("INSERT INTO installation(key, value) VALUES (?, ?)", ["k\u{0}2", "other"])
            }
            try database.pool.read { db in
                #expect(try db.value(String.self, "SELECT value FROM installation WHERE key = ?", ["k\u{0}1"]) == text)
                #expect(try db.value(Int.self, "SELECT length(CAST(value AS BLOB)) FROM installation WHERE key = ?", ["k\u{0}1"])
                    == text.utf8.count)
                // "k" alone, where a C string would stop, matches nothing.
                #expect(try db.value(String.self, "SELECT value FROM installation WHERE key = ?", ["k"]) == nil)
                let row = try #require(try db.row("SELECT key, value FROM installation WHERE key = ?", ["k\u{0}1"]))
                #expect(row["key"] as String == "k\u{0}1")
                #expect(row["value"] as String == text)
                #expect(try db.values(String.self, "SELECT key FROM installation WHERE key LIKE 'k%' ORDER BY key") == ["k\u{0}1", "k\u{0}2"])
            }
        }
    }

    @Test("a search FTS5 cannot take is the caller's SearchQueryError, not a database failure")
    func searchTextFTS5Refuses() throws {
        try withDatabase { database in
            try database.pool.read { db in
                #expect(throws: SearchQueryError.self) {
                    try TicketStore.list(StoreReader(db), TicketFilter(visibility: .all, query: "\u{0}", now: Date()))
                }
                let ordinary = try TicketStore.list(StoreReader(db), TicketFilter(visibility: .all, query: "ordinary words", now: Date()))
                #expect(ordinary.isEmpty)
            }
        }
    }

    @Test("a notification and a history row written on a kept statement keep NUL, empty and absent values apart")
    func keptStatementRows() throws {
        try withDatabase { database in
            let body = "line one\u{0}line two"
            try database.pool.write { db in
                let tx = StoreWriter(db)
                for subject in ["a\u{0}b", ""] {
                    try TicketStore.enqueue(
                        tx, ticket: nil, kind: "slaBreach", language: .en, recipient: "x@example.com", subject: subject, body: body,
                        at: Date(timeIntervalSince1970: 1_800_000_000.123), notBefore: nil)
                }
            }
            try database.pool.read { db in
                let rows = try db.rows("SELECT subject, body, notBefore, status, attempts, createdAt FROM outbox ORDER BY id")
                #expect(rows.map { $0["subject"] as String } == ["a\u{0}b", ""])
                #expect(rows.allSatisfy { $0["body"] as String == body && ($0["notBefore"] as String?) == nil })
                #expect(rows.allSatisfy { $0["status"] as String == "pending" && $0["attempts"] as Int == 0 })
                #expect(rows[0]["createdAt"] as String == "2027-01-15T08:00:00.123Z")
            }
        }
    }
}
