import Foundation
import JSONRPC
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The limits and timers of a server.
public struct ServerOptions: Sendable {
    /// A message longer than this is answered with -32008 and skipped without being buffered.
    public var maximumMessageBytes = 1 << 20
    /// Messages one connection may have waiting (behind a running one) before the server stops
    /// reading from it.
    public var maximumQueuedPerConnection = 128
    /// Bytes those waiting messages may take before the server stops reading from the
    /// connection (one message is always read, whatever its size). A client pipelining large
    /// messages — the mail gateway's `mail.upload` pieces — is then held at the socket instead
    /// of in the server's memory: 128 waiting pieces of 512 KiB were 64 MiB.
    public var maximumQueuedBytesPerConnection = 1 << 20
    /// Reply bytes a connection may have written but not yet sent to its peer (the channel's
    /// high water mark). Past it the connection runs no further request and reads nothing until
    /// the peer has taken half of them, so a client that never reads holds at most this much.
    public var maximumUnwrittenReplyBytes = 4 << 20
    /// Exit (successfully) after this long with no connection and no request in flight.
    public var exitIdleTime: Duration?

    public init() {}
}

/// Where a server listens.
public enum Listener: Sendable {
    /// One session on standard input and output; the server stops when the input ends.
    case stdio
    /// A Unix socket at this path, created (with its parent directory) by the server.
    case socket(path: String)
    /// Listening sockets inherited from systemd socket activation.
    case inherited([CInt])
}

public enum ServerError: Error, CustomStringConvertible {
    case socketInUse(String)
    case notASocket(String)
    case noInheritedSockets

    public var description: String {
        switch self {
        case .socketInUse(let path): "a server is already answering on \(path); refusing to replace its socket"
        case .notASocket(let path): "\(path) exists and is not a socket; refusing to replace it"
        case .noInheritedSockets: "no socket given: use --stdio, --socket PATH, or start under systemd socket activation"
        }
    }
}

/// A JSON-RPC server on one listener, run as a service of swift-service-lifecycle: it serves
/// until the listener's input ends (stdio), the idle time passes, or a graceful shutdown is
/// asked (SIGTERM/SIGINT); then it stops accepting, answers every request it has read, and
/// returns.
public final class RPCServer: Service, Sendable {
    private let listener: Listener
    private let options: ServerOptions
    private let makeSession: @Sendable (ConnectionInfo) -> any RPCSession
    private let logger: Logger
    private let group: MultiThreadedEventLoopGroup

    public init(
        listener: Listener,
        options: ServerOptions = ServerOptions(),
        logger: Logger,
        group: MultiThreadedEventLoopGroup = .singleton,
        makeSession: @escaping @Sendable (ConnectionInfo) -> any RPCSession
    ) {
        self.listener = listener
        self.options = options
        self.logger = logger
        self.group = group
        self.makeSession = makeSession
    }

    public func run() async throws {
        let isStdio = if case .stdio = listener { true } else { false }
        if !isStdio { raiseDescriptorLimit(logger: logger) }
        let state = ServerState(logger: logger, stopWhenLastConnectionCloses: isStdio)
        let stopped = group.next().makePromise(of: Void.self)
        state.onStopped { stopped.succeed() }

        let listening: [any Channel]
        var stdioPumps: [Pump] = []
        var socketPath: String?
        do {
            switch listener {
            case .stdio:
                listening = []
                stdioPumps = try await startStdio(state: state)
            case .socket(let path):
                listening = [try await bindSocket(path: path, state: state)]
                socketPath = path
            case .inherited(let descriptors):
                guard !descriptors.isEmpty else { throw ServerError.noInheritedSockets }
                var channels: [any Channel] = []
                for descriptor in descriptors {
                    channels.append(try await serverBootstrap(state: state).withBoundSocket(descriptor).get())
                }
                listening = channels
            }
        } catch {
            stopped.succeed()
            throw error
        }

        let location = switch listener {
        case .stdio: "stdio"
        case .socket(let path): path
        case .inherited(let descriptors): "\(descriptors.count) inherited socket(s)"
        }
        logger.info("serving on \(location)")
        Systemd.notify("READY=1\nSTATUS=Serving on \(location)")

        let timers = startTimers(state: state)

        await withGracefulShutdownHandler {
            try? await stopped.futureResult.get()
        } onGracefulShutdown: {
            self.shutDown(state: state, listening: listening)
        }
        for timer in timers { timer.cancel() }
        // Whatever ended the serving, make sure listeners are closed before returning.
        for channel in listening { try? await channel.close() }
        if let socketPath { unlink(socketPath) }
        for pump in stdioPumps { pump.waitUntilFinished() }
        logger.info("stopped")
    }

