// Test support for the end-to-end suite: it drives the real `sportello` binary as a subprocess,
// over pipes (stdio) and plain POSIX Unix sockets. Every wait has a deadline, so that a server
// bug fails a test instead of hanging the suite; blocking waits run on threads of their own so
// that the tests (which Swift Testing runs in parallel) do not starve its small thread pool.

import Foundation
import SportelloTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

// MARK: Errors and small helpers

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs blocking work on a thread of its own and awaits its result.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

func monotonicNow() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Waits (asynchronously) until `condition` holds; false if `timeout` seconds pass first.
func eventually(timeout: Double, interval: Double = 0.02, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = monotonicNow() + timeout
    while true {
        if try await condition() { return true }
        if monotonicNow() > deadline { return false }
        try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
    }
}

func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

/// The `sportello` binary under test: `$SPORTELLO_BIN`, else the one built beside this test bundle.
let sportelloBinary: String = {
    if let path = ProcessInfo.processInfo.environment["SPORTELLO_BIN"], !path.isEmpty { return path }
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("sportello").path
}()

func requireBinary() throws {
    guard FileManager.default.isExecutableFile(atPath: sportelloBinary) else {
        throw HarnessError("no sportello binary at \(sportelloBinary): build it (swift build --build-tests) or set SPORTELLO_BIN")
    }
}

func which(_ tool: String) -> String? {
    for directory in ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"] {
        let path = directory + "/" + tool
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

let isRoot = getuid() == 0

// MARK: Temporary directories

/// A fresh directory under /tmp, removed by `remove()`. Paths are short: a Unix socket path must
/// fit in 108 bytes.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        var template = Array("/tmp/spt-XXXXXX".utf8CString)
        guard let result = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw HarnessError("mkdtemp: \(errnoText())")
        }
        path = String(cString: result)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

// MARK: Processes

/// A child process, spawned with posix_spawn (not Foundation's `Process`, whose reaping stalls
/// when many children come and go at once). The child gets exactly stdin, stdout and stderr:
/// every other descriptor of the test process is closed in it. Stdout and stderr go to files
/// (a pipe could fill up and stall a chatty server) unless the caller passes descriptors.
final class ChildProcess: @unchecked Sendable {
    /// For `stdin:` or `stdout:`: the child starts with that descriptor closed.
    static let closed: Int32 = -1
    let pid: pid_t
    let stdoutPath: String
    let stderrPath: String
    private let lock = NSLock()
    private var exitStatus: Int32?

