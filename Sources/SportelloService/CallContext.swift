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

    /// The message this connection is handing in with `mail.upload`, for `mail.ingest {parts}`.
    let mailUpload = Mutex<MailUploadState>(MailUploadState())

    /// Server push onto this connection, given by the transport (none for a call made in
    /// process), and the connection's live-event subscriptions by id.
    let events = Mutex<ConnectionEvents>(ConnectionEvents())

    struct ConnectionEvents {
        var sink: (any RPCNotificationSink)?
        var subscriptions: [String: EventHub.Subscriber] = [:]
        var lastSubscription = 0
    }

    /// The transport's outlet for server push (live events) on this connection.
    public func attach(_ sink: any RPCNotificationSink) {
        events.withLock { $0.sink = sink }
    }

    /// A socket peer in the mail group (`--mail-group`, default `sportello-mail`): it may call
    /// only `mail.ingest` (with `mail.upload`) and `server.*`, and nothing it does can change that.
    public let isMailGateway: Bool

    public init(transport: Transport, principal: Principal?, isMailGateway: Bool = false) {
        self.transport = transport
        self.isMailGateway = isMailGateway && principal == nil
        self.initialPrincipal = principal
        self.binding = Mutex(Binding(principal: principal))
    }

    /// The principal a connection starts with: stdio is the system; on the socket, a peer
    /// running as root or as the server's own user is the system, anyone else anonymous.
    /// A peer of neither kind that belongs to `mailGroup` (its primary group or a supplementary
    /// one of its user) is the mail gateway.
    public static func forConnection(
        transport: Transport, peerUID: UInt32?, peerGID: UInt32? = nil, mailGroup: UInt32? = nil, serverUID: UInt32 = getuid()
    ) -> CallContext {
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
        var gateway = false
        if principal == nil, transport == .socket, let mailGroup, let peerUID {
            gateway = peerGID == mailGroup || UnixGroups.user(peerUID, isIn: mailGroup)
        }
        return CallContext(transport: transport, principal: principal, isMailGateway: gateway)
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

/// Group membership, as the system's user and group databases tell it.
public enum UnixGroups {
    /// The id of the group named `name`, if it exists.
    public static func id(named name: String) -> UInt32? {
        guard let entry = getgrnam(name) else { return nil }
        return entry.pointee.gr_gid
    }

    /// Whether user `uid` has `gid` among its groups (primary or supplementary). Through
    /// `getpwuid_r`: connections are set up on several threads at once, and `getpwuid` answers
    /// in a buffer they would share.
    static func user(_ uid: UInt32, isIn gid: UInt32) -> Bool {
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        return buffer.withUnsafeMutableBufferPointer { storage -> Bool in
            var entry = passwd()
            var found: UnsafeMutablePointer<passwd>?
            guard let base = storage.baseAddress, getpwuid_r(uid, &entry, base, storage.count, &found) == 0, found != nil,
                let name = entry.pw_name
            else { return false }
            let primary = entry.pw_gid
            if primary == gid { return true }
            var count: Int32 = 64
            var groups = [gid_t](repeating: 0, count: Int(count))
            if getgrouplist(name, primary, &groups, &count) < 0 {
                groups = [gid_t](repeating: 0, count: Int(count))
                guard getgrouplist(name, primary, &groups, &count) >= 0 else { return false }
            }
            return groups.prefix(Int(count)).contains(gid)
        }
    }
}
