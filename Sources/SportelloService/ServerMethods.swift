import Foundation
import JSONRPC

// The server.* methods and rpc.discover are declared by schema/sportello.openrpc.json (their
// types are generated at build time: RPCDiscover, ServerPing, ServerInfo).

extension SportelloService {
    func registerServerMethods(into registry: inout MethodRegistry<CallContext>) {
        let environment = self.environment
        // Rendered once here; every call gets the same bytes. Anyone may ask (x-access).
        precondition(RPCDiscover.access == .anyone)
        registry.registerConstant(RPCDiscover.self, result: OpenRPCDocument.json)
        registry.registerInline(ServerPing.self, by: self) { _, _ in
            ServerPing.Result(time: Instant(environment.now()))
        }
        registry.registerInline(ServerInfo.self, by: self) { _, context in
            ServerInfo.Result(
                version: environment.version, schemaVersion: OpenRPCDocument.schemaVersion,
                database: environment.database.path, transport: ServerInfo.Result.Transport(context.transport),
                principal: Caller(context.principal))
        }
    }
}

extension ServerInfo.Result.Transport {
    init(_ transport: Transport) {
        switch transport {
        case .stdio: self = .stdio
        case .socket: self = .socket
        }
    }
}
