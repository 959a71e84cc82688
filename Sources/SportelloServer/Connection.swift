import JSONRPC
import NIOCore
import Synchronization

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
    /// Hands the session the connection's outlet for server push, once, before any message.
    func attach(_ outlet: any RPCNotificationSink)
    /// The peer has not taken what was pushed to it (its unread bytes passed the server's bound):
    /// the session ends whatever it was pushing and returns its last words (say, one
    /// notification per ended subscription), which are written whatever the bound.
    func overflowed() -> [[UInt8]]
}

extension RPCSession {
    public var maximumMessageBytes: Int? { nil }
    public func attach(_ outlet: any RPCNotificationSink) {}
    public func overflowed() -> [[UInt8]] { [] }
}

/// Server push onto one connection: hops to the connection's event loop and hands the message
/// to its handler, which writes it between replies (never inside one request's processing).
final class ConnectionOutlet: RPCNotificationSink {
    private let loop: any EventLoop
    private let target: Mutex<NIOLoopBound<(RPCChannelHandler, ChannelHandlerContext)>?>

    init(handler: RPCChannelHandler, context: ChannelHandlerContext) {
        self.loop = context.eventLoop
        self.target = Mutex(NIOLoopBound((handler, context), eventLoop: context.eventLoop))
    }

    func send(_ message: [UInt8], stillWanted: @escaping @Sendable () -> Bool) {
        guard let target = target.withLock({ $0 }) else { return }
        if loop.inEventLoop {
            let (handler, context) = target.value
            handler.push(message, stillWanted: stillWanted, context: context)
        } else {
            loop.execute {
                let (handler, context) = target.value
                handler.push(message, stillWanted: stillWanted, context: context)
            }
        }
    }

    /// The connection has ended: nothing more is sent (and the handler is let go).
    func detach() {
        target.withLock { $0 = nil }
    }
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
///
/// Server push (`ConnectionOutlet`): a notification is written at once when no request is
/// running, else held and written right after that request's reply. The bound is the same:
/// a notification that finds the peer not reading (the channel past its high water mark, or
/// the held ones past the same number of bytes) is not written; the session is told
/// (`overflowed`) and its last words are written instead.
final class RPCChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = InboundFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let session: any RPCSession
    private let state: ServerState
    private let maximumQueued: Int
    private let maximumQueuedBytes: Int
    private let maximumMessageBytes: Int
    private let maximumHeldBytes: Int
    private var outlet: ConnectionOutlet?
    /// Notifications pushed while a request was running, written after its reply (those
    /// without `stillWanted` are already decided: kept through an overflow, or its last words).
    private var held: [(message: [UInt8], stillWanted: (@Sendable () -> Bool)?)] = []
    private var heldBytes = 0

    private var framing: Framing = .ndjson
    /// An asynchronous message is running; the ones behind it wait in `queue`.
    private var busy = false
    private var queue = CircularBuffer<(message: ByteBuffer, rejection: RPCError?)>()
    private var queuedBytes = 0
    private var readPending = false
    private var inputClosed = false
    private var draining = false
    private var flushScheduled = false
    private var closing = false
    private var lastWrite: EventLoopFuture<Void>?

    init(
        session: any RPCSession, state: ServerState, maximumQueued: Int, maximumQueuedBytes: Int, maximumMessageBytes: Int,
        maximumHeldBytes: Int
    ) {
        self.session = session
        self.state = state
        self.maximumQueued = maximumQueued
        self.maximumQueuedBytes = maximumQueuedBytes
        self.maximumMessageBytes = maximumMessageBytes
        self.maximumHeldBytes = maximumHeldBytes
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let outlet = ConnectionOutlet(handler: self, context: context)
        self.outlet = outlet
        session.attach(outlet)
    }

    func channelActive(context: ChannelHandlerContext) {
        state.connectionOpened(context.channel)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        outlet?.detach()
        outlet = nil
        held.removeAll()
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
            queuedBytes += message.readableBytes
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
            queuedBytes -= message.readableBytes
            run(message, rejection: rejection, context: context)
        }
        if readPending, mayRead(context: context) {
            readPending = false
            context.read()
        }
        closeIfDone(context: context)
    }

    private func mayRead(context: ChannelHandlerContext) -> Bool {
        queue.count < maximumQueued && queuedBytes < maximumQueuedBytes && context.channel.isWritable
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
        if !held.isEmpty {
            let waiting = held
            held.removeAll()
            heldBytes = 0
            for (message, stillWanted) in waiting where stillWanted?() ?? true { self.reply(message, context: context) }
        }
        runQueued(context: context)
    }

    /// A notification pushed by the session (see `ConnectionOutlet`). `stillWanted` is asked
    /// only when it is about to be written (it may note what was).
    func push(_ message: [UInt8], stillWanted: @escaping @Sendable () -> Bool, context: ChannelHandlerContext) {
        guard context.channel.isActive, !closing else { return }
        guard context.channel.isWritable, heldBytes + message.count <= maximumHeldBytes else {
            // What was held within the bound is still sent (decided now, so that the session's
            // last words can say how far it got), then those last words; this message is not.
            var kept: [[UInt8]] = []
            for (message, stillWanted) in held where stillWanted?() ?? true { kept.append(message) }
            held.removeAll()
            heldBytes = 0
            kept += session.overflowed()
            if busy {
                held = kept.map { ($0, nil) }
            } else {
                for message in kept { reply(message, context: context) }
            }
            return
        }
        if busy {
            held.append((message, stillWanted))
            heldBytes += message.count
        } else if stillWanted() {
            reply(message, context: context)
        }
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
