import Foundation

/// Bounds that keep parsing linear and memory bounded whatever the input.
public struct MailLimits: Sendable, Hashable {
    /// Bytes parsed; the rest of a longer message is ignored and `MailMessage.defects` says so.
    /// 25 MiB, the per-message limit of the mail channel.
    public var maxBytes: Int
    /// Multipart and message/rfc822 nesting followed; deeper parts are kept as opaque leaves.
    /// Each level scans its own bytes once, so parsing reads the input at most `maxDepth` times
    /// and stays linear in its size.
    public var maxDepth: Int
    /// Body parts built in all; later boundaries are not split further.
    public var maxParts: Int

    public init(maxBytes: Int = 25 * 1024 * 1024, maxDepth: Int = 50, maxParts: Int = 2_000) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxParts = maxParts
    }

    /// 25 MiB, depth 50, 2,000 parts.
    public static let standard = MailLimits()
}

/// One entity of the MIME tree (RFC 2045 §2.4): its headers, content type, and either its
/// children (multipart, or the one embedded message of message/rfc822) or its decoded body.
public struct MailPart: Sendable, Hashable {
    /// The entity's own header fields.
    public var headers: MailHeaders
    /// Content-Type with parameters; defaults to `text/plain; charset=us-ascii` (RFC 2045 §5.2)
    /// or `message/rfc822` inside multipart/digest (RFC 2046 §5.1.5).
    public var contentType: HeaderParameters
    /// Content-Disposition (RFC 2183), empty value when absent.
    public var disposition: HeaderParameters
    /// Sub-parts of a multipart; for message/rfc822 the embedded message's root entity.
    public var children: [MailPart]
    /// The body after Content-Transfer-Encoding decoding; empty for a parsed multipart and for
    /// message/rfc822, whose bytes are `embeddedBytes`.
    public var body: [UInt8]
    /// The entity exactly as it arrived (headers and body), for message/rfc822 attachments.
    public var raw: ArraySlice<UInt8>

    /// For message/rfc822: the embedded message's bytes (decoded); otherwise `body`.
    public var embeddedBytes: [UInt8] { isEmbeddedMessage ? Array(children.first?.raw ?? []) : body }

    /// `type/subtype`, lowercased.
    public var mimeType: String { contentType.value.isEmpty ? "text/plain" : contentType.value }
    /// Whether the entity is `multipart/*` (its parts are `children`).
    public var isMultipart: Bool { mimeType.hasPrefix("multipart/") }
    /// Whether the entity is an attached message (message/rfc822 or message/global, RFC 6532).
    public var isEmbeddedMessage: Bool { mimeType == "message/rfc822" || mimeType == "message/global" }

    /// The filename from Content-Disposition `filename`, else Content-Type `name` (RFC 2183 §2.3,
    /// RFC 2231); path components are removed.
    public var filename: String? {
        guard let raw = disposition["filename"] ?? contentType["name"] else { return nil }
        let base = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let trimmed = base.trimmingWhitespace()
        return trimmed.isEmpty ? nil : trimmed
    }

    /// The body as text in its declared charset, line breaks normalized to `\n`;
    /// `format=flowed` text/plain is unwrapped (RFC 3676).
    public var text: String {
        let decoded = normalizeNewlines(MailCharset.decode(body, charset: contentType["charset"]))
        if mimeType == "text/plain", contentType["format"]?.lowercased() == "flowed" {
            return unflow(decoded, deleteSpace: contentType["delsp"]?.lowercased() == "yes")
        }
        return decoded
    }
}

/// Joins the lines of `format=flowed` text (RFC 3676 §4.2: a line ending in a space continues
/// on the next line with the same quote depth, §4.5), removes space-stuffing (§4.4) and, with
/// `DelSp=yes`, the space that marked the join (§4.2). The signature line `-- ` is never joined.
func unflow(_ text: String, deleteSpace: Bool) -> String {
    var out: [String] = []
    var current: String? = nil
    var currentDepth = 0
    func emit(_ content: String, depth: Int) {
        let marks = String(repeating: ">", count: depth)
        out.append(depth == 0 ? content : (content.isEmpty ? marks : marks + " " + content))
    }
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        var body = Substring(line)
        var depth = 0
        while body.hasPrefix(">") { depth += 1; body = body.dropFirst() }
        if body.hasPrefix(" ") { body = body.dropFirst() }
        let flowed = body.hasSuffix(" ") && body != "-- "
        var content = String(body)
        if flowed && deleteSpace { content.removeLast() }
        if current != nil {
            if depth == currentDepth {
                // Appended in place: `current = previous + content` copied the paragraph on
                // every line, quadratic in a long flowed paragraph.
                current!.append(contentsOf: content)
            } else {
                emit(current!, depth: currentDepth)
                current = content
            }
        } else {
            current = content
        }
        currentDepth = depth
        if !flowed {
            emit(current!, depth: depth)
            current = nil
        }
    }
    if let rest = current { emit(rest, depth: currentDepth) }
    return out.joined(separator: "\n")
}

