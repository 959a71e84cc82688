import ArgumentParser
import Foundation
import JSONRPC
import SportelloMCP
import SportelloServer
import SportelloService
import SportelloStore

/// `sportello mcp`: the desk's methods as Model Context Protocol tools on stdin/stdout, for AI
/// assistants in editors (see SportelloMCP for how tools come from the OpenRPC document).
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve the desk's methods as Model Context Protocol tools on standard input and output.",
        discussion: """
            With --socket, each tool call is a JSON-RPC request on one connection to a running \
            server, as the peer this process is (the system, when it runs as the server's user). \
            Otherwise the service runs in this process on the database (--database, or the \
            default serve uses), as the system. --token-file FILE holds a token session.login \
            returned: the bridge resumes that session first and then acts, and offers tools, as \
            that person only. Tools are the methods of the OpenRPC document the caller may call \
            (x-access), less rpc.discover, session.*, events.* and mail.ingest; ticket.get is ticket_get. \
            Standard output carries MCP only; start-up failures go to standard error with exit 1.
            """)

    @Option(name: .long, help: ArgumentHelp("Forward calls to the server listening on this Unix socket.", valueName: "path"))
    var socket: String?

    @OptionGroup var database: DatabaseOption

    @Option(name: .customLong("token-file"), help: ArgumentHelp(
        "A file holding a session token (from session.login): act as that session's person.", valueName: "file"))
    var tokenFile: String?

    func validate() throws {
        if socket != nil, database.database != nil { throw ValidationError("--socket and --database exclude each other") }
    }

    func run() async throws {
        let logger = makeLogger("sportello-mcp")
        let token = try tokenFile.map(Self.readToken)
        let caller: JSONRPCCaller
        var stopInProcess: () -> Void = {}
        if let socket {
            do {
                caller = JSONRPCCaller(backend: UnixSocketBackend(descriptor: try connectUnixSocket(path: socket)))
            } catch {
                throw Self.fail("\(error)")
            }
        } else {
            SportelloMetrics.bootstrap()
            let store = try database.open()
            let checkpointer = try Checkpointer(database: store) { error in logger.warning("background checkpoint failed: \(error)") }
            let service = SportelloService(environment: ServiceEnvironment(database: store, logger: logger))
            // Anonymous until the token's session is resumed: should that session end, the
            // connection falls back to nobody, never to the system.
            let context = CallContext(transport: .stdio, principal: token == nil ? .system : nil)
            caller = JSONRPCCaller(backend: InProcessBackend(dispatcher: service.makeDispatcher(), context: context))
            let delivery = Task {
                try await DeliveryLoop(
                    delivery: MailDelivery(environment: service.environment, maildirOverride: maildirOverride(nil)),
                    logger: logger
                ).run()
            }
            stopInProcess = {
                delivery.cancel()
                checkpointer.stop()
                _ = try? store.checkpointTruncate()
            }
        }
        defer { stopInProcess() }

        // Who the bridge acts as: the token's person, else the connection's own principal.
        let principal: JSONValue
        do {
            if let token {
                switch try await caller.call("session.resume", ["token": .string(token)]) {
                case .success(let session): principal = session["principal"] ?? .null
                case .failure(let error):
                    throw Self.fail("the token in \(tokenFile!) opens no session: \(error.data?["reason"]?.stringValue ?? error.message)")
                }
            } else {
                switch try await caller.call("session.whoami") {
                case .success(let whoami): principal = whoami["principal"] ?? .null
                case .failure(let error): throw Self.fail("session.whoami failed: \(error.message)")
                }
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            throw Self.fail("\(error)")
        }
        let who: Caller
        do {
            who = try JSONValueDecoder().decode(Caller.self, from: principal)
        } catch {
            throw Self.fail("the server named an unknown principal: \(principal)")
        }
        let catalog = ToolCatalog(document: OpenRPCDocument.json) { level in
            MethodAccess(rawValue: level)?.admits(who.principal) ?? false
        }
        let bridge = MCPBridge(catalog: catalog, caller: caller, actsForSession: token != nil)
        try await bridge.run(name: "sportello", version: SportelloVersion.current, logger: logger)
    }

    /// The token: the file's content without surrounding blanks.
    static func readToken(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw fail("cannot read the token file \(path)")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw fail("the token file \(path) is empty") }
        return token
    }

    /// Writes `message` to standard error; the error to throw to exit 1.
    static func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("sportello mcp: \(message)\n".utf8))
        return ExitCode(1)
    }
}

/// The service in this process: each request goes through the dispatcher with one context.
struct InProcessBackend: JSONRPCBackend {
    let dispatcher: RPCDispatcher<CallContext>
    let context: CallContext

    func exchange(_ request: [UInt8]) async throws -> [UInt8] {
        guard let reply = await dispatcher.handle(message: request, context: context) else {
            throw BridgeError("the service gave no reply")
        }
        return reply
    }
}
