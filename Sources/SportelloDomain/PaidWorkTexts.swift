// Words for the paid-work notifications (quote, offer form, closure with hours worked): money,
// hours and dates as a customer reads them in Italian and English, and the builders that put
// a quote, a shortfall or the hours worked into a `NotificationContext` for the templates of
// Notifications.swift.
//
// Formats (decisions):
// - Money: "1.275,00 €" in Italian, "€1,275.00" in English (``Money/display(in:)``); every
//   amount is VAT excluded and the templates say so ("IVA esclusa" / "VAT excluded").
// - Hours: "6 ore", "1 ora", "6 ore e 30 minuti", "45 minuti"; "6 hours", "1 hour",
//   "6 hours 30 minutes", "45 minutes".
// - Dates: "15 gennaio 2027", "1° marzo 2027" (Italian writes the first of the month as an
//   ordinal); "15 January 2027", "1 March 2027".

/// Customer-facing words for amounts of work, dates and package offers.
public enum PaidWorkText {
    private static let italianMonths = ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio",
                                        "agosto", "settembre", "ottobre", "novembre", "dicembre"]
    private static let englishMonths = ["January", "February", "March", "April", "May", "June", "July",
                                        "August", "September", "October", "November", "December"]

    /// "15 gennaio 2027" / "15 January 2027"; the first of the month is "1° marzo 2027" in Italian.
    public static func date(_ date: LocalDate, in language: Language) -> String {
        switch language {
        case .it: "\(date.day == 1 ? "1°" : String(date.day)) \(italianMonths[date.month - 1]) \(date.year)"
        case .en: "\(date.day) \(englishMonths[date.month - 1]) \(date.year)"
        }
    }

    /// An amount of work: "6 ore e 30 minuti" / "6 hours 30 minutes"; "0 ore" / "0 hours".
    public static func hours(minutes: Int, in language: Language) -> String {
        let h = minutes / 60
        let m = minutes % 60
        let hourPart: String
        let minutePart: String
        switch language {
        case .it:
            hourPart = h == 1 ? "1 ora" : "\(h) ore"
            minutePart = m == 1 ? "1 minuto" : "\(m) minuti"
        case .en:
            hourPart = h == 1 ? "1 hour" : "\(h) hours"
            minutePart = m == 1 ? "1 minute" : "\(m) minutes"
        }
        if m == 0 { return hourPart }
        if h == 0 { return minutePart }
        return language == .it ? "\(hourPart) e \(minutePart)" : "\(hourPart) \(minutePart)"
    }

    /// What the offer form says is missing: "servono 6 ore, ne restano 2" /
    /// "6 hours are needed, 2 remain". The remainder is the most any one active package has
    /// left; in whole hours it is a bare number ("ne resta 1", "non ne resta nessuna";
    /// "1 remains", "none remain"), otherwise it is spelled out ("ne restano 1 ora e 30 minuti").
    public static func shortfall(_ shortfall: PackageShortfall, in language: Language) -> String {
        let needed = shortfall.neededMinutes
        let left = shortfall.bestAvailableMinutes
        let neededText = hours(minutes: needed, in: language)
        let leftWhole = left % 60 == 0 ? left / 60 : nil
        switch language {
        case .it:
            let verb = needed == 60 ? "serve" : "servono"
            let rest: String
            switch leftWhole {
            case 0?: rest = "non ne resta nessuna"
            case 1?: rest = "ne resta 1"
            case let n?: rest = "ne restano \(n)"
            case nil: rest = "ne restano \(hours(minutes: left, in: language))"
            }
            return "\(verb) \(neededText), \(rest)"
        case .en:
            let verb = needed == 60 ? "is" : "are"
            let rest: String
            switch leftWhole {
            case 0?: rest = "none remain"
            case 1?: rest = "1 remains"
            case let n?: rest = "\(n) remain"
            case nil: rest = "\(hours(minutes: left, in: language)) remain"
            }
            return "\(neededText) \(verb) needed, \(rest)"
        }
    }

    /// One line of the offer form: "Pacchetto 20: 20 ore, 1.500,00 €, valido 12 mesi" /
    /// "Package 20: 20 hours, €1,500.00, valid for 12 months" (prices VAT excluded, said once
    /// above the list).
    public static func offer(_ offer: PackageOffer, in language: Language) -> String {
        let hoursText = hours(minutes: offer.hours * 60, in: language)
        let price = offer.price.display(in: language)
        let months = offer.validityMonths
        switch language {
        case .it: return "\(offer.name): \(hoursText), \(price), valido \(months) \(months == 1 ? "mese" : "mesi")"
        case .en: return "\(offer.name): \(hoursText), \(price), valid for \(months) \(months == 1 ? "month" : "months")"
        }
    }
}

extension NotificationContext {
    /// The context with a sent quote's figures, formatted for `language`: estimate, rate,
    /// amount, last day of validity, the optional reference, and the description as the
    /// message (unless a message is already set).
    public func withQuote(_ quote: Quote, reference: String? = nil, language: Language) -> NotificationContext {
        var next = self
        next.extra[Key.estimatedHours] = PaidWorkText.hours(minutes: quote.estimateMinutes, in: language)
        next.extra[Key.hourlyRate] = quote.hourlyRate.display(in: language)
        next.extra[Key.amount] = quote.amount.display(in: language)
        next.extra[Key.validUntil] = PaidWorkText.date(quote.validUntil, in: language)
        if let reference { next.extra[Key.quoteReference] = reference }
        if next.message == nil { next.message = quote.description }
        return next
    }

    /// The context with what the offer form needs, formatted for `language`: the shortfall
    /// ("servono 6 ore, ne restano 2"), the hours needed and left, and the price list's offers
    /// in order.
    public func withOfferForm(_ shortfall: PackageShortfall, offers: [PackageOffer], language: Language) -> NotificationContext {
        var next = self
        next.extra[Key.shortfall] = PaidWorkText.shortfall(shortfall, in: language)
        next.extra[Key.estimatedHours] = PaidWorkText.hours(minutes: shortfall.neededMinutes, in: language)
        if shortfall.hasActivePackage {
            next.extra[Key.packageBalance] = PaidWorkText.hours(minutes: shortfall.bestAvailableMinutes, in: language)
        } else {
            next.extra[Key.packageBalance] = nil
        }
        next.items = offers.map { PaidWorkText.offer($0, in: language) }
        return next
    }

    /// The context of a closure with the hours worked on the ticket's task.
    public func withHoursWorked(minutes: Int, language: Language) -> NotificationContext {
        var next = self
        next.extra[Key.hoursWorked] = PaidWorkText.hours(minutes: minutes, in: language)
        return next
    }
}
