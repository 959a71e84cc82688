/// What to do with one received message: reply at once (the message was answered where it was
/// read, or needs no answer), or run `work` off the I/O thread and send what it returns.
public enum DispatchStep: Sendable {
    case reply([UInt8]?)
    case suspend(@Sendable () async -> [UInt8]?)
}

/// Turns one received message (a request, a notification or a batch) into the bytes of its
/// reply, or `nil` when JSON-RPC 2.0 says nothing is sent back (notifications, an
/// all-notification batch).
///
/// Messages whose methods are all registered as inline (pure computations that never block)
/// are answered synchronously, on the thread that read them; any other message is handed back
/// as work to run asynchronously.
public struct RPCDispatcher<Context: Sendable>: Sendable {
    public let registry: MethodRegistry<Context>
    /// The most entries a batch may have; a larger one is refused whole with -32600.
    public var maximumBatchSize: Int
    /// Told about every error a handler threw that is not an `RPCError` (logged by the server).
    public var reportInternalError: @Sendable (_ method: String, _ error: any Error) -> Void
    /// A gate in front of every handler: the error a caller gets instead of running `method`
    /// (checked before its params are looked at), or nil to let it run.
    public var gate: (@Sendable (_ method: String, _ context: Context) -> RPCError?)?
    /// Told about every call that ran (notifications included): its method, the error code it
    /// was answered with (nil: a result) and how long its handler took. For metrics.
    public var observe: (@Sendable (_ method: String, _ errorCode: Int?, _ duration: Duration) -> Void)?

    public init(
        registry: MethodRegistry<Context>,
        maximumBatchSize: Int = 100,
        reportInternalError: @escaping @Sendable (String, any Error) -> Void = { _, _ in }
    ) {
        self.registry = registry
        self.maximumBatchSize = maximumBatchSize
        self.gate = nil
        self.reportInternalError = reportInternalError
    }

