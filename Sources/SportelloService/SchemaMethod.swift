import JSONRPC
import SportelloDomain

/// A method declared by the OpenRPC document and generated from it at build time (see
/// Plugins/EmbedSchema): its name, who may call it, and Codable params and result, so that the
/// document's examples can be decoded into them and the result encoded back by the tests.
public protocol SchemaMethod: RPCMethod where Params: Codable, Result: Codable {
    /// The schema's `x-access`.
    static var access: MethodAccess { get }
}

/// A JSON number out of a `"type": "number"` member: written as an integer when it is whole
/// (`{"minutes": 690}`, not `690.0`), as the hand-built results always did.
public struct JSONNumber: Codable, Sendable, Hashable, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    public var value: Double

    public init(_ value: Double) { self.value = value }
    public init(integerLiteral value: Int) { self.value = Double(value) }
    public init(floatLiteral value: Double) { self.value = value }

    public init(from decoder: any Decoder) throws {
        value = try decoder.singleValueContainer().decode(Double.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(number(value))
    }
}

/// Who a connection is, as answers show it (the schema's `Principal`, and its `SessionPrincipal`,
/// which is only ever staff or a contact): `{"kind": "system"}`,
/// `{"kind": "staff", "id": 3, "role": "careManager"}`, `{"kind": "contact", "id": 7,
/// "customer": 2}` or `{"kind": "anonymous"}` for nil.
public struct Caller: Codable, Sendable, Hashable {
    public var principal: Principal?

    public init(_ principal: Principal?) { self.principal = principal }

    private enum Key: String, CodingKey { case kind, id, role, customer }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        switch try container.decode(String.self, forKey: .kind) {
        case "anonymous": principal = nil
        case "system": principal = .system
        case "staff":
            principal = .staff(id: try container.decode(Int64.self, forKey: .id), role: try container.decode(StaffRole.self, forKey: .role))
        case "contact":
            principal = .contact(id: try container.decode(Int64.self, forKey: .id), customer: try container.decode(Int64.self, forKey: .customer))
        case let kind:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container, debugDescription: "expected system, anonymous, staff or contact, got \"\(kind)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        switch principal {
        case nil: try container.encode("anonymous", forKey: .kind)
        case .system?: try container.encode("system", forKey: .kind)
        case .staff(let id, let role)?:
            try container.encode("staff", forKey: .kind)
            try container.encode(id, forKey: .id)
            try container.encode(role, forKey: .role)
        case .contact(let id, let customer)?:
            try container.encode("contact", forKey: .kind)
            try container.encode(id, forKey: .id)
            try container.encode(customer, forKey: .customer)
        }
    }
}
