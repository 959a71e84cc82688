import Foundation
import GRDB
import SportelloDomain
import SportelloStore

/// The ticket figures: `ticket.open` from 8 concurrent clients against the same rows written
/// straight through GRDB, and `ticket.get` / filtered `ticket.list` latencies on a database of
/// 100,000 demo tickets.
struct TicketBenchmarks {
    let serverBinary: String
    var seededTickets = 100_000
    var clients = 8
    var opensPerClient = 250

    func run() throws -> [BenchResult] {
        raiseFileLimit()
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var results: [BenchResult] = []

        // A database of demo tickets, made by the binary itself.
        let database = directory + "/tickets.db"
        let seedStarted = monotonicNow()
        try runToCompletion(serverBinary, ["seed-demo", "--database", database, "--tickets", String(seededTickets)])
        let seedSeconds = monotonicNow() - seedStarted

        results += try recordReads(database: database)

        let socketPath = directory + "/sportello.sock"
        var server = try startServer(serverBinary, socketPath: socketPath, database: database)
        defer {
            server.terminate()
            server.waitUntilExit()
        }

        // ticket.get of random tickets, one after the other.
        var generator = SystemRandomNumberGenerator()
        let client = try UnixClient(path: socketPath)
        var getSamples: [Double] = []
        for index in 0..<3000 {
            let id = Int.random(in: 1...seededTickets, using: &generator)
            let started = monotonicNow()
            try client.write(Array(#"{"jsonrpc":"2.0","id":\#(index),"method":"ticket.get","params":{"ticket":\#(id)}}"#.utf8) + [10])
            let reply = try client.readLine()
            if index >= 200 { getSamples.append(monotonicNow() - started) }
            if index == 0, !String(decoding: reply, as: UTF8.self).contains("\"result\"") {
                throw BenchError.timeout("a ticket.get result: \(String(decoding: reply.prefix(300), as: UTF8.self))")
            }
        }
        getSamples.sort()
        results.append(BenchResult(
            name: "ticket.get, \(seededTickets) tickets: p50", value: percentile(getSamples, 0.5) * 1000, unit: "ms", note: ""))
        results.append(BenchResult(
            name: "ticket.get, \(seededTickets) tickets: p99", value: percentile(getSamples, 0.99) * 1000, unit: "ms",
            note: "target < 2 ms"))

        // Filtered list pages: by status, by customer, by priority and status, first pages.
        let filters = [
            #"{"status":"assigned"}"#, #"{"customer":17}"#, #"{"status":"new","priority":1}"#,
            #"{"classification":"bug","status":"waitingCustomer"}"#, #"{"assignee":5}"#,
        ]
        var listSamples: [Double] = []
        for index in 0..<1500 {
            let filter = filters[index % filters.count]
            let started = monotonicNow()
            try client.write(Array(#"{"jsonrpc":"2.0","id":\#(index),"method":"ticket.list","params":\#(filter)}"#.utf8) + [10])
            _ = try client.readLine()
            if index >= 100 { listSamples.append(monotonicNow() - started) }
        }
        listSamples.sort()
        results.append(BenchResult(
            name: "ticket.list filtered page (50), \(seededTickets) tickets: p50", value: percentile(listSamples, 0.5) * 1000,
            unit: "ms", note: "filters: status, customer, priority+status, classification+status, assignee"))
        results.append(BenchResult(
            name: "ticket.list filtered page (50), \(seededTickets) tickets: p99", value: percentile(listSamples, 0.99) * 1000,
            unit: "ms", note: "target < 5 ms"))

        // ticket.open over the socket from concurrent clients, every commit synced (FULL) …
        let total = clients * opensPerClient
        let openRate = try concurrentOpens(socketPath: socketPath)
        // … against the same rows written straight through GRDB, one synced transaction each …
        let directRate = try directInserts(database: database, count: total)
        // … and against the same server syncing only at checkpoints (NORMAL): the price of durability.
        server.terminate()
        server.waitUntilExit()
        server = try startServer(serverBinary, socketPath: socketPath, database: database, environment: ["SPORTELLO_DURABILITY": "normal"])
        let normalRate = try concurrentOpens(socketPath: socketPath)
        results.append(BenchResult(
            name: "ticket.open over the socket, \(clients) clients", value: openRate, unit: "tickets/s",
            note: "\(total) tickets, synchronous = FULL"))
        results.append(BenchResult(
            name: "direct GRDB insert, same rows, \(clients) writers (baseline)", value: directRate, unit: "tickets/s",
            note: "ticket + message + search + history + outbox per transaction, FULL"))
        results.append(BenchResult(
            name: "ticket.open / direct insert ratio", value: openRate / directRate, unit: "x", note: "target >= 0.5"))
        results.append(BenchResult(
            name: "ticket.open, \(clients) clients, synchronous = NORMAL", value: normalRate, unit: "tickets/s",
            note: String(format: "FULL / NORMAL = %.2f (the price of durability)", openRate / normalRate)))
        results.append(BenchResult(
            name: "seed-demo \(seededTickets) tickets", value: seedSeconds, unit: "s", note: "release binary"))
        return results
    }

    func concurrentOpens(socketPath: String) throws -> Double {
        let seconds = try concurrentRequests(socketPath: socketPath, clients: clients, perClient: opensPerClient) { clientIndex, index in
            let contact = 1 + (clientIndex * 31 + index) % 600
            return #"{"jsonrpc":"2.0","id":\#(index),"method":"ticket.open","params":{"contact":\#(contact),"product":"zenshare-suite","subject":"Errore durante l'esportazione \#(clientIndex)-\#(index)","body":"Buongiorno, l'esportazione delle fatture si interrompe con un errore. Potete verificare?","channel":"email"}}"#
        }
        return Double(clients * opensPerClient) / seconds
    }

    private func directInserts(database: String, count: Int) throws -> Double {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let pool = try DatabasePool(path: database, configuration: configuration)
        // As the server's writer: every commit synced (GRDB's WAL set-up leaves NORMAL).
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let perWriter = count / clients
        let group = DispatchGroup()
        let failures = LockedSamples()
        let started = monotonicNow()
        for writer in 0..<clients {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                do {
                    for index in 0..<perWriter {
                        let now = Date()
                        let contact = Int64(1 + (writer * 31 + index) % 600)
                        try pool.write { db in
                            let tx = StoreWriter(db)
                            let ticket = TicketRecord(
                                customer: Int64(1 + (contact - 1) / 3), contact: contact, product: "zenshare-suite",
                                subject: "Errore durante l'esportazione \(writer)-\(index)", channel: .email, language: .it,
                                priority: 3, severity: nil, status: .new, eligible: true, receivedAt: now,
                                chargeTakingDue: now, secondDue: now, createdAt: now, updatedAt: now)
                            let id = try TicketStore.insert(tx, ticket)
                            let body = "Buongiorno, l'esportazione delle fatture si interrompe con un errore. Potete verificare?"
                            try TicketStore.addMessage(
                                tx, ticket: id, authorKind: "system", authorID: nil, body: body, isInternal: false, at: now,
                                subject: ticket.subject)
                            try TicketStore.addHistory(
                                tx, ticket: id, at: now, actorKind: "system", actorID: nil, action: "open",
                                changes: #"{"status":[null,"new"]}"#, events: #"["opened","notify:receipt"]"#)
                            try TicketStore.enqueue(
                                tx, ticket: id, kind: "receipt", language: .it, recipient: "demo@example.invalid",
                                subject: "[Sportello #\(id)] Ricevuta la sua richiesta", body: body, at: now)
                        }
                    }
                } catch {
                    failures.append([1])
                }
            }
            thread.start()
        }
        group.wait()
        guard failures.values.isEmpty else { throw BenchError.timeout("direct inserts without errors") }
        return Double(perWriter * clients) / (monotonicNow() - started)
    }

    /// Reading pages of 50 tickets through the store (GRDB records decoded through Codable, text
    /// read whole) against the same SQL read as GRDB rows and mapped by hand, as the store did
    /// before it had records: the price of declaring each column once.
    private func recordReads(database: String) throws -> [BenchResult] {
        let queue = try DatabaseQueue(path: database)
        let pages = 2000
        func timed(_ body: (Database, Int64) throws -> Int) throws -> Double {
            try queue.read { db in
                var total = 0
                let started = monotonicNow()
                for page in 0..<pages { total += try body(db, Int64(seededTickets - page * 37)) }
                guard total == pages * 50 else { throw BenchError.timeout("full pages") }
                return (monotonicNow() - started) / Double(pages)
            }
        }
        let sql = "SELECT t.* FROM ticket t WHERE t.id < ? ORDER BY t.id DESC LIMIT ?"
        // Alternated, best of three each, after a warm-up: both read the same pages from a warm cache.
        var byHand = Double.infinity
        var records = Double.infinity
        for round in 0..<4 {
            let hand = try timed { db, before in
                try Row.fetchAll(db, sql: sql, arguments: [before, 50]).map(Self.handMapped).count
            }
            let stored = try timed { db, before in
                try TicketStore.list(StoreReader(db), TicketFilter(visibility: .all, before: before, limit: 50, now: Date())).count
            }
            if round > 0 {
                byHand = min(byHand, hand)
                records = min(records, stored)
            }
        }
        return [
            BenchResult(name: "page of 50 tickets, hand-mapped GRDB rows (baseline)", value: byHand * 1e6, unit: "µs", note: ""),
            BenchResult(name: "page of 50 tickets, store records", value: records * 1e6, unit: "µs",
                        note: String(format: "records / hand-mapped = %.2f", records / byHand)),
        ]
    }

    /// The reader the store had before its tables were records: 24 columns by name.
    private static func handMapped(_ row: Row) -> TicketRecord {
        func time(_ text: String?) -> Date? { text.flatMap(StoreTime.date) }
        let classification: String? = row["classification"]
        return TicketRecord(
            id: row["id"], customer: row["customer"], contact: row["contact"], product: row["product"], subject: row["subject"],
            channel: Channel(rawValue: row["channel"]) ?? .email, language: Language(rawValue: row["language"]) ?? .it,
            classification: classification.flatMap(Classification.init(rawValue:)), priority: row["priority"],
            severity: row["severity"], status: TicketStatus(rawValue: row["status"]) ?? .new, assignee: row["assignee"],
            eligible: row["eligible"], followUpOf: row["followUpOf"], restrictedToReporter: row["restricted"],
            receivedAt: time(row["receivedAt"]) ?? Date(), chargeTakenAt: time(row["chargeTakenAt"]),
            closedAt: time(row["closedAt"]), version: row["version"], slaApplicable: row["slaApplicable"],
            chargeTakingDue: time(row["chargeTakingDue"]), secondDue: time(row["secondDue"]),
            pausedSince: time(row["pausedSince"]), createdAt: time(row["createdAt"]) ?? Date(),
            updatedAt: time(row["updatedAt"]) ?? Date())
    }
}
