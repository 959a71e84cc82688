import Foundation
import GRDB
import SportelloStore

/// The availability figure: `availability.report` for a month of a database holding a year of
/// one-minute outage records (525,600 rows across the 5 products: minute i of 2025, Rome time,
/// is an outage of product i mod 5), beside a plain SQL sum of the same month's rows in the same
/// run. The report does more than the sum (the union of overlapping outages, the maintenance
/// exclusion, the Rome month); the ratio says what that costs.
struct AvailabilityBenchmarks {
    let serverBinary: String
    var rows = 525_600
    var samples = 300

    static let products = ["preservation-grammelot", "preservation-zucchetti", "zen-einvoice", "zenshare-suite", "zenshare-up"]

    func run() throws -> [BenchResult] {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = directory + "/availability.db"
        try runToCompletion(serverBinary, ["migrate", "--database", database])
        let seedStarted = monotonicNow()
        try seed(database: database)
        let seedSeconds = monotonicNow() - seedStarted

        // Baseline: the plain sum of the month's rows per product, straight through GRDB.
        // March 2025 in Rome (44,580 minutes, 8,916 of each product): 2025-02-28T23:00Z to 2025-03-31T22:00Z.
        let (from, to) = ("2025-02-28T23:00:00.000Z", "2025-03-31T22:00:00.000Z")
        let pool = try DatabasePool(path: database)
        var sumSamples: [Double] = []
        for index in 0..<samples {
            let started = monotonicNow()
            let total = try pool.read { db in
                try Int.fetchOne(db, sql: """
                    SELECT sum(CAST(round((julianday(endsAt) - julianday(startsAt)) * 1440) AS INTEGER)) FROM outage_product
                    WHERE product = ? AND startsAt >= ? AND startsAt < ?
                    """, arguments: [Self.products[index % 5], from, to]) ?? 0
            }
            if index == 0 && total == 0 { throw BenchError.timeout("rows for the baseline sum") }
            if index >= 20 { sumSamples.append(monotonicNow() - started) }
        }
        sumSamples.sort()

        let socketPath = directory + "/sportello.sock"
        let server = try startServer(serverBinary, socketPath: socketPath, database: database)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let client = try UnixClient(path: socketPath)
        var reportSamples: [Double] = []
        for index in 0..<samples {
            let product = Self.products[index % 5]
            let started = monotonicNow()
            try client.write(Array(#"{"jsonrpc":"2.0","id":\#(index),"method":"availability.report","params":{"month":"2025-03","product":"\#(product)"}}"#.utf8) + [10])
            let reply = String(decoding: try client.readLine(), as: UTF8.self)
            if index == 0, !reply.contains("\"outageMinutes\":8916") {
                throw BenchError.timeout("an availability.report with 8916 outage minutes: \(reply.prefix(400))")
            }
            if index >= 20 { reportSamples.append(monotonicNow() - started) }
        }
        reportSamples.sort()
        let reportP99 = percentile(reportSamples, 0.99) * 1000
        let sumP99 = percentile(sumSamples, 0.99) * 1000   // noisy on a busy machine: the ratio uses the medians
        return [
            BenchResult(name: "availability.report, one product, \(rows) outage rows: p50", value: percentile(reportSamples, 0.5) * 1000, unit: "ms", note: "March 2025, 8,916 rows of the product"),
            BenchResult(name: "availability.report, one product, \(rows) outage rows: p99", value: reportP99, unit: "ms", note: "target < 50 ms"),
            BenchResult(name: "plain SQL sum of the same rows (baseline): p50", value: percentile(sumSamples, 0.5) * 1000, unit: "ms", note: "GRDB, in process"),
            BenchResult(name: "plain SQL sum of the same rows (baseline): p99", value: sumP99, unit: "ms", note: ""),
            BenchResult(name: "availability.report / plain sum, p50", value: percentile(reportSamples, 0.5) / percentile(sumSamples, 0.5), unit: "x", note: "socket round trip, parsing, union, exclusion included"),
            BenchResult(name: "seeding \(rows) outage rows", value: seedSeconds, unit: "s", note: "one transaction"),
        ]
    }

    /// One outage row per minute of 2025 in Rome (2024-12-31T23:00Z onwards), each for one product.
    private func seed(database: String) throws {
        let queue = try DatabaseQueue(path: database)
        let start = Date(timeIntervalSince1970: 1_735_686_000)   // 2024-12-31T23:00:00Z
        try queue.write { db in
            let outage = try db.makeStatement(sql: "INSERT INTO outage(id, startsAt, endsAt, cause, severity, createdAt, updatedAt) VALUES (?, ?, ?, 'bench', 'total', ?, ?)")
            let perProduct = try db.makeStatement(sql: "INSERT INTO outage_product(outage, product, startsAt, endsAt) VALUES (?, ?, ?, ?)")
            var startText = StoreTime.text(start)
            for i in 0..<rows {
                let endText = StoreTime.text(start.addingTimeInterval(Double(i + 1) * 60))
                try outage.execute(arguments: [i + 1, startText, endText, startText, startText])
                try perProduct.execute(arguments: [i + 1, Self.products[i % 5], startText, endText])
                startText = endText
            }
            for product in Self.products {
                try db.execute(sql: "INSERT INTO outage_longest(product, seconds) VALUES (?, 60)", arguments: [product])
            }
        }
    }
}
