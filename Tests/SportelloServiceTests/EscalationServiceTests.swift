import Foundation
import GRDB
import JSONRPC
@testable import SportelloService
import SportelloDomain
import SportelloStore
import Testing

// The sweep through the real dispatcher with the server's clock moved by hand. Instants are
// worked out in Rome time (CET, UTC+1, in December 2026) beside each expectation.
/// The `index`th element of an array value.
private func element(_ value: JSONValue?, _ index: Int) -> JSONValue? {
    guard case .array(let items)? = value, items.indices.contains(index) else { return nil }
    return items[index]
}

@Suite struct EscalationServiceTests {
    let system = CallContext(transport: .socket, principal: .system)

    /// Acme with a subscription and a contact; staff 1 care manager (it), 2 operator (it),
    /// 3 admin (en).
    func world() async throws -> AccountHarness {
        let harness = try AccountHarness()  // clock: Tuesday 2026-12-01 09:00Z
        _ = try await harness.ok("customer.create", ["code": "ACME", "name": "Acme S.p.A.", "language": "it", "email": "it@acme.example"], as: system)
        _ = try await harness.ok("customer.addSubscription", ["customer": "ACME", "product": "zenshare-suite", "mode": "cloudSaas"], as: system)
        _ = try await harness.ok("contact.create", ["customer": "ACME", "name": "Mario Rossi", "email": "mario@acme.example"], as: system)
        _ = try await harness.ok("staff.create", ["name": "Chiara Esposito", "email": "chiara@interzen.example", "role": "careManager"], as: system)
        _ = try await harness.ok("staff.create", ["name": "Luca Ferri", "email": "luca@interzen.example", "role": "operator"], as: system)
        let admin = try await harness.ok(
            "staff.create", ["name": "Anna Conti", "email": "anna@interzen.example", "role": "admin", "language": "en"], as: system)
        #expect(admin["language"] == "en")
        return harness
    }

    func move(_ harness: AccountHarness, to instant: String) throws {
        let target = try #require(RFC3339.parse(instant))
        harness.clock.advance(target.timeIntervalSince(harness.clock.now))
    }

    /// Opens a ticket received at `receivedAt`, moving the clock there first if it is behind.
    func open(_ harness: AccountHarness, receivedAt: String, severity: Int, subject: String = "Portale lento") async throws -> Int64 {
        let received = try #require(RFC3339.parse(receivedAt))
        if received > harness.clock.now { harness.clock.advance(received.timeIntervalSince(harness.clock.now)) }
        let ticket = try await harness.ok("ticket.open", [
            "contact": 1, "product": "zenshare-suite", "channel": "email", "receivedAt": .string(receivedAt),
            "severity": .int(Int64(severity)), "subject": .string(subject), "body": "Il portale è lentissimo.",
        ], as: system)
        #expect(ticket["priority"] == .int(Int64(severity)))
        guard case .int(let id)? = ticket["id"] else { throw RPCError.internalError("no id") }
        return id
    }

    func fired(_ reply: JSONValue) -> [String] {
        guard case .array(let items)? = reply["fired"] else { return [] }
        return items.map { item in
            let notBefore = item["notBefore"].flatMap { if case .string(let s) = $0 { s } else { nil } } ?? "now"
            return "#\(item["ticket"]!) \(item["clock"]!) \(item["kind"]!) \(item["dueAt"]!) → \(notBefore)"
                .replacingOccurrences(of: "\"", with: "")
        }
    }

