import Foundation
import JSONRPC
import Logging
import MCP
import Synchronization

/// Where the bridge's JSON-RPC requests go: the service in this process, or a server's socket.
public protocol JSONRPCBackend: Sendable {
    /// Sends one JSON-RPC request (its bytes, no newline) and returns the bytes of its reply.
    func exchange(_ request: [UInt8]) async throws -> [UInt8]
}

/// JSON-RPC calls through a backend, numbered on this side.
public final class JSONRPCCaller: Sendable {
    public let backend: any JSONRPCBackend
    private let nextID = Atomic<Int64>(0)

    public init(backend: any JSONRPCBackend) { self.backend = backend }

    /// Calls `method` with `params` (an object): its result, or the error it was answered with.
    public func call(_ method: String, _ params: JSONObject = JSONObject()) async throws -> Result<JSONValue, RPCError> {
        let id = nextID.add(1, ordering: .relaxed).newValue
        var request: [UInt8] = []
        request.reserveCapacity(96)
        request.append(contentsOf: #"{"jsonrpc":"2.0","id":"#.utf8)
        request.append(contentsOf: String(id).utf8)
        request.append(contentsOf: #","method":"#.utf8)
        JSONSerializer.writeString(method, into: &request)
        request.append(contentsOf: #","params":"#.utf8)
        JSONSerializer.write(.object(params), into: &request)
        request.append(UInt8(ascii: "}"))
        let reply = try JSONParser.parse(try await backend.exchange(request))
        guard reply["id"] == .int(id) else {
            throw BridgeError("the server answered request \(id) with \(reply["id"].map { "\($0)" } ?? "no id")")
        }
        if let result = reply["result"] { return .success(result) }
        guard let error = reply["error"], case .int(let code)? = error["code"] else {
            throw BridgeError("the server's reply has neither a result nor an error")
        }
        return .failure(RPCError(code: Int(code), message: error["message"]?.stringValue ?? "", data: error["data"]))
    }
}

public struct BridgeError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The MCP server of `sportello mcp`: lists the catalog's tools and turns each tools/call into
/// the JSON-RPC call of its method.
///
/// A result is the method's JSON result, as JSON text in one text content item and as
/// structured content. A JSON-RPC error is a tool result with isError true whose text gives its
/// code, message and data (an invalid param is named there: `params.ticket: …`).
///
/// When the bridge acts for a session (`--token-file`) and the server says that session is
/// over (-32001), every later call is refused here: the connection underneath would otherwise
/// fall back to who it was before the session (the system, for a socket peer of the server's
/// own user).
public final class MCPBridge: Sendable {
    public let catalog: ToolCatalog
    public let caller: JSONRPCCaller
    public let actsForSession: Bool
    private let sessionEnded = Atomic<Bool>(false)

    public init(catalog: ToolCatalog, caller: JSONRPCCaller, actsForSession: Bool) {
        self.catalog = catalog
        self.caller = caller
        self.actsForSession = actsForSession
    }

    /// Answers one tools/call.
    public func call(tool name: String, arguments: [String: Value]?) async throws -> CallTool.Result {
        guard let entry = catalog.entry(named: name) else {
            throw MCPError.invalidParams("Unknown tool: \(name)")
        }
        if sessionEnded.load(ordering: .relaxed) {
            return Self.failure(entry.method, RPCError(
                code: RPCErrorCode.notAuthenticated, message: "Not authenticated",
                data: ["reason": "the session of the token file has ended; log in again and restart sportello mcp with the new token"]))
        }
        var params = JSONObject()
        for key in (arguments ?? [:]).keys.sorted() { params[key] = JSONValue(arguments![key]!) }
        let outcome: Result<JSONValue, RPCError>
        do {
            outcome = try await caller.call(entry.method, params)
        } catch {
            return Self.failure(entry.method, RPCError(
                code: RPCErrorCode.internalError, message: "Internal error",
                data: .object(["reason": .string("the call did not reach the server: \(error)")])))
        }
        switch outcome {
        case .success(let result):
            let text = String(decoding: JSONSerializer.serialize(result), as: UTF8.self)
            return Self.makeResult([.text(text: text, annotations: nil, _meta: nil)], MCPValue(result), nil, nil)
        case .failure(let error):
            if actsForSession, error.code == RPCErrorCode.notAuthenticated {
                sessionEnded.store(true, ordering: .relaxed)
            }
            return Self.failure(entry.method, error)
        }
    }

    /// CallTool.Result's memberwise initializer (its generic sibling would encode the value
    /// through a JSONEncoder again).
    private static func makeResult(_ content: [Tool.Content], _ structured: MCPValue?, _ isError: Bool?, _ meta: Metadata?) -> CallTool.Result {
        let initializer: ([Tool.Content], MCPValue?, Bool?, Metadata?) -> CallTool.Result =
            CallTool.Result.init(content:structuredContent:isError:_meta:)
        return initializer(content, structured, isError, meta)
    }

    /// `ticket.get failed: -32602 Invalid params — params.ticket: …`, then the error as JSON.
    static func failure(_ method: String, _ error: RPCError) -> CallTool.Result {
        var headline = "\(method) failed: \(error.code) \(error.message)"
        if let reason = error.data?["reason"]?.stringValue {
            if let field = error.data?["field"]?.stringValue {
                headline += " — \(field): \(reason)"
            } else {
                headline += " — \(reason)"
            }
        }
        let json = String(decoding: JSONSerializer.serialize(error.json), as: UTF8.self)
        return CallTool.Result(content: [.text(text: headline + "\n" + json, annotations: nil, _meta: nil)], isError: true)
    }

    /// Serves MCP on `input` and `output` (newline-delimited JSON-RPC) until the input ends.
    public func run(name: String, version: String, input: Int32 = 0, output: Int32 = 1, logger: Logger? = nil) async throws {
        let server = Server(
            name: name, version: version, capabilities: .init(tools: .init(listChanged: false)))
        let tools = catalog.tools
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: tools) }
        await server.withMethodHandler(CallTool.self) { [self] params in
            try await call(tool: params.name, arguments: params.arguments)
        }
        let transport = PipeTransport(input: input, output: output, logger: logger)
        try await server.start(transport: transport)
        await server.waitUntilCompleted()
        await server.stop()
    }
}
