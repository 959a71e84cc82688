/// A JSON-RPC error object. Handlers throw it; the dispatcher sends it back as it is.
public struct RPCError: Error, Sendable, Hashable {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var json: JSONValue {
        var object: JSONObject = ["code": .int(Int64(code)), "message": .string(message)]
        if let data { object["data"] = data }
        return .object(object)
    }
}

/// The error codes: JSON-RPC's own and the server-defined range used by the application.
public enum RPCErrorCode {
    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let invalidParams = -32602
    public static let internalError = -32603
    public static let notAuthenticated = -32001
    public static let forbidden = -32002
    public static let notFound = -32003
    public static let versionConflict = -32004
    public static let transitionNotAllowed = -32005
    public static let domainRule = -32006
    public static let rateLimited = -32007
    public static let messageTooLarge = -32008
    public static let shuttingDown = -32009
}

extension RPCError {
    public static func parseError(_ reason: String) -> RPCError {
        RPCError(code: RPCErrorCode.parseError, message: "Parse error", data: ["reason": .string(reason)])
    }

    public static func invalidRequest(_ reason: String) -> RPCError {
        RPCError(code: RPCErrorCode.invalidRequest, message: "Invalid request", data: ["reason": .string(reason)])
    }

    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(code: RPCErrorCode.methodNotFound, message: "Method not found", data: ["method": .string(method)])
    }

    public static func invalidParams(_ error: ParamsError) -> RPCError {
        var data = error.extra
        data["field"] = .string(error.field)
        data["reason"] = .string(error.reason)
        return RPCError(code: RPCErrorCode.invalidParams, message: "Invalid params", data: .object(data))
    }

    public static func invalidParams(field: String, reason: String, extra: JSONObject = [:]) -> RPCError {
        invalidParams(ParamsError(field: field, reason: reason, extra: extra))
    }

    public static func internalError(_ reason: String) -> RPCError {
        RPCError(code: RPCErrorCode.internalError, message: "Internal error", data: ["reason": .string(reason)])
    }

    public static func messageTooLarge(limit: Int) -> RPCError {
        RPCError(
            code: RPCErrorCode.messageTooLarge, message: "Message too large",
            data: ["limit": .int(Int64(limit)), "reason": "the message exceeds the server's size limit and was discarded"])
    }

    public static let shuttingDown = RPCError(
        code: RPCErrorCode.shuttingDown, message: "Server shutting down",
        data: ["reason": "the server is draining; retry on a new connection"])
}
