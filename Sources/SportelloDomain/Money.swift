// Money for quotes, price lists and support packages: never a floating-point number. The wire
// form is `{"amount": "1275.00", "currency": "EUR"}`; inside it is a whole number of cents.

/// The currencies Sportello bills in. Only euros for now: anything else on the wire is invalid
/// params (the service answers -32602 naming the `currency` field).
public enum Currency: String, CaseIterable, Codable, Sendable {
    case eur = "EUR"
}

/// An amount of money as whole cents of a currency.
///
/// Parsed from and formatted to the strict wire decimal `"1275.00"` (``init(wire:currency:)``,
/// ``wire``); shown to customers as `"1.275,00 €"` in Italian and `"€1,275.00"` in English
/// (``display(in:)``). Amounts are never negative: quotes, rates and package prices are all ≥ 0.
public struct Money: Hashable, Comparable, Sendable {
    /// Whole cents, `0...Money.maximumCents`.
    public let cents: Int64
    public let currency: Currency

    /// The largest amount the wire accepts: 999,999,999.99 (nine integer digits). Far above any
    /// quote or package price, and small enough that minutes × rate never overflows `Int64`.
    public static let maximumCents: Int64 = 99_999_999_999

    /// Zero euros.
    public static let zero = Money(uncheckedCents: 0)

    /// `cents` of `currency`; nil when negative or above ``maximumCents``.
    public init?(cents: Int64, currency: Currency = .eur) {
        guard cents >= 0, cents <= Money.maximumCents else { return nil }
        self.cents = cents
        self.currency = currency
    }

    init(uncheckedCents cents: Int64, currency: Currency = .eur) {
        self.cents = cents
        self.currency = currency
    }

    /// Parses the wire decimal: one or more digits (no leading zero unless the integer part is
    /// exactly `0`, at most nine), a dot, exactly two digits. No sign, exponent, spaces,
    /// grouping, currency symbol or code. `"1275.00"` and `"0.50"` parse; `"12.345"`, `"12.5"`,
    /// `"-5.00"`, `"+5.00"`, `"EUR 12"`, `"007.00"`, `""` do not.
    public init(wire text: String, currency: Currency = .eur) throws(MoneyParseError) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw .empty }
        guard let dot = bytes.firstIndex(of: UInt8(ascii: ".")) else {
            throw bytes.allSatisfy(Money.isDigit) ? .missingDecimals : .notADecimal
        }
        let whole = bytes[..<dot]
        let fraction = bytes[(dot + 1)...]
        guard !whole.isEmpty, whole.allSatisfy(Money.isDigit) else {
            if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
                throw .signed
            }
            throw .notADecimal
        }
        guard fraction.allSatisfy(Money.isDigit) else { throw .notADecimal }
        guard fraction.count == 2 else { throw .wrongDecimalCount(fraction.count) }
        guard whole.count == 1 || whole.first != UInt8(ascii: "0") else { throw .leadingZero }
        guard whole.count <= 9 else { throw .tooLarge }
        var cents: Int64 = 0
        for digit in whole + fraction { cents = cents * 10 + Int64(digit - UInt8(ascii: "0")) }
        self.init(uncheckedCents: cents, currency: currency)
    }

    /// The wire decimal: `"1275.00"`, `"0.05"`. Parsing it gives back the same amount.
    public var wire: String {
        let units = cents / 100
        let rest = cents % 100
        return "\(units)." + (rest < 10 ? "0\(rest)" : "\(rest)")
    }

    /// The amount for `minutes` of work at this hourly rate, rounded to the cent half up.
    ///
    /// Integer arithmetic only: cents = (minutes × rate cents + 30) / 60, where adding half the
    /// divisor before the truncating division rounds a remainder of exactly half a cent up.
    /// May exceed ``maximumCents`` for absurd inputs; check ``isWithinWireBounds`` before use.
    public func forMinutes(_ minutes: Int) -> Money {
        precondition(minutes >= 0, "minutes must not be negative")
        // 600,000 minutes (10,000 h) × 99,999,999,999 cents < 6.1e16: far from Int64's 9.2e18.
        let product = Int64(minutes) * cents
        return Money(uncheckedCents: (product + 30) / 60, currency: currency)
    }

    /// Whether the amount can be written on the wire and parsed back (≤ ``maximumCents``).
    public var isWithinWireBounds: Bool { cents <= Money.maximumCents }

    /// This amount plus `other` (same currency).
    public static func + (lhs: Money, rhs: Money) -> Money {
        precondition(lhs.currency == rhs.currency, "adding different currencies")
        return Money(uncheckedCents: lhs.cents + rhs.cents, currency: lhs.currency)
    }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.cents < rhs.cents }

    /// For customers: `"1.275,00 €"` in Italian (dot thousands, comma decimals, symbol after a
    /// space, as Italian invoices write it) and `"€1,275.00"` in English (symbol first, comma
    /// thousands, dot decimals).
    public func display(in language: Language) -> String {
        let units = String(cents / 100)
        let rest = cents % 100
        let decimals = rest < 10 ? "0\(rest)" : "\(rest)"
        switch language {
        case .it: return Money.group(units, with: ".") + "," + decimals + " €"
        case .en: return "€" + Money.group(units, with: ",") + "." + decimals
        }
    }

    private static func group(_ digits: String, with separator: Character) -> String {
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(separator) }
            out.append(digit)
        }
        return out
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}

