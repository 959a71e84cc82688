import Foundation
import GRDB

/// The portal figures: `account.register` + `account.confirm` from 8 clients for emails in the
/// customer's domain (activated: one argon2id hash of the generated password each) beside the
/// same two calls for emails outside it (queued for a care manager: no hash), which gives the
/// hashing share; and `audit.list` filtered by customer over 1,000,000 audit rows beside the
/// same query in plain SQL.
struct AccountsBenchmarks {
    let serverBinary: String
    var clients = 8
    var perClient = 25
    var auditRows = 1_000_000

    func run() throws -> [BenchResult] {
        raiseFileLimit()
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = directory + "/accounts.db"
        let socketPath = directory + "/sportello.sock"
        let server = try startServer(serverBinary, socketPath: socketPath, database: database)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let setup = try RPCLine(path: socketPath)
        _ = try setup.call("customer.create", #"{"code":"ACME","name":"Acme S.p.A.","language":"it","email":"it@acme.example"}"#)
        _ = try setup.call("customer.setDomains", #"{"customer":"ACME","domains":["acme.example"]}"#)

        let activated = try wizard(socketPath: socketPath, setup: setup, domain: "acme.example", prefix: "in")
        let queued = try wizard(socketPath: socketPath, setup: setup, domain: "elsewhere.example", prefix: "out")

        // A million audit rows over 200 customers, straight into the table (append-only: inserts only).
        let queue = try DatabaseQueue(path: database)
        try queue.write { db in
            let insert = try db.makeStatement(sql: """
                INSERT INTO audit_event(at, actorKind, actorID, action, objectKind, objectID, customer, ticket, changes, transport)
                VALUES (?, 'staff', ?, 'read', 'ticket', ?, ?, ?, '{}', 'socket')
                """)
            for index in 0..<auditRows {
                let at = String(format: "2026-%02d-%02dT10:00:00.000Z", 1 + index % 12, 1 + index % 28)
                try insert.execute(arguments: [at, 1 + index % 40, index, 1 + index % 200, index])
            }
        }
        var listSamples: [Double] = []
        for index in 0..<600 {
            let started = monotonicNow()
            _ = try setup.call("audit.list", #"{"customer":\#(1 + index % 200),"limit":50}"#)
            if index >= 100 { listSamples.append(monotonicNow() - started) }
        }
        listSamples.sort()
        var sqlSamples: [Double] = []
        try queue.read { db in
            for index in 0..<600 {
                let started = monotonicNow()
                _ = try Row.fetchAll(
                    db, sql: "SELECT * FROM audit_event WHERE customer = ? ORDER BY id DESC LIMIT 50", arguments: [1 + index % 200])
                if index >= 100 { sqlSamples.append(monotonicNow() - started) }
            }
        }
        sqlSamples.sort()
        return [
            BenchResult(name: "account.register + confirm, activated, \(clients) clients", value: activated, unit: "accounts/s",
                        note: "one argon2id hash each"),
            BenchResult(name: "the same, queued for approval (baseline: no hash)", value: queued, unit: "accounts/s",
                        note: String(format: "hashing share of an activation = %.0f %%", (1 - activated / queued) * 100)),
            BenchResult(name: "audit.list {customer, limit 50}, \(auditRows) rows: p99", value: percentile(listSamples, 0.99) * 1000,
                        unit: "ms", note: String(format: "p50 %.2f ms; target < 10 ms", percentile(listSamples, 0.5) * 1000)),
            BenchResult(name: "the same query in plain SQL (baseline): p99", value: percentile(sqlSamples, 0.99) * 1000, unit: "ms",
                        note: "GRDB, in process"),
        ]
    }

    /// Registers `clients × perClient` emails in `domain` from as many connections, reads the
    /// codes from the outbox (as the system; not timed), confirms them from as many
    /// connections; returns accounts per second over the two timed phases.
    private func wizard(socketPath: String, setup: RPCLine, domain: String, prefix: String) throws -> Double {
        let total = clients * perClient
        let email = { (index: Int) in "\(prefix)\(index)@\(domain)" }
        let registering = try concurrentRequests(socketPath: socketPath, clients: clients, perClient: perClient) { _, index in
            #"{"jsonrpc":"2.0","id":\#(index),"method":"account.register","params":{"customer":"ACME","email":"\#(email(index))","name":"Persona \#(index)"}}"#
        }
        var codes: [String: String] = [:]
        var cursor: String?
        repeat {
            let page = try setup.call(
                "notification.list", #"{"kind":"accountConfirmation","limit":500\#(cursor.map { #","cursor":"\#($0)""# } ?? "")}"#)
            guard let result = page["result"] as? [String: Any], let items = result["items"] as? [[String: Any]] else { break }
            for item in items {
                guard let to = item["to"] as? String, let body = item["body"] as? String else { continue }
                let code = body.split(separator: "\n").first { $0.hasPrefix("    ") && $0.trimmingCharacters(in: .whitespaces).count == 8 }
                codes[to] = code.map { $0.trimmingCharacters(in: .whitespaces) }
            }
            cursor = result["nextCursor"] as? String
        } while cursor != nil
        guard (0..<total).allSatisfy({ codes[email($0)] != nil }) else { throw BenchError.timeout("a code for every registration") }
        let confirming = try concurrentRequests(socketPath: socketPath, clients: clients, perClient: perClient) { [codes] _, index in
            #"{"jsonrpc":"2.0","id":\#(index),"method":"account.confirm","params":{"email":"\#(email(index))","code":"\#(codes[email(index)]!)"}}"#
        }
        return Double(total) / (registering + confirming)
    }
}

/// One request at a time on a connection, the reply parsed.
final class RPCLine {
    private let client: UnixClient
    private var id = 0

    init(path: String) throws { client = try UnixClient(path: path) }

    func call(_ method: String, _ params: String) throws -> [String: Any] {
        id += 1
        try client.write(Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#.utf8) + [10])
        let reply = try client.readLine()
        return (try JSONSerialization.jsonObject(with: Data(reply)) as? [String: Any]) ?? [:]
    }
}
