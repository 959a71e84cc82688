import Foundation
import Testing

@Suite("migrate and backup")
struct DatabaseCommandTests {
    func sqlite(_ database: String, _ sql: String, directory: TemporaryDirectory) async throws -> String? {
        guard let sqlite3 = which("sqlite3") else { return nil }
        let run = try await runCommand(sqlite3, [database, sql], directory: directory, name: "sqlite3")
        #expect(run.status == 0, "sqlite3: \(run.stderr)")
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("migrate creates the database (and its folder) and reports the schema; a second run is a no-op")
    func migrate() async throws {
        try requireBinary()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("new/folder/sportello.db")
        let first = try await runCommand(sportelloBinary, ["migrate", "--database", database], directory: directory, name: "migrate1")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: database))
        #expect(first.stdout.contains(database))
        #expect(first.stdout.contains("applied 14 migrations (v1-foundation … v14-history-version)"), "\(first.stdout)")
        // (Not PRAGMA schema_version: GRDB creates and drops a table whenever it opens a pool
        // whose WAL file is missing, which bumps it without changing the schema.)
        let snapshotSQL = """
            SELECT type, name, sql FROM sqlite_master ORDER BY name;
            SELECT identifier FROM grdb_migrations ORDER BY identifier;
            SELECT key, value FROM installation ORDER BY key;
            """
        let schemaBefore = try await sqlite(database, snapshotSQL, directory: directory)