    /// Parses `message` and answers it inline when it can. With `rejection` set (the server is
    /// draining), every request in it is answered with that error instead of being run.
    public func dispatch(message: some Collection<UInt8>, context: Context, rejection: RPCError? = nil) -> DispatchStep {
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(message)
        } catch {
            return .reply(RPCReply.errorBytes(id: .null, error: .parseError(error.description)))
        }
        let calls = prepare(parsed, rejection: rejection)
        if calls.entries.allSatisfy({ $0.isInline }) {
            return .reply(calls.reply(calls.entries.map { runInline($0, context: context) }))
        }
        return .suspend {
            var replies: [[UInt8]?] = []
            for entry in calls.entries { replies.append(await run(entry, context: context)) }
            return calls.reply(replies)
        }
    }

    /// Answers `message` completely, running any asynchronous handler it calls.
    public func handle(message: some Collection<UInt8>, context: Context, rejection: RPCError? = nil) async -> [UInt8]? {
        switch dispatch(message: message, context: context, rejection: rejection) {
        case .reply(let reply): return reply
        case .suspend(let work): return await work()
        }
    }

    // MARK: Validation

    /// One entry of a message, validated: either its reply is already known, or a call to make.
    private enum Entry: Sendable {
        case answered(JSONValue?)
        case call(id: JSONValue?, method: String, params: JSONValue, handler: MethodRegistry<Context>.Handler)

        var isInline: Bool {
            if case .call(_, _, _, .async) = self { return false }
            return true
        }
    }

    private struct Calls: Sendable {
        var entries: [Entry]
        var isBatch: Bool

        /// The message's reply from its entries' replies (each already serialized).
        func reply(_ replies: [[UInt8]?]) -> [UInt8]? {
            guard isBatch else { return replies.first.flatMap { $0 } }
            let present = replies.compactMap { $0 }
            guard !present.isEmpty else { return nil }
            var output: [UInt8] = [UInt8(ascii: "[")]
            output.reserveCapacity(present.reduce(2) { $0 + $1.count + 1 })
            for (index, reply) in present.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                output.append(contentsOf: reply)
            }
            output.append(UInt8(ascii: "]"))
            return output
        }
    }

    private func prepare(_ parsed: JSONValue, rejection: RPCError?) -> Calls {
        guard case .array(let entries) = parsed else {
            return Calls(entries: [prepareOne(parsed, rejection: rejection)], isBatch: false)
        }
        guard !entries.isEmpty else {
            return Calls(entries: [.answered(RPCReply.errorObject(id: .null, error: .invalidRequest("an empty batch")))], isBatch: false)
        }
        guard entries.count <= maximumBatchSize else {
            let error = RPCError(
                code: RPCErrorCode.invalidRequest, message: "Invalid request",
                data: ["reason": "batch too large", "limit": .int(Int64(maximumBatchSize))])
            return Calls(entries: [.answered(RPCReply.errorObject(id: .null, error: error))], isBatch: false)
        }
        return Calls(entries: entries.map { prepareOne($0, rejection: rejection) }, isBatch: true)
    }

    private func prepareOne(_ message: JSONValue, rejection: RPCError?) -> Entry {
        func invalid(_ id: JSONValue, _ error: RPCError) -> Entry { .answered(RPCReply.errorObject(id: id, error: error)) }
        guard case .object(let request) = message else {
            return invalid(.null, .invalidRequest("a request must be an object, got \(message.typeName)"))
        }
        let id = request["id"]
        if let id {
            switch id {
            case .string, .int, .double, .null: break
            default: return invalid(.null, .invalidRequest("id must be a string, a number or null"))
            }
        }
        let replyID = id ?? .null
        guard request["jsonrpc"] == .string("2.0") else {
            return invalid(replyID, .invalidRequest("\"jsonrpc\" must be exactly \"2.0\""))
        }
        guard case .string(let method)? = request["method"] else {
            return invalid(replyID, .invalidRequest("\"method\" must be a string"))
        }
        let params: JSONValue
        switch request["params"] {
        case nil: params = .object(JSONObject())
        case .object(let object)?: params = .object(object)
        case .array?:
            // Positional params are well-formed JSON-RPC, refused by this server: a call error,
            // so a notification that has them goes unanswered like any other failing notification.
            guard id != nil else { return .answered(nil) }
            return invalid(replyID, .invalidParams(field: "params", reason: "params must be an object (by name), not an array"))
        case let other?:
            return invalid(replyID, .invalidRequest("params must be an object, got \(other.typeName)"))
        }
        // A notification is never answered, not even with an error.
        let isNotification = id == nil
        if let rejection {
            return .answered(isNotification ? nil : RPCReply.errorObject(id: replyID, error: rejection))
        }
        guard let handler = registry.handler(for: method) else {
            return .answered(isNotification ? nil : RPCReply.errorObject(id: replyID, error: .methodNotFound(method)))
        }
        return .call(id: id, method: method, params: params, handler: handler)
    }

    // MARK: Execution

    private func runInline(_ entry: Entry, context: Context) -> [UInt8]? {
        let started = observe == nil ? nil : ContinuousClock.now
        if case .call(let id, let method, _, _) = entry, let gate, let refusal = gate(method, context) {
            return finish(id: id, method: method, .failure(refusal), started: started)
        }
        switch entry {
        case .answered(let reply):
            return reply.map(JSONSerializer.serialize)
        case .call(let id, let method, let params, .inline(let body)):
            return finish(id: id, method: method, Result { try body(params, context) }, started: started)
        case .call(let id, let method, let params, .serialized(let validate, let result)):
            do {
                try validate(params)
            } catch {
                return finish(id: id, method: method, .failure(error), started: started)
            }
            if let started { observe?(method, nil, ContinuousClock.now - started) }
            guard let id else { return nil }
            return Self.resultEnvelope(id: id, result: result)
        case .call:
            preconditionFailure("an asynchronous handler cannot run inline")
        }
    }

    private func run(_ entry: Entry, context: Context) async -> [UInt8]? {
        switch entry {
        case .call(let id, let method, let params, .async(let body)):
            let started = observe == nil ? nil : ContinuousClock.now
            if let gate, let refusal = gate(method, context) {
                return finish(id: id, method: method, .failure(refusal), started: started)
            }
            do {
                return finish(id: id, method: method, .success(try await body(params, context)), started: started)
            } catch {
                return finish(id: id, method: method, .failure(error), started: started)
            }
        default:
            return runInline(entry, context: context)
        }
    }

    private func finish(
        id: JSONValue?, method: String, _ outcome: Result<JSONValue, any Error>, started: ContinuousClock.Instant?
    ) -> [UInt8]? {
        switch outcome {
        case .success(let result):
            guard case .object = result else {
                reportInternalError(method, RPCError.internalError("result is not an object"))
                if let started { observe?(method, RPCErrorCode.internalError, ContinuousClock.now - started) }
                guard let id else { return nil }
                return RPCReply.errorBytes(id: id, error: .internalError("the method produced a result that is not an object"))
            }
            if let started { observe?(method, nil, ContinuousClock.now - started) }
            guard let id else { return nil }
            return JSONSerializer.serialize(.object(["jsonrpc": "2.0", "id": id, "result": result]))
        case .failure(let error):
            // Converted (and an unexpected error reported) even for a notification, which gets no reply.
            let error = rpcError(for: error, method: method)
            if let started { observe?(method, error.code, ContinuousClock.now - started) }
            guard let id else { return nil }
            return RPCReply.errorBytes(id: id, error: error)
        }
    }

    /// `{"jsonrpc":"2.0","id":ID,"result":RESULT}` around a result serialized once, at start-up:
    /// the same bytes `finish` writes for that result, without rendering it again.
    private static func resultEnvelope(id: JSONValue, result: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(result.count + 48)
        output.append(contentsOf: #"{"jsonrpc":"2.0","id":"#.utf8)
        JSONSerializer.write(id, into: &output)
        output.append(contentsOf: #","result":"#.utf8)
        output.append(contentsOf: result)
        output.append(UInt8(ascii: "}"))
        return output
    }

    private func rpcError(for error: any Error, method: String) -> RPCError {
        if let error = error as? RPCError { return error }
        if let convertible = error as? any RPCErrorConvertible {
            let converted = convertible.rpcError
            // A server-side failure is logged whatever words it is answered with.
            if converted.code == RPCErrorCode.internalError { reportInternalError(method, error) }
            return converted
        }
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
