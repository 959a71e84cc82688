import ArgumentParser
import Foundation
import JSONRPC
import SportelloService
import SportelloStore

/// `sportello report availability --month 2027-03 [--product P] [--at INSTANT] --format
/// html|csv|json`: the figures of `availability.report`, answered by the same method as the
/// system principal, written for a reader or a spreadsheet.
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a report from the database.", subcommands: [SLAReportCommand.self, AvailabilityReportCommand.self])
}

struct AvailabilityReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "availability",
        abstract: "Monthly availability of each product against the 99.95 % target (Europe/Rome months).")

    enum Format: String, ExpressibleByArgument, CaseIterable { case json, csv, html }

    @Option(name: .long, help: ArgumentHelp("The month, YYYY-MM.", valueName: "month"))
    var month: String

    @Option(name: .long, help: "Only this product.")
    var product: String?

    @Option(name: .long, help: ArgumentHelp("The instant the report is as of (default now).", valueName: "RFC 3339"))
    var at: String?

    @Option(name: .long, help: "json, csv or html.")
    var format: Format = .json

    @OptionGroup var database: DatabaseOption

    func run() async throws {
        let store = try database.open()
        let service = SportelloService(environment: ServiceEnvironment(database: store, logger: makeLogger("sportello")))
        var params: [String: Any] = ["month": month]
        if let product { params["product"] = product }
        if let at { params["at"] = at }
        let request = try JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "id": 1, "method": "availability.report", "params": params])
        let reply = await service.makeDispatcher().handle(message: Array(request), context: CallContext(transport: .stdio, principal: .system))
        guard let reply, let object = try JSONSerialization.jsonObject(with: Data(reply)) as? [String: Any] else {
            throw ExitCode(1)
        }
        guard let result = object["result"] as? [String: Any] else {
            let error = object["error"] as? [String: Any] ?? [:]
            let data = error["data"] as? [String: Any] ?? [:]
            FileHandle.standardError.write(Data("sportello: \(data["reason"] ?? error["message"] ?? "the report failed")\n".utf8))
            throw ExitCode(1)
        }
        let items = result["items"] as? [[String: Any]] ?? []
        let month = result["month"] as? String ?? month
        let asOf = result["at"] as? String ?? ""
        switch format {
        case .json:
            let data = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        case .csv:
            print(Self.columns.joined(separator: ","))
            for item in items { print(Self.columns.map { Self.csv($0 == "met" ? Self.met(item) : Self.text(item[$0])) }.joined(separator: ",")) }
        case .html:
            print(Self.html(month: month, at: asOf, items: items))
        }
    }

    static let columns = ["product", "minutes", "outageMinutes", "maintenanceMinutes", "downtimeMinutes", "availability",
                          "target", "budgetMinutes", "budgetLeftMinutes", "met"]

    static func text(_ value: Any?) -> String {
        switch value {
        case let number as NSNumber: number.stringValue
        case let string as String: string
        default: ""
        }
    }

    static func met(_ item: [String: Any]) -> String { (item["met"] as? Bool) == true ? "true" : "false" }

    static func csv(_ field: String) -> String {
        field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func html(month: String, at: String, items: [[String: Any]]) -> String {
        var lines = [
            "<!DOCTYPE html>", "<html lang=\"en\">", "<head>", "<meta charset=\"utf-8\">",
            "<title>Availability \(escape(month))</title>",
            "<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}.missed{color:#b00}</style>",
            "</head>", "<body>",
            "<h1>Availability, \(escape(month)) (Europe/Rome)</h1>",
            "<p>Target 99.95 %. Outages overlapping count once; outage minutes inside maintenance windows announced in time are excluded. As of \(escape(at)).</p>",
            "<table>",
            "<tr><th>product</th><th>minutes</th><th>outage</th><th>maintenance</th><th>downtime</th><th>availability %</th><th>budget</th><th>budget left</th><th>target met</th></tr>",
        ]
        for item in items {
            let met = (item["met"] as? Bool) == true
            let cells = ["product", "minutes", "outageMinutes", "maintenanceMinutes", "downtimeMinutes", "availability", "budgetMinutes", "budgetLeftMinutes"]
                .map { "<td>\(escape(text(item[$0])))</td>" }.joined()
            lines.append("<tr\(met ? "" : " class=\"missed\"")>\(cells)<td>\(met ? "yes" : "no")</td></tr>")
        }
        lines += ["</table>", "</body>", "</html>"]
        return lines.joined(separator: "\n")
    }
}
