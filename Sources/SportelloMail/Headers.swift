import Foundation

/// One header field as it arrived, unfolded (RFC 5322 §2.2.3: the CRLF before a line that starts
/// with a blank is removed, the blank kept). `value` is raw: encoded words are not decoded.
public struct HeaderField: Sendable, Hashable {
    /// The field name as written (`Subject`, `subject`, …).
    public var name: String
    /// The unfolded value without the leading blank after the colon.
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// The header section of a message or body part: fields in their order, repeated fields kept,
/// looked up by name ignoring ASCII case (RFC 5322 §1.2.2: field names are case-insensitive).
public struct MailHeaders: Sendable, Hashable, Sequence {
    /// Every field in the order it arrived.
    public private(set) var fields: [HeaderField]

    public init(_ fields: [HeaderField] = []) { self.fields = fields }

    /// The first field with this name, raw (unfolded, not decoded).
    public subscript(_ name: String) -> String? {
        fields.first { sameFieldName($0.name, name) }?.value
    }

    /// Every field with this name, in order (`Received`, `References` repeated…).
    public func values(_ name: String) -> [String] {
        fields.filter { sameFieldName($0.name, name) }.map(\.value)
    }

    /// Whether a field with this name is present.
    public func contains(_ name: String) -> Bool { self[name] != nil }

    /// The first field with this name with RFC 2047 encoded words decoded.
    public func decoded(_ name: String) -> String? { self[name].map(EncodedWords.decode) }

    /// Adds a field at the end (raw value: encode it first if it is not ASCII).
    public mutating func append(_ name: String, _ value: String) { fields.append(HeaderField(name: name, value: value)) }

    /// Iterates the fields in order.
    public func makeIterator() -> IndexingIterator<[HeaderField]> { fields.makeIterator() }

    /// Parses a header section. Lines end with CRLF or a bare LF; a line that is neither a field
    /// (`name:` with printable non-colon name characters, RFC 5322 §2.2) nor a continuation is
    /// skipped. Bytes are read as UTF-8 when valid (RFC 6532), else as Windows-1252.
    public static func parse<C: Collection>(_ bytes: C) -> MailHeaders where C.Element == UInt8 {
        var headers = MailHeaders()
        var lines: [ArraySlice<UInt8>] = []
        let array = Array(bytes)
        var start = 0
        for i in array.indices where array[i] == 0x0A {
            var end = i
            if end > start, array[end - 1] == 0x0D { end -= 1 }
            lines.append(array[start..<end]); start = i + 1
        }
        if start < array.count {
            var end = array.count
            if array[end - 1] == 0x0D { end -= 1 }
            lines.append(array[start..<end])
        }
        var current: [UInt8]? = nil
        func flush() {
            guard let line = current else { return }
            current = nil
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { return }
            let nameBytes = line[..<colon]
            // A name is printable ASCII without blanks; tolerate blanks before the colon.
            let name = String(decoding: nameBytes, as: UTF8.self).trimmingBlanks()
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else { return }
            // Blanks trimmed by slicing: removing them one by one from the front of an array
            // moved the rest each time, quadratic in a value of many blanks.
            let isBlank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
            var valueBytes = line[(colon + 1)...]
            valueBytes = valueBytes.drop(while: isBlank)
            if let last = valueBytes.lastIndex(where: { !isBlank($0) }) { valueBytes = valueBytes[...last] } else { valueBytes = [] }
            let value = MailCharset.bestEffort(Array(valueBytes))
            headers.append(name, value)
        }
        for line in lines {
            if let first = line.first, first == 0x20 || first == 0x09 {
                if current != nil { current!.append(contentsOf: line) }
                continue
            }
            flush()
            if line.isEmpty { break }
            current = Array(line)
        }
        flush()
        return headers
    }
}

/// Field names are ASCII (RFC 5322 §2.2) and compared ignoring ASCII case.
func sameFieldName(_ a: String, _ b: String) -> Bool {
    var left = a.utf8.makeIterator(), right = b.utf8.makeIterator()
    while true {
        switch (left.next(), right.next()) {
        case (nil, nil): return true
        case let (x?, y?):
            if x == y { continue }
            let lx = x >= 65 && x <= 90 ? x | 0x20 : x
            let ly = y >= 65 && y <= 90 ? y | 0x20 : y
            if lx != ly { return false }
        default: return false
        }
    }
}
