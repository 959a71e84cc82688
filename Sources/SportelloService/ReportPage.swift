import Foundation
import SportelloDomain

/// The SLA report as one printable, self-contained HTML page (docs/product.md §6 Reports): inline
/// CSS and inline SVG charts, no script, no external resource; readable on screen and on A4.
///
/// Its parts: the compliance per month (share of clocks met, charge taking and the second
/// clock, bars against the 100 % line), the working time each priority took (median and 90th
/// percentile, a range per clock), the clocks still open by state, and the table of the rows
/// exactly as `sla.report` gives them for the requested grouping.
public enum SLAReportPage {
    public struct Input: Sendable {
        /// The report for the requested grouping: its rows are the table.
        public var table: SLAReportMethod.Result
        /// The same period grouped by month, and by priority.
        public var byMonth: SLAReportMethod.Result
        public var byPriority: SLAReportMethod.Result
        /// The period's tickets still open at the report's instant, by age and SLA state.
        public var openAges: SLAOpenTicketAges

        public init(
            table: SLAReportMethod.Result, byMonth: SLAReportMethod.Result, byPriority: SLAReportMethod.Result,
            openAges: SLAOpenTicketAges = SLAOpenTicketAges()
        ) {
            self.table = table
            self.byMonth = byMonth
            self.byPriority = byPriority
            self.openAges = openAges
        }
    }

    public static func render(_ input: Input, language: Language) -> String {
        let t = Texts(language)
        let report = input.table
        var html: [String] = []
        html.append("""
            <!DOCTYPE html>
            <html lang="\(language.rawValue)">
            <head>
            <meta charset="utf-8">
            <title>\(escape(t.title)) \(report.from.description) – \(report.to.description)</title>
            <style>
            @page { size: A4; margin: 14mm 12mm; }
            * { box-sizing: border-box; }
            body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #1d2733; margin: 0 auto; max-width: 186mm; padding: 8mm 0; font-size: 10pt; }
            h1 { font-size: 17pt; margin: 0 0 2mm; color: #123a63; }
            h2 { font-size: 12pt; margin: 7mm 0 2mm; color: #123a63; border-bottom: 0.4mm solid #c9d4df; padding-bottom: 1mm; }
            p.meta { margin: 0; color: #4a5866; }
            .kpis { display: flex; gap: 3mm; margin-top: 5mm; }
            .kpi { flex: 1; border: 0.3mm solid #c9d4df; border-radius: 2mm; padding: 2.5mm 3mm; }
            .kpi b { display: block; font-size: 16pt; color: #123a63; }
            .kpi span { color: #4a5866; font-size: 8.5pt; }
            figure { margin: 0; page-break-inside: avoid; break-inside: avoid; }
            figcaption { color: #4a5866; font-size: 8.5pt; margin-top: 1mm; }
            svg { display: block; width: 100%; height: auto; }
            svg text { font-family: inherit; }
            table { border-collapse: collapse; width: 100%; font-size: 6.3pt; margin-top: 2mm; }
            th, td { border-bottom: 0.2mm solid #dbe3ea; padding: 0.6mm 0.5mm; text-align: right; }
            td { white-space: nowrap; }
            th { vertical-align: bottom; }
            th { background: #eef3f7; color: #123a63; font-weight: 600; }
            td.key, th.key { text-align: left; }
            tr.totals td { font-weight: 700; border-top: 0.4mm solid #123a63; }
            thead { display: table-header-group; }
            tr { page-break-inside: avoid; break-inside: avoid; }
            .legend { font-size: 8.5pt; color: #4a5866; margin: 1mm 0; }
            .swatch { display: inline-block; width: 3mm; height: 3mm; margin: 0 1mm 0 3mm; vertical-align: middle; }
            </style>
            </head>
            <body>
            <h1>\(escape(t.title))</h1>
            <p class="meta">\(escape(t.period)) \(report.from.description) – \(report.to.description) · \(escape(t.asOf)) \(escape(romeTime(report.at.date)))</p>
            """)
        let totals = report.totals
        let second = totals.resolution ?? totals.firstAid
        html.append("<div class=\"kpis\">")
        html.append(kpi(String(totals.tickets), t.tickets))
        html.append(kpi(percent(totals.chargeTaking.metRatio), t.chargeTakingMet))
        html.append(kpi(percent(second?.metRatio), t.secondMet))
        html.append(kpi(String(totals.chargeTaking.breached + (second?.breached ?? 0)), t.breachedClocks))
        html.append("</div>")

        html.append("<h2>\(escape(t.complianceTitle))</h2>")
        html.append(complianceChart(input.byMonth, t))
        html.append("<h2>\(escape(t.timesTitle))</h2>")
        html.append(timesChart(input.byPriority, t))
        html.append("<h2>\(escape(t.openTitle))</h2>")
        html.append(openChart(input.byPriority, t))
        html.append("<h2>\(escape(t.agesTitle))</h2>")
        html.append(agesChart(input.openAges, t))
        html.append("<h2>\(escape(t.tableTitle))</h2>")
        html.append(table(report, t))
        html.append("</body>\n</html>\n")
        return html.joined(separator: "\n")
    }