/// CRLF and lone CR as LF, over the UTF-8 bytes (Foundation's `replacingOccurrences` goes
/// through NSString on Linux: see NativeText.swift).
func normalizeNewlines(_ text: String) -> String {
    guard text.utf8.contains(0x0D) else { return text }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count)
    var previousWasCR = false
    for byte in text.utf8 {
        if byte == 0x0A, previousWasCR {
            previousWasCR = false
            continue
        }
        previousWasCR = byte == 0x0D
        bytes.append(previousWasCR ? 0x0A : byte)
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// An attachment as a support agent sees it.
public struct MailAttachment: Sendable, Hashable {
    /// The filename the sender gave, or a generated one (`part-2.bin`, the subject + `.eml`).
    public var filename: String
    /// `type/subtype`, lowercased.
    public var contentType: String
    /// The decoded bytes (for an attached mail, the whole embedded message).
    public var bytes: [UInt8]
    /// `Content-ID` without angle brackets (inline images of multipart/related).
    public var contentID: String?
    /// Whether the sender marked it inline (or it is a multipart/related resource).
    public var isInline: Bool

    /// The decoded size in bytes.
    public var size: Int { bytes.count }
}

/// A parsed message: header values decoded for display, the readable text, the attachments
/// and the whole MIME tree. The display values are computed from the tree on each access:
/// read each once where it matters.
public struct MailMessage: Sendable, Hashable {
    /// The message's header fields (the root entity's).
    public var headers: MailHeaders { root.headers }
    /// The root entity of the MIME tree.
    public var root: MailPart
    /// What was wrong with the input (truncation, missing boundary, limits reached), for logs.
    public var defects: [String]

    /// Subject with encoded words decoded and folding blanks collapsed; "" when absent.
    public var subject: String {
        let decoded = headers.decoded("Subject") ?? ""
        return decoded.split(whereSeparator: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }).joined(separator: " ")
            .trimmingBlanks()
    }
    /// `From` mailboxes (usually one), names decoded.
    public var from: [MailAddress] { headers.values("From").flatMap(MailAddress.parseList) }
    /// `Sender`, when the mail was sent on behalf of `from`.
    public var sender: MailAddress? { headers["Sender"].flatMap { MailAddress.parseList($0).first } }
    /// `Reply-To` mailboxes.
    public var replyTo: [MailAddress] { headers.values("Reply-To").flatMap(MailAddress.parseList) }
    /// `To` mailboxes, groups flattened (each keeps its `group`).
    public var to: [MailAddress] { headers.values("To").flatMap(MailAddress.parseList) }
    /// `Cc` mailboxes, groups flattened.
    public var cc: [MailAddress] { headers.values("Cc").flatMap(MailAddress.parseList) }
    /// The raw `Date` header.
    public var date: String? { headers["Date"] }

    /// The text a person would read: text/plain preferred in multipart/alternative, HTML
    /// converted to text when there is no plain version, inline text parts of a mixed message
    /// joined; line breaks are `\n`.
    public var text: String { BodySelection.text(of: root)?.text ?? "" }
    /// Whether `text` came from HTML.
    public var textIsFromHTML: Bool { BodySelection.text(of: root)?.fromHTML ?? false }
    /// The HTML version of the body, if the message has one.
    public var html: String? { BodySelection.html(of: root) }
    /// The attachments in order: every non-body leaf, every attached message.
    public var attachments: [MailAttachment] { BodySelection.attachments(of: root) }
    /// Messages attached or forwarded as message/rfc822, parsed.
    public var embeddedMessages: [MailMessage] {
        var found: [MailMessage] = []
        func walk(_ part: MailPart) {
            if part.isEmbeddedMessage, let inner = part.children.first { found.append(MailMessage(root: inner, defects: [])); return }
            part.children.forEach(walk)
        }
        root.children.forEach(walk)
        return found
    }

    /// A message over an already parsed tree (e.g. an embedded message's root entity).
    public init(root: MailPart, defects: [String]) {
        self.root = root
        self.defects = defects
    }

    /// Parses a message. Never throws: truncated, malformed or hostile input gives the best
    /// reading possible and notes in `defects`.
    public init(bytes: [UInt8], limits: MailLimits = .standard) {
        var parser = MailParser(limits: limits)
        var slice = bytes[...]
        if slice.count > limits.maxBytes {
            slice = bytes[..<limits.maxBytes]
            parser.defects.append("message longer than \(limits.maxBytes) bytes: the rest was not read")
        }
        let root = parser.parseEntity(slice, depth: 0, inDigest: false)
        self.init(root: root, defects: parser.defects)
    }

    /// Parses a message held in `Data`; see `init(bytes:limits:)`.
    public init(data: Data, limits: MailLimits = .standard) { self.init(bytes: [UInt8](data), limits: limits) }
}

