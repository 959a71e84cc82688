import Foundation

/// The cost of an MCP tool call through `sportello mcp --socket` over the same call made
/// directly as JSON-RPC on the server's socket, measured in the same run on the same ticket:
/// one request at a time, the two kinds interleaved so both see the same machine.
struct MCPBenchmarks {
    let serverBinary: String
    let calls = 3_000

    func run() throws -> [BenchResult] {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socketPath = directory + "/sportello.sock"
        let server = try startServer(serverBinary, socketPath: socketPath, database: directory + "/bench.db")
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let direct = try UnixClient(path: socketPath)
        let ticket = try seedTicket(direct)

        let bridge = try MCPChild(serverBinary, ["mcp", "--socket", socketPath])
        defer { bridge.stop() }
        try bridge.initialize()

        let directRequest = { (id: Int) -> [UInt8] in
            Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"ticket.get","params":{"ticket":\#(ticket)}}"#.utf8) + [10]
        }
        let mcpRequest = { (id: Int) -> [UInt8] in
            Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"ticket_get","arguments":{"ticket":\#(ticket)}}}"#.utf8) + [10]
        }
        // Warm both paths, and check each answers with the ticket.
        for id in 1...200 {
            try direct.write(directRequest(id))
            guard String(decoding: try direct.readLine(), as: UTF8.self).contains(#""result""#) else { throw BenchError.timeout("a ticket.get result") }
            try bridge.write(mcpRequest(id))
            let reply = String(decoding: try bridge.readLine(), as: UTF8.self)
            guard reply.contains(#""content""#), !reply.contains(#""isError":true"#) else { throw BenchError.timeout("a tools/call result: \(reply.prefix(300))") }
        }
        var directSamples: [Double] = []
        var mcpSamples: [Double] = []
        for id in 1_000..<(1_000 + calls) {
            var started = monotonicNow()
            try direct.write(directRequest(id))
            _ = try direct.readLine()
            directSamples.append(monotonicNow() - started)
            started = monotonicNow()
            try bridge.write(mcpRequest(id))
            _ = try bridge.readLine()
            mcpSamples.append(monotonicNow() - started)
        }
        directSamples.sort()
        mcpSamples.sort()
        let (directP50, directP99) = (percentile(directSamples, 0.5), percentile(directSamples, 0.99))
        let (mcpP50, mcpP99) = (percentile(mcpSamples, 0.5), percentile(mcpSamples, 0.99))
        return [
            BenchResult(
                name: "MCP tools/call ticket_get via mcp --socket: p50", value: mcpP50 * 1000, unit: "ms",
                note: String(format: "p99 %.3f ms; %d sequential calls", mcpP99 * 1000, calls)),
            BenchResult(
                name: "direct JSON-RPC ticket.get on the socket: p50", value: directP50 * 1000, unit: "ms",
                note: String(format: "p99 %.3f ms (baseline)", directP99 * 1000)),
            BenchResult(
                name: "MCP / direct ticket.get ratio, p50", value: mcpP50 / directP50, unit: "x",
                note: String(format: "p99 ratio %.2f; target < 2", mcpP99 / directP99)),
        ]
    }

    /// A customer with a subscription and one ticket, as the system; the ticket's id.
    private func seedTicket(_ client: UnixClient) throws -> Int {
        func call(_ line: String) throws -> [String: Any] {
            try client.write(Array(line.utf8) + [10])
            let reply = try JSONSerialization.jsonObject(with: Data(try client.readLine())) as? [String: Any]
            guard let result = reply?["result"] as? [String: Any] else { throw BenchError.timeout("a result for \(line.prefix(80))") }
            return result
        }
        let customer = try call(#"{"jsonrpc":"2.0","id":1,"method":"customer.create","params":{"code":"MCPB","name":"MCP Bench S.r.l.","language":"it","email":"it@mcpb.example"}}"#)
        let id = (customer["id"] as? NSNumber)?.intValue ?? 0
        _ = try call(#"{"jsonrpc":"2.0","id":2,"method":"customer.addSubscription","params":{"customer":\#(id),"product":"zenshare-suite","mode":"cloudSaas"}}"#)
        let ticket = try call(#"{"jsonrpc":"2.0","id":3,"method":"ticket.open","params":{"customer":\#(id),"product":"zenshare-suite","subject":"L'esportazione delle fatture si interrompe","body":"Buongiorno, l'esportazione delle fatture si interrompe con un errore. Potete verificare?","channel":"email"}}"#)
        return (ticket["id"] as? NSNumber)?.intValue ?? 0
    }
}

/// A child process spoken to with newline-delimited JSON-RPC on its stdin and stdout: a
/// minimal MCP client (initialize, then requests one at a time).
final class MCPChild {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let channel: UnixClient

    init(_ binary: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        channel = UnixClient(reading: output.fileHandleForReading.fileDescriptor, writing: input.fileHandleForWriting.fileDescriptor)
        try process.run()
    }

    func initialize() throws {
        try write(Array(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"sportello-bench","version":"1"}}}"#.utf8) + [10])
        let reply = String(decoding: try readLine(), as: UTF8.self)
        guard reply.contains(#""serverInfo""#) else { throw BenchError.timeout("an initialize result: \(reply.prefix(300))") }
        try write(Array(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.utf8) + [10])
    }

    func write(_ bytes: [UInt8]) throws { try channel.write(bytes) }

    func readLine() throws -> [UInt8] { try channel.readLine() }

    /// Closes its stdin (the bridge then exits) and waits for it.
    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