    /// SIGTERM/SIGINT: stop accepting, let every connection finish what it has read, then stop.
    private func shutDown(state: ServerState, listening: [any Channel]) {
        let connections = state.beginShutdown()
        logger.info("shutting down: draining \(connections.count) connection(s), \(state.inFlight) request(s) in flight")
        Systemd.notify("STOPPING=1\nSTATUS=Draining \(state.inFlight) request(s)")
        for channel in listening { channel.close(promise: nil) }
        for channel in connections { channel.pipeline.fireUserInboundEventTriggered(DrainEvent()) }
    }

    private func startTimers(state: ServerState) -> [RepeatedTask] {
        var timers: [RepeatedTask] = []
        let loop = group.next()
        if let interval = Systemd.watchdogInterval() {
            timers.append(loop.scheduleRepeatedTask(initialDelay: .zero, delay: TimeAmount(interval / 2)) { _ in
                Systemd.notify("WATCHDOG=1")
            })
        }
        if let idle = options.exitIdleTime {
            let amount = TimeAmount(idle)
            let check = min(amount, .milliseconds(250))
            timers.append(loop.scheduleRepeatedTask(initialDelay: check, delay: check) { [logger] task in
                guard state.isIdle(for: amount), !state.isShuttingDown else { return }
                logger.info("idle for \(idle); exiting")
                Systemd.notify("STOPPING=1\nSTATUS=Idle, exiting")
                _ = state.beginShutdown()
                task.cancel()
            })
        }
        return timers
    }

    // MARK: Pipelines

    private func configure(_ channel: any Channel, info: ConnectionInfo, state: ServerState) -> EventLoopFuture<Void> {
        let session = makeSession(info)
        let options = self.options
        let limit = session.maximumMessageBytes ?? options.maximumMessageBytes
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(maximumMessageBytes: limit)))
            try channel.pipeline.syncOperations.addHandler(
                RPCChannelHandler(
                    session: session, state: state, maximumQueued: options.maximumQueuedPerConnection,
                    maximumQueuedBytes: options.maximumQueuedBytesPerConnection,
                    maximumMessageBytes: limit, maximumHeldBytes: max(options.maximumUnwrittenReplyBytes, 2)))
        }
    }

    private var writeBufferWaterMark: ChannelOptions.Types.WriteBufferWaterMark {
        let high = max(options.maximumUnwrittenReplyBytes, 2)
        return .init(low: high / 2, high: high)
    }

    private func serverBootstrap(state: ServerState) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.writeBufferWaterMark, value: writeBufferWaterMark)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                peerCredentials(of: channel).flatMap { credentials in
                    let info = ConnectionInfo(
                        transport: .socket, peerUID: credentials?.uid, peerPID: credentials?.pid, peerGID: credentials?.gid)
                    return self.configure(channel, info: info, state: state)
                }
            }
    }

    private func bindSocket(path: String, state: ServerState) async throws -> any Channel {
        try prepareSocketPath(path)
        // Create the socket file as 0660 already: a chmod after bind leaves a moment in which
        // the socket listens with the umask's mode (0777 under umask 0) and anyone may connect.
        let previousMask = umask(0o117)
        defer { umask(previousMask) }
        let channel = try await serverBootstrap(state: state)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: false).get()
        chmod(path, 0o660)
        return channel
    }

    /// Creates the parent directory; removes a stale socket file left by a server that died,
    /// but refuses to replace one that a live server still answers on.
    private func prepareSocketPath(_ path: String) throws {
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty { try createDirectories(parent, mode: 0o750) }
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard (status.st_mode & S_IFMT) == S_IFSOCK else { throw ServerError.notASocket(path) }
        if unixSocketAnswers(path) { throw ServerError.socketInUse(path) }
        unlink(path)
    }

    private func startStdio(state: ServerState) async throws -> [Pump] {
        var pumps: [Pump] = []
        // NIOPipeBootstrap takes ownership of what it is given, and registers it with epoll,
        // which refuses regular files, /dev/null and most other character devices (NIO then
        // stops the process). Hand it duplicates, and put a pipe with a copying thread in front
        // of anything epoll cannot watch. A closed standard descriptor reads as empty input, or
        // discards what is written to it.
        var input = duplicate(STDIN_FILENO, orOpenDevNull: O_RDONLY)
        var output = duplicate(STDOUT_FILENO, orOpenDevNull: O_WRONLY)
        if !isPollable(input) {
            let (readEnd, pump) = try Pump.fromFile(input)
            input = readEnd
            pumps.append(pump)
        }
        if !isPollable(output) {
            let (writeEnd, pump) = try Pump.toFile(output)
            output = writeEnd
            pumps.append(pump)
        }
        _ = try await NIOPipeBootstrap(group: group)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.writeBufferWaterMark, value: writeBufferWaterMark)
            .channelInitializer { channel in
                self.configure(channel, info: ConnectionInfo(transport: .stdio), state: state)
            }
            .takingOwnershipOfDescriptors(input: input, output: output).get()
        return pumps
    }
}

