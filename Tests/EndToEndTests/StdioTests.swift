import Foundation
import Testing

@Suite("stdio transport")
struct StdioTests {
    @Test("ping and info are answered; the session is the system principal on stdio; EOF exits 0")
    func pingAndInfo() async throws {
        let server = try StdioServer()
        defer { server.stop() }
        let pong = try await server.stream.call(pingRequest(id: 1))
        #expect(pong.result?["pong"] as? Bool == true)
        #expect((pong.result?["time"] as? String)?.hasSuffix("Z") == true)
        #expect(pong.rawID == "1")

        let info = try await server.stream.call(#"{"jsonrpc":"2.0","id":"i","method":"server.info"}"#)
        let result = try #require(info.result, "\(info)")
        #expect(result["name"] as? String == "sportello")
        #expect(result["transport"] as? String == "stdio")
        #expect((result["principal"] as? [String: Any])?["kind"] as? String == "system")
        #expect(result["database"] as? String == server.directory.file("sportello.db"))
        #expect(result["version"] is String)
        #expect(result["schemaVersion"] is String)

        server.stream.shutdownWrite()
        #expect(try await server.stream.readToEnd().isEmpty)
        #expect(await server.child.waitForExit(timeout: 10) == 0)
        #expect(server.child.stderr.contains("stdio"), "the server logs to stderr")
    }

    /// Lines of every kind, and the ids that must be answered.
    static func requestFile(count: Int) -> (text: String, answeredIDs: Set<String>) {
        var lines: [String] = []
        var ids: Set<String> = []
        for index in 0..<count {
            lines.append(pingRequest(id: index))
            ids.insert("\(index)")
            if index % 10 == 0 { lines.append(#"{"jsonrpc":"2.0","method":"server.ping"}"#) }  // notification: no answer
        }
        lines.append(#"{"jsonrpc":"2.0","id":"info","method":"server.info"}"#)
        ids.insert("\"info\"")
        lines.append(#"[{"jsonrpc":"2.0","id":"b1","method":"server.ping"},{"jsonrpc":"2.0","method":"server.ping"}]"#)
        lines.append("not json")
        lines.append("")
        lines.append(#"{"jsonrpc":"2.0","id":"last","method":"server.ping"}"#)
        ids.insert("\"last\"")
        // The last line has no newline: it is still a message.
        return (lines.joined(separator: "\n"), ids)
    }

    static func checkAnswers(_ output: [UInt8], expectedIDs: Set<String>) throws {
        let lines = output.split(separator: 0x0A, omittingEmptySubsequences: false)
        #expect(lines.last?.isEmpty == true, "output ends with a newline")
        var seen: [String] = []
        var sawBatch = false
        var sawParseError = false
        for line in lines.dropLast() {
            let reply = try Reply(raw: Array(line))
            if let batch = reply.array {
                #expect(batch.count == 1)
                sawBatch = true
                continue
            }
            if reply.errorCode == -32700 {
                #expect(reply.isNullID)
                sawParseError = true
                continue
            }
            #expect(reply.result != nil, "\(reply)")
            seen.append(try #require(reply.rawID))
        }
        #expect(seen.count == Set(seen).count, "an id answered twice")
        #expect(Set(seen) == expectedIDs)
        #expect(sawBatch && sawParseError)
    }

    @Test("stdin from a regular file, stdout to a pipe: every line answered, exit 0")
    func regularFileToPipe() async throws {
        try requireBinary()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let requests = Self.requestFile(count: 300)
        try requests.text.write(toFile: directory.file("requests.jsonl"), atomically: true, encoding: .utf8)
        let input = try openForReading(directory.file("requests.jsonl"))
        let (outputRead, outputWrite) = try makePipe()
        let child = try ChildProcess(
            sportelloBinary, ["serve", "--stdio", "--database", directory.file("db.sqlite")], directory: directory,
            stdin: input, stdout: outputWrite)
        defer { child.stop() }
        close(input)
        close(outputWrite)
        let stream = Stream(readFD: outputRead, writeFD: -1, isSocket: false)
        let answers = try await stream.readToEnd(timeout: 20)
        #expect(await child.waitForExit(timeout: 10) == 0, "stderr: \(child.stderr)")
        try Self.checkAnswers(answers, expectedIDs: requests.answeredIDs)
    }

    @Test("stdin from a regular file, stdout to a regular file: every line answered, exit 0")
    func regularFileToFile() async throws {
        try requireBinary()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let requests = Self.requestFile(count: 300)
        try requests.text.write(toFile: directory.file("requests.jsonl"), atomically: true, encoding: .utf8)
        let input = try openForReading(directory.file("requests.jsonl"))
        let output = open(directory.file("answers.jsonl"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        #expect(output >= 0)
        let child = try ChildProcess(
            sportelloBinary, ["serve", "--stdio", "--database", directory.file("db.sqlite")], directory: directory,
            stdin: input, stdout: output)
        defer { child.stop() }
        close(input)
        close(output)
        #expect(await child.waitForExit(timeout: 20) == 0, "stderr: \(child.stderr)")
        let answers = try #require(FileManager.default.contents(atPath: directory.file("answers.jsonl")))
        try Self.checkAnswers(Array(answers), expectedIDs: requests.answeredIDs)
    }

    @Test("EOF right after a large batch and a pipeline: everything is answered before exit 0; stdout is only JSON")
    func exitsAfterAnsweringAtEOF() async throws {
        let server = try StdioServer()
        defer { server.stop() }
        let batch = "[" + (0..<100).map { #"{"jsonrpc":"2.0","id":"d\#($0)","method":"rpc.discover"}"# }.joined(separator: ",") + "]\n"
        let pipeline = (0..<2000).map { pingRequest(id: $0) + "\n" }.joined()
        try await server.stream.send(batch + pipeline)
        server.stream.shutdownWrite()
        let output = try await server.stream.readToEnd(timeout: 30)
        #expect(await server.child.waitForExit(timeout: 10) == 0, "stderr: \(server.child.stderr)")

        var pings = Set<String>()
        var batchEntries = 0
        for line in output.split(separator: 0x0A) {
            let reply = try Reply(raw: Array(line))  // stdout holds nothing but JSON
            if let entries = reply.array {
                batchEntries += entries.count
                #expect(entries.allSatisfy { ($0["result"] as? [String: Any])?["openrpc"] != nil })
            } else {
                #expect(reply.result?["pong"] as? Bool == true)
                pings.insert(reply.rawID ?? "?")
            }
        }
        #expect(batchEntries == 100)
        #expect(pings == Set((0..<2000).map { "\($0)" }))
        #expect(!server.child.stderr.isEmpty, "logs go to stderr")
    }

    /// Runs `serve --stdio` with the given standard input and output (a descriptor, or
    /// `ChildProcess.closed`) and returns its exit status; nil if it is still running after 10 s.
    static func runStdio(
        directory: TemporaryDirectory, database: String, stdin: Int32, stdout: Int32
    ) async throws -> (status: Int32?, stderr: String) {
        let child = try ChildProcess(
            sportelloBinary, ["serve", "--stdio", "--database", database], directory: directory,
            name: "run-\(UUID().uuidString.prefix(8))", stdin: stdin, stdout: stdout)
        defer { child.stop() }
        return (await child.waitForExit(timeout: 10), child.stderr)
    }

    @Test("stdin from /dev/null, or closed: exits 0 at once, writing nothing")
    func emptyInputs() async throws {
        try requireBinary()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("db.sqlite")
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(devNull) }
        for (name, input) in [("/dev/null", devNull), ("closed", ChildProcess.closed)] {
            let (outputRead, outputWrite) = try makePipe()
            let run = try await Self.runStdio(directory: directory, database: database, stdin: input, stdout: outputWrite)
            close(outputWrite)
            let stream = Stream(readFD: outputRead, writeFD: -1, isSocket: false)
            #expect(run.status == 0, "stdin \(name): stderr \(run.stderr)")
            #expect(try await stream.readToEnd(timeout: 5).isEmpty, "stdin \(name)")
            stream.close()
        }
    }

    @Test("stdout to /dev/null, or closed: every request is still served (its changes are in the database), exit 0")
    func discardedOutputs() async throws {
        try requireBinary()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("db.sqlite")
        let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { close(devNull) }
        for (code, output) in [("NULL", devNull), ("CLOSED", ChildProcess.closed)] {
            let requests = directory.file("create-\(code).jsonl")
            try (#"{"jsonrpc":"2.0","id":1,"method":"customer.create","params":{"code":"\#(code)","name":"Customer \#(code)","language":"en"}}"# + "\n")
                .write(toFile: requests, atomically: true, encoding: .utf8)
            let input = try openForReading(requests)
            let run = try await Self.runStdio(directory: directory, database: database, stdin: input, stdout: output)
            close(input)
            #expect(run.status == 0, "stdout \(code): stderr \(run.stderr)")
        }
        // A second server, answering on a pipe, finds both customers.
        let server = try StdioServer(database: database)
        defer { server.stop() }
        for code in ["NULL", "CLOSED"] {
            let reply = try await server.stream.call(#"{"jsonrpc":"2.0","id":2,"method":"customer.get","params":{"customer":"\#(code)"}}"#)
            #expect(reply.result?["code"] as? String == code, "\(reply)")
        }
    }
}
