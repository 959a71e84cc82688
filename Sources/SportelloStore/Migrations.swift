import GRDB

/// The schema's history. Append a new `Migration` for every change; never edit a shipped one.
enum Migrations {
    static let all: [Migration] = [
        v1Foundation,
    ]

    /// Installation facts: when the database was created and by which server version.
    static let v1Foundation = Migration(identifier: "v1-foundation") { db in
        try db.create(table: "installation") { table in
            table.column("key", .text).primaryKey()
            table.column("value", .text).notNull()
        }
        try db.execute(
            sql: "INSERT INTO installation(key, value) VALUES ('createdAt', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))")
    }
}
