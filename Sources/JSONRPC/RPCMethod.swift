/// One JSON-RPC method, declared once as a type: its name, its params and its result
/// (in the manner of sourcekit-lsp's request types). The registry and the OpenRPC document are
/// checked against each other by the tests.
public protocol RPCMethod: Sendable {
    associatedtype Params: Decodable & Sendable = EmptyParams
    associatedtype Result: Encodable & Sendable
    static var name: String { get }
}

/// The params of a method that takes none; any member sent is "unknown param".
public struct EmptyParams: Codable, Sendable, Hashable {
    public init() {}

    public init(from decoder: any Decoder) throws {
        // Open the object so that the strict decoder reports any member as unknown.
        _ = try decoder.container(keyedBy: AnyKey.self)
    }

    public func encode(to encoder: any Encoder) throws {
        _ = encoder.container(keyedBy: AnyKey.self)
    }
}

/// An error that knows the JSON-RPC error it stands for (a store's "read-only database", say).
public protocol RPCErrorConvertible: Error {
    var rpcError: RPCError { get }
}

/// The handlers of the methods a server answers, by name, for a per-connection `Context`.
/// Built once at start-up, then shared read-only by every connection.
public struct MethodRegistry<Context: Sendable>: Sendable {
    public enum Handler: Sendable {
        /// A pure computation that never blocks: run on the thread that read the request.
        case inline(@Sendable (_ params: JSONValue, _ context: Context) throws -> JSONValue)
        /// Anything that waits (the database, the disk): run on a task of its own.
        case async(@Sendable (_ params: JSONValue, _ context: Context) async throws -> JSONValue)
        /// A result that never changes, serialized once (a JSON object's bytes): the params are
        /// still checked, then the same bytes answer every call.
        case serialized(validate: @Sendable (_ params: JSONValue) throws -> Void, result: [UInt8])
    }

    private var handlers: [String: Handler] = [:]

    public init() {}

    public var methodNames: Set<String> { Set(handlers.keys) }

    public func handler(for method: String) -> Handler? { handlers[method] }

    /// Registers `M` with a handler that may wait. Params are decoded strictly (an unknown or
    /// mistyped member is -32602 naming the field); the result must encode to an object.
    public mutating func register<M: RPCMethod>(
        _ method: M.Type,
        _ body: @escaping @Sendable (M.Params, Context) async throws -> M.Result
    ) {
        add(M.name, .async { params, context in
            try JSONValueEncoder().encode(try await body(try decode(M.self, params), context))
        })
    }

    /// Registers `M` with a handler that computes its answer without blocking, so that it is
    /// answered on the I/O thread with no task switch.
    public mutating func registerInline<M: RPCMethod>(
        _ method: M.Type,
        _ body: @escaping @Sendable (M.Params, Context) throws -> M.Result
    ) {
        add(M.name, .inline { params, context in
            try JSONValueEncoder().encode(try body(try decode(M.self, params), context))
        })
    }

    /// Registers `M` with a constant result, encoded and serialized here, once: every call is
    /// answered with the same bytes (a large document, such as `rpc.discover`'s, is not
    /// rendered again per call).
    public mutating func registerConstant<M: RPCMethod>(_ method: M.Type, result: JSONValue) where M.Result == JSONValue {
        guard case .object = result else { preconditionFailure("\(M.name)'s result must be an object") }
        add(M.name, .serialized(validate: { params in _ = try decode(M.self, params) }, result: JSONSerializer.serialize(result)))
    }

    private mutating func add(_ name: String, _ handler: Handler) {
        precondition(handlers[name] == nil, "method \(name) registered twice")
        handlers[name] = handler
    }
}

private func decode<M: RPCMethod>(_ method: M.Type, _ params: JSONValue) throws(RPCError) -> M.Params {
    do throws(ParamsError) {
        return try JSONValueDecoder().decode(M.Params.self, from: params)
    } catch {
        throw RPCError.invalidParams(error)
    }
}
