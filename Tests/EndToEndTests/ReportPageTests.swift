import Foundation
import Testing

// The printable SLA report looked at in a real Chromium: `sportello report sla --format html` on a
// served database, rendered headless to a PNG screenshot and to its DOM. Skipped only when no
// Chromium is installed (`make deps` installs Debian's `chromium`, so `make test` runs it).
@Suite("SLA report page in Chromium")
struct ReportPageTests {
    static let chromium = ["chromium", "chromium-browser"].lazy.compactMap { which($0) }.first

    @Test("the HTML page renders in headless Chromium with inline SVG charts, no console error, and sla.report's numbers",
          .enabled(if: chromium != nil, "Chromium is not installed (make deps installs Debian's chromium)"))
    func renderedPage() async throws {
        let chromium = try #require(Self.chromium)
        let server = try await SocketServer()
        defer { server.stop() }
        let system = RPCClient(try server.connect(), who: "system")
        defer { system.close() }
        _ = try await system.ok("customer.create", ["code": "ACME", "name": "Acme S.p.A.", "language": "it", "email": "it@acme.example"])
        _ = try await system.ok("customer.addSubscription", ["customer": "ACME", "product": "zenshare-suite", "mode": "cloudSaas"])
        _ = try await system.ok("contact.create", ["customer": "ACME", "name": "Mario Rossi", "email": "mario@acme.example"])
        _ = try await system.ok("staff.create", ["name": "Carla Conti", "email": "carla@interzen.example", "role": "careManager"])
        // Twelve bugs over the last 40 days, of every priority; some taken in charge and closed.
        for i in 0..<12 {
            let received = rfc3339(Date().addingTimeInterval(-Double(40 - i * 3) * 86400))
            let ticket = try await system.ok("ticket.open", [
                "contact": 1, "product": "zenshare-suite", "channel": "email", "receivedAt": received, "severity": 1 + i % 4,
                "subject": "Errore <\(i)> & \"lentezza\"", "body": "Il portale non risponde.",
            ])
            let id = try #require(ticket.int("id"))
            if i % 3 != 0 {
                _ = try await system.ok("ticket.takeCharge", ["ticket": id, "classification": i == 4 ? "helpDesk" : "bug", "priority": 1 + i % 4, "assignee": 1])
            }
            if i % 3 == 1, i != 4 { _ = try await system.ok("ticket.close", ["ticket": id, "text": "Risolto."]) }
        }
        let from = String(rfc3339(Date().addingTimeInterval(-60 * 86400)).prefix(10))
        let to = String(rfc3339(Date()).prefix(10))
        let at = rfc3339(Date())
        let answer = try await system.ok("sla.report", ["from": from, "to": to, "groupBy": ["priority"], "at": at])

        let page = server.directory.file("report.html")
        let wrote = try await runCommand(sportelloBinary, [
            "report", "sla", "--database", server.databasePath, "--from", from, "--to", to, "--group-by", "priority", "--at", at,
            "--format", "html", "--language", "en", "--out", page], directory: server.directory, name: "report-html")
        #expect(wrote.status == 0, "\(wrote.stderr)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        // Self-contained: no script, no external resource, every chart an inline SVG.
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.lowercased().contains("<img") && !html.lowercased().contains("<link") && !html.contains("url("))
        #expect(!html.contains("http://") || html.components(separatedBy: "http://").count - 1 == html.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count - 1)
        #expect(html.components(separatedBy: "<figure>").count - 1 == 4)
        #expect(html.components(separatedBy: "<svg ").count - 1 == 4)
        #expect(html.contains("aria-label=\"Open tickets by age and SLA state\""))
        #expect(html.contains("Errore") == false)  // subjects are not in a report
        #expect(html.contains("@page { size: A4"))

        // Headless Chromium: a screenshot, the DOM, and the console (logged to stderr).
        let sandbox = getuid() == 0 ? ["--no-sandbox"] : []
        let common = ["--headless=new", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-extensions",
                      "--user-data-dir=" + server.directory.file("chromium-profile")] + sandbox
        let shot = server.directory.file("report.png")
        let screenshot = try await runCommand(chromium, common + [
            "--window-size=1000,1600", "--screenshot=" + shot, "--enable-logging=stderr", "--v=0", "file://" + page,
        ], directory: server.directory, name: "chromium-shot", timeout: 90)
        #expect(screenshot.status == 0, "\(screenshot.stderr.suffix(2000))")
        let png = try Data(contentsOf: URL(fileURLWithPath: shot))
        #expect(png.count > 20_000 && png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        let console = screenshot.stderr.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Failed to load resource") }
        #expect(console.isEmpty, "console: \(console)")
        if let keep = ProcessInfo.processInfo.environment["SPORTELLO_REPORT_SCREENSHOT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(atPath: shot, toPath: keep)
        }

        let dump = try await runCommand(chromium, common + ["--dump-dom", "file://" + page],
                                        directory: server.directory, name: "chromium-dom", timeout: 90)
        #expect(dump.status == 0, "\(dump.stderr.suffix(2000))")
        // The table's rows as Chromium parsed them: tickets, notApplicable and charge taking's met,
        // breached, running per priority, then the totals — as sla.report gives them.
        let rows = dump.stdout.components(separatedBy: "<tr").dropFirst(2)  // the header row
        func field(_ row: String, _ name: String, _ index: Int = 0) -> String? {
            let parts = row.components(separatedBy: "data-field=\"\(name)\">")
            guard parts.count > index + 1 else { return nil }
            return parts[index + 1].components(separatedBy: "<").first
        }
        // The open tickets by age and SLA state, as Chromium parsed the chart: the nine not
        // closed (#1, #7 and #10 are), three of them received 40, 34 and 31 days ago (30 and
        // more), the help-desk request (#4) without an SLA.
        func segments(_ attribute: String, _ value: String) -> [Int] {
            dump.stdout.components(separatedBy: "<rect ").dropFirst().filter { $0.contains("\(attribute)=\"\(value)\"") }.compactMap { rect in
                rect.components(separatedBy: "data-count=\"").dropFirst().first?.components(separatedBy: "\"").first.flatMap { Int($0) }
            }
        }
        let allAges = (0...4).flatMap { segments("data-age", String($0)) }
        #expect(allAges.reduce(0, +) == 9, "\(allAges)")
        #expect(segments("data-age", "4").reduce(0, +) == 3)
        #expect(segments("data-state", "notApplicable").reduce(0, +) == 1)
        let expected = (answer.objects("rows") ?? []) + [try #require(answer.object("totals"))]
        #expect(rows.count == expected.count, "\(rows.count) rows in the page")
        for (row, json) in zip(rows, expected) {
            #expect(field(row, "tickets") == json.int("tickets").map(String.init))
            #expect(field(row, "notApplicable") == json.int("notApplicable").map(String.init))
            #expect(field(row, "met") == json.int("chargeTaking.met").map(String.init))
            #expect(field(row, "breached") == json.int("chargeTaking.breached").map(String.init))
            #expect(field(row, "running") == json.int("chargeTaking.running").map(String.init))
            #expect(field(row, "met", 1) == json.int("resolution.met").map(String.init))
        }
    }
}
