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

    /// What a tools/call answers: the text item, the structured content (a result) and whether
    /// it is an error.
    public struct ToolOutcome: Sendable {
        public var text: String
        public var structured: JSONValue?
        public var isError: Bool

        /// As the SDK's type.
        public var result: CallTool.Result {
            let content: [Tool.Content] = [.text(text: text, annotations: nil, _meta: nil)]
            // The memberwise initializer (its generic sibling would encode the value again).
            let make: ([Tool.Content], MCPValue?, Bool?, Metadata?) -> CallTool.Result =
                CallTool.Result.init(content:structuredContent:isError:_meta:)
            return make(content, structured.map(MCPValue.init), isError ? true : nil, nil)
        }

        /// As the JSON of a CallTool result, written as the SDK writes it.
        public var json: JSONValue {
            var object: JSONObject = ["content": [["type": "text", "text": .string(text)]]]
            if let structured { object["structuredContent"] = structured }
            if isError { object["isError"] = true }
            return .object(object)
        }
    }

    /// Answers one tools/call; a tool not offered is an MCP error (-32602).
    public func call(tool name: String, arguments: JSONObject) async throws -> ToolOutcome {
        guard let entry = catalog.entry(named: name) else {
            throw MCPError.invalidParams("Unknown tool: \(name)")
        }
        if sessionEnded.load(ordering: .relaxed) {
            return Self.failure(entry.method, RPCError(
                code: RPCErrorCode.notAuthenticated, message: "Not authenticated",
                data: ["reason": "the session of the token file has ended; log in again and restart sportello mcp with the new token"]))
        }
        let outcome: Result<JSONValue, RPCError>
        do {
            outcome = try await caller.call(entry.method, arguments)
        } catch {
            return Self.failure(entry.method, RPCError(
                code: RPCErrorCode.internalError, message: "Internal error",
                data: .object(["reason": .string("the call did not reach the server: \(error)")])))
        }
        switch outcome {
        case .success(let result):
            return ToolOutcome(text: String(decoding: JSONSerializer.serialize(result), as: UTF8.self), structured: result, isError: false)
        case .failure(let error):
            if actsForSession, error.code == RPCErrorCode.notAuthenticated {
                sessionEnded.store(true, ordering: .relaxed)
            }
            return Self.failure(entry.method, error)
        }
    }

    /// `ticket.get failed: -32602 Invalid params — params.ticket: …`, then the error as JSON.
    static func failure(_ method: String, _ error: RPCError) -> ToolOutcome {
        var headline = "\(method) failed: \(error.code) \(error.message)"
        if let reason = error.data?["reason"]?.stringValue {
            if let field = error.data?["field"]?.stringValue {
                headline += " — \(field): \(reason)"
            } else {
                headline += " — \(reason)"
            }
        }
        let json = String(decoding: JSONSerializer.serialize(error.json), as: UTF8.self)
        return ToolOutcome(text: headline + "\n" + json, structured: nil, isError: true)
    }

    /// The reply to a tools/call request read by the transport: its bytes, without newline.
    ///
    /// Why not the SDK's handler for this one method: its typed handlers turn every result
    /// into the SDK's `Value` by encoding it with JSONEncoder and decoding it again, checking
    /// each string against a data-URL regular expression it builds anew for every string;
    /// for a ticket that cost more than the call itself (the bench's `mcp` group). Everything
    /// else (initialize, tools/list, ping, notifications) goes through the SDK's server.
    func reply(toToolCall id: JSONValue, params: JSONValue?) async -> [UInt8] {
        let envelope: JSONValue
        do {
            guard case .string(let name)? = params?["name"] else { throw MCPError.invalidParams("tools/call needs a tool name") }
            var arguments = JSONObject()
            switch params?["arguments"] {
            case nil, .null?: break
            case .object(let object)?: arguments = object
            default: throw MCPError.invalidParams("tools/call arguments must be an object")
            }
            let outcome = try await call(tool: name, arguments: arguments)
            envelope = ["jsonrpc": "2.0", "id": id, "result": outcome.json]
        } catch {
            let mcpError = error as? MCPError ?? MCPError.internalError("\(error)")
            envelope = ["jsonrpc": "2.0", "id": id, "error": ["code": .int(Int64(mcpError.code)), "message": .string(mcpError.errorDescription ?? "\(mcpError)")]]
        }
        return JSONSerializer.serialize(envelope)
    }

    /// Serves MCP on `input` and `output` (newline-delimited JSON-RPC) until the input ends.
    public func run(name: String, version: String, input: Int32 = 0, output: Int32 = 1, logger: Logger? = nil) async throws {
        let server = Server(
            name: name, version: version, capabilities: .init(tools: .init(listChanged: false)))
        let tools = catalog.tools
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: tools) }
        await server.withMethodHandler(CallTool.self) { [self] params in
            var arguments = JSONObject()
            for key in (params.arguments ?? [:]).keys.sorted() { arguments[key] = JSONValue(params.arguments![key]!) }
            return try await call(tool: params.name, arguments: arguments).result
        }
        let transport = PipeTransport(input: input, output: output, logger: logger) { [self] id, params in
            await reply(toToolCall: id, params: params)
        }
        try await server.start(transport: transport)
        await server.waitUntilCompleted()
        await server.stop()
    }
}
