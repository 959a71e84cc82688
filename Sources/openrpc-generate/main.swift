import Foundation

// openrpc-generate SCHEMA OUTPUT PATTERN...
//
// Reads the OpenRPC document SCHEMA and writes OUTPUT, a Swift file declaring one type per
// method whose name matches a PATTERN (`calendar.*` is a family, `sla.policies` one method):
//
//     /// <summary>
//     public enum CalendarAddWorkingTime: SchemaMethod {
//         public static let name = "calendar.addWorkingTime"
//         public static let access: MethodAccess = .anyone
//         public struct Params: Codable, Sendable, Hashable { ... }
//         public struct Result: Codable, Sendable, Hashable { ... }
//     }
//
// plus, once each, the components (`#/components/schemas/...`) those methods refer to. The
// document's own extension fields steer it:
//   x-access      on every method (all of them, generated or not): ["anyone"], ["signedIn"],
//                 ["staff"], ["managers"], ["admin"] or ["mailgate"]; emitted as `access`.
//   x-effect      on a method: "read", "write" or "destructive" (what a call does to the data;
//                 set from schema/tools/set_effects.py, read at run time by `sportello mcp`, not
//                 generated); checked here only for its value.
//   x-swift-name  on a method or a component: the Swift type's name (else calendar.addWorkingTime
//                 → CalendarAddWorkingTime, a component keeps its key).
//   x-swift-type  on a component or an inline schema: an existing hand-written Swift type that
//                 stands for it (durations, instants, dates), used instead of generating one.
// Members follow the schema: required → non-optional, optional → Optional (left out when nil),
// nullable (`"type": ["string", "null"]`, or `oneOf` a schema and `{"type": "null"}`) → Optional
// (a struct with a required nullable member gets an `encode(to:)` that writes its nil as `null`
// and still leaves out an absent optional one), string enums → nested Swift enums, "number" → JSONNumber (whole numbers stay integers on the
// wire), objects without properties → JSONValue. Anything it cannot say well is an error naming
// the place, never a guess. Foundation only: it runs at build time.

struct GenerationError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

let accessLevels = ["anyone", "signedIn", "staff", "managers", "admin", "mailgate"]
let effects = ["read", "write", "destructive"]

let swiftKeywords: Set<String> = [
    "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
    "internal", "let", "open", "operator", "private", "protocol", "public", "rethrows", "static", "struct",
    "subscript", "typealias", "var", "break", "case", "continue", "default", "defer", "do", "else", "fallthrough",
    "for", "guard", "if", "in", "repeat", "return", "switch", "where", "while", "as", "Any", "catch", "false", "is",
    "nil", "super", "self", "Self", "throw", "throws", "true", "try",
]

func identifier(_ name: String) -> String { swiftKeywords.contains(name) ? "`\(name)`" : name }

func capitalized(_ name: String) -> String { name.prefix(1).uppercased() + name.dropFirst() }

/// The name of an array's element type from the array's member name: closures → Closure.
func singular(_ name: String) -> String {
    let type = capitalized(name)
    if type.hasSuffix("ies") { return type.dropLast(3) + "y" }
    if type.hasSuffix("s"), !type.hasSuffix("ss") { return String(type.dropLast()) }
    return type + "Item"
}

/// calendar.addWorkingTime → CalendarAddWorkingTime.
func typeName(forMethod name: String) -> String {
    name.split(separator: ".").map { capitalized(String($0)) }.joined()
}

func docComment(_ texts: [String?], indent: String) -> [String] {
    let paragraphs = texts.compactMap { $0 }.filter { !$0.isEmpty }
    var lines: [String] = []
    for (index, paragraph) in paragraphs.enumerated() {
        if index > 0 { lines.append(indent + "///") }
        for line in paragraph.split(separator: "\n", omittingEmptySubsequences: false) {
            lines.append(indent + "///" + (line.isEmpty ? "" : " " + line))
        }
    }
    return lines
}

func matches(_ method: String, _ pattern: String) -> Bool {
    pattern.hasSuffix(".*") ? method.hasPrefix(String(pattern.dropLast())) : method == pattern
}

final class Generator {
    let components: [(key: String, value: JSON)]
    /// Components to declare, by key, in the order first needed.
    private(set) var needed: [String] = []

