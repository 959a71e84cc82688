import Foundation
import Testing
@testable import SportelloDomain

private func eur(_ text: String) -> Money { try! Money(wire: text) }
private func day(_ iso: String) -> LocalDate { LocalDate(iso: iso)! }

private let today = day("2027-01-10")

private func package(_ id: Int64, starts: String, ends: String? = nil, bought: Int,
                     reserved: Int = 0, consumed: Int = 0) -> SupportPackage {
    SupportPackage(id: id, customer: 10, boughtMinutes: bought, price: eur("800.00"), startsOn: day(starts),
                   endsOn: ends.map(day), reservedMinutes: reserved, consumedMinutes: consumed)
}

/// One customer's packages on 2027-01-10, with their available minutes worked out.
private let packages = [
    package(1, starts: "2026-01-01", ends: "2026-12-31", bought: 600),  // expired: 600 unused, unusable
    package(3, starts: "2026-06-01", bought: 600, reserved: 300, consumed: 180),  // 600 − 300 − 180 = 120
    package(2, starts: "2026-06-01", ends: "2027-05-31", bought: 1200, consumed: 600),  // 1200 − 0 − 600 = 600
    package(4, starts: "2026-09-01", bought: 600, consumed: 600),  // exhausted
]

private func waiting(_ ticket: Int64, _ minutes: Int, since seconds: Double) -> WaitingTicket {
    WaitingTicket(ticket: ticket, quote: ticket * 10, estimateMinutes: minutes,
                  waitingSince: Date(timeIntervalSince1970: seconds))
}

@Suite("Support packages")
struct SupportPackageTests {

    @Test("status and available minutes on a given day")
    func status() {
        #expect(packages.map(\.availableMinutes) == [600, 120, 600, 0])
        #expect(packages.map { $0.status(on: today) } == [.expired, .active, .active, .exhausted])
        // Valid through endsOn inclusive.
        #expect(packages[0].status(on: day("2026-12-31")) == .active)
        // Fully reserved but not consumed: still active (work is going on), nothing available.
        #expect(package(9, starts: "2026-01-01", bought: 60, reserved: 60).status(on: today) == .active)
    }

    @Test("an estimate goes whole into the oldest active package that covers it")
    func cover() {
        // Candidates oldest first: 2 and 3 both start 2026-06-01, so id 2 first; 1 expired, 4 exhausted.
        #expect(PackageLedger.candidates(packages, today: today).map(\.id) == [2, 3])
        #expect(PackageLedger.cover(estimateMinutes: 90, packages: packages, today: today) == .covered(package: 2))
        #expect(PackageLedger.cover(estimateMinutes: 600, packages: packages, today: today) == .covered(package: 2))
        // Only package 3 has room left once 2 is full.
        var full = packages
        full[2].reservedMinutes = 600
        #expect(PackageLedger.cover(estimateMinutes: 120, packages: full, today: today) == .covered(package: 3))
    }

