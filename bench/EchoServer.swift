import NIOCore
import NIOPosix

/// The baseline for the server figures: the least a newline-delimited JSON server on the same
/// NIO stack can do — split lines, write each one back — with none of Sportello's work.
///
/// `bounded`: the same backpressure as the server's — a 4 MiB write water mark, and no reading
/// while the peer has not taken the replies already written.
enum EchoServer {
    static func run(path: String, bounded: Bool = false) throws -> Never {
        var bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 4096)
        if bounded {
            bootstrap = bootstrap.childChannelOption(.writeBufferWaterMark, value: .init(low: 2 << 20, high: 4 << 20))
        }
        let channel = try bootstrap
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineSplitter()))
                    try channel.pipeline.syncOperations.addHandler(bounded ? BoundedEchoHandler() : EchoHandler())
                }
            }
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).wait()
        try channel.closeFuture.wait()
        fatalError("echo server stopped")
    }
}

private struct LineSplitter: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { return .needMoreData }
        let line = buffer.readSlice(length: newline - buffer.readerIndex + 1)!
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }
}

private final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}

/// Echoes while the peer keeps up; holds reads while the unsent replies pass the water mark.
private final class BoundedEchoHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var readPending = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            readPending = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, readPending {
            readPending = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }
}
