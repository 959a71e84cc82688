/// Why params could not be decoded: the path of the offending field and what was wrong.
/// The dispatcher turns it into -32602 with `data: {"field": path, "reason": reason}`.
public struct ParamsError: Error, Sendable, Equatable {
    public var field: String
    public var reason: String
    public var extra: JSONObject

    public init(field: String, reason: String, extra: JSONObject = [:]) {
        self.field = field
        self.reason = reason
        self.extra = extra
    }
}

/// Decodes a `Decodable` from a `JSONValue`, strictly: a member the type does not read is an
/// error ("unknown param"), integers must be integral and in range, and every failure names the
/// field by its path (`params.duration.minutes`).
public struct JSONValueDecoder {
    public var rootPath: String

    public init(rootPath: String = "params") { self.rootPath = rootPath }

    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws(ParamsError) -> T {
        let state = DecodingState()
        do {
            let result: T
            if let raw = value as? T {
                result = raw
            } else {
                result = try T(from: ValueDecoder(value: value, codingPath: [], state: state))
            }
            for container in state.keyedContainers {
                for key in container.object.keys where !container.used.contains(key) {
                    let expected = container.expected.sorted()
                    throw ParamsError(
                        field: path(container.codingPath + [AnyKey(key)]),
                        reason: expected.isEmpty
                            ? "unknown param; this takes none"
                            : "unknown param; expected one of: \(expected.joined(separator: ", "))"
                    )
                }
            }
            return result
        } catch let error as ParamsError {
            throw error
        } catch let error as DecodingError {
            throw translate(error)
        } catch {
            throw ParamsError(field: rootPath, reason: "\(error)")
        }
    }

    func path(_ codingPath: [any CodingKey]) -> String {
        var text = rootPath
        for key in codingPath {
            if let index = key.intValue { text += "[\(index)]" } else { text += "." + key.stringValue }
        }
        return text
    }

    func translate(_ error: DecodingError) -> ParamsError {
        switch error {
        case .keyNotFound(let key, let context):
            return ParamsError(field: path(context.codingPath + [key]), reason: "missing required param")
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return ParamsError(field: path(context.codingPath), reason: context.debugDescription)
        @unknown default:
            return ParamsError(field: rootPath, reason: "\(error)")
        }
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

private final class DecodingState {
    final class KeyedRecord {
        let object: JSONObject
        let codingPath: [any CodingKey]
        var used: Set<String> = []
        var expected: Set<String> = []
        init(object: JSONObject, codingPath: [any CodingKey]) {
            self.object = object
            self.codingPath = codingPath
        }
    }
    var keyedContainers: [KeyedRecord] = []
}

private struct ValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    let state: DecodingState
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else {
            throw DecodingError.typeMismatch(
                JSONObject.self, .init(codingPath: codingPath, debugDescription: "expected an object, got \(value.typeName)"))
        }
        // A record per object: if the same object is opened twice, the reads of both count.
        let record = DecodingState.KeyedRecord(object: object, codingPath: codingPath)
        state.keyedContainers.append(record)
        return KeyedDecodingContainer(KeyedContainer<Key>(object: object, codingPath: codingPath, state: state, record: record))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let array) = value else {
            throw DecodingError.typeMismatch(
                [JSONValue].self, .init(codingPath: codingPath, debugDescription: "expected an array, got \(value.typeName)"))
        }
        return UnkeyedContainer(array: array, codingPath: codingPath, state: state)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleContainer(value: value, codingPath: codingPath, state: state)
    }
}