    @Test("no split: 700 minutes do not fit in 600 + 120; the shortfall is against the best single package")
    func shortfall() {
        let coverage = PackageLedger.cover(estimateMinutes: 700, packages: packages, today: today)
        let expected = PackageShortfall(neededMinutes: 700, bestAvailableMinutes: 600, hasActivePackage: true)
        #expect(coverage == .notCovered(expected))
        #expect(expected.missingMinutes == 100)
        // "servono 6 ore, ne restano 2": only package 3's 120 minutes are left.
        let small = [packages[1]]
        #expect(PackageLedger.cover(estimateMinutes: 360, packages: small, today: today)
            == .notCovered(PackageShortfall(neededMinutes: 360, bestAvailableMinutes: 120, hasActivePackage: true)))
        #expect(PackageLedger.cover(estimateMinutes: 60, packages: [packages[0]], today: today)
            == .notCovered(PackageShortfall(neededMinutes: 60, bestAvailableMinutes: 0, hasActivePackage: false)))
    }

    @Test("reserving moves minutes from available to reserved")
    func reserve() {
        let reserved = PackageLedger.reserve(90, in: packages[2])
        #expect(reserved.reservedMinutes == 90)
        #expect(reserved.availableMinutes == 510)  // 1200 − 90 − 600
    }

    @Test("after an order, waiting tickets proceed oldest first until one does not fit")
    func proceedWaiting() {
        // Package 3 has 120 minutes left; package 5 is the new 10-hour order.
        let ordered = [packages[1], package(5, starts: "2027-01-10", bought: 600)]
        let queue = [waiting(31, 300, since: 200), waiting(30, 360, since: 100), waiting(32, 60, since: 300)]
        let outcome = PackageLedger.proceedWaiting(queue, packages: ordered, today: today)
        // Ticket 30 (oldest) needs 360: 3 has 120, so 5 (600 → 240 left).
        // Ticket 31 needs 300: 3 has 120, 5 has 240 → stops the queue; 32 waits behind it
        // although its 60 minutes would fit.
        #expect(outcome.proceeding == [Proceeding(ticket: 30, quote: 300, package: 5, reservedMinutes: 360)])
        #expect(outcome.stillWaiting.map(\.ticket) == [31, 32])
        #expect(outcome.packages.map(\.availableMinutes) == [120, 240])
    }

    @Test("a small oldest ticket takes the oldest package's remainder; all proceed when covered")
    func proceedAll() {
        let ordered = [packages[1], package(5, starts: "2027-01-10", bought: 600)]
        let queue = [waiting(40, 60, since: 1), waiting(41, 600, since: 2), waiting(42, 60, since: 2)]
        let outcome = PackageLedger.proceedWaiting(queue, packages: ordered, today: today)
        // 40: 60 into package 3 (120 → 60). 41: 600 into 5 (600 → 0). 42 (same instant,
        // higher ticket id): 60 into 3 (60 → 0).
        #expect(outcome.proceeding.map(\.ticket) == [40, 41, 42])
        #expect(outcome.proceeding.map(\.package) == [3, 5, 3])
        #expect(outcome.stillWaiting.isEmpty)
        #expect(outcome.packages.map(\.availableMinutes) == [0, 0])
    }

    @Test("work consumes the task's reservation first, then the package's free minutes")
    func logWork() throws {
        // Package: 600 bought, 180 reserved (120 by this task, 60 by another), 100 consumed:
        // 600 − 180 − 100 = 320 available.
        let pkg = package(7, starts: "2026-12-01", bought: 600, reserved: 180, consumed: 100)
        let task = WorkTask(id: 1, ticket: 55, package: 7, quote: 9, estimateMinutes: 120, reservedMinutes: 120)
        // 90 min: all from the reservation. Task 120 → 30 reserved; package reserved 180 → 90,
        // consumed 100 → 190; available stays 600 − 90 − 190 = 320.
        let first = try PackageLedger.logWork(90, task: task, package: pkg, on: today).get()
        #expect(first.task.reservedMinutes == 30 && first.task.loggedMinutes == 90)
        #expect(first.package.reservedMinutes == 90 && first.package.consumedMinutes == 190)
        #expect(first.package.availableMinutes == 320)
        // 100 min: 30 from the reservation, 70 free. Package reserved 60, consumed 290,
        // available 600 − 60 − 290 = 250.
        let second = try PackageLedger.logWork(100, task: first.task, package: first.package, on: today).get()
        #expect(second.task.reservedMinutes == 0 && second.task.loggedMinutes == 190)
        #expect(second.package.reservedMinutes == 60 && second.package.consumedMinutes == 290)
        #expect(second.package.availableMinutes == 250)
        // 255 min > 0 reserved + 250 free: refused, nothing changes, the 250 are reported.
        #expect(refusal(PackageLedger.logWork(255, task: second.task, package: second.package, on: today)) == .exceedsBalance(availableMinutes: 250))
        // Exactly the 250: the package is left with nothing available, the other task's 60 intact.
        let last = try PackageLedger.logWork(250, task: second.task, package: second.package, on: today).get()
        #expect(last.package.availableMinutes == 0 && last.package.reservedMinutes == 60)
    }

    @Test("after the package's end only the reservation can be consumed")
    func expiredPackage() throws {
        let pkg = package(7, starts: "2026-01-01", ends: "2026-12-31", bought: 600, reserved: 60)
        let task = WorkTask(id: 1, ticket: 55, package: 7, quote: 9, estimateMinutes: 60, reservedMinutes: 60)
        #expect(refusal(PackageLedger.logWork(75, task: task, package: pkg, on: today)) == .exceedsBalance(availableMinutes: 60))
        #expect((try? PackageLedger.logWork(60, task: task, package: pkg, on: today).get())?.package.consumedMinutes == 60)
        // On its last day the free minutes still count: 60 + 540.
        #expect((try? PackageLedger.logWork(75, task: task, package: pkg, on: day("2026-12-31")).get()) != nil)
    }

    @Test("closed tasks and empty worklogs are refused")
    func refusals() {
        let pkg = package(7, starts: "2026-12-01", bought: 600, reserved: 60)
        let closed = WorkTask(id: 1, ticket: 55, package: 7, quote: 9, estimateMinutes: 60, reservedMinutes: 0,
                              closedOn: day("2027-01-05"))
        #expect(refusal(PackageLedger.logWork(15, task: closed, package: pkg, on: today)) == .taskClosed)
        let open = WorkTask(id: 1, ticket: 55, package: 7, quote: 9, estimateMinutes: 60, reservedMinutes: 60)
        #expect(refusal(PackageLedger.logWork(0, task: open, package: pkg, on: today)) == .invalidMinutes(0))
    }

    @Test("closing releases what remains reserved")
    func close() {
        // 600 bought, 150 reserved (90 of them by this task), 200 consumed: 250 available.
        let pkg = package(7, starts: "2026-12-01", bought: 600, reserved: 150, consumed: 200)
        let task = WorkTask(id: 1, ticket: 55, package: 7, quote: 9, estimateMinutes: 240, reservedMinutes: 90,
                            loggedMinutes: 150)
        let (closedTask, released) = PackageLedger.close(task, package: pkg, on: today)
        // Reserved 150 − 90 = 60; available 600 − 60 − 200 = 340.
        #expect(released.reservedMinutes == 60 && released.availableMinutes == 340)
        #expect(closedTask.reservedMinutes == 0 && closedTask.closedOn == today && closedTask.loggedMinutes == 150)
    }

    @Test("random reservations, worklogs and closings never drive a balance below zero")
    func neverNegative() {
        var rng = SplitMix(seed: 42)
        var pkg = package(1, starts: "2026-01-01", bought: 6_000)
        var tasks: [WorkTask] = []
        for step in 0..<2_000 {
            switch rng.next() % 3 {
            case 0:
                let estimate = Int(rng.next() % 40 + 1) * 15
                if case .covered = PackageLedger.cover(estimateMinutes: estimate, packages: [pkg], today: today) {
                    pkg = PackageLedger.reserve(estimate, in: pkg)
                    tasks.append(WorkTask(id: Int64(step), ticket: Int64(step), package: 1, quote: 1,
                                          estimateMinutes: estimate, reservedMinutes: estimate))
                }
            case 1 where !tasks.isEmpty:
                let index = Int(rng.next() % UInt64(tasks.count))
                let minutes = Int(rng.next() % 40 + 1) * 15
                if case .success(let result) = PackageLedger.logWork(minutes, task: tasks[index], package: pkg, on: today) {
                    (tasks[index], pkg) = (result.task, result.package)
                }
            case 2 where !tasks.isEmpty:
                let index = Int(rng.next() % UInt64(tasks.count))
                (_, pkg) = PackageLedger.close(tasks[index], package: pkg, on: today)
                tasks.remove(at: index)
            default:
                break
            }
            #expect(pkg.availableMinutes >= 0 && pkg.reservedMinutes >= 0)
            #expect(pkg.reservedMinutes == tasks.map(\.reservedMinutes).reduce(0, +))
            #expect(pkg.consumedMinutes <= pkg.boughtMinutes)
        }
    }

    @Test("orders: validated, and an offer's end date counted in months")
    func orders() {
        let order = PackageOrder(customer: 10, boughtMinutes: 600, price: eur("800.00"), startsOn: day("2027-02-01"),
                                 endsOn: day("2027-01-31"))
        #expect((try? order.validate().get()) == nil)
        if case .failure(let error) = order.validate() { #expect(error.field == "endsOn") }
        let offer = PackageOffer(name: "Pacchetto 10", hours: 10, price: eur("800.00"), validityMonths: 12)
        let fromOffer = PackageOrder(customer: 10, offer: offer, startsOn: day("2027-01-01"))
        #expect(fromOffer.boughtMinutes == 600 && fromOffer.endsOn == day("2027-12-31"))
        #expect(SupportPackage.endDate(startingOn: day("2027-01-31"), months: 1) == day("2027-02-28"))
        #expect(SupportPackage.endDate(startingOn: day("2028-01-31"), months: 1) == day("2028-02-29"))
        #expect(SupportPackage.endDate(startingOn: day("2027-11-15"), months: 2) == day("2028-01-14"))
        #expect(SupportPackage.endDate(startingOn: day("2027-12-31"), months: 60) == day("2032-12-30"))
        let stored = fromOffer.package(id: 8)
        #expect(stored.availableMinutes == 600 && stored.status(on: day("2027-06-01")) == .active)
    }
}

/// The refusal of a worklog, or nil when it was accepted.
private func refusal(_ result: Result<(task: WorkTask, package: SupportPackage), WorklogError>) -> WorklogError? {
    if case .failure(let error) = result { error } else { nil }
}

/// A tiny deterministic generator for the random walk above.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
