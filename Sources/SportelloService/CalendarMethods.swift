import Foundation
import GRDB
import JSONRPC
import SportelloDomain
import SportelloStore

// MARK: Method declarations

public enum CalendarList: RPCMethod {
    public static let name = "calendar.list"
    public typealias Result = JSONValue
}

public struct CalendarParams: Decodable, Sendable {
    public var calendar: String
}

public enum CalendarGet: RPCMethod {
    public static let name = "calendar.get"
    public typealias Params = CalendarParams
    public typealias Result = JSONValue
}

public enum CalendarAddWorkingTime: RPCMethod {
    public static let name = "calendar.addWorkingTime"
    public struct Params: Decodable, Sendable {
        public var calendar: String
        public var start: Instant
        public var duration: WorkingDuration
    }
    public struct Result: Encodable, Sendable {
        public var deadline: String
    }
}

public enum CalendarWorkingTimeBetween: RPCMethod {
    public static let name = "calendar.workingTimeBetween"
    public struct Params: Decodable, Sendable {
        public var calendar: String
        public var from: Instant
        public var to: Instant
    }
    public typealias Result = JSONValue
}

public enum CalendarHolidays: RPCMethod {
    public static let name = "calendar.holidays"
    public struct Params: Decodable, Sendable {
        public var calendar: String
        public var year: Int
    }
    public typealias Result = JSONValue
}

public enum CalendarAddClosure: RPCMethod {
    public static let name = "calendar.addClosure"
    public struct Params: Decodable, Sendable {
        public var calendar: String
        public var from: LocalDate
        public var to: LocalDate
        public var reason: String
    }
    public typealias Result = JSONValue
}

public enum CalendarRemoveClosure: RPCMethod {
    public static let name = "calendar.removeClosure"
    public struct Params: Decodable, Sendable {
        public var calendar: String
        public var from: LocalDate
        public var to: LocalDate
    }
    public typealias Result = JSONValue
}

public struct CalendarHolidayParams: Decodable, Sendable {
    public var calendar: String
    public var date: HolidayDate
}

public enum CalendarAddHoliday: RPCMethod {
    public static let name = "calendar.addHoliday"
    public typealias Params = CalendarHolidayParams
    public typealias Result = JSONValue
}

public enum CalendarRemoveHoliday: RPCMethod {
    public static let name = "calendar.removeHoliday"
    public typealias Params = CalendarHolidayParams
    public typealias Result = JSONValue
}

public enum SLAPolicies: RPCMethod {
    public static let name = "sla.policies"
    public typealias Result = JSONValue
}

// MARK: Handlers

