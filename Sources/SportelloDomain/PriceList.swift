// The price list of paid work (quotes, support packages): the default hourly rate, how work is
// measured (a minimum and a step in minutes) and the support packages the offer form proposes.
// Pure values and checks; the service stores one list and answers `priceList.get`/`set`.

/// How estimates and worklogs are measured: whole minutes, at least ``minimumMinutes``, in
/// multiples of ``stepMinutes``, at most ``maximumMinutes`` (10,000 hours).
public struct BillableMinutesRule: Hashable, Sendable, Codable {
    /// The smallest estimate or worklog; 15 by default.
    public var minimumMinutes: Int
    /// Every estimate and worklog is a multiple of this; 15 by default.
    public var stepMinutes: Int

    /// 10,000 hours: the largest estimate or worklog.
    public static let maximumMinutes = 600_000

    /// 15 minutes, in steps of 15 minutes.
    public static let standard = BillableMinutesRule(minimumMinutes: 15, stepMinutes: 15)

    public init(minimumMinutes: Int = 15, stepMinutes: Int = 15) {
        self.minimumMinutes = minimumMinutes
        self.stepMinutes = stepMinutes
    }

    /// `minutes` if it obeys the rule, else the first rule it breaks, checked in this order:
    /// positive, at least the minimum, a multiple of the step, at most 10,000 hours.
    public func check(minutes: Int) -> Result<Int, BillableMinutesError> {
        if minutes <= 0 { return .failure(.notPositive) }
        if minutes < minimumMinutes { return .failure(.belowMinimum(minimumMinutes: minimumMinutes)) }
        if minutes % stepMinutes != 0 { return .failure(.notAMultipleOfStep(stepMinutes: stepMinutes)) }
        if minutes > Self.maximumMinutes { return .failure(.aboveMaximum(maximumMinutes: Self.maximumMinutes)) }
        return .success(minutes)
    }

    /// The wire duration (`{"minutes": 390}`, `{"hours": 6.5}`) as whole minutes checked
    /// against the rule. Working days are refused: their length depends on a calendar.
    public func check(_ duration: WorkingDuration) -> Result<Int, BillableMinutesError> {
        let minutes: Double
        switch duration {
        case .minutes(let n): minutes = n
        case .hours(let n): minutes = n * 60
        case .workingDays: return .failure(.workingDaysNotAccepted)
        }
        guard minutes.isFinite, let whole = WorkingDuration.whole(minutes) else {
            return .failure(.notWholeMinutes)
        }
        guard whole > 0 else { return .failure(.notPositive) }
        guard whole <= Double(Self.maximumMinutes) else {
            return .failure(.aboveMaximum(maximumMinutes: Self.maximumMinutes))
        }
        return check(minutes: Int(whole))
    }
}

/// Which rule an estimate or worklog breaks; ``reason`` is the sentence for `error.data.reason`
/// (the service answers -32602 naming the field, e.g. `estimate` or `duration`).
public enum BillableMinutesError: Error, Hashable, Sendable {
    case notPositive
    case notWholeMinutes
    case workingDaysNotAccepted
    case belowMinimum(minimumMinutes: Int)
    case notAMultipleOfStep(stepMinutes: Int)
    case aboveMaximum(maximumMinutes: Int)

    public var reason: String {
        switch self {
        case .notPositive: "must be more than 0 minutes"
        case .notWholeMinutes: "must be a whole number of minutes"
        case .workingDaysNotAccepted: "give minutes or hours, not working days"
        case .belowMinimum(let minimum): "must be at least \(minimum) minutes"
        case .notAMultipleOfStep(let step): "must be a multiple of \(step) minutes"
        case .aboveMaximum(let maximum): "must be at most \(maximum / 60) hours"
        }
    }
}

/// A support package the offer form proposes and a contact may order by name.
public struct PackageOffer: Hashable, Sendable, Codable {
    /// Unique in the list, e.g. "Pacchetto 20 ore".
    public var name: String
    /// Hours bought, a whole number 1...10,000.
    public var hours: Int
    /// Price of the whole package (VAT excluded).
    public var price: Money
    /// How long the package lasts from its start, 1...60 months.
    public var validityMonths: Int

    public init(name: String, hours: Int, price: Money, validityMonths: Int) {
        self.name = name
        self.hours = hours
        self.price = price
        self.validityMonths = validityMonths
    }
}

