import Foundation
import JSONRPC
@testable import SportelloService
import SportelloDomain
import Testing

// The calendar and SLA methods through the real dispatcher on a temporary database: the
// answers of docs/product.md §6 and the bad input of the calendar issue, each with its error code and field.
@Suite struct CalendarMethodTests {
    let system = CallContext(transport: .socket, principal: .system)
    let anonymous = CallContext(transport: .socket, principal: nil)
    let operatorContext = CallContext(transport: .socket, principal: .staff(id: 9, role: .operator))

    static let support: JSONValue = "interzen-support"

    @Test func deadlinesAcrossWeekendsAndHolidays() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        // Friday 2026-12-04 18:00 Rome + 1 h: 30 min to closing, Monday 08:00 + 30 min = 08:30 Rome = 07:30Z.
        var result = try await harness.ok("calendar.addWorkingTime", [
            "calendar": Self.support, "start": "2026-12-04T18:00:00+01:00", "duration": ["hours": 1],
        ], as: anonymous)
        #expect(result["deadline"] == "2026-12-07T07:30:00Z")
        // Monday 2026-12-07 18:00 + 1 h: Tuesday 8 December is a holiday, so Wednesday 08:30 Rome.
        result = try await harness.ok("calendar.addWorkingTime", [
            "calendar": Self.support, "start": "2026-12-07T17:00:00Z", "duration": ["hours": 1],
        ], as: anonymous)
        #expect(result["deadline"] == "2026-12-09T07:30:00Z")
        // Friday 08:00 → Monday 09:00 Rome: 630 (Friday) + 60 (Monday) = 690 minutes; reversed, negative.
        result = try await harness.ok("calendar.workingTimeBetween", [
            "calendar": Self.support, "from": "2026-12-04T08:00:00+01:00", "to": "2026-12-07T09:00:00+01:00",
        ], as: anonymous)
        #expect(result["minutes"] == 690)
        result = try await harness.ok("calendar.workingTimeBetween", [
            "calendar": Self.support, "from": "2026-12-07T09:00:00+01:00", "to": "2026-12-04T08:00:00+01:00",
        ], as: anonymous)
        #expect(result["minutes"] == -690)
    }

    @Test func closuresMoveDeadlinesAndAreListed() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        let calendar = try await harness.ok("calendar.addClosure", [
            "calendar": Self.support, "from": "2026-12-24", "to": "2027-01-06", "reason": "Chiusura natalizia",
        ], as: system)
        #expect(calendar["closures"] == [["from": "2026-12-24", "to": "2027-01-06", "reason": "Chiusura natalizia"]])
        // Wednesday 23 December 18:00 + 1 h: closed until Wednesday 6 January (Epiphany), so Thursday 7 January 08:30.
        let result = try await harness.ok("calendar.addWorkingTime", [
            "calendar": Self.support, "start": "2026-12-23T18:00:00+01:00", "duration": ["hours": 1],
        ], as: system)
        #expect(result["deadline"] == "2027-01-07T07:30:00Z")
        let holidays = try await harness.ok("calendar.holidays", ["calendar": Self.support, "year": 2026], as: system)
        guard case .array(let items)? = holidays["items"] else { Issue.record("no items"); return }
        #expect(items.contains(["date": "2026-12-28", "name": "Chiusura natalizia", "kind": "closure"]))
        #expect(items.contains { $0["date"] == "2026-10-04" && $0["kind"] == "national" })
        // Removing it restores the old deadline; removing it again is -32003.
        _ = try await harness.ok("calendar.removeClosure", ["calendar": Self.support, "from": "2026-12-24", "to": "2027-01-06"], as: system)
        let again = try await harness.ok("calendar.addWorkingTime", [
            "calendar": Self.support, "start": "2026-12-23T18:00:00+01:00", "duration": ["hours": 1],
        ], as: system)
        #expect(again["deadline"] == "2026-12-24T07:30:00Z")
        try await harness.fails(
            "calendar.removeClosure", ["calendar": Self.support, "from": "2026-12-24", "to": "2027-01-06"], as: system, code: -32003)
    }

    @Test func recurringAndOneOffHolidays() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        var calendar = try await harness.ok("calendar.addHoliday", ["calendar": Self.support, "date": "12-10"], as: system)
        #expect(calendar["extraHolidays"] == ["12-10"])
        calendar = try await harness.ok("calendar.addHoliday", ["calendar": Self.support, "date": "2027-02-15"], as: system)
        #expect(calendar["holidays"] == ["2027-02-15"])
        // Wednesday 2026-12-09 18:00 + 1 h skips Thursday 10 December: Friday 11th 08:30 Rome.
        let result = try await harness.ok("calendar.addWorkingTime", [
            "calendar": Self.support, "start": "2026-12-09T18:00:00+01:00", "duration": ["minutes": 60],
        ], as: system)
        #expect(result["deadline"] == "2026-12-11T07:30:00Z")
        calendar = try await harness.ok("calendar.removeHoliday", ["calendar": Self.support, "date": "12-10"], as: system)
        #expect(calendar["extraHolidays"] == [])
        try await harness.fails("calendar.removeHoliday", ["calendar": Self.support, "date": "12-10"], as: system, code: -32003)
    }

    @Test func changesNeedAnAdmin() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        let params: JSONValue = ["calendar": Self.support, "date": "12-10"]
        try await harness.fails("calendar.addHoliday", params, as: anonymous, code: -32001)
        try await harness.fails("calendar.addHoliday", params, as: operatorContext, code: -32002)
        let calendar = try await harness.ok("calendar.get", ["calendar": Self.support], as: anonymous)
        #expect(calendar["extraHolidays"] == [])
        #expect(calendar["workingDayMinutes"] == 630)
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        let method: String
        let params: JSONValue
        let code: Int
        let field: String
        var testDescription: String { "\(method) \(params) → \(code) \(field)" }
    }

    static let badInputs: [BadInput] = [
        BadInput(method: "calendar.addWorkingTime", params: ["calendar": "nowhere", "start": "2026-12-04T18:00:00Z", "duration": ["hours": 1]], code: -32003, field: "params.calendar"),
        BadInput(method: "calendar.addWorkingTime", params: ["calendar": "interzen-support", "start": "4 Dec 2026", "duration": ["hours": 1]], code: -32602, field: "params.start"),
        BadInput(method: "calendar.addWorkingTime", params: ["calendar": "interzen-support", "start": "2026-12-04T18:00:00Z", "duration": [:]], code: -32602, field: "params.duration"),
        BadInput(method: "calendar.addWorkingTime", params: ["calendar": "interzen-support", "start": "2026-12-04T18:00:00Z", "duration": ["hours": 1, "minutes": 5]], code: -32602, field: "params.duration"),
        BadInput(method: "calendar.addWorkingTime", params: ["calendar": "interzen-support", "start": "2026-12-04T18:00:00Z", "duration": ["hours": -1]], code: -32602, field: "params.duration.hours"),
        BadInput(method: "calendar.addWorkingTime", params: ["calendar": "interzen-support", "start": "2026-12-04T18:00:00Z", "duration": ["weeks": 1]], code: -32602, field: "params.duration"),
        // Deadlines fall on whole working minutes: 1.5 minutes, 0.6 minutes (0.01 h) and 0.63
        // minutes (0.001 of a 630-minute working day) are refused, naming the unit.
        BadInput(method: "calendar.addWorkingTime", params: ["calendar": "interzen-support", "start": "2026-12-04T09:00:00Z", "duration": ["minutes": 1.5]], code: -32602, field: "params.duration.minutes"),
        BadInput(method: "calendar.addWorkingTime", params: ["calendar": "interzen-support", "start": "2026-12-04T09:00:00Z", "duration": ["hours": 0.01]], code: -32602, field: "params.duration.hours"),
        BadInput(method: "calendar.addWorkingTime", params: ["calendar": "interzen-support", "start": "2026-12-04T09:00:00Z", "duration": ["workingDays": 0.001]], code: -32602, field: "params.duration.workingDays"),
        BadInput(method: "calendar.holidays", params: ["calendar": "interzen-support", "year": 1899], code: -32602, field: "params.year"),
        BadInput(method: "calendar.holidays", params: ["calendar": "interzen-support", "year": 2201], code: -32602, field: "params.year"),
        BadInput(method: "calendar.addHoliday", params: ["calendar": "interzen-support", "date": "02-30"], code: -32602, field: "params.date"),
        BadInput(method: "calendar.addHoliday", params: ["calendar": "interzen-support", "date": "2026-13-01"], code: -32602, field: "params.date"),
        BadInput(method: "calendar.addClosure", params: ["calendar": "interzen-support", "from": "2026-08-20", "to": "2026-08-10", "reason": "Estate"], code: -32602, field: "params.to"),
        BadInput(method: "calendar.addClosure", params: ["calendar": "interzen-support", "from": "2026-08-10", "to": "2026-08-20", "reason": "   "], code: -32602, field: "params.reason"),
        BadInput(method: "calendar.get", params: ["calendar": "interzen-support", "extra": 1], code: -32602, field: "params.extra"),
    ]

    @Test(arguments: badInputs)
    func badInput(_ input: BadInput) async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        let error = try await harness.fails(input.method, input.params, as: system, code: input.code)
        #expect(error["data"]?["field"]?.stringValue?.hasPrefix(input.field) == true, "\(error)")
    }

    @Test("durations that come to whole minutes are accepted: 1.5 h is 90 minutes, 0.1 h is 6, half a working day 315")
    func wholeMinuteDurations() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        // Friday 2026-12-04 10:00 in Rome (09:00Z), well inside the 08:00–18:30 working day.
        for (duration, deadline) in [
            (["hours": 1.5] as JSONValue, "2026-12-04T10:30:00Z"), (["hours": 0.1], "2026-12-04T09:06:00Z"),
            (["minutes": 90], "2026-12-04T10:30:00Z"), (["workingDays": 0.5], "2026-12-04T14:15:00Z"),
        ] {
            let result = try await harness.ok("calendar.addWorkingTime", [
                "calendar": "interzen-support", "start": "2026-12-04T09:00:00Z", "duration": duration,
            ], as: system)
            #expect(result["deadline"] == .string(deadline), "\(duration)")
        }
    }

    @Test func aCalendarClosedForYearsHasNoDeadline() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        _ = try await harness.ok("calendar.addClosure", [
            "calendar": "zucchetti-service", "from": "2026-01-01", "to": "2031-12-31", "reason": "Servizio sospeso",
        ], as: system)
        let error = try await harness.fails("calendar.addWorkingTime", [
            "calendar": "zucchetti-service", "start": "2026-03-02T09:00:00+01:00", "duration": ["hours": 1],
        ], as: system, code: -32006)
        #expect(error["data"]?["reason"]?.stringValue?.contains("no working time") == true)
    }

    @Test func policiesAreTheSpecTables() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        let policies = try await harness.ok("sla.policies", [:], as: anonymous)
        guard case .array(let items)? = policies["items"] else { Issue.record("no items"); return }
        let interzen = try #require(items.first { $0["name"] == "interzen" })
        #expect(interzen["calendar"] == "interzen-support")
        #expect(interzen["targets"] == [
            ["priority": 1, "severity": "Blocking", "chargeTaking": ["hours": 1], "second": ["workingDays": 1]],
            ["priority": 2, "severity": "High", "chargeTaking": ["hours": 4], "second": ["workingDays": 2]],
            ["priority": 3, "severity": "Medium", "chargeTaking": ["hours": 8], "second": ["workingDays": 5]],
            ["priority": 4, "severity": "Low", "chargeTaking": ["hours": 16], "second": ["workingDays": 30]],
        ])
        let zucchetti = try #require(items.first { $0["name"] == "zucchetti-preservation" })
        #expect(zucchetti["secondClock"] == "firstAid")
        #expect(zucchetti["calendar"] == "zucchetti-service")
    }
}