    /// Starts `executable`. `stdin` and `stdout` are descriptors the caller keeps (and closes);
    /// nil means /dev/null for stdin and a file in `directory` for stdout; `ChildProcess.closed`
    /// starts the child with that descriptor closed.
    init(
        _ executable: String, _ arguments: [String], directory: TemporaryDirectory, name: String = "server",
        environment: [String: String] = [:], stdin: Int32? = nil, stdout: Int32? = nil
    ) throws {
        stdoutPath = directory.file("\(name).stdout")
        stderrPath = directory.file("\(name).stderr")
        var merged = ProcessInfo.processInfo.environment
        merged["SPORTELLO_LOG_LEVEL"] = merged["SPORTELLO_LOG_LEVEL"] ?? "info"
        // Never pass on a socket-activation or notify environment from whoever runs the tests.
        for key in ["LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "WATCHDOG_USEC"] { merged[key] = nil }
        // Notifications go to a Maildir in the test's own folder (whatever the caller's
        // environment says), never to the machine's mail system; a test may name another.
        merged["SPORTELLO_MAILDIR"] = directory.file("mail")
        for (key, value) in environment { merged[key] = value }

        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let outFile = open(stdoutPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let errFile = open(stderrPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer {
            close(devNull)
            close(outFile)
            close(errFile)
        }
        guard devNull >= 0, outFile >= 0, errFile >= 0 else { throw HarnessError("open: \(errnoText())") }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if stdin == Self.closed {
            posix_spawn_file_actions_addclose(&actions, 0)
        } else {
            posix_spawn_file_actions_adddup2(&actions, stdin ?? devNull, 0)
        }
        if stdout == Self.closed {
            posix_spawn_file_actions_addclose(&actions, 1)
        } else {
            posix_spawn_file_actions_adddup2(&actions, stdout ?? outFile, 1)
        }
        posix_spawn_file_actions_adddup2(&actions, errFile, 2)
        if let closeFrom = spawnCloseFrom { _ = closeFrom(&actions, 3) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Default signal dispositions and an empty mask in the child, whatever the test runner set.
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw HarnessError("posix_spawn \(executable): \(errnoText(result))") }
        pid = child
    }

    /// Reaps the child if it has exited: its status (negative: killed by that signal), else nil.
    @discardableResult
    func reap(blocking: Bool = false) -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(pid, &status, blocking ? 0 : WNOHANG) } while result < 0 && errno == EINTR
        guard result == pid else { return nil }
        let signal = status & 0x7F
        exitStatus = signal == 0 ? (status >> 8) & 0xFF : -signal
        return exitStatus
    }

    var isRunning: Bool { reap() == nil }

    /// The exit status once the process has exited (negative: killed by that signal), or nil
    /// if it is still running after `timeout` seconds.
    func waitForExit(timeout: Double) async -> Int32? {
        guard await eventually(timeout: timeout, { !isRunning }) else { return nil }
        return reap()
    }

    func signal(_ number: Int32) {
        lock.lock()
        defer { lock.unlock() }
        if exitStatus == nil { kill(pid, number) }  // never signal a reaped (maybe reused) pid
    }

    /// Kills the process if it still runs, and reaps it (every test calls this on its way out).
    func stop() {
        guard isRunning else { return }
        signal(SIGKILL)
        reap(blocking: true)
    }

    deinit { stop() }

    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    var stdoutText: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }

    /// The resident set size, from /proc/PID/status, in bytes.
    func residentBytes() throws -> Int { try status("VmRSS") }

    /// The largest resident set size the process has had (its high-water mark), in bytes.
    func peakResidentBytes() throws -> Int { try status("VmHWM") }

    private func status(_ field: String) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
            let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { throw HarnessError("no \(field) in /proc/\(pid)/status") }
        return kilobytes * 1024
    }
}

/// Opens `path` for reading (close-on-exec), for a child's stdin.
func openForReading(_ path: String) throws -> Int32 {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw HarnessError("open \(path): \(errnoText())") }
    return fd
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module does
/// not declare: found at run time. Without it, children still get only what is not
/// close-on-exec, and every descriptor this harness opens is close-on-exec.
let spawnCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
    guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
}()

/// A pipe whose ends are both close-on-exec: (read end, write end).
func makePipe() throws -> (Int32, Int32) {
    var ends: [Int32] = [-1, -1]
    guard pipe(&ends) == 0 else { throw HarnessError("pipe: \(errnoText())") }
    for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
    return (ends[0], ends[1])
}

/// Runs a command to completion (with a deadline) and returns its status, stdout and stderr.
func runCommand(
    _ executable: String, _ arguments: [String], directory: TemporaryDirectory, name: String = "command",
    environment: [String: String] = [:], stdin: Int32? = nil, timeout: Double = 20
) async throws -> (status: Int32, stdout: String, stderr: String) {
    let child = try ChildProcess(
        executable, arguments, directory: directory, name: name, environment: environment, stdin: stdin)
    defer { child.stop() }
    guard let status = await child.waitForExit(timeout: timeout) else {
        throw HarnessError("\(executable) \(arguments) did not finish in \(timeout) s; stderr: \(child.stderr)")
    }
    return (status, child.stdoutText, child.stderr)
}

/// A `sportello serve --socket` server in its own temporary directory.
final class SocketServer: @unchecked Sendable {
    let directory: TemporaryDirectory
    let socketPath: String
    let databasePath: String
    let child: ChildProcess
    var pid: Int32 { child.pid }

