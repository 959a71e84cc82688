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

    /// Connects to `path`; throws a `BridgeError` naming the path and the reason.
    public init(path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BridgeError("cannot create a socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            close(fd)
            throw BridgeError("the socket path \(path) is longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw BridgeError("cannot connect to the server's socket \(path): \(reason)")
        }
        self.fd = fd
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
