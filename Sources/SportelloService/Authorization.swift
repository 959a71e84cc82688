import JSONRPC
import SportelloDomain

extension RPCError {
    static let notAuthenticated = RPCError(
        code: RPCErrorCode.notAuthenticated, message: "Not authenticated",
        data: ["reason": "log in with session.login (or session.resume) first"])

    static func forbidden(_ reason: String) -> RPCError {
        RPCError(code: RPCErrorCode.forbidden, message: "Forbidden", data: ["reason": .string(reason)])
    }

    static func notFound(field: String, _ reason: String) -> RPCError {
        RPCError(code: RPCErrorCode.notFound, message: "Not found", data: ["field": .string(field), "reason": .string(reason)])
    }
}

extension CallContext {
    /// The caller, or -32001 when the connection is anonymous.
    func requirePrincipal() throws(RPCError) -> Principal {
        guard let principal else { throw RPCError.notAuthenticated }
        return principal
    }

    /// Configuration (calendars, policies, products, staff) is for admins and the system.
    func requireAdmin() throws(RPCError) {
        switch try requirePrincipal() {
        case .system, .staff(_, .admin): return
        default: throw RPCError.forbidden("only admins may change the configuration")
        }
    }

    /// Staff of any role, or the system.
    func requireStaff() throws(RPCError) -> Principal {
        let principal = try requirePrincipal()
        if case .contact = principal { throw RPCError.forbidden("only staff may do this") }
        return principal
    }
}
