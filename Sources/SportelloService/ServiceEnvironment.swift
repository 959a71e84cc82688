import Foundation
import JSONRPC
import Logging
import SportelloStore

/// What the operations run against: the database, the clock and the server's identity.
public struct ServiceEnvironment: Sendable {
    public var database: SportelloDatabase
    public var now: @Sendable () -> Date
    public var logger: Logger
    public var version: String

    public init(
        database: SportelloDatabase, now: @escaping @Sendable () -> Date = { Date() }, logger: Logger,
        version: String = SportelloVersion.current
    ) {
        self.database = database
        self.now = now
        self.logger = logger
        self.version = version
    }
}

public enum SportelloVersion {
    public static let current = "0.1.0"
}

/// The OpenRPC document of schema/sportello.openrpc.json, embedded at build time.
public enum OpenRPCDocument {
    public static let text: String = embeddedOpenRPCDocument

    /// The parsed document; a build whose document is not JSON fails its first test run.
    public static let json: JSONValue = {
        do {
            return try JSONParser.parse(Array(text.utf8))
        } catch {
            preconditionFailure("schema/sportello.openrpc.json is not valid JSON: \(error)")
        }
    }()

    public static var schemaVersion: String {
        json["info"]?["version"]?.stringValue ?? "unknown"
    }

    /// The names of the methods the document declares.
    public static var methodNames: Set<String> {
        guard case .array(let methods)? = json["methods"] else { return [] }
        return Set(methods.compactMap { $0["name"]?.stringValue })
    }
}
