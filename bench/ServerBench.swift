import Foundation

/// The transport figures of the foundation issue, against the real release binary.
struct ServerBenchmarks {
    let serverBinary: String

    private static func ping(_ id: Int) -> [UInt8] {
        Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"server.ping","params":{}}"#.utf8) + [UInt8(ascii: "\n")]
    }

    func run() throws -> [BenchResult] {
        raiseFileLimit()
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var results: [BenchResult] = []

        // Baseline and subject, each in its own process, measured the same way.
        let echoPath = directory + "/echo.sock"
        let echo = try spawn(CommandLine.arguments[0], ["--echo", echoPath], socket: echoPath)
        let serverPath = directory + "/sportello.sock"
        let database = directory + "/bench.db"
        let server = try spawn(serverBinary, ["serve", "--socket", serverPath, "--database", database], socket: serverPath)
        defer {
            echo.terminate()
            server.terminate()
            echo.waitUntilExit()
            server.waitUntilExit()
        }

        let requests = 20_000
        let echoRate = try bestOf(3) { try pipelined(path: echoPath, count: requests) }
        let pingRate = try bestOf(3) { try pipelined(path: serverPath, count: requests) }
        results.append(BenchResult(
            name: "server.ping pipelined, 1 connection, \(requests) req", value: pingRate, unit: "req/s",
            note: "target >= 100,000"))
        results.append(BenchResult(
            name: "NDJSON echo on the same NIO stack (baseline)", value: echoRate, unit: "req/s", note: ""))
        results.append(BenchResult(
            name: "server.ping / echo ratio", value: pingRate / echoRate, unit: "x", note: "target >= 0.5"))
        let calendarRate = try bestOf(3) { try pipelined(path: serverPath, count: requests, request: Self.addWorkingTime) }
        results.append(BenchResult(
            name: "calendar.addWorkingTime (5 wd) pipelined, 1 connection", value: calendarRate, unit: "req/s",
            note: String(format: "%.2f of server.ping's rate", calendarRate / pingRate)))

        let (p50, p99) = try latency(path: serverPath, connections: 100, perConnection: 100)
        let (echoP50, echoP99) = try latency(path: echoPath, connections: 100, perConnection: 100)
        results.append(BenchResult(
            name: "server.ping 100 conn x 100 sequential: p50", value: p50 * 1000, unit: "ms",
            note: String(format: "echo baseline p50 %.3f ms", echoP50 * 1000)))
        results.append(BenchResult(
            name: "server.ping 100 conn x 100 sequential: p99", value: p99 * 1000, unit: "ms",
            note: String(format: "target < 2 ms; echo baseline p99 %.3f ms", echoP99 * 1000)))

        let (rss, peak) = try idleConnections(path: serverPath, pid: server.processIdentifier, count: 1000)
        results.append(BenchResult(
            name: "RSS serving 1,000 idle connections", value: rss, unit: "MiB",
            note: String(format: "peak (VmHWM) %.1f MiB; target < 100 MB", peak)))

        // A client that pipelines 200,000 pings and 2,000 discovers and reads nothing for a while,
        // against the server and against an echo applying the same 4 MiB bound.
        let boundedEchoPath = directory + "/bounded-echo.sock"
        let boundedEcho = try spawn(CommandLine.arguments[0], ["--bounded-echo", boundedEchoPath], socket: boundedEchoPath)
        defer {
            boundedEcho.terminate()
            boundedEcho.waitUntilExit()
        }
        for (label, path, pid) in [
            ("server", serverPath, server.processIdentifier), ("bounded echo", boundedEchoPath, boundedEcho.processIdentifier),
        ] {
            let figures = try unreadReplies(path: path, pid: pid)
            results.append(BenchResult(
                name: "unread replies, \(label): RSS peak - before", value: figures.peak - figures.before, unit: "MiB",
                note: String(format: "before %.1f, peak %.1f, after %.1f MiB; target growth < 64 MiB", figures.before, figures.peak, figures.after)))
            results.append(BenchResult(
                name: "unread replies, \(label): 2nd connection ping p99", value: figures.p99 * 1000, unit: "ms",
                note: String(format: "p50 %.3f ms over %d pings; target < 50 ms", figures.p50 * 1000, figures.pings)))
        }

        if let coldStart = try socketActivationColdStart(directory: directory, database: database, runs: 20) {
            results.append(BenchResult(
                name: "socket activation cold start, connect -> first reply", value: coldStart * 1000, unit: "ms",
                note: "median of 20; target < 50 ms"))
        }
        return results
    }

    private func spawn(_ binary: String, _ arguments: [String], socket: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        try waitForSocket(socket, process: process)
        return process
    }

    private func bestOf(_ runs: Int, _ body: () throws -> Double) throws -> Double {
        var best = 0.0
        for _ in 0..<runs { best = max(best, try body()) }
        return best
    }

    /// Writes `count` pings at once from one thread while another reads the replies; requests/s.
    private static func addWorkingTime(_ id: Int) -> [UInt8] {
        let day = 1 + id % 28
        return Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"calendar.addWorkingTime","params":{"calendar":"interzen-support","start":"2026-12-\#(day < 10 ? "0" : "")\#(day)T17:45:00+01:00","duration":{"workingDays":5}}}"#.utf8) + [UInt8(ascii: "\n")]
    }

    private func pipelined(path: String, count: Int, request: (Int) -> [UInt8] = ServerBenchmarks.ping) throws -> Double {
        let client = try UnixClient(path: path)
        var payload: [UInt8] = []
        payload.reserveCapacity(count * 64)
        for id in 1...count { payload += request(id) }
        try client.write(Array(payload.prefix(64 * 100)))  // warm the connection
        try client.readLines(payload.prefix(64 * 100).filter { $0 == UInt8(ascii: "\n") }.count)

        let started = monotonicNow()
        let requests = payload
        let writer = Thread { try? client.write(requests) }
        writer.start()
        try client.readLines(count)
        return Double(count) / (monotonicNow() - started)
    }

    /// `connections` clients, each sending `perConnection` pings one after the other (the next
    /// once the previous is answered), all driven from one thread with poll(2) so that the
    /// client's own scheduling does not pollute the figure; round-trip percentiles in seconds.
    private func latency(path: String, connections: Int, perConnection: Int) throws -> (Double, Double) {
        let clients = try (0..<connections).map { _ in try UnixClient(path: path) }
        var sent = [Int](repeating: 0, count: connections)
        var startedAt = [Double](repeating: 0, count: connections)
        var samples: [Double] = []
        samples.reserveCapacity(connections * perConnection)
        for (index, client) in clients.enumerated() {
            startedAt[index] = monotonicNow()
            try client.write(Self.ping(index * perConnection))
            sent[index] = 1
        }
        var descriptors = clients.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
        let deadline = monotonicNow() + 60
        while samples.count < connections * perConnection {
            guard monotonicNow() < deadline else { throw BenchError.timeout("latency replies") }
            let ready = poll(&descriptors, nfds_t(descriptors.count), 1000)
            guard ready > 0 else { continue }
            for index in descriptors.indices where descriptors[index].revents != 0 {
                _ = try clients[index].readLine()
                samples.append(monotonicNow() - startedAt[index])
                if sent[index] < perConnection {
                    startedAt[index] = monotonicNow()
                    try clients[index].write(Self.ping(index * perConnection + sent[index]))
                    sent[index] += 1
                }
            }
        }
        samples.sort()
        return (percentile(samples, 0.50), percentile(samples, 0.99))
    }

    /// One client pipelines 200,000 pings then 2,000 `rpc.discover` and reads nothing until the
    /// server has stopped taking its requests for 2 s; meanwhile a second connection pings
    /// one ping at a time. Then the first client reads every reply and leaves. The server's RSS
    /// before, at its peak (sampled), 1 s after the client left; the second connection's
    /// round-trip percentiles (seconds).
    private func unreadReplies(path: String, pid: Int32)
        throws -> (before: Double, peak: Double, after: Double, p50: Double, p99: Double, pings: Int)
    {
        var payload: [UInt8] = []
        for id in 0..<200_000 { payload += Self.ping(id) }
        for id in 200_000..<202_000 { payload += Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"rpc.discover"}"#.utf8) + [10] }
        let other = try UnixClient(path: path)
        try other.write(Self.ping(0))
        _ = try other.readLine()
        let before = memoryOf(pid: pid).rss
        var peak = before
        var hog: UnixClient? = try UnixClient(path: path)
        let descriptor = hog!.descriptor
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        func writeSome(_ offset: Int) -> Int {
            var offset = offset
            while offset < payload.count {
                let written = payload.withUnsafeBytes { send(descriptor, $0.baseAddress! + offset, min(65536, $0.count - offset), Int32(MSG_NOSIGNAL)) }
                guard written > 0 else { break }
                offset += written
            }
            return offset
        }
        var sent = 0
        var samples: [Double] = []
        var lastProgress = monotonicNow()
        while monotonicNow() - lastProgress < 2 {
            let now = writeSome(sent)
            if now > sent { lastProgress = monotonicNow() }
            sent = now
            let started = monotonicNow()
            try other.write(Self.ping(samples.count))
            _ = try other.readLine()
            samples.append(monotonicNow() - started)
            peak = max(peak, memoryOf(pid: pid).rss)
            if sent == payload.count, monotonicNow() - lastProgress > 1 { break }
        }
        // Read every reply, writing the rest of the requests as the server takes them.
        var newlines = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        let deadline = monotonicNow() + 300
        while newlines < 202_000 {
            guard monotonicNow() < deadline else { throw BenchError.timeout("unread replies") }
            sent = writeSome(sent)
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 1000) > 0 else { continue }
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EAGAIN || errno == EINTR { continue }
            guard count > 0 else { throw BenchError.closed }
            for index in 0..<count where chunk[index] == 10 { newlines += 1 }
            if newlines % 64 == 0 { peak = max(peak, memoryOf(pid: pid).rss) }
        }
        hog = nil
        _ = hog
        usleep(1_000_000)
        let after = memoryOf(pid: pid).rss
        samples.sort()
        return (before, peak, after, percentile(samples, 0.5), percentile(samples, 0.99), samples.count)
    }

    /// Opens `count` connections, pings on each, and reads the server's memory while they idle.
    private func idleConnections(path: String, pid: Int32, count: Int) throws -> (Double, Double) {
        var clients: [UnixClient] = []
        for index in 0..<count {
            let client = try UnixClient(path: path)
            try client.write(Self.ping(index))
            _ = try client.readLine()
            clients.append(client)
        }
        usleep(200_000)
        let memory = memoryOf(pid: pid)
        clients.removeAll()
        return memory
    }

    /// Median time from connecting to a socket held by `systemd-socket-activate` (the server not
    /// yet running) to the first reply; nil when the tool is not installed.
    private func socketActivationColdStart(directory: String, database: String, runs: Int) throws -> Double? {
        let tool = "/usr/bin/systemd-socket-activate"
        guard FileManager.default.isExecutableFile(atPath: tool) else { return nil }
        var samples: [Double] = []
        for run in 0..<runs {
            let path = directory + "/activated-\(run).sock"
            let activator = Process()
            activator.executableURL = URL(fileURLWithPath: tool)
            activator.arguments = ["-l", path, serverBinary, "serve", "--database", database]
            activator.standardError = FileHandle.nullDevice
            activator.standardOutput = FileHandle.nullDevice
            try activator.run()
            // Wait for the listening socket without connecting to it (a connection would start the server).
            let deadline = monotonicNow() + 10
            while !FileManager.default.fileExists(atPath: path) {
                guard monotonicNow() < deadline else { throw BenchError.timeout(path) }
                usleep(2_000)
            }
            usleep(20_000)
            let started = monotonicNow()
            let client = try UnixClient(path: path)
            try client.write(Self.ping(1))
            _ = try client.readLine()
            samples.append(monotonicNow() - started)
            activator.terminate()
            activator.waitUntilExit()
        }
        return percentile(samples.sorted(), 0.5)
    }
}

final class LockedSamples: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Double] = []

    func append(_ values: [Double]) {
        lock.lock()
        storage += values
        lock.unlock()
    }

    var values: [Double] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}