    init(document: JSON) {
        components = document["components"]?["schemas"]?.members ?? []
    }

    func component(_ key: String) throws -> JSON {
        guard let schema = components.first(where: { $0.key == key })?.value else {
            throw GenerationError("no component \(key)")
        }
        return schema
    }

    /// The Swift type of `schema`; nested declarations it needs (a struct for an inline object,
    /// an enum for a string enum) are appended to `nested`, named from `suggestion`.
    func swiftType(_ schema: JSON, suggestion: String, place: String, nested: inout [[String]]) throws -> String {
        if let type = schema["x-swift-type"]?.string { return type }
        if let reference = schema["$ref"]?.string {
            let prefix = "#/components/schemas/"
            guard reference.hasPrefix(prefix) else { throw GenerationError("\(place): unsupported $ref \(reference)") }
            let key = String(reference.dropFirst(prefix.count))
            let target = try component(key)
            if let type = target["x-swift-type"]?.string { return type }
            if !needed.contains(key) { needed.append(key) }
            return target["x-swift-name"]?.string ?? key
        }
        if let choices = schema["oneOf"]?.array, choices.count == 2,
            let null = choices.firstIndex(where: { $0["type"]?.string == "null" })
        {
            return try optional(swiftType(choices[1 - null], suggestion: suggestion, place: place, nested: &nested), place: place)
        }
        if let types = schema["type"]?.array {
            // `"type": ["string", "null"]`: the other type, optional.
            let names = types.compactMap(\.string)
            guard names.count == 2, types.count == 2, let null = names.firstIndex(of: "null"), names[1 - null] != "null" else {
                throw GenerationError("\(place): only a list of one type and \"null\" becomes a Swift type")
            }
            let single = JSON.object(schema.members.map { $0.key == "type" ? (key: "type", value: .string(names[1 - null])) : $0 })
            return try optional(swiftType(single, suggestion: suggestion, place: place, nested: &nested), place: place)
        }
        if let constant = schema["const"] {
            switch constant {
            case .bool: return "Bool"
            case .string: return "String"
            case .number(let text): return text.contains(where: { ".eE".contains($0) }) ? "JSONNumber" : "Int"
            default: throw GenerationError("\(place): unsupported const")
            }
        }
        if let cases = schema["enum"]?.array {
            let values = cases.compactMap(\.string)
            guard values.count == cases.count, !values.isEmpty else {
                throw GenerationError("\(place): only enums of strings become Swift enums")
            }
            nested.append(enumDeclaration(suggestion, values: values, description: schema["description"]?.string))
            return suggestion
        }
        switch schema["type"]?.string {
        case "string": return "String"
        case "integer": return "Int"
        case "number": return "JSONNumber"
        case "boolean": return "Bool"
        case "array":
            guard let items = schema["items"] else { throw GenerationError("\(place): an array without items") }
            return "[" + (try swiftType(items, suggestion: singular(suggestion), place: place + "[]", nested: &nested)) + "]"
        case "object":
            guard schema["properties"] != nil else { return "JSONValue" }
            nested.append(try structDeclaration(suggestion, schema: schema, place: place))
            return suggestion
        default:
            throw GenerationError("\(place): no Swift type for this schema; give it an x-swift-type")
        }
    }

    /// `type` made optional; an optional of an optional says nothing more, so it is an error.
    func optional(_ type: String, place: String) throws -> String {
        guard !type.hasSuffix("?") else { throw GenerationError("\(place): null offered twice") }
        return type + "?"
    }

    func enumDeclaration(_ name: String, values: [String], description: String?) -> [String] {
        var lines = docComment([description], indent: "")
        lines.append("public enum \(name): String, Codable, Sendable, Hashable, CaseIterable {")
        for value in values {
            let caseName = value.filter { $0.isLetter || $0.isNumber || $0 == "_" }
            let valid = !caseName.isEmpty && !caseName.first!.isNumber
            let name = valid ? identifier(caseName) : "_" + caseName
            lines.append("    case \(name)" + (name == value ? "" : " = \"\(value)\""))
        }
        lines.append("}")
        return lines
    }

