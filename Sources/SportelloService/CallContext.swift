import Foundation
import JSONRPC
import Synchronization

/// Who is calling. The system principal (stdio, or the socket as root or as the server's own
/// user) may do everything; anyone else is anonymous until they log in.
public enum Principal: Sendable, Equatable {
    case system
    case anonymous

    public var json: JSONValue {
        switch self {
        case .system: ["kind": "system"]
        case .anonymous: ["kind": "anonymous"]
        }
    }
}

/// How the caller reached the server.
public enum Transport: String, Sendable {
    case stdio
    case socket
}

/// The state of one connection, passed to every method handler: its transport and principal.
public final class CallContext: Sendable {
    public let transport: Transport
    private let currentPrincipal: Mutex<Principal>

    public init(transport: Transport, principal: Principal) {
        self.transport = transport
        self.currentPrincipal = Mutex(principal)
    }

    /// The principal a connection starts with: stdio is the system; on the socket, a peer
    /// running as root or as the server's own user is the system, anyone else anonymous.
    public static func forConnection(transport: Transport, peerUID: UInt32?, serverUID: UInt32 = getuid()) -> CallContext {
        let principal: Principal
        switch transport {
        case .stdio:
            principal = .system
        case .socket:
            if let peerUID, peerUID == 0 || peerUID == serverUID {
                principal = .system
            } else {
                principal = .anonymous
            }
        }
        return CallContext(transport: transport, principal: principal)
    }

    public var principal: Principal {
        get { currentPrincipal.withLock { $0 } }
    }
}
