import Foundation
import Testing
import SportelloDomain

/// The holiday catalogue against a table computed here independently: Easter by the
/// Meeus/Jones/Butcher ("anonymous Gregorian") algorithm, while the source uses Gauss's.
@Suite("Italian holidays")
struct HolidayTests {
    /// Meeus/Jones/Butcher.
    static func easter(_ year: Int) -> LocalDate {
        let a = year % 19, b = year / 100, c = year % 100
        let d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4, k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return CalFixtures.date(String(format: "%04d-%02d-%02d", year, month, day))
    }

    /// The expected national holidays of a year from 1986 on (the rules docs/product.md §6 lists).
    static func expected(_ year: Int) -> Set<LocalDate> {
        func day(_ m: Int, _ d: Int) -> LocalDate { CalFixtures.date(String(format: "%04d-%02d-%02d", year, m, d)) }
        var dates: Set<LocalDate> = [
            day(1, 1), day(1, 6), day(4, 25), day(5, 1), day(8, 15), day(11, 1), day(12, 8), day(12, 25), day(12, 26),
            easter(year).adding(days: 1),
        ]
        if year >= 2001 {
            dates.insert(day(6, 2))
        } else {
            // First Sunday of June: June 1 + (7 − weekday index of June 1) mod 7.
            let june1 = day(6, 1)
            dates.insert(june1.adding(days: (7 - june1.weekday.rawValue) % 7))
        }
        if year >= 2026 { dates.insert(day(10, 4)) }
        if year == 2011 { dates.insert(day(3, 17)) }
        return dates
    }

    @Test func easterMatchesAnIndependentAlgorithm() {
        for year in 1583...3000 {
            #expect(ItalianHolidays.easterSunday(year: year) == Self.easter(year), "\(year)")
        }
    }

    @Test(arguments: [
        ("1954-04-18"), ("1981-04-19"), ("1990-04-15"), ("2000-04-23"), ("2008-03-23"), ("2011-04-24"),
        ("2019-04-21"), ("2024-03-31"), ("2025-04-20"), ("2026-04-05"), ("2027-03-28"), ("2038-04-25"),
        ("2049-04-18"), ("2076-04-19"), ("2285-03-22"),
    ])
    func knownEasterSundays(_ iso: String) {
        let date = CalFixtures.date(iso)
        #expect(ItalianHolidays.easterSunday(year: date.year) == date)
        #expect(date.weekday == .sun)
    }

    @Test func nationalHolidays1986To2100MatchTheTable() {
        for year in 1986...2100 {
            let list = ItalianHolidays.national(year: year)
            #expect(Set(list.map(\.date)) == Self.expected(year), "\(year)")
            #expect(list.map(\.date) == list.map(\.date).sorted(), "\(year) sorted")
            #expect(Set(list.map(\.date)).count == list.count, "\(year) one entry per date")
        }
    }

    @Test func nationalHolidays1990To2100AreNonWorkingOnEverySeededCalendar() {
        for calendar in CalendarSeed.calendars {
            for year in 1990...2100 {
                for date in Self.expected(year) {
                    #expect(!calendar.isWorkingDate(date), "\(calendar.name) \(date)")
                }
            }
        }
    }

