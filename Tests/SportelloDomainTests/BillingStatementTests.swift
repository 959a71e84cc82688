import Testing
@testable import SportelloDomain

private func eur(_ text: String) -> Money { try! Money(wire: text) }
private func day(_ iso: String) -> LocalDate { LocalDate(iso: iso)! }

@Suite("Billing statement")
struct BillingStatementTests {

    @Test("months parse as YYYY-MM and know their first and last day")
    func months() {
        let february = YearMonth(iso: "2028-02")
        #expect(february?.firstDay == day("2028-02-01"))
        #expect(february?.lastDay == day("2028-02-29"))
        #expect(february?.iso == "2028-02")
        #expect(YearMonth(iso: "2028-13") == nil)
        #expect(YearMonth(iso: "2028-2") == nil)
        #expect(YearMonth(iso: "28-02-01") == nil)
        #expect(YearMonth(day("2027-01-31")) == YearMonth(year: 2027, month: 1))
    }

    @Test("January 2027 for one customer, worked out by hand")
    func january() {
        let packages = [
            // 20 h from October to September. Consumed in all: 180 + 120 + 240 + 150 + 60 + 120 = 870;
            // task 12 still reserves 60: available 1200 − 60 − 870 = 270.
            SupportPackage(id: 1, customer: 10, boughtMinutes: 1200, price: eur("1500.00"), startsOn: day("2026-10-01"),
                           endsOn: day("2027-09-30"), reservedMinutes: 60, consumedMinutes: 870),
            // 10 h from 15 January: 90 consumed, nothing reserved: 510 available.
            SupportPackage(id: 2, customer: 10, boughtMinutes: 600, price: eur("800.00"), startsOn: day("2027-01-15"),
                           consumedMinutes: 90),
            // Expired at the end of 2026, nothing logged in January: not listed.
            SupportPackage(id: 3, customer: 10, boughtMinutes: 600, price: eur("800.00"), startsOn: day("2026-01-01"),
                           endsOn: day("2026-12-31"), consumedMinutes: 600),
            // Starts in February: not listed.
            SupportPackage(id: 4, customer: 10, boughtMinutes: 600, price: eur("800.00"), startsOn: day("2027-02-01")),
        ]
        let tasks = [
            WorkTask(id: 11, ticket: 51, package: 1, quote: 101, estimateMinutes: 480, reservedMinutes: 0,
                     loggedMinutes: 510, closedOn: day("2027-01-20")),
            WorkTask(id: 12, ticket: 52, package: 1, quote: 102, estimateMinutes: 240, reservedMinutes: 60,
                     loggedMinutes: 180),
            WorkTask(id: 13, ticket: 53, package: 2, quote: 103, estimateMinutes: 120, reservedMinutes: 0,
                     loggedMinutes: 90, closedOn: day("2027-01-28")),
            WorkTask(id: 14, ticket: 54, package: 1, quote: 104, estimateMinutes: 180, reservedMinutes: 0,
                     loggedMinutes: 180, closedOn: day("2026-12-18")),
        ]
        let worklogs = [
            Worklog(task: 14, minutes: 180, on: day("2026-12-10")),
            Worklog(task: 11, minutes: 120, on: day("2026-12-20")),
            Worklog(task: 11, minutes: 240, on: day("2027-01-05")),
            Worklog(task: 11, minutes: 150, on: day("2027-01-19")),
            Worklog(task: 12, minutes: 60, on: day("2027-01-31")),
            Worklog(task: 12, minutes: 120, on: day("2027-02-02")),
            Worklog(task: 13, minutes: 90, on: day("2027-01-27")),
        ]
        let amounts: [Int64: Money] = [
            101: eur("85.00").forMinutes(480),  // 8 h × 8500 c = 68000 c
            103: eur("85.00").forMinutes(120),  // 2 h × 8500 c = 17000 c
        ]
        let statement = BillingStatement.make(
            month: YearMonth(iso: "2027-01")!, packages: packages, tasks: tasks, worklogs: worklogs, quoteAmounts: amounts)

        #expect(statement.packages.map(\.package) == [1, 2])
        let first = statement.packages[0]
        #expect(first.boughtMinutes == 1200)
        // In January: task 11 240 + 150, task 12 60 (the last day counts) = 450.
        #expect(first.consumedInMonthMinutes == 450)
        // Through 31 January: 180 (task 14) + 120 + 240 + 150 (task 11) + 60 (task 12) = 750;
        // the 120 of 2 February are not counted.
        #expect(first.consumedToDateMinutes == 750)
        #expect(first.availableMinutes == 270)
        let second = statement.packages[1]
        #expect((second.consumedInMonthMinutes, second.consumedToDateMinutes, second.availableMinutes) == (90, 90, 510))

        // Closed in January: task 11 on the 20th, task 13 on the 28th; task 14 closed in December.
        #expect(statement.closedTasks.map(\.task) == [11, 13])
        #expect(statement.closedTasks.map(\.quoteAmount.wire) == ["680.00", "170.00"])
        // Task 11: 120 + 240 + 150 = 510 minutes logged, December's included.
        #expect(statement.closedTasks.map(\.loggedMinutes) == [510, 90])
        #expect(statement.closedTasks.map(\.ticket) == [51, 53])
    }

    @Test("an expired package with work logged in the month is still listed")
    func expiredButWorked() {
        let package = SupportPackage(id: 5, customer: 10, boughtMinutes: 600, price: eur("800.00"),
                                     startsOn: day("2026-01-01"), endsOn: day("2026-12-31"), consumedMinutes: 60)
        let task = WorkTask(id: 1, ticket: 1, package: 5, quote: 1, estimateMinutes: 60, reservedMinutes: 0, loggedMinutes: 60)
        let statement = BillingStatement.make(
            month: YearMonth(iso: "2027-01")!, packages: [package], tasks: [task],
            worklogs: [Worklog(task: 1, minutes: 60, on: day("2027-01-04"))], quoteAmounts: [:])
        #expect(statement.packages.map(\.consumedInMonthMinutes) == [60])
        #expect(statement.closedTasks.isEmpty)
    }
}
