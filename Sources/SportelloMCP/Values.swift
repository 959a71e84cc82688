import Foundation
import JSONRPC
import MCP

// JSON between the MCP SDK's `Value` and the JSON-RPC layer's `JSONValue`, member by member
// (no text round trip on the way).

/// The SDK's JSON value (inside JSONValue's extensions, `Value` names its dictionary literal's).
public typealias MCPValue = MCP.Value

extension MCPValue {
    init(_ json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .int(let value): self = .int(Int(value))
        case .double(let value): self = .double(value)
        case .string(let value): self = .string(value)
        case .array(let items): self = .array(items.map(MCPValue.init))
        case .object(let object):
            var members: [String: MCPValue] = [:]
            members.reserveCapacity(object.count)
            for (key, value) in object { members[key] = MCPValue(value) }
            self = .object(members)
        }
    }
}

extension JSONValue {
    init(_ value: MCPValue) {
        switch value {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .int(let value): self = .int(Int64(value))
        case .double(let value): self = .double(value)
        case .string(let value): self = .string(value)
        case .data(let mimeType, let data):
            // A string the SDK read as a data: URL goes back as the same text.
            self = .string(data.dataURLEncoded(mimeType: mimeType))
        case .array(let items): self = .array(items.map(JSONValue.init))
        case .object(let members):
            var object = JSONObject()
            for key in members.keys.sorted() { object[key] = JSONValue(members[key]!) }
            self = .object(object)
        }
    }
}