/// The vendor's price list: the default hourly rate, the measuring rule and the package offers.
public struct PriceList: Hashable, Sendable, Codable {
    /// The rate of a quote when neither the quote nor the customer's contract names one.
    public var hourlyRate: Money
    public var minutes: BillableMinutesRule
    /// In the order the offer form lists them.
    public var packageOffers: [PackageOffer]

    public init(hourlyRate: Money, minutes: BillableMinutesRule = .standard, packageOffers: [PackageOffer] = []) {
        self.hourlyRate = hourlyRate
        self.minutes = minutes
        self.packageOffers = packageOffers
    }

    /// Bounds `validate` enforces.
    public static let minimumMinutesRange = 1...480
    public static let stepMinutesRange = 1...60
    public static let offerHoursRange = 1...10_000
    public static let validityMonthsRange = 1...60
    public static let maximumOffers = 20
    public static let maximumOfferNameLength = 80

    /// The list if it is sound, else the first problem with the params path of the field:
    /// the rate is more than zero; the minimum is 1...480 minutes and a multiple of the step
    /// (1...60 minutes); at most 20 offers, each with a non-blank name (≤ 80 characters)
    /// unique ignoring case and surrounding spaces, hours 1...10,000, a price more than zero
    /// and a validity of 1...60 months.
    public func validate() -> Result<PriceList, PriceListError> {
        if hourlyRate.cents <= 0 {
            return .failure(PriceListError(field: "hourlyRate", reason: "must be more than 0.00"))
        }
        if !Self.stepMinutesRange.contains(minutes.stepMinutes) {
            return .failure(PriceListError(field: "stepMinutes", reason: "must be 1 to 60 minutes"))
        }
        if !Self.minimumMinutesRange.contains(minutes.minimumMinutes) {
            return .failure(PriceListError(field: "minimumMinutes", reason: "must be 1 to 480 minutes"))
        }
        if minutes.minimumMinutes % minutes.stepMinutes != 0 {
            return .failure(PriceListError(
                field: "minimumMinutes", reason: "must be a multiple of the step (\(minutes.stepMinutes) minutes)"))
        }
        if packageOffers.count > Self.maximumOffers {
            return .failure(PriceListError(field: "packageOffers", reason: "at most \(Self.maximumOffers) offers"))
        }
        var seen = Set<String>()
        for (index, offer) in packageOffers.enumerated() {
            let at = "packageOffers[\(index)]"
            let name = PriceList.trimmed(offer.name)
            if name.isEmpty {
                return .failure(PriceListError(field: "\(at).name", reason: "must not be blank"))
            }
            if name.count > Self.maximumOfferNameLength {
                return .failure(PriceListError(field: "\(at).name", reason: "at most \(Self.maximumOfferNameLength) characters"))
            }
            if !seen.insert(name.lowercased()).inserted {
                return .failure(PriceListError(field: "\(at).name", reason: "\"\(name)\" is offered twice"))
            }
            if !Self.offerHoursRange.contains(offer.hours) {
                return .failure(PriceListError(field: "\(at).hours", reason: "must be 1 to 10000 hours"))
            }
            if offer.price.cents <= 0 {
                return .failure(PriceListError(field: "\(at).price", reason: "must be more than 0.00"))
            }
            if !Self.validityMonthsRange.contains(offer.validityMonths) {
                return .failure(PriceListError(field: "\(at).validityMonths", reason: "must be 1 to 60 months"))
            }
        }
        return .success(self)
    }

    /// The offer a contact orders by name (ignoring case and surrounding spaces), or nil.
    public func offer(named name: String) -> PackageOffer? {
        let wanted = PriceList.trimmed(name).lowercased()
        return packageOffers.first { PriceList.trimmed($0.name).lowercased() == wanted }
    }

    /// The rate of a quote: the one given for the quote, else the customer's contract rate,
    /// else this list's rate; with where it came from.
    public func resolveRate(quoteRate: Money?, contractRate: Money?) -> (rate: Money, source: RateSource) {
        if let quoteRate { return (quoteRate, .quote) }
        if let contractRate { return (contractRate, .contract) }
        return (hourlyRate, .priceList)
    }

    private static func trimmed(_ text: String) -> String {
        String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}

/// Where a quote's hourly rate came from.
public enum RateSource: String, Hashable, Sendable, Codable {
    /// Given explicitly when creating or updating the quote.
    case quote
    /// The customer's contract rate (`customer.setContractRate`).
    case contract
    /// The price list's default rate.
    case priceList
}

/// A price list problem: the params path of the field (under `params.`) and why.
/// The service answers -32602.
public struct PriceListError: Error, Hashable, Sendable {
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }
}