    // MARK: Parts

    static let chargeColor = "#2f6fb0"
    static let secondColor = "#e08a1e"
    static let breachColor = "#c2362b"
    static let runningColor = "#7aa6cf"
    static let pausedColor = "#e0b84a"
    static let noSLAColor = "#c9d4df"

    static func kpi(_ value: String, _ label: String) -> String {
        "<div class=\"kpi\"><b>\(escape(value))</b><span>\(escape(label))</span></div>"
    }

    /// Bars per month: charge taking and the second clock, share met, with the 100 % line.
    static func complianceChart(_ report: SLAReportMethod.Result, _ t: Texts) -> String {
        let rows = report.rows
        let width = 700.0, height = 230.0, left = 44.0, bottom = 36.0, top = 14.0
        let plotH = height - bottom - top
        let slot = rows.isEmpty ? 0 : (width - left - 10) / Double(rows.count)
        var svg = svgOpen(width, height, label: t.complianceTitle)
        for tick in stride(from: 0, through: 100, by: 25) {
            let y = top + plotH * (1 - Double(tick) / 100)
            svg += "<line x1=\"\(left)\" y1=\"\(f(y))\" x2=\"\(width - 10)\" y2=\"\(f(y))\" stroke=\"\(tick == 100 ? "#123a63" : "#dbe3ea")\" stroke-width=\"\(tick == 100 ? 1.2 : 0.6)\"\(tick == 100 ? " stroke-dasharray=\"4 3\"" : "")/>"
            svg += "<text x=\"\(left - 4)\" y=\"\(f(y + 3))\" font-size=\"9\" text-anchor=\"end\" fill=\"#4a5866\">\(tick) %</text>"
        }
        for (i, row) in rows.enumerated() {
            let x0 = left + Double(i) * slot
            let barW = max(2, min(22, slot * 0.32))
            for (j, pair) in [(row.chargeTaking.metRatio, chargeColor), ((row.resolution ?? row.firstAid)?.metRatio, secondColor)].enumerated() {
                let x = x0 + slot / 2 - barW + Double(j) * barW
                if let ratio = pair.0?.value {
                    // A 0 % bar keeps a hairline, so that "none met" differs from "no outcome yet".
                    let h = max(1.5, plotH * ratio)
                    svg += "<rect x=\"\(f(x))\" y=\"\(f(top + plotH - h))\" width=\"\(f(barW - 1))\" height=\"\(f(h))\" fill=\"\(pair.1)\"><title>\(percent(pair.0))</title></rect>"
                    if slot >= 40 {
                        svg += "<text x=\"\(f(x + (barW - 1) / 2))\" y=\"\(f(top + plotH - h - 3))\" font-size=\"7\" text-anchor=\"middle\" fill=\"#1d2733\">\(Int((ratio * 100).rounded()))</text>"
                    }
                }
            }
            svg += "<text x=\"\(f(x0 + slot / 2))\" y=\"\(f(height - bottom + 14))\" font-size=\"9\" text-anchor=\"middle\" fill=\"#1d2733\">\(escape(row.group.group.month ?? ""))</text>"
            svg += "<text x=\"\(f(x0 + slot / 2))\" y=\"\(f(height - bottom + 26))\" font-size=\"8\" text-anchor=\"middle\" fill=\"#4a5866\">\(row.tickets) \(escape(t.ticketsShort))</text>"
        }
        if rows.isEmpty { svg += "<text x=\"\(width / 2)\" y=\"\(height / 2)\" text-anchor=\"middle\" fill=\"#4a5866\">\(escape(t.noTickets))</text>" }
        svg += "</svg>"
        return figure(svg, legend: [(chargeColor, t.chargeTaking), (secondColor, t.secondClock)], caption: t.complianceCaption)
    }

