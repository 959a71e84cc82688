import Foundation
import Testing
@testable import SportelloDomain

private func eur(_ text: String) -> Money { try! Money(wire: text) }

@Suite("Money")
struct MoneyTests {

    @Test("wire amounts parse to cents and format back to the same string",
          arguments: [("1275.00", 127_500), ("0.50", 50), ("0.05", 5), ("0.00", 0), ("42.50", 4_250),
                      ("999999999.99", 99_999_999_999)] as [(String, Int64)])
    func roundTrip(_ text: String, _ cents: Int64) throws {
        let money = try Money(wire: text)
        #expect(money.cents == cents)
        #expect(money.currency == .eur)
        #expect(money.wire == text)
    }

    @Test("malformed amounts are refused, each with its reason",
          arguments: [
            ("", MoneyParseError.empty),
            ("12", .missingDecimals),
            ("12.345", .wrongDecimalCount(3)),
            ("12.5", .wrongDecimalCount(1)),
            ("12.", .wrongDecimalCount(0)),
            ("-5.00", .signed),
            ("+5.00", .signed),
            ("EUR 12", .notADecimal),
            ("EUR 12.00", .notADecimal),
            ("€12.00", .notADecimal),
            (" 12.00", .notADecimal),
            ("12.00 ", .notADecimal),
            ("1e3.00", .notADecimal),
            ("1,275.00", .notADecimal),
            ("12,50", .notADecimal),
            (".50", .notADecimal),
            ("1.2.00", .notADecimal),
            ("007.00", .leadingZero),
            ("1000000000.00", .tooLarge),
            ("١٢.٠٠", .notADecimal),  // Arabic-Indic digits are not ASCII digits
          ] as [(String, MoneyParseError)])
    func refused(_ text: String, _ expected: MoneyParseError) {
        #expect(throws: expected) { try Money(wire: text) }
        #expect(!expected.reason.isEmpty)
    }

    @Test("the reasons say what is wrong")
    func reasons() {
        #expect(MoneyParseError.wrongDecimalCount(3).reason == "an amount has exactly two decimals, got 3")
        #expect(MoneyParseError.signed.reason.contains("never negative"))
    }

    @Test("cents outside 0...999999999.99 make no Money")
    func bounds() {
        #expect(Money(cents: -1) == nil)
        #expect(Money(cents: Money.maximumCents + 1) == nil)
        #expect(Money(cents: Money.maximumCents)?.wire == "999999999.99")
    }

    @Test("minutes × hourly rate, rounded to the cent half up")
    func minutesTimesRate() {
        // 390 min × 42.50 €/h = 6.5 h × 4250 c = 27625 c exactly.
        #expect(eur("42.50").forMinutes(390).cents == 27_625)
        // 25 min × 10.01 €/h = 1001 c × 25 / 60 = 25025 / 60 = 417.083… c → 417 c (down).
        #expect(eur("10.01").forMinutes(25).cents == 417)
        // 15 min × 0.02 €/h = 2 c × 15 / 60 = 0.5 c exactly → half up → 1 c.
        #expect(eur("0.02").forMinutes(15).cents == 1)
        // 45 min × 0.06 €/h = 6 × 45 / 60 = 4.5 c → 5 c (a truncation would give 4).
        #expect(eur("0.06").forMinutes(45).cents == 5)
        // 20 min × 0.05 €/h = 5 × 20 / 60 = 1.666… c → 2 c (up, above the half).
        #expect(eur("0.05").forMinutes(20).cents == 2)
        // 20 min × 0.04 €/h = 4 × 20 / 60 = 1.333… c → 1 c.
        #expect(eur("0.04").forMinutes(20).cents == 1)
        // 10,000 h at the largest rate: 600000 × 99999999999 = 5.99999999994e16 c, / 60 exact
        // = 999999999990000 c: no overflow, but beyond what the wire can carry.
        let huge = Money(cents: Money.maximumCents)!.forMinutes(600_000)
        #expect(huge.cents == 999_999_999_990_000)
        #expect(!huge.isWithinWireBounds)
    }

    @Test("Italian and English display: grouping, decimals, symbol")
    func display() {
        #expect(eur("1275.00").display(in: .it) == "1.275,00 €")
        #expect(eur("1275.00").display(in: .en) == "€1,275.00")
        #expect(eur("0.05").display(in: .it) == "0,05 €")
        #expect(eur("999.99").display(in: .en) == "€999.99")
        #expect(eur("1234567.80").display(in: .it) == "1.234.567,80 €")
        #expect(eur("1234567.80").display(in: .en) == "€1,234,567.80")
        #expect(eur("100000.00").display(in: .it) == "100.000,00 €")
    }

    @Test("sums and description")
    func arithmetic() {
        #expect((eur("0.99") + eur("0.01")).wire == "1.00")
        #expect(eur("12.30").description == "12.30 EUR")
        #expect(eur("2.00") > eur("1.99"))
    }
}

@Suite("Money on the wire")
struct MoneyCodingTests {
    @Test("the wire object round-trips; numbers, other currencies and bad strings are refused")
    func coding() throws {
        let money = try JSONDecoder().decode(Money.self, from: Data(#"{"amount": "1275.00", "currency": "EUR"}"#.utf8))
        #expect(money.cents == 127_500)
        let encoded = try JSONEncoder().encode(money)
        #expect(try JSONDecoder().decode(Money.self, from: encoded) == money)
        #expect(String(decoding: encoded, as: UTF8.self).contains(#""amount":"1275.00""#))
        for bad in [#"{"amount": 12.5, "currency": "EUR"}"#, #"{"amount": "12.50", "currency": "USD"}"#,
                    #"{"amount": "12.345", "currency": "EUR"}"#, #"{"amount": "12.50"}"#] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(Money.self, from: Data(bad.utf8)) }
        }
    }
}
