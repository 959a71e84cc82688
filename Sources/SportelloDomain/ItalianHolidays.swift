import Foundation

/// Italian national public holidays ("giorni festivi") with the law in force in each year.
///
/// What is modelled, for a year `y`:
/// - every year: 1 Jan *Capodanno*, Easter Monday *Lunedì dell'Angelo*, 1 May *Festa del
///   Lavoro*, 15 Aug *Ferragosto*, 1 Nov *Ognissanti*, 8 Dec *Immacolata Concezione*,
///   25 Dec *Natale*, 26 Dec *Santo Stefano*;
/// - 6 Jan *Epifania*: abolished by Legge 54/1977 for 1977–1985, restored by DPR 792/1985 from 1986;
/// - 25 Apr *Festa della Liberazione*: from 1946;
/// - *Festa della Repubblica*: 2 June from 1947; for 1977–2000 (Legge 54/1977, until
///   Legge 336/2000) it was moved to the first Sunday of June, and is listed on that Sunday,
///   so it removes no weekday in those years;
/// - 4 Oct *San Francesco d'Assisi*: from 2026 (Legge 8 ottobre 2025 n. 151; 4 Oct 2027 is the
///   first Monday it removes). Legge 132/1958 also honoured 4 October until 1977, but whether it
///   was a non-working day is not certain enough here, so 1958–1976 do **not** list it;
/// - 17 Mar 2011 *Anniversario dell'Unità d'Italia*: the one-off 150th anniversary holiday;
/// - until 1976, the holidays that Legge 54/1977 abolished or moved to a Sunday (they are in the
///   list of Legge 260/1949): 19 Mar *San Giuseppe*, Ascension Thursday (Easter + 39)
///   *Ascensione*, Corpus Domini Thursday (Easter + 60) *Corpus Domini*, 29 Jun *Santi Pietro e
///   Paolo* and 4 Nov *Giornata dell'Unità Nazionale* (from 1919; after 1976 it is celebrated on
///   a Sunday and is not listed).
///
/// Years before 1949 use the list of Legge 260/1949 backwards, minus the dates that did not exist
/// yet (above). The Kingdom's own civil holidays (20 Sep, 21 Apr, 28 Oct, the 1923–1945
/// suppression of 1 May) are **not** modelled: the catalogue is exact from 1949 on and an
/// approximation before. Easter Sunday itself is not listed (it is a Sunday).
///
/// When two holidays fall on the same date (25 Apr 2011 was also Easter Monday) the date is
/// listed once, with both names joined by `" / "`.
public enum ItalianHolidays {
    /// The years the catalogue is meant for; other Gregorian years get the modern rules.
    public static let supportedYears: ClosedRange<Int> = 1900...2200

    /// Gregorian Easter Sunday (Gauss's algorithm with its two April exceptions).
    public static func easterSunday(year: Int) -> LocalDate {
        let a = year % 19, b = year % 4, c = year % 7
        let k = year / 100
        let p = (13 + 8 * k) / 25
        let q = k / 4
        let m = (15 - p + k - q) % 30
        let n = (4 + k - q) % 7
        let d = (19 * a + m) % 30
        let e = (2 * b + 4 * c + 6 * d + n) % 7
        var marchDay = 22 + d + e               // day counted from 1 March
        if d == 29 && e == 6 {
            marchDay = 31 + 19                  // 26 April becomes 19 April
        } else if d == 28 && e == 6 && (11 * m + 11) % 30 < 19 {
            marchDay = 31 + 18                  // 25 April becomes 18 April
        }
        let march1 = LocalDate(daysSinceEpoch: LocalDate.daysFromCivil(year: year, month: 3, day: 1))
        return march1.adding(days: marchDay - 1)
    }

    /// The national holidays of `year`, sorted, one entry per date, names in Italian.
    public static func national(year: Int) -> [(date: LocalDate, name: String)] {
        var list: [(date: LocalDate, name: String)] = []
        func fixed(_ month: Int, _ day: Int, _ name: String) {
            if let date = LocalDate(year: year, month: month, day: day) { list.append((date, name)) }
        }
        let easter = easterSunday(year: year)
        let legacy = year < 1977   // before Legge 54/1977

        fixed(1, 1, "Capodanno")
        if legacy || year >= 1986 { fixed(1, 6, "Epifania") }
        if legacy { fixed(3, 19, "San Giuseppe") }
        if year == 2011 { fixed(3, 17, "Anniversario dell'Unità d'Italia") }
        list.append((easter.adding(days: 1), "Lunedì dell'Angelo"))
        if year >= 1946 { fixed(4, 25, "Festa della Liberazione") }
        fixed(5, 1, "Festa del Lavoro")
        if legacy {
            list.append((easter.adding(days: 39), "Ascensione"))
            list.append((easter.adding(days: 60), "Corpus Domini"))
        }
        if year >= 1947 {
            if (1977...2000).contains(year), let june1 = LocalDate(year: year, month: 6, day: 1) {
                let toSunday = (Weekday.sun.rawValue - june1.weekday.rawValue + 7) % 7
                list.append((june1.adding(days: toSunday), "Festa della Repubblica"))
            } else {
                fixed(6, 2, "Festa della Repubblica")
            }
        }
        if legacy { fixed(6, 29, "Santi Pietro e Paolo") }
        fixed(8, 15, "Ferragosto")
        if year >= 2026 { fixed(10, 4, "San Francesco d'Assisi") }
        fixed(11, 1, "Ognissanti")
        if legacy && year >= 1919 { fixed(11, 4, "Giornata dell'Unità Nazionale") }
        fixed(12, 8, "Immacolata Concezione")
        fixed(12, 25, "Natale")
        fixed(12, 26, "Santo Stefano")

        // Stable sort, then one entry per date.
        let sorted = list.enumerated().sorted { ($0.element.date, $0.offset) < ($1.element.date, $1.offset) }
        var result: [(date: LocalDate, name: String)] = []
        for (_, entry) in sorted {
            if let last = result.last, last.date == entry.date {
                result[result.count - 1].name = last.name + " / " + entry.name
            } else {
                result.append(entry)
            }
        }
        return result
    }

    /// Whether `date` is a national holiday.
    public static func isNationalHoliday(_ date: LocalDate) -> Bool {
        national(year: date.year).contains { $0.date == date }
    }

    /// Days since 2001-01-01 of every national holiday in ``supportedYears``, sorted; built once
    /// per process for the calendars' indexes.
    static let supportedRangeDayNumbers: [Int] = supportedYears.flatMap { year in
        national(year: year).map { $0.date.dayNumber }
    }
}