    /// Per priority: the median and the 90th percentile of the working minutes each clock took.
    static func timesChart(_ report: SLAReportMethod.Result, _ t: Texts) -> String {
        let rows = report.rows
        let width = 700.0, rowH = 34.0, left = 90.0, right = 110.0, top = 10.0
        let height = top + Double(max(rows.count, 1)) * rowH + 30
        let maxMinutes = rows.flatMap { row in [row.chargeTaking.p90Minutes, (row.resolution ?? row.firstAid)?.p90Minutes] }
            .compactMap { $0?.value }.max() ?? 0
        let scale = maxMinutes > 0 ? (width - left - right) / maxMinutes : 0
        var svg = svgOpen(width, height, label: t.timesTitle)
        for (i, row) in rows.enumerated() {
            let y = top + Double(i) * rowH
            svg += "<text x=\"\(left - 8)\" y=\"\(f(y + rowH / 2 + 3))\" font-size=\"10\" text-anchor=\"end\" fill=\"#1d2733\">\(escape(t.priority)) \(row.group.group.priority.map(String.init) ?? "–")</text>"
            for (j, clock) in [(row.chargeTaking, chargeColor), (row.resolution ?? row.firstAid, secondColor)].enumerated() {
                guard let figures = clock.0, let median = figures.medianMinutes?.value, let p90 = figures.p90Minutes?.value else { continue }
                let cy = y + 9 + Double(j) * 13
                svg += "<line x1=\"\(f(left))\" y1=\"\(f(cy))\" x2=\"\(f(left + p90 * scale))\" y2=\"\(f(cy))\" stroke=\"\(clock.1)\" stroke-width=\"6\" stroke-opacity=\"0.35\"/>"
                svg += "<line x1=\"\(f(left + median * scale))\" y1=\"\(f(cy - 5))\" x2=\"\(f(left + median * scale))\" y2=\"\(f(cy + 5))\" stroke=\"\(clock.1)\" stroke-width=\"2.5\"/>"
                svg += "<text x=\"\(f(left + p90 * scale + 4))\" y=\"\(f(cy + 3))\" font-size=\"8\" fill=\"#4a5866\">\(minutesText(median)) / \(minutesText(p90))</text>"
            }
        }
        if rows.isEmpty || maxMinutes == 0 { svg += "<text x=\"\(width / 2)\" y=\"\(f(height / 2))\" text-anchor=\"middle\" fill=\"#4a5866\">\(escape(t.noStopped))</text>" }
        svg += "<line x1=\"\(left)\" y1=\"\(f(height - 24))\" x2=\"\(width - right)\" y2=\"\(f(height - 24))\" stroke=\"#c9d4df\"/>"
        svg += "<text x=\"\(left)\" y=\"\(f(height - 10))\" font-size=\"8\" fill=\"#4a5866\">0</text>"
        svg += "<text x=\"\(width - right)\" y=\"\(f(height - 10))\" font-size=\"8\" text-anchor=\"end\" fill=\"#4a5866\">\(minutesText(maxMinutes))</text>"
        svg += "</svg>"
        return figure(svg, legend: [(chargeColor, t.chargeTaking), (secondColor, t.secondClock)], caption: t.timesCaption)
    }

