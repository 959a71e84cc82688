import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A JSON-RPC connection to a server's Unix socket: newline-delimited messages, one request
/// in flight at a time (the requests of one MCP client are few and each waits for its answer).
/// The blocking reads and writes run on a thread of their own, not on Swift's small pool.
public final class UnixSocketBackend: JSONRPCBackend, @unchecked Sendable {
    private let fd: Int32
    private let queue = DispatchQueue(label: "sportello.mcp.socket")
    /// Bytes read past the last reply; touched only on `queue`.
    private var pending: [UInt8] = []
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    /// Takes over `descriptor`, a stream socket connected to the server (it is closed with
    /// the backend).
    public init(descriptor: Int32) {
        self.fd = descriptor
    }

    deinit { close(fd) }

    public func exchange(_ request: [UInt8]) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                continuation.resume(with: Result { try exchangeSync(request) })
            }
        }
    }

    private func exchangeSync(_ request: [UInt8]) throws -> [UInt8] {
        var message = request
        message.append(UInt8(ascii: "\n"))
        try message.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                if written < 0 {
                    if errno == EINTR { continue }
                    throw BridgeError("the server's socket: \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
        var searched = 0
        while true {
            if let newline = pending[searched...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(pending[..<newline])
                pending.removeFirst(newline + 1)
                return line
            }
            searched = pending.count
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                throw BridgeError("the server's socket: \(String(cString: strerror(errno)))")
            }
            if count == 0 { throw BridgeError("the server closed the connection") }
            pending.append(contentsOf: buffer[0..<count])
        }
    }
}