    /// Starts the server and waits until its socket accepts connections.
    init(
        directory: TemporaryDirectory? = nil, socketPath: String? = nil, databasePath: String? = nil,
        arguments: [String] = [], name: String = "server", waitUntilReady: Bool = true, launcher: [String] = [],
        environment: [String: String] = [:]
    ) async throws {
        try requireBinary()
        let directory = try directory ?? TemporaryDirectory()
        self.directory = directory
        self.socketPath = socketPath ?? directory.file("s.sock")
        self.databasePath = databasePath ?? directory.file("sportello.db")
        // `launcher`: a command that execs the server in place (prlimit, setpriv), so pid stays the server's.
        let command = launcher + [sportelloBinary, "serve", "--socket", self.socketPath, "--database", self.databasePath] + arguments
        child = try ChildProcess(command[0], Array(command.dropFirst()), directory: directory, name: name, environment: environment)
        if waitUntilReady { try await waitForSocket() }
    }

    func waitForSocket(timeout: Double = 15) async throws {
        let ready = await eventually(timeout: timeout) {
            if !child.isRunning { return true }
            return (try? UnixConnection(path: socketPath, retryTimeout: 0))?.close() != nil
        }
        guard child.isRunning else { throw HarnessError("the server exited during start-up: \(child.stderr)") }
        guard ready else { throw HarnessError("the server never listened on \(socketPath): \(child.stderr)") }
    }

    func connect() throws -> UnixConnection { try UnixConnection(path: socketPath) }

    /// Connects as soon as the socket accepts; nil if the server exits first.
    func connectAsSoonAsListening(timeout: Double = 15) async throws -> UnixConnection? {
        var connection: UnixConnection?
        _ = await eventually(timeout: timeout, interval: 0.005) {
            connection = try? UnixConnection(path: socketPath, retryTimeout: 0)
            return connection != nil || !child.isRunning
        }
        return connection
    }

    /// Stops the server (SIGKILL if still running) and removes its directory.
    func stop() {
        child.stop()
        directory.remove()
    }
}

// MARK: Replies

/// One reply as read from the wire: its exact text and its JSONSerialization value.
struct Reply: @unchecked Sendable, CustomStringConvertible {
    let raw: [UInt8]
    let json: Any

    init(raw: [UInt8]) throws {
        self.raw = raw
        do {
            json = try JSONSerialization.jsonObject(with: Data(raw), options: [.fragmentsAllowed])
        } catch {
            throw HarnessError("a reply is not JSON: \(String(decoding: raw, as: UTF8.self).prefix(300))")
        }
    }

    var text: String { String(decoding: raw, as: UTF8.self) }
    var description: String { text.count > 400 ? String(text.prefix(400)) + "…" : text }

    var object: [String: Any]? { json as? [String: Any] }
    var array: [[String: Any]]? { json as? [[String: Any]] }
    var result: [String: Any]? { object?["result"] as? [String: Any] }
    var error: [String: Any]? { object?["error"] as? [String: Any] }
    var errorCode: Int? { (error?["code"] as? NSNumber)?.intValue }
    var errorData: [String: Any]? { error?["data"] as? [String: Any] }
    /// The id exactly as written on the wire: `1`, `1.5`, `"x"`, `null`.
    var rawID: String? { rawIDText(text) }
    var isNullID: Bool { object.map { $0["id"] is NSNull } ?? false }
}

/// The text of the top-level `"id"` member of a compact reply object.
func rawIDText(_ text: String) -> String? {
    guard let range = text.range(of: "\"id\":") else { return nil }
    var rest = text[range.upperBound...]
    if rest.first == "\"" {
        rest = rest.dropFirst()
        var value = "\""
        var escaped = false
        for character in rest {
            value.append(character)
            if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { return value }
        }
        return nil
    }
    return String(rest.prefix { $0 != "," && $0 != "}" })
}

func errorCode(_ entry: [String: Any]) -> Int? { ((entry["error"] as? [String: Any])?["code"] as? NSNumber)?.intValue }

