import Foundation
import SportelloTestSupport
import Testing

/// A datagram socket standing in for systemd's NOTIFY_SOCKET.
final class NotifyListener: @unchecked Sendable {
    let path: String
    let fd: Int32
    private(set) var messages: [String] = []

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(errnoText())") }
        let result: Int32
        do {
            result = try withUnixSocketAddress(path) { address, length in bind(fd, address, length) }
        } catch {
            throw HarnessError("\(error)")
        }
        guard result == 0 else { throw HarnessError("bind \(path): \(errnoText())") }
    }

    deinit { close(fd) }

    /// Waits until a datagram containing `text` arrives; false after `timeout` seconds.
    func waitForSync(_ text: String, timeout: Double) throws -> Bool {
        let deadline = monotonicNow() + timeout
        while true {
            if messages.contains(where: { $0.contains(text) }) { return true }
            guard try pollFor(fd, events: Int16(POLLIN), deadline: deadline) else { return false }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 { messages.append(String(decoding: buffer[0..<count], as: UTF8.self)) }
        }
    }

    func waitFor(_ text: String, timeout: Double = 10) async throws -> Bool {
        try await offload { try self.waitForSync(text, timeout: timeout) }
    }
}

@Suite("systemd socket activation")
struct ActivationTests {
    @Test(
        "serves an inherited socket; READY=1 and STOPPING=1 reach NOTIFY_SOCKET; SIGTERM exits 0",
        .enabled(if: which("systemd-socket-activate") != nil, "systemd-socket-activate is not installed"))
    func socketActivation() async throws {
        try requireBinary()
        let activate = try #require(which("systemd-socket-activate"))
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let notify = try NotifyListener(path: directory.file("notify.sock"))
        let socketPath = directory.file("act.sock")
        let child = try ChildProcess(
            activate,
            ["-l", socketPath, "-E", "SPORTELLO_LOG_LEVEL=info", "-E", "NOTIFY_SOCKET=\(notify.path)",
             sportelloBinary, "serve", "--database", directory.file("sportello.db")],
            directory: directory)
        defer { child.stop() }
        let listening = await eventually(timeout: 10) { isSocketFile(socketPath) || !child.isRunning }
        #expect(listening && child.isRunning, "stderr: \(child.stderr)")

        // The socket file appears at bind(); connections are refused until listen() follows.
        var accepted: UnixConnection?
        _ = await eventually(timeout: 10) {
            accepted = try? UnixConnection(path: socketPath, retryTimeout: 0)
            return accepted != nil
        }
        let connection = try #require(accepted, "the activated socket never accepted: \(child.stderr)")
        #expect(try await connection.ping(timeout: 15), "stderr: \(child.stderr)")
        let info = try await connection.call(#"{"jsonrpc":"2.0","id":2,"method":"server.info"}"#)
        #expect(info.result?["transport"] as? String == "socket")
        #expect(try await notify.waitFor("READY=1"), "datagrams: \(notify.messages)")

        connection.close()
        child.signal(SIGTERM)
        #expect(try await notify.waitFor("STOPPING=1"), "datagrams: \(notify.messages)")
        #expect(await child.waitForExit(timeout: 10) == 0, "stderr: \(child.stderr)")
    }

    @Test("plain serve with no inherited socket refuses to start with a clear message")
    func noInheritedSocket() async throws {
        try requireBinary()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let run = try await runCommand(sportelloBinary, ["serve", "--database", directory.file("db")], directory: directory)
        #expect(run.status != 0)
        #expect(run.stderr.contains("--socket"), "\(run.stderr)")
    }
}
