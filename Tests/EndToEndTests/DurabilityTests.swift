import Foundation
import Synchronization
import Testing

/// An acknowledged change is on disk before its answer leaves: proved from the order of the
/// server's system calls, recorded by strace.
@Suite("Durable acknowledgements")
struct DurabilityTests {
    /// What a strace line says, for the checks below.
    enum Event: Equatable {
        /// An fsync or fdatasync of the database's `-wal` file returned.
        case walSynced
        /// A read from a socket returned bytes holding request `id`.
        case requestRead(Int)
        /// A write to a socket began with the reply to request `id`.
        case replyWritten(Int)
    }

    /// Turns `strace -f -y -s 256` output into events, in the order strace saw them. A call that
    /// another thread interrupted is reported in two lines ("<unfinished ...>", then
    /// "<... resumed>"): a sync counts when it returns, a read when it returns its bytes, a
    /// write when it starts.
    static func events(trace: String, requestIDs: Set<Int>) -> [Event] {
        var events: [Event] = []
        var pendingWALSync: Set<Substring> = []  // pids whose unfinished call is a sync of the WAL
        func ids(in line: Substring, after marker: String) -> [Int] {
            var found: [Int] = []
            var rest = line[...]
            while let range = rest.range(of: marker) {
                let digits = rest[range.upperBound...].prefix { $0.isNumber }
                if let id = Int(digits), requestIDs.contains(id) { found.append(id) }
                rest = rest[range.upperBound...]
            }
            return found
        }
        for line in trace.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 1)
            guard fields.count == 2 else { continue }
            let pid = fields[0]
            let call = fields[1].drop { $0 == " " }
            let isSync = call.hasPrefix("fsync(") || call.hasPrefix("fdatasync(")
            if isSync, call.contains("-wal>") {
                if call.hasSuffix("<unfinished ...>") {
                    pendingWALSync.insert(pid)
                } else if call.hasSuffix("= 0") {
                    events.append(.walSynced)
                }
            } else if call.hasPrefix("<... fsync resumed>") || call.hasPrefix("<... fdatasync resumed>") {
                if pendingWALSync.remove(pid) != nil, call.hasSuffix("= 0") { events.append(.walSynced) }
            } else if call.hasPrefix("read(") || call.hasPrefix("<... read resumed>") || call.hasPrefix("recvmsg(")
                || call.hasPrefix("<... recvmsg resumed>")
            {
                guard !call.hasSuffix("<unfinished ...>") else { continue }
                for id in ids(in: call, after: #"\"id\":"#) where call.contains(#"\"method\":\"ticket.open\""#) {
                    events.append(.requestRead(id))
                }
            } else if call.hasPrefix("write(") || call.hasPrefix("writev(") || call.hasPrefix("sendmsg(") {
                for id in ids(in: call, after: #"{\"jsonrpc\":\"2.0\",\"id\":"#) {
                    events.append(.replyWritten(id))
                }
            }
        }
        return events
    }

    /// The requests whose reply was written with no sync of the WAL between reading the request
    /// and writing the reply (or whose request or reply is missing from the trace).
    static func unsyncedReplies(_ events: [Event], requestIDs: [Int]) -> [Int] {
        requestIDs.filter { id in
            guard let read = events.firstIndex(of: .requestRead(id)),
                let written = events.firstIndex(of: .replyWritten(id)), read < written
            else { return true }
            return !events[read..<written].contains(.walSynced)
        }
    }

    /// Starts a server with `durability`, traces it with strace while one client opens `count`
    /// tickets one after the other, and returns the ids of the acknowledged opens and the events.
    static func traceOpens(durability: String, count: Int) async throws -> (ids: [Int], events: [Event]) {
        let strace = try #require(which("strace"), "strace is needed (make test installs Debian's strace)")
        let server = try await SocketServer(environment: ["SPORTELLO_DURABILITY": durability])
        defer { server.stop() }
        let system = RPCClient(try server.connect(), who: "system")
        defer { system.close() }
        let customer = try await system.ok("customer.create", ["code": "DUR", "name": "Durable S.p.A.", "language": "it"])
        _ = try await system.ok("customer.addSubscription", ["customer": customer.int("id")!, "product": "zenshare-suite", "mode": "cloudSaas"])
        let contact = try await system.ok("contact.create", ["customer": customer.int("id")!, "name": "Dora Durante", "email": "dora@durable.example"])

        let tracePath = server.directory.file("strace.txt")
        let tracer = try ChildProcess(
            strace, ["-f", "-y", "-s", "256", "-o", tracePath, "-p", "\(server.pid)",
                     "-e", "trace=fsync,fdatasync,read,recvmsg,write,writev,sendmsg"],
            directory: server.directory, name: "strace")
        defer { tracer.stop() }
        // strace says on stderr when it holds every thread of the server.
        #expect(await eventually(timeout: 10) { tracer.stderr.contains("attached") }, "strace: \(tracer.stderr)")
        try await Task.sleep(for: .milliseconds(300))

        let connection = try server.connect()
        defer { connection.close() }
        var acknowledged: [Int] = []
        for index in 0..<count {
            let id = 7_000_001 + index
            let request = try RPCClient.request(id: id, method: "ticket.open", params: [
                "contact": contact.int("id")!, "product": "zenshare-suite", "channel": "api",
                "subject": "Durability \(index)", "body": "Il portale non risponde dalle 9 di stamattina.",
            ])
            try await connection.send(request)
            let reply = try await connection.readReply(timeout: 30)
            #expect(reply.rawID == "\(id)" && reply.result?["id"] != nil, "\(reply)")
            acknowledged.append(id)
        }
        tracer.signal(SIGINT)
        #expect(await tracer.waitForExit(timeout: 20) != nil, "strace did not stop")
        let trace = try String(contentsOfFile: tracePath, encoding: .utf8)
        return (acknowledged, events(trace: trace, requestIDs: Set(acknowledged)))
    }

    @Test("every acknowledged ticket.open: an fdatasync of the -wal file returns after its request is read and before its answer is written (and the check fails under synchronous = NORMAL)")
    func syncPrecedesAnswer() async throws {
        try requireBinary()
        let full = try await Self.traceOpens(durability: "full", count: 30)
        #expect(full.events.contains(.walSynced), "no sync of the WAL seen at all")
        let unsynced = Self.unsyncedReplies(full.events, requestIDs: full.ids)
        #expect(unsynced.isEmpty, "answered before the WAL reached the disk: \(unsynced)")

        // The control: the same run with commits synced only at checkpoints.
        let normal = try await Self.traceOpens(durability: "normal", count: 30)
        let unsyncedNormal = Self.unsyncedReplies(normal.events, requestIDs: normal.ids)
        #expect(unsyncedNormal.count >= normal.ids.count / 2, "under NORMAL only \(unsyncedNormal.count) of \(normal.ids.count) answers came before a sync: the check cannot tell")
    }

    /// Creates a customer with a ZenShare subscription and a contact; the contact's id.
    static func makeContact(_ system: RPCClient) async throws -> Int {
        let customer = try await system.ok("customer.create", ["code": "DRILL", "name": "Drill S.r.l.", "language": "it"])
        let id = try #require(customer.int("id"))
        _ = try await system.ok("customer.addSubscription", ["customer": id, "product": "zenshare-suite", "mode": "cloudSaas"])
        let contact = try await system.ok("contact.create", ["customer": id, "name": "Dario Drill", "email": "dario@drill.example"])
        return try #require(contact.int("id"))
    }

    @Test("backup while 8 clients write, restore into a new path: every ticket acknowledged before the backup began is there, the file passes integrity_check, a server serves it, and restore refuses a database in use")
    func backupRestoreDrill() async throws {
        let server = try await SocketServer()
        defer { server.stop() }
        let system = RPCClient(try server.connect(), who: "system")
        defer { system.close() }
        let contact = try await Self.makeContact(system)

        // 8 clients open tickets until told to stop; each acknowledged id is recorded.
        final class Shared: Sendable {
            let acknowledged = Mutex<[Int]>([])
            let stop = Mutex(false)
        }
        let shared = Shared()
        let writers = (0..<8).map { writer in
            Task {
                let client = RPCClient(try server.connect(), who: "writer \(writer)")
                defer { client.close() }
                var index = 0
                while !shared.stop.withLock({ $0 }) {
                    let ticket = try await client.ok("ticket.open", [
                        "contact": contact, "product": "zenshare-suite", "channel": "api",
                        "subject": "Drill \(writer)-\(index)", "body": "Prova di ripristino numero \(index).",
                    ])
                    shared.acknowledged.withLock { $0.append(ticket.int("id")!) }
                    index += 1
                }
            }
        }
        // The backup begins once every writer is under way (a loaded machine may take a while).
        let underWay = await eventually(timeout: 60) { shared.acknowledged.withLock { $0.count } >= 40 }
        let beforeBackup = shared.acknowledged.withLock { $0 }
        let backupFile = server.directory.file("drill-backup.db")
        let backup = try await runCommand(
            sportelloBinary, ["backup", "--database", server.databasePath, "--to", backupFile, "--verify"],
            directory: server.directory, name: "backup", timeout: 60)
        try await Task.sleep(for: .milliseconds(300))
        shared.stop.withLock { $0 = true }
        for writer in writers { try await writer.value }
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(backup.stdout.contains("verified"), "\(backup.stdout)")
        try #require(underWay, "the writers acknowledged only \(beforeBackup.count) tickets in a minute")

        let restored = server.directory.file("restored/sportello.db")
        let restore = try await runCommand(
            sportelloBinary, ["restore", "--from", backupFile, "--database", restored], directory: server.directory, name: "restore",
            timeout: 60)
        #expect(restore.status == 0, "\(restore.stderr)")

        let integrity = try await runCommand(
            "/usr/bin/python3", ["-c", "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])", restored],
            directory: server.directory, name: "integrity")
        #expect(integrity.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "\(integrity)")

        // A server on the restored file has every ticket acknowledged before the backup began.
        let restoredServer = try await SocketServer(
            directory: server.directory, socketPath: server.directory.file("restored.sock"), databasePath: restored, name: "restored")
        let reader = RPCClient(try restoredServer.connect(), who: "system")
        defer { reader.close() }
        var missing: [Int] = []
        for id in beforeBackup {
            let reply = try await reader.call("ticket.get", ["ticket": id])
            if reply.result?["id"] as? Int != id { missing.append(id) }
        }
        #expect(missing.isEmpty, "acknowledged before the backup, missing after the restore: \(missing.prefix(20))")

        // Restoring over a database that a server has open is refused, and changes nothing.
        let refused = try await runCommand(
            sportelloBinary, ["restore", "--from", backupFile, "--database", restored], directory: server.directory, name: "refused")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("open in a running server"), "\(refused.stderr)")
        #expect(try await reader.call("ticket.get", ["ticket": beforeBackup[0]]).result != nil)
        restoredServer.child.signal(SIGTERM)
        #expect(await restoredServer.child.waitForExit(timeout: 20) == 0)

        // With the server gone, the restore goes through and keeps the replaced file aside.
        let again = try await runCommand(
            sportelloBinary, ["restore", "--from", backupFile, "--database", restored], directory: server.directory, name: "again")
        #expect(again.status == 0, "\(again.stderr)")
        let aside = try FileManager.default.contentsOfDirectory(atPath: server.directory.file("restored"))
        #expect(aside.contains { $0.hasPrefix("sportello.db.replaced-") }, "\(aside)")
    }

    @Test("restore refuses a damaged file, a file that is not a database and a missing file, naming it; nothing is replaced")
    func restoreRefusesBadBackups() async throws {
        try requireBinary()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("live.db")
        let migrate = try await runCommand(sportelloBinary, ["migrate", "--database", database], directory: directory)
        #expect(migrate.status == 0)

        try Data("this is not a database".utf8).write(to: URL(fileURLWithPath: directory.file("junk.db")))
        // A real backup with one page overwritten in the middle.
        let backup = try await runCommand(sportelloBinary, ["backup", "--database", database, "--to", directory.file("damaged.db")], directory: directory)
        #expect(backup.status == 0)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: directory.file("damaged.db")))
        try handle.seek(toOffset: 4096 * 3)
        handle.write(Data(repeating: 0xA5, count: 4096))
        try handle.close()
        let before = FileManager.default.contents(atPath: database)

        for (file, words) in [
            ("junk.db", "is not a SQLite database"), ("damaged.db", "integrity check"), ("missing.db", "does not exist"),
        ] {
            let run = try await runCommand(
                sportelloBinary, ["restore", "--from", directory.file(file), "--database", database], directory: directory, name: file)
            #expect(run.status == 1, "\(file): \(run.stderr)")
            #expect(run.stderr.contains(directory.file(file)) && run.stderr.contains(words), "\(file): \(run.stderr)")
        }
        #expect(FileManager.default.contents(atPath: database) == before, "the live database changed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).allSatisfy { !$0.contains("replaced") })
    }
}
