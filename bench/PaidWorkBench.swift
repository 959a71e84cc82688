import Foundation
import GRDB

/// The paid-work figures: `quote.accept` with a reservation from 8 concurrent clients against
/// the same rows written straight through GRDB, and `billing.statement` for a customer with
/// 10,000 worklogs against a plain SQL sum of the same rows.
struct PaidWorkBenchmarks {
    let serverBinary: String
    var clients = 8
    var acceptsPerClient = 150
    var worklogs = 10_000

    func run() throws -> [BenchResult] {
        raiseFileLimit()
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = directory + "/paid.db"
        let socketPath = directory + "/sportello.sock"
        let server = try startServer(serverBinary, socketPath: socketPath, database: database)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let total = clients * acceptsPerClient
        let setup = try UnixClient(path: socketPath)
        var id = 0
        func call(_ method: String, _ params: String) throws -> String {
            id += 1
            try setup.write(Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#.utf8) + [10])
            let reply = String(decoding: try setup.readLine(), as: UTF8.self)
            guard reply.contains("\"result\"") else { throw BenchError.timeout("\(method): \(reply.prefix(300))") }
            return reply
        }
        // One customer with a package far larger than every estimate, `total` tickets quoted.
        _ = try call("customer.create", #"{"code":"BENCH","name":"Bench S.p.A.","language":"it","email":"it@bench.example"}"#)
        _ = try call("contact.create", #"{"customer":"BENCH","name":"Mario Rossi","email":"mario@bench.example"}"#)
        _ = try call("staff.create", #"{"name":"Luca Ferri","email":"luca@bench.example","role":"operator"}"#)
        _ = try call("priceList.set", #"{"hourlyRate":{"amount":"85.00","currency":"EUR"}}"#)
        _ = try call("package.order", #"{"customer":"BENCH","hours":{"hours":10000},"price":{"amount":"500000.00","currency":"EUR"},"startsOn":"2026-01-01"}"#)
        for ticket in 1...total {
            _ = try call("ticket.open", #"{"contact":1,"product":"zenshare-suite","subject":"Report \#(ticket)","body":"Un nuovo report.","channel":"portal"}"#)
            _ = try call("ticket.takeCharge", #"{"ticket":\#(ticket),"classification":"evolutionaryChange","priority":3}"#)
            _ = try call("quote.create", #"{"ticket":\#(ticket),"estimate":{"minutes":120},"description":"Report.","assignee":1}"#)
            _ = try call("quote.send", #"{"quote":\#(ticket)}"#)
        }

        // quote.accept from `clients` connections at once, each on its own quotes.
        let acceptRate = Double(total) / (try concurrentRequests(socketPath: socketPath, clients: clients, perClient: acceptsPerClient) { _, index in
            let quote = 1 + index
            return #"{"jsonrpc":"2.0","id":\#(quote),"method":"quote.accept","params":{"quote":\#(quote),"note":"bench"}}"#
        })
        // The same rows straight through GRDB: quote, task, package balance, ticket, the ticket's
        // and the package's history rows and their two audit rows (the server's triggers),
        // one synced transaction per acceptance, from as many writers.
        let directRate = try directAccepts(database: database)

        // billing.statement: `worklogs` worklogs on the customer's tasks, over the year.
        let queue = try DatabaseQueue(path: database)
        try queue.write { db in
            let tasks = try Int64.fetchAll(db, sql: "SELECT id FROM task ORDER BY id")
            let statement = try db.makeStatement(sql: """
                INSERT INTO worklog(task, staff, minutes, note, "on", createdAt) VALUES (?, 1, 15, 'lavoro', ?, '2026-06-01T09:00:00.000Z')
                """)
            for index in 0..<worklogs {
                let day = String(format: "2026-%02d-%02d", 1 + index % 12, 1 + index % 28)
                try statement.execute(arguments: [tasks[index % tasks.count], day])
            }
            try db.execute(sql: "UPDATE task SET loggedMinutes = (SELECT coalesce(sum(minutes), 0) FROM worklog WHERE worklog.task = task.id)")
        }
        var statementSamples: [Double] = []
        for index in 0..<600 {
            let started = monotonicNow()
            _ = try call("billing.statement", #"{"customer":"BENCH","month":"2026-\#(String(format: "%02d", 1 + index % 12))"}"#)
            if index >= 100 { statementSamples.append(monotonicNow() - started) }
        }
        statementSamples.sort()
        var sumSamples: [Double] = []
        try queue.read { db in
            for index in 0..<600 {
                let started = monotonicNow()
                _ = try Row.fetchAll(db, sql: """
                    SELECT k.package, sum(w.minutes) FROM worklog w JOIN task k ON k.id = w.task
                    WHERE w."on" BETWEEN ? AND ? GROUP BY k.package
                    """, arguments: ["2026-\(String(format: "%02d", 1 + index % 12))-01", "2026-\(String(format: "%02d", 1 + index % 12))-31"])
                if index >= 100 { sumSamples.append(monotonicNow() - started) }
            }
        }
        sumSamples.sort()
        return [
            BenchResult(name: "quote.accept with reservation, \(clients) clients", value: acceptRate, unit: "accepts/s",
                        note: "\(total) quotes, synchronous = FULL"),
            BenchResult(name: "direct GRDB, same rows, \(clients) writers (baseline)", value: directRate, unit: "accepts/s",
                        note: "quote, task, package, ticket, both histories and their audit rows per transaction, FULL"),
            BenchResult(name: "quote.accept / direct ratio", value: acceptRate / directRate, unit: "x", note: "target >= 0.5"),
            BenchResult(name: "billing.statement, \(worklogs) worklogs: p50", value: percentile(statementSamples, 0.5) * 1000, unit: "ms", note: ""),
            BenchResult(name: "billing.statement, \(worklogs) worklogs: p99", value: percentile(statementSamples, 0.99) * 1000, unit: "ms",
                        note: "target < 20 ms"),
            BenchResult(name: "plain SQL sum of the month's worklogs: p99 (baseline)", value: percentile(sumSamples, 0.99) * 1000, unit: "ms",
                        note: String(format: "statement / sum p99 = %.1f", percentile(statementSamples, 0.99) / percentile(sumSamples, 0.99))),
        ]
    }

    /// What an acceptance writes, straight through GRDB on copies of the rows: the quote's status,
    /// a task, the package's reservation, the ticket's status and assignee, a history row.
    private func directAccepts(database: String) throws -> Double {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let pool = try DatabasePool(path: database, configuration: configuration)
        // As the server's writer: every commit synced (GRDB's WAL set-up leaves NORMAL).
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let total = clients * acceptsPerClient
        try pool.write { db in
            try db.execute(sql: """
                CREATE TABLE bench_quote AS SELECT * FROM quote;
                UPDATE bench_quote SET status = 'sent';
                CREATE TABLE bench_ticket AS SELECT id, status, assignee, version FROM ticket;
                CREATE TABLE bench_task (id INTEGER PRIMARY KEY, ticket INTEGER, package INTEGER, quote INTEGER UNIQUE,
                    estimateMinutes INTEGER, reservedMinutes INTEGER, loggedMinutes INTEGER DEFAULT 0, closedOn TEXT, createdAt TEXT);
                CREATE TABLE bench_package AS SELECT * FROM support_package;
                CREATE TABLE bench_history (id INTEGER PRIMARY KEY, ticket INTEGER, at TEXT, actorKind TEXT, actorID INTEGER,
                    action TEXT, changes TEXT, events TEXT);
                CREATE TABLE bench_package_history (id INTEGER PRIMARY KEY, package INTEGER, at TEXT, actorKind TEXT,
                    actorID INTEGER, action TEXT, changes TEXT);
                CREATE TABLE bench_audit (id INTEGER PRIMARY KEY, at TEXT, actorKind TEXT, actorID INTEGER, action TEXT,
                    objectKind TEXT, objectID INTEGER, customer INTEGER, ticket INTEGER, changes TEXT);
                CREATE INDEX bench_audit_customer ON bench_audit(customer, id);
                CREATE INDEX bench_audit_ticket ON bench_audit(ticket, id);
                CREATE INDEX bench_audit_actor ON bench_audit(actorKind, actorID, id);
                CREATE INDEX bench_audit_at ON bench_audit(at);
                """)
        }
        let group = DispatchGroup()
        let failures = LockedSamples()
        let started = monotonicNow()
        for writer in 0..<clients {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                do {
                    for index in 0..<acceptsPerClient {
                        let quote = Int64(1 + writer * acceptsPerClient + index)
                        let now = "2026-12-06T09:00:00.000Z"
                        try pool.write { db in
                            try db.execute(sql: "UPDATE bench_quote SET status = 'accepted', answeredAt = ?, updatedAt = ? WHERE id = ?",
                                           arguments: [now, now, quote])
                            try db.execute(sql: "UPDATE bench_package SET reservedMinutes = reservedMinutes + 120 WHERE id = 1")
                            try db.execute(sql: """
                                INSERT INTO bench_task(ticket, package, quote, estimateMinutes, reservedMinutes, createdAt)
                                VALUES (?, 1, ?, 120, 120, ?)
                                """, arguments: [quote, quote, now])
                            try db.execute(sql: "UPDATE bench_ticket SET status = 'assigned', assignee = 1, version = version + 1 WHERE id = ?",
                                           arguments: [quote])
                            try db.execute(sql: """
                                INSERT INTO bench_history(ticket, at, actorKind, actorID, action, changes, events)
                                VALUES (?, ?, 'system', NULL, 'acceptQuote', '{"status":["quoted","assigned"]}', '["quoteAccepted"]')
                                """, arguments: [quote, now])
                            try db.execute(sql: """
                                INSERT INTO bench_package_history(package, at, actorKind, actorID, action, changes)
                                VALUES (1, ?, 'system', NULL, 'reserve', '{"reserved":[0,120]}')
                                """, arguments: [now])
                            // The audit trail's copies of both history rows (the server's triggers).
                            for (kind, object) in [("ticket", quote), ("package", Int64(1))] {
                                try db.execute(sql: """
                                    INSERT INTO bench_audit(at, actorKind, actorID, action, objectKind, objectID, customer, ticket, changes)
                                    VALUES (?, 'system', NULL, 'acceptQuote', ?, ?, 1, ?, '{}')
                                    """, arguments: [now, kind, object, kind == "ticket" ? quote : nil])
                            }
                        }
                    }
                } catch {
                    failures.append([1])
                }
            }
            thread.start()
        }
        group.wait()
        guard failures.values.isEmpty else { throw BenchError.timeout("direct acceptances without errors") }
        return Double(total) / (monotonicNow() - started)
    }
}
