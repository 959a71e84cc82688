import Foundation
import JSONRPC
import Logging
import MCP
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// MCP's stdio transport (newline-delimited JSON-RPC messages) over two descriptors, read by a
/// blocking thread of its own.
///
/// The SDK's StdioTransport polls a non-blocking descriptor and sleeps 10 ms whenever nothing
/// is there, so a request arriving on an idle bridge waited up to 10 ms before being read; here
/// a read returns as soon as a message arrives. Writes block (stdout is ours alone).
///
/// At the end of the input the stream ends only once every request read has been answered
/// (the SDK's server answers each request in a task of its own and stops reading at the end
/// of its stream): `printf '…' | sportello mcp` gets all its replies.
public actor PipeTransport: Transport {
    public nonisolated let logger: Logger
    private let input: Int32
    private let output: Int32
    private let messages: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private var reader: Thread?
    /// Requests read minus messages sent (the bridge sends nothing but replies).
    private let unanswered = Unanswered()

    final class Unanswered: Sendable {
        let count = Atomic<Int>(0)
    }

    /// Answers a tools/call request itself, off the SDK's server (see `MCPBridge.reply`).
    public typealias ToolCallHandler = @Sendable (_ id: JSONValue, _ params: JSONValue?) async -> [UInt8]
    private let toolCall: ToolCallHandler?

    public init(input: Int32 = 0, output: Int32 = 1, logger: Logger? = nil, toolCall: ToolCallHandler? = nil) {
        self.toolCall = toolCall
        self.input = input
        self.output = output
        self.logger = logger ?? Logger(label: "sportello.mcp.transport", factory: { _ in SwiftLogNoOpLogHandler() })
        (messages, continuation) = AsyncThrowingStream.makeStream(of: Data.self)
    }

    public func connect() async throws {
        guard reader == nil else { return }
        let input = self.input
        let continuation = self.continuation
        let unanswered = self.unanswered
        let toolCall = self.toolCall.map { handler in
            { @Sendable (id: JSONValue, params: JSONValue?) in
                Task {
                    let reply = await handler(id, params)
                    try? await self.send(Data(reply))
                }
            }
        }
        let thread = Thread {
            Self.readLines(from: input, into: continuation, unanswered: unanswered, toolCall: toolCall)
        }
        thread.name = "mcp-stdin"
        thread.stackSize = 1 << 20
        reader = thread
        thread.start()
    }

    /// Reads `fd` until end of file, yielding each non-empty line.
    private static func readLines(
        from fd: Int32, into continuation: AsyncThrowingStream<Data, any Error>.Continuation, unanswered: Unanswered,
        toolCall: (@Sendable (JSONValue, JSONValue?) -> Task<Void, Never>)?
    ) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if Self.mayRetry(fd, events: POLLIN) { continue }
                continuation.finish(throwing: Self.transportError())
                return
            }
            if count == 0 { break }
            var start = pending.count
            pending.append(contentsOf: buffer[0..<count])
            var lineStart = 0
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var line = pending[lineStart..<newline]
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                if !line.isEmpty {
                    var answered = false
                    if let message = try? JSONParser.parse(line), message["method"] != nil, let id = message["id"] {
                        unanswered.count.add(1, ordering: .relaxed)
                        if let toolCall, message["method"] == .string("tools/call") {
                            _ = toolCall(id, message["params"])
                            answered = true
                        }
                    }
                    if !answered { continuation.yield(Data(line)) }
                }
                lineStart = newline + 1
                start = lineStart
            }
            if lineStart > 0 { pending.removeFirst(lineStart) }
        }
        // The input ended: let the requests in flight be answered first (at most a minute).
        let deadline = ContinuousClock.now + .seconds(60)
        while unanswered.count.load(ordering: .relaxed) > 0, ContinuousClock.now < deadline { usleep(1_000) }
        continuation.finish()
    }

    public func disconnect() async {
        continuation.finish()
    }

    public func send(_ data: Data) async throws {
        var message = data
        message.append(UInt8(ascii: "\n"))
        try message.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(output, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if Self.mayRetry(output, events: POLLOUT) { continue }
                    throw Self.transportError()
                }
                offset += written
            }
        }
        unanswered.count.subtract(1, ordering: .relaxed)
    }

    /// After a failed read or write: whether to try again (interrupted, or a non-blocking
    /// descriptor that was not ready, now waited for).
    private static func mayRetry(_ fd: Int32, events: Int32) -> Bool {
        if errno == EINTR { return true }
        guard errno == EAGAIN else { return false }
        var entry = pollfd(fd: fd, events: Int16(events), revents: 0)
        _ = poll(&entry, 1, -1)
        return true
    }

    private static func transportError() -> MCPError {
        MCPError.transportError(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
    }

    public nonisolated func receive() -> AsyncThrowingStream<Data, any Error> { messages }
}
