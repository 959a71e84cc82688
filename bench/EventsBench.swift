import Foundation
import SportelloTestSupport

/// The live-event figures: one change heard by 1,000 subscribed connections (the time until the
/// last one has read it, beside the time the change's own reply took), and 10,000 changes
/// heard by 100 subscribers (the changes' throughput with and without those subscribers).
struct EventsBenchmarks {
    let serverBinary: String
    var fanOutSubscribers = 1000
    var fanOutChanges = 210
    var throughputSubscribers = 100
    var throughputChanges = 10_000
    var writers = 8

    func run() throws -> [BenchResult] {
        raiseFileLimit()
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = directory + "/events.db"
        try runToCompletion(serverBinary, ["seed-demo", "--database", database, "--tickets", "1000"])
        let socketPath = directory + "/sportello.sock"
        let server = try startServer(serverBinary, socketPath: socketPath, database: database)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        var results: [BenchResult] = []

        // Fan-out: 1,000 subscribers; each change is a ticket opened (the system sees every
        // ticket, so every subscriber hears every change).
        let subscribers = try subscribe(fanOutSubscribers, socketPath: socketPath)
        let writer = try UnixClient(path: socketPath)
        var lastHeard: [Double] = []
        var replied: [Double] = []
        for index in 0..<fanOutChanges {
            let started = monotonicNow()
            try writer.write(Array((Self.opening(0, index) + "\n").utf8))
            let reply = try writer.readLine()
            replied.append(monotonicNow() - started)
            guard String(decoding: reply, as: UTF8.self).contains("\"result\"") else {
                throw BenchError.timeout("a ticket.open result: \(String(decoding: reply.prefix(300), as: UTF8.self))")
            }
            try subscribers.readOneEach(timeout: 10)
            if index >= 10 { lastHeard.append(monotonicNow() - started) }
        }
        subscribers.close()
        lastHeard.sort()
        replied.sort()
        results.append(BenchResult(
            name: "event fan-out to \(fanOutSubscribers) connections: last has it, p50", value: percentile(lastHeard, 0.5) * 1000,
            unit: "ms", note: "change's own reply p50 \(String(format: "%.2f", percentile(replied, 0.5) * 1000)) ms"))
        results.append(BenchResult(
            name: "event fan-out to \(fanOutSubscribers) connections: last has it, p99", value: percentile(lastHeard, 0.99) * 1000,
            unit: "ms", note: "target < 50 ms (from sending the change)"))

        // Throughput: the same changes (tickets opened by 8 writers) with nobody listening, then
        // with 100 subscribers that must each read every event.
        let opening = Self.opening
        let perWriter = throughputChanges / writers
        let alone = try concurrentRequests(socketPath: socketPath, clients: writers, perClient: perWriter) { client, index in
            opening(client, index + 1000)
        }
        let listeners = try subscribe(throughputSubscribers, socketPath: socketPath)
        let heard = Thread.detachedResult { try listeners.readEach(perWriter * writers, timeout: 120) }
        let started = monotonicNow()
        _ = try concurrentRequests(socketPath: socketPath, clients: writers, perClient: perWriter) { client, index in
            opening(client, index + 1000 + perWriter * writers)
        }
        try heard.wait()
        let withSubscribers = monotonicNow() - started
        listeners.close()
        let changes = Double(perWriter * writers)
        results.append(BenchResult(
            name: "\(Int(changes)) changes, no subscriber", value: changes / alone, unit: "changes/s", note: "baseline"))
        results.append(BenchResult(
            name: "\(Int(changes)) changes, \(throughputSubscribers) subscribers hearing all", value: changes / withSubscribers,
            unit: "changes/s",
            note: String(format: "%.2f× the baseline; %.0f events/s delivered", alone / withSubscribers,
                         changes * Double(throughputSubscribers) / withSubscribers)))
        return results
    }

    /// A ticket opened for one of the demo contacts (as the ticket figures do).
    static func opening(_ client: Int, _ index: Int) -> String {
        #"{"jsonrpc":"2.0","id":\#(index),"method":"ticket.open","params":{"contact":\#(1 + index % 600),"product":"zenshare-suite","subject":"Richiesta \#(index)","body":"Buongiorno, l'esportazione delle fatture si interrompe con un errore.","channel":"email"}}"#
    }

    private func subscribe(_ count: Int, socketPath: String) throws -> Subscribers {
        let subscribers = Subscribers()
        for _ in 0..<count {
            let client = try UnixClient(path: socketPath)
            try client.write(Array(#"{"jsonrpc":"2.0","id":1,"method":"events.subscribe"}"#.utf8) + [10])
            let reply = try client.readLine()
            guard String(decoding: reply, as: UTF8.self).contains("\"subscription\"") else {
                throw BenchError.timeout("events.subscribe: \(String(decoding: reply.prefix(300), as: UTF8.self))")
            }
            subscribers.add(client)
        }
        return subscribers
    }
}

/// Many subscribed connections read with poll(2) from one thread, counting whole lines.
final class Subscribers: @unchecked Sendable {
    private var clients: [UnixClient] = []
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    func add(_ client: UnixClient) { clients.append(client) }

    func close() { clients.removeAll() }

    /// Until every connection has read one more line.
    func readOneEach(timeout: Double) throws { try readEach(1, timeout: timeout) }

    /// Until every connection has read `lines` more lines. Assumes nothing else is in flight
    /// (a line is one event: the subscriptions' replies were read when they were made).
    func readEach(_ lines: Int, timeout: Double) throws {
        var remaining = [Int](repeating: lines, count: clients.count)
        var open = clients.count
        var descriptors = clients.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
        let deadline = monotonicNow() + timeout
        while open > 0 {
            let left = Int32(max(1, (deadline - monotonicNow()) * 1000))
            guard monotonicNow() < deadline else { throw BenchError.timeout("events on \(open) connections") }
            let ready = poll(&descriptors, nfds_t(descriptors.count), left)
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { continue }
            for index in descriptors.indices where descriptors[index].revents != 0 {
                descriptors[index].revents = 0
                let count = buffer.withUnsafeMutableBytes { recv(descriptors[index].fd, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT)) }
                if count < 0, errno == EAGAIN || errno == EINTR { continue }
                guard count > 0 else { throw BenchError.closed }
                var newlines = 0
                for byte in buffer[0..<count] where byte == UInt8(ascii: "\n") { newlines += 1 }
                // Whole events only: lines are small, and the server writes each one whole.
                remaining[index] -= newlines
                if remaining[index] <= 0, descriptors[index].events != 0 {
                    descriptors[index].events = 0
                    descriptors[index].fd = -descriptors[index].fd - 1
                    open -= 1
                }
            }
        }
        for index in descriptors.indices where descriptors[index].fd < 0 { descriptors[index].fd = -descriptors[index].fd - 1 }
    }
}

extension Thread {
    /// Runs `body` on a thread of its own; `wait()` returns when it has finished (rethrowing).
    static func detachedResult(_ body: @escaping () throws -> Void) -> DetachedResult {
        let result = DetachedResult()
        let thread = Thread {
            do { try body() } catch { result.error = error }
            result.done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
        return result
    }
}

final class DetachedResult: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    var error: (any Error)?

    func wait() throws {
        done.wait()
        if let error { throw error }
    }
}
