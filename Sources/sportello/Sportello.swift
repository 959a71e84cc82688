import ArgumentParser
import Foundation
import JSONRPC
import Logging
import NIOCore
import ServiceLifecycle
import SportelloServer
import SportelloService
import SportelloStore

@main
struct Sportello: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sportello",
        abstract: "Sportello: the support desk's ticket system, as a JSON-RPC 2.0 server.",
        version: SportelloVersion.current,
        subcommands: [Serve.self, Migrate.self, Backup.self, Restore.self, SeedDemo.self, Audit.self]
    )

    /// ArgumentParser's `main`, after making every file this process creates private to its
    /// user: the database, the `-wal` and `-shm` files SQLite creates whenever it needs them
    /// (at the first write, after a checkpoint, in another thread), journals and backups. A
    /// process-wide umask is the one mechanism that covers files created later by a library;
    /// the systemd unit sets UMask=0077 too, but someone running `sportello` by hand under the
    /// usual 022 would otherwise leave the customers' data world-readable. (The store also
    /// creates its files with explicit modes; the socket sets its own 0660.)
    static func main() async {
        umask(0o077)
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// Where the database lives: --database, else $SPORTELLO_DATABASE, else systemd's
/// $STATE_DIRECTORY/sportello.db, else ./var/sportello.db.
struct DatabaseOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The SQLite file (default: $SPORTELLO_DATABASE, else $STATE_DIRECTORY/sportello.db, else ./var/sportello.db).",
        valueName: "path"))
    var database: String?

    var resolvedPath: String {
        let environment = ProcessInfo.processInfo.environment
        if let database { return database }
        if let path = environment["SPORTELLO_DATABASE"], !path.isEmpty { return path }
        if let state = environment["STATE_DIRECTORY"], !state.isEmpty {
            // systemd may list several directories separated by colons; the first is ours.
            let first = state.split(separator: ":").first.map(String.init) ?? state
            return first + "/sportello.db"
        }
        return "var/sportello.db"
    }

    /// After a command that wrote: the WAL moved into the database file and truncated
    /// (`SportelloDatabase.checkpointTruncate()`); a failure names the file and exits 1.
    func checkpoint(_ store: SportelloDatabase) throws {
        do {
            try store.checkpointTruncate()
        } catch {
            FileHandle.standardError.write(Data("sportello: cannot checkpoint the database at \(resolvedPath): \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Opens and migrates the database; a failure names the file and exits 1. Commits are synced
    /// (`Durability.full`) unless $SPORTELLO_DURABILITY is `normal`, which only `make bench`
    /// and the durability test set, to measure and to show what durability costs.
    func open() throws -> SportelloDatabase {
        let durability = ProcessInfo.processInfo.environment["SPORTELLO_DURABILITY"].flatMap(Durability.init(rawValue:)) ?? .full
        do {
            return try SportelloDatabase(path: resolvedPath, durability: durability)
        } catch {
            FileHandle.standardError.write(Data("sportello: cannot open the database at \(resolvedPath): \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

func makeLogger(_ label: String) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        let level = ProcessInfo.processInfo.environment["SPORTELLO_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        handler.logLevel = level ?? .info
        return handler
    }
    return Logger(label: label)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve JSON-RPC on stdio, on a Unix socket, or on the sockets systemd passes (LISTEN_FDS).")

    @Flag(name: .long, help: "Serve one session on standard input and output (for editor and tool plugins).")
    var stdio = false

    @Option(name: .long, help: ArgumentHelp("Listen on a Unix socket at this path.", valueName: "path"))
    var socket: String?

    @OptionGroup var database: DatabaseOption

    @Option(name: .long, help: ArgumentHelp(
        "Exit after this many seconds with no connection and no request in flight.", valueName: "seconds"))
    var exitIdleTime: Double?

    @Option(name: .long, help: "The largest message accepted, in bytes; a larger one gets -32008.")
    var maxMessageBytes = 1 << 20

    @Option(name: .long, help: "The most entries a batch may have.")
    var maxBatchSize = 100

    func validate() throws {
        if stdio, socket != nil { throw ValidationError("--stdio and --socket exclude each other") }
        if let exitIdleTime, exitIdleTime <= 0 || !exitIdleTime.isFinite {
            throw ValidationError("--exit-idle-time must be a positive number of seconds")
        }
        if maxMessageBytes < 1024 { throw ValidationError("--max-message-bytes must be at least 1024") }
        if maxBatchSize < 1 { throw ValidationError("--max-batch-size must be at least 1") }
    }

    func run() async throws {
        let logger = makeLogger("sportello")
        let listener: Listener
        if stdio {
            listener = .stdio
        } else if let socket {
            listener = .socket(path: socket)
        } else {
            listener = .inherited(Systemd.listenFileDescriptors())
            if case .inherited(let descriptors) = listener, descriptors.isEmpty {
                throw ValidationError(ServerError.noInheritedSockets.description)
            }
        }
        let store = try database.open()
        let checkpointer = try Checkpointer(database: store) { error in
            logger.warning("background checkpoint failed: \(error)")
        }
        let service = SportelloService(environment: ServiceEnvironment(database: store, logger: logger))
        let dispatcher = service.makeDispatcher(maximumBatchSize: maxBatchSize)

        var options = ServerOptions()
        options.maximumMessageBytes = maxMessageBytes
        options.exitIdleTime = exitIdleTime.map { .milliseconds(Int64($0 * 1000)) }
        let server = RPCServer(listener: listener, options: options, logger: logger) { info in
            let transport: Transport = info.transport == .stdio ? .stdio : .socket
            return DispatchingSession(
                dispatcher: dispatcher,
                context: CallContext.forConnection(transport: transport, peerUID: info.peerUID))
        }
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        defer { checkpointer.stop() }
        do {
            try await group.run()
        } catch let error as ServerError {
            logger.critical("\(error.description)")
            throw ExitCode(1)
        }
        // A clean stop: the server has answered what was in flight. Move the WAL into the
        // database file, so that the .db file alone holds everything (a copy of it is a backup).
        checkpointer.stop()
        do {
            if try !store.checkpointTruncate() { logger.info("another process still reads the database; part of its WAL is left for later") }
        } catch {
            logger.warning("the database was not checkpointed on stopping (the data is safe in its WAL): \(error)")
        }
    }
}

/// Connects a transport's connection to the method dispatcher with that connection's context.
struct DispatchingSession: RPCSession {
    let dispatcher: RPCDispatcher<CallContext>
    let context: CallContext

    func dispatch(message: ByteBufferView, rejection: RPCError?) -> DispatchStep {
        dispatcher.dispatch(message: message, context: context, rejection: rejection)
    }

    func close() {}
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or bring the database schema up to date, then exit.")

    @OptionGroup var database: DatabaseOption

    func run() async throws {
        let store = try database.open()
        let current = try store.appliedMigrations().last ?? "empty"
        let applied = store.migrationsApplied
        switch applied.count {
        case 0:
            print("\(store.path): already up to date at \(current); nothing applied")
        case 1:
            print("\(store.path): applied 1 migration (\(applied[0])); schema now at \(current)")
        default:
            print("\(store.path): applied \(applied.count) migrations (\(applied.first!) … \(applied.last!)); schema now at \(current)")
        }
        try database.checkpoint(store)
    }
}

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the database to a file, consistently, while servers keep running.")

    @OptionGroup var database: DatabaseOption

    @Option(name: .long, help: ArgumentHelp("The backup file to write (replaced atomically).", valueName: "file"))
    var to: String

    @Flag(name: .long, help: "Check the copy afterwards: SQLite's integrity check and a known migration history.")
    var verify = false

    func run() async throws {
        let store = try database.open()
        do {
            try store.backup(to: to)
        } catch {
            FileHandle.standardError.write(Data("sportello: backup of \(store.path) failed: \(error)\n".utf8))
            throw ExitCode(1)
        }
        print("backed up \(store.path) to \(to)")
        if verify {
            do {
                let report = try SportelloDatabase.check(file: to)
                print("verified \(to): integrity ok, schema at \(report.migrations.last ?? "empty")")
            } catch {
                FileHandle.standardError.write(Data("sportello: the backup \(to) does not verify: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}

struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replace the database with a backup, after checking it; refused while a server has the database open.",
        discussion: """
            The backup must pass SQLite's integrity check and have a migration history this \
            version knows. The database it replaces (with its -wal and -shm) is kept beside it as \
            PATH.replaced-TIMESTAMP. Every process that opens a database holds PATH-lock shared; \
            restore needs it exclusively, so it refuses while any server or other command has the \
            database open, and a server started during a restore waits for it.
            """)

    @OptionGroup var database: DatabaseOption

    @Option(name: .long, help: ArgumentHelp("The backup file to restore.", valueName: "file"))
    var from: String

    func run() async throws {
        let path = database.resolvedPath
        do {
            let aside = try SportelloDatabase.restore(from: from, to: path)
            print("restored \(path) from \(from)" + (aside.map { "; the database it replaced is kept as \($0)" } ?? ""))
        } catch {
            FileHandle.standardError.write(Data("sportello: cannot restore \(path) from \(from): \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
