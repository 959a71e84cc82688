import Foundation
import GRDB
import SportelloDomain

// MARK: Records

/// The price list's single row. Money is cents; the offers are JSON text.
struct PriceListRecord: StoreRecord {
    static let databaseTableName = "price_list"
    var id: Int64 = 1
    var hourlyRate: Int64
    var currency: String
    var minimumMinutes: Int
    var stepMinutes: Int
    var packageOffers: String
    var updatedAt: Date
}

struct ContractRateRecord: StoreRecord {
    static let databaseTableName = "contract_rate"
    var customer: Int64
    var hourlyRate: Int64
    var currency: String
    var updatedAt: Date
}

/// A stored quote: the domain's `Quote` with its id and timestamps.
public struct QuoteRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var ticket: Int64
    public var customer: Int64
    public var estimateMinutes: Int
    public var hourlyRate: Int64
    public var rateSource: RateSource
    public var amount: Int64
    public var currency: Currency
    public var validDays: Int
    public var validUntil: LocalDate
    /// Never `expired` (derived on read).
    public var status: QuoteStatus
    public var description: String
    public var assignee: Int64
    public var answerNote: String?
    /// When the customer's answer was recorded (the start of an `awaitingPackage` wait).
    public var answeredAt: Date?
    public var createdAt: Date
    public var updatedAt: Date

    /// The domain's view.
    public var quote: Quote {
        Quote(
            ticket: ticket, customer: customer, estimateMinutes: estimateMinutes,
            hourlyRate: storedMoney(hourlyRate, currency), rateSource: rateSource,
            amount: storedMoney(amount, currency), validDays: validDays, validUntil: validUntil,
            storedStatus: status, description: description, assignee: assignee, answerNote: answerNote)
    }

    /// A new row for `quote` (id 0 until inserted).
    public init(_ quote: Quote, id: Int64 = 0, answeredAt: Date? = nil, createdAt: Date, updatedAt: Date) {
        self.id = id
        ticket = quote.ticket
        customer = quote.customer
        estimateMinutes = quote.estimateMinutes
        hourlyRate = quote.hourlyRate.cents
        rateSource = quote.rateSource
        amount = quote.amount.cents
        currency = quote.amount.currency
        validDays = quote.validDays
        validUntil = quote.validUntil
        status = quote.storedStatus
        description = quote.description
        assignee = quote.assignee
        answerNote = quote.answerNote
        self.answeredAt = answeredAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

extension QuoteRecord: StoreRecord {
    public static let databaseTableName = "quote"
}

/// A stored support package: the domain's `SupportPackage` with what the order said.
public struct PackageRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var customer: Int64
    public var boughtMinutes: Int
    public var price: Int64
    public var currency: Currency
    public var startsOn: LocalDate
    public var endsOn: LocalDate?
    public var reservedMinutes: Int
    public var consumedMinutes: Int
    /// The price list offer it was ordered as, if any.
    public var offer: String?
    /// The order's reference (a signed form's number).
    public var reference: String?
    public var createdAt: Date

    public var package: SupportPackage {
        SupportPackage(
            id: id, customer: customer, boughtMinutes: boughtMinutes, price: storedMoney(price, currency),
            startsOn: startsOn, endsOn: endsOn, reservedMinutes: reservedMinutes, consumedMinutes: consumedMinutes)
    }

    public init(_ package: SupportPackage, offer: String?, reference: String?, createdAt: Date) {
        id = package.id
        customer = package.customer
        boughtMinutes = package.boughtMinutes
        price = package.price.cents
        currency = package.price.currency
        startsOn = package.startsOn
        endsOn = package.endsOn
        reservedMinutes = package.reservedMinutes
        consumedMinutes = package.consumedMinutes
        self.offer = offer
        self.reference = reference
        self.createdAt = createdAt
    }
}

extension PackageRecord: StoreRecord {
    public static let databaseTableName = "support_package"
}

public struct TaskRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var ticket: Int64
    public var package: Int64
    public var quote: Int64
    public var estimateMinutes: Int
    public var reservedMinutes: Int
    public var loggedMinutes: Int
    public var closedOn: LocalDate?
    public var createdAt: Date

    public var task: WorkTask {
        WorkTask(
            id: id, ticket: ticket, package: package, quote: quote, estimateMinutes: estimateMinutes,
            reservedMinutes: reservedMinutes, loggedMinutes: loggedMinutes, closedOn: closedOn)
    }

    public init(_ task: WorkTask, createdAt: Date) {
        id = task.id
        ticket = task.ticket
        package = task.package
        quote = task.quote
        estimateMinutes = task.estimateMinutes
        reservedMinutes = task.reservedMinutes
        loggedMinutes = task.loggedMinutes
        closedOn = task.closedOn
        self.createdAt = createdAt
    }
}

