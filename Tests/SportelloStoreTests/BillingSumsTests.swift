import Foundation
import GRDB
import SportelloDomain
@testable import SportelloStore
import SportelloTestSupport
import Testing

/// The billing statement's sums are made in SQL (`PaidWorkStore.consumption`, `closedTasks`);
/// on generated packages, tasks and worklogs they must give the statement the domain derives
/// from the raw rows (`BillingStatement.make(month:packages:tasks:worklogs:quoteAmounts:)`).
@Suite struct BillingSumsTests {
    @Test("SQL sums per package and closed tasks = the domain's statement from every worklog, for each month of 2026")
    func sumsMatchTheDomain() async throws {
        let directory = NSTemporaryDirectory() + "billing-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try SportelloDatabase(path: directory + "/billing.db")
        let start = LocalDate(year: 2026, month: 1, day: 1)!
        let now = Date(timeIntervalSince1970: 1_780_000_000)

        let (customer, packages, tasks, worklogs, amounts) = try await database.write { tx in
            var random = SeededGenerator(seed: 0xB111)
            let customer = try AccountStore.insertCustomer(
                tx, code: "BILL", name: "Bill S.r.l.", vatNumber: nil, language: .it, email: nil, now: now)
            let other = try AccountStore.insertCustomer(
                tx, code: "OTHER", name: "Other S.r.l.", vatNumber: nil, language: .it, email: nil, now: now)
            let staff = try AccountStore.insertStaff(tx, name: "Op", email: "op@x.example", role: .operator, passwordHash: nil, now: now)
            let contact = try AccountStore.insertContact(
                tx, customer: customer.id, name: "C", email: "c@x.example", language: nil, passwordHash: nil, now: now)
            var packages: [SupportPackage] = []
            var tasks: [WorkTask] = []
            var worklogs: [Worklog] = []
            var amounts: [Int64: Money] = [:]
            for owner in [customer.id, customer.id, customer.id, other.id] {
                let startsOn = start.adding(days: Int(random.next() % 300))
                let endsOn: LocalDate? = random.next() % 2 == 0 ? nil : startsOn.adding(days: 30 + Int(random.next() % 200))
                var package = SupportPackage(
                    id: 0, customer: owner, boughtMinutes: 600_000, price: Money(cents: 100_000)!, startsOn: startsOn, endsOn: endsOn)
                package.id = try PaidWorkStore.insertPackage(tx, PackageRecord(package, offer: nil, reference: nil, createdAt: now))
                for _ in 0..<(5 + Int(random.next() % 10)) {
                    let ticket = try TicketStore.insert(tx, TicketRecord(
                        customer: owner, contact: owner == customer.id ? contact.id : nil, product: "zenshare-suite", subject: "T",
                        channel: .email, language: .it, priority: 3, severity: nil, status: .assigned, eligible: true,
                        receivedAt: now, createdAt: now, updatedAt: now))
                    let estimate = 15 * (1 + Int(random.next() % 40))
                    let amount = Money(cents: Int64(estimate) * 85 * 100 / 60)!
                    var quote = QuoteRecord(
                        Quote(ticket: ticket, customer: owner, estimateMinutes: estimate, hourlyRate: Money(cents: 8500)!,
                              rateSource: .priceList, amount: amount, validDays: 30, validUntil: start, storedStatus: .accepted,
                              description: "Q", assignee: staff.id),
                        createdAt: now, updatedAt: now)
                    quote.id = try PaidWorkStore.insertQuote(tx, quote)
                    amounts[quote.id] = amount
                    var task = WorkTask(id: 0, ticket: ticket, package: package.id, quote: quote.id, estimateMinutes: estimate, reservedMinutes: 0)
                    task.id = try PaidWorkStore.insertTask(tx, TaskRecord(task, createdAt: now))
                    for _ in 0..<Int(random.next() % 12) {
                        let log = Worklog(task: task.id, minutes: 15 * (1 + Int(random.next() % 8)), on: start.adding(days: Int(random.next() % 365)))
                        _ = try PaidWorkStore.insertWorklog(
                            tx, WorklogRecord(task: task.id, staff: staff.id, minutes: log.minutes, note: "w", on: log.on, createdAt: now))
                        task.loggedMinutes += log.minutes
                        if owner == customer.id { worklogs.append(log) }
                    }
                    if random.next() % 2 == 0 { task.closedOn = start.adding(days: Int(random.next() % 365)) }
                    try PaidWorkStore.updateTask(tx, task)
                    if owner == customer.id { tasks.append(task) }
                }
                if owner == customer.id { packages.append(package) }
            }
            return (customer.id, packages, tasks, worklogs, amounts)
        }
        #expect(worklogs.count > 100, "enough work to sum")
        for month in 1...12 {
            let month = YearMonth(year: 2026, month: month)!
            let expected = BillingStatement.make(month: month, packages: packages, tasks: tasks, worklogs: worklogs, quoteAmounts: amounts)
            let summed = try await database.read { tx in
                BillingStatement.make(
                    month: month, packages: packages,
                    consumption: try PaidWorkStore.consumption(tx, customer: customer, from: month.firstDay, through: month.lastDay),
                    closedTasks: try PaidWorkStore.closedTasks(tx, customer: customer, from: month.firstDay, through: month.lastDay))
            }
            #expect(summed == expected, "\(month)")
            #expect(!expected.packages.isEmpty || month.month < 2, "\(month): a statement with lines")
        }
    }
}