/// The recursive descent over entities; recursion depth is bounded by `MailLimits.maxDepth`.
struct MailParser {
    let limits: MailLimits
    var defects: [String] = []
    var partCount = 0

    init(limits: MailLimits) { self.limits = limits }

    /// Where the header section ends: the index of the body's first byte, and the header range.
    static func splitHeaderBody(_ bytes: ArraySlice<UInt8>) -> (headers: ArraySlice<UInt8>, body: ArraySlice<UInt8>) {
        var lineStart = bytes.startIndex
        var index = bytes.startIndex
        var first = true
        while index < bytes.endIndex {
            // One line: [lineStart, lf]
            let lf = bytes[index...].firstIndex(of: 0x0A) ?? bytes.endIndex
            var lineEnd = lf
            if lineEnd > lineStart, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let line = bytes[lineStart..<lineEnd]
            if line.isEmpty {
                let bodyStart = lf < bytes.endIndex ? lf + 1 : lf
                return (bytes[bytes.startIndex..<lineStart], bytes[bodyStart...])
            }
            let isContinuation = line.first == 0x20 || line.first == 0x09
            let isField = line.firstIndex(of: UInt8(ascii: ":")).map { colon in
                colon > line.startIndex && line[line.startIndex..<colon].allSatisfy { $0 > 32 && $0 < 127 || $0 == 0x20 }
            } ?? false
            let isMboxFrom = first && line.starts(with: "From ".utf8)
            if !(isField || (isContinuation && !first) || isMboxFrom) {
                // Not a header line: the body starts here (RFC 5322 §2.1 — no separator line).
                return (bytes[bytes.startIndex..<lineStart], bytes[lineStart...])
            }
            first = false
            if lf == bytes.endIndex { break }
            index = lf + 1
            lineStart = index
        }
        return (bytes, bytes[bytes.endIndex...])
    }

    mutating func parseEntity(_ bytes: ArraySlice<UInt8>, depth: Int, inDigest: Bool) -> MailPart {
        partCount += 1
        let (headerBytes, body) = Self.splitHeaderBody(bytes)
        let headers = MailHeaders.parse(headerBytes)
        var contentType = headers["Content-Type"].map(HeaderParameters.parse) ?? HeaderParameters(value: "")
        if contentType.value.isEmpty || !contentType.value.contains("/") {
            contentType = inDigest ? HeaderParameters(value: "message/rfc822")
                : HeaderParameters(value: "text/plain", parameters: contentType.parameters)
        }
        let disposition = headers["Content-Disposition"].map(HeaderParameters.parse) ?? HeaderParameters(value: "")
        var part = MailPart(headers: headers, contentType: contentType, disposition: disposition, children: [], body: [], raw: bytes)
        let encoding = headers["Content-Transfer-Encoding"]

        if part.isMultipart {
            guard depth < limits.maxDepth else {
                defects.append("nesting deeper than \(limits.maxDepth): inner parts not read")
                part.body = Array(body)
                return part
            }
            var boundary = contentType["boundary"]
            if boundary == nil || boundary!.isEmpty {
                boundary = Self.guessBoundary(body)
                defects.append(boundary == nil ? "multipart without boundary" : "multipart without boundary parameter: guessed")
            }
            guard let boundary, let pieces = splitMultipart(body, boundary: boundary) else {
                // No delimiter found: read the body as text so nothing readable is lost.
                part.contentType = HeaderParameters(value: "text/plain", parameters: contentType.parameters)
                part.body = TransferEncoding.decode(body, encoding: encoding)
                return part
            }
            let digest = contentType.value == "multipart/digest"
            for piece in pieces {
                if partCount >= limits.maxParts {
                    defects.append("more than \(limits.maxParts) parts: the rest not read")
                    break
                }
                part.children.append(parseEntity(piece, depth: depth + 1, inDigest: digest))
            }
            return part
        }
        if part.isEmbeddedMessage {
            guard depth < limits.maxDepth else {
                defects.append("nesting deeper than \(limits.maxDepth): inner message not read")
                part.body = Array(body)
                return part
            }
            // RFC 2046 §5.2.1 allows only 7bit/8bit/binary here; decode anyway if encoded. An
            // identity encoding is parsed in place, so nesting does not copy the input.
            let identity = ["quoted-printable", "base64"].contains(encoding?.trimmingBlanks().lowercased() ?? "") == false
            let inner = identity ? body : TransferEncoding.decode(body, encoding: encoding)[...]
            part.children = [parseEntity(inner, depth: depth + 1, inDigest: false)]
            return part
        }
        part.body = TransferEncoding.decode(body, encoding: encoding)
        return part
    }