extension TaskRecord: StoreRecord {
    public static let databaseTableName = "task"
}

public struct WorklogRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var task: Int64
    public var staff: Int64?
    public var minutes: Int
    public var note: String
    public var on: LocalDate
    public var createdAt: Date

    public init(id: Int64 = 0, task: Int64, staff: Int64?, minutes: Int, note: String, on: LocalDate, createdAt: Date) {
        self.id = id
        self.task = task
        self.staff = staff
        self.minutes = minutes
        self.note = note
        self.on = on
        self.createdAt = createdAt
    }
}

extension WorklogRecord: StoreRecord {
    public static let databaseTableName = "worklog"
}

extension RateSource: DatabaseValueConvertible {}
extension QuoteStatus: DatabaseValueConvertible {}
extension Currency: DatabaseValueConvertible {}

/// Cents read back from the store. The store only writes amounts it was given as `Money` (and
/// its CHECKs keep them positive), so the clamp never changes a stored value; it keeps a file
/// edited by hand from crashing the server.
func storedMoney(_ cents: Int64, _ currency: Currency) -> Money {
    Money(cents: min(max(cents, 0), Money.maximumCents), currency: currency)!
}

// MARK: Queries

/// What a `quote.list` page may show, already resolved by the service.
public struct QuoteFilter: Sendable {
    public var customer: Int64?
    public var ticket: Int64?
    /// Stored statuses to keep (`expired` is `sent` with `validUntil` before `today`).
    public var status: QuoteStatus?
    public var today: LocalDate
    public var before: Int64?
    public var limit: Int

    public init(customer: Int64?, ticket: Int64?, status: QuoteStatus?, today: LocalDate, before: Int64?, limit: Int) {
        self.customer = customer
        self.ticket = ticket
        self.status = status
        self.today = today
        self.before = before
        self.limit = limit
    }
}

/// Price list, contract rates, quotes, support packages, tasks and worklogs. Every function runs
/// in the caller's transaction; none checks who is asking (the service does).
public enum PaidWorkStore {
    // MARK: Price list and contract rates

    /// The price list, and when it was last set; nil until an admin sets one.
    public static func priceList(_ tx: StoreReader) throws -> (list: PriceList, updatedAt: Date)? {
        guard let row = try tx.db.record(PriceListRecord.self, "SELECT * FROM price_list WHERE id = 1", cached: true) else {
            return nil
        }
        let offers = try JSONDecoder().decode([PackageOffer].self, from: Data(row.packageOffers.utf8))
        let rate = storedMoney(row.hourlyRate, Currency(rawValue: row.currency) ?? .eur)
        return (PriceList(
            hourlyRate: rate, minutes: BillableMinutesRule(minimumMinutes: row.minimumMinutes, stepMinutes: row.stepMinutes),
            packageOffers: offers), row.updatedAt)
    }

    public static func setPriceList(_ tx: StoreWriter, _ list: PriceList, at: Date) throws {
        let offers = String(decoding: try JSONEncoder().encode(list.packageOffers), as: UTF8.self)
        try tx.db.run("DELETE FROM price_list")
        try tx.db.insert(PriceListRecord(
            hourlyRate: list.hourlyRate.cents, currency: list.hourlyRate.currency.rawValue,
            minimumMinutes: list.minutes.minimumMinutes, stepMinutes: list.minutes.stepMinutes, packageOffers: offers,
            updatedAt: at), omitting: [])
    }

    public static func contractRate(_ tx: StoreReader, customer: Int64) throws -> Money? {
        try tx.db.record(ContractRateRecord.self, "SELECT * FROM contract_rate WHERE customer = ?", [customer], cached: true)
            .map { storedMoney($0.hourlyRate, Currency(rawValue: $0.currency) ?? .eur) }
    }

    /// Sets (or, with nil, clears) a customer's contract rate.
    public static func setContractRate(_ tx: StoreWriter, customer: Int64, rate: Money?, at: Date) throws {
        try tx.db.run("DELETE FROM contract_rate WHERE customer = ?", [customer])
        guard let rate else { return }
        try tx.db.insert(
            ContractRateRecord(customer: customer, hourlyRate: rate.cents, currency: rate.currency.rawValue, updatedAt: at),
            omitting: [])
    }

    /// A configuration change (price list, contract rate): who, when, what, `changes` as
    /// `{"field": [before, after]}` JSON.
    public static func addConfigurationHistory(
        _ tx: StoreWriter, subject: String, actorKind: String, actorID: Int64?, changes: String, at: Date
    ) throws {
        try tx.db.run(
            "INSERT INTO configuration_history(at, actorKind, actorID, subject, changes) VALUES (?, ?, ?, ?, ?)",
            [StoreTime.text(at), actorKind, actorID, subject, changes])
    }

    // MARK: Quotes

