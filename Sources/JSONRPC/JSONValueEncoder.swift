/// Encodes an `Encodable` into a `JSONValue`, keeping members in the order the type encodes them.
/// `nil` optionals encoded with `encodeIfPresent` are left out; `encodeNil` writes `null`.
public struct JSONValueEncoder {
    public init() {}

    public func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        if let raw = value as? JSONValue { return raw }
        let root = Node()
        try value.encode(to: ValueEncoder(node: root, codingPath: []))
        return root.value
    }
}

/// A container of the tree being built (or a single value). Scalars are stored in their parent
/// as values; only nested containers get a node of their own, so a page of tickets allocates a
/// node per object and array, not per string and number.
private final class Node {
    enum Kind {
        case empty
        case value(JSONValue)
        case object
        case array
    }
    enum Slot {
        case value(JSONValue)
        case node(Node)

        var value: JSONValue {
            switch self {
            case .value(let value): value
            case .node(let node): node.value
            }
        }
    }
    var kind: Kind = .empty
    var members: [(key: String, slot: Slot)] = []
    var elements: [Slot] = []

    var value: JSONValue {
        switch kind {
        case .empty: return .object(JSONObject())
        case .value(let value): return value
        case .object: return .object(JSONObject(uniqueMembers: members.map { ($0.key, $0.slot.value) }))
        case .array: return .array(elements.map(\.value))
        }
    }

    /// Writes a value here, replacing whatever container this node was.
    func set(_ value: JSONValue) {
        kind = .value(value)
        members = []
        elements = []
    }

    func becomeObject() {
        if case .object = kind { return }
        kind = .object
        members = []
    }

    func becomeArray() {
        if case .array = kind { return }
        kind = .array
        elements = []
    }

    /// Sets member `key` (a key encoded twice keeps its first place; the last value wins).
    func set(_ slot: Slot, forKey key: String) {
        becomeObject()
        if let index = members.firstIndex(where: { $0.key == key }) {
            members[index].slot = slot
        } else {
            members.append((key, slot))
        }
    }

    /// The container at member `key`, made a node if it was not one.
    func child(forKey key: String) -> Node {
        becomeObject()
        if let index = members.firstIndex(where: { $0.key == key }) {
            if case .node(let node) = members[index].slot { return node }
            let node = Node()
            members[index].slot = .node(node)
            return node
        }
        let node = Node()
        members.append((key, .node(node)))
        return node
    }

    func append(_ value: JSONValue) {
        becomeArray()
        elements.append(.value(value))
    }

    func appendChild() -> Node {
        becomeArray()
        let node = Node()
        elements.append(.node(node))
        return node
    }
}

/// `value` as a JSON scalar, or nil when it encodes itself as a container. The scalar types
/// are told apart by comparing metatypes, a pointer comparison each, not by dynamic casts of
/// the value (a page of tickets encodes thousands of values).
private func scalar<T: Encodable>(_ value: T) -> JSONValue? {
    if T.self == String.self { return .string(value as! String) }
    if T.self == Int.self { return .int(Int64(value as! Int)) }
    if T.self == Int64.self { return .int(value as! Int64) }
    if T.self == Bool.self { return .bool(value as! Bool) }
    if T.self == Double.self { return .double(value as! Double) }
    if T.self == JSONValue.self { return (value as! JSONValue) }
    if T.self == Int32.self { return .int(Int64(value as! Int32)) }
    if T.self == UInt32.self { return .int(Int64(value as! UInt32)) }
    if T.self == Float.self { return .double(Double(value as! Float)) }
    return nil
}

private struct ValueEncoder: Encoder {
    let node: Node
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.becomeObject()
        return KeyedEncodingContainer(KeyedContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.becomeArray()
        return UnkeyedContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleContainer(node: node, codingPath: codingPath)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: Node
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { node.set(.value(.null), forKey: key.stringValue) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        if let scalar = scalar(value) {
            node.set(.value(scalar), forKey: key.stringValue)
        } else {
            try value.encode(to: ValueEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key]))
        }
    }

    // The scalar requirements, answered without going through the generic path.
    mutating func encode(_ value: String, forKey key: Key) throws { node.set(.value(.string(value)), forKey: key.stringValue) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { node.set(.value(.bool(value)), forKey: key.stringValue) }
    mutating func encode(_ value: Int, forKey key: Key) throws { node.set(.value(.int(Int64(value))), forKey: key.stringValue) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { node.set(.value(.int(value)), forKey: key.stringValue) }
    mutating func encode(_ value: Double, forKey key: Key) throws { node.set(.value(.double(value)), forKey: key.stringValue) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        ValueEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        ValueEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { ValueEncoder(node: node.child(forKey: "super"), codingPath: codingPath) }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        ValueEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key])
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let node: Node
    let codingPath: [any CodingKey]
    var count: Int { node.elements.count }

    mutating func encodeNil() throws { node.append(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        if let scalar = scalar(value) {
            node.append(scalar)
        } else {
            try value.encode(to: ValueEncoder(node: node.appendChild(), codingPath: codingPath))
        }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        ValueEncoder(node: node.appendChild(), codingPath: codingPath).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        ValueEncoder(node: node.appendChild(), codingPath: codingPath).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { ValueEncoder(node: node.appendChild(), codingPath: codingPath) }
}

private struct SingleContainer: SingleValueEncodingContainer {
    let node: Node
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.set(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        if let scalar = scalar(value) {
            node.set(scalar)
        } else {
            try value.encode(to: ValueEncoder(node: node, codingPath: codingPath))
        }
    }
}
