import Foundation
import JSONRPC
@testable import SportelloService
import SportelloDomain
import Testing

// Maintenance windows, their announcements and the availability report through the dispatcher,
// with the clock moved by hand. The harness starts on Tuesday 2026-12-01 09:00Z = 10:00 in Rome
// (CET, UTC+1 all December). interzen-office works 09:00–13:00 and 14:30–18:30; 8 December is a
// holiday (Immacolata).

private let system = CallContext(transport: .socket, principal: .system)

private extension JSONValue {
    var items: [JSONValue] {
        if case .array(let values) = self["items"] { return values }
        return []
    }
}

/// Four customers: ACME (it) and NORDWIND (en) hold zenshare-suite as a service, BETA (it) holds
/// it as a perpetual licence, GAMMA (en) holds zen-einvoice only.
private func world(_ harness: AccountHarness) async throws {
    for (code, language, email) in [("ACME", "it", "it@acme.example"), ("NORDWIND", "en", "ops@nordwind.example"),
                                    ("BETA", "it", "info@beta.example"), ("GAMMA", "en", "desk@gamma.example")] {
        _ = try await harness.ok("customer.create", ["code": .string(code), "name": .string(code.capitalized), "language": .string(language), "email": .string(email)], as: system)
    }
    _ = try await harness.ok("customer.addSubscription", ["customer": "ACME", "product": "zenshare-suite", "mode": "cloudSaas"], as: system)
    _ = try await harness.ok("customer.addSubscription", ["customer": "NORDWIND", "product": "zenshare-suite", "mode": "subscription"], as: system)
    _ = try await harness.ok("customer.addSubscription", ["customer": "BETA", "product": "zenshare-suite", "mode": "perpetual"], as: system)
    _ = try await harness.ok("customer.addSubscription", ["customer": "GAMMA", "product": "zen-einvoice", "mode": "cloudSaas"], as: system)
    _ = try await harness.ok("contact.create", ["customer": "ACME", "name": "Mario Rossi", "email": "mario@acme.example"], as: system)
    _ = try await harness.ok("contact.create", ["customer": "ACME", "name": "Anna Neri", "email": "anna@acme.example"], as: system)
    _ = try await harness.ok("contact.create", ["customer": "NORDWIND", "name": "Hans Weber", "email": "hans@nordwind.example"], as: system)
    _ = try await harness.ok("contact.create", ["customer": "GAMMA", "name": "Gina Gray", "email": "gina@gamma.example"], as: system)
}

private func window(_ from: String, _ to: String, products: [JSONValue] = ["zenshare-suite"], extra: JSONObject = [:]) -> JSONValue {
    var params: JSONObject = [
        "from": .string(from), "to": .string(to), "products": .array(products),
        "title": ["it": "Aggiornamento del database", "en": "Database upgrade"],
        "description": ["it": "Il portale resterà in sola lettura.", "en": "The portal will be read-only."],
    ]
    for (key, value) in extra { params[key] = value }
    return .object(params)
}

@Suite struct MaintenanceServiceTests {
    @Test("a window is announced once per affected customer, to the company and its contacts, in its language; a cancellation reaches the same customers")
    func announcementsAndCancellation() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        try await world(harness)

        // Thursday 10 December 14:30–16:00 Rome = 13:30Z–15:00Z; plenty of notice.
        let scheduled = try await harness.ok("maintenance.schedule", window("2026-12-10T14:30:00+01:00", "2026-12-10T16:00:00+01:00"), as: system)
        #expect(scheduled["from"] == "2026-12-10T13:30:00Z")
        #expect(scheduled["notified"] == 2)   // ACME and NORDWIND; BETA's perpetual licence and GAMMA are not touched
        #expect(scheduled["inTime"] == true)
        #expect(scheduled["status"] == "scheduled")

