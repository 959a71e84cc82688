import Foundation
import GRDB
#if canImport(GRDBSQLite)
import GRDBSQLite
#else
import SQLite3
#endif

/// Positional arguments of a statement (`?` placeholders).
public typealias SQLArguments = [(any DatabaseValueConvertible)?]

// GRDB hands strings to SQLite as C strings, both ways: it binds them with
// `sqlite3_bind_text(…, -1, …)` and reads text columns with `String(cString:)`. A string with a
// NUL (U+0000) — valid JSON, valid UTF-8, and what customers paste — was cut there: a body
// "before\u0000after" was stored as "before", a search for "\u0000" reached FTS5 as a lone
// `"`, and a login as "ada@x.it\u0000…" found ada@x.it's account while the throttle counted it
// as another email. Every statement of the store runs through these helpers instead: a string
// is bound with its UTF-8 byte count and a text column read by its byte count, so text is
// stored, matched and returned byte for byte.
extension Database {
    /// Runs a statement that returns no rows (INSERT, UPDATE, DELETE). `cached`: keep the
    /// prepared statement for the next call (fixed SQL run often).
    public func run(_ sql: String, _ arguments: SQLArguments = [], cached: Bool = false) throws {
        try prepared(sql, arguments, cached: cached).execute()
    }

