// Scheduled maintenance and availability end to end over the real socket, at the real clock:
// a window refused on a Saturday with the next valid start (the next working morning, computed
// here from the holiday model), scheduled there and announced to both customers in their
// language; the lunch break; who may schedule and read; an outage and the month's report.

import Foundation
import Testing

@Suite(.ticketWorld([.system, .admin, .operatorA, .giulia, .oliver]))
struct MaintenanceEndToEndTests {
    /// A Saturday at least three weeks from now, 10:00 Rome.
    static func saturdayAhead() -> (date: Date, year: Int, month: Int, day: Int) {
        var day = InterzenSupport.rome.startOfDay(for: Date().addingTimeInterval(21 * 86_400))
        while InterzenSupport.rome.component(.weekday, from: day) != 7 {
            day = InterzenSupport.rome.date(byAdding: .day, value: 1, to: day)!
        }
        let parts = InterzenSupport.rome.dateComponents([.year, .month, .day], from: day)
        return (InterzenSupport.rome(parts.year!, parts.month!, parts.day!, 10), parts.year!, parts.month!, parts.day!)
    }

    /// The first working day after the given date, 09:00 Rome (weekends and national holidays skipped).
    static func nextWorkingMorning(after year: Int, _ month: Int, _ day: Int) -> Date {
        var date = InterzenSupport.rome(year, month, day, 12)
        while true {
            date = InterzenSupport.rome.date(byAdding: .day, value: 1, to: date)!
            let parts = InterzenSupport.rome.dateComponents([.year, .month, .day, .weekday], from: date)
            if parts.weekday! != 1 && parts.weekday! != 7 && !InterzenSupport.isHoliday(year: parts.year!, month: parts.month!, day: parts.day!) {
                return InterzenSupport.rome(parts.year!, parts.month!, parts.day!, 9)
            }
        }
    }

    @Test("a window refused on a Saturday is scheduled at the next valid start and announced to each customer in its language")
    func scheduleAnnounceCancel() async throws {
        let world = try currentWorld()
        let admin = try await world.client(.admin)
        let operatorA = try await world.client(.operatorA)
        let giulia = try await world.client(.giulia)
        let saturday = Self.saturdayAhead()
        let title: JSON = ["it": "Aggiornamento della piattaforma", "en": "Platform upgrade"]

        let refused = try await admin.fails("maintenance.schedule", [
            "from": rfc3339(saturday.date), "to": rfc3339(saturday.date.addingTimeInterval(3600)),
            "products": ["zenshare-suite"], "title": title], code: -32006)
        let expected = Self.nextWorkingMorning(after: saturday.year, saturday.month, saturday.day)
        let next = try #require((refused["data"] as? JSON)?.date("nextValidStart"))
        #expect(next == expected)

        // The operator may not schedule; the admin schedules at the next valid start.
        try await operatorA.fails("maintenance.schedule", ["from": rfc3339(next), "to": rfc3339(next.addingTimeInterval(3600)), "products": ["zenshare-suite"], "title": title], code: -32002)
        let window = try await admin.ok("maintenance.schedule", [
            "from": rfc3339(next), "to": rfc3339(next.addingTimeInterval(3600)), "products": ["zenshare-suite"], "title": title])
        #expect(window.int("notified") == 2)
        #expect(window["inTime"] as? Bool == true)

        // One announcement per customer, in its language, 09:00–10:00 Rome.
        let system = try await world.client(.system)
        let sent = try #require(try await system.ok("notification.list", ["kind": "maintenance"]).objects("items"))
        #expect(sent.count == 2)
        let italian = try #require(sent.first { $0.string("language") == "it" })
        #expect(italian.string("to") == "assistenza@rossi-logistica.it, giulia.bianchi@rossi-logistica.it")
        #expect(italian.string("subject")?.hasSuffix(", dalle 09:00 alle 10:00") == true)
        let english = try #require(sent.first { $0.string("language") == "en" })
        #expect(english.string("to") == "it@northwind.example, oliver.smith@northwind.example")
        #expect(english.string("subject")?.hasSuffix(", from 09:00 to 10:00") == true)

        // 12:30–13:30 the same day crosses the break: 14:30.
        let lunch = try await admin.fails("maintenance.schedule", [
            "from": rfc3339(next.addingTimeInterval(3.5 * 3600)), "to": rfc3339(next.addingTimeInterval(4.5 * 3600)),
            "products": ["zenshare-suite"], "title": title], code: -32006)
        #expect((lunch["data"] as? JSON)?.date("nextValidStart") == next.addingTimeInterval(5.5 * 3600))

        // The contact sees the window; the operator reads the list too.
        #expect(try await giulia.ok("maintenance.list", [:]).objects("items")?.count == 1)
        #expect(try await operatorA.ok("maintenance.list", ["product": "zenshare-suite"]).objects("items")?.count == 1)

        let cancelled = try await admin.ok("maintenance.cancel", ["window": try #require(window.int("id")), "reason": "Rinviato"])
        #expect(cancelled.string("status") == "cancelled")
        #expect(try await system.ok("notification.list", ["kind": "maintenanceCancelled"]).objects("items")?.count == 2)
    }

    @Test("an outage recorded and ended counts in its Rome month; a contact reads only its products")
    func outageAndReport() async throws {
        let world = try currentWorld()
        let admin = try await world.client(.admin)
        let oliver = try await world.client(.oliver)
        // Two hours ago, on a whole minute, for 20 minutes.
        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 7200)
        let outage = try await admin.ok("availability.recordOutage", ["products": ["zenshare-suite"], "from": rfc3339(start), "cause": "Guasto di rete"])
        #expect(outage.isNull("to"))
        try await admin.fails("availability.recordOutage", ["products": ["zenshare-suite"], "from": rfc3339(start.addingTimeInterval(60)), "cause": "Guasto di rete"], code: -32006)
        try await admin.fails("availability.recordOutage", ["products": ["zenshare-suite"], "from": rfc3339(Date().addingTimeInterval(600)), "cause": "futuro"], code: -32602)
        let ended = try await admin.ok("availability.endOutage", ["outage": try #require(outage.int("id")), "at": rfc3339(start.addingTimeInterval(1200))])
        #expect(ended.date("to") == start.addingTimeInterval(1200))

        let parts = InterzenSupport.rome.dateComponents([.year, .month], from: start)
        let month = String(format: "%04d-%02d", parts.year!, parts.month!)
        let report = try await oliver.ok("availability.report", ["month": month, "product": "zenshare-suite"])
        let figures = try #require(report.objects("items")?.first)
        #expect(figures.int("outageMinutes") == 20)
        #expect(figures.int("downtimeMinutes") == 20)
        #expect(figures.string("target") == "99.95")
        #expect(figures.int("budgetLeftMinutes") == figures.int("budgetMinutes")! - 20)
        try await oliver.fails("availability.report", ["month": month, "product": "zen-einvoice"], code: -32003)
        try await oliver.fails("availability.outages", [:], code: -32002)
    }
}