    /// Per priority: the clocks still counting, running and already breached.
    static func openChart(_ report: SLAReportMethod.Result, _ t: Texts) -> String {
        let rows = report.rows
        let width = 700.0, rowH = 22.0, left = 210.0, right = 60.0, top = 8.0
        let height = top + Double(max(rows.count, 1)) * rowH * 2 + 12
        func open(_ row: ReportRow) -> [(String, Int, Int)] {
            [(t.chargeTaking, row.chargeTaking.running, openBreached(row.chargeTaking)),
             (t.secondClock, (row.resolution ?? row.firstAid)?.running ?? 0, (row.resolution ?? row.firstAid).map(openBreached) ?? 0)]
        }
        let most = rows.flatMap { open($0).map { $0.1 + $0.2 } }.max() ?? 0
        let scale = most > 0 ? (width - left - right) / Double(most) : 0
        var svg = svgOpen(width, height, label: t.openTitle)
        for (i, row) in rows.enumerated() {
            for (j, entry) in open(row).enumerated() {
                let y = top + (Double(i) * 2 + Double(j)) * rowH
                svg += "<text x=\"\(left - 8)\" y=\"\(f(y + 13))\" font-size=\"9\" text-anchor=\"end\" fill=\"#1d2733\">P\(row.group.group.priority.map(String.init) ?? "–") · \(escape(entry.0))</text>"
                let running = Double(entry.1) * scale, breached = Double(entry.2) * scale
                svg += "<rect x=\"\(f(left))\" y=\"\(f(y + 4))\" width=\"\(f(running))\" height=\"12\" fill=\"\(runningColor)\"/>"
                svg += "<rect x=\"\(f(left + running))\" y=\"\(f(y + 4))\" width=\"\(f(breached))\" height=\"12\" fill=\"\(breachColor)\"/>"
                svg += "<text x=\"\(f(left + running + breached + 4))\" y=\"\(f(y + 13))\" font-size=\"8\" fill=\"#4a5866\">\(entry.1) + \(entry.2)</text>"
            }
        }
        if rows.isEmpty { svg += "<text x=\"\(width / 2)\" y=\"\(f(height / 2))\" text-anchor=\"middle\" fill=\"#4a5866\">\(escape(t.noTickets))</text>" }
        svg += "</svg>"
        return figure(svg, legend: [(runningColor, t.running), (breachColor, t.breachedOpen)], caption: t.openCaption)
    }

    /// The open tickets per age class: one bar each, split by SLA state (running, paused,
    /// breached, no SLA), the count at its end.
    static func agesChart(_ ages: SLAOpenTicketAges, _ t: Texts) -> String {
        let width = 700.0, rowH = 24.0, left = 90.0, right = 60.0, top = 8.0
        let classes = ages.counts.count
        let height = top + Double(classes) * rowH + 12
        let most = ages.counts.map { $0.reduce(0, +) }.max() ?? 0
        let scale = most > 0 ? (width - left - right) / Double(most) : 0
        let colors = SLAOpenTicketAges.states.map(stateColor)
        var svg = svgOpen(width, height, label: t.agesTitle)
        for (i, counts) in ages.counts.enumerated() {
            let y = top + Double(i) * rowH
            svg += "<text x=\"\(left - 8)\" y=\"\(f(y + 13))\" font-size=\"9\" text-anchor=\"end\" fill=\"#1d2733\">\(escape(t.ageClass(i)))</text>"
            var x = left
            for (j, count) in counts.enumerated() where count > 0 {
                let w = Double(count) * scale
                svg += "<rect x=\"\(f(x))\" y=\"\(f(y + 4))\" width=\"\(f(w))\" height=\"12\" fill=\"\(colors[j])\" data-age=\"\(i)\" data-state=\"\(SLAOpenTicketAges.states[j].rawValue)\" data-count=\"\(count)\"><title>\(escape(t.state(SLAOpenTicketAges.states[j]))): \(count)</title></rect>"
                x += w
            }
            svg += "<text x=\"\(f(x + 4))\" y=\"\(f(y + 13))\" font-size=\"8\" fill=\"#4a5866\">\(counts.reduce(0, +))</text>"
        }
        if ages.total == 0 { svg += "<text x=\"\(width / 2)\" y=\"\(f(height / 2))\" text-anchor=\"middle\" fill=\"#4a5866\">\(escape(t.noOpen))</text>" }
        svg += "</svg>"
        let legend = SLAOpenTicketAges.states.enumerated().map { (colors[$0.offset], t.state($0.element)) }
        return figure(svg, legend: legend, caption: t.agesCaption)
    }

    static func stateColor(_ state: SLAClockState) -> String {
        switch state {
        case .running: runningColor
        case .paused: pausedColor
        case .breached: breachColor
        default: noSLAColor
        }
    }

    /// Breached clocks still open: the breached ones minus those that stopped late, which is
    /// not in the figures; shown as breached clocks overall, the caption says so.
    static func openBreached(_ clock: ReportClock) -> Int { clock.breached }

