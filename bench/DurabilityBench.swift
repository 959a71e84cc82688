import Foundation
import GRDB
import SportelloStore

/// The durability figures: the WAL's size while 100,000 tickets are opened with a reader
/// holding a long read transaction part of the time, and the time to back up and restore the
/// 100,000-ticket demo database.
struct DurabilityBenchmarks {
    let serverBinary: String
    var seededTickets = 100_000
    var opens = 100_000

    func run() throws -> [BenchResult] {
        raiseFileLimit()
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var results: [BenchResult] = []
        let database = directory + "/demo.db"
        try runToCompletion(serverBinary, ["seed-demo", "--database", database, "--tickets", String(seededTickets)])

        let backupStarted = monotonicNow()
        try runToCompletion(serverBinary, ["backup", "--database", database, "--to", directory + "/backup.db"])
        let backupSeconds = monotonicNow() - backupStarted
        let restoreStarted = monotonicNow()
        try runToCompletion(serverBinary, ["restore", "--from", directory + "/backup.db", "--database", directory + "/restored.db"])
        let restoreSeconds = monotonicNow() - restoreStarted
        let size = Double((try? FileManager.default.attributesOfItem(atPath: database)[.size] as? Int) ?? 0) / 1_048_576
        results.append(BenchResult(
            name: "backup of the \(seededTickets)-ticket demo database", value: backupSeconds, unit: "s",
            note: String(format: "%.0f MiB; sportello backup --to", size)))
        results.append(BenchResult(
            name: "restore of that backup into a new path", value: restoreSeconds, unit: "s",
            note: "integrity check + copy + rename: sportello restore --from"))

        // 100,000 opens from 8 clients; a reader holds one read transaction from the 5th to the
        // 20th second, so the checkpoints cannot pass it meanwhile; the WAL is sampled every 20 ms.
        let socketPath = directory + "/sportello.sock"
        let server = try startServer(serverBinary, socketPath: socketPath, database: database)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let walPath = database + "-wal"
        @Sendable func walSize() -> Double {
            Double((try? FileManager.default.attributesOfItem(atPath: walPath)[.size] as? Int) ?? 0) / 1_048_576
        }
        let done = DispatchSemaphore(value: 0)
        let peak = LockedSamples()
        let sampler = Thread {
            while done.wait(timeout: .now() + 0.02) == .timedOut { peak.append([walSize()]) }
        }
        sampler.start()
        let readerDone = DispatchSemaphore(value: 0)
        let reader = Thread {
            defer { readerDone.signal() }
            usleep(5_000_000)
            guard let queue = try? DatabaseQueue(path: database) else { return }
            try? queue.read { db in
                _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM ticket")
                usleep(15_000_000)
            }
        }
        reader.start()
        var opener = TicketBenchmarks(serverBinary: serverBinary)
        opener.opensPerClient = opens / opener.clients
        let rate = try opener.concurrentOpens(socketPath: socketPath)
        readerDone.wait()
        usleep(1_000_000)
        let end = walSize()
        done.signal()
        results.append(BenchResult(
            name: "WAL peak during \(opens) ticket.open (8 clients)", value: peak.values.max() ?? 0, unit: "MiB",
            note: String(format: "a reader held a read transaction for 15 s of it; %.0f opens/s", rate)))
        results.append(BenchResult(
            name: "WAL 1 s after that run", value: end, unit: "MiB",
            note: "bound: journal_size_limit \(SportelloDatabase.journalSizeLimit >> 20) MiB"))
        return results
    }
}