        let sent = try await harness.ok("notification.list", ["kind": "maintenance"], as: system).items
        #expect(sent.count == 2)
        let acme = try #require(sent.first { $0["language"] == "it" })
        #expect(acme["to"] == "it@acme.example, mario@acme.example, anna@acme.example")
        #expect(acme["ticket"] == .null)
        #expect(acme["subject"] == "Manutenzione programmata: Aggiornamento del database – giovedì 10 dicembre 2026, dalle 14:30 alle 16:00")
        if case .string(let body) = acme["body"] {
            #expect(body.contains("Il portale resterà in sola lettura."))
            #expect(body.contains("zenshare-suite"))
        } else { Issue.record("no body") }
        let nordwind = try #require(sent.first { $0["language"] == "en" })
        #expect(nordwind["to"] == "ops@nordwind.example, hans@nordwind.example")
        #expect(nordwind["subject"] == "Scheduled maintenance: Database upgrade – Thursday 10 December 2026, from 14:30 to 16:00")

        // The whole outbox still lists (its kinds are the schema's).
        _ = try await harness.ok("notification.list", [:], as: system)

        // A contact sees the windows of their company's products only.
        let mario = CallContext(transport: .socket, principal: .contact(id: 1, customer: 1))
        let gina = CallContext(transport: .socket, principal: .contact(id: 4, customer: 4))
        #expect(try await harness.ok("maintenance.list", [:], as: mario).items.count == 1)
        #expect(try await harness.ok("maintenance.list", [:], as: gina).items.isEmpty)
        try await harness.fails("maintenance.schedule", window("2026-12-10T14:30:00+01:00", "2026-12-10T16:00:00+01:00"), as: mario, code: -32002)

        // Moved to Friday 11 December 09:00–10:30: a new announcement to both.
        let moved = try await harness.ok("maintenance.reschedule", ["window": 1, "from": "2026-12-11T08:00:00Z", "to": "2026-12-11T09:30:00Z"], as: system)
        #expect(moved["from"] == "2026-12-11T08:00:00Z")
        let second = try await harness.ok("notification.list", ["kind": "maintenance"], as: system).items
        #expect(second.count == 4)
        #expect(second.contains { $0["subject"] == "Manutenzione spostata: Aggiornamento del database – venerdì 11 dicembre 2026, dalle 09:00 alle 10:30" })

