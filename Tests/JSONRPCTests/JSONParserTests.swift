import JSONRPC
import Testing

@Suite("JSONParser")
struct JSONParserTests {
    @Test("valid documents parse to the expected value", arguments: [
        ("null", JSONValue.null),
        ("true", .bool(true)),
        ("false", .bool(false)),
        ("0", .int(0)),
        ("-0", .int(0)),
        ("42", .int(42)),
        ("-17", .int(-17)),
        ("\"\"", .string("")),
        ("\"abc\"", .string("abc")),
        ("[]", .array([])),
        ("{}", .object(JSONObject())),
        (" \t\r\n [ 1 , \"a\" , null ] \n", .array([.int(1), .string("a"), .null])),
        ("{\"a\":{\"b\":[true,{\"c\":null}]}}", ["a": ["b": [true, ["c": .null] as JSONValue]] as JSONValue] as JSONValue),
    ])
    func validDocuments(text: String, expected: JSONValue) throws {
        #expect(try parse(text) == expected)
    }

    @Test("numbers keep their kind: integers stay integers, the rest are doubles", arguments: [
        ("7", JSONValue.int(7)),
        ("7.0", .double(7)),
        ("1.5", .double(1.5)),
        ("-1.5e3", .double(-1500)),
        ("1e2", .double(100)),
        ("1E+2", .double(100)),
        ("25e-1", .double(2.5)),
        ("0.1", .double(0.1)),
        ("9223372036854775807", .int(Int64.max)),
        ("-9223372036854775808", .int(Int64.min)),
        ("9223372036854775808", .double(9223372036854775808)),
        ("9007199254740993", .int(9_007_199_254_740_993)),
    ])
    func numberKinds(text: String, expected: JSONValue) throws {
        let value = try parse(text)
        #expect(value == expected)
        switch (value, expected) {
        case (.int, .int), (.double, .double): break
        default: Issue.record("\(text) parsed as \(value), of the wrong kind")
        }
    }

    @Test("invalid JSON is rejected", arguments: [
        "", " ", "{", "}", "[", "]", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":}", "{a:1}", "{'a':1}",
        "{1:2}", "tru", "nul", "fals", "True", "NULL", "\"abc", "[1 2]", "1 2", "{} {}", "[] x",
        "01", "-01", "1.", ".5", "+1", "-", "1e", "1e+", "0x10", "NaN", "Infinity", "-Infinity", "1e400", "-1e400",
        "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\\"", "\"a\tb\"", "\"a\nb\"", "\"\u{01}\"",
        "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\ud800x\"", "\"\\ud83d\\ud83d\"",
        "// comment\n1", "[1] // x", "/*x*/1",
    ])
    func invalidJSON(text: String) {
        #expect(parseError(utf8(text)) != nil, "accepted \(text.debugDescription)")
    }

    @Test("the error names the byte offset where parsing stopped")
    func errorOffset() {
        let error = parseError(utf8("[1,x]"))
        #expect(error?.offset == 3)
        #expect(error?.description.contains("at byte 3") == true)
    }

    @Test("nesting up to the limit parses; one deeper is an error; a hostile depth cannot crash")
    func nestingBound() throws {
        let depth = JSONParser.maximumDepth
        let deepest = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(throws: Never.self) { try parse(deepest) }
        let tooDeep = String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1)
        let error = parseError(utf8(tooDeep))
        #expect(error?.reason.contains("nesting") == true)
        let objects = String(repeating: "{\"a\":", count: depth + 1) + "1" + String(repeating: "}", count: depth + 1)
        #expect(parseError(utf8(objects)) != nil)
        // A million brackets: must fail fast, not overflow the stack.
        #expect(parseError([UInt8](repeating: UInt8(ascii: "["), count: 1_000_000)) != nil)
        #expect(parseError(utf8(String(repeating: "{\"a\":[", count: 200_000))) != nil)
    }

    @Test("invalid UTF-8 is rejected, inside and outside strings", arguments: [
        [0x22, 0xFF, 0x22],  // a byte that never appears in UTF-8
        [0x22, 0xC0, 0xAF, 0x22],  // overlong "/"
        [0x22, 0xE2, 0x82, 0x22],  // truncated sequence
        [0x22, 0xED, 0xA0, 0x80, 0x22],  // an encoded surrogate
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // beyond U+10FFFF
        [0x22, 0x80, 0x22],  // a lone continuation byte
        [0x22, 0x5C, 0x6E, 0xFF, 0x22],  // after an escape (the slow path)
        [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D],  // in a member name
        [0xFF],
        [0xEF, 0xBB, 0xBF, 0x31],  // a byte-order mark is not JSON
    ] as [[UInt8]])
    func invalidUTF8(bytes: [UInt8]) {
        #expect(parseError(bytes) != nil)
    }

    @Test("valid multi-byte UTF-8 passes through, raw")
    func validUTF8() throws {
        #expect(try parse("\"caffè ☕ 😀 日本\"") == .string("caffè ☕ 😀 日本"))
        #expect(try parse("{\"città\":\"Città di Castello\"}") == ["città": "Città di Castello"])
    }

    @Test("escapes decode, surrogate pairs combine", arguments: [
        ("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\u{08}\u{0C}\n\r\t"),
        ("\"\\u0041\\u00e9\\u00E9\"", "Aéé"),
        ("\"\\u0000\"", "\u{0}"),
        ("\"\\u20ac\"", "€"),
        ("\"\\ud83d\\ude00\"", "😀"),
        ("\"\\uD834\\uDD1E\"", "𝄞"),
        ("\"a\\nb😀c\"", "a\nb😀c"),
        ("\"\\uffff\"", "\u{FFFF}"),
    ])
    func escapes(text: String, expected: String) throws {
        #expect(try parse(text) == .string(expected))
    }

    @Test("a repeated member name is an error, at any depth", arguments: [
        "{\"a\":1,\"a\":2}",
        "{\"a\":1,\"b\":2,\"a\":1}",
        "{\"x\":{\"id\":1,\"id\":1}}",
        "[{\"k\":null,\"k\":null}]",
        "{\"a\":1,\"\\u0061\":2}",  // the same name, spelled with an escape
    ])
    func repeatedMemberNames(text: String) {
        let error = parseError(utf8(text))
        #expect(error?.reason.contains("repeated member name") == true, "\(text): \(String(describing: error))")
    }

    @Test("object members keep their order")
    func memberOrder() throws {
        guard case .object(let object) = try parse("{\"b\":1,\"a\":2,\"c\":3}") else {
            Issue.record("not an object")
            return
        }
        #expect(object.keys == ["b", "a", "c"])
    }
}
