import Foundation
import GRDB

/// The SQLite file behind a server: a WAL-mode `DatabasePool` that several processes may open
/// at once (a stdio instance beside the socket server), migrated on open.
public final class SportelloDatabase: Sendable {
    public let pool: DatabasePool
    public let path: String
    /// The 32-byte key list cursors are authenticated with (migration `v6-cursor-key`).
    public let cursorKey: [UInt8]

    /// Opens (creating it and its folder if needed) and migrates the database at `path`.
    /// Migrating a current database is a no-op that reads one table.
    public init(path: String, busyTimeout: TimeInterval = 5) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.foreignKeysEnabled = true
        configuration.label = "sportello"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        self.path = path
        self.pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
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
    /// beside the destination and renamed into place, so a failed backup leaves nothing behind.
    public func backup(to destination: String) throws {
        let temporary = destination + ".partial-\(getpid())"
        unlink(temporary)
        do {
            let target = try DatabaseQueue(path: temporary)
            try pool.backup(to: target)
            try target.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            try target.close()
            guard rename(temporary, destination) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination])
            }
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