extension SportelloService {
    func registerCalendarMethods(into registry: inout MethodRegistry<CallContext>) {
        let catalog = self.calendars
        let database = environment.database

        // Reads are pure arithmetic on the cached calendars: answered inline.
        registry.registerInline(CalendarList.self) { _, _ in
            .object(["items": .array(try catalog.calendars().map { calendar in
                ["name": .string(calendar.name), "timezone": .string(calendar.timeZoneIdentifier),
                 "description": .string(calendar.description)]
            })])
        }
        registry.registerInline(CalendarGet.self) { params, _ in
            try catalog.calendar(named: params.calendar).json
        }
        registry.registerInline(CalendarAddWorkingTime.self) { params, _ in
            let calendar = try catalog.calendar(named: params.calendar)
            let deadline = try arithmetic { try calendar.add(params.duration, to: params.start.date) }
            return CalendarAddWorkingTime.Result(deadline: RFC3339.format(deadline))
        }
        registry.registerInline(CalendarWorkingTimeBetween.self) { params, _ in
            let calendar = try catalog.calendar(named: params.calendar)
            for (field, date) in [("params.from", params.from.date), ("params.to", params.to.date)] {
                try checkSupported(date, field: field, calendar: calendar)
            }
            let seconds = calendar.workingTime(from: params.from.date, to: params.to.date)
            return .object(["minutes": number((seconds / 60 * 1e6).rounded() / 1e6)])
        }
        registry.registerInline(CalendarHolidays.self) { params, _ in
            let calendar = try catalog.calendar(named: params.calendar)
            guard BusinessCalendar.supportedYears.contains(params.year) else {
                throw RPCError.invalidParams(
                    field: "params.year",
                    reason: "must be between \(BusinessCalendar.supportedYears.lowerBound) and \(BusinessCalendar.supportedYears.upperBound)")
            }
            return .object(["items": .array(calendar.holidays(in: params.year).map { holiday in
                ["date": .string(holiday.date.iso), "name": .string(holiday.name), "kind": .string(holiday.kind.rawValue)]
            })])
        }
        registry.registerInline(SLAPolicies.self) { _, _ in
            .object(["items": .array(try catalog.policies().map { $0.json })])
        }

        // Changes: admin or system (checked before the params), one transaction each, answered
        // with the updated calendar.
        let admin = admission(.admin)
        @Sendable func change(
            calendar name: String, _ body: @escaping @Sendable (GRDB.Database) throws -> Void
        ) async throws -> JSONValue {
            _ = try catalog.calendar(named: name)
            return try await database.write { db in
                try body(db)
                try catalog.reload(db)
                return try catalog.calendar(named: name, in: db).json
            }
        }
        registry.register(CalendarAddClosure.self, admit: admin) { params, _ in
            guard params.from <= params.to else {
                throw RPCError.invalidParams(field: "params.to", reason: "the closure ends (\(params.to)) before it starts (\(params.from))")
            }
            let reason = params.reason.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !reason.isEmpty, reason.count <= 200 else {
                throw RPCError.invalidParams(field: "params.reason", reason: "must be 1 to 200 characters")
            }
            guard BusinessCalendar.supportedYears.contains(params.from.year), BusinessCalendar.supportedYears.contains(params.to.year) else {
                throw RPCError.invalidParams(field: "params.from", reason: "dates must fall in 1900–2200")
            }
            return try await change(calendar: params.calendar) { db in
                try CalendarStore.addClosure(db, calendar: params.calendar, closure: Closure(from: params.from, to: params.to, reason: reason))
            }
        }
        registry.register(CalendarRemoveClosure.self, admit: admin) { params, _ in
            try await change(calendar: params.calendar) { db in
                guard try CalendarStore.removeClosure(db, calendar: params.calendar, from: params.from, to: params.to) else {
                    throw RPCError(code: RPCErrorCode.notFound, message: "Not found", data: [
                        "field": "params.from",
                        "reason": .string("calendar \(params.calendar) has no closure from \(params.from) to \(params.to)"),
                    ])
                }
            }
        }
        registry.register(CalendarAddHoliday.self, admit: admin) { params, _ in
            try await change(calendar: params.calendar) { db in
                try CalendarStore.addHoliday(db, calendar: params.calendar, date: params.date.text)
            }
        }
        registry.register(CalendarRemoveHoliday.self, admit: admin) { params, _ in
            try await change(calendar: params.calendar) { db in
                guard try CalendarStore.removeHoliday(db, calendar: params.calendar, date: params.date.text) else {
                    throw RPCError(code: RPCErrorCode.notFound, message: "Not found", data: [
                        "field": "params.date",
                        "reason": .string("calendar \(params.calendar) has no extra holiday \(params.date.text)"),
                    ])
                }
            }
        }
    }
}

/// Runs calendar arithmetic, turning its failures into JSON-RPC errors (-32602 naming the
/// param the calendar names: `params.start`, `params.duration.minutes`).
private func arithmetic<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch CalendarError.noWorkingTime(let name) {
        throw RPCError(code: RPCErrorCode.domainRule, message: "Rejected by a domain rule", data: [
            "reason": .string("calendar \(name) has no working time in reach of this instant, so no deadline exists"),
        ])
    } catch CalendarError.invalid(let field, let reason) {
        throw RPCError.invalidParams(field: "params." + field, reason: reason)
    }
}

private func checkSupported(_ date: Date, field: String, calendar: BusinessCalendar) throws {
    let year = Int(1970 + (date.timeIntervalSince1970 / 31_556_952).rounded(.down))
    guard BusinessCalendar.supportedYears.contains(year) else {
        throw RPCError.invalidParams(field: field, reason: "instants must fall in the years 1900–2200")
    }
}

extension BusinessCalendar {
    /// The `calendar.get` view.
    var json: JSONValue {
        var weeklyObject = JSONObject()
        for day in Weekday.allCases {
            weeklyObject[day.key] = .array((weekly[day] ?? []).map { [.string($0.startString), .string($0.endString)] })
        }
        return [
            "name": .string(name),
            "timezone": .string(timeZoneIdentifier),
            "description": .string(description),
            "weekly": .object(weeklyObject),
            "workingDayMinutes": .int(Int64(workingDayMinutes)),
            "extraHolidays": .array(extraHolidays.sorted().map { .string($0.string) }),
            "holidays": .array(holidays.sorted().map { .string($0.iso) }),
            "closures": .array(closures.sorted { ($0.from, $0.to) < ($1.from, $1.to) }.map { closure in
                ["from": .string(closure.from.iso), "to": .string(closure.to.iso), "reason": .string(closure.reason)]
            }),
        ]
    }
}

extension SLAPolicy {
    /// The `sla.policies` view.
    var json: JSONValue {
        [
            "name": .string(name),
            "calendar": .string(calendar),
            "secondClock": .string(secondClock.rawValue),
            "targets": .array(targets.map { target in
                ["priority": .int(Int64(target.priority)), "severity": .string(target.severity),
                 "chargeTaking": target.chargeTaking.json, "second": target.second.json]
            }),
        ]
    }
}