    static func table(_ report: SLAReportMethod.Result, _ t: Texts) -> String {
        let keys = report.groupBy
        var lines: [String] = ["<table id=\"rows\">", "<thead><tr>"]
        for key in keys { lines.append("<th class=\"key\">\(escape(t.key(key)))</th>") }
        let clocks: [(String, (ReportRow) -> ReportClock?)] = [
            (t.chargeTaking, { $0.chargeTaking }), (t.resolution, { $0.resolution }), (t.firstAid, { $0.firstAid }),
        ]
        let shown = clocks.filter { clock in (report.rows + [report.totals]).contains { clock.1($0) != nil } }
        lines.append("<th>\(escape(t.tickets))</th><th>\(escape(t.notApplicable))</th>")
        for clock in shown {
            lines.append("<th>\(escape(clock.0)): \(escape(t.met))</th><th>\(escape(t.breached))</th><th>\(escape(t.running))</th><th>% \(escape(t.met))</th><th>\(escape(t.median))</th><th>P90</th>")
        }
        lines.append("</tr></thead><tbody>")
        func cells(_ row: ReportRow, label: String?) -> String {
            var out = ""
            if let label {
                out += "<td class=\"key\" colspan=\"\(max(keys.count, 1))\">\(escape(label))</td>"
            } else {
                for key in keys { out += "<td class=\"key\" data-key=\"\(key.rawValue)\">\(escape(value(row.group.group, key, t)))</td>" }
            }
            out += "<td data-field=\"tickets\">\(row.tickets)</td><td data-field=\"notApplicable\">\(row.notApplicable)</td>"
            for clock in shown {
                guard let c = clock.1(row) else { out += String(repeating: "<td>–</td>", count: 6); continue }
                out += "<td data-field=\"met\">\(c.met)</td><td data-field=\"breached\">\(c.breached)</td><td data-field=\"running\">\(c.running)</td>"
                out += "<td data-field=\"metRatio\">\(percent(c.metRatio))</td><td data-field=\"medianMinutes\">\(c.medianMinutes.map { minutesText($0.value) } ?? "–")</td><td data-field=\"p90Minutes\">\(c.p90Minutes.map { minutesText($0.value) } ?? "–")</td>"
            }
            return out
        }
        for row in report.rows { lines.append("<tr>\(keys.isEmpty ? cells(row, label: t.all) : cells(row, label: nil))</tr>") }
        lines.append("<tr class=\"totals\">\(cells(report.totals, label: t.total))</tr>")
        lines.append("</tbody></table>")
        return lines.joined(separator: "\n")
    }

    // MARK: Formatting

    static func value(_ g: SLAReportGroup, _ key: SLAReportKey, _ t: Texts) -> String {
        switch key {
        case .month: g.month ?? ""
        case .policy: g.policy ?? ""
        case .priority: g.priority.map(String.init) ?? ""
        case .customer: g.customer ?? ""
        case .assignee: g.assignee.map { $0.map { "#\($0)" } ?? t.unassigned } ?? ""
        case .product: g.product ?? ""
        }
    }

    static func svgOpen(_ width: Double, _ height: Double, label: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\" aria-label=\"\(escape(label))\">"
    }

    static func figure(_ svg: String, legend: [(String, String)], caption: String) -> String {
        let keys = legend.map { "<span class=\"swatch\" style=\"background:\($0.0)\"></span>\(escape($0.1))" }.joined()
        return "<figure>\n<div class=\"legend\">\(keys)</div>\n\(svg)\n<figcaption>\(escape(caption))</figcaption>\n</figure>"
    }

    /// "87.5 %", "–" for null.
    static func percent(_ ratio: JSONNumber?) -> String {
        guard let value = ratio?.value else { return "–" }
        let p = (value * 1000).rounded() / 10
        return (p == p.rounded() ? String(Int(p)) : String(p)) + " %"
    }

    /// Working minutes as minutes up to two hours, else hours with one decimal.
    static func minutesText(_ minutes: Double) -> String {
        if minutes < 120 { return String(Int(minutes.rounded())) + " min" }
        let h = (minutes / 6).rounded() / 10
        return (h == h.rounded() ? String(Int(h)) : String(h)) + " h"
    }

    /// An instant as the desk reads it: Rome's date and time.
    static func romeTime(_ instant: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Europe/Rome")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: instant) + " (Europe/Rome)"
    }

