import Foundation

// Support packages, tasks and worklogs: the hours a customer bought, how an accepted quote
// reserves them, how logged work consumes them, and what a closed ticket gives back. Pure
// functions over the current rows; the service reads them and writes the results in the same
// transaction (so two acceptances racing for the last hours see each other's reservation).
//
// Every quantity is whole minutes. For a package,
//     available = bought − reserved − consumed
// and no function here ever lets `available`, `reserved` or a task's reservation go below zero.
//
// Decisions where the product description is silent:
// - An estimate is **not split** across packages: it is reserved whole in the first package,
//   oldest first (by `startsOn`, then id), whose available minutes cover it. A task then draws
//   on one package only, and the statement shows each task under one package.
// - A package may be reserved and consumed from the day it is ordered, even when `startsOn` is
//   later (tickets waiting for it proceed in the order's transaction); it is valid through
//   `endsOn` inclusive and `expired` from the next day. An expired package takes no new
//   reservation and no work beyond what is already reserved in it; work already reserved may
//   still be logged (the customer paid for it when the quote was accepted).
// - Waiting tickets proceed strictly oldest first: the first one the balance cannot cover
//   stops the queue, so a large old request is not overtaken forever by small new ones.

/// A package's status on a given day (derived, never stored).
public enum PackageStatus: String, CaseIterable, Codable, Sendable {
    /// Within its validity with minutes not yet consumed.
    case active
    /// Past `endsOn`.
    case expired
    /// Every bought minute has been consumed.
    case exhausted
}

/// A support package: hours bought by a customer, and what is reserved and consumed of them.
public struct SupportPackage: Hashable, Sendable, Codable {
    public var id: Int64
    public var customer: Int64
    public var boughtMinutes: Int
    /// What the customer pays for the package (VAT excluded).
    public var price: Money
    public var startsOn: LocalDate
    /// Last day of validity, inclusive; nil: no end.
    public var endsOn: LocalDate?
    /// Minutes set aside for open tasks and not yet consumed.
    public var reservedMinutes: Int
    /// Minutes of work logged against the package.
    public var consumedMinutes: Int

    public init(id: Int64, customer: Int64, boughtMinutes: Int, price: Money, startsOn: LocalDate,
                endsOn: LocalDate? = nil, reservedMinutes: Int = 0, consumedMinutes: Int = 0) {
        self.id = id
        self.customer = customer
        self.boughtMinutes = boughtMinutes
        self.price = price
        self.startsOn = startsOn
        self.endsOn = endsOn
        self.reservedMinutes = reservedMinutes
        self.consumedMinutes = consumedMinutes
    }

    /// bought − reserved − consumed: what a new estimate, or work beyond a task's reservation,
    /// may still use.
    public var availableMinutes: Int { boughtMinutes - reservedMinutes - consumedMinutes }

    /// `expired` after `endsOn`; else `exhausted` when everything bought is consumed; else `active`.
    public func status(on date: LocalDate) -> PackageStatus {
        if let endsOn, endsOn < date { return .expired }
        if consumedMinutes >= boughtMinutes { return .exhausted }
        return .active
    }

    /// The last day of a package bought from an offer of `months` months starting on `start`:
    /// the day before the same date `months` months later (or before the 1st of the following
    /// month when that date does not exist). 2027-01-01 + 12 months → 2027-12-31;
    /// 2027-01-31 + 1 month → 2027-02-28.
    public static func endDate(startingOn start: LocalDate, months: Int) -> LocalDate {
        let index = start.year * 12 + (start.month - 1) + months
        let year = index / 12
        let month = index % 12 + 1
        let next = LocalDate(year: year, month: month, day: start.day)
            ?? LocalDate(year: month == 12 ? year + 1 : year, month: month % 12 + 1, day: 1)!
        return next.adding(days: -1)
    }
}

/// A package order before it is stored (`package.order`).
public struct PackageOrder: Hashable, Sendable {
    public var customer: Int64
    /// Whole minutes bought (the wire's `hours` × 60).
    public var boughtMinutes: Int
    public var price: Money
    public var startsOn: LocalDate
    public var endsOn: LocalDate?

    public init(customer: Int64, boughtMinutes: Int, price: Money, startsOn: LocalDate, endsOn: LocalDate? = nil) {
        self.customer = customer
        self.boughtMinutes = boughtMinutes
        self.price = price
        self.startsOn = startsOn
        self.endsOn = endsOn
    }

    /// The order of one of the price list's offers: its hours and price, valid `validityMonths`
    /// from `startsOn` (``SupportPackage/endDate(startingOn:months:)``).
    public init(customer: Int64, offer: PackageOffer, startsOn: LocalDate) {
        self.init(customer: customer, boughtMinutes: offer.hours * 60, price: offer.price, startsOn: startsOn,
                  endsOn: SupportPackage.endDate(startingOn: startsOn, months: offer.validityMonths))
    }

