import Foundation
import GRDB
import SportelloDomain

/// A stored definition that no longer builds a valid calendar or policy (edited by hand, say).
public struct CorruptRecord: Error, CustomStringConvertible {
    public let table: String
    public let key: String
    public let reason: String

    public var description: String { "\(table) \(key): \(reason)" }
}

/// Calendars, SLA policies and products as the database holds them.
public enum CalendarStore {
    /// A number that changes whenever any calendar changes; caches compare it.
    public static func revision(_ tx: StoreReader) throws -> Int {
        try tx.db.value(Int.self, "SELECT total(revision) FROM calendar").map { $0 } ?? 0
    }

    public static func names(_ tx: StoreReader) throws -> [String] {
        try tx.db.values(String.self, "SELECT name FROM calendar ORDER BY name")
    }

    /// Every calendar, built and indexed.
    public static func loadAll(_ tx: StoreReader) throws -> [BusinessCalendar] {
        try names(tx).compactMap { try load(tx, name: $0) }
    }

    public static func load(_ tx: StoreReader, name: String) throws -> BusinessCalendar? {
        guard let row = try tx.db.row("SELECT timezone, description FROM calendar WHERE name = ?", [name])
        else { return nil }
        func corrupt(_ reason: String) -> CorruptRecord { CorruptRecord(table: "calendar", key: name, reason: reason) }

        var weekly: [Weekday: [WorkingInterval]] = [:]
        for hours in try tx.db.rows(
            #"SELECT weekday, start, "end" FROM calendar_hours WHERE calendar = ? ORDER BY weekday, start"#,
            [name])
        {
            guard let day = Weekday(rawValue: hours["weekday"]),
                let interval = WorkingInterval(from: hours["start"], to: hours["end"])
            else { throw corrupt("bad working hours \(hours)") }
            weekly[day, default: []].append(interval)
        }
        var extra: [MonthDay] = []
        var oneOff: [LocalDate] = []
        for date in try tx.db.values(String.self, "SELECT date FROM calendar_holiday WHERE calendar = ? ORDER BY date", [name]) {
            if let monthDay = MonthDay(string: date) {
                extra.append(monthDay)
            } else if let day = LocalDate(iso: date) {
                oneOff.append(day)
            } else {
                throw corrupt("bad holiday \(date)")
            }
        }
        var closures: [Closure] = []
        for closure in try tx.db.rows(
            #"SELECT "from", "to", reason FROM calendar_closure WHERE calendar = ? ORDER BY "from", "to""#,
            [name])
        {
            guard let from = LocalDate(iso: closure["from"]), let to = LocalDate(iso: closure["to"]) else {
                throw corrupt("bad closure \(closure)")
            }
            closures.append(Closure(from: from, to: to, reason: closure["reason"]))
        }
        do {
            return try BusinessCalendar(
                name: name, timeZoneIdentifier: row["timezone"], description: row["description"], weekly: weekly,
                extraHolidays: extra, holidays: oneOff, closures: closures)
        } catch {
            throw corrupt("\(error)")
        }
    }

    /// Adds a closure; false when the same period was already there.
    @discardableResult
    public static func addClosure(_ tx: StoreWriter, calendar: String, closure: Closure) throws -> Bool {
        try tx.db.run(
            #"INSERT OR IGNORE INTO calendar_closure(calendar, "from", "to", reason) VALUES (?, ?, ?, ?)"#,
            [calendar, closure.from.iso, closure.to.iso, closure.reason])
        return try bumpIfChanged(tx, calendar: calendar)
    }

    /// Removes the closure with exactly these dates; false when there was none.
    @discardableResult
    public static func removeClosure(_ tx: StoreWriter, calendar: String, from: LocalDate, to: LocalDate) throws -> Bool {
        try tx.db.run(
            #"DELETE FROM calendar_closure WHERE calendar = ? AND "from" = ? AND "to" = ?"#,
            [calendar, from.iso, to.iso])
        return try bumpIfChanged(tx, calendar: calendar)
    }

    /// Adds a holiday, `MM-DD` (every year) or `YYYY-MM-DD` (once); false when already there.
    @discardableResult
    public static func addHoliday(_ tx: StoreWriter, calendar: String, date: String) throws -> Bool {
        try tx.db.run("INSERT OR IGNORE INTO calendar_holiday(calendar, date) VALUES (?, ?)", [calendar, date])
        return try bumpIfChanged(tx, calendar: calendar)
    }

    @discardableResult
    public static func removeHoliday(_ tx: StoreWriter, calendar: String, date: String) throws -> Bool {
        try tx.db.run("DELETE FROM calendar_holiday WHERE calendar = ? AND date = ?", [calendar, date])
        return try bumpIfChanged(tx, calendar: calendar)
    }

    private static func bumpIfChanged(_ tx: StoreWriter, calendar: String) throws -> Bool {
        guard tx.db.changesCount > 0 else { return false }
        try tx.db.run("UPDATE calendar SET revision = revision + 1 WHERE name = ?", [calendar])
        return true
    }

    // MARK: Policies and products

    public static func policies(_ tx: StoreReader) throws -> [SLAPolicy] {
        let targets = Dictionary(grouping: try tx.db.rows("SELECT * FROM sla_target ORDER BY policy, priority")) {
            $0["policy"] as String
        }
        return try tx.db.rows("SELECT name, calendar, secondClock FROM sla_policy ORDER BY name").map { row in
            let name: String = row["name"]
            func corrupt(_ reason: String) -> CorruptRecord { CorruptRecord(table: "sla_policy", key: name, reason: reason) }
            guard let clock = SecondClock(rawValue: row["secondClock"]) else { throw corrupt("bad second clock") }
            let list = try (targets[name] ?? []).map { target in
                guard let charge = duration(target["chargeTakingUnit"], target["chargeTakingAmount"]),
                    let second = duration(target["secondUnit"], target["secondAmount"])
                else { throw corrupt("bad target \(target)") }
                return SLATarget(priority: target["priority"], severity: target["severity"], chargeTaking: charge, second: second)
            }
            do {
                return try SLAPolicy(name: name, calendar: row["calendar"], secondClock: clock, targets: list)
            } catch {
                throw corrupt("\(error)")
            }
        }
    }

    public struct Product: Sendable, Hashable {
        public let code: String
        public let name: String
        public let policy: String
    }

    public static func products(_ tx: StoreReader) throws -> [Product] {
        try tx.db.rows("SELECT code, name, policy FROM product ORDER BY code").map {
            Product(code: $0["code"], name: $0["name"], policy: $0["policy"])
        }
    }

    private static func duration(_ unit: String, _ amount: Double) -> WorkingDuration? {
        switch unit {
        case "minutes": .minutes(amount)
        case "hours": .hours(amount)
        case "workingDays": .workingDays(amount)
        default: nil
        }
    }
}
