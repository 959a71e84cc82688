import Foundation
import Testing
import SportelloDomain

/// Every row of the docs/product.md §6 SLA table, for a ticket received Thursday 3 Dec 2026 10:15 Rome
/// (09:15Z, CET).
///
/// interzen-support (630 min/day): Thursday has 495 min left (10:15–18:30), so h working hours
/// ≤ 8.25 end the same day and n working days end at 10:15 of the n-th working day after
/// (495 + (n − 1) × 630 + 135). Working days after Thu 3 Dec: Fri 4, Mon 7, (Tue 8 holiday),
/// Wed 9, Thu 10, Fri 11, Mon 14, Tue 15 (7th), … Mon 28 (15th; 25 Dec off), then Jan 2027
/// (1 and 6 Jan off) the 30th is Wed 20 Jan; the 90th Thu 15 Apr 2027 and the 180th Fri 20 Aug 2027
/// (CEST: 10:15 = 08:15Z; see CalendarArithmeticTests for the month counts).
/// zucchetti-service (480 min/day): Thursday has 165 + 240 = 405 min left, so one working day
/// ends Friday 09:00 + 75 min = 10:15, two on Monday 7 Dec 10:15.
@Suite("SLA policies")
struct SLAPolicyTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let policy: String
        let priority: Int
        let chargeTakingDue: String
        let secondDue: String
        var testDescription: String { "\(policy) P\(priority)" }
    }

    static let rows: [Row] = [
        // interzen P1: Thu 11:15 (1 h); Fri 4 Dec 10:15 (1 wd).
        Row(policy: "interzen", priority: 1, chargeTakingDue: "2026-12-03T10:15:00Z", secondDue: "2026-12-04T09:15:00Z"),
        // P2: Thu 14:15 (4 h); Mon 7 Dec 10:15 (2 wd).
        Row(policy: "interzen", priority: 2, chargeTakingDue: "2026-12-03T13:15:00Z", secondDue: "2026-12-07T09:15:00Z"),
        // P3: Thu 18:15 (8 h = 480 ≤ 495 min); Fri 11 Dec 10:15 (5 wd, 8 Dec skipped).
        Row(policy: "interzen", priority: 3, chargeTakingDue: "2026-12-03T17:15:00Z", secondDue: "2026-12-11T09:15:00Z"),
        // P4: 16 h = 960 min = 495 Thu + 465 Fri → Fri 15:45; 30 wd → Wed 20 Jan 2027 10:15.
        Row(policy: "interzen", priority: 4, chargeTakingDue: "2026-12-04T14:45:00Z", secondDue: "2027-01-20T09:15:00Z"),
        // zucchetti P1: 1 wd → Fri 10:15; first aid 2 wd → Mon 7 Dec 10:15.
        Row(policy: "zucchetti-preservation", priority: 1, chargeTakingDue: "2026-12-04T09:15:00Z", secondDue: "2026-12-07T09:15:00Z"),
        // grammelot P1: 1 wd → Fri 4 Dec; 15 wd → Mon 28 Dec.
        Row(policy: "grammelot-preservation", priority: 1, chargeTakingDue: "2026-12-04T09:15:00Z", secondDue: "2026-12-28T09:15:00Z"),
        // P2–P4: 7 wd → Tue 15 Dec; 30 wd → Wed 20 Jan; 90 wd → Thu 15 Apr; 180 wd → Fri 20 Aug 2027.
        Row(policy: "grammelot-preservation", priority: 2, chargeTakingDue: "2026-12-15T09:15:00Z", secondDue: "2027-01-20T09:15:00Z"),
        Row(policy: "grammelot-preservation", priority: 3, chargeTakingDue: "2026-12-15T09:15:00Z", secondDue: "2027-04-15T08:15:00Z"),
        Row(policy: "grammelot-preservation", priority: 4, chargeTakingDue: "2026-12-15T09:15:00Z", secondDue: "2027-08-20T08:15:00Z"),
    ]

    @Test(arguments: rows)
    func specTableRow(_ row: Row) throws {
        let policy = try #require(CalendarSeed.policy(named: row.policy))
        let calendar = try #require(CalendarSeed.calendar(named: policy.calendar))
        let target = try #require(policy.target(priority: row.priority))
        #expect(target.priority == row.priority)
        let received = CalFixtures.rome("2026-12-03 10:15")
        let charge = try SLAClock.status(start: received, target: target.chargeTaking, calendar: calendar, asOf: received)
        let second = try SLAClock.status(start: received, target: target.second, calendar: calendar, asOf: received)
        #expect(charge.due == CalFixtures.utc(row.chargeTakingDue), "\(CalFixtures.iso(charge.due))")
        #expect(second.due == CalFixtures.utc(row.secondDue), "\(CalFixtures.iso(second.due))")
        #expect(charge.state == .running && second.state == .running)
        #expect(second.remaining == second.targetSeconds)
    }

    @Test func seededPoliciesMatchTheSpec() throws {
        let interzen = try #require(CalendarSeed.policy(named: "interzen"))
        #expect(interzen.calendar == "interzen-support" && interzen.secondClock == .resolution)
        #expect(interzen.targets.map(\.chargeTaking) == [.hours(1), .hours(4), .hours(8), .hours(16)])
        #expect(interzen.targets.map(\.second) == [.workingDays(1), .workingDays(2), .workingDays(5), .workingDays(30)])
        #expect(interzen.targets.map(\.severity) == ["Blocking", "High", "Medium", "Low"])
        let zucchetti = try #require(CalendarSeed.policy(named: "zucchetti-preservation"))
        #expect(zucchetti.calendar == "zucchetti-service" && zucchetti.secondClock == .firstAid)
        #expect(zucchetti.targets == [SLATarget(priority: 1, severity: "Service malfunction", chargeTaking: .workingDays(1), second: .workingDays(2))])
        let grammelot = try #require(CalendarSeed.policy(named: "grammelot-preservation"))
        #expect(grammelot.calendar == "interzen-support" && grammelot.secondClock == .resolution)
        #expect(grammelot.targets.map(\.chargeTaking) == [.workingDays(1), .workingDays(7), .workingDays(7), .workingDays(7)])
        #expect(grammelot.targets.map(\.second) == [.workingDays(15), .workingDays(30), .workingDays(90), .workingDays(180)])
    }

    @Test func seededProductsAndCalendarsAreConsistent() {
        #expect(CalendarSeed.calendars.map(\.name) == ["interzen-support", "interzen-office", "zucchetti-service"])
        #expect(CalendarSeed.products.map(\.code) == ["zenshare-up", "zenshare-suite", "zen-einvoice", "preservation-zucchetti", "preservation-grammelot"])
        #expect(CalendarSeed.products.map(\.policy) == ["interzen", "interzen", "interzen", "zucchetti-preservation", "grammelot-preservation"])
        for policy in CalendarSeed.policies {
            #expect(CalendarSeed.calendar(named: policy.calendar) != nil, "\(policy.name)")
        }
        for calendar in CalendarSeed.calendars {
            #expect(calendar.timeZoneIdentifier == "Europe/Rome")
            #expect(calendar.extraHolidays.isEmpty && calendar.holidays.isEmpty && calendar.closures.isEmpty)
            #expect(calendar.weekly[.sat] == nil && calendar.weekly[.sun] == nil)
        }
        #expect(CalendarSeed.interzenOffice.weekly[.wed]?.map(\.description) == ["09:00-13:00", "14:30-18:30"])
    }

    @Test func missingPrioritiesUseTheClosestDefinedOne() throws {
        let zucchetti = try #require(CalendarSeed.policy(named: "zucchetti-preservation"))
        for priority in 1...4 { #expect(zucchetti.target(priority: priority)?.priority == 1) }
        let gappy = try SLAPolicy(name: "gappy", calendar: "interzen-support", secondClock: .resolution, targets: [
            SLATarget(priority: 3, severity: "Medium", chargeTaking: .hours(8), second: .workingDays(5)),
            SLATarget(priority: 1, severity: "Blocking", chargeTaking: .hours(1), second: .workingDays(1)),
        ])
        #expect(gappy.targets.map(\.priority) == [1, 3])
        #expect(gappy.target(priority: 2)?.priority == 1)   // tie → the stricter one
        #expect(gappy.target(priority: 4)?.priority == 3)
        #expect(gappy.target(priority: 3)?.priority == 3)
    }

    @Test func invalidPoliciesAreRefused() {
        let ok = SLATarget(priority: 1, severity: "Blocking", chargeTaking: .hours(1), second: .workingDays(1))
        #expect(throws: SLAPolicyError.invalid(field: "name", reason: "must not be empty")) {
            try SLAPolicy(name: " ", calendar: "c", secondClock: .resolution, targets: [ok])
        }
        #expect(throws: SLAPolicyError.self) { try SLAPolicy(name: "p", calendar: "", secondClock: .resolution, targets: [ok]) }
        #expect(throws: SLAPolicyError.self) { try SLAPolicy(name: "p", calendar: "c", secondClock: .resolution, targets: []) }
        #expect(throws: SLAPolicyError.self) { try SLAPolicy(name: "p", calendar: "c", secondClock: .resolution, targets: [ok, ok]) }
        let five = SLATarget(priority: 5, severity: "?", chargeTaking: .hours(1), second: .hours(1))
        #expect(throws: SLAPolicyError.self) { try SLAPolicy(name: "p", calendar: "c", secondClock: .resolution, targets: [five]) }
        let negative = SLATarget(priority: 2, severity: "High", chargeTaking: .hours(-1), second: .hours(1))
        #expect(throws: SLAPolicyError.self) { try SLAPolicy(name: "p", calendar: "c", secondClock: .resolution, targets: [negative]) }
    }

    @Test func policiesRoundTripThroughJSON() throws {
        for policy in CalendarSeed.policies {
            let data = try JSONEncoder().encode(policy)
            #expect(try JSONDecoder().decode(SLAPolicy.self, from: data) == policy)
        }
        let json = #"{"name":"p","calendar":"c","secondClock":"firstAid","targets":[{"priority":1,"severity":"S","chargeTaking":{"hours":2},"second":{"workingDays":3}}]}"#
        let decoded = try JSONDecoder().decode(SLAPolicy.self, from: Data(json.utf8))
        #expect(decoded.secondClock == .firstAid && decoded.targets.first?.second == .workingDays(3))
        let duplicate = #"{"name":"p","calendar":"c","secondClock":"resolution","targets":[{"priority":1,"severity":"S","chargeTaking":{"hours":2},"second":{"hours":3}},{"priority":1,"severity":"S","chargeTaking":{"hours":2},"second":{"hours":3}}]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(SLAPolicy.self, from: Data(duplicate.utf8)) }
    }
}
