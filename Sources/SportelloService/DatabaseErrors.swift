import JSONRPC
import SportelloStore

/// Store failures a caller can understand, answered in words (still -32603: the request was
/// fine, the server could not complete it). The transaction was rolled back: nothing changed.
extension StoreFailure: RPCErrorConvertible {
    public var rpcError: RPCError {
        let reason = switch kind {
        case .diskFull: "the database's disk is full; nothing was changed"
        case .readOnly: "the database is read-only for this server; nothing was changed"
        case .busy: "the database stayed locked by another process; nothing was changed, retry"
        case .io: "the database file could not be read or written; nothing was changed"
        case .constraint, .other: "the server could not complete the request; the failure is logged and nothing was changed"
        }
        return RPCError(code: RPCErrorCode.internalError, message: "Internal error", data: ["reason": .string(reason)])
    }
}
