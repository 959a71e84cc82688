import JSONRPC
import MCP

/// The MCP tools of an OpenRPC document: one per method the caller may use, named, described
/// and typed from the document alone (never a second copy of a method's text or schema).
///
/// - Name: the method's name with its dots as underscores (`ticket.get` → `ticket_get`), as MCP
///   clients want `^[a-zA-Z0-9_-]{1,64}$`; the title is the method's own name.
/// - Description: the method's summary, then its description.
/// - Input schema: the params as one JSON Schema object (`properties`, `required`, no other
///   members), each param's schema with its `#/components/schemas/…` references inlined so the
///   tool's schema stands alone (a schema that contains itself is kept once under `$defs`).
///   The document's own `x-…` keys are left out.
/// - Annotations from `x-effect`: "read" → readOnlyHint; "write" → not read-only, not
///   destructive (additive); "destructive" (or none declared) → not read-only, destructive.
///
/// Which methods: those whose `x-access` level `admits` says the caller has, less the ones no
/// assistant should call through the bridge: `rpc.discover` (the tool list is the discovery),
/// `session.*` (the bridge's identity is fixed when it starts), `events.*` (a subscription's
/// notifications have no way back to the assistant, and would come between the bridge's
/// replies) and `mail.ingest` with its `mail.upload` (the mail gateway's door).
public struct ToolCatalog: Sendable {
    public struct Entry: Sendable {
        public let tool: Tool
        public let method: String
    }

    /// The tools offered, in the document's order.
    public let entries: [Entry]
    private let byName: [String: Entry]

    public var tools: [Tool] { entries.map(\.tool) }

    /// The methods never offered as tools, whoever calls (see the type's documentation).
    public static func isExcluded(_ method: String) -> Bool {
        method == "rpc.discover" || method == "mail.ingest" || method == "mail.upload" || method.hasPrefix("session.")
            || method.hasPrefix("events.")
    }

    /// `ticket.get` → `ticket_get`.
    public static func toolName(forMethod method: String) -> String {
        String(method.map { $0 == "." ? "_" : $0 })
    }

    /// - Parameters:
    ///   - document: the OpenRPC document (what `rpc.discover` answers).
    ///   - admits: whether the caller passes a method's `x-access` level (`"staff"`, …).
    public init(document: JSONValue, admits: (String) -> Bool) {
        let components = document["components"]?["schemas"]?.objectValue ?? JSONObject()
        var entries: [Entry] = []
        for method in document["methods"]?.arrayValue ?? [] {
            guard let name = method["name"]?.stringValue, !Self.isExcluded(name) else { continue }
            let access = method["x-access"]?.arrayValue?.first?.stringValue ?? "admin"
            guard admits(access) else { continue }
            entries.append(Entry(tool: Self.tool(for: method, name: name, components: components), method: name))
        }
        self.entries = entries
        self.byName = Dictionary(entries.map { ($0.tool.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The entry of the tool named `name`, if it is offered.
    public func entry(named name: String) -> Entry? { byName[name] }

    private static func tool(for method: JSONValue, name: String, components: JSONObject) -> Tool {
        let text = [method["summary"]?.stringValue, method["description"]?.stringValue]
            .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "\n\n")
        var inliner = SchemaInliner(components: components)
        var properties = JSONObject()
        var required: [JSONValue] = []
        for param in method["params"]?.arrayValue ?? [] {
            guard let paramName = param["name"]?.stringValue else { continue }
            var schema = inliner.resolve(param["schema"] ?? .object(JSONObject()))
            if case .object(var object) = schema, object["description"] == nil,
                let description = param["description"]?.stringValue ?? param["summary"]?.stringValue
            {
                object["description"] = .string(description)
                schema = .object(object)
            }
            properties[paramName] = schema
            if param["required"] == .bool(true) { required.append(.string(paramName)) }
        }
        var input: JSONObject = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { input["required"] = .array(required) }
        input["additionalProperties"] = false
        if !inliner.definitions.isEmpty { input["$defs"] = .object(inliner.definitions) }

        let annotations: Tool.Annotations
        switch method["x-effect"]?.stringValue {
        case "read": annotations = .init(title: name, readOnlyHint: true)
        case "write": annotations = .init(title: name, readOnlyHint: false, destructiveHint: false)
        default: annotations = .init(title: name, readOnlyHint: false, destructiveHint: true)
        }
        return Tool(
            name: toolName(forMethod: name), title: name, description: text, inputSchema: MCPValue(JSONValue.object(input)),
            annotations: annotations)
    }
}

/// Inlines `#/components/schemas/NAME` references; one met again while being inlined (a
/// recursive schema) becomes `#/$defs/NAME`, defined once in `definitions`.
struct SchemaInliner {
    let components: JSONObject
    private(set) var definitions = JSONObject()
    private var expanding: [String] = []
    private var wanted: [String] = []

    init(components: JSONObject) { self.components = components }

    /// `schema` with its references inlined; afterwards `definitions` holds the recursive ones.
    mutating func resolve(_ schema: JSONValue) -> JSONValue {
        let resolved = inline(schema)
        while let key = wanted.first(where: { definitions[$0] == nil }) {
            definitions[key] = .object(JSONObject())  // reserved: a reference to itself stays one
            expanding = [key]
            definitions[key] = members(components[key] ?? .object(JSONObject()))
            expanding = []
        }
        return resolved
    }

    private mutating func inline(_ schema: JSONValue) -> JSONValue {
        switch schema {
        case .object(let object):
            let prefix = "#/components/schemas/"
            guard case .string(let reference)? = object["$ref"], reference.hasPrefix(prefix) else { return members(schema) }
            let key = String(reference.dropFirst(prefix.count))
            guard let target = components[key] else { return schema }
            if expanding.contains(key) {
                if !wanted.contains(key) { wanted.append(key) }
                return .object(["$ref": .string("#/$defs/\(key)")])
            }
            expanding.append(key)
            defer { expanding.removeLast() }
            return members(target)
        case .array(let items):
            return .array(items.map { inline($0) })
        default:
            return schema
        }
    }

    private mutating func members(_ schema: JSONValue) -> JSONValue {
        guard case .object(let object) = schema else { return inline(schema) }
        var result = JSONObject()
        for (key, value) in object where !key.hasPrefix("x-") {
            result[key] = inline(value)
        }
        return .object(result)
    }
}

extension JSONValue {
    var objectValue: JSONObject? {
        if case .object(let object) = self { return object }
        return nil
    }

    var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }
}
