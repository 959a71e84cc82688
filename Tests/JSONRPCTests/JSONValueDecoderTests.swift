import JSONRPC
import Testing

private struct Duration: Decodable, Equatable {
    var minutes: Int
}

private struct Item: Decodable, Equatable {
    var sku: String
    var quantity: Int
}

private enum Kind: String, Decodable, Equatable {
    case incident, request
}

private struct OpenParams: Decodable, Equatable {
    var title: String
    var duration: Duration
    var kind: Kind?
    var tags: [String]?
    var items: [Item]?
    var limit: Int32?
    var ratio: Double?
    var urgent: Bool?
    var extra: JSONValue?
}

private struct SmallIntegers: Decodable, Equatable {
    var a: UInt8?
    var b: Int16?
    var c: UInt32?
    var d: Int8?
    var e: UInt16?
}

@Suite("JSONValueDecoder (strict params)")
struct JSONValueDecoderTests {
    private func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONValueDecoder().decode(type, from: try parse(text))
    }

    /// The error decoding `text` as `OpenParams` (nil if it decoded).
    private func failure<T: Decodable>(_ type: T.Type = OpenParams.self, _ text: String) throws -> ParamsError? {
        let value = try parse(text)
        do {
            _ = try JSONValueDecoder().decode(type, from: value)
            return nil
        } catch {
            return error
        }
    }

    @Test("a valid params object decodes, optionals absent or null")
    func decodesValid() throws {
        let params = try decode(
            OpenParams.self,
            #"{"title":"x","duration":{"minutes":90},"kind":"incident","tags":["a","b"],"items":[{"sku":"k","quantity":2}],"limit":5,"ratio":1,"urgent":true,"extra":{"free":[1,"form"]}}"#)
        #expect(params.title == "x")
        #expect(params.duration == Duration(minutes: 90))
        #expect(params.kind == .incident)
        #expect(params.tags == ["a", "b"])
        #expect(params.items == [Item(sku: "k", quantity: 2)])
        #expect(params.limit == 5)
        #expect(params.ratio == 1.0)
        #expect(params.urgent == true)
        #expect(params.extra == ["free": [1, "form"]])

        let minimal = try decode(OpenParams.self, #"{"title":"x","duration":{"minutes":1},"tags":null,"limit":null}"#)
        #expect(minimal.tags == nil && minimal.limit == nil && minimal.kind == nil)
    }

    @Test("failures name the field by its path", arguments: [
        // unknown params, at the top, nested, and inside array elements
        (#"{"title":"x","duration":{"minutes":1},"x":1}"#, "params.x", "unknown param"),
        (#"{"title":"x","duration":{"minutes":1,"hours":2}}"#, "params.duration.hours", "unknown param"),
        (#"{"title":"x","duration":{"minutes":1},"items":[{"sku":"a","quantity":1},{"sku":"b","quantity":1,"price":3}]}"#,
         "params.items[1].price", "unknown param"),
        // missing required
        (#"{"duration":{"minutes":1}}"#, "params.title", "missing required"),
        (#"{"title":"x"}"#, "params.duration", "missing required"),
        (#"{"title":"x","duration":{}}"#, "params.duration.minutes", "missing required"),
        (#"{"title":"x","duration":{"minutes":1},"items":[{"sku":"a"}]}"#, "params.items[0].quantity", "missing required"),
        // type mismatches
        (#"{"title":1,"duration":{"minutes":1}}"#, "params.title", "string"),
        (#"{"title":"x","duration":{"minutes":"ten"}}"#, "params.duration.minutes", "integer"),
        (#"{"title":"x","duration":{"minutes":1.5}}"#, "params.duration.minutes", "integer"),
        (#"{"title":"x","duration":5}"#, "params.duration", "object"),
        (#"{"title":"x","duration":[1]}"#, "params.duration", "object"),
        (#"{"title":"x","duration":{"minutes":1},"tags":"a"}"#, "params.tags", "array"),
        (#"{"title":"x","duration":{"minutes":1},"tags":["a",2]}"#, "params.tags[1]", "string"),
        (#"{"title":"x","duration":{"minutes":1},"urgent":1}"#, "params.urgent", "boolean"),
        (#"{"title":"x","duration":{"minutes":1},"ratio":"1"}"#, "params.ratio", "number"),
        (#"{"title":"x","duration":{"minutes":1},"kind":"bogus"}"#, "params.kind", ""),
        (#"{"title":null,"duration":{"minutes":1}}"#, "params.title", "null"),
        // integers out of range
        (#"{"title":"x","duration":{"minutes":1},"limit":2147483648}"#, "params.limit", "out of range"),
        (#"{"title":"x","duration":{"minutes":1},"limit":-2147483649}"#, "params.limit", "out of range"),
        (#"{"title":"x","duration":{"minutes":1e30}}"#, "params.duration.minutes", "integer"),
    ])
    func failurePaths(text: String, field: String, reason: String) throws {
        let error = try #require(try failure(OpenParams.self, text), "decoded \(text)")
        #expect(error.field == field)
        #expect(reason.isEmpty || error.reason.contains(reason), "reason: \(error.reason)")
    }

    @Test("the unknown-param error lists what is expected")
    func unknownParamListsExpected() throws {
        let error = try #require(try failure(Duration.self, #"{"minutes":1,"hours":1}"#))
        #expect(error.field == "params.hours")
        #expect(error.reason.contains("minutes"))
    }

    @Test("an integral double is accepted for an integer; a non-object root is a params error")
    func edgeCases() throws {
        #expect(try decode(Duration.self, #"{"minutes":2.0}"#) == Duration(minutes: 2))
        #expect(try decode(Duration.self, #"{"minutes":1e3}"#) == Duration(minutes: 1000))
        let root = try #require(try failure(Duration.self, "[1]"))
        #expect(root.field == "params")
    }

    @Test("EmptyParams accepts {} and rejects any member")
    func emptyParams() throws {
        _ = try decode(EmptyParams.self, "{}")
        let error = try #require(try failure(EmptyParams.self, #"{"x":1}"#))
        #expect(error.field == "params.x")
        #expect(error.reason.contains("unknown param"))
    }

    @Test("a custom root path prefixes every field")
    func rootPath() throws {
        let value = try parse(#"{"minutes":"x"}"#)
        do {
            _ = try JSONValueDecoder(rootPath: "filter").decode(Duration.self, from: value)
            Issue.record("decoded")
        } catch {
            #expect(error.field == "filter.minutes")
        }
    }

    @Test("integer types of every width decode, range-checked")
    func everyIntegerWidth() throws {
        let value = try decode(SmallIntegers.self, #"{"a":255,"b":-32768,"c":4294967295,"d":-128,"e":65535}"#)
        #expect(value == SmallIntegers(a: 255, b: -32768, c: 4_294_967_295, d: -128, e: 65535))
        let error = try #require(try failure(SmallIntegers.self, #"{"a":256}"#))
        #expect(error.field == "params.a")
        let negative = try #require(try failure(SmallIntegers.self, #"{"c":-1}"#))
        #expect(negative.field == "params.c")
    }
}
