import GRDB
import JSONRPC

/// SQLite failures a caller can understand, answered in words (still -32603: the request was
/// fine, the server could not complete it). The transaction was rolled back: nothing changed.
extension DatabaseError: RPCErrorConvertible {
    public var rpcError: RPCError {
        let reason: String
        switch resultCode {
        case .SQLITE_FULL:
            reason = "the database's disk is full; nothing was changed"
        case .SQLITE_READONLY:
            reason = "the database is read-only for this server; nothing was changed"
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            reason = "the database stayed locked by another process; nothing was changed, retry"
        case .SQLITE_IOERR, .SQLITE_CANTOPEN:
            reason = "the database file could not be read or written; nothing was changed"
        default:
            reason = "the server could not complete the request; the failure is logged and nothing was changed"
        }
        return RPCError(code: RPCErrorCode.internalError, message: "Internal error", data: ["reason": .string(reason)])
    }
}
