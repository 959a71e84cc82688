import Foundation
import GRDB

/// How a commit reaches the disk.
public enum Durability: String, Sendable, CaseIterable {
    /// `synchronous = FULL`: the WAL is synced at every commit, so a change is on disk before
    /// it is acknowledged and survives a power cut. The default, and the only mode a server runs
    /// in production.
    case full
    /// `synchronous = NORMAL`: the WAL is synced only at checkpoints; a killed process loses
    /// nothing, a power cut may lose the last acknowledged changes. Only for measuring the price
    /// of durability (`make bench`) and for showing that the durability test can fail.
    case normal
}

/// The SQLite file behind a server: a WAL-mode `DatabasePool` that several processes may open
/// at once (a stdio instance beside the socket server), migrated on open.
///
/// Every process that opens it holds a shared `flock` on a lock file beside it (`PATH-lock`)
/// for as long as it is open, so that `restore` can tell that a database is in use: it needs
/// that lock exclusively.
public final class SportelloDatabase: Sendable {
    public let pool: DatabasePool
    public let path: String
    private let useLock: FileLock

    /// Frames (pages) the WAL may hold before the committing writer checkpoints it itself: a
    /// backstop, since the background checkpointer normally keeps it far smaller. 4,096 pages of
    /// 4 KiB: 16 MiB.
    public static let autocheckpointPages = 4096
    /// What a WAL file is cut back to once it has been checkpointed and restarted: 16 MiB.
    public static let journalSizeLimit = 16 << 20

    /// Opens (creating it and its folder if needed) and migrates the database at `path`.
    /// Migrating a current database is a no-op that reads one table.
    public init(path: String, busyTimeout: TimeInterval = 5, durability: Durability = .full) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        useLock = try FileLock(path: Self.lockPath(for: path))
        try useLock.lockShared(timeout: max(busyTimeout, 30))
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.foreignKeysEnabled = true
        configuration.label = "sportello"
        self.path = path
        self.pool = try DatabasePool(path: path, configuration: configuration)
        // On the pool's one writer connection, after GRDB's own WAL set-up (which sets
        // `synchronous = NORMAL`, so a `prepareDatabase` setting would be overridden).
        let synchronous = durability == .full ? "FULL" : "NORMAL"
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: """
                PRAGMA synchronous = \(synchronous);
                PRAGMA wal_autocheckpoint = \(Self.autocheckpointPages);
                PRAGMA journal_size_limit = \(Self.journalSizeLimit);
                """)
        }
        try Self.migrator.migrate(pool)
    }

    /// The lock file that says a process has the database at `path` open.
    public static func lockPath(for path: String) -> String { path + "-lock" }

    /// The WAL's size now, in bytes (0 when there is none).
    public var walSize: Int {
        var status = stat()
        return stat(path + "-wal", &status) == 0 ? Int(status.st_size) : 0
    }

    /// Copies what the WAL holds into the database file without waiting for anyone: frames that
    /// a reader still needs stay for a later checkpoint. Runs on a connection of its own, so
    /// writers are not held while the pages are copied.
    public func checkpointPassive(using connection: DatabaseQueue) throws {
        try connection.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
    }

    /// A connection for `checkpointPassive`, separate from the pool's writer.
    public func makeCheckpointConnection() throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(1)
        configuration.label = "sportello-checkpoint"
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Checkpoints everything and truncates the WAL to zero bytes (at a clean stop, after
    /// `migrate` or `seed-demo`), so that the database file alone holds every change. Returns
    /// false when another process's reader kept part of the WAL (it is then left for later).
    @discardableResult
    public func checkpointTruncate() throws -> Bool {
        try pool.writeWithoutTransaction { db in
            let (walFrames, checkpointed) = try db.checkpoint(.truncate)
            return walFrames <= 0 || walFrames == checkpointed
        }
    }

    /// The migrations, in order. Append only: a shipped migration is never edited.
    public static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in Migrations.all {
            migrator.registerMigration(migration.identifier, migrate: migration.apply)
        }
        return migrator
    }

    /// The identifiers of the migrations applied to this database, in order.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try Self.migrator.appliedMigrations(db) }
    }

    /// Copies the database to `destination` while it is in use: SQLite's online backup gives a
    /// consistent snapshot even with writers running. The copy is written to a temporary file
    /// beside the destination, synced, and renamed into place, so a failed backup leaves nothing
    /// behind and a finished one survives a power cut.
    public func backup(to destination: String) throws {
        let temporary = destination + ".partial-\(getpid())"
        unlink(temporary)
        do {
            let target = try DatabaseQueue(path: temporary)
            try pool.backup(to: target)
            try target.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            try target.close()
            chmod(temporary, 0o600)
            guard rename(temporary, destination) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination])
            }
            syncDirectory(of: destination)
        } catch {
            unlink(temporary)
            throw error
        }
    }
}

/// One step of the schema's history.
struct Migration: Sendable {
    let identifier: String
    let apply: @Sendable (Database) throws -> Void
}
