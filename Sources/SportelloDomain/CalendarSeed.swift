import Foundation

/// The calendars, SLA policies and products of docs/product.md §3 and §4, as the first migration seeds
/// them (admins edit them afterwards). No extra holidays or closures: those are announced
/// each year.
public enum CalendarSeed {
    /// The support desk: Monday–Friday 08:00–18:30 (one working day = 10.5 h).
    public static let interzenSupport = calendar(
        name: "interzen-support",
        description: "Interzen support desk: Monday–Friday 08:00–18:30, Italian national holidays excluded",
        hours: [(8 * 60, 18 * 60 + 30)])

    /// Switchboard and scheduled maintenance: Monday–Friday 09:00–13:00 and 14:30–18:30.
    public static let interzenOffice = calendar(
        name: "interzen-office",
        description: "Interzen office (switchboard, scheduled maintenance): Monday–Friday 09:00–13:00 and 14:30–18:30",
        hours: [(9 * 60, 13 * 60), (14 * 60 + 30, 18 * 60 + 30)])

    /// Zucchetti / Ifin Sistemi customer service: Monday–Friday 09:00–13:00 and 14:00–18:00.
    public static let zucchettiService = calendar(
        name: "zucchetti-service",
        description: "Zucchetti Digital Solutions – Ifin Sistemi customer service: Monday–Friday 09:00–13:00 and 14:00–18:00",
        hours: [(9 * 60, 13 * 60), (14 * 60, 18 * 60)])

    public static let calendars: [BusinessCalendar] = [interzenSupport, interzenOffice, zucchettiService]

    public static let policies: [SLAPolicy] = [
        policy(name: "interzen", calendar: "interzen-support", secondClock: .resolution, targets: [
            SLATarget(priority: 1, severity: "Blocking", chargeTaking: .hours(1), second: .workingDays(1)),
            SLATarget(priority: 2, severity: "High", chargeTaking: .hours(4), second: .workingDays(2)),
            SLATarget(priority: 3, severity: "Medium", chargeTaking: .hours(8), second: .workingDays(5)),
            SLATarget(priority: 4, severity: "Low", chargeTaking: .hours(16), second: .workingDays(30)),
        ]),
        policy(name: "zucchetti-preservation", calendar: "zucchetti-service", secondClock: .firstAid, targets: [
            SLATarget(priority: 1, severity: "Service malfunction", chargeTaking: .workingDays(1), second: .workingDays(2)),
        ]),
        policy(name: "grammelot-preservation", calendar: "interzen-support", secondClock: .resolution, targets: [
            SLATarget(priority: 1, severity: "Blocking", chargeTaking: .workingDays(1), second: .workingDays(15)),
            SLATarget(priority: 2, severity: "High", chargeTaking: .workingDays(7), second: .workingDays(30)),
            SLATarget(priority: 3, severity: "Medium", chargeTaking: .workingDays(7), second: .workingDays(90)),
            SLATarget(priority: 4, severity: "Low", chargeTaking: .workingDays(7), second: .workingDays(180)),
        ]),
    ]

    /// Product code, display name, SLA policy name.
    public static let products: [(code: String, name: String, policy: String)] = [
        ("zenshare-up", "ZenShare UP", "interzen"),
        ("zenshare-suite", "ZenShare Suite", "interzen"),
        ("zen-einvoice", "Zen E-Invoice Services", "interzen"),
        ("preservation-zucchetti", "Digital Preservation – Zucchetti Digital Solutions (Ifin Sistemi)", "zucchetti-preservation"),
        ("preservation-grammelot", "Digital Preservation – Grammelot", "grammelot-preservation"),
    ]

    public static func calendar(named name: String) -> BusinessCalendar? {
        calendars.first { $0.name == name }
    }

    public static func policy(named name: String) -> SLAPolicy? {
        policies.first { $0.name == name }
    }

    // The seed data is constant: a failure here is a programming error, caught by the tests.

    private static func calendar(name: String, description: String, hours: [(Int, Int)]) -> BusinessCalendar {
        let intervals = hours.compactMap { WorkingInterval(start: $0.0, end: $0.1) }
        precondition(intervals.count == hours.count, "seed calendar \(name): invalid interval")
        let weekly = Dictionary(uniqueKeysWithValues: [Weekday.mon, .tue, .wed, .thu, .fri].map { ($0, intervals) })
        do {
            return try BusinessCalendar(name: name, timeZoneIdentifier: "Europe/Rome", description: description, weekly: weekly)
        } catch {
            preconditionFailure("seed calendar \(name): \(error)")
        }
    }

    private static func policy(name: String, calendar: String, secondClock: SecondClock, targets: [SLATarget]) -> SLAPolicy {
        do {
            return try SLAPolicy(name: name, calendar: calendar, secondClock: secondClock, targets: targets)
        } catch {
            preconditionFailure("seed policy \(name): \(error)")
        }
    }
}
