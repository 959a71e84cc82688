import NIOCore

/// How the messages of one connection are delimited; chosen from its first bytes.
public enum Framing: Sendable {
    /// One JSON text per line (the default).
    case ndjson
    /// LSP-style `Content-Length: N\r\n\r\n` headers before each message, both ways.
    case contentLength
}

/// What the framing layer hands to the RPC handler.
enum InboundFrame {
    case message(ByteBuffer, Framing)
    /// A message longer than the limit was discarded without being held in memory.
    case tooLarge(Framing)
    /// The stream cannot be resynchronised (a broken header block): answer, then close.
    case unrecoverable(String)
}

/// Splits a byte stream into messages. Never buffers more than the message limit (plus one
/// read): an oversized message is skipped as it arrives and reported once, and the next message
/// on the same connection is read normally.
struct FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = InboundFrame

    private static let contentLengthPrefix = Array("content-length:".utf8)
    private static let maximumHeaderBytes = 8192

    let maximumMessageBytes: Int

    private var framing: Framing?
    // NDJSON: bytes already searched for a newline, and whether the current line is being skipped.
    private var scanned = 0
    private var discardingLine = false
    // Content-Length: the body length announced by the last header block, bytes left to skip.
    private var bodyLength: Int?
    private var bytesToDiscard = 0

    init(maximumMessageBytes: Int) {
        self.maximumMessageBytes = maximumMessageBytes
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        switch framing {
        case nil: return detectFraming(buffer: buffer)
        case .ndjson: return decodeLine(context: context, buffer: &buffer)
        case .contentLength: return decodeContentLength(context: context, buffer: &buffer)
        }
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // A last line without its newline is still a message.
        if framing != .contentLength, !discardingLine, buffer.readableBytes > 0 {
            framing = .ndjson
            let line = buffer.readSlice(length: buffer.readableBytes)!
            emitLine(line, context: context)
        }
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return .needMoreData
    }

    private mutating func detectFraming(buffer: ByteBuffer) -> DecodingState {
        let prefix = Self.contentLengthPrefix
        let view = buffer.readableBytesView
        var matched = 0
        for byte in view.prefix(prefix.count) {
            let lower = (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
            guard lower == prefix[matched] else {
                framing = .ndjson
                return .continue
            }
            matched += 1
        }
        if matched == prefix.count {
            framing = .contentLength
            return .continue
        }
        return .needMoreData
    }

    // MARK: NDJSON

    private mutating func decodeLine(context: ChannelHandlerContext, buffer: inout ByteBuffer) -> DecodingState {
        let view = buffer.readableBytesView
        let searchStart = view.index(view.startIndex, offsetBy: scanned)
        guard let newline = view[searchStart...].firstIndex(of: UInt8(ascii: "\n")) else {
            if discardingLine {
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                scanned = 0
            } else if buffer.readableBytes > maximumMessageBytes {
                context.fireChannelRead(wrapInboundOut(.tooLarge(.ndjson)))
                discardingLine = true
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                scanned = 0
            } else {
                scanned = buffer.readableBytes
            }
            return .needMoreData
        }
        let length = view.distance(from: view.startIndex, to: newline)
        scanned = 0
        if discardingLine {
            buffer.moveReaderIndex(forwardBy: length + 1)
            discardingLine = false
            return .continue
        }
        if length > maximumMessageBytes {
            buffer.moveReaderIndex(forwardBy: length + 1)
            context.fireChannelRead(wrapInboundOut(.tooLarge(.ndjson)))
            return .continue
        }
        let line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        emitLine(line, context: context)
        return .continue
    }

    private func emitLine(_ line: ByteBuffer, context: ChannelHandlerContext) {
        var line = line
        // Tolerate CRLF line ends and blank keep-alive lines.
        while let last = line.readableBytesView.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") {
            line.moveWriterIndex(to: line.writerIndex - 1)
        }
        guard line.readableBytes > 0 else { return }
        if line.readableBytesView.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
        context.fireChannelRead(wrapInboundOut(.message(line, .ndjson)))
    }

    // MARK: Content-Length

    private mutating func decodeContentLength(context: ChannelHandlerContext, buffer: inout ByteBuffer) -> DecodingState {
        if bytesToDiscard > 0 {
            let skip = min(bytesToDiscard, buffer.readableBytes)
            buffer.moveReaderIndex(forwardBy: skip)
            bytesToDiscard -= skip
            return bytesToDiscard == 0 ? .continue : .needMoreData
        }
        if let length = bodyLength {
            guard let body = buffer.readSlice(length: length) else { return .needMoreData }
            bodyLength = nil
            context.fireChannelRead(wrapInboundOut(.message(body, .contentLength)))
            return .continue
        }
        // Skip stray line ends between messages, then read a header block.
        while let first = buffer.readableBytesView.first, first == UInt8(ascii: "\r") || first == UInt8(ascii: "\n") {
            buffer.moveReaderIndex(forwardBy: 1)
        }
        let view = buffer.readableBytesView
        guard let end = findHeaderEnd(view) else {
            if buffer.readableBytes > Self.maximumHeaderBytes {
                context.fireChannelRead(wrapInboundOut(.unrecoverable("header block longer than \(Self.maximumHeaderBytes) bytes")))
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            }
            return .needMoreData
        }
        let headerText = buffer.readString(length: end) ?? ""
        buffer.moveReaderIndex(forwardBy: 4)
        var length: Int?
        for line in headerText.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingASCIIWhitespace().lowercased()
            if name == "content-length" {
                length = Int(line[line.index(after: colon)...].trimmingASCIIWhitespace())
            }
        }
        guard let length, length >= 0 else {
            context.fireChannelRead(wrapInboundOut(.unrecoverable("missing or invalid Content-Length header")))
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            return .needMoreData
        }
        if length > maximumMessageBytes {
            context.fireChannelRead(wrapInboundOut(.tooLarge(.contentLength)))
            bytesToDiscard = length
        } else {
            bodyLength = length
        }
        return .continue
    }

    private func findHeaderEnd(_ view: ByteBufferView) -> Int? {
        let bytes = Array(view.prefix(Self.maximumHeaderBytes + 4))
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 0x0D && bytes[index + 1] == 0x0A && bytes[index + 2] == 0x0D && bytes[index + 3] == 0x0A {
            return index
        }
        return nil
    }
}

extension Substring {
    func trimmingASCIIWhitespace() -> String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}

/// Frames an outgoing message the way the connection's client speaks.
func frame(_ body: [UInt8], framing: Framing, allocator: ByteBufferAllocator) -> ByteBuffer {
    switch framing {
    case .ndjson:
        var buffer = allocator.buffer(capacity: body.count + 1)
        buffer.writeBytes(body)
        buffer.writeInteger(UInt8(ascii: "\n"))
        return buffer
    case .contentLength:
        var buffer = allocator.buffer(capacity: body.count + 32)
        buffer.writeString("Content-Length: \(body.count)\r\n\r\n")
        buffer.writeBytes(body)
        return buffer
    }
}
