import Testing
@testable import SportelloDomain

private func eur(_ text: String) -> Money { try! Money(wire: text) }

private let offers = [
    PackageOffer(name: "Pacchetto 10", hours: 10, price: eur("800.00"), validityMonths: 12),
    PackageOffer(name: "Pacchetto 50", hours: 50, price: eur("3750.00"), validityMonths: 24),
]

@Suite("Price list and billable minutes")
struct PriceListTests {

    @Test("estimates and worklogs: whole minutes, at least the minimum, in steps, at most 10,000 h")
    func minutesRule() {
        let rule = BillableMinutesRule.standard
        #expect(rule.check(minutes: 15) == .success(15))
        #expect(rule.check(minutes: 390) == .success(390))
        #expect(rule.check(minutes: 600_000) == .success(600_000))
        #expect(rule.check(minutes: 0) == .failure(.notPositive))
        #expect(rule.check(minutes: -15) == .failure(.notPositive))
        #expect(rule.check(minutes: 10) == .failure(.belowMinimum(minimumMinutes: 15)))
        #expect(rule.check(minutes: 20) == .failure(.notAMultipleOfStep(stepMinutes: 15)))
        #expect(rule.check(minutes: 600_015) == .failure(.aboveMaximum(maximumMinutes: 600_000)))
    }

    @Test("wire durations: hours and minutes come to whole minutes; working days are refused")
    func wireDurations() {
        let rule = BillableMinutesRule.standard
        #expect(rule.check(.hours(6.5)) == .success(390))
        #expect(rule.check(.minutes(45)) == .success(45))
        #expect(rule.check(.hours(0)) == .failure(.notPositive))
        #expect(rule.check(.minutes(-30)) == .failure(.notPositive))
        #expect(rule.check(.minutes(22.5)) == .failure(.notWholeMinutes))
        #expect(rule.check(.hours(0.3)) == .failure(.notAMultipleOfStep(stepMinutes: 15)))  // 18 min
        #expect(rule.check(.hours(10_001)) == .failure(.aboveMaximum(maximumMinutes: 600_000)))
        #expect(rule.check(.hours(.infinity)) == .failure(.notWholeMinutes))
        #expect(rule.check(.workingDays(1)) == .failure(.workingDaysNotAccepted))
        #expect(BillableMinutesError.aboveMaximum(maximumMinutes: 600_000).reason == "must be at most 10000 hours")
        #expect(BillableMinutesError.notAMultipleOfStep(stepMinutes: 15).reason == "must be a multiple of 15 minutes")
    }

    @Test("a price list's own minimum and step")
    func customRule() {
        let rule = BillableMinutesRule(minimumMinutes: 60, stepMinutes: 30)
        #expect(rule.check(minutes: 30) == .failure(.belowMinimum(minimumMinutes: 60)))
        #expect(rule.check(minutes: 75) == .failure(.notAMultipleOfStep(stepMinutes: 30)))
        #expect(rule.check(minutes: 90) == .success(90))
    }

    @Test("a sound list validates")
    func soundList() {
        let list = PriceList(hourlyRate: eur("85.00"), packageOffers: offers)
        #expect(list.validate() == .success(list))
        #expect(PriceList(hourlyRate: eur("0.01")).validate() == .success(PriceList(hourlyRate: eur("0.01"))))
    }

    @Test("each broken rule names its field", arguments: [
        (PriceList(hourlyRate: .zero), "hourlyRate"),
        (PriceList(hourlyRate: eur("85.00"), minutes: BillableMinutesRule(minimumMinutes: 0, stepMinutes: 15)), "minimumMinutes"),
        (PriceList(hourlyRate: eur("85.00"), minutes: BillableMinutesRule(minimumMinutes: 15, stepMinutes: 0)), "stepMinutes"),
        (PriceList(hourlyRate: eur("85.00"), minutes: BillableMinutesRule(minimumMinutes: 20, stepMinutes: 15)), "minimumMinutes"),
        (PriceList(hourlyRate: eur("85.00"), packageOffers: [offers[0], offers[0]]), "packageOffers[1].name"),
        (PriceList(hourlyRate: eur("85.00"), packageOffers: [
            offers[0], PackageOffer(name: " pacchetto 10 ", hours: 5, price: eur("1.00"), validityMonths: 1)]),
         "packageOffers[1].name"),
        (PriceList(hourlyRate: eur("85.00"), packageOffers: [
            PackageOffer(name: "  ", hours: 5, price: eur("1.00"), validityMonths: 1)]), "packageOffers[0].name"),
        (PriceList(hourlyRate: eur("85.00"), packageOffers: [
            PackageOffer(name: "A", hours: 0, price: eur("1.00"), validityMonths: 1)]), "packageOffers[0].hours"),
        (PriceList(hourlyRate: eur("85.00"), packageOffers: [
            PackageOffer(name: "A", hours: 5, price: .zero, validityMonths: 1)]), "packageOffers[0].price"),
        (PriceList(hourlyRate: eur("85.00"), packageOffers: [
            PackageOffer(name: "A", hours: 5, price: eur("1.00"), validityMonths: 0)]), "packageOffers[0].validityMonths"),
        (PriceList(hourlyRate: eur("85.00"), packageOffers: [
            PackageOffer(name: "A", hours: 5, price: eur("1.00"), validityMonths: 61)]), "packageOffers[0].validityMonths"),
    ] as [(PriceList, String)])
    func brokenRules(_ list: PriceList, _ field: String) {
        guard case .failure(let error) = list.validate() else {
            Issue.record("accepted \(list)")
            return
        }
        #expect(error.field == field)
    }

    @Test("rate resolution: the quote's own rate, else the contract's, else the list's")
    func rates() {
        let list = PriceList(hourlyRate: eur("85.00"))
        let explicit = list.resolveRate(quoteRate: eur("70.00"), contractRate: eur("60.00"))
        #expect(explicit.rate == eur("70.00") && explicit.source == .quote)
        let contract = list.resolveRate(quoteRate: nil, contractRate: eur("60.00"))
        #expect(contract.rate == eur("60.00") && contract.source == .contract)
        let listed = list.resolveRate(quoteRate: nil, contractRate: nil)
        #expect(listed.rate == eur("85.00") && listed.source == .priceList)
    }

    @Test("offers are found by name ignoring case and surrounding spaces")
    func offerByName() {
        let list = PriceList(hourlyRate: eur("85.00"), packageOffers: offers)
        #expect(list.offer(named: " PACCHETTO 50") == offers[1])
        #expect(list.offer(named: "Pacchetto 20") == nil)
    }
}