func pingRequest(id: Any = 1) -> String {
    let idText: String
    if let string = id as? String { idText = "\"\(string)\"" } else { idText = "\(id)" }
    return #"{"jsonrpc":"2.0","id":\#(idText),"method":"server.ping"}"#
}

// MARK: Descriptors

/// Waits for `events` on `fd` until `deadline` (monotonic seconds); false on timeout.
func pollFor(_ fd: Int32, events: Int16, deadline: Double) throws -> Bool {
    while true {
        let remaining = deadline - monotonicNow()
        if remaining <= 0 { return false }
        var entry = pollfd(fd: fd, events: events, revents: 0)
        let result = poll(&entry, 1, Int32(min(remaining * 1000, 1000)) + 1)
        if result < 0 {
            if errno == EINTR { continue }
            throw HarnessError("poll: \(errnoText())")
        }
        if result > 0 { return true }
    }
}

func setNonBlocking(_ fd: Int32) {
    let flags = fcntl(fd, F_GETFL)
    _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
}

/// Reads and writes a descriptor (a Unix socket or a pipe) with deadlines; splits the input
/// into lines or Content-Length messages.
class Stream: @unchecked Sendable {
    let readFD: Int32
    let writeFD: Int32
    let isSocket: Bool
    private(set) var buffer: [UInt8] = []
    private(set) var sawEOF = false
    private var closed = false
    private var writeClosed = false
    /// `id → method` of the requests sent, for `ReplyLog`.
    private var sentMethods: [String: String] = [:]

    init(readFD: Int32, writeFD: Int32, isSocket: Bool) {
        self.readFD = readFD
        self.writeFD = writeFD
        self.isSocket = isSocket
        setNonBlocking(readFD)
        if writeFD != readFD, writeFD >= 0 { setNonBlocking(writeFD) }
    }