/// Creates `path` and its missing parents with `mode` exactly, whatever the umask (0750: the
/// socket's group may reach it, nobody else may look in); existing directories are left alone.
func createDirectories(_ path: String, mode: mode_t) throws {
    var missing: [String] = []
    var current = path
    while !current.isEmpty, current != "/", !FileManager.default.fileExists(atPath: current) {
        missing.append(current)
        current = (current as NSString).deletingLastPathComponent
    }
    for directory in missing.reversed() {
        guard mkdir(directory, mode) == 0 || errno == EEXIST else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO, userInfo: [NSFilePathErrorKey: directory])
        }
        chmod(directory, mode)
    }
}

/// A duplicate of `descriptor`, or /dev/null opened with `flags` when it is closed.
private func duplicate(_ descriptor: CInt, orOpenDevNull flags: CInt) -> CInt {
    let copy = fcntl(descriptor, F_DUPFD_CLOEXEC, 3)
    return copy >= 0 ? copy : open("/dev/null", flags | O_CLOEXEC)
}

/// Whether epoll can watch `descriptor`: pipes, sockets and terminals. Not regular files or
/// directories (epoll refuses them) nor other character devices such as /dev/null, which
/// epoll refuses too or reports ready for ever.
func isPollable(_ descriptor: CInt) -> Bool {
    var status = stat()
    guard fstat(descriptor, &status) == 0 else { return false }
    switch status.st_mode & S_IFMT {
    case S_IFIFO, S_IFSOCK: return true
    case S_IFCHR: return isatty(descriptor) == 1
    default: return false
    }
}

/// `struct ucred` of <sys/socket.h>, which Glibc only declares under _GNU_SOURCE.
private struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// The peer's uid, pid and gid, from `SO_PEERCRED`.
private func peerCredentials(of channel: any Channel) -> EventLoopFuture<(uid: UInt32, pid: Int32, gid: UInt32)?> {
    guard let provider = channel as? any SocketOptionProvider else {
        return channel.eventLoop.makeSucceededFuture(nil)
    }
    let future: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
        level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
    return future.map { credentials -> (uid: UInt32, pid: Int32, gid: UInt32)? in
        (uid: credentials.uid, pid: credentials.pid, gid: credentials.gid)
    }
        .recover { _ in nil }
}

/// Whether something accepts connections on the Unix socket at `path`.
func unixSocketAnswers(_ path: String) -> Bool {
    guard let descriptor = try? connectUnixSocket(path: path) else { return false }
    close(descriptor)
    return true
}

/// Why `connectUnixSocket` failed, naming the path.
public struct UnixSocketConnectError: Error, CustomStringConvertible {
    public let description: String
}

/// A blocking stream socket connected to the Unix socket at `path` (the caller closes it).
public func connectUnixSocket(path: String) throws(UnixSocketConnectError) -> CInt {
    let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw UnixSocketConnectError(description: "cannot create a socket: \(String(cString: strerror(errno)))") }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    let capacity = MemoryLayout.size(ofValue: address.sun_path)
    guard bytes.count < capacity else {
        close(descriptor)
        throw UnixSocketConnectError(description: "the socket path \(path) is longer than \(capacity - 1) bytes")
    }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        raw.copyBytes(from: bytes)
        raw[bytes.count] = 0
    }
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    guard result == 0 else {
        let reason = String(cString: strerror(errno))
        close(descriptor)
        throw UnixSocketConnectError(description: "cannot connect to the server's socket \(path): \(reason)")
    }
    return descriptor
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
