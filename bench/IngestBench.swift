import Foundation
import JSONRPC
import Logging
import SportelloMail
import SportelloService
import SportelloStore

/// Mail in: the test corpus repeated to 5,000 messages (each with its own Message-ID and an
/// arrival a minute after the previous one, so that neither the repeat rule nor the burst rule
/// skips the work), ingested in process through the dispatcher — parse, screen, thread, store,
/// with the JSON-RPC decoding and base64 of a real call — beside the same messages parsed by
/// Python's `email` package (`message_from_bytes` with the default policy, then `get_body` and
/// its content), in the same run. Then the peak memory of a server taking one 25 MiB message.
struct IngestBenchmarks {
    let serverBinary: String
    var messages = 5_000

    static let corpus = "Tests/SportelloMailTests/Fixtures"
    static let gateway = "clients/sh/sportello-mailgate"

    /// The corpus, each copy with its own Message-ID.
    func mails() throws -> [[UInt8]] {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.corpus).filter { $0.hasSuffix(".eml") }.sorted()
        let originals = try names.map { Array(try Data(contentsOf: URL(fileURLWithPath: Self.corpus + "/" + $0))) }
        guard !originals.isEmpty else { throw BenchError.timeout("mail fixtures in \(Self.corpus)") }
        return (0..<messages).map { index in
            Array("Message-ID: <bench-\(index)@bench.example>\r\n".utf8) + Self.withoutMessageID(originals[index % originals.count])
        }
    }

    /// The message without its own Message-ID header line (the bench gives each copy one).
    static func withoutMessageID(_ bytes: [UInt8]) -> [UInt8] {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let range = text.range(of: "\nMessage-ID:", options: .caseInsensitive) ?? (text.lowercased().hasPrefix("message-id:") ? text.startIndex..<text.startIndex : nil) else {
            return bytes
        }
        let lineStart = range.lowerBound == text.startIndex ? text.startIndex : text.index(after: range.lowerBound)
        guard let lineEnd = text[lineStart...].firstIndex(of: "\n") else { return bytes }
        let start = text.utf8.distance(from: text.startIndex, to: lineStart)
        let end = text.utf8.distance(from: text.startIndex, to: lineEnd) + 1
        return Array(bytes[..<start] + bytes[end...])
    }

    func run() throws -> [BenchResult] {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mails = try mails()
        let totalBytes = mails.reduce(0) { $0 + $1.count }

        // The parse alone: what a person reads of each message.
        let parseStarted = monotonicNow()
        var characters = 0
        for raw in mails {
            let message = MailMessage(bytes: raw)
            characters += message.subject.count + message.reply.newText.count + message.attachments.count
            characters += message.threadKeys.ancestors.count + (message.autoReplyReason == nil ? 0 : 1) + (message.isBounce ? 1 : 0)
        }
        let parseRate = Double(messages) / (monotonicNow() - parseStarted)

        // In process, one call after the other, as the gateway hands them over.
        let database = try SportelloDatabase(path: directory + "/ingest.db")
        let service = SportelloService(environment: ServiceEnvironment(database: database, logger: Logger(label: "bench")))
        let dispatcher = service.makeDispatcher()
        let context = CallContext(transport: .socket, principal: .system)
        let firstArrival = Date().addingTimeInterval(-Double(messages + 10) * 60)
        let formatter = ISO8601DateFormatter()
        let requests = mails.enumerated().map { index, raw in
            let at = formatter.string(from: firstArrival.addingTimeInterval(Double(index) * 60))
            return Array("{\"jsonrpc\":\"2.0\",\"id\":\(index),\"method\":\"mail.ingest\",\"params\":{\"raw\":\"\(Data(raw).base64EncodedString())\",\"receivedAt\":\"\(at)\"}}".utf8)
        }
        // As a mail server delivers: several messages at once (Postfix runs up to 20 pipe
        // deliveries per destination); their commits share fsyncs (group commit). Then the
        // same number one after the other on a fresh database: one fsync each.
        func ingest(_ requests: ArraySlice<[UInt8]>, streams: Int, dispatcher: RPCDispatcher<CallContext>) throws -> Double {
            let errors = LockedSamples()
            let started = monotonicNow()
            let group = DispatchGroup()
            for stream in 0..<streams {
                group.enter()
                Task {
                    for index in stride(from: requests.startIndex + stream, to: requests.endIndex, by: streams) {
                        let reply = await dispatcher.handle(message: requests[index], context: context) ?? []
                        if !String(decoding: reply, as: UTF8.self).contains("\"outcome\"") { errors.append([1]) }
                    }
                    group.leave()
                }
            }
            group.wait()
            guard errors.values.isEmpty else { throw BenchError.timeout("every message ingested (\(errors.values.count) errors)") }
            return Double(requests.count) / (monotonicNow() - started)
        }
        // INGEST_STREAMS=N to try another concurrency (20 is Postfix's default per destination).
        let streams = Int(ProcessInfo.processInfo.environment["INGEST_STREAMS"] ?? "") ?? 8
        let ingestRate = try ingest(requests[...], streams: streams, dispatcher: dispatcher)
        let serialDatabase = try SportelloDatabase(path: directory + "/serial.db")
        let serialDispatcher = SportelloService(environment: ServiceEnvironment(database: serialDatabase, logger: Logger(label: "bench")))
            .makeDispatcher()
        let serialRate = try ingest(requests.prefix(1_000), streams: 1, dispatcher: serialDispatcher)

        // Python's email package on the same messages, read into memory first.
        let folder = directory + "/corpus"
        mkdir(folder, 0o700)
        for (index, raw) in mails.enumerated() { _ = FileManager.default.createFile(atPath: "\(folder)/\(index).eml", contents: Data(raw)) }
        let script = """
            import email, email.policy, os, sys, time
            folder = sys.argv[1]
            blobs = [open(os.path.join(folder, n), 'rb').read() for n in sorted(os.listdir(folder))]
            start = time.perf_counter()
            for b in blobs:
                m = email.message_from_bytes(b, policy=email.policy.default)
                body = m.get_body(preferencelist=('plain', 'html'))
                if body is not None:
                    try: body.get_content()
                    except Exception: pass
            print(len(blobs) / (time.perf_counter() - start))
            """
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", script, folder]
        let output = Pipe()
        python.standardOutput = output
        try python.run()
        python.waitUntilExit()
        let pythonRate = Double(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? .nan

        // One 25 MiB message (three 6 MiB attachments, base64 in the mail), into a fresh server
        // each time (the peak is the process's): handed in by clients/sh/sportello-mailgate as
        // the mail server runs it (mail.upload pieces, then mail.ingest {parts}), and as one
        // mail.ingest {raw} request line.
        let big = Self.bigMail(attachments: 3, bytesEach: 6 * 1024 * 1024)
        let megabytes = Double(big.count) / 1_048_576
        let bigFile = directory + "/big.eml"
        _ = FileManager.default.createFile(atPath: bigFile, contents: Data(big))
        func peakGrowth(
            database: String, arguments: [String] = [], send: (_ socket: String) throws -> String
        ) throws -> (before: Double, growth: Double) {
            let socket = directory + "/\(database).sock"
            let server = try startServer(
                serverBinary, socketPath: socket, database: directory + "/\(database).db", arguments: arguments)
            defer { server.terminate(); server.waitUntilExit() }
            let client = try UnixClient(path: socket)
            try client.write(Array("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"server.ping\"}\n".utf8))
            _ = try client.readLine()
            let before = memoryOf(pid: server.processIdentifier)
            let reply = try send(socket)
            guard reply.contains("\"opened\"") || reply.isEmpty else { throw BenchError.timeout("the 25 MiB message ingested: \(reply.prefix(300))") }
            let after = memoryOf(pid: server.processIdentifier)
            return (before.rss, after.peak - before.rss)
        }
        let gateway = try peakGrowth(database: "gateway") { socket in
            let gate = Process()
            gate.executableURL = URL(fileURLWithPath: "/bin/sh")
            gate.arguments = [Self.gateway, "--socket", socket]
            gate.standardInput = FileHandle(forReadingAtPath: bigFile)
            try gate.run()
            gate.waitUntilExit()
            guard gate.terminationStatus == 0 else { throw BenchError.timeout("sportello-mailgate exited \(gate.terminationStatus)") }
            return ""
        }
        let line = try peakGrowth(database: "line", arguments: ["--max-message-bytes", "40000000"]) { socket in
            let client = try UnixClient(path: socket)
            try client.write(Array("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"mail.ingest\",\"params\":{\"raw\":\"\(Data(big).base64EncodedString())\"}}\n".utf8))
            return String(decoding: try client.readLine(), as: UTF8.self)
        }

        return [
            BenchResult(name: "mail.ingest in process, \(messages) corpus messages (\(totalBytes / 1024) KiB), \(streams) at a time", value: ingestRate,
                        unit: "msg/s", note: String(format: "%.1f× Python; target >= 3×", ingestRate / pythonRate)),
            BenchResult(name: "mail.ingest in process, 1,000 of them one at a time", value: serialRate,
                        unit: "msg/s", note: String(format: "%.1f× Python (one synced commit each)", serialRate / pythonRate)),
            BenchResult(name: "the same messages parsed alone (SportelloMail: text, reply, attachments, signals)", value: parseRate,
                        unit: "msg/s", note: String(format: "%.1f× Python (%d characters read)", parseRate / pythonRate, characters)),
            BenchResult(name: "Python email: message_from_bytes + get_body, same messages (baseline)", value: pythonRate,
                        unit: "msg/s", note: "python3 \(ProcessInfo.processInfo.environment["PYTHON_VERSION"] ?? "")"),
            BenchResult(name: String(format: "server peak RSS growth taking one %.1f MiB message from sportello-mailgate (in pieces)", megabytes),
                        value: gateway.growth, unit: "MiB",
                        note: String(format: "%.1f× the message; target < 3× (over %.1f MiB before)", gateway.growth / megabytes, gateway.before)),
            BenchResult(name: "the same message as one mail.ingest {raw} request line (33 MiB)", value: line.growth, unit: "MiB",
                        note: String(format: "%.1f× the message (over %.1f MiB before)", line.growth / megabytes, line.before)),
        ]
    }

    /// A mail with `attachments` attachments of `bytesEach` random-looking bytes.
    static func bigMail(attachments: Int, bytesEach: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var text = "From: mario@acme.example\r\nTo: support@interzen.it\r\nSubject: Log completi\r\nMessage-ID: <big@acme.example>\r\n"
            + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"big\"\r\n\r\n--big\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n\r\nIn allegato i log.\r\n"
        for index in 0..<attachments {
            let bytes = (0..<bytesEach).map { _ in UInt8.random(in: 0...255, using: &generator) }
            text += "--big\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"log-\(index).bin\"\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\n" + Data(bytes).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed]) + "\r\n"
        }
        text += "--big--\r\n"
        return Array(text.utf8)
    }
}