    public static func insertQuote(_ tx: StoreWriter, _ quote: QuoteRecord) throws -> Int64 {
        try tx.db.insert(quote)
    }

    public static func updateQuote(_ tx: StoreWriter, _ quote: QuoteRecord) throws {
        _ = try tx.db.update(
            quote,
            columns: ["estimateMinutes", "hourlyRate", "rateSource", "amount", "currency", "validDays", "validUntil",
                      "status", "description", "assignee", "answerNote", "answeredAt", "updatedAt"],
            where: "id = ?", [quote.id])
    }

    public static func quote(_ tx: StoreReader, id: Int64) throws -> QuoteRecord? {
        try tx.db.record(QuoteRecord.self, "SELECT * FROM quote WHERE id = ?", [id], cached: true)
    }

    /// The ticket's quote still open (draft or sent), if any.
    public static func openQuote(_ tx: StoreReader, ticket: Int64) throws -> QuoteRecord? {
        try tx.db.record(
            QuoteRecord.self, "SELECT * FROM quote WHERE ticket = ? AND status IN ('draft', 'sent') ORDER BY id DESC LIMIT 1",
            [ticket])
    }

    /// The ticket's accepted quote (the one a task or a wait belongs to), if any.
    public static func acceptedQuote(_ tx: StoreReader, ticket: Int64) throws -> QuoteRecord? {
        try tx.db.record(
            QuoteRecord.self, "SELECT * FROM quote WHERE ticket = ? AND status = 'accepted' ORDER BY id DESC LIMIT 1",
            [ticket])
    }

    /// One page of quotes, newest first.
    public static func quotes(_ tx: StoreReader, _ filter: QuoteFilter) throws -> [QuoteRecord] {
        var conditions: [String] = []
        var arguments: SQLArguments = []
        if let customer = filter.customer {
            conditions.append("customer = ?")
            arguments.append(customer)
        }
        if let ticket = filter.ticket {
            conditions.append("ticket = ?")
            arguments.append(ticket)
        }
        switch filter.status {
        case .expired?:
            conditions.append("status = 'sent' AND validUntil < ?")
            arguments.append(filter.today.iso)
        case .sent?:
            conditions.append("status = 'sent' AND validUntil >= ?")
            arguments.append(filter.today.iso)
        case let status?:
            conditions.append("status = ?")
            arguments.append(status.rawValue)
        case nil:
            break
        }
        if let before = filter.before {
            conditions.append("id < ?")
            arguments.append(before)
        }
        arguments.append(filter.limit)
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try tx.db.records(QuoteRecord.self, "SELECT * FROM quote \(whereClause) ORDER BY id DESC LIMIT ?", arguments)
    }

    // MARK: Packages

    public static func insertPackage(_ tx: StoreWriter, _ package: PackageRecord) throws -> Int64 {
        try tx.db.insert(package)
    }

    /// Writes a package's balance (what reservations and worklogs change).
    public static func updateBalance(_ tx: StoreWriter, _ package: SupportPackage) throws {
        try tx.db.run(
            "UPDATE support_package SET reservedMinutes = ?, consumedMinutes = ? WHERE id = ?",
            [package.reservedMinutes, package.consumedMinutes, package.id], cached: true)
    }

    public static func package(_ tx: StoreReader, id: Int64) throws -> PackageRecord? {
        try tx.db.record(PackageRecord.self, "SELECT * FROM support_package WHERE id = ?", [id], cached: true)
    }

    /// Packages, oldest first (by start, then id); every customer's when `customer` is nil.
    public static func packages(_ tx: StoreReader, customer: Int64?) throws -> [PackageRecord] {
        if let customer {
            return try tx.db.records(
                PackageRecord.self, "SELECT * FROM support_package WHERE customer = ? ORDER BY startsOn, id", [customer],
                cached: true)
        }
        return try tx.db.records(PackageRecord.self, "SELECT * FROM support_package ORDER BY startsOn, id")
    }

    public static func addPackageHistory(
        _ tx: StoreWriter, package: Int64, actorKind: String, actorID: Int64?, action: String, changes: String, at: Date
    ) throws {
        try tx.db.run(
            "INSERT INTO package_history(package, at, actorKind, actorID, action, changes) VALUES (?, ?, ?, ?, ?, ?)",
            [package, StoreTime.text(at), actorKind, actorID, action, changes], cached: true)
    }

