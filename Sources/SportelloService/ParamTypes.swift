import Foundation
import JSONRPC
import SportelloDomain

/// An instant: RFC 3339 with any offset in params (anything else is -32602 naming the field),
/// in UTC with Z in results.
public struct Instant: Codable, Sendable, Hashable {
    public let date: Date

    public init(_ date: Date) { self.date = date }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = RFC3339.parse(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected an RFC 3339 instant such as 2026-12-04T18:00:00+01:00, got \"\(text)\"")
        }
        self.date = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(RFC3339.format(date))
    }
}

/// A date param that is either recurring (`MM-DD`) or one-off (`YYYY-MM-DD`).
public enum HolidayDate: Codable, Sendable, Hashable {
    case recurring(MonthDay)
    case once(LocalDate)

    public var text: String {
        switch self {
        case .recurring(let monthDay): monthDay.string
        case .once(let date): date.iso
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        if text.count == 5, let monthDay = MonthDay(string: text) {
            self = .recurring(monthDay)
        } else if text.count == 10, let date = LocalDate(iso: text) {
            self = .once(date)
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected MM-DD (every year) or YYYY-MM-DD (once) naming a real date, got \"\(text)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// A whole number as an integer, anything else as a double: `{"hours": 4}`, not `{"hours": 4.0}`.
func number(_ value: Double) -> JSONValue {
    if value == value.rounded(), abs(value) < 9e15 { return .int(Int64(value)) }
    return .double(value)
}

func instant(_ date: Date) -> JSONValue { .string(RFC3339.format(date)) }

/// Where a replay of live events starts (`events.subscribe {since}`): after a `sequence` an
/// event carried (with `ticket`, after a version of that ticket), or after an instant.
public enum EventsSince: Codable, Sendable, Hashable {
    case sequence(Int)
    case instant(Date)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            guard number >= 0 else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "a sequence is not negative, got \(number)")
            }
            self = .sequence(number)
        } else if let text = try? container.decode(String.self) {
            guard let date = RFC3339.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected a sequence (integer) or an RFC 3339 instant, got \"\(text)\"")
            }
            self = .instant(date)
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected a sequence (integer) or an RFC 3339 instant")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .sequence(let number): try container.encode(number)
        case .instant(let date): try container.encode(RFC3339.format(date))
        }
    }
}
