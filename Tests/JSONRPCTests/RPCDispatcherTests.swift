import JSONRPC
import Synchronization
import Testing

/// What the test methods see of their caller.
struct TestContext: Sendable {
    var user: String
}

/// Counts calls and records what the dispatcher reports, across tasks.
final class Recorder: Sendable {
    private let state = Mutex<(calls: [String], reports: [String])>(([], []))
    func called(_ method: String) { state.withLock { $0.calls.append(method) } }
    func reported(_ method: String, _ error: any Error) { state.withLock { $0.reports.append("\(method): \(error)") } }
    var calls: [String] { state.withLock { $0.calls } }
    var reports: [String] { state.withLock { $0.reports } }
}

private enum Echo: RPCMethod {
    static let name = "test.echo"
    struct Params: Decodable, Sendable {
        var value: JSONValue?
        var count: Int?
    }
    typealias Result = JSONValue
}

private enum WhoAmI: RPCMethod {
    static let name = "test.whoami"
    struct Result: Encodable, Sendable { var user: String }
}

private enum FailRPC: RPCMethod {
    static let name = "test.failRPC"
    typealias Result = JSONValue
}

private enum FailOther: RPCMethod {
    static let name = "test.failOther"
    typealias Result = JSONValue
}

private enum FailConvertible: RPCMethod {
    static let name = "test.failConvertible"
    typealias Result = JSONValue
}

private enum InlineAdd: RPCMethod {
    static let name = "test.add"
    struct Params: Decodable, Sendable {
        var a: Int
        var b: Int
    }
    struct Result: Encodable, Sendable { var sum: Int }
}

private enum InlineFail: RPCMethod {
    static let name = "test.inlineFail"
    typealias Result = JSONValue
}

private enum Constant: RPCMethod {
    static let name = "test.constant"
    typealias Result = JSONValue
}

private enum NotAnObject: RPCMethod {
    static let name = "test.notAnObject"
    typealias Result = JSONValue
}

private struct DiskOnFire: Error {}

private struct ReadOnlyStore: RPCErrorConvertible {
    var rpcError: RPCError { RPCError(code: -32603, message: "Internal error", data: ["reason": "the database is read-only"]) }
}

private let domainError = RPCError(code: -32006, message: "Rejected by a domain rule", data: ["rule": "office hours", "field": "params.at"])

private func makeDispatcher(maximumBatchSize: Int = 100) -> (RPCDispatcher<TestContext>, Recorder) {
    let recorder = Recorder()
    var registry = MethodRegistry<TestContext>()
    registry.register(Echo.self) { params, _ in
        recorder.called(Echo.name)
        return ["value": params.value ?? .null]
    }
    registry.register(WhoAmI.self) { _, context in
        recorder.called(WhoAmI.name)
        return WhoAmI.Result(user: context.user)
    }
    registry.register(FailRPC.self) { _, _ in
        recorder.called(FailRPC.name)
        throw domainError
    }
    registry.register(FailOther.self) { _, _ in
        recorder.called(FailOther.name)
        throw DiskOnFire()
    }
    registry.register(FailConvertible.self) { _, _ in
        recorder.called(FailConvertible.name)
        throw ReadOnlyStore()
    }
    registry.register(NotAnObject.self) { _, _ in
        recorder.called(NotAnObject.name)
        return .int(1)
    }
    registry.registerInline(InlineAdd.self) { params, _ in
        recorder.called(InlineAdd.name)
        return InlineAdd.Result(sum: params.a + params.b)
    }
    registry.registerInline(InlineFail.self) { _, _ in
        recorder.called(InlineFail.name)
        throw DiskOnFire()
    }
    registry.registerConstant(Constant.self, result: ["document": "big", "list": [1, 2.5, "é\u{0}"]])
    let dispatcher = RPCDispatcher(registry: registry, maximumBatchSize: maximumBatchSize) { method, error in
        recorder.reported(method, error)
    }
    return (dispatcher, recorder)
}

/// A reply: its raw text and its parsed value.
private struct Reply: Equatable {
    var raw: String
    var value: JSONValue
}

/// One call through the dispatcher: the reply, or nil when nothing is sent back.
private func send(
    _ text: String, to dispatcher: RPCDispatcher<TestContext>, rejection: RPCError? = nil
) async throws -> Reply? {
    try await send(bytes: utf8(text), to: dispatcher, rejection: rejection)
}

