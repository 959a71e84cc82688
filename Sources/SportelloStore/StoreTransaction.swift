import GRDB

/// Read access to the store for the length of one transaction: every store function that
/// reads takes one. The service gets it from `SportelloDatabase.read` or `write` and never sees
/// the SQL engine behind it, so another engine could stand behind the same store API without a
/// handler changing. It must not outlive the closure it was handed to.
public class StoreReader {
    /// The GRDB connection, inside its transaction (store code only).
    let db: Database

    /// Wraps a GRDB connection already inside a transaction (migrations, tools, tests).
    public init(_ db: Database) {
        self.db = db
    }
}

/// Read and write access for one change: every store function that writes takes one. A change
/// made through it commits with the rest of the request's change, or not at all.
public final class StoreWriter: StoreReader {}

/// A failure of the database under a request, in the terms a caller can act on. The change was
/// rolled back: nothing of it is stored.
public struct StoreFailure: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The disk holding the database is full.
        case diskFull
        /// The database file is read-only for this process.
        case readOnly
        /// Another process kept the database locked past the busy timeout.
        case busy
        /// The file could not be read or written.
        case io
        /// A uniqueness, foreign-key or check rule of the schema refused the change (the service
        /// checks first, so this is a bug or a race it did not foresee).
        case constraint
        /// Anything else (a bug, a corrupt file): logged, answered as an internal error.
        case other
    }

    public let kind: Kind
    /// SQLite's own words, for the log.
    public let detail: String

    init(_ error: DatabaseError) {
        switch error.resultCode {
        case .SQLITE_FULL: kind = .diskFull
        case .SQLITE_READONLY: kind = .readOnly
        case .SQLITE_BUSY, .SQLITE_LOCKED: kind = .busy
        case .SQLITE_IOERR, .SQLITE_CANTOPEN: kind = .io
        case .SQLITE_CONSTRAINT: kind = .constraint
        default: kind = .other
        }
        detail = error.description
    }

    public var description: String { detail }
}

extension StoreFailure {
    /// Runs `body`, turning GRDB's errors into `StoreFailure`; every other error passes as is.
    static func translating<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DatabaseError {
            throw StoreFailure(error)
        }
    }
}
