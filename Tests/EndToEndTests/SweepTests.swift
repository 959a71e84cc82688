import Foundation
import Testing

// The escalation sweep as it runs in production: the server sweeping by itself while it serves,
// and `sportello sweep` (what sportello-sweep.timer runs) on the same database at the same
// moment. Whatever runs it and however often, each step of each clock fires once.
@Suite("SLA sweep, server and command")
struct SweepTests {
    /// A server sweeping every second, with a customer, a contact, a care manager, an admin and
    /// `count` bugs received 30 days ago (every charge-taking step, and most resolution steps, are
    /// long reached).
    func world(count: Int) async throws -> (SocketServer, RPCClient, [Int]) {
        let server = try await SocketServer(arguments: ["--sweep-interval", "1"])
        let system = RPCClient(try server.connect(), who: "system")
        _ = try await system.ok("customer.create", ["code": "ACME", "name": "Acme S.p.A.", "language": "it", "email": "it@acme.example"])
        _ = try await system.ok("customer.addSubscription", ["customer": "ACME", "product": "zenshare-suite", "mode": "cloudSaas"])
        _ = try await system.ok("contact.create", ["customer": "ACME", "name": "Mario Rossi", "email": "mario@acme.example"])
        _ = try await system.ok("staff.create", ["name": "Carla Conti", "email": "carla@interzen.example", "role": "careManager"])
        _ = try await system.ok("staff.create", ["name": "Anna Neri", "email": "anna@interzen.example", "role": "admin", "language": "en"])
        let received = rfc3339(Date().addingTimeInterval(-30 * 86400))
        var tickets: [Int] = []
        for i in 0..<count {
            let ticket = try await system.ok("ticket.open", [
                "contact": 1, "product": "zenshare-suite", "channel": "email", "receivedAt": received, "severity": 1 + i % 4,
                "subject": "Errore \(i)", "body": "Il portale non risponde.",
            ])
            tickets.append(try #require(ticket.int("id")))
        }
        return (server, system, tickets)
    }

    /// Every step fired on `tickets`, from their history: "ticket clock step".
    func firedFromHistory(_ client: RPCClient, _ tickets: [Int]) async throws -> [String] {
        var keys: [String] = []
        for ticket in tickets {
            let history = try await client.ok("ticket.history", ["ticket": ticket])
            for entry in history.objects("items") ?? [] where entry.string("action") == "slaEscalation" {
                let change = try #require((entry.object("changes")?["escalation"] as? [Any])?.last as? JSON)
                keys.append("\(ticket) \(change.string("clock") ?? "?") \(change.double("step") ?? -1)")
            }
        }
        return keys
    }

    @Test("the server sweeps by itself; three sweep commands beside it fire nothing twice")
    func serverAndCommandsTogether() async throws {
        let (server, system, tickets) = try await world(count: 8)
        defer { system.close(); server.stop() }
        // Three timers' worth of `sportello sweep` at once, while the server sweeps every second.
        let outputs = try await withThrowingTaskGroup(of: (status: Int32, stdout: String, stderr: String).self) { group in
            for n in 0..<3 {
                group.addTask {
                    try await runCommand(sportelloBinary, ["sweep", "--database", server.databasePath, "--json"],
                                         directory: server.directory, name: "sweep\(n)", timeout: 60)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for output in outputs { #expect(output.status == 0, "\(output.stderr)") }
        // Let the server's own sweep run at least once more.
        try await Task.sleep(for: .milliseconds(2500))
        let keys = try await firedFromHistory(system, tickets)
        #expect(!keys.isEmpty)
        #expect(Set(keys).count == keys.count, "a step fired twice: \(keys.sorted())")
        // Nothing is left to fire: a last sweep fires nothing.
        let last = try await system.ok("sla.sweep")
        #expect(last.objects("fired")?.isEmpty == true)
        // Every P1 ticket (severity 1: tickets 1, 5) fired its three charge-taking steps.
        for ticket in [tickets[0], tickets[4]] {
            for step in [0.75, 1.0, 1.5] { #expect(keys.contains("\(ticket) chargeTaking \(step)"), "\(keys)") }
        }
        // The outbox has one row per recipient of each step: care managers, then admins at 150 %.
        let escalations = try await system.ok("notification.list", ["kind": "slaEscalation", "limit": 500])
        #expect(escalations.objects("items")?.allSatisfy { $0.string("to") == "anna@interzen.example" && $0.string("language") == "en" } == true)
        let commandFired = outputs.compactMap { output -> Int? in
            guard let data = output.stdout.data(using: .utf8), let json = try? JSONSerialization.jsonObject(with: data) as? JSON else { return nil }
            return json.objects("fired")?.count
        }
        #expect(commandFired.count == 3)
    }

    @Test("the server sweeps once an interval by itself, with nobody calling sla.sweep")
    func serverSweepsByItself() async throws {
        let (server, system, tickets) = try await world(count: 2)
        defer { system.close(); server.stop() }
        let swept = try await eventually(timeout: 10, interval: 0.2) {
            try await firedFromHistory(system, tickets).count >= 6
        }
        #expect(swept, "no sweep in 10 s")
        let warnings = try await system.ok("notification.list", ["kind": "slaWarning"])
        #expect(warnings.objects("items")?.first?.string("to") == "carla@interzen.example")
    }

    @Test("sportello sweep says what it fired and refuses an instant in the future")
    func command() async throws {
        let (server, system, tickets) = try await world(count: 1)
        defer { system.close(); server.stop() }
        let directory = server.directory
        // The server may have swept already; either way a second command fires nothing.
        let first = try await runCommand(sportelloBinary, ["sweep", "--database", server.databasePath], directory: directory, name: "sweep1")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains(" open tickets at "), "\(first.stdout)")
        let second = try await runCommand(sportelloBinary, ["sweep", "--database", server.databasePath], directory: directory, name: "sweep2")
        #expect(second.stdout.contains(": 0 steps fired"), "\(second.stdout)")
        #expect(try await firedFromHistory(system, tickets).count >= 3)
        let future = rfc3339(Date().addingTimeInterval(3600))
        let refused = try await runCommand(
            sportelloBinary, ["sweep", "--database", server.databasePath, "--at", future], directory: directory, name: "sweep3")
        #expect(refused.status == 2 && refused.stderr.contains("must not be in the future"), "\(refused.stderr)")
    }

    @Test("sportello report sla writes sla.report's numbers as JSON and as RFC 4180 CSV")
    func reportCommand() async throws {
        let (server, system, _) = try await world(count: 4)
        defer { system.close(); server.stop() }
        let received = Date().addingTimeInterval(-30 * 86400)
        let from = String(rfc3339(received).prefix(10)), to = String(rfc3339(Date()).prefix(10))
        let answer = try await system.ok("sla.report", ["from": from, "to": to, "groupBy": ["priority"]])
        let json = server.directory.file("report.json"), csv = server.directory.file("report.csv")
        let wroteJSON = try await runCommand(sportelloBinary, [
            "report", "sla", "--database", server.databasePath, "--from", from, "--to", to, "--group-by", "priority", "--format", "json",
            "--out", json], directory: server.directory, name: "report-json")
        #expect(wroteJSON.status == 0, "\(wroteJSON.stderr)")
        let written = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? JSON)
        // The same rows (the instants differ: each is its own "now").
        #expect(canonicalJSON(written["rows"] as Any) == canonicalJSON(answer["rows"] as Any))
        #expect(written.int("totals.tickets") == 4)
        let wroteCSV = try await runCommand(sportelloBinary, [
            "report", "sla", "--database", server.databasePath, "--from", from, "--to", to, "--group-by", "priority", "--out", csv],
            directory: server.directory, name: "report-csv")
        #expect(wroteCSV.status == 0 && wroteCSV.stdout.contains("wrote 4 rows (4 tickets)"), "\(wroteCSV.stdout) \(wroteCSV.stderr)")
        let lines = try String(contentsOfFile: csv, encoding: .utf8).components(separatedBy: "\r\n")
        #expect(lines.count == 6 && lines[0].hasPrefix("priority,tickets,notApplicable,chargeTaking.met,"))
        #expect(lines[1].hasPrefix("1,1,0,0,1,0,0,"), "\(lines)")
        let refused = try await runCommand(sportelloBinary, [
            "report", "sla", "--database", server.databasePath, "--from", to, "--to", from, "--out", csv], directory: server.directory, name: "report-bad")
        #expect(from == to || refused.status == 2)
    }
}