private func send(
    bytes: [UInt8], to dispatcher: RPCDispatcher<TestContext>, rejection: RPCError? = nil
) async throws -> Reply? {
    guard let reply = await dispatcher.handle(message: bytes, context: TestContext(user: "ada"), rejection: rejection) else {
        return nil
    }
    #expect(!reply.contains(0x0A), "a reply must fit on one line")
    return Reply(raw: String(decoding: reply, as: UTF8.self), value: try JSONParser.parse(reply))
}

private func code(_ reply: JSONValue) -> Int64? {
    if case .int(let code)? = reply["error"]?["code"] { return code }
    return nil
}

@Suite("RPCDispatcher")
struct RPCDispatcherTests {
    @Test("a request gets its result, with the connection's context")
    func result() async throws {
        let (dispatcher, _) = makeDispatcher()
        let reply = try #require(try await send(#"{"jsonrpc":"2.0","id":1,"method":"test.whoami"}"#, to: dispatcher))
        #expect(reply.value == ["jsonrpc": "2.0", "id": 1, "result": ["user": "ada"]])
        #expect(reply.raw == #"{"jsonrpc":"2.0","id":1,"result":{"user":"ada"}}"#)
    }

    @Test("ids are echoed with their exact type", arguments: [
        (#""abc""#, JSONValue.string("abc")),
        (#""""#, .string("")),
        (#""é😀""#, .string("é😀")),
        ("7", .int(7)),
        ("-3", .int(-3)),
        ("0", .int(0)),
        ("9007199254740993", .int(9_007_199_254_740_993)),
        ("1.5", .double(1.5)),
        ("2.0", .double(2)),
        ("null", .null),
    ])
    func idsEchoed(idText: String, id: JSONValue) async throws {
        let (dispatcher, _) = makeDispatcher()
        let reply = try #require(
            try await send(#"{"jsonrpc":"2.0","id":\#(idText),"method":"test.echo","params":{"value":1}}"#, to: dispatcher))
        #expect(reply.value["id"] == id)
        // The exact text: 7 stays 7 (not 7.0), 2.0 stays a double.
        let written = String(decoding: JSONSerializer.serialize(id), as: UTF8.self)
        #expect(reply.raw.contains(#""id":\#(written),"#), "\(reply.raw)")
        switch (reply.value["id"], id) {
        case (.int?, .int), (.double?, .double), (.string?, .string), (.null?, .null): break
        default: Issue.record("id \(idText) echoed as \(String(describing: reply.value["id"]))")
        }
        // Errors echo the id the same way.
        let error = try #require(try await send(#"{"jsonrpc":"2.0","id":\#(idText),"method":"nope"}"#, to: dispatcher))
        #expect(error.value["id"] == id)
        #expect(code(error.value) == -32601)
    }

    @Test("notifications are run but never answered, even when they fail", arguments: [
        #"{"jsonrpc":"2.0","method":"test.echo","params":{"value":1}}"#,
        #"{"jsonrpc":"2.0","method":"test.echo","params":{"unknown":1}}"#,
        #"{"jsonrpc":"2.0","method":"test.echo","params":[1,2]}"#,
        #"{"jsonrpc":"2.0","method":"no.such.method"}"#,
        #"{"jsonrpc":"2.0","method":"test.failRPC"}"#,
        #"{"jsonrpc":"2.0","method":"test.failOther"}"#,
        #"{"jsonrpc":"2.0","method":"test.failConvertible"}"#,
        #"{"jsonrpc":"2.0","method":"test.notAnObject"}"#,
    ])
    func notificationsNeverAnswered(text: String) async throws {
        let (dispatcher, _) = makeDispatcher()
        let reply = try await send(text, to: dispatcher)
        #expect(reply == nil, "answered a notification: \(reply?.raw ?? "")")
    }

    @Test("a notification runs its handler")
    func notificationRuns() async throws {
        let (dispatcher, recorder) = makeDispatcher()
        #expect(try await send(#"{"jsonrpc":"2.0","method":"test.whoami"}"#, to: dispatcher) == nil)
        #expect(recorder.calls == ["test.whoami"])
    }

    @Test("a notification whose handler fails unexpectedly is still reported (logged)")
    func failingNotificationReported() async throws {
        let (dispatcher, recorder) = makeDispatcher()
        #expect(try await send(#"{"jsonrpc":"2.0","method":"test.failOther"}"#, to: dispatcher) == nil)
        #expect(recorder.reports.count == 1)
        #expect(recorder.reports.first?.hasPrefix("test.failOther") == true)
    }

    @Test("an empty batch is one -32600, not an array")
    func emptyBatch() async throws {
        let (dispatcher, _) = makeDispatcher()
        let reply = try #require(try await send("[]", to: dispatcher))
        #expect(code(reply.value) == -32600)
        #expect(reply.value["id"] == .null)
    }

    @Test("a batch of non-requests gets one -32600 per entry")
    func batchOfScalars() async throws {
        let (dispatcher, _) = makeDispatcher()
        let reply = try #require(try await send("[1,2,3]", to: dispatcher))
        guard case .array(let entries) = reply.value else {
            Issue.record("not an array: \(reply.raw)")
            return
        }
        #expect(entries.count == 3)
        for entry in entries {
            #expect(code(entry) == -32600)
            #expect(entry["id"] == .null)
        }
    }

    @Test("a mixed batch answers each request once, notifications not at all")
    func mixedBatch() async throws {
        let (dispatcher, recorder) = makeDispatcher()
        let batch = """
            [{"jsonrpc":"2.0","id":"a","method":"test.echo","params":{"value":"A"}},
             {"jsonrpc":"2.0","method":"test.echo","params":{"value":"silent"}},
             {"jsonrpc":"2.0","id":2,"method":"no.such"},
             {"jsonrpc":"2.0","method":"no.such"},
             {"jsonrpc":"2.0","id":3,"method":"test.failRPC"},
             {"jsonrpc":"2.0","method":"test.failOther"},
             {"foo":"bar"},
             {"jsonrpc":"2.0","id":4.5,"method":"test.whoami"}]
            """
        let reply = try #require(try await send(batch, to: dispatcher))
        guard case .array(let entries) = reply.value else {
            Issue.record("not an array: \(reply.raw)")
            return
        }
        #expect(entries.count == 5)
        var byID: [JSONValue: JSONValue] = [:]
        var nullIDs = 0
        for entry in entries {
            let id = entry["id"] ?? .null
            if id == .null { nullIDs += 1 } else { #expect(byID.updateValue(entry, forKey: id) == nil, "id \(id) answered twice") }
        }
        #expect(byID["a"]?["result"] == ["value": "A"])
        #expect(byID[2].flatMap(code) == -32601)
        #expect(byID[3].flatMap(code) == -32006)
        #expect(byID[4.5]?["result"] == ["user": "ada"])
        #expect(nullIDs == 1)  // {"foo":"bar"}
        #expect(Set(recorder.calls) == ["test.echo", "test.failRPC", "test.failOther", "test.whoami"])
        #expect(recorder.calls.count == 5)
    }

    @Test("a batch of notifications only gets no reply at all")
    func allNotificationBatch() async throws {
        let (dispatcher, recorder) = makeDispatcher()
        let batch = #"[{"jsonrpc":"2.0","method":"test.echo"},{"jsonrpc":"2.0","method":"no.such"},{"jsonrpc":"2.0","method":"test.whoami"}]"#
        #expect(try await send(batch, to: dispatcher) == nil)
        #expect(recorder.calls.count == 2)
    }

    @Test("a batch over the limit is refused whole with one -32600; at the limit it runs")
    func batchLimit() async throws {
        let (dispatcher, recorder) = makeDispatcher(maximumBatchSize: 3)
        func batch(_ count: Int) -> String {
            "[" + (0..<count).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"test.echo"}"# }.joined(separator: ",") + "]"
        }
        let refused = try #require(try await send(batch(4), to: dispatcher))
        #expect(code(refused.value) == -32600)
        #expect(refused.value["error"]?["data"]?["limit"] == 3)
        #expect(recorder.calls.isEmpty)
        let accepted = try #require(try await send(batch(3), to: dispatcher))
        guard case .array(let entries) = accepted.value else {
            Issue.record("not an array")
            return
        }
        #expect(entries.count == 3)
        #expect(Set(entries.compactMap { $0["id"] }) == [0, 1, 2])
    }

    @Test("the default batch limit is 100")
    func defaultBatchLimit() async throws {
        let (dispatcher, _) = makeDispatcher()
        let entries = (0..<101).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"test.echo"}"# }
        let reply = try #require(try await send("[" + entries.joined(separator: ",") + "]", to: dispatcher))
        #expect(code(reply.value) == -32600)
        let fine = try #require(try await send("[" + entries.dropLast().joined(separator: ",") + "]", to: dispatcher))
        if case .array(let replies) = fine.value { #expect(replies.count == 100) } else { Issue.record("not an array") }
    }

    @Test("invalid requests get -32600", arguments: [
        ("1", JSONValue.null),
        (#""x""#, .null),
        ("null", .null),
        ("true", .null),
        ("{}", .null),
        (#"{"jsonrpc":"1.0","id":1,"method":"test.echo"}"#, 1),
        (#"{"jsonrpc":2.0,"id":1,"method":"test.echo"}"#, 1),
        (#"{"id":1,"method":"test.echo"}"#, 1),
        (#"{"jsonrpc":"2.0","id":1}"#, 1),
        (#"{"jsonrpc":"2.0","id":1,"method":7}"#, 1),
        (#"{"jsonrpc":"2.0","id":1,"method":null}"#, 1),
        (#"{"jsonrpc":"2.0","id":{"a":1},"method":"test.echo"}"#, .null),
        (#"{"jsonrpc":"2.0","id":[1],"method":"test.echo"}"#, .null),
        (#"{"jsonrpc":"2.0","id":true,"method":"test.echo"}"#, .null),
        (#"{"jsonrpc":"2.0","id":1,"method":"test.echo","params":"x"}"#, 1),
        (#"{"jsonrpc":"2.0","id":1,"method":"test.echo","params":5}"#, 1),
        (#"{"jsonrpc":"2.0","id":1,"method":"test.echo","params":true}"#, 1),
        (#"{"jsonrpc":"2.0","id":1,"method":"test.echo","params":null}"#, 1),
        (#"{"jsonrpc":"2.0","method":1,"params":"bar"}"#, .null),
    ])
    func invalidRequests(text: String, id: JSONValue) async throws {
        let (dispatcher, recorder) = makeDispatcher()
        let reply = try #require(try await send(text, to: dispatcher))
        #expect(code(reply.value) == -32600, "\(reply.raw)")
        #expect(reply.value["id"] == id)
        #expect(reply.value["error"]?["data"]?["reason"] != nil)
        #expect(recorder.calls.isEmpty)
    }

    @Test("params given by position get -32602 naming params")
    func paramsArray() async throws {
        let (dispatcher, recorder) = makeDispatcher()
        let reply = try #require(try await send(#"{"jsonrpc":"2.0","id":9,"method":"test.echo","params":[1]}"#, to: dispatcher))
        #expect(code(reply.value) == -32602)
        #expect(reply.value["id"] == 9)
        #expect(reply.value["error"]?["data"]?["field"] == "params")
        #expect(recorder.calls.isEmpty)
    }

    @Test("params the method does not take get -32602 naming the field", arguments: [
        (#"{"x":1}"#, "params.x"),
        (#"{"value":1,"count":"two"}"#, "params.count"),
        (#"{"count":1.5}"#, "params.count"),
        (#"{"count":99999999999999999999}"#, "params.count"),
    ])
    func invalidParams(params: String, field: String) async throws {
        let (dispatcher, recorder) = makeDispatcher()
        let reply = try #require(
            try await send(#"{"jsonrpc":"2.0","id":1,"method":"test.echo","params":\#(params)}"#, to: dispatcher))
        #expect(code(reply.value) == -32602, "\(reply.raw)")
        #expect(reply.value["error"]?["data"]?["field"] == .string(field))
        #expect(recorder.calls.isEmpty)
        let empty = try #require(try await send(#"{"jsonrpc":"2.0","id":1,"method":"test.whoami","params":{"x":1}}"#, to: dispatcher))
        #expect(empty.value["error"]?["data"]?["field"] == "params.x")
    }

    @Test("an unknown method gets -32601 naming it")
    func unknownMethod() async throws {
        let (dispatcher, _) = makeDispatcher()
        let reply = try #require(try await send(#"{"jsonrpc":"2.0","id":"q","method":"ticket.explode"}"#, to: dispatcher))
        #expect(code(reply.value) == -32601)
        #expect(reply.value["id"] == "q")
        #expect(reply.value["error"]?["data"]?["method"] == "ticket.explode")
    }

    @Test("an RPCError thrown by a handler passes through unchanged, unreported")
    func rpcErrorPassesThrough() async throws {
        let (dispatcher, recorder) = makeDispatcher()
        let reply = try #require(try await send(#"{"jsonrpc":"2.0","id":1,"method":"test.failRPC"}"#, to: dispatcher))
        #expect(reply.value["error"] == domainError.json)
        #expect(recorder.reports.isEmpty)
    }

    @Test("an error that converts itself is answered as it says; a server-side (-32603) one is still reported")
    func convertibleErrors() async throws {
        let (dispatcher, recorder) = makeDispatcher()
        let converted = try #require(try await send(#"{"jsonrpc":"2.0","id":2,"method":"test.failConvertible"}"#, to: dispatcher))
        #expect(converted.value["error"] == ReadOnlyStore().rpcError.json)
        #expect(recorder.reports.count == 1)
        #expect(recorder.reports.first?.hasPrefix("test.failConvertible") == true)
    }

    @Test("any other error is -32603, with the report hook told")
    func otherErrorsAreInternal() async throws {
        let (dispatcher, recorder) = makeDispatcher()
        let reply = try #require(try await send(#"{"jsonrpc":"2.0","id":1,"method":"test.failOther"}"#, to: dispatcher))
        #expect(code(reply.value) == -32603)
        #expect(reply.value["id"] == 1)
        #expect(recorder.reports.count == 1)
        #expect(recorder.reports.first?.contains("DiskOnFire") == true)
        // The client never sees the internal error's text.
        #expect(!reply.raw.contains("DiskOnFire"))

        let scalar = try #require(try await send(#"{"jsonrpc":"2.0","id":2,"method":"test.notAnObject"}"#, to: dispatcher))
        #expect(code(scalar.value) == -32603)
        #expect(recorder.reports.count == 2)
    }

    @Test("invalid JSON gets -32700 with id null", arguments: [
        utf8("{"), utf8(#"{"jsonrpc":"2.0","id":1,"method":"test.echo""#), utf8("[1,]"), utf8(""),
        [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D],
        utf8(#"{"jsonrpc":"2.0","jsonrpc":"2.0","id":1,"method":"test.echo"}"#),
    ])
    func parseErrors(bytes: [UInt8]) async throws {
        let (dispatcher, recorder) = makeDispatcher()
        let reply = try #require(try await send(bytes: bytes, to: dispatcher))
        #expect(code(reply.value) == -32700)
        #expect(reply.value["id"] == .null)
        #expect(reply.value["error"]?["data"]?["reason"] != nil)
        #expect(recorder.calls.isEmpty)
    }

    @Test("while draining, requests get -32009 and notifications nothing; no handler runs")
    func rejection() async throws {
        let (dispatcher, recorder) = makeDispatcher()
        let reply = try #require(
            try await send(#"{"jsonrpc":"2.0","id":5,"method":"test.echo"}"#, to: dispatcher, rejection: .shuttingDown))
        #expect(code(reply.value) == -32009)
        #expect(reply.value["id"] == 5)
        #expect(try await send(#"{"jsonrpc":"2.0","method":"test.echo"}"#, to: dispatcher, rejection: .shuttingDown) == nil)
        let batch = try #require(try await send(
            #"[{"jsonrpc":"2.0","id":1,"method":"test.echo"},{"jsonrpc":"2.0","method":"test.echo"},{"jsonrpc":"2.0","id":2,"method":"test.whoami"}]"#,
            to: dispatcher, rejection: .shuttingDown))
        guard case .array(let entries) = batch.value else {
            Issue.record("not an array")
            return
        }
        #expect(entries.count == 2)
        #expect(entries.allSatisfy { code($0) == -32009 })
        #expect(Set(entries.compactMap { $0["id"] }) == [1, 2])
        #expect(recorder.calls.isEmpty)
    }

    // MARK: Inline and asynchronous dispatch

    private func step(_ text: String, _ dispatcher: RPCDispatcher<TestContext>, rejection: RPCError? = nil) -> DispatchStep {
        dispatcher.dispatch(message: utf8(text), context: TestContext(user: "ada"), rejection: rejection)
    }

    private func replyValue(_ bytes: [UInt8]?) throws -> JSONValue? {
        try bytes.map { try JSONParser.parse($0) }
    }

    @Test("inline methods, errors found before dispatch and notifications are answered without suspending", arguments: [
        #"{"jsonrpc":"2.0","id":1,"method":"test.add","params":{"a":2,"b":3}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"test.add","params":{"a":2}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"test.inlineFail"}"#,
        #"{"jsonrpc":"2.0","method":"test.add","params":{"a":2,"b":3}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"nope"}"#,
        #"{"jsonrpc":"2.0","method":"nope"}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"test.echo","params":[1]}"#,
        "{broken",
        "[]",
        "[1,2]",
        #"[{"jsonrpc":"2.0","id":1,"method":"test.add","params":{"a":1,"b":1}},{"jsonrpc":"2.0","id":2,"method":"nope"}]"#,
    ])
    func inlineSteps(text: String) {
        let (dispatcher, _) = makeDispatcher()
        guard case .reply = step(text, dispatcher) else {
            Issue.record("suspended for \(text)")
            return
        }
    }

    @Test("an inline method's result, error and notification")
    func inlineResults() throws {
        let (dispatcher, recorder) = makeDispatcher()
        guard case .reply(let sum) = step(#"{"jsonrpc":"2.0","id":"s","method":"test.add","params":{"a":2,"b":3}}"#, dispatcher) else {
            Issue.record("suspended")
            return
        }
        #expect(try replyValue(sum) == ["jsonrpc": "2.0", "id": "s", "result": ["sum": 5]])
        guard case .reply(let missing) = step(#"{"jsonrpc":"2.0","id":1,"method":"test.add","params":{"a":2}}"#, dispatcher) else {
            Issue.record("suspended")
            return
        }
        #expect(try replyValue(missing)?["error"]?["data"]?["field"] == "params.b")
        guard case .reply(let failed) = step(#"{"jsonrpc":"2.0","id":1,"method":"test.inlineFail"}"#, dispatcher) else {
            Issue.record("suspended")
            return
        }
        #expect(try replyValue(failed).flatMap(code) == -32603)
        #expect(recorder.reports.count == 1)
        guard case .reply(let silent) = step(#"{"jsonrpc":"2.0","method":"test.add","params":{"a":2,"b":3}}"#, dispatcher) else {
            Issue.record("suspended")
            return
        }
        #expect(silent == nil)
        #expect(recorder.calls == ["test.add", "test.inlineFail", "test.add"])
    }

    @Test("a message calling an asynchronous method suspends, and runs only when its work runs")
    func asynchronousSteps() async throws {
        let (dispatcher, recorder) = makeDispatcher()
        let batch = #"[{"jsonrpc":"2.0","id":1,"method":"test.add","params":{"a":1,"b":1}},{"jsonrpc":"2.0","id":2,"method":"test.whoami"}]"#
        guard case .suspend(let work) = step(batch, dispatcher) else {
            Issue.record("a batch with an asynchronous method was answered inline")
            return
        }
        #expect(recorder.calls.isEmpty, "nothing runs before the work is run")
        let reply = try #require(try replyValue(await work()))
        guard case .array(let entries) = reply else {
            Issue.record("not an array")
            return
        }
        #expect(entries.count == 2)
        #expect(Set(recorder.calls) == ["test.add", "test.whoami"])
        // Draining: the same batch is refused inline, and nothing runs.
        let (draining, drained) = makeDispatcher()
        guard case .reply(let refused) = step(batch, draining, rejection: .shuttingDown) else {
            Issue.record("suspended while draining")
            return
        }
        if case .array(let entries)? = try replyValue(refused) {
            #expect(entries.count == 2 && entries.allSatisfy { code($0) == -32009 })
        } else {
            Issue.record("not an array")
        }
        #expect(drained.calls.isEmpty)
    }
}

@Suite("Constant results")
struct ConstantResultTests {
    @Test("a constant result is answered inline with the bytes a rendered result would have, its params still checked")
    func constantResult() async throws {
        let (dispatcher, _) = makeDispatcher()
        guard case .reply(let bytes?) = dispatcher.dispatch(
            message: utf8(#"{"jsonrpc":"2.0","id":"c","method":"test.constant"}"#), context: TestContext(user: "ada"))
        else {
            Issue.record("a constant result must be answered inline")
            return
        }
        #expect(String(decoding: bytes, as: UTF8.self)
            == #"{"jsonrpc":"2.0","id":"c","result":{"document":"big","list":[1,2.5,"é\u0000"]}}"#)

        let unknown = try #require(try await send(#"{"jsonrpc":"2.0","id":7,"method":"test.constant","params":{"x":1}}"#, to: dispatcher))
        #expect(code(unknown.value) == -32602)
        #expect(try await send(#"{"jsonrpc":"2.0","method":"test.constant"}"#, to: dispatcher) == nil)

        let batch = try #require(try await send(
            #"[{"jsonrpc":"2.0","id":1,"method":"test.constant"},{"jsonrpc":"2.0","id":2,"method":"test.add","params":{"a":1,"b":2}}]"#,
            to: dispatcher))
        #expect(batch.raw == #"[{"jsonrpc":"2.0","id":1,"result":{"document":"big","list":[1,2.5,"é\u0000"]}},{"jsonrpc":"2.0","id":2,"result":{"sum":3}}]"#)
    }
}