        let second = try await runCommand(sportelloBinary, ["migrate", "--database", database], directory: directory, name: "migrate2")
        #expect(second.status == 0, "\(second.stderr)")
        // It says what it did: nothing, this time.
        #expect(second.stdout.contains("already up to date at v14-history-version"), "\(second.stdout)")
        #expect(!second.stdout.contains("applied 6"), "\(second.stdout)")
        let schemaAfter = try await sqlite(database, snapshotSQL, directory: directory)
        #expect(schemaBefore == schemaAfter, "the second migrate changed the database")
    }

    /// Runs a command through a shell that sets the usual interactive umask 022 first.
    static let underUmask022 = ["/bin/sh", "-c", "umask 022; exec \"$@\"", "sh"]

    /// The permission bits of `path` ("600"), or nil when it does not exist.
    func mode(_ path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return String(status.st_mode & 0o777, radix: 8)
    }

    @Test("under umask 022 the database, its WAL and shared memory and its backups are 0600, its new folders 0750")
    func privateFiles() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("state/var/sportello.db")
        let server = try await SocketServer(directory: directory, databasePath: database, launcher: Self.underUmask022)
        defer { server.child.stop() }
        let connection = try server.connect()
        _ = try await connection.call(#"{"jsonrpc":"2.0","id":1,"method":"customer.create","params":{"code":"ACME","name":"Acme S.p.A.","language":"it"}}"#)
        for file in [database, database + "-wal", database + "-shm"] {
            #expect(mode(file) == "600", "\(file): \(mode(file) ?? "missing")")
        }
        #expect(mode(directory.file("state")) == "750")
        #expect(mode(directory.file("state/var")) == "750")
        let backup = directory.file("backup.db")
        let run = try await runCommand(
            Self.underUmask022[0], Array(Self.underUmask022.dropFirst()) + [sportelloBinary, "backup", "--database", database, "--to", backup],
            directory: directory, name: "backup")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(mode(backup) == "600")
    }

    @Test("after a clean stop, migrate or seed-demo the .db file alone holds the data")
    func checkpointedOnStop() async throws {
        // As deployed: the database exists (migrated) before the server starts.
        let directory = try TemporaryDirectory()
        let database = directory.file("sportello.db")
        let migrate = try await runCommand(sportelloBinary, ["migrate", "--database", database], directory: directory, name: "migrate")
        #expect(migrate.status == 0, "\(migrate.stderr)")
        let server = try await SocketServer(directory: directory, databasePath: database)
        defer { server.stop() }
        let connection = try server.connect()
        let created = try await connection.call(
            #"{"jsonrpc":"2.0","id":1,"method":"customer.create","params":{"code":"ACME","name":"Acme S.p.A.","language":"it"}}"#)
        #expect(created.result != nil, "\(created)")
        // No client left (with one still connected, the drain happened to close the database
        // and so to checkpoint it; without one, the data stayed in the WAL alone).
        connection.close()
        try await Task.sleep(for: .milliseconds(300))
        server.child.signal(SIGTERM)
        #expect(await server.child.waitForExit(timeout: 20) == 0, "\(server.child.stderr)")
        // Only the .db file, as a file-level copy would take it.
        let copy = server.directory.file("copy.db")
        try FileManager.default.copyItem(atPath: server.databasePath, toPath: copy)
        #expect(try await sqlite(copy, "SELECT code FROM customer;", directory: server.directory) == "ACME")

        let seeded = server.directory.file("seeded.db")
        let seed = try await runCommand(
            sportelloBinary, ["seed-demo", "--database", seeded, "--tickets", "5", "--customers", "2"], directory: server.directory,
            name: "seed", timeout: 60)
        #expect(seed.status == 0, "\(seed.stderr)")
        let seededCopy = server.directory.file("seeded-copy.db")
        try FileManager.default.copyItem(atPath: seeded, toPath: seededCopy)
        #expect(try await sqlite(seededCopy, "SELECT count(*) FROM ticket;", directory: server.directory) == "5")
        #expect(try await sqlite(seededCopy, "SELECT count(*) FROM grdb_migrations;", directory: server.directory) == "14")
    }

    @Test("backup into a missing folder fails naming the path and why")
    func backupIntoMissingFolder() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("sportello.db")
        let target = directory.file("missing/backup.db")
        let run = try await runCommand(
            sportelloBinary, ["backup", "--database", database, "--to", target], directory: directory, name: "backup")
        #expect(run.status != 0)
        #expect(run.stderr.contains(target), "\(run.stderr)")
        #expect(run.stderr.contains("the folder \(directory.file("missing")) does not exist"), "\(run.stderr)")
        #expect(!run.stderr.contains("SQLite error"), "\(run.stderr)")
    }

    @Test("SPORTELLO_DATABASE is used when --database is absent")
    func databaseFromEnvironment() async throws {
        try requireBinary()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("env.db")
        let run = try await runCommand(
            sportelloBinary, ["migrate"], directory: directory, environment: ["SPORTELLO_DATABASE": database])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: database))
    }

    @Test("backup while a server runs gives a consistent, readable SQLite file")
    func backupWhileServing() async throws {
        let server = try await SocketServer()
        defer { server.stop() }
        let connection = try server.connect()
        #expect(try await connection.ping())
        let target = server.directory.file("backup.db")
        let run = try await runCommand(
            sportelloBinary, ["backup", "--database", server.databasePath, "--to", target], directory: server.directory, name: "backup")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: target))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: server.directory.path).filter { $0.contains(".partial") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        #expect(try await connection.ping(), "the server is undisturbed")

        if let check = try await sqlite(target, "PRAGMA integrity_check;", directory: server.directory) {
            #expect(check == "ok")
            let original = try await sqlite(server.databasePath, "SELECT group_concat(identifier) FROM grdb_migrations;", directory: server.directory)
            let copy = try await sqlite(target, "SELECT group_concat(identifier) FROM grdb_migrations;", directory: server.directory)
            #expect(copy == original)
        }

        // The copy is a database the server can open and serve.
        let requests = server.directory.file("requests.jsonl")
        try (pingRequest(id: 1) + "\n" + #"{"jsonrpc":"2.0","id":2,"method":"server.info"}"# + "\n")
            .write(toFile: requests, atomically: true, encoding: .utf8)
        let input = try openForReading(requests)
        defer { close(input) }
        let served = try await runCommand(
            sportelloBinary, ["serve", "--stdio", "--database", target], directory: server.directory, name: "from-backup", stdin: input)
        #expect(served.status == 0, "\(served.stderr)")
        let lines = served.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        let info = try lines.map { try Reply(raw: Array($0.utf8)) }.first { $0.rawID == "2" }
        #expect(info?.result?["database"] as? String == target)
    }

    @Test("a stdio instance runs beside the socket server on the same database")
    func sharedDatabase() async throws {
        let server = try await SocketServer()
        defer { server.stop() }
        let requests = server.directory.file("requests.jsonl")
        try (#"{"jsonrpc":"2.0","id":1,"method":"server.info"}"# + "\n").write(toFile: requests, atomically: true, encoding: .utf8)
        let input = try openForReading(requests)
        defer { close(input) }
        let stdio = try await runCommand(
            sportelloBinary, ["serve", "--stdio", "--database", server.databasePath], directory: server.directory, name: "stdio",
            stdin: input)
        #expect(stdio.status == 0, "\(stdio.stderr)")
        let reply = try Reply(raw: Array(stdio.stdout.utf8.prefix { $0 != 0x0A }))
        #expect(reply.result?["database"] as? String == server.databasePath)
        #expect(try await server.connect().ping())
    }

    /// A migrated database in a folder that `nobody` can neither write nor create files in.
    /// (Root ignores file permissions, so the commands run as `nobody`.)
    func readOnlyDatabase(in directory: TemporaryDirectory) async throws -> String {
        let folder = directory.file("ro")
        let database = folder + "/sportello.db"
        let migrate = try await runCommand(sportelloBinary, ["migrate", "--database", database], directory: directory, name: "migrate")
        #expect(migrate.status == 0, "\(migrate.stderr)")
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) { chmod(folder + "/" + name, 0o444) }
        chmod(folder, 0o555)
        chmod(directory.path, 0o755)
        return database
    }

    /// Runs `sportello arguments…` as nobody and checks: a clean failure (no crash), stderr naming
    /// the database and saying it is read-only, and the database folder untouched.
    func expectCleanReadOnlyRefusal(_ arguments: [String], database: String, directory: TemporaryDirectory) async throws {
        let switcher = try #require(which("setpriv"))
        let folder = (database as NSString).deletingLastPathComponent
        let before = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        let bytes = FileManager.default.contents(atPath: database)
        let requests = directory.file("requests.jsonl")
        try (pingRequest(id: 1) + "\n").write(toFile: requests, atomically: true, encoding: .utf8)
        let input = try openForReading(requests)
        defer { close(input) }
        let run = try await runCommand(
            switcher, ["--reuid=nobody", "--regid=nogroup", "--clear-groups", sportelloBinary] + arguments,
            directory: directory, name: "readonly", stdin: input)
        #expect(run.status > 0, "expected a clean failure, got \(run.status); stdout: \(run.stdout)")
        #expect(run.stderr.contains(database), "the message should name the database: \(run.stderr)")
        #expect(run.stderr.lowercased().contains("readonly") || run.stderr.lowercased().contains("read-only"), "\(run.stderr)")
        #expect(!run.stderr.contains("Fatal error"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == before, "files were created or removed")
        #expect(FileManager.default.contents(atPath: database) == bytes, "the database changed")
        chmod(folder, 0o755)
    }

    @Test(
        "serve on a read-only database refuses to start, says why, touches nothing",
        .enabled(if: isRoot && which("setpriv") != nil, "needs root and setpriv to run the server as nobody"))
    func serveReadOnlyDatabase() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = try await readOnlyDatabase(in: directory)
        try await expectCleanReadOnlyRefusal(["serve", "--stdio", "--database", database], database: database, directory: directory)
    }

    @Test(
        "migrate on a read-only database fails, says why and where, touches nothing",
        .enabled(if: isRoot && which("setpriv") != nil, "needs root and setpriv to run the command as nobody"))
    func migrateReadOnlyDatabase() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = try await readOnlyDatabase(in: directory)
        try await expectCleanReadOnlyRefusal(["migrate", "--database", database], database: database, directory: directory)
    }
}
