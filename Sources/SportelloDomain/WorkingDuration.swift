import Foundation

/// An amount of working time, as the SLA tables state it.
///
/// `minutes` and `hours` are plain working time; `workingDays` is measured in units of the
/// calendar's ``BusinessCalendar/workingDayMinutes`` (10.5 h on `interzen-support`, 8 h on
/// `zucchetti-service`), so "1 working day" from Thursday 10:15 on `interzen-support` is due on
/// Friday 10:15 whatever the shape of the days in between.
///
/// Encoded as docs/product.md §10–11 durations: `{"minutes": n}`, `{"hours": n}` or `{"workingDays": n}`.
/// Decoding rejects negative, non-finite and multi-key values, and minutes or hours that do not
/// come to a whole number of minutes (`{"hours": 1.5}` is 90 minutes; `{"minutes": 1.5}` and
/// `{"hours": 0.01}` are refused). Working days come to whole minutes or not depending on the
/// calendar's working day, so ``BusinessCalendar/add(_:to:)`` checks them.
public enum WorkingDuration: Sendable, Hashable {
    case minutes(Double)
    case hours(Double)
    case workingDays(Double)

    /// The number in the case, whatever the unit.
    public var amount: Double {
        switch self {
        case .minutes(let n), .hours(let n), .workingDays(let n): n
        }
    }

    /// Working seconds this duration stands for on `calendar`.
    public func seconds(on calendar: BusinessCalendar) -> Double {
        switch self {
        case .minutes(let n): n * 60
        case .hours(let n): n * 3600
        case .workingDays(let n): n * Double(calendar.workingDayMinutes) * 60
        }
    }

    /// Whether the amount is finite and not negative (what ``BusinessCalendar/add(_:to:)`` accepts).
    public var isValid: Bool { amount.isFinite && amount >= 0 }

    /// The working minutes this duration stands for on `calendar` if they are a whole number,
    /// else nil. An amount within a billionth of a whole minute counts as that minute: decimal
    /// amounts such as `{"hours": 0.1}` (6 minutes) are not exact in binary floating point.
    public func wholeMinutes(on calendar: BusinessCalendar) -> Double? {
        Self.whole(seconds(on: calendar) / 60)
    }

    static func whole(_ minutes: Double) -> Double? {
        let rounded = minutes.rounded()
        return abs(minutes - rounded) <= 1e-9 * max(1, abs(minutes)) ? rounded : nil
    }

    /// The params key of the unit: `minutes`, `hours`, `workingDays`.
    public var unitName: String {
        switch self {
        case .minutes: "minutes"
        case .hours: "hours"
        case .workingDays: "workingDays"
        }
    }
}

extension WorkingDuration: Codable {
    private enum Unit: String, CodingKey, CaseIterable {
        case minutes, hours, workingDays
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Unit.self)
        let present = Unit.allCases.filter { container.contains($0) }
        guard present.count == 1, let unit = present.first else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "a duration is an object with exactly one of minutes, hours, workingDays"))
        }
        let n = try container.decode(Double.self, forKey: unit)
        guard n.isFinite, n >= 0 else {
            throw DecodingError.dataCorruptedError(
                forKey: unit, in: container, debugDescription: "a duration must be a finite number ≥ 0")
        }
        switch unit {
        case .minutes: self = .minutes(n)
        case .hours: self = .hours(n)
        case .workingDays: self = .workingDays(n)
        }
        if unit != .workingDays, Self.whole(unit == .minutes ? n : n * 60) == nil {
            throw DecodingError.dataCorruptedError(
                forKey: unit, in: container,
                debugDescription: "a duration must come to a whole number of minutes; \(self) does not")
        }
    }

    /// A whole amount is written as an integer (`{"hours": 4}`, not `{"hours": 4.0}`) whatever
    /// the encoder does with whole doubles.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Unit.self)
        let unit = Unit(rawValue: unitName)!
        let n = amount
        if n == n.rounded(), abs(n) < 9e15 {
            try container.encode(Int64(n), forKey: unit)
        } else {
            try container.encode(n, forKey: unit)
        }
    }
}

extension WorkingDuration: CustomStringConvertible {
    public var description: String {
        let n = amount
        let text = n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(n)
        switch self {
        case .minutes: return "\(text) working minute" + (n == 1 ? "" : "s")
        case .hours: return "\(text) working hour" + (n == 1 ? "" : "s")
        case .workingDays: return "\(text) working day" + (n == 1 ? "" : "s")
        }
    }
}