    /// A multipart whose boundary parameter is missing: the first line `--something` is taken
    /// as the delimiter if it appears at least once.
    static func guessBoundary(_ body: ArraySlice<UInt8>) -> String? {
        var lineStart = body.startIndex
        var scanned = 0
        while lineStart < body.endIndex, scanned < 200 {
            let lf = body[lineStart...].firstIndex(of: 0x0A) ?? body.endIndex
            var end = lf
            if end > lineStart, body[end - 1] == 0x0D { end -= 1 }
            let line = body[lineStart..<end]
            if line.count > 3, line.count < 200, line.starts(with: [0x2D, 0x2D]) {
                var candidate = Array(line.dropFirst(2))
                while let l = candidate.last, l == 0x20 || l == 0x09 { candidate.removeLast() }
                if !candidate.isEmpty { return String(decoding: candidate, as: UTF8.self) }
            }
            scanned += 1
            if lf == body.endIndex { break }
            lineStart = lf + 1
        }
        return nil
    }

    /// Splits a multipart body at its delimiter lines (RFC 2046 §5.1.1): a line `--boundary`
    /// optionally followed by blanks; `--boundary--` closes. The line break before a delimiter
    /// belongs to it. Preamble and epilogue are dropped. Without a close delimiter (a truncated
    /// message) the last part runs to the end. Nil when no delimiter is found at all.
    mutating func splitMultipart(_ body: ArraySlice<UInt8>, boundary: String) -> [ArraySlice<UInt8>]? {
        let delimiter = Array(("--" + boundary).utf8)
        var pieces: [ArraySlice<UInt8>] = []
        var partStart: Int? = nil
        var lineStart = body.startIndex
        var closed = false
        while lineStart < body.endIndex {
            let lf = body[lineStart...].firstIndex(of: 0x0A) ?? body.endIndex
            if body[lineStart...].starts(with: delimiter) {
                var rest = lineStart + delimiter.count
                var isClose = false
                if body[rest...].starts(with: [0x2D, 0x2D]) { isClose = true; rest += 2 }
                var lineEnd = lf
                if lineEnd > lineStart, lineEnd <= body.endIndex, lineEnd > rest, body[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let padding = rest <= lineEnd ? body[rest..<lineEnd] : body[lineEnd..<lineEnd]
                if isClose || padding.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                    if let start = partStart {
                        // Drop the CRLF (or LF) that precedes the delimiter line.
                        var end = lineStart
                        if end > start, body[end - 1] == 0x0A { end -= 1 }
                        if end > start, body[end - 1] == 0x0D { end -= 1 }
                        pieces.append(body[start..<end])
                        if pieces.count >= limits.maxParts { closed = true; break }
                    }
                    if isClose { closed = true; break }
                    partStart = lf < body.endIndex ? lf + 1 : body.endIndex
                }
            }
            if lf == body.endIndex { break }
            lineStart = lf + 1
        }
        if !closed, let start = partStart {
            defects.append("multipart without closing delimiter (truncated?)")
            pieces.append(body[start...])
        }
        if partStart == nil { return nil }
        return pieces
    }
}
