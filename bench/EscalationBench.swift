import Foundation
import GRDB

/// The escalation figures, on 100,000 demo tickets spread over the last year: the first
/// `sportello sweep` (every step the open clocks have reached fires) and one with nothing due,
/// beside a plain indexed SELECT of the same open tickets; `sportello report sla` for the year by
/// month and priority, as JSON and as the printable page, beside a plain SELECT of the year's
/// tickets. Each figure is a whole process run (start-up included), as the timer runs it.
struct EscalationBenchmarks {
    let serverBinary: String
    var tickets = 100_000

    func run() throws -> [BenchResult] {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = directory + "/sweep.db"
        try runToCompletion(serverBinary, ["seed-demo", "--database", database, "--tickets", String(tickets)])
        func timed(_ arguments: [String]) throws -> Double {
            let started = monotonicNow()
            try runToCompletion(serverBinary, arguments)
            return monotonicNow() - started
        }
        let first = try timed(["sweep", "--database", database])
        let idle = try timed(["sweep", "--database", database])
        let queue = try DatabaseQueue(path: database)
        let (open, selectSeconds) = try queue.read { db -> (Int, Double) in
            let started = monotonicNow()
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, priority, chargeTakingDue, secondDue, pausedSince FROM ticket
                WHERE closedAt IS NULL AND slaApplicable = 1
                """)
            return (rows.count, monotonicNow() - started)
        }
        let today = ISO8601DateFormatter().string(from: Date()).prefix(10)
        let yearAgo = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-366 * 86_400)).prefix(10)
        let report = try timed(["report", "sla", "--database", database, "--from", String(yearAgo), "--to", String(today),
                                "--group-by", "month,priority", "--format", "json", "--out", directory + "/report.json"])
        let page = try timed(["report", "sla", "--database", database, "--from", String(yearAgo), "--to", String(today),
                              "--group-by", "month,priority", "--format", "html", "--out", directory + "/report.html"])
        let (yearRows, yearSelect) = try queue.read { db -> (Int, Double) in
            let started = monotonicNow()
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, priority, receivedAt, chargeTakenAt, closedAt, chargeTakingDue, secondDue FROM ticket
                WHERE receivedAt >= ?
                """, arguments: [String(yearAgo)])
            return (rows.count, monotonicNow() - started)
        }
        return [
            BenchResult(name: "first sweep, \(tickets) tickets (\(open) open with an SLA)", value: first, unit: "s",
                        note: "target < 2 s for 100,000 open; every step reached fires"),
            BenchResult(name: "sweep with nothing due", value: idle * 1000, unit: "ms", note: "target < 20 ms; whole process"),
            BenchResult(name: "plain indexed SELECT of the open tickets (baseline)", value: selectSeconds * 1000, unit: "ms",
                        note: "GRDB, in process"),
            BenchResult(name: "sla.report for the year by month and priority (JSON)", value: report, unit: "s",
                        note: "\(yearRows) tickets; target < 3 s for 1,000,000"),
            BenchResult(name: "the printable HTML report of the year", value: page, unit: "s", note: "target < 5 s for 1,000,000"),
            BenchResult(name: "plain SELECT of the year's tickets (baseline)", value: yearSelect * 1000, unit: "ms",
                        note: "GRDB, in process"),
        ]
    }
}