    /// ``run(_:_:cached:)`` on a kept statement for a row written many times in one change (a
    /// sweep's outbox and history rows): the values are bound straight to SQLite, text by its
    /// byte count, without GRDB's argument list (measured with perf as an eighth of a first
    /// sweep's time, most of it copying each notification's body into a `DatabaseValue`).
    func runKept(_ sql: String, _ values: [KeptValue]) throws {
        let statement = try cachedStatement(sql: sql)
        // Marks the statement's arguments as given (none) and clears the previous row's.
        statement.setUncheckedArguments(StatementArguments())
        let handle = statement.sqliteStatement
        // The kept statement must not point at bytes that are about to go (`.blob`).
        defer { sqlite3_clear_bindings(handle) }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null: code = sqlite3_bind_null(handle, index)
            case .int(let number): code = sqlite3_bind_int64(handle, index, number)
            case .double(let number): code = sqlite3_bind_double(handle, index, number)
            case .text(var text):
                code = text.withUTF8 { bytes in
                    guard let base = bytes.baseAddress else { return sqlite3_bind_text(handle, index, "", 0, sqliteTransient) }
                    return sqlite3_bind_text(handle, index, base, Int32(bytes.count), sqliteTransient)
                }
            case .blob(let bytes):
                // A nil destructor is SQLITE_STATIC; an empty blob is still a blob, not NULL.
                code = sqlite3_bind_blob(handle, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count), nil)
            }
            guard code == SQLITE_OK else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "could not bind argument \(index)", sql: sql)
            }
        }
        try statement.execute()
    }

    /// Every row of a query, with text read whole.
    public func rows(_ sql: String, _ arguments: SQLArguments = [], cached: Bool = false) throws -> [Row] {
        let statement = try prepared(sql, arguments, cached: cached)
        let columns = statement.columnNames
        let cursor = try Row.fetchCursor(statement)
        var rows: [Row] = []
        while let row = try cursor.next() {
            // GRDB's own copy (fast lookups by column) unless a text column holds a NUL, which
            // GRDB would cut: then the row is built from the whole values.
            guard Self.hasTextWithNUL(statement.sqliteStatement, columns: Int32(columns.count)) else {
                rows.append(row.copy())
                continue
            }
            var values: [String: DatabaseValue] = [:]
            for (index, name) in columns.enumerated() where values[name] == nil {
                values[name] = Self.wholeValue(statement.sqliteStatement, Int32(index))
            }
            rows.append(Row(values))
        }
        return rows
    }

    /// Whether a text column of the current row holds a NUL (its byte count is longer than its
    /// C string).
    private static func hasTextWithNUL(_ statement: SQLiteStatement, columns: Int32) -> Bool {
        for index in 0..<columns where sqlite3_column_type(statement, index) == SQLITE_TEXT {
            guard let text = sqlite3_column_text(statement, index) else { continue }
            if strlen(UnsafeRawPointer(text).assumingMemoryBound(to: CChar.self)) != Int(sqlite3_column_bytes(statement, index)) {
                return true
            }
        }
        return false
    }

    /// The first row of a query, if any.
    public func row(_ sql: String, _ arguments: SQLArguments = [], cached: Bool = false) throws -> Row? {
        try rows(sql, arguments, cached: cached).first
    }

    /// The first column of every row of a query.
    public func values<Value: DatabaseValueConvertible>(
        _ type: Value.Type, _ sql: String, _ arguments: SQLArguments = [], cached: Bool = false
    ) throws -> [Value] {
        let statement = try prepared(sql, arguments, cached: cached)
        let cursor = try Row.fetchCursor(statement)
        var values: [Value] = []
        while try cursor.next() != nil {
            let value = Self.wholeValue(statement.sqliteStatement, 0)
            guard let converted = Value.fromDatabaseValue(value) else {
                throw DatabaseError(message: "could not read \(value) as \(Value.self)", sql: sql)
            }
            values.append(converted)
        }
        return values
    }

    /// The first column of the first row of a query; nil without a row or for NULL.
    public func value<Value: DatabaseValueConvertible>(
        _ type: Value.Type, _ sql: String, _ arguments: SQLArguments = [], cached: Bool = false
    ) throws -> Value? {
        let statement = try prepared(sql, arguments, cached: cached)
        let cursor = try Row.fetchCursor(statement)
        guard try cursor.next() != nil else { return nil }
        return Value.fromDatabaseValue(Self.wholeValue(statement.sqliteStatement, 0))
    }

    /// A statement with `arguments` bound, strings with their byte count. GRDB checks the
    /// number of arguments and binds them; the strings holding a NUL are bound again, whole.
    private func prepared(_ sql: String, _ arguments: SQLArguments, cached: Bool) throws -> Statement {
        let statement = cached ? try cachedStatement(sql: sql) : try makeStatement(sql: sql)
        try statement.setArguments(StatementArguments(arguments))
        for (offset, argument) in arguments.enumerated() {
            // memchr over the bytes: a first sweep binds hundreds of thousands of notification bodies.
            guard case .string(var text)? = argument?.databaseValue.storage,
                  text.withUTF8({ bytes in bytes.baseAddress.map { memchr($0, 0, bytes.count) != nil } ?? false })
            else { continue }
            let code = text.withUTF8 { bytes in
                sqlite3_bind_text(
                    statement.sqliteStatement, Int32(offset + 1), bytes.baseAddress, Int32(bytes.count), sqliteTransient)
            }
            guard code == SQLITE_OK else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "could not bind argument \(offset + 1)", sql: sql)
            }
        }
        return statement
    }

    /// A column of the current row; text by its byte count (GRDB's own reading stops at a NUL).
    private static func wholeValue(_ statement: SQLiteStatement, _ index: Int32) -> DatabaseValue {
        guard sqlite3_column_type(statement, index) == SQLITE_TEXT else {
            return DatabaseValue(sqliteStatement: statement, index: index)
        }
        // sqlite3_column_text first, then sqlite3_column_bytes, as SQLite's documentation asks.
        guard let text = sqlite3_column_text(statement, index) else { return "".databaseValue }
        let count = Int(sqlite3_column_bytes(statement, index))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self).databaseValue
    }
}

/// A value for ``Database/runKept(_:_:)``.
enum KeptValue {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    /// Bound without a copy (SQLITE_STATIC): the bytes must stay put until the statement has
    /// run. SQLite copies a blob it is given (SQLITE_TRANSIENT, all GRDB does) and then copies
    /// it again into the row it builds; for the raw copy of a 25 MiB mail each copy was 19 MiB
    /// at the server's peak (measured with heaptrack), and this saves the first.
    case blob(UnsafeRawBufferPointer)

    static func text(_ text: String?) -> KeptValue { text.map(KeptValue.text) ?? .null }
    static func int(_ number: Int64?) -> KeptValue { number.map(KeptValue.int) ?? .null }
}

/// SQLite copies the bytes before `sqlite3_bind_text` returns.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
