/// A way to send JSON-RPC notifications to the peer of one connection outside any request
/// (server push: a subscription's events). The transport provides it; what is sent is the
/// application's business.
public protocol RPCNotificationSink: Sendable {
    /// Queues `message` (one whole JSON-RPC notification) for the peer, after the reply the
    /// connection is working on, if any. `stillWanted` is asked on the connection's own thread
    /// just before writing: a message whose subscription ended meanwhile is dropped. Never
    /// blocks; a peer that does not take what it is sent is the transport's to bound (it tells
    /// the session, which ends what it was sending).
    func send(_ message: [UInt8], stillWanted: @escaping @Sendable () -> Bool)
}
