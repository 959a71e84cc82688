import ArgumentParser
import Foundation
import JSONRPC
import Logging
import NIOCore
import ServiceLifecycle
import SportelloDomain
import SportelloServer
import SportelloService
import SportelloStore

@main
struct Sportello: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sportello",
        abstract: "Sportello: the support desk's ticket system, as a JSON-RPC 2.0 server.",
        version: SportelloVersion.current,
        subcommands: [Serve.self, MCPCommand.self, Migrate.self, Backup.self, Restore.self, Deliver.self, Sweep.self, SeedDemo.self, Report.self, Audit.self, Metrics.self]
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

    @Option(name: .long, help: ArgumentHelp(
        "Reply and event bytes a connection may leave unread: past it the server reads nothing more from it, and its event subscriptions end (events.overflow).",
        valueName: "bytes"))
    var maxUnreadBytes = 4 << 20

    @Option(name: .long, help: ArgumentHelp(
        "Socket peers in this Unix group are the mail gateway: they may call only mail.ingest, mail.upload and server.*.",
        valueName: "group"))
    var mailGroup = "sportello-mail"

    @Option(name: .long, help: ArgumentHelp(
        "Deliver notifications into this Maildir instead of the configured transport (default: $SPORTELLO_MAILDIR, if set).",
        valueName: "directory"))
    var maildir: String?

    @Option(name: .long, help: ArgumentHelp(
        "Run the SLA escalation sweep every this many seconds while serving a socket (0: never; never on --stdio).",
        valueName: "seconds"))
    var sweepInterval: Double = 60

    @Option(name: .long, help: ArgumentHelp(
        "Send the notifications that are due every this many seconds (0: never; `sportello deliver` then does it).",
        valueName: "seconds"))
    var deliveryInterval: Double = 1

    func validate() throws {
        if stdio, socket != nil { throw ValidationError("--stdio and --socket exclude each other") }
        if let exitIdleTime, exitIdleTime <= 0 || !exitIdleTime.isFinite {
            throw ValidationError("--exit-idle-time must be a positive number of seconds")
        }
        if maxMessageBytes < 1024 { throw ValidationError("--max-message-bytes must be at least 1024") }
        if maxBatchSize < 1 { throw ValidationError("--max-batch-size must be at least 1") }
        if maxUnreadBytes < 4096 { throw ValidationError("--max-unread-bytes must be at least 4096") }
        if !sweepInterval.isFinite || sweepInterval < 0 { throw ValidationError("--sweep-interval must be 0 or a positive number of seconds") }
        if !deliveryInterval.isFinite || deliveryInterval < 0 {
            throw ValidationError("--delivery-interval must be 0 or a positive number of seconds")
        }
    }

    func run() async throws {
        let logger = makeLogger("sportello")
        SportelloMetrics.bootstrap()
        LargeAllocations.returnToTheSystemWhenFreed()
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
        options.maximumUnwrittenReplyBytes = maxUnreadBytes
        options.exitIdleTime = exitIdleTime.map { .milliseconds(Int64($0 * 1000)) }
        let mailGroupID = UnixGroups.id(named: mailGroup)
        // The mail gateway hands in whole mail messages (25 MiB, a third more as base64): its
        // connections take messages of up to 36 MiB; everyone else's --max-message-bytes (raise
        // it to hand in large mail as the system).
        let mailMessageBytes = max(maxMessageBytes, 36 << 20)
        let server = RPCServer(listener: listener, options: options, logger: logger) { info in
            let transport: Transport = info.transport == .stdio ? .stdio : .socket
            let context = CallContext.forConnection(
                transport: transport, peerUID: info.peerUID, peerGID: info.peerGID, mailGroup: mailGroupID)
            return DispatchingSession(
                dispatcher: dispatcher, context: context, events: service.events,
                maximumMessageBytes: context.isMailGateway ? mailMessageBytes : nil)
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: server, successTerminationBehavior: .gracefullyShutdownGroup)]
        if deliveryInterval > 0 {
            services.append(.init(service: DeliveryLoop(
                delivery: MailDelivery(environment: service.environment, maildirOverride: maildirOverride(maildir)), logger: logger,
                interval: .milliseconds(Int64(deliveryInterval * 1000)))))
        }
        if !stdio, sweepInterval > 0 {
            services.append(.init(
                service: SweepLoop(service: service, interval: .milliseconds(Int64(sweepInterval * 1000)), logger: logger),
                successTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(configuration: .init(
            services: services,
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
    let events: EventHub
    var maximumMessageBytes: Int? = nil

    func dispatch(message: ByteBufferView, rejection: RPCError?) -> DispatchStep {
        dispatcher.dispatch(message: message, context: context, rejection: rejection)
    }

    func attach(_ outlet: any RPCNotificationSink) {
        context.attach(outlet)
    }

    func overflowed() -> [[UInt8]] {
        events.overflowed(context)
    }

    func close() {
        events.connectionClosed(context)
    }
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

/// The SLA escalation sweep while the server serves: one sweep every `interval` (the first one
/// interval after the start), until the server stops. A failed sweep is logged and retried at the
/// next interval; two sweeps at once (this one and the timer's) never fire a step twice.
struct SweepLoop: Service {
    let service: SportelloService
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            do {
                let result = try await service.sweep()
                if !result.fired.isEmpty {
                    logger.info("SLA sweep: \(result.checked) open tickets checked, \(result.fired.count) steps fired")
                }
            } catch {
                logger.warning("SLA sweep failed (retried at the next interval): \(error)")
            }
        }
    }
}

struct Metrics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the database's gauges in Prometheus' text format, for node_exporter's textfile collector.",
        discussion: """
            Writes DIR/sportello.prom (through a temporary file renamed into place, as the \
            collector expects): notifications by outbox status, open tickets by status, open \
            tickets whose SLA is breached by policy, mail in by outcome. A running server's own \
            counters (requests, latencies, connections) are in server.metrics.
            """)

    @OptionGroup var database: DatabaseOption

    @Option(name: .long, help: ArgumentHelp("The collector's directory.", valueName: "directory"))
    var textfile: String

    func run() async throws {
        SportelloMetrics.bootstrap()
        let store = try database.open()
        let gauges = try await store.read { tx in try MetricsStore.gauges(tx, now: Date()) }
        SportelloMetrics.recordStoreGauges(gauges)
        let target = (textfile as NSString).appendingPathComponent("sportello.prom")
        let temporary = target + ".\(getpid()).tmp"
        do {
            try Data(SportelloMetrics.render().utf8).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, target) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            unlink(temporary)
            FileHandle.standardError.write(Data("sportello: cannot write \(target): \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

struct Sweep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one SLA escalation sweep on the database, then exit (what sportello-sweep.timer runs every minute).",
        discussion: """
            Fires every escalation step the open tickets' SLA clocks have reached, each once \
            (docs/product.md §6): a server sweeping the same database at the same moment never \
            makes a step fire twice. Prints what it fired, one line per step, or with --json the \
            answer sla.sweep would give.
            """)

    @OptionGroup var database: DatabaseOption

    @Option(name: .long, help: ArgumentHelp(
        "Sweep as of this RFC 3339 instant (imported data); never in the future.", valueName: "instant"))
    var at: String?

    @Flag(name: .long, help: "Print sla.sweep's answer as JSON.")
    var json = false

    func run() async throws {
        let instant: Date?
        if let at {
            guard let parsed = RFC3339.parse(at) else { throw ValidationError("--at must be an RFC 3339 instant such as 2026-12-04T18:00:00+01:00") }
            instant = parsed
        } else {
            instant = nil
        }
        let logger = makeLogger("sportello-sweep")
        let store = try database.open()
        let service = SportelloService(environment: ServiceEnvironment(database: store, logger: logger))
        let result: SLASweep.Result
        do {
            result = try await service.sweep(at: instant)
        } catch let error as RPCError {
            FileHandle.standardError.write(Data("sportello: sweep refused: \(error.message) \(error.data.map { String(decoding: JSONSerializer.serialize($0), as: UTF8.self) } ?? "")\n".utf8))
            throw ExitCode(2)
        } catch {
            FileHandle.standardError.write(Data("sportello: sweep of \(store.path) failed: \(error)\n".utf8))
            throw ExitCode(1)
        }
        // Leave the database file whole when no server holds it (a server's own checkpointer
        // otherwise does it); a reader in another process only defers this.
        if !result.fired.isEmpty { _ = try? store.checkpointTruncate() }
        if json {
            print(String(decoding: JSONSerializer.serialize(try JSONValueEncoder().encode(result)), as: UTF8.self))
        } else {
            for step in result.fired {
                let notBefore = step.notBefore.map { ", not before " + RFC3339.format($0.date) } ?? ""
                print("ticket #\(step.ticket): \(step.kind.rawValue) on \(step.clock.rawValue) (due \(RFC3339.format(step.dueAt.date))) to \(step.recipients.count) staff\(notBefore)")
            }
            print("swept \(result.checked) open tickets at \(RFC3339.format(result.at.date)): \(result.fired.count) steps fired")
        }
    }
}

/// `sportello report sla`.
struct SLAReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sla",
        abstract: "Write the SLA report of a period (sla.report) to a file, as CSV, JSON or a printable HTML page.",
        discussion: """
            Reads the database directly (a server may be running). --format json writes \
            sla.report's answer; csv writes RFC 4180 with a header row, one row per group; html \
            writes one self-contained page (inline CSS and SVG charts, no script) for the \
            screen and A4 paper, whose table has the rows of the requested grouping.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case csv, json, html }

    @OptionGroup var database: DatabaseOption

    @Option(name: .long, help: ArgumentHelp("First day of arrival, YYYY-MM-DD (Rome).", valueName: "date"))
    var from: String

    @Option(name: .long, help: ArgumentHelp("Last day of arrival, included.", valueName: "date"))
    var to: String

    @Option(name: .customLong("group-by"), help: ArgumentHelp(
        "Comma-separated keys: month, policy, priority, customer, assignee, product.", valueName: "keys"))
    var groupBy: String?

    @Option(name: .long, help: "csv, json or html.")
    var format: Format = .csv

    @Option(name: .long, help: ArgumentHelp("As of this RFC 3339 instant (default now).", valueName: "instant"))
    var at: String?

    @Option(name: .long, help: "The HTML page's language: it or en.")
    var language: String = "it"

    @Option(name: .long, help: ArgumentHelp("The file to write (replaced); - for standard output.", valueName: "file"))
    var out: String

    func run() async throws {
        guard let fromDate = LocalDate(iso: from) else { throw ValidationError("--from must be a date YYYY-MM-DD") }
        guard let toDate = LocalDate(iso: to) else { throw ValidationError("--to must be a date YYYY-MM-DD") }
        var keys: [SLAReportKey] = []
        for word in (groupBy ?? "").split(separator: ",") {
            let name = word.trimmingCharacters(in: .whitespaces)
            guard let key = SLAReportKey(rawValue: name) else {
                throw ValidationError("--group-by: unknown key \"\(name)\" (month, policy, priority, customer, assignee, product)")
            }
            keys.append(key)
        }
        let instant = try at.map { text -> Instant in
            guard let date = RFC3339.parse(text) else { throw ValidationError("--at must be an RFC 3339 instant") }
            return Instant(date)
        }
        let store = try database.open()
        let service = SportelloService(environment: ServiceEnvironment(database: store, logger: makeLogger("sportello-report")))
        let pageLanguage = Language(rawValue: language)
        if format == .html, pageLanguage == nil { throw ValidationError("--language must be it or en") }
        let result: SLAReportMethod.Result
        var page: String?
        do {
            if format == .html, let pageLanguage {
                (page, result) = try await service.reportPage(from: fromDate, to: toDate, groupBy: keys, at: instant?.date, language: pageLanguage)
            } else {
                result = try await service.report(from: fromDate, to: toDate, groupBy: keys, at: instant?.date)
            }
        } catch let error as RPCError {
            FileHandle.standardError.write(Data("sportello: report refused: \(error.message) \(error.data.map { String(decoding: JSONSerializer.serialize($0), as: UTF8.self) } ?? "")\n".utf8))
            throw ExitCode(2)
        }
        let text: String
        switch format {
        case .csv: text = SLAReportCSV.render(result)
        case .json: text = String(decoding: JSONSerializer.serialize(try JSONValueEncoder().encode(result)), as: UTF8.self) + "\n"
        case .html: text = page ?? ""
        }
        if out == "-" {
            FileHandle.standardOutput.write(Data(text.utf8))
        } else {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
            } catch {
                FileHandle.standardError.write(Data("sportello: cannot write \(out): \(error)\n".utf8))
                throw ExitCode(1)
            }
            print("wrote \(result.rows.count) rows (\(result.totals.tickets) tickets) to \(out)")
        }
    }
}