extension Money: CustomStringConvertible {
    /// `"1275.00 EUR"`: for logs and test failures.
    public var description: String { "\(wire) \(currency.rawValue)" }
}

/// Why a wire amount was refused; ``reason`` is the sentence for `error.data.reason`.
public enum MoneyParseError: Error, Hashable, Sendable {
    /// `""`.
    case empty
    /// Digits only, e.g. `"12"`: the two decimals are required.
    case missingDecimals
    /// Not the digits-dot-digits shape: letters, spaces, a currency, an exponent, a comma.
    case notADecimal
    /// A leading `-` or `+`: amounts are never negative and carry no sign.
    case signed
    /// Other than two digits after the dot (the count found).
    case wrongDecimalCount(Int)
    /// `"007.00"`: the integer part has a leading zero.
    case leadingZero
    /// More than nine integer digits (above 999999999.99).
    case tooLarge

    public var reason: String {
        switch self {
        case .empty:
            "an amount is a decimal string such as \"1275.00\"; got an empty string"
        case .missingDecimals:
            "an amount has exactly two decimals after a dot, such as \"1275.00\""
        case .notADecimal:
            "an amount is digits, a dot and two decimals, such as \"1275.00\": no spaces, currency, exponent or comma"
        case .signed:
            "an amount carries no sign and is never negative"
        case .wrongDecimalCount(let count):
            "an amount has exactly two decimals, got \(count)"
        case .leadingZero:
            "an amount has no leading zeros"
        case .tooLarge:
            "an amount is at most 999999999.99"
        }
    }
}

extension Money: Codable {
    private enum Field: String, CodingKey { case amount, currency }

    /// Decodes the wire object `{"amount": "1275.00", "currency": "EUR"}`: the amount must be a
    /// string in the strict form of ``init(wire:currency:)`` (a JSON number such as `12.5` is
    /// refused), the currency `"EUR"`. The error's debug description carries the reason.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Field.self)
        let code = try container.decode(String.self, forKey: .currency)
        guard let currency = Currency(rawValue: code) else {
            throw DecodingError.dataCorruptedError(
                forKey: .currency, in: container, debugDescription: "the only currency is EUR, got \"\(code)\"")
        }
        let text = try container.decode(String.self, forKey: .amount)
        do {
            try self.init(wire: text, currency: currency)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .amount, in: container, debugDescription: error.reason)
        }
    }

    /// Encodes `{"amount": "1275.00", "currency": "EUR"}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Field.self)
        try container.encode(wire, forKey: .amount)
        try container.encode(currency.rawValue, forKey: .currency)
    }
}
