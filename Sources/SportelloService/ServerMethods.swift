import Foundation
import JSONRPC
import SportelloStore

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
        registry.register(ServerMetrics.self, by: self) { _, _ in
            let gauges = try await environment.database.read { tx in try MetricsStore.gauges(tx, now: environment.now()) }
            SportelloMetrics.recordStoreGauges(gauges)
            return ServerMetrics.Result(contentType: "text/plain; version=0.0.4; charset=utf-8", text: SportelloMetrics.render())
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