    deinit { close() }

    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(readFD)
        if writeFD != readFD, writeFD >= 0, !writeClosed { Glibc.close(writeFD) }
        writeClosed = true
    }

    // Writing

    /// Writes every byte, reading (and buffering) whatever arrives meanwhile so that neither side
    /// can stall on a full buffer. Throws on timeout or when the peer has gone.
    func sendSync(_ bytes: [UInt8], timeout: Double = 20) throws {
        if ReplyLog.shared.isOn { sentMethods.merge(ReplyLog.shared.requests(in: bytes)) { $1 } }
        let deadline = monotonicNow() + timeout
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw -> Int in
                let pointer = raw.baseAddress! + offset
                return isSocket ? Glibc.send(writeFD, pointer, raw.count - offset, Int32(MSG_NOSIGNAL)) : write(writeFD, pointer, raw.count - offset)
            }
            if written > 0 {
                offset += written
                continue
            }
            if written < 0, errno == EINTR { continue }
            guard written < 0, errno == EAGAIN || errno == EWOULDBLOCK else {
                throw HarnessError("write: \(errnoText())")
            }
            var entries = [pollfd(fd: writeFD, events: Int16(POLLOUT), revents: 0)]
            if !sawEOF { entries.append(pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)) }
            let remaining = deadline - monotonicNow()
            guard remaining > 0 else { throw HarnessError("write timed out after \(offset) of \(bytes.count) bytes") }
            let result = poll(&entries, nfds_t(entries.count), Int32(min(remaining * 1000, 1000)) + 1)
            if result < 0, errno != EINTR { throw HarnessError("poll: \(errnoText())") }
            if entries.count > 1, entries[1].revents != 0 { _ = try fill() }
        }
    }

    func shutdownWrite() {
        if isSocket {
            _ = shutdown(writeFD, Int32(SHUT_WR))
        } else if !writeClosed, writeFD >= 0 {
            // A pipe ends by closing it: once, or a later close could hit a reused descriptor.
            writeClosed = true
            Glibc.close(writeFD)
        }
    }

    // Reading

    /// Reads what is available into the buffer: the number of bytes read, 0 at end of input.
    @discardableResult
    func fill() throws -> Int {
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
            if count > 0 {
                buffer.append(contentsOf: chunk[0..<count])
                return count
            }
            if count == 0 {
                sawEOF = true
                return 0
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return -1
            case ECONNRESET:
                sawEOF = true  // a peer that closed with our input unread: the same as an end
                return 0
            default: throw HarnessError("read: \(errnoText())")
            }
        }
    }

    /// Reads until `extract` finds a complete item in the buffer, or the deadline passes.
    func readItem<T>(timeout: Double, what: String, _ extract: () throws -> T?) throws -> T {
        let deadline = monotonicNow() + timeout
        while true {
            if let item = try extract() { return item }
            if sawEOF { throw HarnessError("the peer closed the connection while \(what) was awaited") }
            guard try pollFor(readFD, events: Int16(POLLIN), deadline: deadline) else {
                throw HarnessError("no \(what) within \(timeout) s (buffered: \(String(decoding: buffer.prefix(200), as: UTF8.self)))")
            }
            try fill()
        }
    }

    /// The next newline-terminated line, without its line end.
    func readLineSync(timeout: Double = 10) throws -> [UInt8] {
        try readItem(timeout: timeout, what: "line") { takeLine() }
    }

    func takeLine() -> [UInt8]? {
        guard let newline = buffer.firstIndex(of: 0x0A) else { return nil }
        var line = Array(buffer[..<newline])
        buffer.removeSubrange(...newline)
        if line.last == 0x0D { line.removeLast() }
        return line
    }

    /// The next Content-Length framed message: its headers (lowercased names) and body.
    func readFramedSync(timeout: Double = 10) throws -> (headers: [String: String], body: [UInt8]) {
        try readItem(timeout: timeout, what: "Content-Length message") {
            let separator: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A]
            guard buffer.count >= 4, let end = (0...(buffer.count - 4)).first(where: { Array(buffer[$0..<($0 + 4)]) == separator })
            else { return nil }
            let headerText = String(decoding: buffer[..<end], as: UTF8.self)
            var headers: [String: String] = [:]
            for line in headerText.components(separatedBy: "\r\n") {
                guard let colon = line.firstIndex(of: ":") else { throw HarnessError("bad header line \(line.debugDescription)") }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            guard let length = headers["content-length"].flatMap({ Int($0) }) else {
                throw HarnessError("no Content-Length in \(headerText.debugDescription)")
            }
            guard buffer.count >= end + 4 + length else { return nil }
            let body = Array(buffer[(end + 4)..<(end + 4 + length)])
            buffer.removeSubrange(..<(end + 4 + length))
            return (headers, body)
        }
    }

    /// Everything until the peer closes (lines, or nothing).
    func readToEndSync(timeout: Double = 10) throws -> [UInt8] {
        let deadline = monotonicNow() + timeout
        while !sawEOF {
            guard try pollFor(readFD, events: Int16(POLLIN), deadline: deadline) else {
                throw HarnessError("the peer did not close within \(timeout) s")
            }
            try fill()
        }
        defer { buffer.removeAll() }
        return buffer
    }

    /// Whether the peer has closed: waits up to `timeout` for end of input, discarding data.
    func closedByPeerSync(timeout: Double) throws -> Bool {
        let deadline = monotonicNow() + timeout
        while !sawEOF {
            guard try pollFor(readFD, events: Int16(POLLIN), deadline: deadline) else { return false }
            try fill()
            buffer.removeAll()
        }
        return true
    }

    /// Reads lines until `count` have arrived.
    func readLinesSync(_ count: Int, timeout: Double = 20) throws -> [[UInt8]] {
        let deadline = monotonicNow() + timeout
        var lines: [[UInt8]] = []
        while lines.count < count {
            while lines.count < count, let line = takeLine() { lines.append(line) }
            if lines.count == count { break }
            if sawEOF { throw HarnessError("the peer closed after \(lines.count) of \(count) lines") }
            guard try pollFor(readFD, events: Int16(POLLIN), deadline: deadline) else {
                throw HarnessError("only \(lines.count) of \(count) lines within \(timeout) s")
            }
            try fill()
        }
        return lines
    }

    // Async faces of the above, for the tests.

    func send(_ text: String, timeout: Double = 20) async throws { try await send(Array(text.utf8), timeout: timeout) }
    func send(_ bytes: [UInt8], timeout: Double = 20) async throws { try await offload { try self.sendSync(bytes, timeout: timeout) } }
    func sendLine(_ text: String) async throws { try await send(Array((text + "\n").utf8)) }

    func readLine(timeout: Double = 10) async throws -> [UInt8] { try await offload { try self.readLineSync(timeout: timeout) } }
    func readReply(timeout: Double = 10) async throws -> Reply { try noted(Reply(raw: try await readLine(timeout: timeout))) }
    func readReplies(_ count: Int, timeout: Double = 20) async throws -> [Reply] {
        try await offload { try self.readLinesSync(count, timeout: timeout) }.map { try noted(Reply(raw: $0)) }
    }
    func readFramed(timeout: Double = 10) async throws -> (headers: [String: String], reply: Reply) {
        let (headers, body) = try await offload { try self.readFramedSync(timeout: timeout) }
        return (headers, try noted(Reply(raw: body)))
    }

    /// Hands `reply` to the `ReplyLog`, with the requests it may answer.
    private func noted(_ reply: Reply) -> Reply {
        ReplyLog.shared.note(reply.json, methods: sentMethods)
        return reply
    }
    func readToEnd(timeout: Double = 10) async throws -> [UInt8] { try await offload { try self.readToEndSync(timeout: timeout) } }
    func closedByPeer(timeout: Double) async throws -> Bool { try await offload { try self.closedByPeerSync(timeout: timeout) } }

    /// Sends one line and reads one reply.
    func call(_ line: String, timeout: Double = 10) async throws -> Reply {
        try await sendLine(line)
        return try await readReply(timeout: timeout)
    }

    /// `server.ping` with this id, checking the pong.
    func ping(id: Int = 424_242, timeout: Double = 10) async throws -> Bool {
        let reply = try await call(pingRequest(id: id), timeout: timeout)
        return reply.result?["pong"] as? Bool == true && reply.rawID == "\(id)"
    }
}

