// The monthly billing statement the vendor invoices from (`billing.statement`): per package,
// hours bought, consumed in the month and to date, available; and the tasks closed in the
// month with their quote amount and the work logged. A pure aggregation over one customer's
// rows, linear in the number of worklogs.

/// A calendar month, `"2027-01"` on the wire.
public struct YearMonth: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    /// nil outside years 1...9999 and months 1...12.
    public init?(year: Int, month: Int) {
        guard (1...9999).contains(year), (1...12).contains(month) else { return nil }
        self.year = year
        self.month = month
    }

    /// Parses exactly `YYYY-MM`.
    public init?(iso: String) {
        let bytes = Array(iso.utf8)
        guard bytes.count == 7, bytes[4] == UInt8(ascii: "-"),
              let y = LocalDate.number(bytes[0..<4]), let m = LocalDate.number(bytes[5..<7]) else { return nil }
        self.init(year: y, month: m)
    }

    /// The month `date` falls in.
    public init(_ date: LocalDate) {
        year = date.year
        month = date.month
    }

    public var iso: String { LocalDate.pad(year, 4) + "-" + LocalDate.pad(month, 2) }
    public var description: String { iso }
    public var firstDay: LocalDate { LocalDate(year: year, month: month, day: 1)! }
    public var lastDay: LocalDate {
        LocalDate(year: year, month: month, day: LocalDate.daysInMonth(year: year, month: month))!
    }

    public func contains(_ date: LocalDate) -> Bool { date.year == year && date.month == month }

    public static func < (lhs: YearMonth, rhs: YearMonth) -> Bool { (lhs.year, lhs.month) < (rhs.year, rhs.month) }
}

/// One customer's billing statement for a month.
public struct BillingStatement: Hashable, Sendable {
    /// A package's line.
    public struct PackageLine: Hashable, Sendable {
        public var package: Int64
        public var startsOn: LocalDate
        public var endsOn: LocalDate?
        public var boughtMinutes: Int
        /// Work logged with a date in the month.
        public var consumedInMonthMinutes: Int
        /// Work logged with a date up to the month's last day.
        public var consumedToDateMinutes: Int
        /// The package's available minutes now (bought − reserved − consumed), as
        /// `package.get` shows them: reservations are not dated, so no past value exists.
        public var availableMinutes: Int
    }

    /// A task whose ticket was closed in the month.
    public struct ClosedTaskLine: Hashable, Sendable {
        public var task: Int64
        public var ticket: Int64
        public var quote: Int64
        public var package: Int64
        public var closedOn: LocalDate
        /// The accepted quote's amount: what is invoiced for the task.
        public var quoteAmount: Money
        public var estimateMinutes: Int
        /// All the work logged on the task.
        public var loggedMinutes: Int

        public init(
            task: Int64, ticket: Int64, quote: Int64, package: Int64, closedOn: LocalDate, quoteAmount: Money,
            estimateMinutes: Int, loggedMinutes: Int
        ) {
            self.task = task
            self.ticket = ticket
            self.quote = quote
            self.package = package
            self.closedOn = closedOn
            self.quoteAmount = quoteAmount
            self.estimateMinutes = estimateMinutes
            self.loggedMinutes = loggedMinutes
        }
    }

    /// The minutes logged on a package's tasks: on days of the month, and on days up to the
    /// month's end.
    public struct PackageConsumption: Hashable, Sendable {
        public var inMonthMinutes: Int
        public var toDateMinutes: Int

        public init(inMonthMinutes: Int, toDateMinutes: Int) {
            self.inMonthMinutes = inMonthMinutes
            self.toDateMinutes = toDateMinutes
        }
    }

    public var month: YearMonth
    /// Packages that started by the month's end and had not expired before it began, or had
    /// work logged in it; oldest first (`startsOn`, then id).
    public var packages: [PackageLine]
    /// In the order they were closed (then by task id).
    public var closedTasks: [ClosedTaskLine]

    /// The statement of `month` from one customer's packages, tasks and worklogs.
    /// `quoteAmounts` maps a quote id to its amount; a closed task whose quote is missing
    /// there is listed with an amount of zero.
    public static func make(
        month: YearMonth, packages: [SupportPackage], tasks: [WorkTask], worklogs: [Worklog],
        quoteAmounts: [Int64: Money]
    ) -> BillingStatement {
        let packageOfTask = Dictionary(tasks.map { ($0.id, $0.package) }, uniquingKeysWith: { first, _ in first })
        let end = month.lastDay
        var inMonth: [Int64: Int] = [:]
        var toDate: [Int64: Int] = [:]
        var loggedPerTask: [Int64: Int] = [:]
        for log in worklogs {
            loggedPerTask[log.task, default: 0] += log.minutes
            guard let package = packageOfTask[log.task], log.on <= end else { continue }
            toDate[package, default: 0] += log.minutes
            if month.contains(log.on) { inMonth[package, default: 0] += log.minutes }
        }
        let consumption = Dictionary(uniqueKeysWithValues: toDate.map { package, minutes in
            (package, PackageConsumption(inMonthMinutes: inMonth[package] ?? 0, toDateMinutes: minutes))
        })
        let closed = tasks.compactMap { task -> ClosedTaskLine? in
            guard let closedOn = task.closedOn else { return nil }
            return ClosedTaskLine(
                task: task.id, ticket: task.ticket, quote: task.quote, package: task.package,
                closedOn: closedOn, quoteAmount: quoteAmounts[task.quote] ?? .zero,
                estimateMinutes: task.estimateMinutes, loggedMinutes: loggedPerTask[task.id] ?? 0)
        }
        return make(month: month, packages: packages, consumption: consumption, closedTasks: closed)
    }

    /// The statement from sums already made (what the store computes in SQL, so that a
    /// customer with 10,000 worklogs is not read row by row): each package's consumption and the
    /// customer's closed tasks. Keeps the packages current in the month or with work logged in
    /// it, oldest first, and the tasks closed in the month, in closing order.
    public static func make(
        month: YearMonth, packages: [SupportPackage], consumption: [Int64: PackageConsumption], closedTasks: [ClosedTaskLine]
    ) -> BillingStatement {
        let end = month.lastDay
        let lines = packages
            .filter { package in
                let current = package.startsOn <= end && (package.endsOn.map { $0 >= month.firstDay } ?? true)
                return current || (consumption[package.id]?.inMonthMinutes ?? 0) > 0
            }
            .sorted { ($0.startsOn, $0.id) < ($1.startsOn, $1.id) }
            .map { package in
                PackageLine(
                    package: package.id, startsOn: package.startsOn, endsOn: package.endsOn,
                    boughtMinutes: package.boughtMinutes,
                    consumedInMonthMinutes: consumption[package.id]?.inMonthMinutes ?? 0,
                    consumedToDateMinutes: consumption[package.id]?.toDateMinutes ?? 0,
                    availableMinutes: package.availableMinutes)
            }
        let closed = closedTasks
            .filter { month.contains($0.closedOn) }
            .sorted { ($0.closedOn, $0.task) < ($1.closedOn, $1.task) }
        return BillingStatement(month: month, packages: lines, closedTasks: closed)
    }
}