    /// The order if sound, else the first problem as (params field, reason) for -32602:
    /// 1 minute to 10,000 hours, a price above zero, `endsOn` not before `startsOn`.
    public func validate() -> Result<PackageOrder, PriceListError> {
        if boughtMinutes <= 0 || boughtMinutes > BillableMinutesRule.maximumMinutes {
            return .failure(PriceListError(field: "hours", reason: "must be more than 0 and at most 10000 hours"))
        }
        if price.cents <= 0 {
            return .failure(PriceListError(field: "price", reason: "must be more than 0.00"))
        }
        if let endsOn, endsOn < startsOn {
            return .failure(PriceListError(field: "endsOn", reason: "must not be before startsOn (\(startsOn.iso))"))
        }
        return .success(self)
    }

    /// The stored package, with its id and nothing reserved or consumed.
    public func package(id: Int64) -> SupportPackage {
        SupportPackage(id: id, customer: customer, boughtMinutes: boughtMinutes, price: price,
                       startsOn: startsOn, endsOn: endsOn)
    }
}

/// A task: the work of an accepted quote, drawing on one package.
public struct WorkTask: Hashable, Sendable, Codable {
    public var id: Int64
    public var ticket: Int64
    public var package: Int64
    public var quote: Int64
    /// The quote's estimate, as reserved when the task opened.
    public var estimateMinutes: Int
    /// What is still reserved for the task in its package (estimate minus the work logged
    /// against the reservation; zero once the task is closed).
    public var reservedMinutes: Int
    /// All the work logged on the task.
    public var loggedMinutes: Int
    /// The day the ticket was closed; nil while open.
    public var closedOn: LocalDate?

    public init(id: Int64, ticket: Int64, package: Int64, quote: Int64, estimateMinutes: Int,
                reservedMinutes: Int, loggedMinutes: Int = 0, closedOn: LocalDate? = nil) {
        self.id = id
        self.ticket = ticket
        self.package = package
        self.quote = quote
        self.estimateMinutes = estimateMinutes
        self.reservedMinutes = reservedMinutes
        self.loggedMinutes = loggedMinutes
        self.closedOn = closedOn
    }
}

/// Work logged on a task.
public struct Worklog: Hashable, Sendable, Codable {
    public var task: Int64
    public var minutes: Int
    /// The day the work was done (the customer's calendar).
    public var on: LocalDate

    public init(task: Int64, minutes: Int, on: LocalDate) {
        self.task = task
        self.minutes = minutes
        self.on = on
    }
}

/// What an estimate finds in the customer's packages.
public enum PackageCoverage: Hashable, Sendable {
    /// Reserve the estimate in this package.
    case covered(package: Int64)
    /// No active package has enough available minutes: send the offer form.
    case notCovered(PackageShortfall)
}

/// What is missing to cover an estimate: "servono 6 ore, ne restano 2".
public struct PackageShortfall: Hashable, Sendable {
    /// The estimate.
    public var neededMinutes: Int
    /// The most available minutes of any single active package (0 without one).
    public var bestAvailableMinutes: Int
    /// Whether the customer has any active package at all.
    public var hasActivePackage: Bool

    public init(neededMinutes: Int, bestAvailableMinutes: Int, hasActivePackage: Bool) {
        self.neededMinutes = neededMinutes
        self.bestAvailableMinutes = bestAvailableMinutes
        self.hasActivePackage = hasActivePackage
    }

    /// needed − best available: the smallest top-up that would cover the estimate.
    public var missingMinutes: Int { neededMinutes - bestAvailableMinutes }
}

/// A ticket in `awaitingPackage`, with what its accepted quote needs.
public struct WaitingTicket: Hashable, Sendable {
    public var ticket: Int64
    public var quote: Int64
    public var estimateMinutes: Int
    /// When it started waiting (the quote's acceptance): the queue's order, oldest first;
    /// ties by ticket id.
    public var waitingSince: Date

    public init(ticket: Int64, quote: Int64, estimateMinutes: Int, waitingSince: Date) {
        self.ticket = ticket
        self.quote = quote
        self.estimateMinutes = estimateMinutes
        self.waitingSince = waitingSince
    }
}

/// A waiting ticket that can now proceed: open a task reserving its estimate in `package`.
public struct Proceeding: Hashable, Sendable {
    public var ticket: Int64
    public var quote: Int64
    public var package: Int64
    public var reservedMinutes: Int

    public init(ticket: Int64, quote: Int64, package: Int64, reservedMinutes: Int) {
        self.ticket = ticket
        self.quote = quote
        self.package = package
        self.reservedMinutes = reservedMinutes
    }
}

/// Why work could not be logged.
public enum WorklogError: Error, Hashable, Sendable {
    /// Not a positive number of minutes. JSON-RPC: -32602 on `duration`.
    case invalidMinutes(Int)
    /// The task's ticket is closed. JSON-RPC: -32005.
    case taskClosed
    /// The task's reservation plus the package's free minutes do not cover the work: a new
    /// package is needed. `availableMinutes` is the most that could be logged now.
    /// JSON-RPC: -32006 with `{"reason": …, "available": …}`.
    case exceedsBalance(availableMinutes: Int)

