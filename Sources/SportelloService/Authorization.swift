import JSONRPC
import SportelloDomain

extension RPCError {
    static let notAuthenticated = RPCError(
        code: RPCErrorCode.notAuthenticated, message: "Not authenticated",
        data: ["reason": "log in with session.login (or session.resume) first"])

    static func forbidden(_ reason: String) -> RPCError {
        RPCError(code: RPCErrorCode.forbidden, message: "Forbidden", data: ["reason": .string(reason)])
    }

    static let passwordChangeRequired = RPCError(
        code: RPCErrorCode.forbidden, message: "Forbidden",
        data: ["reason": "passwordChangeRequired",
               "detail": "change the password the system generated first (account.changePassword)"])

    static let totpSetupRequired = RPCError(
        code: RPCErrorCode.forbidden, message: "Forbidden",
        data: ["reason": "totpSetupRequired",
               "detail": "an admin must set up two-factor login first (account.enableTotp, account.confirmTotp)"])

    static let mailGatewayOnly = RPCError(
        code: RPCErrorCode.forbidden, message: "Forbidden",
        data: ["reason": "the mail gateway may call only mail.ingest, mail.upload and server.*"])

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
/// Declared in the schema for every method (`"x-access": ["staff"]`); the generated method types
/// carry it as `access`, which `register(_:by:_:)` checks through `admission(_:)`.
public enum MethodAccess: String, Sendable, Hashable, CaseIterable {
    /// Anyone, logged in or not (no check at all: liveness, calendars, logging in).
    case anyone
    /// Anyone logged in (a live session) and the system.
    case signedIn
    /// Staff of any role and the system.
    case staff
    /// Admins, care managers and the system.
    case managers
    /// Admins and the system (configuration).
    case admin
    /// The system, admins and the mail gateway (`mail.ingest`).
    case mailgate
}

extension MethodAccess {
    /// Whether `principal` (nil: anonymous) is of a kind this level admits: the rule
    /// `admission(_:)` applies once the caller's session is checked, and what `sportello mcp`
    /// offers as tools. (The mail gateway, a connection and not a principal, is let through to
    /// `mailgate` methods by `admission` itself.)
    public func admits(_ principal: Principal?) -> Bool {
        switch (self, principal) {
        case (.anyone, _): true
        case (_, nil): false
        case (.signedIn, _), (_, .system?), (.staff, .staff?), (.managers, .staff(_, .careManager)?), (_, .staff(_, .admin)?): true
        default: false
        }
    }
}

extension SportelloService {
    /// The check `access` stands for, for `MethodRegistry.register(_:admit:_:)`: the session
    /// first (a dead one unbinds the connection and is -32001), then the caller's kind.
    ///
    /// A session that must change its password first (`restriction` `passwordChange`) is
    /// admitted to `account.changePassword` only: -32002 `{reason: "passwordChangeRequired"}`
    /// for anything else (session.whoami and session.logout are for anyone and pass).
    func admission(_ access: MethodAccess, method: String = "") -> @Sendable (CallContext) async throws -> Void {
        if access == .anyone { return { _ in } }
        return { [self] context in
            // The dispatcher's gate (`mailGatewayGate`) let the mail gateway through to its method.
            if context.isMailGateway, access == .mailgate { return }
            let session = try await checkSession(context)
            switch session?.restriction {
            case SessionPolicy.passwordChangeRestriction? where method != AccountChangePassword.name:
                throw RPCError.passwordChangeRequired
            case SessionPolicy.totpSetupRestriction? where method != AccountEnableTotp.name && method != AccountConfirmTotp.name:
                throw RPCError.totpSetupRequired
            default: break
            }
            let principal = try context.requirePrincipal()
            if access.admits(principal) { return }
            switch access {
            case .anyone, .signedIn: return
            case .staff: throw RPCError.forbidden("only staff may do this")
            case .managers: throw RPCError.forbidden("only admins and care managers may do this")
            case .admin: throw RPCError.forbidden("only admins may change the configuration")
            case .mailgate: throw RPCError.forbidden("only the mail gateway, admins and the system may hand mail in")
            }
        }
    }
}

extension SportelloService {
    /// The dispatcher's gate: the mail gateway may call `mail.ingest` (with the `mail.upload`
    /// pieces it may send a message in) and `server.*` and nothing
    /// else, whatever the method's access level (even methods anyone may call), before its
    /// params are looked at.
    static let mailGatewayGate: @Sendable (String, CallContext) -> RPCError? = { method, context in
        guard context.isMailGateway else { return nil }
        return method == MailIngest.name || method == MailUpload.name || method.hasPrefix("server.") ? nil : .mailGatewayOnly
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

extension MethodRegistry where Context == CallContext {
    /// Registers a method generated from the schema behind the access the schema declares for it
    /// (`M.access`, checked by `service` before the params are decoded).
    mutating func register<M: SchemaMethod>(
        _ method: M.Type, by service: SportelloService,
        _ body: @escaping @Sendable (M.Params, CallContext) async throws -> M.Result
    ) {
        if M.access == .anyone {
            register(M.self, body)
        } else {
            register(M.self, admit: service.admission(M.access, method: M.name), body)
        }
    }

    /// Registers a method generated from the schema whose answer is computed without blocking,
    /// on the I/O thread. Only for methods anyone may call: checking a session may wait.
    mutating func registerInline<M: SchemaMethod>(
        _ method: M.Type, by service: SportelloService,
        _ body: @escaping @Sendable (M.Params, CallContext) throws -> M.Result
    ) {
        precondition(M.access == .anyone, "\(M.name) is for \(M.access) callers; register it with register(_:by:_:)")
        registerInline(M.self, body)
    }
}