    @Test("a first sweep on Saturday: the P3 steps due on Friday wait for Monday's opening, the P1 ones go at once")
    func saturdaySweep() async throws {
        let harness = try await world()
        defer { harness.cleanUp() }
        // P3 received Friday 4 Dec 08:00 Rome (07:00Z): 75 % of 8 h → 14:00 Rome (13:00Z), breach
        // 16:00 Rome (15:00Z); 150 % (12 h): Friday's 10 h 30 + 1 h 30 → Monday 09:30, not yet.
        let p3 = try await open(harness, receivedAt: "2026-12-04T08:00:00+01:00", severity: 3)
        // P1 received Thursday 3 Dec 18:20 Rome: charge 75 % 08:35, breach 08:50, 150 % 09:20 on
        // Friday; resolution 75 % 15:42:30, breach 18:20 on Friday (see the domain tests).
        let p1 = try await open(harness, receivedAt: "2026-12-03T18:20:00+01:00", severity: 1)
        try move(harness, to: "2026-12-05T09:00:00Z")  // Saturday 10:00 Rome
        let sweep = try await harness.ok("sla.sweep", [:], as: system)
        #expect(sweep["checked"] == 2)
        #expect(fired(sweep) == [
            "#\(p3) chargeTaking slaWarning 2026-12-04T13:00:00Z → 2026-12-07T07:00:00Z",
            "#\(p3) chargeTaking slaBreach 2026-12-04T15:00:00Z → 2026-12-07T07:00:00Z",
            "#\(p1) chargeTaking slaWarning 2026-12-04T07:35:00Z → now",
            "#\(p1) chargeTaking slaBreach 2026-12-04T07:50:00Z → now",
            "#\(p1) chargeTaking slaEscalation 2026-12-04T08:20:00Z → now",
            "#\(p1) resolution slaWarning 2026-12-04T14:42:30Z → now",
            "#\(p1) resolution slaBreach 2026-12-04T17:20:00Z → now",
        ])
        // Ticket by ticket. Warnings reach the care manager (no assignee yet), the breach the care managers, the
        // 150 % step the admins.
        let first = try #require(element(sweep["fired"], 0))
        #expect(first["recipients"] == [["id": 1, "name": "Chiara Esposito"]])
        #expect(element(sweep["fired"], 4)?["recipients"] == [["id": 3, "name": "Anna Conti"]])

        // The outbox: one row per recipient, in their language, with notBefore on P3's rows.
        let warnings = try await harness.ok("notification.list", ["kind": "slaWarning", "ticket": .int(p3)], as: system)
        let warning = try #require(element(warnings["items"], 0))
        #expect(warning["to"] == "chiara@interzen.example" && warning["language"] == "it")
        #expect(warning["notBefore"] == "2026-12-07T07:00:00Z")
        #expect(warning["subject"] == .string("[Sportello #\(p3)] Avviso di scadenza SLA: Portale lento"))
        let escalation = try await harness.ok("notification.list", ["kind": "slaEscalation"], as: system)
        #expect(element(escalation["items"], 0)?["language"] == "en" && element(escalation["items"], 0)?["notBefore"] == nil)
        #expect(element(escalation["items"], 0)?["subject"] == .string("[Sportello #\(p1)] SLA severely overdue: Portale lento"))
        // And a history row on the ticket.
        let history = try await harness.ok("ticket.history", ["ticket": .int(p3)], as: system)
        guard case .array(let rows)? = history["items"] else { Issue.record("\(history)"); return }
        #expect(rows.filter { $0["action"] == "slaEscalation" }.count == 2)

        // A second sweep, a minute later, fires nothing again.
        try move(harness, to: "2026-12-05T09:01:00Z")
        let again = try await harness.ok("sla.sweep", [:], as: system)
        // Nothing changed and no step is due before Monday: no ticket is even computed again.
        #expect(fired(again) == [] && again["checked"] == 0)
        // Nor does a sweep by a fresh service on the same database (a restart).
        let restarted = SportelloService(environment: ServiceEnvironment(
            database: harness.service.environment.database, now: { harness.clock.now }, logger: .init(label: "restart")))
        #expect(try await restarted.sweep().fired.isEmpty)
    }

    @Test("two sweeps at once fire each step once")
    func concurrentSweeps() async throws {
        let harness = try await world()
        defer { harness.cleanUp() }
        for hour in 0..<10 {
            _ = try await open(harness, receivedAt: String(format: "2026-12-04T%02d:00:00+01:00", 8 + hour), severity: 1 + hour % 4)
        }
        try move(harness, to: "2026-12-09T09:00:00Z")
        let other = SportelloService(environment: ServiceEnvironment(
            database: try SportelloDatabase(path: harness.service.environment.database.path), now: { harness.clock.now },
            logger: .init(label: "other")))
        async let a = harness.service.sweep()
        async let b = other.sweep()
        async let c = harness.service.sweep()
        let results: [SLASweep.Result] = [try await a, try await b, try await c]
        let keys = results.flatMap { $0.fired.map { "\($0.ticket) \($0.clock) \($0.step.value)" } }
        #expect(Set(keys).count == keys.count, "a step fired twice")
        let stored = try await harness.service.environment.database.read { tx in try EscalationStore.firedSteps(tx) }
        #expect(stored.count == keys.count && !keys.isEmpty)
        let outbox = try await harness.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox WHERE kind LIKE 'sla%'") }
        let recipients = results.flatMap { $0.fired.map(\.recipients.count) }.reduce(0, +)
        #expect(outbox == recipients)
    }

    @Test("a priority change: a step no longer reached does not fire, one already fired does not fire again")
    func priorityChange() async throws {
        let harness = try await world()
        defer { harness.cleanUp() }
        // P3 received Friday 4 Dec 17:00 Rome: warning Monday 12:30 Rome (11:30Z), breach 14:30 (13:30Z).
        let ticket = try await open(harness, receivedAt: "2026-12-04T17:00:00+01:00", severity: 3)
        try move(harness, to: "2026-12-07T11:30:00Z")
        #expect(fired(try await harness.ok("sla.sweep", [:], as: system)) == [])  // at the instant itself
        try move(harness, to: "2026-12-07T11:31:00Z")
        #expect(fired(try await harness.ok("sla.sweep", [:], as: system)) == [
            "#\(ticket) chargeTaking slaWarning 2026-12-07T11:30:00Z → now",
        ])
        // Lowered to P4 (16 h): the breach moves to Wednesday 9 Dec 12:00; at 14:31 nothing is due.
        _ = try await harness.ok("ticket.setPriority", ["ticket": .int(ticket), "priority": 4], as: system)
        try move(harness, to: "2026-12-07T13:31:00Z")
        let lowered = try await harness.ok("sla.sweep", [:], as: system)
        #expect(fired(lowered) == [] && lowered["checked"] == 1)  // changed: computed again
        // Back to P3: the breach (14:30) fires; the warning, already fired, does not.
        _ = try await harness.ok("ticket.setPriority", ["ticket": .int(ticket), "priority": 3], as: system)
        #expect(fired(try await harness.ok("sla.sweep", [:], as: system)) == [
            "#\(ticket) chargeTaking slaBreach 2026-12-07T13:30:00Z → now",
        ])
        // Taking charge stops the clock: the 150 % step (Monday 18:30) never fires.
        _ = try await harness.ok("ticket.takeCharge", ["ticket": .int(ticket), "classification": "bug", "priority": 3, "assignee": 2], as: system)
        try move(harness, to: "2026-12-09T09:00:00Z")
        #expect(fired(try await harness.ok("sla.sweep", [:], as: system)).allSatisfy { $0.contains("resolution") })
    }

    @Test("a ticket is computed again when it changes, after a calendar or ladder change, when a step is due; never once closed")
    func whatASweepReads() async throws {
        let harness = try await world()
        defer { harness.cleanUp() }
        // Two P3 tickets received Friday 4 Dec 08:00 and 09:00 Rome: warnings (6 h) 14:00 and
        // 15:00, breaches (8 h) 16:00 and 17:00 on Friday; 150 % (12 h) Monday 09:30 and 10:30.
        let a = try await open(harness, receivedAt: "2026-12-04T08:00:00+01:00", severity: 3)
        let b = try await open(harness, receivedAt: "2026-12-04T09:00:00+01:00", severity: 3)
        try move(harness, to: "2026-12-05T09:00:00Z")  // Saturday 10:00 Rome
        let first = try await harness.ok("sla.sweep", [:], as: system)
        #expect(first["checked"] == 2 && fired(first).count == 4)
        try move(harness, to: "2026-12-05T09:01:00Z")
        #expect(try await harness.ok("sla.sweep", [:], as: system)["checked"] == 0)

        // Monday 7 Dec becomes a holiday (Tuesday 8 is one already): both are computed again,
        // nothing new is due.
        _ = try await harness.ok("calendar.addHoliday", ["calendar": "interzen-support", "date": "2026-12-07"], as: system)
        try move(harness, to: "2026-12-05T09:02:00Z")
        let afterHoliday = try await harness.ok("sla.sweep", [:], as: system)
        #expect(afterHoliday["checked"] == 2 && fired(afterHoliday) == [])

        // A step at 50 % (4 h: 12:00 and 13:00 Rome on Friday) joins the default ladder: it fires
        // on both, to be delivered at the next opening, Wednesday 9 Dec 08:00 Rome.
        _ = try await harness.ok("sla.setLadder", ["steps": [
            ["at": 0.5, "kind": "slaWarning", "to": ["careManagers"]],
            ["at": 0.75, "kind": "slaWarning", "to": ["assignee", "careManagers"]],
            ["at": 1, "kind": "slaBreach", "to": ["careManagers"]],
            ["at": 1.5, "kind": "slaEscalation", "to": ["admins"]],
        ]], as: system)
        try move(harness, to: "2026-12-05T09:03:00Z")
        let afterLadder = try await harness.ok("sla.sweep", [:], as: system)
        #expect(afterLadder["checked"] == 2)
        #expect(fired(afterLadder) == [
            "#\(a) chargeTaking slaWarning 2026-12-04T11:00:00Z → 2026-12-09T07:00:00Z",
            "#\(b) chargeTaking slaWarning 2026-12-04T12:00:00Z → 2026-12-09T07:00:00Z",
        ])

        // B is taken in charge and closed: the next sweep reads neither ticket (A's next step
        // is not due), and none after reads B.
        _ = try await harness.ok("ticket.takeCharge", ["ticket": .int(b), "classification": "bug", "priority": 3, "assignee": 2], as: system)
        _ = try await harness.ok("ticket.close", ["ticket": .int(b), "text": "Risolto."], as: system)
        try move(harness, to: "2026-12-05T09:04:00Z")
        #expect(try await harness.ok("sla.sweep", [:], as: system)["checked"] == 0)
        // A's 150 % step: Friday's 10 h 30 + 1 h 30 on Wednesday 9 Dec (Monday and Tuesday are
        // holidays) → 09:30 Rome (08:30Z); at 12:00 Rome only A is read, and only that step fires.
        try move(harness, to: "2026-12-09T11:00:00Z")
        let wednesday = try await harness.ok("sla.sweep", [:], as: system)
        #expect(wednesday["checked"] == 1)
        #expect(fired(wednesday) == ["#\(a) chargeTaking slaEscalation 2026-12-09T08:30:00Z → now"])
    }

    @Test("sla.sweep's at: an as-of sweep, never in the future")
    func asOf() async throws {
        let harness = try await world()
        defer { harness.cleanUp() }
        let ticket = try await open(harness, receivedAt: "2026-12-01T08:00:00+01:00", severity: 1)
        try move(harness, to: "2026-12-10T09:00:00Z")
        // As of Tuesday 1 Dec 08:50 Rome: 50 of 60 min counted, the 75 % step (08:45) only.
        let early = try await harness.ok("sla.sweep", ["at": "2026-12-01T08:50:00+01:00"], as: system)
        #expect(fired(early) == ["#\(ticket) chargeTaking slaWarning 2026-12-01T07:45:00Z → now"])
        #expect(early["at"] == "2026-12-01T07:50:00Z" && element(early["fired"], 0)?["firedAt"] == "2026-12-01T07:50:00Z")
        try await harness.fails("sla.sweep", ["at": "2026-12-10T09:00:01Z"], as: system, code: -32602)
        try await harness.fails("sla.sweep", [:], as: CallContext(transport: .socket, principal: .staff(id: 1, role: .careManager)), code: -32002)
    }

    @Test("the ladder as data: the default one, a policy's own, and what is refused")
    func ladders() async throws {
        let harness = try await world()
        defer { harness.cleanUp() }
        let manager = CallContext(transport: .socket, principal: .staff(id: 1, role: .careManager))
        let standard = try await harness.ok("sla.ladder", [:], as: manager)
        #expect(standard["steps"] == [
            ["at": 0.75, "kind": "slaWarning", "to": ["assignee", "careManagers"]],
            ["at": 1, "kind": "slaBreach", "to": ["careManagers"]],
            ["at": 1.5, "kind": "slaEscalation", "to": ["admins"]],
        ])
        #expect(standard["policy"] == .null && standard["own"] == true)
        let inherited = try await harness.ok("sla.ladder", ["policy": "interzen"], as: manager)
        #expect(inherited["own"] == false && inherited["steps"] == standard["steps"])
        try await harness.fails("sla.ladder", ["policy": "nessuna"], as: manager, code: -32003)
        try await harness.fails("sla.setLadder", ["steps": [["at": 1, "kind": "slaBreach", "to": ["admins"]]]], as: manager, code: -32002)

        // interzen warns at 50 % to staff 2 only.
        let set = try await harness.ok("sla.setLadder", [
            "policy": "interzen", "steps": [["at": 0.5, "kind": "slaWarning", "to": [2]]],
        ], as: system)
        #expect(set["own"] == true && set["steps"] == [["at": 0.5, "kind": "slaWarning", "to": [2]]])
        try await harness.fails("sla.setLadder", ["steps": [["at": 1, "kind": "slaBreach", "to": [99]]]], as: system, code: -32602)
        try await harness.fails("sla.setLadder", ["steps": [["at": 1, "kind": "slaBreach", "to": ["admins"]], ["at": 1, "kind": "slaBreach", "to": ["admins"]]]], as: system, code: -32602)
        try await harness.fails("sla.setLadder", ["steps": [["at": 1, "kind": "slaBreach", "to": ["boss"]]]], as: system, code: -32602)

        // P1 received Tuesday 1 Dec 08:00 Rome: 50 % of 1 h → 08:30 (07:30Z), to Luca in Italian.
        let ticket = try await open(harness, receivedAt: "2026-12-01T08:00:00+01:00", severity: 1)
        try move(harness, to: "2026-12-01T08:00:00Z")
        let sweep = try await harness.ok("sla.sweep", [:], as: system)
        #expect(fired(sweep) == ["#\(ticket) chargeTaking slaWarning 2026-12-01T07:30:00Z → now"])
        #expect(element(sweep["fired"], 0)?["recipients"] == [["id": 2, "name": "Luca Ferri"]])
    }
}

