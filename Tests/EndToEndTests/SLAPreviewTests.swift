// sla.preview and calendar.explain over the real socket: a care manager previews a ticket's
// clocks for a take-charge that does not happen (deadlines hand-computed with the independent
// `InterzenSupport` model, and the ticket proven unchanged), and anyone asks how a deadline
// came about (the same deadline as calendar.addWorkingTime).

import Foundation
import Testing

@Suite("SLA preview and calendar explanations end to end", .ticketWorld([.careManager, .operatorA, .giulia]))
struct SLAPreviewTests {
    /// Thu 26 Nov 2026 09:00 CET (08:00Z).
    static let receivedAt = "2026-11-26T09:00:00+01:00"

    /// Everything of `ticket.get` but the clocks (which move with the server's clock) and the
    /// ticket's history, to compare before and after.
    func snapshot(_ client: RPCClient, _ id: Int) async throws -> String {
        var ticket = try await client.ok("ticket.get", ["ticket": id])
        ticket["sla"] = nil
        let history = try await client.ok("ticket.history", ["ticket": id])
        return canonicalJSON(["ticket": ticket, "history": history])
    }

    @Test("a care manager previews a take-charge; the ticket is left as it was")
    func previewChangesNothing() async throws {
        let world = try currentWorld()
        let system = try await world.client(.system)
        let careManager = try await world.client(.careManager)
        let ticket = try await world.open(
            system, subject: "Il gestionale non stampa le bolle", body: "Da stamattina la stampa delle bolle non parte.",
            receivedAt: Self.receivedAt)
        let id = ticket.ticketID
        let before = try await snapshot(careManager, id)
        let received = try #require(parseInstant(Self.receivedAt))

        // At Thu 10:00 as a priority-2 bug: charge taking (4 h) stops after 60 working minutes,
        // due 09:00 + 4 h = 13:00 CET, met; resolution (2 working days = 1260 min): Thu
        // 09:00–18:30 = 570, Fri 27 Nov 630 (1200), Mon 30 Nov 08:00 + 60 = 09:00 CET = 08:00Z.
        let at = "2026-11-26T10:00:00+01:00"
        let preview = try await careManager.ok("sla.preview", ["ticket": id, "priority": 2, "classification": "bug", "at": at])
        expectSameInstant(preview.date("at"), try #require(parseInstant(at)), "at")
        #expect(preview.int("priority") == 2 && preview.string("classification") == "bug")
        #expect(preview.string("sla.policy") == "interzen" && preview.at("sla.applicable") as? Bool == true)
        expectSameInstant(preview.date("sla.clocks.chargeTaking.due"), InterzenSupport.rome(2026, 11, 26, 13), "charge-taking due")
        #expect(preview.string("sla.clocks.chargeTaking.state") == "met")
        #expect(preview.double("sla.clocks.chargeTaking.elapsed.minutes") == 60)
        #expect(preview.double("sla.clocks.chargeTaking.remaining.minutes") == 180)
        expectSameInstant(
            preview.date("sla.clocks.resolution.due"), InterzenSupport.add(seconds: 1260 * 60, to: received), "resolution due (oracle)")
        expectSameInstant(preview.date("sla.clocks.resolution.due"), try #require(parseInstant("2026-11-30T08:00:00Z")), "resolution due")
        #expect(preview.string("sla.clocks.resolution.state") == "running")
        #expect(preview.double("sla.clocks.resolution.remaining.minutes") == 1200)
        #expect(preview.string("sla.state") == "running")

        // Now, with the defaults: the ticket's priority (3: 8 h to take charge, due Thu 17:00 CET,
        // long past) and bug.
        let now = try await careManager.ok("sla.preview", ["ticket": id])
        #expect(now.int("priority") == 3 && now.string("classification") == "bug")
        expectSameInstant(now.date("sla.clocks.chargeTaking.due"), InterzenSupport.rome(2026, 11, 26, 17), "default charge-taking due")
        #expect(now.string("sla.clocks.chargeTaking.state") == "breached")
        let previewedAt = try #require(now.date("at"))
        #expect(abs(previewedAt.timeIntervalSinceNow) < 60)
        let elapsed = InterzenSupport.workingSeconds(from: received, to: previewedAt) / 60
        #expect(abs((now.double("sla.clocks.chargeTaking.remaining.minutes") ?? 0) - (480 - elapsed)) < 0.01)

        // Paid work has no SLA.
        let paid = try await careManager.ok("sla.preview", ["ticket": id, "classification": "evolutionaryChange", "at": at])
        #expect(paid.at("sla.applicable") as? Bool == false && paid.string("sla.state") == "notApplicable")
        #expect(paid.string("sla.clocks.chargeTaking.state") == "notApplicable")

        // Nothing changed: same ticket (version, status, classification, priority), same history.
        #expect(try await snapshot(careManager, id) == before)
        let after = try await careManager.ok("ticket.get", ["ticket": id])
        #expect(after.int("version") == 1 && after.string("status") == "new" && after.isNull("classification"))
        #expect(after.string("sla.clocks.chargeTaking.state") == "breached")   // still not taken charge of
    }

    @Test("bad input, unknown and closed tickets, and callers who are not care managers")
    func refusals() async throws {
        let world = try currentWorld()
        let system = try await world.client(.system)
        let careManager = try await world.client(.careManager)
        let ticket = try await world.open(
            system, subject: "Richiesta fuori ambito", body: "Ci consigliate una stampante?", receivedAt: Self.receivedAt)
        let id = ticket.ticketID

        func expectField(_ error: JSON, _ field: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(error.string("data.field") == field, "\(error)", sourceLocation: sourceLocation)
            #expect(!(error.string("data.reason") ?? "").isEmpty, "\(error)", sourceLocation: sourceLocation)
        }
        expectField(try await careManager.fails("sla.preview", ["ticket": 999_999], code: -32003), "params.ticket")
        expectField(try await careManager.fails("sla.preview", ["ticket": id, "priority": 0], code: -32602), "params.priority")
        expectField(try await careManager.fails("sla.preview", ["ticket": id, "priority": 5], code: -32602), "params.priority")
        expectField(
            try await careManager.fails("sla.preview", ["ticket": id, "classification": "feature"], code: -32602), "params.classification")
        let tomorrow = rfc3339(Date().addingTimeInterval(86_400))
        expectField(try await careManager.fails("sla.preview", ["ticket": id, "at": tomorrow], code: -32602), "params.at")
        expectField(
            try await careManager.fails("sla.preview", ["ticket": id, "at": "2026-11-26T08:59:00+01:00"], code: -32602), "params.at")

        // Managers only: an operator and a contact are refused before anything is looked up.
        let operatorA = try await world.client(.operatorA)
        try await operatorA.fails("sla.preview", ["ticket": id], code: -32002)
        let giulia = try await world.client(.giulia)
        try await giulia.fails("sla.preview", ["ticket": id], code: -32002)

        // A closed ticket: -32005.
        let taken = try await careManager.ok("ticket.takeCharge", ["ticket": id, "classification": "outOfScope", "priority": 3])
        _ = try await careManager.ok("ticket.close", ["ticket": id, "expectedVersion": try #require(taken.int("version"))])
        let closed = try await careManager.fails("sla.preview", ["ticket": id], code: -32005)
        #expect(closed.string("data.status") == "closed")
        expectField(closed, "params.ticket")
    }

    @Test("calendar.explain: the intervals a deadline was built from, and the same deadline as calendar.addWorkingTime")
    func explain() async throws {
        let world = try currentWorld()
        let giulia = try await world.client(.giulia)   // anyone may ask
        let cases: [(calendar: String, start: String, duration: JSON, lines: [String])] = [
            // Fri 18:00 + 1 h: 30 min on Friday, the weekend closed, 30 min on Monday.
            ("interzen-support", "2026-12-04T18:00:00+01:00", ["hours": 1], [
                "Fri 4 Dec 2026 18:00–18:30 Europe/Rome: 30 min", "Mon 7 Dec 2026 08:00–08:30 Europe/Rome: 30 min",
            ]),
            // Tue 8 Dec is a national holiday.
            ("interzen-support", "2026-12-07T18:00:00+01:00", ["hours": 1], [
                "Mon 7 Dec 2026 18:00–18:30 Europe/Rome: 30 min", "Wed 9 Dec 2026 08:00–08:30 Europe/Rome: 30 min",
            ]),
            // Clocks go forward on Sun 28 Mar 2027 (Easter); Easter Monday is a holiday.
            ("interzen-support", "2027-03-26T18:00:00+01:00", ["hours": 1], [
                "Fri 26 Mar 2027 18:00–18:30 Europe/Rome: 30 min", "Tue 30 Mar 2027 08:00–08:30 Europe/Rome: 30 min",
            ]),
            // Clocks go back on Sun 25 Oct 2026.
            ("interzen-support", "2026-10-23T17:00:00+02:00", ["hours": 3], [
                "Fri 23 Oct 2026 17:00–18:30 Europe/Rome: 90 min", "Mon 26 Oct 2026 08:00–09:30 Europe/Rome: 90 min",
            ]),
            // zucchetti-service's lunch break, 13:00–14:00.
            ("zucchetti-service", "2026-12-04T12:00:00+01:00", ["hours": 3], [
                "Fri 4 Dec 2026 12:00–13:00 Europe/Rome: 60 min", "Fri 4 Dec 2026 14:00–16:00 Europe/Rome: 120 min",
            ]),
            ("zucchetti-service", "2026-12-03T17:00:00+01:00", ["workingDays": 1], [
                "Thu 3 Dec 2026 17:00–18:00 Europe/Rome: 60 min", "Fri 4 Dec 2026 09:00–13:00 Europe/Rome: 240 min",
                "Fri 4 Dec 2026 14:00–17:00 Europe/Rome: 180 min",
            ]),
        ]
        for example in cases {
            let params: JSON = ["calendar": example.calendar, "start": example.start, "duration": example.duration]
            let explanation = try await giulia.ok("calendar.explain", params)
            let added = try await giulia.ok("calendar.addWorkingTime", params)
            #expect(explanation.string("deadline") == added.string("deadline"), "\(params)")
            #expect(explanation.strings("lines") == example.lines, "\(params)")
            let intervals = try #require(explanation.objects("intervals"))
            #expect(intervals.count == example.lines.count)
            #expect(intervals.last?.string("to") == explanation.string("deadline"))
            let total = intervals.reduce(0.0) { $0 + ($1.double("minutes") ?? 0) }
            let expected = example.duration["hours"].map { ($0 as! Int) * 60 } ?? 480
            #expect(total == Double(expected), "\(params)")
        }

        let unknown = try await giulia.fails(
            "calendar.explain", ["calendar": "nope", "start": "2026-12-04T18:00:00Z", "duration": ["hours": 1]], code: -32003)
        #expect(unknown.string("data.field") == "params.calendar")
        let fraction = try await giulia.fails(
            "calendar.explain", ["calendar": "interzen-support", "start": "2026-12-04T18:00:00Z", "duration": ["minutes": 1.5]],
            code: -32602)
        #expect(fraction.string("data.field") == "params.duration.minutes")
        let long = try await giulia.fails(
            "calendar.explain", ["calendar": "interzen-support", "start": "2026-12-04T18:00:00Z", "duration": ["workingDays": 1001]],
            code: -32602)
        #expect(long.string("data.field") == "params.duration")
    }
}