/// A client connection to a Unix socket.
final class UnixConnection: Stream, @unchecked Sendable {
    /// Connects, retrying while the listen queue is full (EAGAIN) for up to `retryTimeout` s.
    init(path: String, retryTimeout: Double = 10) throws {
        let fd: Int32
        do {
            fd = try connectUnixSocket(path: path, nonBlocking: true, retryTimeout: retryTimeout)
        } catch {
            throw HarnessError("\(error)")
        }
        super.init(readFD: fd, writeFD: fd, isSocket: true)
    }

    /// Closes with a reset instead of an orderly end (SO_LINGER 0).
    func abort() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(readFD, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }
}

/// A `sportello serve --stdio` child with pipes for stdin and stdout.
final class StdioServer: @unchecked Sendable {
    let directory: TemporaryDirectory
    let child: ChildProcess
    let stream: Stream

    /// A server on a fresh database in a new directory, or on `database`.
    init(arguments: [String] = [], database: String? = nil) throws {
        try requireBinary()
        directory = try TemporaryDirectory()
        let (inputRead, inputWrite) = try makePipe()
        let (outputRead, outputWrite) = try makePipe()
        defer {
            close(inputRead)
            close(outputWrite)
        }
        do {
            child = try ChildProcess(
                sportelloBinary, ["serve", "--stdio", "--database", database ?? directory.file("sportello.db")] + arguments,
                directory: directory, stdin: inputRead, stdout: outputWrite)
        } catch {
            close(inputWrite)
            close(outputRead)
            throw error
        }
        stream = Stream(readFD: outputRead, writeFD: inputWrite, isSocket: false)
    }

    func stop() {
        child.stop()
        stream.close()
        directory.remove()
    }
}
