import Foundation
import GRDB

/// What a check of a database file found.
public struct DatabaseFileReport: Sendable {
    /// The migrations applied to it, in order.
    public var migrations: [String]
}

public enum RestoreError: Error, CustomStringConvertible {
    case missing(String)
    case notADatabase(String)
    case damaged(String, [String])
    case notASportelloDatabase(String)
    case newerSchema(String, [String])
    case inUse(String)

    public var description: String {
        switch self {
        case .missing(let path):
            "\(path) does not exist"
        case .notADatabase(let path):
            "\(path) is not a SQLite database"
        case .damaged(let path, let problems):
            "\(path) fails SQLite's integrity check: \(problems.prefix(3).joined(separator: "; "))"
        case .notASportelloDatabase(let path):
            "\(path) is not a Sportello database (it has no migration history)"
        case .newerSchema(let path, let unknown):
            "\(path) was written by a newer Sportello (unknown migrations: \(unknown.joined(separator: ", "))); restore it with that version"
        case .inUse(let path):
            "\(path) is open in a running server or another process (it holds \(SportelloDatabase.lockPath(for: path))); stop it first"
        }
    }
}

extension SportelloDatabase {
    /// Checks a database file without changing it: SQLite's `integrity_check`, and a migration
    /// history this version knows (none newer than its own).
    public static func check(file path: String) throws -> DatabaseFileReport {
        guard FileManager.default.fileExists(atPath: path) else { throw RestoreError.missing(path) }
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try check(queue, path: path)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw RestoreError.notADatabase(path)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CORRUPT {
            throw RestoreError.damaged(path, [error.message ?? "\(error)"])
        }
    }

    private static func check(_ queue: DatabaseQueue, path: String) throws -> DatabaseFileReport {
        try queue.read { db in
            let problems = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            guard problems == ["ok"] else { throw RestoreError.damaged(path, problems) }
            guard try db.tableExists("grdb_migrations") else { throw RestoreError.notASportelloDatabase(path) }
            let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            guard !applied.isEmpty else { throw RestoreError.notASportelloDatabase(path) }
            let known = Set(Migrations.all.map(\.identifier))
            let unknown = applied.filter { !known.contains($0) }
            guard unknown.isEmpty else { throw RestoreError.newerSchema(path, unknown) }
            return DatabaseFileReport(migrations: Migrations.all.map(\.identifier).filter(Set(applied).contains))
        }
    }

    /// Replaces the database at `path` with the backup at `backup`, after checking the backup
    /// (`check(file:)`). Refused while any process has `path` open: every process that opens a
    /// database holds its lock file shared, and this needs it exclusively (a server starting
    /// meanwhile waits for the restore to finish). The file it replaces — with its `-wal` and
    /// `-shm`, which belong to it — is renamed aside, never deleted; returns that path (nil when
    /// there was no database).
    public static func restore(from backup: String, to path: String, now: Date = Date()) throws -> String? {
        _ = try check(file: backup)
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let lock = try FileLock(path: lockPath(for: path))
        guard lock.tryLockExclusive() else { throw RestoreError.inUse(path) }

        // A consistent copy beside the target first, so that a failure leaves the target as it was.
        let temporary = path + ".restoring-\(getpid())"
        unlink(temporary)
        do {
            let source = try DatabaseQueue(path: backup, configuration: { var c = Configuration(); c.readonly = true; return c }())
            let target = try DatabaseQueue(path: temporary)
            try source.backup(to: target)
            try target.close()
            try source.close()
            chmod(temporary, 0o600)
        } catch {
            unlink(temporary)
            throw error
        }

        var aside: String?
        if FileManager.default.fileExists(atPath: path) {
            let stamp = ISO8601DateFormatter.string(from: now, timeZone: .gmt, formatOptions: [.withYear, .withMonth, .withDay, .withTime, .withTimeZone])
                .replacingOccurrences(of: ":", with: "")
            let replaced = "\(path).replaced-\(stamp)"
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                guard rename(path + suffix, replaced + suffix) == 0 else {
                    unlink(temporary)
                    throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path + suffix, NSUnderlyingErrorKey: POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)])
                }
            }
            aside = replaced
        }
        guard rename(temporary, path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSUnderlyingErrorKey: POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)])
        }
        syncDirectory(of: path)
        return aside
    }
}

/// Makes a rename in the directory of `path` durable.
func syncDirectory(of path: String) {
    let directory = (path as NSString).deletingLastPathComponent
    let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else { return }
    fsync(descriptor)
    close(descriptor)
}
