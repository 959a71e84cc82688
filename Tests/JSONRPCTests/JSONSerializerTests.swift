import JSONRPC
import Testing
import SportelloTestSupport

@Suite("JSONSerializer")
struct JSONSerializerTests {
    func text(_ value: JSONValue) -> String { String(decoding: JSONSerializer.serialize(value), as: UTF8.self) }

    @Test("compact output with members in order", arguments: [
        (JSONValue.null, "null"),
        (.bool(true), "true"),
        (.int(7), "7"),
        (.int(-7), "-7"),
        (.int(0), "0"),
        (.int(Int64.min), "-9223372036854775808"),
        (.double(1.5), "1.5"),
        (.string("a\"b\\c"), "\"a\\\"b\\\\c\""),
        (.array([1, "x", .null]), "[1,\"x\",null]"),
        (["b": 1, "a": [true]] as JSONValue, "{\"b\":1,\"a\":[true]}"),
    ])
    func compact(value: JSONValue, expected: String) {
        #expect(text(value) == expected)
    }

    @Test("an integral double stays a double through a round trip; an int stays an int")
    func numberKindsRoundTrip() throws {
        for value: JSONValue in [.double(7), .double(-0.0), .double(1e300), .double(.leastNonzeroMagnitude), .int(7), .int(Int64.max)] {
            let back = try JSONParser.parse(JSONSerializer.serialize(value))
            #expect(back == value)
            switch (value, back) {
            case (.int, .int), (.double, .double): break
            default: Issue.record("\(value) came back as \(back)")
            }
        }
    }

    @Test("every control character is escaped; no byte below 0x20 (no newline) is ever written")
    func controlCharacters() throws {
        let all = String(decoding: (0..<0x20).map { UInt8($0) }, as: UTF8.self)
        let value: JSONValue = ["text\nkey\r": .string(all + "\u{2028}\u{2029}\u{7F}"), "list": [.string("\n\n")]]
        let bytes = JSONSerializer.serialize(value)
        #expect(!bytes.contains { $0 < 0x20 }, "raw control byte in \(String(decoding: bytes, as: UTF8.self))")
        #expect(try JSONParser.parse(bytes) == value)
        let written = String(decoding: bytes, as: UTF8.self)
        #expect(written.contains("\\n"))
        #expect(written.contains("\\u0000"))
        #expect(written.contains("\\u001f"))
        #expect(written.contains("\\t"))
    }

    @Test("non-ASCII text is written as raw UTF-8, not escaped")
    func nonASCII() {
        let bytes = JSONSerializer.serialize(.string("caffè ☕ 😀"))
        #expect(bytes == Array("\"caffè ☕ 😀\"".utf8))
        #expect(!String(decoding: bytes, as: UTF8.self).contains("\\u"))
    }

    @Test("random values survive serialize → parse unchanged, always on one line")
    func randomRoundTrips() throws {
        var generator = SeededGenerator(seed: 0x5EED_2026)
        for _ in 0..<500 {
            let value = randomValue(depth: 0, using: &generator)
            let bytes = JSONSerializer.serialize(value)
            #expect(!bytes.contains(0x0A) && !bytes.contains(0x0D))
            let back = try JSONParser.parse(bytes)
            #expect(back == value, "\(value)")
            #expect(JSONSerializer.serialize(back) == bytes)
        }
    }

    func randomValue(depth: Int, using generator: inout SeededGenerator) -> JSONValue {
        let choice = Int.random(in: 0..<(depth > 4 ? 6 : 8), using: &generator)
        switch choice {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .int(Int64.random(in: Int64.min...Int64.max, using: &generator))
        case 3:
            let bits = UInt64.random(in: 0...UInt64.max, using: &generator)
            let double = Double(bitPattern: bits)
            return .double(double.isFinite ? double : Double.random(in: -1e6...1e6, using: &generator))
        case 4, 5: return .string(randomString(using: &generator))
        case 6:
            return .array((0..<Int.random(in: 0..<5, using: &generator)).map { _ in randomValue(depth: depth + 1, using: &generator) })
        default:
            var object = JSONObject()
            for _ in 0..<Int.random(in: 0..<5, using: &generator) {
                object[randomString(using: &generator)] = randomValue(depth: depth + 1, using: &generator)
            }
            return .object(object)
        }
    }

    func randomString(using generator: inout SeededGenerator) -> String {
        var scalars = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0..<12, using: &generator) {
            let range: ClosedRange<UInt32> = [0...0x7F, 0...0x1F, 0x80...0x7FF, 0x800...0xFFFF, 0x10000...0x10FFFF]
                .randomElement(using: &generator)!
            if let scalar = Unicode.Scalar(UInt32.random(in: range, using: &generator)) { scalars.append(scalar) }
        }
        return String(scalars)
    }
}