    struct Member {
        var name: String
        var schema: JSON
        var required: Bool
        var description: String?
    }

    func structDeclaration(_ name: String, schema: JSON, place: String) throws -> [String] {
        let required = Set(schema["required"]?.array?.compactMap(\.string) ?? [])
        let members = (schema["properties"]?.members ?? []).map { property in
            Member(name: property.key, schema: property.value, required: required.contains(property.key),
                   description: property.value["description"]?.string)
        }
        return try structDeclaration(name, members: members, description: schema["description"]?.string, place: place)
    }

    func structDeclaration(_ name: String, members: [Member], description: String?, place: String) throws -> [String] {
        var lines = docComment([description], indent: "")
        lines.append("public struct \(name): Codable, Sendable, Hashable {")
        var nested: [[String]] = []
        // How each member is written: `encode` (required, null included) or `encodeIfPresent`.
        var encodings: [(name: String, call: String)] = []
        var explicitNull = false
        for member in members {
            let memberPlace = place + "." + member.name
            var type = try swiftType(member.schema, suggestion: capitalized(member.name), place: memberPlace, nested: &nested)
            if member.required, type.hasSuffix("?") { explicitNull = true }
            if !member.required, !type.hasSuffix("?") { type += "?" }
            encodings.append((member.name, member.required ? "encode" : "encodeIfPresent"))
            var defaultValue = ""
            switch member.schema["const"] {
            case .bool(let flag)?: defaultValue = " = \(flag)"
            case .string(let text)?: defaultValue = " = \"\(text)\""
            case .number(let text)?: defaultValue = " = \(text)"
            default: break
            }
            lines += docComment([member.description], indent: "    ")
            lines.append("    public var \(identifier(member.name)): \(type)\(defaultValue)")
        }
        if explicitNull {
            // Synthesized Encodable leaves every nil out; a required member that may be null is
            // written as an explicit null, as the wire has it.
            lines.append("")
            lines.append("    public func encode(to encoder: any Encoder) throws {")
            lines.append("        var container = encoder.container(keyedBy: CodingKeys.self)")
            for encoding in encodings {
                lines.append("        try container.\(encoding.call)(\(identifier(encoding.name)), forKey: .\(identifier(encoding.name)))")
            }
            lines.append("    }")
        }
        for declaration in nested {
            lines.append("")
            lines += declaration.map { $0.isEmpty ? $0 : "    " + $0 }
        }
        lines.append("}")
        return lines
    }

    /// A component: a struct for an object with properties, else a type alias.
    func componentDeclaration(_ key: String) throws -> [String] {
        let schema = try component(key)
        let name = schema["x-swift-name"]?.string ?? key
        let place = "#/components/schemas/" + key
        if schema["type"]?.string == "object", schema["properties"] != nil {
            return try structDeclaration(name, schema: schema, place: place)
        }
        var nested: [[String]] = []
        let type = try swiftType(schema, suggestion: name, place: place, nested: &nested)
        if type == name { return nested.flatMap { $0 } }  // a string enum, declared under its own name
        guard nested.isEmpty else { throw GenerationError("\(place): give an inline type of a component a component of its own") }
        return docComment([schema["description"]?.string], indent: "") + ["public typealias \(name) = \(type)"]
    }