@Suite struct CalendarSessionTests {
    @Test("a connection whose admin session was logged out elsewhere can no longer change calendars")
    func loggedOutSessionCannotEdit() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        let system = CallContext(transport: .socket, principal: .system)
        _ = try await harness.ok(
            "staff.create", ["name": "Ada Admin", "email": "ada@interzen.example", "role": "admin", "password": "correct horse battery"],
            as: system)
        let first = CallContext(transport: .socket, principal: nil)
        let login = try await harness.ok("session.login", ["email": "ada@interzen.example", "password": "correct horse battery"], as: first)
        // Admins set up two-factor login before anything else.
        let enrolment = try await harness.ok("account.enableTotp", [:], as: first)
        let secret = try #require(enrolment["secret"]?.stringValue.flatMap(Base32.decode))
        _ = try await harness.ok("account.confirmTotp", ["code": .string(TOTP.code(secret: secret, step: TOTP.step(at: harness.clock.now)))], as: first)
        let second = CallContext(transport: .socket, principal: nil)
        _ = try await harness.ok("session.resume", ["token": try #require(login["token"])], as: second)
        _ = try await harness.ok("calendar.addHoliday", ["calendar": "interzen-support", "date": "12-10"], as: second)
        _ = try await harness.ok("session.logout", [:], as: first)
        try await harness.fails("calendar.addHoliday", ["calendar": "interzen-support", "date": "06-29"], as: second, code: -32001)
        let calendar = try await harness.ok("calendar.get", ["calendar": "interzen-support"], as: system)
        #expect(calendar["extraHolidays"] == ["12-10"])
    }
}
