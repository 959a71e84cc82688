import Foundation
import GRDB
import Synchronization

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
    private let useLock: FileLock?
    private let group: GroupCommit
    /// The 32-byte key list cursors are authenticated with (migration `v6-cursor-key`).
    public let cursorKey: [UInt8]

    /// The migrations this open applied, in order (empty when the schema was up to date).
    public let migrationsApplied: [String]

    /// Frames (pages) the WAL may hold before the committing writer checkpoints it itself: a
    /// backstop, since the background checkpointer normally keeps it far smaller. 4,096 pages of
    /// 4 KiB: 16 MiB.
    public static let autocheckpointPages = 4096
    /// What a WAL file is cut back to once it has been checkpointed and restarted: 16 MiB.
    public static let journalSizeLimit = 16 << 20

    /// Opens (creating it and its folder if needed) and migrates the database at `path`.
    /// Migrating a current database is a no-op that reads one table.
    ///
    /// The data is private to the server's user whatever the umask: folders it creates are
    /// 0750 and a new database file 0600 — created here before SQLite opens it, because SQLite
    /// gives the `-wal` and `-shm` files it creates later the mode of the database file. (The
    /// `sportello` executable also sets umask 077 at start, for any file this misses.) An
    /// existing file keeps the mode its owner gave it.
    public init(path: String, busyTimeout: TimeInterval = 5, durability: Durability = .full) throws {
        try Self.createPrivately(databaseAt: path)
        // Where not even a lock file can be created (a read-only folder), no database can be
        // written either: SQLite's own refusal below says so better than a lock error would.
        useLock = try? FileLock(path: Self.lockPath(for: path))
        try useLock?.lockShared(timeout: max(busyTimeout, 30))
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.foreignKeysEnabled = true
        configuration.label = "sportello"
        self.path = path
        self.pool = try DatabasePool(path: path, configuration: configuration)
        self.group = GroupCommit(pool: pool)
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
        let before = try pool.read { db in try Self.migrator.appliedIdentifiers(db) }
        try Self.migrator.migrate(pool)
        let after = try pool.read { db in try Self.migrator.appliedMigrations(db) }
        self.migrationsApplied = after.filter { !before.contains($0) }
        let hex = try pool.read { db in try db.value(String.self, "SELECT value FROM installation WHERE key = 'cursorKey'") }
        guard let hex, let key = Self.bytes(hex: hex), key.count == 32 else {
            throw DatabaseError(message: "the installation has no valid cursorKey")
        }
        self.cursorKey = key
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        return try? stride(from: 0, to: digits.count, by: 2).map { index in
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                throw DatabaseError(message: "not hex")
            }
            return byte
        }
    }

    /// Runs `body` as one change: its own savepoint inside a transaction it may share with the
    /// concurrent changes of other requests (`GroupCommit`), committed and synced to disk before
    /// this returns. What `body` throws rolls back its changes only. Every request's change goes
    /// through here.
    public func write<T: Sendable>(_ body: @escaping @Sendable (StoreWriter) throws -> T) async throws -> T {
        let result = try await StoreFailure.translating {
            try await group.write { db in try body(StoreWriter(db)) }
        }
        if let observer = commitObserver.withLock({ $0 }) { observer() }
        return result
    }

    /// Told after every change `write` committed (from the committing request's task; keep it
    /// short). Live events use it to read the new history rows at once instead of at their
    /// next poll, which remains for the changes of other processes.
    public func observeCommits(_ observer: @escaping @Sendable () -> Void) {
        commitObserver.withLock { $0 = observer }
    }

    private let commitObserver = Mutex<(@Sendable () -> Void)?>(nil)

    /// Runs `body` on a snapshot of the database (a read transaction on one of the pool's
    /// readers): it sees every change committed before it started and none after.
    public func read<T: Sendable>(_ body: @escaping @Sendable (StoreReader) throws -> T) async throws -> T {
        try await StoreFailure.translating {
            try await pool.read { db in try body(StoreReader(db)) }
        }
    }

    /// `read`, for callers that cannot wait asynchronously (a cache refreshed inside a change).
    public func readNow<T>(_ body: (StoreReader) throws -> T) throws -> T {
        do {
            return try pool.read { db in try body(StoreReader(db)) }
        } catch let error as DatabaseError {
            throw StoreFailure(error)
        }
    }

    /// How many changes wait for the transaction under way to commit.
    public var writesWaiting: Int { group.waiting }

    /// How many transactions `write` has committed since the database was opened.
    public var groupsCommitted: Int { group.groupsCommitted }

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
    /// Another checkpoint running at the same moment (the writer's backstop, another process's)
    /// is no failure: this one is skipped, and the next round copies what is left.
    public func checkpointPassive(using connection: DatabaseQueue) throws {
        do {
            try connection.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
            return
        }
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

    /// The folders missing on the way to `path` (0750) and the database file itself (0600), if
    /// they do not exist yet.
    private static func createPrivately(databaseAt path: String) throws {
        var missing: [String] = []
        var directory = (path as NSString).deletingLastPathComponent
        while !directory.isEmpty, directory != "/", !FileManager.default.fileExists(atPath: directory) {
            missing.append(directory)
            directory = (directory as NSString).deletingLastPathComponent
        }
        for folder in missing.reversed() {
            guard mkdir(folder, 0o750) == 0 || errno == EEXIST else {
                throw StoreFileError(path: folder, action: "create the folder", code: errno)
            }
            // mkdir's mode passes through the umask; the folder is meant to be group-readable.
            chmod(folder, 0o750)
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            close(descriptor)
        } else if errno != EEXIST {
            throw StoreFileError(path: path, action: "create the database", code: errno)
        }
    }

    /// The identifiers of the migrations applied to this database, in order.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try Self.migrator.appliedMigrations(db) }
    }

    /// Copies the database to `destination` while it is in use: SQLite's online backup gives a
    /// consistent snapshot even with writers running. The copy is written to a temporary file
    /// beside the destination, synced, and renamed into place, so a failed backup leaves nothing
    /// behind and a finished one survives a power cut.
    ///
    /// The copy is created 0600 whatever the umask. A destination that cannot be written (its
    /// folder missing, not writable) fails before anything is copied, naming the path and why.
    public func backup(to destination: String) throws {
        let temporary = destination + ".partial-\(getpid())"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let code = errno
            let folder = (destination as NSString).deletingLastPathComponent
            if code == ENOENT {
                throw StoreFileError(path: destination, action: "write the backup to", reason: "the folder \(folder.isEmpty ? "." : folder) does not exist")
            }
            throw StoreFileError(path: destination, action: "write the backup to", code: code)
        }
        close(descriptor)
        do {
            let target = try DatabaseQueue(path: temporary)
            try pool.backup(to: target)
            try target.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            try target.close()
            chmod(temporary, 0o600)
            guard rename(temporary, destination) == 0 else {
                throw StoreFileError(path: destination, action: "write the backup to", code: errno)
            }
            syncDirectory(of: destination)
        } catch let error as StoreFileError {
            unlink(temporary)
            throw error
        } catch {
            unlink(temporary)
            throw StoreFileError(path: destination, action: "write the backup to", reason: "\(error)")
        }
    }
}

/// A file the store could not create or write, with its path and why (for people).
public struct StoreFileError: Error, CustomStringConvertible {
    public let path: String
    /// What could not be done, up to the path: "write the backup to".
    public let action: String
    public let reason: String

    public init(path: String, action: String, reason: String) {
        self.path = path
        self.action = action
        self.reason = reason
    }

    init(path: String, action: String, code: Int32) {
        self.init(path: path, action: action, reason: String(cString: strerror(code)))
    }

    public var description: String { "cannot \(action) \(path): \(reason)" }
}

/// One step of the schema's history.
struct Migration: Sendable {
    let identifier: String
    let apply: @Sendable (Database) throws -> Void
}
