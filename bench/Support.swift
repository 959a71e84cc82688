import Foundation
import SportelloTestSupport

/// A blocking Unix-socket client for the benchmarks: writes bytes, reads newline-terminated
/// replies. Also over a pair of descriptors it does not own (a child's pipes).
final class UnixClient {
    let descriptor: CInt
    private let writeDescriptor: CInt
    private let ownsDescriptors: Bool
    private var buffer = [UInt8](repeating: 0, count: 256 * 1024)
    private var start = 0
    private var end = 0

    init(path: String) throws {
        descriptor = try connectUnixSocket(path: path)
        writeDescriptor = descriptor
        ownsDescriptors = true
    }

    init(reading: CInt, writing: CInt) {
        descriptor = reading
        writeDescriptor = writing
        ownsDescriptors = false
    }

    deinit { if ownsDescriptors { close(descriptor) } }

    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(writeDescriptor, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw BenchError.system("write", errno) }
            offset += written
        }
    }

    /// Reads until `count` newlines have arrived.
    func readLines(_ count: Int) throws {
        var remaining = count
        while remaining > 0 {
            if start == end {
                start = 0
                end = try fill(at: 0)
            }
            for index in start..<end where buffer[index] == UInt8(ascii: "\n") {
                remaining -= 1
                if remaining == 0 {
                    start = index + 1
                    return
                }
            }
            start = end
        }
    }

    func readLine() throws -> [UInt8] {
        var line: [UInt8] = []
        while true {
            if start == end {
                start = 0
                end = try fill(at: 0)
            }
            if let newline = buffer[start..<end].firstIndex(of: UInt8(ascii: "\n")) {
                line += buffer[start..<newline]
                start = newline + 1
                return line
            }
            line += buffer[start..<end]
            start = end
        }
    }

    private func fill(at offset: Int) throws -> Int {
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw BenchError.closed }
            return offset + count
        }
    }
}

enum BenchError: Error, CustomStringConvertible {
    case system(String, CInt)
    case closed
    case timeout(String)

    var description: String {
        switch self {
        case .system(let what, let code): "\(what): \(String(cString: strerror(code)))"
        case .closed: "connection closed"
        case .timeout(let what): "timed out waiting for \(what)"
        }
    }
}

func monotonicNow() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

func waitForSocket(_ path: String, process: Process? = nil, timeout: Double = 20) throws {
    let deadline = monotonicNow() + timeout
    while monotonicNow() < deadline {
        if let client = try? UnixClient(path: path) {
            _ = client
            return
        }
        if let process, !process.isRunning { throw BenchError.closed }
        usleep(5_000)
    }
    throw BenchError.timeout(path)
}

func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)
    return sorted[max(0, index)]
}

/// The kernel's account of a process's memory: VmRSS (now) and VmHWM (peak), in MiB.
func memoryOf(pid: Int32) -> (rss: Double, peak: Double) {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (.nan, .nan) }
    func field(_ name: String) -> Double {
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            let digits = line.split(separator: " ").compactMap { Double($0) }.first ?? .nan
            return digits / 1024
        }
        return .nan
    }
    return (field("VmRSS"), field("VmHWM"))
}

func raiseFileLimit() {
    var limit = rlimit()
    getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
}

func temporaryDirectory() throws -> String {
    var template = Array((NSTemporaryDirectory() + "sportello-bench-XXXXXX").utf8CString)
    guard let pointer = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw BenchError.system("mkdtemp", errno)
    }
    return String(cString: pointer)
}

/// Runs `binary arguments…` to completion; throws when it fails.
func runToCompletion(_ binary: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw BenchError.system("\(binary) \(arguments.joined(separator: " "))", 0) }
}

/// Starts `sportello serve` on `socketPath` and `database`, with `environment` added to ours,
/// and waits until it listens.
func startServer(
    _ binary: String, socketPath: String, database: String, environment: [String: String] = [:], arguments: [String] = []
) throws -> Process {
    let server = Process()
    server.executableURL = URL(fileURLWithPath: binary)
    // The request path alone: no background SLA sweep or mail delivery competing with the
    // measured requests (a seeded database has 100,000 receipts queued and open clocks to sweep).
    server.arguments = ["serve", "--socket", socketPath, "--database", database, "--sweep-interval", "0", "--delivery-interval", "0"]
        + arguments
    server.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    server.standardError = FileHandle.nullDevice
    try server.run()
    try waitForSocket(socketPath, process: server)
    return server
}

/// `perClient` requests on each of `clients` connections at once, one at a time on each (the
/// request for a connection's n-th call is `request(connection, connection × perClient + n)`,
/// a whole JSON-RPC line); throws unless every reply is a result; returns the elapsed seconds.
func concurrentRequests(
    socketPath: String, clients: Int, perClient: Int, _ request: @escaping (_ client: Int, _ index: Int) -> String
) throws -> Double {
    let group = DispatchGroup()
    let failures = LockedSamples()
    let started = monotonicNow()
    for clientIndex in 0..<clients {
        group.enter()
        let thread = Thread {
            defer { group.leave() }
            do {
                let client = try UnixClient(path: socketPath)
                for index in 0..<perClient {
                    try client.write(Array(request(clientIndex, clientIndex * perClient + index).utf8) + [10])
                    let reply = try client.readLine()
                    if !String(decoding: reply, as: UTF8.self).contains("\"result\"") { failures.append([1]) }
                }
            } catch {
                failures.append([1])
            }
        }
        thread.start()
    }
    group.wait()
    guard failures.values.isEmpty else { throw BenchError.timeout("requests without errors (\(failures.values.count) failed)") }
    return monotonicNow() - started
}