    public var reason: String {
        switch self {
        case .invalidMinutes(let minutes): "must be more than 0 minutes, got \(minutes)"
        case .taskClosed: "the task's ticket is closed"
        case .exceedsBalance(let available):
            "the support package cannot cover this work: \(available) minutes are available; a new package is needed"
        }
    }
}

/// Reservation, consumption and release of package minutes.
public enum PackageLedger {
    /// The customer's packages a new estimate may be reserved in on `today`, oldest first
    /// (`startsOn`, then id): the `active` ones.
    public static func candidates(_ packages: [SupportPackage], today: LocalDate) -> [SupportPackage] {
        packages
            .filter { $0.status(on: today) == .active }
            .sorted { ($0.startsOn, $0.id) < ($1.startsOn, $1.id) }
    }

    /// Where an accepted quote's estimate goes: the first candidate whose available minutes
    /// cover it whole (no split), else the shortfall for the offer form.
    public static func cover(estimateMinutes: Int, packages: [SupportPackage], today: LocalDate) -> PackageCoverage {
        let active = candidates(packages, today: today)
        if let package = active.first(where: { $0.availableMinutes >= estimateMinutes }) {
            return .covered(package: package.id)
        }
        return .notCovered(PackageShortfall(
            neededMinutes: estimateMinutes,
            bestAvailableMinutes: max(0, active.map(\.availableMinutes).max() ?? 0),
            hasActivePackage: !active.isEmpty))
    }

    /// `package` with `minutes` more reserved. The caller has checked coverage
    /// (``cover(estimateMinutes:packages:today:)``); over-reserving is a programming error.
    public static func reserve(_ minutes: Int, in package: SupportPackage) -> SupportPackage {
        precondition(minutes > 0 && minutes <= package.availableMinutes, "reserving beyond the available minutes")
        var next = package
        next.reservedMinutes += minutes
        return next
    }

    /// After a package order: the waiting tickets that proceed, oldest first, as far as the
    /// packages' balances cover them (stopping at the first that does not fit), each reserved
    /// as ``cover(estimateMinutes:packages:today:)`` would; the packages with those
    /// reservations; and the tickets still waiting, oldest first.
    public static func proceedWaiting(
        _ waiting: [WaitingTicket], packages: [SupportPackage], today: LocalDate
    ) -> (proceeding: [Proceeding], packages: [SupportPackage], stillWaiting: [WaitingTicket]) {
        let queue = waiting.sorted { ($0.waitingSince, $0.ticket) < ($1.waitingSince, $1.ticket) }
        var packages = packages
        var proceeding: [Proceeding] = []
        for (index, ticket) in queue.enumerated() {
            guard case .covered(let id) = cover(estimateMinutes: ticket.estimateMinutes, packages: packages, today: today),
                  let slot = packages.firstIndex(where: { $0.id == id }) else {
                return (proceeding, packages, Array(queue[index...]))
            }
            packages[slot] = reserve(ticket.estimateMinutes, in: packages[slot])
            proceeding.append(Proceeding(ticket: ticket.ticket, quote: ticket.quote, package: id,
                                         reservedMinutes: ticket.estimateMinutes))
        }
        return (proceeding, packages, [])
    }

    /// `minutes` of work done `on` a day, logged on `task` (whose package is `package`):
    /// consumed first from the task's reservation, then from the package's available minutes
    /// (only while the package has not expired on that day). Never lets a balance go negative:
    /// beyond that, ``WorklogError/exceedsBalance(availableMinutes:)``.
    public static func logWork(
        _ minutes: Int, task: WorkTask, package: SupportPackage, on date: LocalDate
    ) -> Result<(task: WorkTask, package: SupportPackage), WorklogError> {
        precondition(task.package == package.id, "the task draws on another package")
        guard minutes > 0 else { return .failure(.invalidMinutes(minutes)) }
        guard task.closedOn == nil else { return .failure(.taskClosed) }
        let free = package.status(on: date) == .expired ? 0 : max(0, package.availableMinutes)
        let available = task.reservedMinutes + free
        guard minutes <= available else { return .failure(.exceedsBalance(availableMinutes: available)) }
        let fromReservation = min(minutes, task.reservedMinutes)
        var nextTask = task
        var nextPackage = package
        nextTask.reservedMinutes -= fromReservation
        nextTask.loggedMinutes += minutes
        nextPackage.reservedMinutes -= fromReservation
        nextPackage.consumedMinutes += minutes
        return .success((nextTask, nextPackage))
    }

    /// The task closed `on` a day (its ticket was closed): what remains reserved goes back to
    /// the package's available minutes.
    public static func close(_ task: WorkTask, package: SupportPackage, on date: LocalDate) -> (task: WorkTask, package: SupportPackage) {
        precondition(task.package == package.id, "the task draws on another package")
        var nextTask = task
        var nextPackage = package
        nextPackage.reservedMinutes -= task.reservedMinutes
        nextTask.reservedMinutes = 0
        if nextTask.closedOn == nil { nextTask.closedOn = date }
        return (nextTask, nextPackage)
    }
}
