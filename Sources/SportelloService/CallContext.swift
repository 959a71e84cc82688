import Foundation
import JSONRPC
import SportelloDomain
import Synchronization

/// How the caller reached the server.
public enum Transport: String, Sendable {
    case stdio
    case socket
}

/// The state of one connection, passed to every method handler: its transport and who is
/// calling. The principal is nil while the connection is anonymous (not logged in). The system
/// principal (stdio, or the socket as root or as the server's own user) may do everything.
public final class CallContext: Sendable {
    public let transport: Transport
    /// The principal the connection had before any login (system or anonymous).
    public let initialPrincipal: Principal?
    private let binding: Mutex<Binding>
    /// When this connection called the rate-limited wizard methods (account.register,
    /// account.confirm), newest last: the per-connection limit of docs/product.md §9.
    let wizardCalls = Mutex<[Date]>([])

    struct Binding {
        var principal: Principal?
        /// The hash of the session token this connection is bound to, if any.
        var sessionTokenHash: String?
    }

    public init(transport: Transport, principal: Principal?) {
        self.transport = transport
        self.initialPrincipal = principal
        self.binding = Mutex(Binding(principal: principal))
    }

    /// The principal a connection starts with: stdio is the system; on the socket, a peer
    /// running as root or as the server's own user is the system, anyone else anonymous.
    public static func forConnection(transport: Transport, peerUID: UInt32?, serverUID: UInt32 = getuid()) -> CallContext {
        let principal: Principal?
        switch transport {
        case .stdio:
            principal = .system
        case .socket:
            if let peerUID, peerUID == 0 || peerUID == serverUID {
                principal = .system
            } else {
                principal = nil
            }
        }
        return CallContext(transport: transport, principal: principal)
    }

    /// Who is calling; nil while anonymous.
    public var principal: Principal? { binding.withLock { $0.principal } }

    var sessionTokenHash: String? { binding.withLock { $0.sessionTokenHash } }

    /// Binds the connection to a logged-in principal (`session.login`, `session.resume`).
    func bind(_ principal: Principal, sessionTokenHash: String) {
        binding.withLock { $0 = Binding(principal: principal, sessionTokenHash: sessionTokenHash) }
    }

    /// Back to what the connection was before logging in (`session.logout`).
    func unbind() {
        binding.withLock { $0 = Binding(principal: initialPrincipal, sessionTokenHash: nil) }
    }
}

extension Optional where Wrapped == Principal {
    /// `{"kind": "system"}`, `{"kind": "staff", "id": 3, "role": "careManager"}`,
    /// `{"kind": "contact", "id": 7, "customer": 2}` or `{"kind": "anonymous"}`.
    public var json: JSONValue {
        switch self {
        case nil: ["kind": "anonymous"]
        case .system?: ["kind": "system"]
        case .staff(let id, let role)?: ["kind": "staff", "id": .int(id), "role": .string(role.rawValue)]
        case .contact(let id, let customer)?: ["kind": "contact", "id": .int(id), "customer": .int(customer)]
        }
    }
}
