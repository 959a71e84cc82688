import Foundation

/// RFC 5322 §3.3 date-time, read without locale or calendar APIs.
public enum MailDate {
    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    /// RFC 5322 §4.3 obsolete zone names, in minutes east of UTC.
    static let zones: [String: Int] = [
        "ut": 0, "gmt": 0, "z": 0, "utc": 0,
        "edt": -4 * 60, "est": -5 * 60, "cdt": -5 * 60, "cst": -6 * 60,
        "mdt": -6 * 60, "mst": -7 * 60, "pdt": -7 * 60, "pst": -8 * 60,
    ]

    /// Parses `Tue, 1 Dec 2026 10:00:05 +0100 (CET)` and the obsolete forms of RFC 5322 §4.3
    /// (no weekday, two- or three-digit years, zone names, seconds missing, extra blanks).
    /// Unknown zones (military letters, §4.3) count as UTC. Nil when there is no day, month,
    /// year and time to read, or when they are out of range.
    public static func parse(_ value: String) -> Date? {
        // Drop comments, then split at blanks and commas.
        var text = ""
        var depth = 0
        for c in value {
            if c == "(" { depth += 1; continue }
            if c == ")" { depth = max(0, depth - 1); continue }
            if depth == 0 { text.append(c) }
        }
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," || $0 == "\r" || $0 == "\n" }).map(String.init)
        var day: Int?, month: Int?, year: Int?
        var hour: Int?, minute: Int?, second = 0
        var offsetMinutes = 0
        for token in tokens {
            let lower = token.lowercased()
            if token.contains(":") {
                let parts = token.split(separator: ":").map { Int($0) }
                guard parts.count >= 2, let h = parts[0], let m = parts[1] else { return nil }
                hour = h; minute = m
                if parts.count > 2, let s = parts[2] { second = s }
            } else if let first = token.first, first == "+" || first == "-", token.count == 5, let number = Int(token.dropFirst()) {
                offsetMinutes = (number / 100 * 60 + number % 100) * (first == "-" ? -1 : 1)
            } else if let index = months.firstIndex(where: { lower.hasPrefix($0) }), month == nil, day != nil || lower.count <= 9 {
                month = index + 1
            } else if token.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(token) {
                if day == nil && token.count <= 2 { day = number }
                else if year == nil {
                    // §4.3: two digits 00–49 are 2000–2049, 50–99 are 1950–1999; three digits add 1900.
                    year = token.count == 2 ? (number < 50 ? 2000 + number : 1900 + number) : token.count == 3 ? 1900 + number : number
                }
            } else if let zone = zones[lower] {
                offsetMinutes = zone
            }
        }
        guard let day, let month, let year, let hour, let minute,
              (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
              (1...9999).contains(year) else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (400-year eras of 146,097 days).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

extension MailMessage {
    /// The `Date` header as an instant (see `MailDate.parse`), nil when absent or unreadable.
    public var sentAt: Date? { date.flatMap(MailDate.parse) }
}
