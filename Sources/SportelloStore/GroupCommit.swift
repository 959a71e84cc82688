import Foundation
import GRDB
import Synchronization

/// Group commit: the write transactions of concurrent requests share one SQLite transaction and
/// so one fsync of the WAL, instead of one each.
///
/// Every commit is synced (`synchronous = FULL`), and on this kind of disk an fsync costs about
/// as much as the rest of a `ticket.open` together: measured with 8 clients, one fsync per
/// request halved the throughput of `NORMAL`. Rather than weaken durability, the writes that
/// arrive while a commit is being synced wait for it and then go to the disk together: each in
/// a savepoint of its own, in arrival order, so one that fails is rolled back alone and the
/// others see exactly what a serial run would have shown them. Nobody is answered before the
/// commit that holds their change has been synced; if the commit itself fails (a full disk),
/// every change in it fails with that error and nothing of them is kept.
///
/// A lone writer pays nothing for this: with nothing pending, its transaction starts at once.
final class GroupCommit: Sendable {
    /// One request's change: runs its body inside the group's transaction and keeps the outcome
    /// until the group has committed (or failed).
    private final class Job: @unchecked Sendable {
        let run: (Database) throws -> Void
        let finish: (Result<Void, any Error>) -> Void
        init(run: @escaping (Database) throws -> Void, finish: @escaping (Result<Void, any Error>) -> Void) {
            self.run = run
            self.finish = finish
        }
    }

    private struct State {
        var pending: [Job] = []
        var draining = false
        var groupsCommitted = 0
    }

    /// How many changes wait for the transaction under way to finish.
    var waiting: Int { state.withLock { $0.pending.count } }

    /// How many transactions have committed so far (each holding one or more changes).
    var groupsCommitted: Int { state.withLock { $0.groupsCommitted } }

    private let pool: DatabasePool
    private let state = Mutex(State())
    /// The thread that runs the groups: blocking on SQLite and fsync there never holds a
    /// thread of Swift's cooperative pool.
    private let queue = DispatchQueue(label: "sportello.group-commit")
    /// The most changes one transaction takes.
    let maximumGroupSize: Int

    init(pool: DatabasePool, maximumGroupSize: Int = 64) {
        self.pool = pool
        self.maximumGroupSize = maximumGroupSize
    }

    /// Runs `body` in the next group's transaction and returns its value once that transaction
    /// has been committed and synced. An error thrown by `body` rolls back its own changes only.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let value = Mutex<T?>(nil)
            let job = Job(
                run: { db in
                    let result = try body(db)
                    value.withLock { $0 = result }
                },
                finish: { outcome in
                    switch outcome {
                    case .success: continuation.resume(returning: value.withLock { $0! })
                    case .failure(let error): continuation.resume(throwing: error)
                    }
                })
            let start = state.withLock { state -> Bool in
                state.pending.append(job)
                guard !state.draining else { return false }
                state.draining = true
                return true
            }
            if start { queue.async { self.drain() } }
        }
    }

    /// Commits groups until nothing is pending.
    private func drain() {
        while true {
            let group: [Job] = state.withLock { state in
                let group = Array(state.pending.prefix(maximumGroupSize))
                state.pending.removeFirst(group.count)
                if group.isEmpty { state.draining = false }
                return group
            }
            if group.isEmpty { return }
            commit(group)
        }
    }

    private func commit(_ group: [Job]) {
        var outcomes: [Result<Void, any Error>] = []
        do {
            try pool.writeWithoutTransaction { db in
                try db.beginTransaction(.immediate)
                do {
                    for job in group {
                        try db.execute(sql: "SAVEPOINT request")
                        do {
                            try job.run(db)
                            try db.execute(sql: "RELEASE SAVEPOINT request")
                            outcomes.append(.success(()))
                        } catch {
                            // SQLite itself ends the whole transaction on some failures (a full
                            // disk, an I/O error): then nothing of the group can be kept.
                            guard db.isInsideTransaction else { throw error }
                            try db.execute(sql: "ROLLBACK TO SAVEPOINT request")
                            try db.execute(sql: "RELEASE SAVEPOINT request")
                            outcomes.append(.failure(error))
                        }
                    }
                    try db.commit()
                } catch {
                    if db.isInsideTransaction { try? db.rollback() }
                    throw error
                }
            }
        } catch {
            for job in group { job.finish(.failure(error)) }
            return
        }
        state.withLock { $0.groupsCommitted += 1 }
        for (job, outcome) in zip(group, outcomes) { job.finish(outcome) }
    }
}
