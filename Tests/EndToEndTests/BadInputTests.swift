import Foundation
import Testing

/// One malformed or unusual message and what the server must answer.
struct BadInputCase: Sendable, CustomTestStringConvertible {
    enum Expected: Sendable {
        /// One error object with this code; `id` is the raw id text expected (nil: not checked).
        case error(Int, id: String?, field: String? = nil)
        /// A batch reply: one entry per code.
        case batch([Int])
        /// Nothing at all (the next reply is the follow-up ping's).
        case nothing
    }

    var name: String
    var bytes: [UInt8]
    var expected: Expected
    var testDescription: String { name }

    init(_ name: String, _ text: String, _ expected: Expected) {
        self.init(name, Array(text.utf8), expected)
    }

    init(_ name: String, _ bytes: [UInt8], _ expected: Expected) {
        self.name = name
        self.bytes = bytes
        self.expected = expected
    }
}

let badInputCases: [BadInputCase] = [
    BadInputCase("invalid JSON", #"{"jsonrpc":"2.0","id":1,"method":"#, .error(-32700, id: "null")),
    BadInputCase("garbage", "hello world", .error(-32700, id: "null")),
    BadInputCase("a NUL byte", [0x7B, 0x00, 0x7D], .error(-32700, id: "null")),
    BadInputCase("trailing data", #"{"jsonrpc":"2.0","id":1,"method":"server.ping"} x"#, .error(-32700, id: "null")),
    BadInputCase("repeated member", #"{"jsonrpc":"2.0","id":1,"id":2,"method":"server.ping"}"#, .error(-32700, id: "null")),
    BadInputCase("hostile nesting", String(repeating: "[", count: 100_000), .error(-32700, id: "null")),
    BadInputCase("the number 1", "1", .error(-32600, id: "null")),
    BadInputCase("a string", #""x""#, .error(-32600, id: "null")),
    BadInputCase("null", "null", .error(-32600, id: "null")),
    BadInputCase("an empty object", "{}", .error(-32600, id: "null")),
    BadInputCase("jsonrpc 1.0", #"{"jsonrpc":"1.0","id":1,"method":"server.ping"}"#, .error(-32600, id: "1")),
    BadInputCase("jsonrpc missing", #"{"id":1,"method":"server.ping"}"#, .error(-32600, id: "1")),
    BadInputCase("an object id", #"{"jsonrpc":"2.0","id":{"a":1},"method":"server.ping"}"#, .error(-32600, id: "null")),
    BadInputCase("an array id", #"{"jsonrpc":"2.0","id":[1],"method":"server.ping"}"#, .error(-32600, id: "null")),
    BadInputCase("a missing method", #"{"jsonrpc":"2.0","id":1}"#, .error(-32600, id: "1")),
    BadInputCase("a method that is not a string", #"{"jsonrpc":"2.0","id":1,"method":42}"#, .error(-32600, id: "1")),
    BadInputCase("scalar params", #"{"jsonrpc":"2.0","id":1,"method":"server.ping","params":3}"#, .error(-32600, id: "1")),
    BadInputCase("an empty batch", "[]", .error(-32600, id: "null")),
    BadInputCase("a batch of numbers", "[1,2,3]", .batch([-32600, -32600, -32600])),
    BadInputCase(
        "a batch over 100 entries", "[" + (0..<101).map { pingRequest(id: $0) }.joined(separator: ",") + "]",
        .error(-32600, id: "null")),
    BadInputCase(
        "a mixed batch",
        #"[{"jsonrpc":"2.0","id":1,"method":"server.ping"},{"jsonrpc":"2.0","method":"server.ping"},{"jsonrpc":"2.0","id":2,"method":"nope"},5]"#,
        .batch([0, -32601, -32600])),
    BadInputCase("an unknown method", #"{"jsonrpc":"2.0","id":"u","method":"ticket.explode"}"#, .error(-32601, id: #""u""#)),
    BadInputCase("params by position", #"{"jsonrpc":"2.0","id":1,"method":"server.ping","params":[1]}"#, .error(-32602, id: "1", field: "params")),
    BadInputCase("an unknown param", #"{"jsonrpc":"2.0","id":1,"method":"server.ping","params":{"x":1}}"#, .error(-32602, id: "1", field: "params.x")),
    BadInputCase("an unknown param of server.info", #"{"jsonrpc":"2.0","id":1,"method":"server.info","params":{"verbose":true}}"#, .error(-32602, id: "1", field: "params.verbose")),
    BadInputCase(
        "invalid UTF-8 in a string",
        Array(#"{"jsonrpc":"2.0","id":1,"method":"server.ping","params":{"x":""#.utf8) + [0xC3, 0x28, 0xFF] + Array(#""}}"#.utf8),
        .error(-32700, id: "null")),
    BadInputCase(
        "invalid UTF-8 in the method name",
        Array(#"{"jsonrpc":"2.0","id":1,"method":"server."#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8),
        .error(-32700, id: "null")),
    BadInputCase("a notification", #"{"jsonrpc":"2.0","method":"server.ping"}"#, .nothing),
    BadInputCase("a notification of an unknown method", #"{"jsonrpc":"2.0","method":"nope"}"#, .nothing),
    BadInputCase("a notification with an unknown param", #"{"jsonrpc":"2.0","method":"server.ping","params":{"x":1}}"#, .nothing),
    BadInputCase("an all-notification batch", #"[{"jsonrpc":"2.0","method":"server.ping"},{"jsonrpc":"2.0","method":"nope"}]"#, .nothing),
    BadInputCase("a blank line", "   \t", .nothing),
]

@Suite("Bad input over the socket")
struct BadInputTests {
    @Test("each bad message gets its answer and the connection keeps serving", arguments: badInputCases)
    func badInput(_ badCase: BadInputCase) async throws {
        let server = try await SocketServer()
        defer { server.stop() }
        let connection = try server.connect()
        try await connection.send(badCase.bytes + [0x0A])
        switch badCase.expected {
        case .error(let code, let id, let field):
            let reply = try await connection.readReply()
            #expect(reply.errorCode == code, "\(reply)")
            if let id { #expect(reply.rawID == id, "\(reply)") }
            if let field { #expect(reply.errorData?["field"] as? String == field, "\(reply)") }
            #expect(reply.error?["message"] is String)
        case .batch(let codes):
            let reply = try await connection.readReply()
            let entries = try #require(reply.array, "expected a batch reply: \(reply)")
            #expect(entries.map { errorCode($0) ?? 0 }.sorted() == codes.sorted(), "\(reply)")
        case .nothing:
            break
        }
        // The follow-up must be the very next reply: nothing else was sent back.
        let pong = try await connection.call(pingRequest(id: 777))
        #expect(pong.rawID == "777" && pong.result?["pong"] as? Bool == true, "\(pong)")
        #expect(server.child.isRunning)
    }

    @Test("ids are echoed exactly: string, integer, float, null", arguments: [
        #""abc""#, #""""#, #""caffè ☕""#, #""a\"b""#, "7", "0", "-12", "9007199254740993", "1.5", "-0.25", "null",
    ])
    func idsEchoed(id: String) async throws {
        let server = try await SocketServer()
        defer { server.stop() }
        let connection = try server.connect()
        let reply = try await connection.call(#"{"jsonrpc":"2.0","id":\#(id),"method":"server.ping"}"#)
        #expect(reply.rawID == id, "\(reply)")
        #expect(reply.result?["pong"] as? Bool == true)
        let error = try await connection.call(#"{"jsonrpc":"2.0","id":\#(id),"method":"nope"}"#)
        #expect(error.rawID == id, "\(error)")
    }

    @Test("CRLF line ends and surrounding blanks are accepted")
    func crlf() async throws {
        let server = try await SocketServer()
        defer { server.stop() }
        let connection = try server.connect()
        try await connection.send(pingRequest(id: 1) + "\r\n" + "\r\n" + "  " + pingRequest(id: 2) + "  \r\n")
        let replies = try await connection.readReplies(2)
        #expect(Set(replies.compactMap(\.rawID)) == ["1", "2"])
        #expect(replies.allSatisfy { $0.result?["pong"] as? Bool == true })
    }

    @Test("a 10 MiB line gets -32008, memory stays bounded, and the connection keeps serving")
    func hugeLine() async throws {
        let server = try await SocketServer()
        defer { server.stop() }
        let connection = try server.connect()
        #expect(try await connection.ping())
        let before = try server.child.residentBytes()
        let prefix = Array(#"{"jsonrpc":"2.0","id":1,"method":"server.ping","params":{"pad":""#.utf8)
        let huge = prefix + [UInt8](repeating: UInt8(ascii: "x"), count: 10 << 20) + Array("\"}}\n".utf8)
        try await connection.send(huge, timeout: 60)
        let reply = try await connection.readReply(timeout: 20)
        #expect(reply.errorCode == -32008, "\(reply)")
        #expect(reply.isNullID)
        let after = try server.child.residentBytes()
        #expect(after - before < 64 << 20, "RSS grew from \(before >> 20) MiB to \(after >> 20) MiB")
        #expect(try await connection.ping(), "the same connection is served after the huge line")
        #expect(try await server.connect().ping())
    }

    @Test("--max-message-bytes is honoured: a line just over the limit is refused, one under it served")
    func configuredLimit() async throws {
        let server = try await SocketServer(arguments: ["--max-message-bytes", "2048"])
        defer { server.stop() }
        let connection = try server.connect()
        func request(padding: Int) -> String {
            #"{"jsonrpc":"2.0","id":5,"method":"server.ping","params":{"pad":"\#(String(repeating: "y", count: padding))"}}"#
        }
        let small = try await connection.call(request(padding: 1500))
        #expect(small.errorCode == -32602, "under the limit, the params are checked: \(small)")
        let large = try await connection.call(request(padding: 3000))
        #expect(large.errorCode == -32008, "\(large)")
        #expect(large.errorData?["limit"] as? Int == 2048)
        #expect(try await connection.ping())
    }

    @Test("--max-batch-size is honoured")
    func configuredBatchLimit() async throws {
        let server = try await SocketServer(arguments: ["--max-batch-size", "3"])
        defer { server.stop() }
        let connection = try server.connect()
        let four = try await connection.call("[" + (0..<4).map { pingRequest(id: $0) }.joined(separator: ",") + "]")
        #expect(four.errorCode == -32600, "\(four)")
        let three = try await connection.call("[" + (0..<3).map { pingRequest(id: $0) }.joined(separator: ",") + "]")
        #expect(three.array?.count == 3, "\(three)")
    }
}

@Suite("Content-Length framing")
struct ContentLengthTests {
    func framed(_ body: String, extraHeaders: String = "", name: String = "Content-Length") -> [UInt8] {
        Array("\(name): \(body.utf8.count)\r\n\(extraHeaders)\r\n".utf8) + Array(body.utf8)
    }

    @Test("replies carry Content-Length headers counting UTF-8 bytes; extra headers are ignored")
    func framing() async throws {
        let server = try await SocketServer()
        defer { server.stop() }
        let connection = try server.connect()
        let first = framed(
            #"{"jsonrpc":"2.0","id":"caffè ☕","method":"server.ping"}"#,
            extraHeaders: "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n")
        let notification = framed(#"{"jsonrpc":"2.0","method":"server.ping"}"#, name: "content-length")
        let second = framed(#"{"jsonrpc":"2.0","id":2,"method":"server.info"}"#, name: "CONTENT-LENGTH")
        // All three in one write, the last split across two writes.
        try await connection.send(first + notification + second.prefix(10))
        try await connection.send(Array(second.dropFirst(10)))
        var replies: [String: Reply] = [:]
        for _ in 0..<2 {
            let (headers, reply) = try await connection.readFramed()
            #expect(headers["content-length"] == "\(reply.raw.count)")
            replies[reply.rawID ?? "?"] = reply
        }
        #expect(replies[#""caffè ☕""#]?.result?["pong"] as? Bool == true)
        #expect(replies["2"]?.result?["transport"] as? String == "socket")
        // Nothing else arrives: the notification got no answer, and no newline was appended.
        #expect(connection.buffer.isEmpty)
    }

    @Test("a 2 MiB Content-Length message gets -32008; the next message is answered")
    func oversizedMessage() async throws {
        let server = try await SocketServer()
        defer { server.stop() }
        let connection = try server.connect()
        let padding = String(repeating: "z", count: 2 << 20)
        let huge = framed(#"{"jsonrpc":"2.0","id":1,"method":"server.ping","params":{"pad":"\#(padding)"}}"#)
        try await connection.send(huge, timeout: 30)
        let (_, tooLarge) = try await connection.readFramed(timeout: 20)
        #expect(tooLarge.errorCode == -32008, "\(tooLarge)")
        try await connection.send(framed(pingRequest(id: 2)))
        let (_, pong) = try await connection.readFramed()
        #expect(pong.rawID == "2" && pong.result?["pong"] as? Bool == true, "\(pong)")
    }

    @Test("invalid JSON in a framed message gets -32700 and the stream stays in sync")
    func invalidBody() async throws {
        let server = try await SocketServer()
        defer { server.stop() }
        let connection = try server.connect()
        try await connection.send(framed("{not json}\n") + framed(pingRequest(id: 3)))
        let (_, parseError) = try await connection.readFramed()
        #expect(parseError.errorCode == -32700)
        let (_, pong) = try await connection.readFramed()
        #expect(pong.rawID == "3")
    }

    @Test("a header block without Content-Length is answered with an error and the connection closed")
    func brokenHeaders() async throws {
        let server = try await SocketServer()
        defer { server.stop() }
        let connection = try server.connect()
        try await connection.send("Content-Length: 5\r\n\r\nhello" + "X-Nonsense: 1\r\n\r\n{}")
        let (_, first) = try await connection.readFramed()
        #expect(first.errorCode == -32700)
        let (_, second) = try await connection.readFramed()
        #expect(second.errorCode == -32700)
        #expect(try await connection.closedByPeer(timeout: 5))
        #expect(try await server.connect().ping())
    }
}
