import Foundation
import JSONRPC

/// `rpc.discover`: the OpenRPC document that defines every method.
public enum RPCDiscover: RPCMethod {
    public static let name = "rpc.discover"
    public typealias Result = JSONValue
}

/// `server.ping`: a liveness check.
public enum ServerPing: RPCMethod {
    public static let name = "server.ping"
    public struct Result: Encodable, Sendable {
        public var pong = true
        public var time: String
    }
}

/// `server.info`: what is answering and who the connection is.
public enum ServerInfo: RPCMethod {
    public static let name = "server.info"
    public struct Result: Encodable, Sendable {
        public var name: String
        public var version: String
        public var schemaVersion: String
        public var database: String
        public var transport: String
        public var principal: JSONValue
    }
}

extension SportelloService {
    func registerServerMethods(into registry: inout MethodRegistry<CallContext>) {
        let environment = self.environment
        // Rendered once here; every call gets the same bytes.
        registry.registerConstant(RPCDiscover.self, result: OpenRPCDocument.json)
        registry.registerInline(ServerPing.self) { _, _ in
            ServerPing.Result(time: RFC3339.format(environment.now()))
        }
        registry.registerInline(ServerInfo.self) { _, context in
            ServerInfo.Result(
                name: "sportello", version: environment.version, schemaVersion: OpenRPCDocument.schemaVersion,
                database: environment.database.path, transport: context.transport.rawValue,
                principal: context.principal.json)
        }
    }
}
