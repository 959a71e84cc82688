import CoreMetrics
import Logging
import NIOCore
import Synchronization

/// What every connection of a server shares: the open connections, the requests in flight,
/// the time of the last activity (for `--exit-idle-time`) and the shutdown flag.
final class ServerState: Sendable {
    let logger: Logger
    private let inner: Mutex<Inner>

    private struct Inner {
        var connections: [ObjectIdentifier: any Channel] = [:]
        var inFlight = 0
        var lastActivity = NIODeadline.now()
        var shuttingDown = false
        var stopWhenNoConnections = false
        var stopped: (@Sendable () -> Void)?
    }

    init(logger: Logger, stopWhenLastConnectionCloses: Bool = false) {
        self.logger = logger
        self.inner = Mutex(Inner(stopWhenNoConnections: stopWhenLastConnectionCloses))
    }

    var isShuttingDown: Bool { inner.withLock { $0.shuttingDown } }

    var connectionCount: Int { inner.withLock { $0.connections.count } }

    var inFlight: Int { inner.withLock { $0.inFlight } }

    /// Called once, when the server has stopped accepting and every connection is gone.
    func onStopped(_ body: @escaping @Sendable () -> Void) {
        inner.withLock { $0.stopped = body }
    }

    /// The open connections, for metrics (made when the server starts, after `serve` bootstrapped
    /// swift-metrics).
    private let connectionsGauge = Gauge(label: "sportello_open_connections")

    func connectionOpened(_ channel: any Channel) {
        let count = inner.withLock {
            $0.connections[ObjectIdentifier(channel)] = channel
            $0.lastActivity = .now()
            return $0.connections.count
        }
        connectionsGauge.record(count)
    }

    func connectionClosed(_ channel: any Channel) {
        let (stopped, count): ((@Sendable () -> Void)?, Int) = inner.withLock {
            $0.connections[ObjectIdentifier(channel)] = nil
            $0.lastActivity = .now()
            if $0.stopWhenNoConnections, $0.connections.isEmpty { $0.shuttingDown = true }
            return (takeStoppedIfDone(&$0), $0.connections.count)
        }
        connectionsGauge.record(count)
        stopped?()
    }

    /// Something happened on a connection (for the idle timer).
    func touch() {
        inner.withLock { $0.lastActivity = .now() }
    }

    func requestStarted() {
        inner.withLock {
            $0.inFlight += 1
            $0.lastActivity = .now()
        }
    }

    func requestFinished() {
        inner.withLock {
            $0.inFlight -= 1
            $0.lastActivity = .now()
        }
    }

    /// Whether nothing has happened for `interval`: no connection, no request in flight.
    func isIdle(for interval: TimeAmount) -> Bool {
        inner.withLock {
            $0.connections.isEmpty && $0.inFlight == 0 && NIODeadline.now() - $0.lastActivity >= interval
        }
    }

    /// Marks the server as shutting down; returns the connections to drain (empty when it was
    /// already shutting down). The stop callback runs once they have all closed.
    func beginShutdown() -> [any Channel] {
        let (channels, stopped): ([any Channel], (@Sendable () -> Void)?) = inner.withLock {
            guard !$0.shuttingDown else { return ([], nil) }
            $0.shuttingDown = true
            return (Array($0.connections.values), takeStoppedIfDone(&$0))
        }
        stopped?()
        return channels
    }

    private func takeStoppedIfDone(_ inner: inout Inner) -> (@Sendable () -> Void)? {
        guard inner.shuttingDown, inner.connections.isEmpty, let stopped = inner.stopped else { return nil }
        inner.stopped = nil
        return stopped
    }
}
