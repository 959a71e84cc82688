import Foundation

import JSONRPC
import SportelloDomain
import SportelloStore

// The calendar.* methods and sla.policies are declared by schema/sportello.openrpc.json; their
// types (CalendarGet, CalendarAddWorkingTime, …, SLAPolicies, and the shared CalendarView and
// Policy) are generated at build time.

// MARK: Handlers

extension SportelloService {
    func registerCalendarMethods(into registry: inout MethodRegistry<CallContext>) {
        let catalog = self.calendars
        let database = environment.database

        // Reads are pure arithmetic on the cached calendars: answered inline.
        registry.registerInline(CalendarList.self, by: self) { _, _ in
            CalendarList.Result(items: try catalog.calendars().map { calendar in
                .init(name: calendar.name, timezone: calendar.timeZoneIdentifier, description: calendar.description)
            })
        }
        registry.registerInline(CalendarGet.self, by: self) { params, _ in
            CalendarView(try catalog.calendar(named: params.calendar))
        }
        registry.registerInline(CalendarAddWorkingTime.self, by: self) { params, _ in
            let calendar = try catalog.calendar(named: params.calendar)
            let deadline = try arithmetic { try calendar.add(params.duration, to: params.start.date) }
            return CalendarAddWorkingTime.Result(deadline: Instant(deadline))
        }
        registry.registerInline(CalendarExplain.self, by: self) { params, _ in
            let language = try params.language.map { try AccountValidation.choice($0, field: "params.language", as: Language.self) } ?? .en
            let calendar = try catalog.calendar(named: params.calendar)
            let explanation = try arithmetic { try calendar.explain(params.duration, from: params.start.date) }
            return CalendarExplain.Result(
                deadline: Instant(explanation.deadline),
                intervals: explanation.stretches.map { stretch in
                    .init(from: Instant(stretch.from), to: Instant(stretch.to),
                          minutes: JSONNumber((stretch.seconds / 60 * 1e6).rounded() / 1e6))
                },
                lines: explanation.lines(in: language))
        }
        registry.registerInline(CalendarWorkingTimeBetween.self, by: self) { params, _ in
            let calendar = try catalog.calendar(named: params.calendar)
            for (field, date) in [("params.from", params.from.date), ("params.to", params.to.date)] {
                try checkSupported(date, field: field, calendar: calendar)
            }
            let seconds = calendar.workingTime(from: params.from.date, to: params.to.date)
            return CalendarWorkingTimeBetween.Result(minutes: JSONNumber((seconds / 60 * 1e6).rounded() / 1e6))
        }
        registry.registerInline(CalendarHolidays.self, by: self) { params, _ in
            let calendar = try catalog.calendar(named: params.calendar)
            guard BusinessCalendar.supportedYears.contains(params.year) else {
                throw RPCError.invalidParams(
                    field: "params.year",
                    reason: "must be between \(BusinessCalendar.supportedYears.lowerBound) and \(BusinessCalendar.supportedYears.upperBound)")
            }
            return CalendarHolidays.Result(items: calendar.holidays(in: params.year).map { holiday in
                .init(date: holiday.date, name: holiday.name, kind: .init(holiday.kind))
            })
        }
        registry.registerInline(SLAPolicies.self, by: self) { _, _ in
            SLAPolicies.Result(items: try catalog.policies().map(Policy.init))
        }

        // Changes: admin or system (x-access, checked before the params), one transaction each,
        // answered with the updated calendar.
        @Sendable func change(
            calendar name: String, _ body: @escaping @Sendable (StoreWriter) throws -> Void
        ) async throws -> CalendarView {
            _ = try catalog.calendar(named: name)
            return try await database.write { tx in
                try body(tx)
                try catalog.reload(tx)
                return CalendarView(try catalog.calendar(named: name, in: tx))
            }
        }
        registry.register(CalendarAddClosure.self, by: self) { params, _ in
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
            let note = try MaintenanceOperations.closureNote(announce: params.announce, note: params.availabilityNote)
            let now = StoreTime.rounded(environment.now())
            return try await change(calendar: params.calendar) { tx in
                try CalendarStore.addClosure(tx, calendar: params.calendar, closure: Closure(from: params.from, to: params.to, reason: reason))
                if let note {
                    try MaintenanceOperations.announceClosure(tx, calendar: params.calendar, from: params.from, to: params.to, note: note, now: now)
                }
            }
        }
        registry.register(CalendarRemoveClosure.self, by: self) { params, _ in
            try await change(calendar: params.calendar) { tx in
                guard try CalendarStore.removeClosure(tx, calendar: params.calendar, from: params.from, to: params.to) else {
                    throw RPCError(code: RPCErrorCode.notFound, message: "Not found", data: [
                        "field": "params.from",
                        "reason": .string("calendar \(params.calendar) has no closure from \(params.from) to \(params.to)"),
                    ])
                }
            }
        }
        registry.register(CalendarAddHoliday.self, by: self) { params, _ in
            try await change(calendar: params.calendar) { tx in
                try CalendarStore.addHoliday(tx, calendar: params.calendar, date: params.date.text)
            }
        }
        registry.register(CalendarRemoveHoliday.self, by: self) { params, _ in
            try await change(calendar: params.calendar) { tx in
                guard try CalendarStore.removeHoliday(tx, calendar: params.calendar, date: params.date.text) else {
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

extension CalendarView {
    /// The `calendar.get` view of a calendar.
    init(_ calendar: BusinessCalendar) {
        func day(_ weekday: Weekday) -> [Interval] {
            (calendar.weekly[weekday] ?? []).map { [$0.startString, $0.endString] }
        }
        self.init(
            name: calendar.name, timezone: calendar.timeZoneIdentifier, description: calendar.description,
            weekly: Weekly(mon: day(.mon), tue: day(.tue), wed: day(.wed), thu: day(.thu), fri: day(.fri), sat: day(.sat), sun: day(.sun)),
            workingDayMinutes: calendar.workingDayMinutes,
            extraHolidays: calendar.extraHolidays.sorted().map(\.string),
            holidays: calendar.holidays.sorted(),
            closures: calendar.closures.sorted { ($0.from, $0.to) < ($1.from, $1.to) }.map { closure in
                Closure(from: closure.from, to: closure.to, reason: closure.reason)
            })
    }
}

extension CalendarHolidays.Result.Item.Kind {
    init(_ kind: HolidayKind) {
        switch kind {
        case .national: self = .national
        case .extra: self = .extra
        case .oneOff: self = .oneOff
        case .closure: self = .closure
        }
    }
}

extension Policy {
    /// The `sla.policies` view of a policy.
    init(_ policy: SLAPolicy) {
        self.init(
            name: policy.name, calendar: policy.calendar,
            secondClock: SecondClock(policy.secondClock),
            targets: policy.targets.map { target in
                Target(priority: target.priority, severity: target.severity, chargeTaking: target.chargeTaking, second: target.second)
            })
    }
}

extension Policy.SecondClock {
    init(_ clock: SportelloDomain.SecondClock) {
        switch clock {
        case .resolution: self = .resolution
        case .firstAid: self = .firstAid
        }
    }
}
