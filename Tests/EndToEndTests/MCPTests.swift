// `sportello mcp`: the real binary as a child process, driven by the MCP Swift SDK's client
// over pipes, forwarding to a running server (--socket) or running the service itself
// (--database), as the system or as a contact's session (--token-file).

import Foundation
import MCP
import Testing

#if canImport(Glibc)
import Glibc
#endif

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// One `sportello mcp` child and an MCP client on its stdin and stdout.
final class MCPSession: @unchecked Sendable {
    let child: ChildProcess
    let client: Client
    private let toChild: Int32
    private let fromChild: Int32

    /// Starts `sportello mcp ARGUMENTS` and initializes the MCP session.
    private static func start(_ arguments: [String], directory: TemporaryDirectory) async throws -> MCPSession {
        try requireBinary()
        let (childIn, toChild) = try makePipe()
        let (fromChild, childOut) = try makePipe()
        let child: ChildProcess
        do {
            child = try ChildProcess(sportelloBinary, ["mcp"] + arguments, directory: directory, name: "mcp", stdin: childIn, stdout: childOut)
        } catch {
            for fd in [childIn, toChild, fromChild, childOut] { close(fd) }
            throw error
        }
        close(childIn)
        close(childOut)
        let session = MCPSession(child: child, toChild: toChild, fromChild: fromChild)
        let transport = StdioTransport(input: FileDescriptor(rawValue: fromChild), output: FileDescriptor(rawValue: toChild))
        do {
            _ = try await withDeadline(20, "the MCP initialize handshake") { try await session.client.connect(transport: transport) }
        } catch {
            await session.stop()
            throw HarnessError("\(error); stderr: \(child.stderr)")
        }
        return session
    }

    private init(child: ChildProcess, toChild: Int32, fromChild: Int32) {
        self.child = child
        self.toChild = toChild
        self.fromChild = fromChild
        self.client = Client(name: "sportello-tests", version: "1.0")
    }

    func tools() async throws -> [Tool] {
        try await withDeadline(20, "tools/list") { try await self.client.listTools().tools }
    }

    /// tools/call: the whole result (content, structured content, isError).
    func call(_ tool: String, _ arguments: [String: Value] = [:]) async throws -> CallTool.Result {
        try await withDeadline(20, "tools/call \(tool)") {
            try await self.client.send(CallTool.request(.init(name: tool, arguments: arguments))).value
        }
    }

    /// Runs `body` with a session of `sportello mcp ARGUMENTS`, then ends the session.
    static func with<T: Sendable>(
        _ arguments: [String], directory: TemporaryDirectory, _ body: (MCPSession) async throws -> T
    ) async throws -> T {
        let session = try await start(arguments, directory: directory)
        do {
            let result = try await body(session)
            await session.stop()
            return result
        } catch {
            await session.stop()
            throw error
        }
    }

    /// Ends the session: the client disconnected (its SDK receive loop would spin on a finished
    /// stream otherwise), stdin closed, so the bridge exits by itself (killed if it does not).
    func stop() async {
        await client.disconnect()
        close(toChild)
        _ = child.reap()
        let deadline = monotonicNow() + 10
        while child.isRunning, monotonicNow() < deadline { usleep(10_000) }
        child.stop()
        close(fromChild)
    }
}

/// `body`'s result, or a failure after `seconds` (a stuck bridge fails the test, never hangs it).
func withDeadline<T: Sendable>(_ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            throw HarnessError("\(what): no answer in \(seconds) s")
        }
        let first = try await group.next()!
        group.cancelAll()
        return first
    }
}

extension CallTool.Result {
    /// The text of the first content item.
    var text: String {
        for item in content { if case .text(let text, _, _) = item { return text } }
        return ""
    }

    /// The text parsed as a JSON object (a successful call's result).
    var json: JSON { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? JSON ?? [:] }
}

extension Tool {
    var schema: JSON { (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(inputSchema))) as? JSON ?? [:] }
}

/// A token in a file of its own, as --token-file reads it.
func tokenFile(_ token: String, in directory: TemporaryDirectory, name: String) throws -> String {
    let path = directory.file(name)
    try Data((token + "\n").utf8).write(to: URL(fileURLWithPath: path))
    return path
}