    /// The customer's tickets waiting for a package (`awaitingPackage`), with the accepted quote
    /// each waits on and since when.
    public static func waitingTickets(_ tx: StoreReader, customer: Int64) throws -> [WaitingTicket] {
        try tx.db.rows("""
            SELECT t.id AS ticket, q.id AS quote, q.estimateMinutes, q.answeredAt
            FROM ticket t JOIN quote q ON q.ticket = t.id AND q.status = 'accepted'
            WHERE t.customer = ? AND t.status = 'awaitingPackage'
              AND NOT EXISTS (SELECT 1 FROM task k WHERE k.quote = q.id)
            ORDER BY q.answeredAt, t.id
            """, [customer]
        ).map { row in
            let answered: String? = row["answeredAt"]
            return WaitingTicket(
                ticket: row["ticket"], quote: row["quote"], estimateMinutes: row["estimateMinutes"],
                waitingSince: answered.flatMap(StoreTime.date) ?? .distantPast)
        }
    }

    // MARK: Tasks and worklogs

    public static func insertTask(_ tx: StoreWriter, _ task: TaskRecord) throws -> Int64 {
        try tx.db.insert(task)
    }

    public static func updateTask(_ tx: StoreWriter, _ task: WorkTask) throws {
        try tx.db.run(
            "UPDATE task SET reservedMinutes = ?, loggedMinutes = ?, closedOn = ? WHERE id = ?",
            [task.reservedMinutes, task.loggedMinutes, task.closedOn?.iso, task.id], cached: true)
    }

    public static func task(_ tx: StoreReader, id: Int64) throws -> TaskRecord? {
        try tx.db.record(TaskRecord.self, "SELECT * FROM task WHERE id = ?", [id], cached: true)
    }

    /// Tasks, oldest first, filtered by ticket and package when given.
    public static func tasks(_ tx: StoreReader, ticket: Int64?, package: Int64?) throws -> [TaskRecord] {
        var conditions: [String] = []
        var arguments: SQLArguments = []
        if let ticket {
            conditions.append("ticket = ?")
            arguments.append(ticket)
        }
        if let package {
            conditions.append("package = ?")
            arguments.append(package)
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try tx.db.records(TaskRecord.self, "SELECT * FROM task \(whereClause) ORDER BY id", arguments)
    }

    public static func insertWorklog(_ tx: StoreWriter, _ worklog: WorklogRecord) throws -> Int64 {
        try tx.db.insert(worklog)
    }

    public static func worklogs(_ tx: StoreReader, task: Int64) throws -> [WorklogRecord] {
        try tx.db.records(WorklogRecord.self, "SELECT * FROM worklog WHERE task = ? ORDER BY id", [task])
    }

    /// The work logged on each of the customer's packages, summed in SQL (a billing statement
    /// over 10,000 worklogs reads one row per package): minutes on days from `from` through
    /// `through`, and on every day up to `through`.
    public static func consumption(
        _ tx: StoreReader, customer: Int64, from: LocalDate, through: LocalDate
    ) throws -> [Int64: BillingStatement.PackageConsumption] {
        var sums: [Int64: BillingStatement.PackageConsumption] = [:]
        for row in try tx.db.rows("""
            SELECT k.package, sum(CASE WHEN w."on" >= ? THEN w.minutes ELSE 0 END) AS inMonth, sum(w.minutes) AS toDate
            FROM support_package p JOIN task k ON k.package = p.id JOIN worklog w ON w.task = k.id
            WHERE p.customer = ? AND w."on" <= ?
            GROUP BY k.package
            """, [from.iso, customer, through.iso], cached: true)
        {
            sums[row["package"]] = .init(inMonthMinutes: row["inMonth"], toDateMinutes: row["toDate"])
        }
        return sums
    }

    /// The customer's tasks closed from `from` through `through`, with their quote's amount.
    public static func closedTasks(
        _ tx: StoreReader, customer: Int64, from: LocalDate, through: LocalDate
    ) throws -> [BillingStatement.ClosedTaskLine] {
        try tx.db.rows("""
            SELECT k.id, k.ticket, k.quote, k.package, k.closedOn, k.estimateMinutes, k.loggedMinutes, q.amount, q.currency
            FROM support_package p JOIN task k ON k.package = p.id JOIN quote q ON q.id = k.quote
            WHERE p.customer = ? AND k.closedOn BETWEEN ? AND ?
            """, [customer, from.iso, through.iso], cached: true
        ).compactMap { row in
            let closedOn: String = row["closedOn"]
            let currency: String = row["currency"]
            let (task, ticket, quote, package): (Int64, Int64, Int64, Int64) = (row["id"], row["ticket"], row["quote"], row["package"])
            let (amount, estimate, logged): (Int64, Int, Int) = (row["amount"], row["estimateMinutes"], row["loggedMinutes"])
            guard let day = LocalDate(iso: closedOn) else { return nil }
            return BillingStatement.ClosedTaskLine(
                task: task, ticket: ticket, quote: quote, package: package, closedOn: day,
                quoteAmount: storedMoney(amount, Currency(rawValue: currency) ?? .eur),
                estimateMinutes: estimate, loggedMinutes: logged)
        }
    }
}