    @Test func italianNames() {
        let names = Dictionary(uniqueKeysWithValues: ItalianHolidays.national(year: 2027).map { ($0.date.iso, $0.name) })
        #expect(names == [
            "2027-01-01": "Capodanno", "2027-01-06": "Epifania", "2027-03-29": "Lunedì dell'Angelo",
            "2027-04-25": "Festa della Liberazione", "2027-05-01": "Festa del Lavoro",
            "2027-06-02": "Festa della Repubblica", "2027-08-15": "Ferragosto",
            "2027-10-04": "San Francesco d'Assisi", "2027-11-01": "Ognissanti",
            "2027-12-08": "Immacolata Concezione", "2027-12-25": "Natale", "2027-12-26": "Santo Stefano",
        ])
    }

    @Test func sameDateTwiceIsListedOnce() {
        // 2011: Easter Monday fell on 25 April; 17 March was the one-off 150th anniversary.
        let list = ItalianHolidays.national(year: 2011)
        #expect(list.filter { $0.date.iso == "2011-04-25" }.map(\.name) == ["Lunedì dell'Angelo / Festa della Liberazione"])
        #expect(list.contains { $0.date.iso == "2011-03-17" && $0.name == "Anniversario dell'Unità d'Italia" })
        #expect(!ItalianHolidays.national(year: 2012).contains { $0.date.iso == "2012-03-17" })
    }

    @Test func lawsOfTheTime() {
        func isos(_ year: Int) -> Set<String> { Set(ItalianHolidays.national(year: year).map(\.date.iso)) }
        // 1976, before Legge 54/1977 (Easter 18 Apr 1976 → Ascension 27 May, Corpus Domini 17 Jun).
        let y1976 = isos(1976)
        for iso in ["1976-01-06", "1976-03-19", "1976-05-27", "1976-06-17", "1976-06-02", "1976-06-29", "1976-11-04"] {
            #expect(y1976.contains(iso), "\(iso)")
        }
        #expect(!y1976.contains("1976-10-04"))   // 1958–1976 not modelled (documented)
        // 1977–1985: Epiphany, St Joseph, Ascension, Corpus Domini, 29 Jun, 4 Nov gone;
        // the Republic on the first Sunday of June (5 Jun 1977, 1 Jun 1980).
        let y1977 = isos(1977)
        for iso in ["1977-01-06", "1977-03-19", "1977-06-02", "1977-06-29", "1977-11-04"] { #expect(!y1977.contains(iso), "\(iso)") }
        #expect(y1977.contains("1977-06-05"))
        #expect(isos(1980).contains("1980-06-01"))
        #expect(!isos(1985).contains("1985-01-06"))
        #expect(isos(1986).contains("1986-01-06"))
        // 2000: first Sunday of June is 4 June; 2001: back to 2 June.
        #expect(isos(2000).contains("2000-06-04") && !isos(2000).contains("2000-06-02"))
        #expect(isos(2001).contains("2001-06-02"))
        // Liberation from 1946, Republic from 1947.
        #expect(!isos(1945).contains("1945-04-25") && isos(1946).contains("1946-04-25"))
        #expect(!isos(1946).contains("1946-06-02") && isos(1947).contains("1947-06-02"))
        // Saint Francis from 2026.
        #expect(!isos(2025).contains("2025-10-04") && isos(2026).contains("2026-10-04"))
        // Every year of the supported range has a list starting with Capodanno.
        for year in ItalianHolidays.supportedYears {
            #expect(ItalianHolidays.national(year: year).first?.name == "Capodanno")
        }
    }

    @Test func calendarHolidayListMergesKinds() throws {
        let calendar = try CalFixtures.calendar(
            weekly: [.mon: ["08:00-18:00"]],
            extra: ["06-29", "12-08"], holidays: ["2026-11-02", "2026-12-26"],
            closures: [("2026-12-24", "2027-01-06")])
        let list = calendar.holidays(in: 2026)
        #expect(list.map(\.date) == list.map(\.date).sorted())
        #expect(Set(list.map(\.date)).count == list.count)
        func kind(_ iso: String) -> HolidayKind? { list.first { $0.date.iso == iso }?.kind }
        #expect(kind("2026-06-29") == .extra)
        #expect(kind("2026-12-08") == .national)       // also an extra holiday
        #expect(kind("2026-11-02") == .oneOff)
        #expect(kind("2026-12-25") == .national)       // inside the closure
        #expect(kind("2026-12-26") == .national)       // national, one-off and closure
        #expect(kind("2026-12-27") == .closure)        // a Sunday, still listed
        #expect(kind("2026-12-31") == .closure)
        #expect(list.first { $0.date.iso == "2026-12-28" }?.name == "test closure")
        // 24–31 Dec: 8 closure days of which 25 and 26 are national.
        #expect(list.filter { $0.kind == .closure }.count == 6)
        // 2027 gets the closure's tail (1 and 6 Jan national).
        let next = calendar.holidays(in: 2027)
        #expect(next.filter { $0.kind == .closure }.map(\.date.iso) == ["2027-01-02", "2027-01-03", "2027-01-04", "2027-01-05"])
        // 12 national holidays in 2026 (4 Oct included), all listed.
        #expect(list.filter { $0.kind == .national }.count == 12)
    }

    @Test func leapDayExtraHolidayOnlyInLeapYears() throws {
        let calendar = try CalFixtures.calendar(weekly: [.mon: ["08:00-18:00"]], extra: ["02-29"])
        #expect(calendar.holidays(in: 2028).contains { $0.date.iso == "2028-02-29" })
        #expect(!calendar.holidays(in: 2027).contains { $0.kind == .extra })
    }
}