@Suite(.ticketWorld([.system, .careManager, .operatorA, .giulia, .marco, .oliver]))
struct MCPSocketTests {
    @Test func toolsListFollowsTheOpenRPCDocument() async throws {
        let world = try currentWorld()
        let system = try await world.client(.system)
        let document = try await system.ok("rpc.discover")
        let methods = try #require(document["methods"] as? [JSON])
        try await MCPSession.with(["--socket", world.server.socketPath], directory: world.server.directory) { session in
            let tools = try await session.tools()
            let byName = Dictionary(tools.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

            let get = try #require(byName["ticket_get"], "no ticket_get among \(tools.map(\.name))")
            #expect(byName["ticket_list"] != nil)
            #expect(get.title == "ticket.get")
            let ticketGet = try #require(methods.first { $0["name"] as? String == "ticket.get" })
            #expect(get.description?.hasPrefix(ticketGet["summary"] as? String ?? "?") == true)
            #expect(get.schema["type"] as? String == "object")
            #expect(get.schema["required"] as? [String] == ["ticket"])
            #expect(get.schema.string("properties.ticket.type") == "integer")
            // ticket.list's customer is a $ref into the components: inlined, so the schema stands alone.
            let list = try #require(byName["ticket_list"])
            #expect(!canonicalJSON(list.schema).contains("#/components/"))
            #expect(list.schema["required"] == nil)

            // Annotations from x-effect.
            #expect(get.annotations.readOnlyHint == true)
            #expect(byName["ticket_open"]?.annotations.readOnlyHint == false)
            #expect(byName["ticket_open"]?.annotations.destructiveHint == false)
            #expect(byName["ticket_close"]?.annotations.readOnlyHint == false)
            #expect(byName["ticket_close"]?.annotations.destructiveHint == true)

            // The system may call everything, less what the bridge never offers.
            for name in ["rpc_discover", "mail_ingest", "mail_upload", "session_login", "session_resume", "session_logout", "session_whoami", "events_subscribe"] {
                #expect(byName[name] == nil, "\(name) is offered")
            }
            #expect(byName["staff_list"] != nil && byName["priceList_set"] != nil)
            let offered = methods.compactMap { $0["name"] as? String }
                .filter { $0 != "rpc.discover" && $0 != "mail.ingest" && $0 != "mail.upload" && !$0.hasPrefix("session.") && !$0.hasPrefix("events.") }
            #expect(tools.count == offered.count)
            for tool in tools {
                #expect(tool.name.range(of: "^[a-zA-Z0-9_-]{1,64}$", options: .regularExpression) != nil, "\(tool.name)")
            }
        }
    }

    @Test func callsAnswerWithTheMethodsResult() async throws {
        let world = try currentWorld()
        let subject = "MCP " + uniqueWord("socket")
        let ticket = try await world.open(try await world.client(.system), subject: subject, body: "Seeded over JSON-RPC.")
        try await MCPSession.with(["--socket", world.server.socketPath], directory: world.server.directory) { session in
            let got = try await session.call("ticket_get", ["ticket": .int(ticket.ticketID)])
            #expect(got.isError != true, "\(got.text)")
            #expect(got.json.ticketID == ticket.ticketID)
            #expect(got.json.string("subject") == subject)
            #expect(got.structuredContent?.objectValue?["subject"]?.stringValue == subject)

            let listed = try await session.call("ticket_list", ["limit": 100])
            #expect(listed.isError != true, "\(listed.text)")
            let items = listed.json.objects("items") ?? []
            #expect(items.contains { $0.ticketID == ticket.ticketID && $0.string("subject") == subject }, "\(listed.text.prefix(300))")
        }
    }

    @Test func badArgumentsNameTheField() async throws {
        let world = try currentWorld()
        try await MCPSession.with(["--socket", world.server.socketPath], directory: world.server.directory) { session in
            let result = try await session.call("ticket_get", ["ticket": "seven"])
            #expect(result.isError == true)
            #expect(result.text.contains("-32602"), "\(result.text)")
            #expect(result.text.contains("params.ticket"), "\(result.text)")
            let missing = try await session.call("ticket_get", [:])
            #expect(missing.isError == true)
            #expect(missing.text.contains("params.ticket"), "\(missing.text)")
        }
    }

    @Test func aContactsTokenActsAsThatContact() async throws {
        let world = try currentWorld()
        let system = try await world.client(.system)
        let own = try await world.open(system, for: .giulia, subject: "MCP " + uniqueWord("own"), body: "Giulia's.")
        let other = try await world.open(system, for: .oliver, subject: "MCP " + uniqueWord("other"), body: "Oliver's.")
        let file = try tokenFile(try #require(world.tokens[.giulia]), in: world.server.directory, name: "giulia.token")
        try await MCPSession.with(["--socket", world.server.socketPath, "--token-file", file], directory: world.server.directory) { session in
            let names = Set(try await session.tools().map(\.name))
            #expect(names.contains("ticket_get") && names.contains("ticket_list") && names.contains("ticket_open"))
            for staffOnly in ["customer_list", "staff_list", "notification_list", "task_list", "audit_list", "priceList_set"] {
                #expect(!names.contains(staffOnly), "a contact is offered \(staffOnly)")
            }

            let mine = try await session.call("ticket_get", ["ticket": .int(own.ticketID)])
            #expect(mine.isError != true, "\(mine.text)")
            #expect(mine.json.ticketID == own.ticketID)
            let theirs = try await session.call("ticket_get", ["ticket": .int(other.ticketID)])
            #expect(theirs.isError == true)
            #expect(theirs.text.contains("-32003"), "\(theirs.text)")
            // A tool not offered to a contact is not there to call.
            await #expect(throws: (any Error).self) { _ = try await session.call("customer_list") }
        }
    }

    @Test func aSessionThatEndsIsNeverReplacedByTheSystem() async throws {
        let world = try currentWorld()
        let system = try await world.client(.system)
        let other = try await world.open(system, for: .oliver, subject: "MCP " + uniqueWord("revoked"), body: "Oliver's.")
        let file = try tokenFile(try #require(world.tokens[.marco]), in: world.server.directory, name: "marco.token")
        try await MCPSession.with(["--socket", world.server.socketPath, "--token-file", file], directory: world.server.directory) { session in
            let before = try await session.call("ticket_list")
            #expect(before.isError != true, "\(before.text)")
            // The session ends elsewhere: the server unbinds the bridge's connection (back to its
            // peer's principal, the system here) and answers its next call with -32001 …
            let sessions = try await system.ok("session.list", ["contact": world.id(.marco)])
            for entry in sessions.objects("items") ?? [] {
                _ = try await system.ok("session.revoke", ["session": try #require(entry.string("id"))])
            }
            let ended = try await session.call("ticket_list")
            #expect(ended.isError == true)
            #expect(ended.text.contains("-32001"), "\(ended.text)")
            // … and the bridge makes no call after that, so nothing is done as the system.
            let after = try await session.call("ticket_get", ["ticket": .int(other.ticketID)])
            #expect(after.isError == true)
            #expect(after.text.contains("-32001") && after.text.contains("token file"), "\(after.text)")
        }
    }

    @Test func startUpFailuresGoToStandardError() async throws {
        let world = try currentWorld()
        let directory = world.server.directory
        let noSocket = try await runCommand(
            sportelloBinary, ["mcp", "--socket", directory.file("absent.sock")], directory: directory, name: "mcp-nosocket")
        #expect(noSocket.status == 1)
        #expect(noSocket.stderr.contains("absent.sock"), "\(noSocket.stderr)")
        #expect(noSocket.stdout.isEmpty)

        let bad = try tokenFile("not-a-token", in: directory, name: "bad.token")
        let badToken = try await runCommand(
            sportelloBinary, ["mcp", "--socket", world.server.socketPath, "--token-file", bad], directory: directory, name: "mcp-badtoken")
        #expect(badToken.status == 1)
        #expect(badToken.stderr.contains("opens no session"), "\(badToken.stderr)")
        #expect(badToken.stdout.isEmpty)
    }
}

@Suite struct MCPDatabaseTests {
    /// A database with a customer, a ticket and a contact of another customer (with a session
    /// token), seeded through a server's socket; the server is stopped before the bridge runs.
    @Test func inProcessOnADatabase() async throws {
        let server = try await SocketServer()
        defer { server.stop() }
        let system = RPCClient(try server.connect(), who: "system")
        var customers: [Int] = []
        for code in ["ALFA", "BETA"] {
            let customer = try await system.ok("customer.create", ["code": code, "name": "\(code) S.p.A.", "language": "it", "email": "it@\(code.lowercased()).example"])
            customers.append(try #require(customer.int("id")))
            _ = try await system.ok("customer.addSubscription", ["customer": customers.last!, "product": TicketWorld.product, "mode": "cloudSaas"])
        }
        let subject = "MCP " + uniqueWord("database")
        let ticket = try await system.ok("ticket.open", [
            "customer": customers[0], "product": TicketWorld.product, "subject": subject, "body": "Seeded over JSON-RPC.", "channel": "email",
        ])
        _ = try await system.ok("contact.create", [
            "customer": customers[1], "name": "Bea Beta", "email": "bea@beta.example", "password": TicketWorld.password,
        ])
        let login = RPCClient(try server.connect(), who: "bea")
        let token = try #require(try await login.ok("session.login", ["email": "bea@beta.example", "password": TicketWorld.password]).string("token"))
        login.close()
        system.close()
        server.child.stop()

        try await MCPSession.with(["--database", server.databasePath], directory: server.directory) { session in
            let tools = try await session.tools()
            #expect(tools.contains { $0.name == "staff_list" })
            let got = try await session.call("ticket_get", ["ticket": .int(ticket.ticketID)])
            #expect(got.isError != true, "\(got.text)")
            #expect(got.json.string("subject") == subject)
            let listed = try await session.call("ticket_list")
            #expect((listed.json.objects("items") ?? []).contains { $0.ticketID == ticket.ticketID })
            let bad = try await session.call("ticket_get", ["ticket": -1, "extra": true])
            #expect(bad.isError == true)
            #expect(bad.text.contains("params."), "\(bad.text)")
        }

        let file = try tokenFile(token, in: server.directory, name: "bea.token")
        try await MCPSession.with(["--database", server.databasePath, "--token-file", file], directory: server.directory) { contact in
            let names = Set(try await contact.tools().map(\.name))
            #expect(names.contains("ticket_get") && !names.contains("staff_list") && !names.contains("customer_list"))
            let forbidden = try await contact.call("ticket_get", ["ticket": .int(ticket.ticketID)])
            #expect(forbidden.isError == true)
            #expect(forbidden.text.contains("-32003"), "\(forbidden.text)")
        }
    }
}