/// The scalar conversions, shared by the three container kinds.
private func decodeScalar<T: Decodable>(_ type: T.Type, from value: JSONValue, codingPath: [any CodingKey], state: DecodingState) throws -> T {
    func mismatch(_ expected: String) -> DecodingError {
        .typeMismatch(T.self, .init(codingPath: codingPath, debugDescription: "expected \(expected), got \(value.typeName)"))
    }
    func integer<I: FixedWidthInteger>(_: I.Type) throws -> I {
        switch value {
        case .int(let number):
            guard let result = I(exactly: number) else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "integer \(number) out of range"))
            }
            return result
        case .double(let number):
            guard let result = I(exactly: number) else { throw mismatch("an integer") }
            return result
        default:
            throw mismatch("an integer")
        }
    }
    if T.self == JSONValue.self { return value as! T }
    if T.self == String.self {
        guard case .string(let string) = value else { throw mismatch("a string") }
        return string as! T
    }
    if T.self == Bool.self {
        guard case .bool(let flag) = value else { throw mismatch("a boolean") }
        return flag as! T
    }
    if T.self == Int.self { return try integer(Int.self) as! T }
    if T.self == Int64.self { return try integer(Int64.self) as! T }
    // Every other integer width (Int8…UInt32, UInt64, UInt): without this, their
    // `init(from:)` asks the single-value container for themselves and recurses forever.
    if let integerType = T.self as? any FixedWidthInteger.Type { return try integer(integerType) as! T }
    if T.self == Double.self || T.self == Float.self {
        let number: Double
        switch value {
        case .int(let integer): number = Double(integer)
        case .double(let double): number = double
        default: throw mismatch("a number")
        }
        if T.self == Float.self { return Float(number) as! T }
        return number as! T
    }
    if case .null = value, !(T.self is any OptionalProtocol.Type) {
        throw DecodingError.valueNotFound(T.self, .init(codingPath: codingPath, debugDescription: "expected a value, got null"))
    }
    return try T(from: ValueDecoder(value: value, codingPath: codingPath, state: state))
}

private protocol OptionalProtocol {}
extension Optional: OptionalProtocol {}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: JSONObject
    let codingPath: [any CodingKey]
    let state: DecodingState
    let record: DecodingState.KeyedRecord

    var allKeys: [Key] {
        object.keys.compactMap { name in
            record.used.insert(name)
            return Key(stringValue: name)
        }
    }

    func contains(_ key: Key) -> Bool {
        record.expected.insert(key.stringValue)
        return object[key.stringValue] != nil
    }

    private func value(for key: Key) throws -> JSONValue {
        record.expected.insert(key.stringValue)
        record.used.insert(key.stringValue)
        guard let value = object[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing required param"))
        }
        return value
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        record.expected.insert(key.stringValue)
        record.used.insert(key.stringValue)
        guard let value = object[key.stringValue] else { return true }
        return value == .null
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decodeScalar(type, from: try value(for: key), codingPath: codingPath + [key], state: state)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        record.expected.insert(key.stringValue)
        record.used.insert(key.stringValue)
        guard let value = object[key.stringValue], value != .null else { return nil }
        return try decodeScalar(type, from: value, codingPath: codingPath + [key], state: state)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try ValueDecoder(value: try value(for: key), codingPath: codingPath + [key], state: state).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try ValueDecoder(value: try value(for: key), codingPath: codingPath + [key], state: state).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        ValueDecoder(value: .object(object), codingPath: codingPath, state: state)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        ValueDecoder(value: try value(for: key), codingPath: codingPath + [key], state: state)
    }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let array: [JSONValue]
    let codingPath: [any CodingKey]
    let state: DecodingState
    var currentIndex = 0

    init(array: [JSONValue], codingPath: [any CodingKey], state: DecodingState) {
        self.array = array
        self.codingPath = codingPath
        self.state = state
    }

    var count: Int? { array.count }
    var isAtEnd: Bool { currentIndex >= array.count }

    private var currentPath: [any CodingKey] { codingPath + [AnyKey(intValue: currentIndex)!] }

    private mutating func next() throws -> JSONValue {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(JSONValue.self, .init(codingPath: currentPath, debugDescription: "array too short"))
        }
        defer { currentIndex += 1 }
        return array[currentIndex]
    }

    mutating func decodeNil() throws -> Bool {
        if !isAtEnd, array[currentIndex] == .null {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let path = currentPath
        return try decodeScalar(type, from: try next(), codingPath: path, state: state)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let path = currentPath
        return try ValueDecoder(value: try next(), codingPath: path, state: state).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let path = currentPath
        return try ValueDecoder(value: try next(), codingPath: path, state: state).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let path = currentPath
        return ValueDecoder(value: try next(), codingPath: path, state: state)
    }
}

private struct SingleContainer: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]
    let state: DecodingState

    func decodeNil() -> Bool { value == .null }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try decodeScalar(type, from: value, codingPath: codingPath, state: state)
    }
}
