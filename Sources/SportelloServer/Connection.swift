import JSONRPC
import NIOCore

/// What the transport knows about a connection's peer; the service decides what it means.
public struct ConnectionInfo: Sendable {
    public enum Transport: String, Sendable {
        case stdio
        case socket
    }

    public var transport: Transport
    /// The peer's user and process (`SO_PEERCRED`) on a Unix socket; nil on stdio.
    public var peerUID: UInt32?
    public var peerPID: Int32?
    /// The peer's primary group (`SO_PEERCRED`) on a Unix socket; nil on stdio.
    public var peerGID: UInt32?

    public init(transport: Transport, peerUID: UInt32? = nil, peerPID: Int32? = nil, peerGID: UInt32? = nil) {
        self.transport = transport
        self.peerUID = peerUID
        self.peerPID = peerPID
        self.peerGID = peerGID
    }
}

/// The application side of one connection: answers each message it reads.
public protocol RPCSession: Sendable {
    /// What to do with `message`: reply now, or run some work and reply with its result. With
    /// `rejection` set, requests are answered with it instead of being run (the server is
    /// draining).
    func dispatch(message: ByteBufferView, rejection: RPCError?) -> DispatchStep
    /// The connection has ended.
    func close()
    /// The largest message this connection may send, when it is not the server's default (a
    /// trusted peer handing in whole mail messages).
    var maximumMessageBytes: Int? { get }
}

extension RPCSession {
    public var maximumMessageBytes: Int? { nil }
}

/// Asks a connection to finish what it has read and close (graceful shutdown).
struct DrainEvent: Sendable {}

/// Runs the messages of one connection in the order they arrive: a message the dispatcher
/// answers inline is answered at once; one that needs asynchronous work holds the messages
/// behind it until it is done, so a client that pipelines "create, then use" gets what it
/// means. Coalesces flushes, and closes once the input has ended (or a drain was asked) and
/// every reply is written.
///
/// Backpressure, both ways: while the replies not yet taken by the peer exceed the channel's
/// high water mark (`ServerOptions.maximumUnwrittenReplyBytes`), no further message is run —
/// those already read wait in `queue` — and nothing more is read; too many messages waiting
/// stops reading too. A client that pipelines requests and never reads its replies therefore
/// holds at most one water mark of replies and one read's worth of requests, and the event
/// loop stays free for every other connection.
final class RPCChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = InboundFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let session: any RPCSession
    private let state: ServerState
    private let maximumQueued: Int
    private let maximumMessageBytes: Int

    private var framing: Framing = .ndjson
    /// An asynchronous message is running; the ones behind it wait in `queue`.
    private var busy = false
    private var queue = CircularBuffer<(message: ByteBuffer, rejection: RPCError?)>()
    private var readPending = false
    private var inputClosed = false
    private var draining = false
    private var flushScheduled = false
    private var closing = false
    private var lastWrite: EventLoopFuture<Void>?

    init(session: any RPCSession, state: ServerState, maximumQueued: Int, maximumMessageBytes: Int) {
        self.session = session
        self.state = state
        self.maximumQueued = maximumQueued
        self.maximumMessageBytes = maximumMessageBytes
    }

    func channelActive(context: ChannelHandlerContext) {
        state.connectionOpened(context.channel)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        session.close()
        state.connectionClosed(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .message(let message, let framing):
            self.framing = framing
            dispatch(message, context: context)
        case .tooLarge(let framing):
            self.framing = framing
            reply(RPCReply.errorBytes(id: .null, error: .messageTooLarge(limit: maximumMessageBytes)), context: context)
        case .unrecoverable(let reason):
            framing = .contentLength
            reply(RPCReply.errorBytes(id: .null, error: .parseError(reason)), context: context)
            inputClosed = true
            closeIfDone(context: context)
        }
    }

    private func dispatch(_ message: ByteBuffer, context: ChannelHandlerContext) {
        // Requests read once draining has begun are refused; those read before still run.
        let rejection: RPCError? = (draining || state.isShuttingDown) ? .shuttingDown : nil
        state.touch()
        if canRun(context: context), queue.isEmpty {
            run(message, rejection: rejection, context: context)
        } else {
            queue.append((message, rejection))
        }
    }

    /// Whether the next message may run now: none is running, and the peer has taken enough of
    /// the replies already written.
    private func canRun(context: ChannelHandlerContext) -> Bool {
        !busy && context.channel.isWritable
    }

    /// Runs the waiting messages while nothing holds them, then reads again if reading was held.
    private func runQueued(context: ChannelHandlerContext) {
        while canRun(context: context), let (message, rejection) = queue.popFirst() {
            run(message, rejection: rejection, context: context)
        }
        if readPending, mayRead(context: context) {
            readPending = false
            context.read()
        }
        closeIfDone(context: context)
    }

    private func mayRead(context: ChannelHandlerContext) -> Bool {
        queue.count < maximumQueued && context.channel.isWritable
    }

    private func run(_ message: ByteBuffer, rejection: RPCError?, context: ChannelHandlerContext) {
        switch session.dispatch(message: message.readableBytesView, rejection: rejection) {
        case .reply(let reply):
            if let reply { self.reply(reply, context: context) }
        case .suspend(let work):
            busy = true
            state.requestStarted()
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            Task {
                let reply = await work()
                loop.execute {
                    let (handler, context) = bound.value
                    handler.finished(reply: reply, context: context)
                }
            }
        }
    }

    private func finished(reply: [UInt8]?, context: ChannelHandlerContext) {
        busy = false
        state.requestFinished()
        if let reply { self.reply(reply, context: context) }
        runQueued(context: context)
    }

    private func reply(_ body: [UInt8], context: ChannelHandlerContext) {
        guard context.channel.isActive, !closing else { return }
        let buffer = frame(body, framing: framing, allocator: context.channel.allocator)
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.write(wrapOutboundOut(buffer), promise: promise)
        lastWrite = promise.futureResult
        scheduleFlush(context: context)
    }

    /// One flush for all the replies finished in the same turn of the event loop.
    private func scheduleFlush(context: ChannelHandlerContext) {
        guard !flushScheduled else { return }
        flushScheduled = true
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (handler, context) = bound.value
            handler.flushScheduled = false
            context.flush()
        }
    }

    func read(context: ChannelHandlerContext) {
        if mayRead(context: context) {
            context.read()
        } else {
            readPending = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { runQueued(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            inputClosed = true
            closeIfDone(context: context)
        } else if event is DrainEvent {
            draining = true
            closeIfDone(context: context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset by the peer or a broken pipe: nothing to answer, just let it go.
        state.logger.debug("connection error: \(error)")
        context.close(promise: nil)
    }

    private func closeIfDone(context: ChannelHandlerContext) {
        guard inputClosed || draining, !busy, queue.isEmpty, !closing else { return }
        closing = true
        context.flush()
        let channel = context.channel
        if let lastWrite {
            lastWrite.whenComplete { _ in channel.close(promise: nil) }
        } else {
            channel.close(promise: nil)
        }
    }
}
