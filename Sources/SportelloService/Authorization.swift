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

/// Who may call a method at all, checked before its params are decoded: an anonymous caller
/// gets -32001 and a caller of the wrong kind -32002 whatever it sent, and never a -32602 that
/// tells it about params it may not use. Rules that depend on the params or the data (a
/// contact's own company, a ticket's visibility, `receivedAt` for admins) stay in the handlers.
///
/// One central ordering for now; the access of each method is meant to move into the schema.
enum Access: Sendable {
    /// Anyone logged in (a live session) and the system.
    case signedIn
    /// Staff of any role and the system.
    case staff
    /// Admins, care managers and the system.
    case managers
    /// Admins and the system (configuration).
    case admin
}

extension SportelloService {
    /// The check `access` stands for, for `MethodRegistry.register(_:admit:_:)`: the session
    /// first (a dead one unbinds the connection and is -32001), then the caller's kind.
    func admission(_ access: Access) -> @Sendable (CallContext) async throws -> Void {
        { [self] context in
            try await checkSession(context)
            let principal = try context.requirePrincipal()
            switch (access, principal) {
            case (.signedIn, _), (_, .system), (.staff, .staff), (.managers, .staff(_, .careManager)), (_, .staff(_, .admin)):
                return
            case (.staff, .contact):
                throw RPCError.forbidden("only staff may do this")
            case (.managers, _):
                throw RPCError.forbidden("only admins and care managers may do this")
            case (.admin, _):
                throw RPCError.forbidden("only admins may change the configuration")
            }
        }
    }
}

/// A method registered behind an admission check: the registry hands its params over as they
/// came, and `register(_:admit:_:)` decodes them only once the caller is admitted.
private enum Admitted<Method: RPCMethod>: RPCMethod {
    static var name: String { Method.name }
    typealias Params = JSONValue
    typealias Result = Method.Result
}

extension MethodRegistry where Context == CallContext {
    /// Registers `M` behind `admit` (see `SportelloService.admission(_:)`), which runs before
    /// the params are decoded; they are then decoded as strictly as by `register(_:_:)`.
    mutating func register<M: RPCMethod>(
        _ method: M.Type,
        admit: @escaping @Sendable (CallContext) async throws -> Void,
        _ body: @escaping @Sendable (M.Params, CallContext) async throws -> M.Result
    ) {
        register(Admitted<M>.self) { raw, context in
            try await admit(context)
            let params: M.Params
            do throws(ParamsError) {
                params = try JSONValueDecoder().decode(M.Params.self, from: raw)
            } catch {
                throw RPCError.invalidParams(error)
            }
            return try await body(params, context)
        }
    }
}
