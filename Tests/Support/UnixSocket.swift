import Glibc

/// A failed socket call: what was done (with the path) and `errno`.
public struct UnixSocketError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    /// `errno`, or 0 when the path does not fit in `sun_path`.
    public let code: Int32

    public var description: String {
        code == 0 ? operation : "\(operation): \(String(cString: strerror(code))) (errno \(code))"
    }
}

/// Calls `body` with the address of the Unix socket at `path`, for `bind` or `connect`.
/// Throws when the path (with its terminating NUL) does not fit in `sun_path`.
public func withUnixSocketAddress<Result>(
    _ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) throws(UnixSocketError) -> Result
) throws(UnixSocketError) -> Result {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
        throw UnixSocketError(operation: "socket path too long: \(path)", code: 0)
    }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        raw.copyBytes(from: bytes)
        raw[bytes.count] = 0
    }
    return try withUnsafePointer(to: &address) { (pointer) throws(UnixSocketError) -> Result in
        try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (address) throws(UnixSocketError) -> Result in
            try body(address, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
}

/// A stream socket connected to the Unix socket at `path` (close-on-exec; non-blocking if asked).
/// While the server's listen queue is full (EAGAIN) it retries every 2 ms for up to
/// `retryTimeout` seconds; an interrupted `connect` is retried at once.
public func connectUnixSocket(path: String, nonBlocking: Bool = false, retryTimeout: Double = 0) throws(UnixSocketError) -> Int32 {
    var type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    if nonBlocking { type |= Int32(SOCK_NONBLOCK.rawValue) }
    let fd = socket(AF_UNIX, type, 0)
    guard fd >= 0 else { throw UnixSocketError(operation: "socket", code: errno) }
    do throws(UnixSocketError) {
        let deadline = monotonicSeconds() + retryTimeout
        try withUnixSocketAddress(path) { (address, length) throws(UnixSocketError) in
            while connect(fd, address, length) != 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN, monotonicSeconds() < deadline {
                    usleep(2000)
                    continue
                }
                throw UnixSocketError(operation: "connect \(path)", code: code)
            }
        }
    } catch {
        close(fd)
        throw error
    }
    return fd
}

private func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