@Suite struct SLAReportServiceTests {
    let system = CallContext(transport: .socket, principal: .system)

    @Test("sla.report counts as of an instant, groups, filters and writes the same numbers as CSV")
    func report() async throws {
        let harness = try AccountHarness()  // Tuesday 2026-12-01 09:00Z = 10:00 Rome
        defer { harness.cleanUp() }
        _ = try await harness.ok("customer.create", ["code": "ACME", "name": "Acme, S.p.A.", "language": "it", "email": "it@acme.example"], as: system)
        _ = try await harness.ok("customer.addSubscription", ["customer": "ACME", "product": "zenshare-suite", "mode": "cloudSaas"], as: system)
        _ = try await harness.ok("contact.create", ["customer": "ACME", "name": "Mario Rossi", "email": "mario@acme.example"], as: system)
        _ = try await harness.ok("staff.create", ["name": "Luca Ferri", "email": "luca@interzen.example", "role": "operator"], as: system)
        func open(_ received: String, severity: Int) async throws {
            _ = try await harness.ok("ticket.open", [
                "contact": 1, "product": "zenshare-suite", "channel": "email", "receivedAt": .string(received),
                "severity": .int(Int64(severity)), "subject": "Errore", "body": "Non funziona.",
            ], as: system)
        }
        // Ticket 1: P2 received Tue 1 Dec 08:00 Rome; taken at 10:00 Rome (now): 120 min, met.
        try await open("2026-12-01T08:00:00+01:00", severity: 2)
        _ = try await harness.ok("ticket.takeCharge", ["ticket": 1, "classification": "bug", "priority": 2, "assignee": 1], as: system)
        // Ticket 2: P1 received Tue 1 Dec 08:30 Rome, not taken: charge due 09:30 → breached at 10:00.
        try await open("2026-12-01T08:30:00+01:00", severity: 1)
        // Ticket 3: received 30 Nov (another month), classified help desk: no SLA.
        try await open("2026-11-30T09:00:00+01:00", severity: 3)
        _ = try await harness.ok("ticket.takeCharge", ["ticket": 3, "classification": "helpDesk", "priority": 3, "assignee": 1], as: system)

        let report = try await harness.ok("sla.report", ["from": "2026-11-01", "to": "2026-12-31", "groupBy": ["month", "priority"]], as: system)
        #expect(report["at"] == "2026-12-01T09:00:00Z")
        guard case .array(let rows)? = report["rows"] else { Issue.record("\(report)"); return }
        #expect(rows.map { $0["group"]! } == [["month": "2026-11", "priority": 3], ["month": "2026-12", "priority": 1], ["month": "2026-12", "priority": 2]])
        #expect(rows[0]["tickets"] == 1 && rows[0]["notApplicable"] == 1 && rows[0]["chargeTaking"]?["metRatio"] == .null)
        #expect(rows[1]["chargeTaking"] == [
            "met": 0, "breached": 1, "running": 0, "metRatio": 0, "medianMinutes": .null, "p90Minutes": .null, "pausedMinutes": 0,
        ])
        #expect(rows[2]["chargeTaking"]?["met"] == 1 && rows[2]["chargeTaking"]?["medianMinutes"] == 120)
        #expect(rows[2]["resolution"]?["running"] == 1)
        #expect(report["totals"]?["tickets"] == 3 && report["totals"]?["chargeTaking"]?["metRatio"] == 0.5)
        #expect(report["totals"]?["group"] == [:])

        // As of 09:00 Rome, ticket 2's charge taking (due 09:30) was still running, and ticket 1 had not been taken.
        let earlier = try await harness.ok("sla.report", ["from": "2026-12-01", "to": "2026-12-01", "at": "2026-12-01T09:00:00+01:00"], as: system)
        #expect(earlier["totals"]?["chargeTaking"]?["running"] == 2 && earlier["totals"]?["tickets"] == 2)
        // Filters and grouping by assignee and customer.
        let mine = try await harness.ok("sla.report", ["from": "2026-11-01", "to": "2026-12-31", "groupBy": ["assignee", "customer"], "filter": ["assignee": 1]], as: system)
        #expect(mine["totals"]?["tickets"] == 2)
        #expect(element(mine["rows"], 0)?["group"] == ["assignee": 1, "customer": "ACME"])
        let unassigned = try await harness.ok("sla.report", ["from": "2026-12-01", "to": "2026-12-31", "groupBy": ["assignee"]], as: system)
        #expect(element(unassigned["rows"], 0)?["group"] == ["assignee": .null])

        try await harness.fails("sla.report", ["from": "2026-12-31", "to": "2026-12-01"], as: system, code: -32602)
        try await harness.fails("sla.report", ["from": "2020-01-01", "to": "2026-12-31"], as: system, code: -32602)
        try await harness.fails("sla.report", ["from": "2026-12-01", "to": "2026-12-31", "at": "2027-01-01T00:00:00Z"], as: system, code: -32602)
        try await harness.fails("sla.report", ["from": "2026-12-01", "to": "2026-12-31", "groupBy": ["month", "month"]], as: system, code: -32602)
        try await harness.fails("sla.report", ["from": "2026-12-01", "to": "2026-12-31"],
                                as: CallContext(transport: .socket, principal: .staff(id: 1, role: .operator)), code: -32002)

        // CSV: header, one line per row, CRLF, the same numbers.
        let typed = try await harness.service.report(from: LocalDate(iso: "2026-11-01")!, to: LocalDate(iso: "2026-12-31")!, groupBy: [.month, .priority], at: nil)
        let csv = SLAReportCSV.render(typed)
        let lines = csv.components(separatedBy: "\r\n")
        #expect(lines.count == 5 && lines.last == "")
        #expect(lines[0].hasPrefix("month,priority,tickets,notApplicable,chargeTaking.met,chargeTaking.breached,chargeTaking.running,chargeTaking.metRatio,"))
        #expect(lines[2].hasPrefix("2026-12,1,1,0,0,1,0,0,,,0,"))
        #expect(lines[3].hasPrefix("2026-12,2,1,0,1,0,0,1,120,120,0,0,0,1,,,,0,"))
        #expect(SLAReportCSV.field("Acme, \"S.p.A.\"") == "\"Acme, \"\"S.p.A.\"\"\"")
    }
}