    func methodDeclaration(_ method: JSON) throws -> (name: String, lines: [String]) {
        guard let methodName = method["name"]?.string else { throw GenerationError("a method without a name") }
        let name = method["x-swift-name"]?.string ?? typeName(forMethod: methodName)
        let access = method["x-access"]!.array![0].string!
        var lines = docComment([method["summary"]?.string, method["description"]?.string], indent: "")
        lines.append("public enum \(name): SchemaMethod {")
        lines.append("    public static let name = \"\(methodName)\"")
        lines.append("    public static let access: MethodAccess = .\(access)")

        let params = try (method["params"]?.array ?? []).map { descriptor in
            guard let paramName = descriptor["name"]?.string, let schema = descriptor["schema"] else {
                throw GenerationError("\(methodName): a param needs a name and a schema (no $ref descriptors yet)")
            }
            if case .bool(true)? = descriptor["required"] {
                return Member(name: paramName, schema: schema, required: true, description: descriptor["description"]?.string)
            }
            return Member(name: paramName, schema: schema, required: false, description: descriptor["description"]?.string)
        }
        lines.append("")
        if params.isEmpty {
            lines.append("    /// No params; any member sent is an unknown param.")
            lines.append("    public typealias Params = EmptyParams")
        } else {
            lines += try structDeclaration("Params", members: params, description: nil, place: methodName + " params").map { "    " + $0 }
        }

        guard let result = method["result"], let schema = result["schema"] else {
            throw GenerationError("\(methodName): no result schema")
        }
        lines.append("")
        if schema["type"]?.string == "object", schema["properties"] != nil {
            lines += try structDeclaration("Result", schema: schema, place: methodName + " result").map { $0.isEmpty ? $0 : "    " + $0 }
        } else {
            var nested: [[String]] = []
            let type = try swiftType(schema, suggestion: "Result", place: methodName + " result", nested: &nested)
            guard nested.isEmpty else { throw GenerationError("\(methodName): unsupported result schema") }
            lines += docComment([result["description"]?.string], indent: "    ")
            lines.append("    public typealias Result = \(type)")
        }
        lines.append("}")
        return (name, lines)
    }
}

func run(_ arguments: [String]) throws {
    guard arguments.count >= 4 else {
        throw GenerationError("usage: openrpc-generate SCHEMA OUTPUT PATTERN... (calendar.* or a method's name)")
    }
    let input = URL(fileURLWithPath: arguments[1])
    let document = try JSONReader.parse(try Data(contentsOf: input))
    let patterns = Array(arguments[3...])
    let methods = document["methods"]?.array ?? []

    // Access is declared for every method, generated or not.
    var problems: [String] = []
    for method in methods {
        let name = method["name"]?.string ?? "?"
        let access = method["x-access"]?.array ?? []
        if access.count != 1 || !accessLevels.contains(access[0].string ?? "") {
            problems.append("\(name): x-access must be one of \(accessLevels.map { "[\"\($0)\"]" }.joined(separator: ", "))")
        }
        if let effect = method["x-effect"], !effects.contains(effect.string ?? "") {
            problems.append("\(name): x-effect must be one of \(effects.joined(separator: ", ")) (schema/tools/set_effects.py)")
        }
    }
    for pattern in patterns where !methods.contains(where: { matches($0["name"]?.string ?? "", pattern) }) {
        problems.append("pattern \(pattern) matches no method")
    }
    guard problems.isEmpty else { throw GenerationError(problems.joined(separator: "\n")) }

    let generator = Generator(document: document)
    var declarations: [(name: String, lines: [String])] = []
    for method in methods where patterns.contains(where: { matches(method["name"]?.string ?? "", $0) }) {
        declarations.append(try generator.methodDeclaration(method))
    }
    // Components, each once, in the document's order; a component may need others.
    var declared: Set<String> = []
    var componentLines: [String] = []
    while let key = generator.needed.first(where: { !declared.contains($0) }) {
        declared.insert(key)
        _ = try generator.componentDeclaration(key)
    }
    for (key, _) in generator.components where declared.contains(key) {
        componentLines += [""] + (try generator.componentDeclaration(key))
    }

    var lines = [
        "// Generated by openrpc-generate from \(input.lastPathComponent) (methods: \(patterns.joined(separator: " "))).",
        "// Do not edit: change the schema, and the build regenerates this file.",
        "import JSONRPC",
        "import SportelloDomain",
        "",
        "// MARK: Components",
    ]
    lines += componentLines
    lines += ["", "// MARK: Methods"]
    for declaration in declarations { lines += [""] + declaration.lines }
    lines += [
        "",
        "/// Every method generated from the schema, in the document's order.",
        "public let generatedMethods: [any SchemaMethod.Type] = [",
    ]
    lines += declarations.map { "    \($0.name).self," }
    lines += ["]", ""]
    let source = lines.joined(separator: "\n")
    let output = URL(fileURLWithPath: arguments[2])
    try Data(source.utf8).write(to: output, options: .atomic)
}

do {
    try run(CommandLine.arguments)
} catch {
    FileHandle.standardError.write(Data("openrpc-generate: error: \(error)\n".utf8))
    exit(1)
}