    static func f(_ value: Double) -> String {
        let r = (value * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    struct Texts {
        let it: Bool
        init(_ language: Language) { it = language == .it }
        var title: String { it ? "Rapporto SLA" : "SLA report" }
        var period: String { it ? "Ticket ricevuti dal" : "Tickets received" }
        var asOf: String { it ? "situazione al" : "as of" }
        var tickets: String { it ? "ticket" : "tickets" }
        var ticketsShort: String { it ? "tk" : "tk" }
        var chargeTakingMet: String { it ? "prese in carico nei tempi" : "charge taking on time" }
        var secondMet: String { it ? "risoluzioni nei tempi" : "resolution on time" }
        var breachedClocks: String { it ? "scadenze superate" : "deadlines breached" }
        var complianceTitle: String { it ? "Rispetto degli SLA per mese" : "SLA compliance by month" }
        var complianceCaption: String {
            it ? "Quota di scadenze rispettate sul totale delle scadenze concluse (rispettate o superate), per mese di arrivo; la linea tratteggiata è il 100 %."
               : "Share of deadlines met among those with an outcome (met or breached), by month of arrival; the dashed line is 100 %."
        }
        var timesTitle: String { it ? "Tempi per priorità" : "Times by priority" }
        var timesCaption: String {
            it ? "Minuti lavorativi dall'arrivo: la tacca è la mediana, la barra arriva al 90° percentile (solo orologi fermati)."
               : "Working minutes from arrival: the tick is the median, the bar reaches the 90th percentile (stopped clocks only)."
        }
        var openTitle: String { it ? "Orologi aperti e scadenze superate per priorità" : "Open clocks and breaches by priority" }
        var openCaption: String {
            it ? "Orologi ancora in corso entro la scadenza, e scadenze superate (in corso o concluse in ritardo)."
               : "Clocks still running within their deadline, and deadlines breached (still open or stopped late)."
        }
        var agesTitle: String { it ? "Ticket aperti per età e stato SLA" : "Open tickets by age and SLA state" }
        var agesCaption: String {
            it ? "Ticket del periodo ancora aperti, per tempo trascorso dall'arrivo (giorni di calendario) e stato SLA."
               : "Tickets of the period still open, by time since arrival (calendar days) and SLA state."
        }
        var noOpen: String { it ? "Nessun ticket aperto" : "No open tickets" }
        func ageClass(_ index: Int) -> String {
            let d = it ? "g" : "d"
            let bounds = SLAOpenTicketAges.bounds.map { String(Int($0)) }
            if index == 0 { return "< \(bounds[0]) \(d)" }
            if index >= bounds.count { return "≥ \(bounds[bounds.count - 1]) \(d)" }
            return "\(bounds[index - 1])–\(bounds[index]) \(d)"
        }
        func state(_ state: SLAClockState) -> String {
            switch state {
            case .running: it ? "in corso" : "running"
            case .paused: it ? "in pausa" : "paused"
            case .breached: it ? "scaduti" : "breached"
            case .met: it ? "rispettati" : "met"
            case .notApplicable: it ? "senza SLA" : "no SLA"
            }
        }
        var tableTitle: String { it ? "Dettaglio" : "Detail" }
        var noTickets: String { it ? "Nessun ticket nel periodo" : "No tickets in the period" }
        var noStopped: String { it ? "Nessun orologio fermato nel periodo" : "No clock stopped in the period" }
        var chargeTaking: String { it ? "Presa in carico" : "Charge taking" }
        var secondClock: String { it ? "Risoluzione / primo intervento" : "Resolution / first aid" }
        var resolution: String { it ? "Risoluzione" : "Resolution" }
        var firstAid: String { it ? "Primo intervento" : "First aid" }
        var notApplicable: String { it ? "senza SLA" : "no SLA" }
        var met: String { it ? "rispettati" : "met" }
        var breached: String { it ? "superati" : "breached" }
        var breachedOpen: String { it ? "superati" : "breached" }
        var running: String { it ? "in corso" : "running" }
        var median: String { it ? "mediana" : "median" }
        var priority: String { it ? "Priorità" : "Priority" }
        var total: String { it ? "Totale" : "Total" }
        var all: String { it ? "Tutti" : "All" }
        var unassigned: String { it ? "non assegnati" : "unassigned" }
        func key(_ key: SLAReportKey) -> String {
            switch key {
            case .month: it ? "Mese" : "Month"
            case .policy: it ? "Politica" : "Policy"
            case .priority: it ? "Priorità" : "Priority"
            case .customer: it ? "Cliente" : "Customer"
            case .assignee: it ? "Assegnatario" : "Assignee"
            case .product: it ? "Prodotto" : "Product"
            }
        }
    }
}
