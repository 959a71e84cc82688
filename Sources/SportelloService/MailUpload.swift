import JSONRPC
import SportelloDomain

// A message handed in with `mail.upload` pieces, then taken by `mail.ingest {parts}`
// (docs/product.md §8, "Mail in"). Sent whole in `raw`, a 25 MiB message is a 33 MiB request
// line that the transport holds, then a 33 MiB JSON string the call holds until it returns,
// beside the message, its parts and its compressed copy: measured at 6.7× the message at the
// server's peak. In pieces, each piece's line and string are freed once it is decoded, and the
// message exists once, as bytes.

/// Strict base64 decoded as it arrives, in pieces that may end anywhere in the text (a group of
/// four characters split between two pieces is completed by the second). Line breaks and blanks
/// are skipped, as `base64` wraps; anything else outside the alphabet, or data after the `=`
/// padding, is refused.
struct StrictBase64Decoder: Sendable {
    enum Failure: Error { case invalid, tooLarge }

    /// What was decoded so far: whole groups only.
    private(set) var bytes: [UInt8] = []
    private var quad: UInt32 = 0
    private var filled = 0
    private var padding = 0

    /// Whether the text so far ends on a whole group (a complete message).
    var isComplete: Bool { filled == 0 }

    mutating func reserve(_ capacity: Int) { bytes.reserveCapacity(capacity) }

    /// Decodes `piece` onto `bytes`. On a failure nothing of the piece is kept: the decoder is
    /// as it was before it. `limit` bounds `bytes`.
    mutating func append(_ piece: some Sequence<UInt8>, limit: Int) throws(Failure) {
        let saved = (count: bytes.count, quad: quad, filled: filled, padding: padding)
        do throws(Failure) {
            try decode(piece, limit: limit)
        } catch {
            bytes.removeLast(bytes.count - saved.count)
            (quad, filled, padding) = (saved.quad, saved.filled, saved.padding)
            throw error
        }
    }

    private mutating func decode(_ piece: some Sequence<UInt8>, limit: Int) throws(Failure) {
        for byte in piece {
            let value: UInt8
            switch byte {
            case 0x41...0x5A: value = byte - 0x41
            case 0x61...0x7A: value = byte - 0x61 + 26
            case 0x30...0x39: value = byte - 0x30 + 52
            case 0x2B: value = 62
            case 0x2F: value = 63
            case 0x3D:
                padding += 1
                value = 0
            case 0x0A, 0x0D, 0x20, 0x09: continue
            default: throw .invalid
            }
            // Nothing but padding after the first "=".
            if padding > 0 && byte != 0x3D { throw .invalid }
            quad = quad << 6 | UInt32(value)
            filled += 1
            if filled == 4 {
                guard padding <= 2 else { throw .invalid }
                bytes.append(UInt8(truncatingIfNeeded: quad >> 16))
                if padding < 2 { bytes.append(UInt8(truncatingIfNeeded: quad >> 8)) }
                if padding < 1 { bytes.append(UInt8(truncatingIfNeeded: quad)) }
                quad = 0
                filled = 0
                if bytes.count > limit { throw .tooLarge }
            }
        }
    }

    /// Takes the decoded bytes out, leaving the decoder empty.
    mutating func take() -> [UInt8] {
        defer { self = StrictBase64Decoder() }
        return bytes
    }
}

/// The message a connection is building with `mail.upload`.
struct MailUploadState: Sendable {
    var decoder = StrictBase64Decoder()
    /// Pieces kept (or counted after the message was dropped as too large).
    var parts = 0
    /// The message passed the size limit: its bytes were dropped, the rest is only counted.
    var tooLarge = false
}

extension TicketOperations {
    /// `mail.upload`: the next piece of the connection's message.
    func upload(_ data: String, context: CallContext) throws -> MailUploadProgress {
        let limit = MailIntake.Limits.standard.messageBytes
        let dropped = RPCError.invalidParams(
            field: "params.data", reason: "the message passed \(limit) bytes (25 MiB) decoded and was dropped; mail.ingest will refuse it")
        return try context.mailUpload.withLock { state throws(RPCError) -> MailUploadProgress in
            if state.tooLarge {
                state.parts += 1
                throw dropped
            }
            do throws(StrictBase64Decoder.Failure) {
                try state.decoder.append(data.utf8, limit: limit)
            } catch {
                switch error {
                case .invalid:
                    throw RPCError.invalidParams(field: "params.data", reason: "must be base64")
                case .tooLarge:
                    state.decoder = StrictBase64Decoder()
                    state.tooLarge = true
                    state.parts += 1
                    throw dropped
                }
            }
            state.parts += 1
            return MailUploadProgress(parts: state.parts, bytes: state.decoder.bytes.count)
        }
    }

    /// The message `mail.ingest {parts}` takes: the connection's, checked against `parts`. The
    /// connection starts a new one whatever the answer.
    func uploadedMessage(parts: Int, context: CallContext) throws -> [UInt8] {
        var state = context.mailUpload.withLock { state in
            defer { state = MailUploadState() }
            return state
        }
        if state.tooLarge {
            throw RPCError.invalidParams(
                field: "params.parts",
                reason: "the message handed in passed \(MailIntake.Limits.standard.messageBytes) bytes (25 MiB) decoded and was dropped")
        }
        guard state.parts == parts else {
            throw RPCError.invalidParams(
                field: "params.parts", reason: "\(parts) announced, \(state.parts) received on this connection since the last mail.ingest")
        }
        guard state.decoder.isComplete else {
            throw RPCError.invalidParams(field: "params.parts", reason: "the pieces end inside a base64 group: the message was dropped")
        }
        return state.decoder.take()
    }
}
