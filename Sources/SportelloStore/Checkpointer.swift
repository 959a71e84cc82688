import Foundation
import GRDB
import Synchronization

/// Keeps a served database's WAL short without stalling requests: a thread of its own runs a
/// PASSIVE checkpoint on a connection of its own every `interval`, so the pages are copied
/// while writers keep committing (the writer's own automatic checkpoint, which runs inside a
/// commit, is then only a backstop). `stop()` ends the thread; the final TRUNCATE checkpoint of
/// a clean stop is `SportelloDatabase.checkpointTruncate()`.
public final class Checkpointer: Sendable {
    private let stopped = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let stopping = Mutex(false)

    public init(database: SportelloDatabase, interval: Duration = .milliseconds(250), onError: @escaping @Sendable (any Error) -> Void) throws {
        let connection = try database.makeCheckpointConnection()
        let (seconds, attoseconds) = interval.components
        let wait = Double(seconds) + Double(attoseconds) / 1e18
        let thread = Thread { [stopped, finished] in
            while stopped.wait(timeout: .now() + wait) == .timedOut {
                do {
                    try database.checkpointPassive(using: connection)
                } catch {
                    onError(error)
                }
            }
            try? connection.close()
            finished.signal()
        }
        thread.name = "sportello-checkpoint"
        thread.start()
    }

    /// Stops the thread and waits for it (at most one checkpoint's time). Once; later calls
    /// return at once.
    public func stop() {
        let first = stopping.withLock { stopping in
            defer { stopping = true }
            return !stopping
        }
        guard first else { return }
        stopped.signal()
        finished.wait()
    }
}
