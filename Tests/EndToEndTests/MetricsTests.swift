import Foundation
import Testing

// Metrics as a monitoring system reads them: server.metrics from a real server after real
// requests, and `sportello metrics --textfile` writing the database's gauges for
// node_exporter's textfile collector.

/// The value of the sample whose line starts with `series` (name and labels), if any.
func sample(_ text: String, _ series: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.split(separator: " ").last ?? "")
    }
    return nil
}

@Suite("Metrics")
struct MetricsTests {
    @Test("server.metrics counts requests by method and outcome with their latency, the open connections and the database's gauges; only admins and the system may read it")
    func serverMetrics() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let server = try await SocketServer(directory: directory)
        defer { server.stop() }
        let system = RPCClient(try server.connect(), who: "system")
        defer { system.close() }
        for _ in 0..<3 { _ = try await system.ok("server.ping") }
        try await system.fails("ticket.get", ["ticket": 999], code: -32003)
        _ = try await system.ok("customer.create", ["code": "ACME", "name": "Acme S.p.A.", "language": "it", "email": "it@acme.example"])
        _ = try await system.ok("customer.addSubscription", ["customer": "ACME", "product": "zenshare-suite", "mode": "subscription"])
        _ = try await system.ok("contact.create", ["customer": "ACME", "name": "Mario Rossi", "email": "mario@acme.example"])
        _ = try await system.ok("ticket.open", [
            "contact": 1, "product": "zenshare-suite", "subject": "Errore 500", "channel": "email", "body": "Il portale non risponde.",
        ])
        let second = RPCClient(try server.connect(), who: "system, a second connection")
        defer { second.close() }
        _ = try await second.ok("server.ping")

        let metrics = try await system.ok("server.metrics")
        #expect(metrics.string("contentType") == "text/plain; version=0.0.4; charset=utf-8")
        let text = try #require(metrics.string("text"))
        #expect(sample(text, #"sportello_requests_total{method="server.ping",outcome="ok"}"#) == 4, "\(text.prefix(2000))")
        #expect(sample(text, #"sportello_requests_total{method="ticket.get",outcome="-32003"}"#) == 1)
        #expect(sample(text, #"sportello_requests_total{method="ticket.open",outcome="ok"}"#) == 1)
        #expect(sample(text, #"sportello_request_duration_seconds_count{method="server.ping"}"#) == 4)
        #expect(text.contains(#"sportello_request_duration_seconds_bucket{method="ticket.open",le="+Inf"} 1"#))
        #expect(sample(text, "sportello_open_connections") == 2)
        #expect(sample(text, #"sportello_open_tickets{status="new"}"#) == 1)
        let pending = sample(text, #"sportello_outbox_notifications{status="pending"}"#) ?? -1
        let sent = sample(text, #"sportello_outbox_notifications{status="sent"}"#) ?? -1
        #expect(pending + sent == 1, "the receipt, queued or already sent")
        #expect(sample(text, #"sportello_inbound_mail{outcome="opened"}"#) == 0)

        // Only admins and the system: a contact who logged in is refused.
        _ = try await system.ok("contact.create", [
            "customer": "ACME", "name": "Giulia Bianchi", "email": "giulia@acme.example", "password": "una-password-lunga",
        ])
        let contact = RPCClient(try server.connect(), who: "contact")
        defer { contact.close() }
        _ = try await contact.ok("session.login", ["email": "giulia@acme.example", "password": "una-password-lunga"])
        try await contact.fails("server.metrics", code: -32002)
    }

    @Test("sportello metrics --textfile writes the database's gauges into the collector's directory, whole")
    func textfile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let server = try await SocketServer(directory: directory)
        let system = RPCClient(try server.connect(), who: "system")
        _ = try await system.ok("customer.create", ["code": "ACME", "name": "Acme S.p.A.", "language": "it", "email": "it@acme.example"])
        _ = try await system.ok("customer.addSubscription", ["customer": "ACME", "product": "zenshare-suite", "mode": "subscription"])
        for subject in ["Uno", "Due"] {
            _ = try await system.ok("ticket.open", [
                "customer": "ACME", "product": "zenshare-suite", "subject": subject, "channel": "phone", "body": "Testo.",
            ])
        }
        system.close()
        server.child.stop()  // the server alone: its directory holds the database
        let collector = directory.file("collector")
        try FileManager.default.createDirectory(atPath: collector, withIntermediateDirectories: true)
        let run = try await runCommand(
            sportelloBinary, ["metrics", "--database", server.databasePath, "--textfile", collector], directory: directory, name: "metrics")
        #expect(run.status == 0, "\(run.stderr)")
        let written = try String(contentsOfFile: collector + "/sportello.prom", encoding: .utf8)
        #expect(sample(written, #"sportello_open_tickets{status="new"}"#) == 2, "\(written)")
        #expect(written.contains("# TYPE sportello_outbox_notifications gauge"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: collector) == ["sportello.prom"], "no temporary file left")
    }
}
