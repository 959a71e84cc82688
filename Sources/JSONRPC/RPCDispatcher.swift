/// Turns one received message (a request, a notification or a batch) into the bytes of its
/// reply, or `nil` when JSON-RPC 2.0 says nothing is sent back (notifications, an
/// all-notification batch).
public struct RPCDispatcher<Context: Sendable>: Sendable {
    public let registry: MethodRegistry<Context>
    /// The most entries a batch may have; a larger one is refused whole with -32600.
    public var maximumBatchSize: Int
    /// Told about every error a handler threw that is not an `RPCError` (logged by the server).
    public var reportInternalError: @Sendable (_ method: String, _ error: any Error) -> Void

    public init(
        registry: MethodRegistry<Context>,
        maximumBatchSize: Int = 100,
        reportInternalError: @escaping @Sendable (String, any Error) -> Void = { _, _ in }
    ) {
        self.registry = registry
        self.maximumBatchSize = maximumBatchSize
        self.reportInternalError = reportInternalError
    }

    /// Answers `message`. With `rejection` set (the server is draining), every request in it is
    /// answered with that error instead of being run.
    public func handle(message: some Collection<UInt8>, context: Context, rejection: RPCError? = nil) async -> [UInt8]? {
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(message)
        } catch {
            return RPCReply.errorBytes(id: .null, error: .parseError(error.description))
        }
        guard let reply = await handle(parsed: parsed, context: context, rejection: rejection) else { return nil }
        return JSONSerializer.serialize(reply)
    }

    public func handle(parsed: JSONValue, context: Context, rejection: RPCError? = nil) async -> JSONValue? {
        guard case .array(let entries) = parsed else {
            return await handleOne(parsed, context: context, rejection: rejection)
        }
        guard !entries.isEmpty else {
            return RPCReply.errorObject(id: .null, error: .invalidRequest("an empty batch"))
        }
        guard entries.count <= maximumBatchSize else {
            return RPCReply.errorObject(
                id: .null,
                error: RPCError(
                    code: RPCErrorCode.invalidRequest, message: "Invalid request",
                    data: ["reason": "batch too large", "limit": .int(Int64(maximumBatchSize))]))
        }
        var replies: [JSONValue] = []
        for entry in entries {
            if let reply = await handleOne(entry, context: context, rejection: rejection) { replies.append(reply) }
        }
        return replies.isEmpty ? nil : .array(replies)
    }

    private func handleOne(_ message: JSONValue, context: Context, rejection: RPCError?) async -> JSONValue? {
        guard case .object(let request) = message else {
            return RPCReply.errorObject(id: .null, error: .invalidRequest("a request must be an object, got \(message.typeName)"))
        }
        let id = request["id"]
        if let id {
            switch id {
            case .string, .int, .double, .null: break
            default: return RPCReply.errorObject(id: .null, error: .invalidRequest("id must be a string, a number or null"))
            }
        }
        let replyID = id ?? .null
        guard request["jsonrpc"] == .string("2.0") else {
            return RPCReply.errorObject(id: replyID, error: .invalidRequest("\"jsonrpc\" must be exactly \"2.0\""))
        }
        guard case .string(let method)? = request["method"] else {
            return RPCReply.errorObject(id: replyID, error: .invalidRequest("\"method\" must be a string"))
        }
        let params: JSONValue
        switch request["params"] {
        case nil: params = .object(JSONObject())
        case .object(let object)?: params = .object(object)
        case .array?:
            return RPCReply.errorObject(
                id: replyID, error: .invalidParams(field: "params", reason: "params must be an object (by name), not an array"))
        case let other?:
            return RPCReply.errorObject(id: replyID, error: .invalidRequest("params must be an object, got \(other.typeName)"))
        }
        let isNotification = id == nil
        if let rejection {
            return isNotification ? nil : RPCReply.errorObject(id: replyID, error: rejection)
        }
        guard let handler = registry.handler(for: method) else {
            return isNotification ? nil : RPCReply.errorObject(id: replyID, error: .methodNotFound(method))
        }
        do {
            let result = try await handler(params, context)
            if isNotification { return nil }
            guard case .object = result else {
                reportInternalError(method, RPCError.internalError("result is not an object"))
                return RPCReply.errorObject(id: replyID, error: .internalError("the method produced a result that is not an object"))
            }
            return .object(["jsonrpc": "2.0", "id": replyID, "result": result])
        } catch {
            if isNotification { return nil }
            return RPCReply.errorObject(id: replyID, error: rpcError(for: error, method: method))
        }
    }

    private func rpcError(for error: any Error, method: String) -> RPCError {
        if let error = error as? RPCError { return error }
        if let error = error as? any RPCErrorConvertible { return error.rpcError }
        reportInternalError(method, error)
        return .internalError("the server could not complete \(method); the failure is logged")
    }
}

/// Reply envelopes, for the dispatcher and for failures found before dispatch (framing, size limits).
public enum RPCReply {
    public static func errorObject(id: JSONValue, error: RPCError) -> JSONValue {
        .object(["jsonrpc": "2.0", "id": id, "error": error.json])
    }

    /// The bytes of an error reply.
    public static func errorBytes(id: JSONValue, error: RPCError) -> [UInt8] {
        JSONSerializer.serialize(errorObject(id: id, error: error))
    }
}