        let cancelled = try await harness.ok("maintenance.cancel", ["window": 1, "reason": "Rinviato / postponed"], as: system)
        #expect(cancelled["status"] == "cancelled")
        #expect(cancelled["cancelReason"] == "Rinviato / postponed")
        let cancellations = try await harness.ok("notification.list", ["kind": "maintenanceCancelled"], as: system).items
        #expect(cancellations.count == 2)
        #expect(cancellations.contains { $0["subject"] == "Maintenance cancelled: Database upgrade – Friday 11 December 2026, from 09:00 to 10:30" })
        try await harness.fails("maintenance.cancel", ["window": 1, "reason": "again"], as: system, code: -32005)
        try await harness.fails("maintenance.reschedule", ["window": 1, "from": "2026-12-14T08:00:00Z", "to": "2026-12-14T09:00:00Z"], as: system, code: -32005)
        try await harness.fails("maintenance.cancel", ["window": 9, "reason": "none"], as: system, code: -32003)
    }

    @Test("refusals name the next valid start or the earliest announced start, and change nothing")
    func refusals() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        try await world(harness)

        // 12:30–13:30 on Thursday 10 Dec crosses the break: 14:30 CET = 13:30Z.
        let lunch = try await harness.fails("maintenance.schedule", window("2026-12-10T12:30:00+01:00", "2026-12-10T13:30:00+01:00"), as: system, code: -32006)
        #expect(lunch["data"]?["nextValidStart"] == "2026-12-10T13:30:00Z")
        // Ending exactly at 13:00 is fine (checked below, with a later window list).
        // Tuesday 8 December (Immacolata) → Wednesday 9 December 09:00 CET = 08:00Z.
        let holiday = try await harness.fails("maintenance.schedule", window("2026-12-08T10:00:00+01:00", "2026-12-08T11:00:00+01:00"), as: system, code: -32006)
        #expect(holiday["data"]?["nextValidStart"] == "2026-12-09T08:00:00Z")
        // A Saturday → Monday 14 December 09:00 CET.
        let saturday = try await harness.fails("maintenance.schedule", window("2026-12-12T10:00:00+01:00", "2026-12-12T11:00:00+01:00"), as: system, code: -32006)
        #expect(saturday["data"]?["nextValidStart"] == "2026-12-14T08:00:00Z")

        // Bad input.
        let backwards = try await harness.fails("maintenance.schedule", window("2026-12-10T16:00:00+01:00", "2026-12-10T15:00:00+01:00"), as: system, code: -32602)
        #expect(backwards["data"]?["field"] == "params.to")
        try await harness.fails("maintenance.schedule", window("2026-12-10T09:00:00+01:00", "2026-12-10T17:30:00+01:00"), as: system, code: -32602)
        let past = try await harness.fails("maintenance.schedule", window("2026-11-30T10:00:00+01:00", "2026-11-30T11:00:00+01:00"), as: system, code: -32602)
        #expect(past["data"]?["field"] == "params.from")
        let unknown = try await harness.fails("maintenance.schedule", window("2026-12-10T14:30:00+01:00", "2026-12-10T15:00:00+01:00", products: ["zenshare-up", "nope"]), as: system, code: -32602)
        #expect(unknown["data"]?["field"] == "params.products[1]")

        // Short notice: from Tuesday 10:00 to Wednesday 2 Dec 14:30 there are 180 + 240 + 240 =
        // 660 working minutes < 960. 960 minutes from Tuesday 10:00: Tuesday 420, Wednesday 480
        // (900), 60 more from Thursday 09:00 → Thursday 10:00 CET = 09:00Z.
        let short = try await harness.fails("maintenance.schedule", window("2026-12-02T14:30:00+01:00", "2026-12-02T15:30:00+01:00"), as: system, code: -32006)
        #expect(short["data"]?["earliestStart"] == "2026-12-03T09:00:00Z")
        try await harness.fails("maintenance.schedule", window("2026-12-02T14:30:00+01:00", "2026-12-02T15:30:00+01:00", extra: ["urgent": true]), as: system, code: -32602)
        #expect(try await harness.ok("notification.list", [:], as: system).items.isEmpty)
        #expect(try await harness.ok("maintenance.list", [:], as: system).items.isEmpty)

        // Urgent with a reason: accepted, announced, but not in time; once started it can no longer be cancelled.
        let urgent = try await harness.ok("maintenance.schedule", window(
            "2026-12-02T14:30:00+01:00", "2026-12-02T15:30:00+01:00", extra: ["urgent": true, "urgentReason": "Patch di sicurezza"]), as: system)
        #expect(urgent["inTime"] == false)
        #expect(urgent["urgentReason"] == "Patch di sicurezza")
        #expect(urgent["notified"] == 2)
        harness.clock.advance(28 * 3600 + 45 * 60)   // Wednesday 2 Dec 14:45 Rome: it has started
        try await harness.fails("maintenance.cancel", ["window": 1, "reason": "troppo tardi"], as: system, code: -32005)
        harness.clock.advance(-(28 * 3600 + 45 * 60))
        // One working day of notice asked for: Wednesday 2 Dec 12:00–13:00 (ends at the break) has 660 ≥ 480.
        let oneDay = try await harness.ok("maintenance.schedule", window(
            "2026-12-02T12:00:00+01:00", "2026-12-02T13:00:00+01:00", extra: ["noticeWorkingDays": 1, "announce": false]), as: system)
        #expect(oneDay["inTime"] == false)   // not announced: its outages are not excluded
        #expect(oneDay["notified"] == 0)
        #expect(try await harness.ok("maintenance.list", ["product": "zenshare-suite"], as: system).items.count == 2)
        try await harness.fails("maintenance.list", ["product": "nope"], as: system, code: -32602)
    }

    @Test("availability: overlapping outages once, announced maintenance excluded, an ongoing outage up to the report's instant")
    func availabilityReport() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        try await world(harness)
        // A window on Thursday 10 Dec 10:00–11:00 Rome (09:00Z–10:00Z), announced in time.
        _ = try await harness.ok("maintenance.schedule", window("2026-12-10T10:00:00+01:00", "2026-12-10T11:00:00+01:00"), as: system)
        harness.clock.advance(10 * 86_400)   // Friday 11 Dec 09:00Z

        // 09:30–10:20 Rome (08:30Z–09:20Z) = 50 min, 20 of them inside the window.
        let first = try await harness.ok("availability.recordOutage", [
            "products": ["zenshare-suite"], "from": "2026-12-10T08:30:00Z", "to": "2026-12-10T09:20:00Z", "cause": "Disco pieno"], as: system)
        #expect(first["severity"] == "total")
        // Another cause overlapping it (09:00Z–09:10Z): counted once.
        _ = try await harness.ok("availability.recordOutage", [
            "products": ["zenshare-suite", "zen-einvoice"], "from": "2026-12-10T09:00:00Z", "to": "2026-12-10T09:10:00Z", "cause": "Rete", "severity": "partial"], as: system)
        // Ongoing since 08:00Z today.
        let ongoing = try await harness.ok("availability.recordOutage", ["products": ["zenshare-suite"], "from": "2026-12-11T08:00:00Z", "cause": "Bilanciatore"], as: system)
        #expect(ongoing["to"] == .null)

        // Refused, nothing changed: the same outage twice, in the future, ending before it starts.
        let twice = try await harness.fails("availability.recordOutage", [
            "products": ["zenshare-suite"], "from": "2026-12-10T09:00:00Z", "to": "2026-12-10T09:05:00Z", "cause": "Disco pieno"], as: system, code: -32006)
        #expect(twice["data"]?["outage"] == 1)
        try await harness.fails("availability.recordOutage", ["products": ["zenshare-suite"], "from": "2026-12-11T10:00:00Z", "cause": "x"], as: system, code: -32602)
        try await harness.fails("availability.recordOutage", [
            "products": ["zenshare-suite"], "from": "2026-12-10T09:00:00Z", "to": "2026-12-10T08:00:00Z", "cause": "x"], as: system, code: -32602)
        try await harness.fails("availability.recordOutage", ["products": ["nope"], "from": "2026-12-10T09:00:00Z", "cause": "x"], as: system, code: -32602)
        #expect(try await harness.ok("availability.outages", [:], as: system).items.count == 3)

        // As of 08:15Z: December has 44,640 minutes, budget 22.32 → 22. Outages 50 (the union of
        // 08:30–09:20 and 09:00–09:10) + 15 ongoing = 65; inside the window 09:00–09:20 = 20;
        // downtime 45; 44,595 / 44,640 = 99.899193… → "99.89919"; 22 − 45 = −23.
        let report = try await harness.ok("availability.report", ["month": "2026-12", "product": "zenshare-suite", "at": "2026-12-11T08:15:00Z"], as: system)
        #expect(report["items"] == [[
            "product": "zenshare-suite", "minutes": 44_640, "outageMinutes": 65, "maintenanceMinutes": 20, "downtimeMinutes": 45,
            "availability": "99.89919", "target": "99.95", "budgetMinutes": 22, "budgetLeftMinutes": -23, "met": false,
        ]])
        // zen-einvoice: 10 minutes, none excluded (the window is zenshare-suite's): 44,630 / 44,640 → "99.97759".
        let all = try await harness.ok("availability.report", ["month": "2026-12", "at": "2026-12-11T08:15:00Z"], as: system).items
        #expect(all.count == 5)
        #expect(all.first { $0["product"] == "zen-einvoice" }?["availability"] == "99.97759")

        // Ended at 08:40Z: 40 minutes; ending again is -32005, before the start -32602.
        try await harness.fails("availability.endOutage", ["outage": 3, "at": "2026-12-11T07:00:00Z"], as: system, code: -32602)
        let ended = try await harness.ok("availability.endOutage", ["outage": 3, "at": "2026-12-11T08:40:00Z"], as: system)
        #expect(ended["to"] == "2026-12-11T08:40:00Z")
        try await harness.fails("availability.endOutage", ["outage": 3, "at": "2026-12-11T08:50:00Z"], as: system, code: -32005)
        let later = try await harness.ok("availability.report", ["month": "2026-12", "product": "zenshare-suite"], as: system).items
        #expect(later.first?["outageMinutes"] == 90)   // 50 + 40

        // November is untouched; a contact sees its own products only.
        #expect(try await harness.ok("availability.report", ["month": "2026-11", "product": "zenshare-suite"], as: system).items.first?["availability"] == "100.00000")
        let gina = CallContext(transport: .socket, principal: .contact(id: 4, customer: 4))
        try await harness.fails("availability.report", ["month": "2026-12", "product": "zenshare-suite"], as: gina, code: -32003)
        #expect(try await harness.ok("availability.report", ["month": "2026-12"], as: gina).items.map { $0["product"] } == ["zen-einvoice"])
        try await harness.fails("availability.report", ["month": "2026-13"], as: system, code: -32602)
        try await harness.fails("availability.outages", [:], as: gina, code: -32002)
    }

    @Test("an announced closure of the support desk reaches every customer it serves, in their language, with the note")
    func closureAnnouncement() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        try await world(harness)
        let note: JSONValue = ["it": "Per i blocchi scrivete a support@interzen.it: un tecnico è reperibile.", "en": "For blocking issues write to support@interzen.it: an engineer is on call."]
        // Bad input first: a note without announce, announce without a note, a calendar no policy uses.
        try await harness.fails("calendar.addClosure", ["calendar": "interzen-support", "from": "2026-12-24", "to": "2027-01-06", "reason": "Natale", "availabilityNote": note], as: system, code: -32602)
        try await harness.fails("calendar.addClosure", ["calendar": "interzen-support", "from": "2026-12-24", "to": "2027-01-06", "reason": "Natale", "announce": true], as: system, code: -32602)
        try await harness.fails("calendar.addClosure", ["calendar": "interzen-office", "from": "2026-12-24", "to": "2027-01-06", "reason": "Natale", "announce": true, "availabilityNote": note], as: system, code: -32602)
        #expect(try await harness.ok("calendar.get", ["calendar": "interzen-office"], as: system)["closures"] == [])

        let calendar = try await harness.ok("calendar.addClosure", [
            "calendar": "interzen-support", "from": "2026-12-24", "to": "2027-01-06", "reason": "Chiusura natalizia",
            "announce": true, "availabilityNote": note], as: system)
        #expect(calendar["closures"] == [["from": "2026-12-24", "to": "2027-01-06", "reason": "Chiusura natalizia"]])
        // ACME, NORDWIND (zenshare-suite) and GAMMA (zen-einvoice) are served by interzen-support; BETA's licence is perpetual.
        let notices = try await harness.ok("notification.list", ["kind": "closureNotice"], as: system).items
        #expect(notices.count == 3)
        #expect(notices.contains { $0["subject"] == "Chiusura del servizio di assistenza dal 24 dicembre 2026 al 6 gennaio 2027" && $0["to"] == "it@acme.example, mario@acme.example, anna@acme.example" })
        #expect(notices.filter { $0["subject"] == "Support desk closed from 24 December 2026 to 6 January 2027" }.count == 2)
        if case .string(let body) = notices.first(where: { $0["language"] == "en" })?["body"] {
            #expect(body.contains("an engineer is on call"))
        } else { Issue.record("no English notice") }

        // Not announced: no notice.
        _ = try await harness.ok("calendar.addClosure", ["calendar": "interzen-support", "from": "2027-08-09", "to": "2027-08-20", "reason": "Ferie"], as: system)
        #expect(try await harness.ok("notification.list", ["kind": "closureNotice"], as: system).items.count == 3)
    }
}
