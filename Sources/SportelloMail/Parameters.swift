import Foundation

/// A `Content-Type` or `Content-Disposition` value: the lowercased main value and its
/// parameters (RFC 2045 §5.1, RFC 2183 §2), with RFC 2231 extended and continued parameters
/// already assembled and decoded.
public struct HeaderParameters: Sendable, Hashable {
    /// `text/plain`, `attachment`, … lowercased; empty when the header had none.
    public var value: String
    /// Parameter names lowercased; values unquoted and decoded.
    public var parameters: [String: String]

    public init(value: String, parameters: [String: String] = [:]) {
        self.value = value
        self.parameters = parameters
    }

    /// A parameter by name, ignoring case.
    public subscript(_ name: String) -> String? { parameters[name.lowercased()] }

    /// Parses `value; name=token; name="quoted"; name*=utf-8''perch%C3%A9.pdf; name*0*=…; name*1=…`.
    /// RFC 2231 §3–§4: `name*N` are continuations joined in order of N, a trailing `*` marks a
    /// percent-encoded segment and the first one carries `charset'language'`. The extended form
    /// wins over a plain `name=`. Plain values holding RFC 2047 encoded words (as Outlook and
    /// Gmail send filenames) are decoded too.
    public static func parse(_ header: String) -> HeaderParameters {
        let pieces = splitOutsideQuotes(header)
        let value = (pieces.first ?? "").trimmingBlanks().lowercased()
        var plain: [String: String] = [:]
        // name -> [(index, encoded, raw value)]
        var segments: [String: [(Int, Bool, String)]] = [:]
        for piece in pieces.dropFirst() {
            guard let eq = piece.firstIndex(of: "=") else { continue }
            var name = piece[..<eq].trimmingBlanks().lowercased()
            let raw = unquote(piece[piece.index(after: eq)...].trimmingBlanks())
            guard !name.isEmpty else { continue }
            if name.contains("*") {
                var encoded = false
                if name.hasSuffix("*") { encoded = true; name.removeLast() }
                var index = 0
                if let star = name.firstIndex(of: "*") {
                    index = Int(name[name.index(after: star)...]) ?? 0
                    name = String(name[..<star])
                }
                if index <= 10_000 { segments[name, default: []].append((index, encoded, raw)) }
            } else if plain[name] == nil {
                plain[name] = raw
            }
        }
        var parameters = plain.mapValues { EncodedWords.decode($0) }
        for (name, parts) in segments {
            let ordered = parts.sorted { $0.0 < $1.0 }
            var charset: String? = nil
            var bytes: [UInt8] = []
            for (position, part) in ordered.enumerated() {
                var text = Substring(part.2)
                if part.1 {
                    if position == 0 {
                        // charset'language'value (RFC 2231 §4)
                        let quoteParts = text.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
                        if quoteParts.count == 3 {
                            charset = quoteParts[0].isEmpty ? nil : String(quoteParts[0])
                            text = quoteParts[2]
                        }
                    }
                    bytes += percentDecode(text)
                } else {
                    bytes += Array(text.utf8)
                }
            }
            parameters[name] = MailCharset.decode(bytes, charset: charset ?? "utf-8")
        }
        return HeaderParameters(value: value, parameters: parameters)
    }

    static func splitOutsideQuotes(_ text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for c in text {
            if escaped { current.append(c); escaped = false; continue }
            if quoted && c == "\\" { current.append(c); escaped = true; continue }
            if c == "\"" { quoted.toggle() }
            if c == ";" && !quoted { pieces.append(current); current = ""; continue }
            current.append(c)
        }
        pieces.append(current)
        return pieces
    }

    static func unquote(_ text: String) -> String {
        guard text.hasPrefix("\"") else { return text }
        var out = ""
        var escaped = false
        for c in text.dropFirst() {
            if escaped { out.append(c); escaped = false; continue }
            if c == "\\" { escaped = true; continue }
            if c == "\"" { break }
            out.append(c)
        }
        return out
    }

    static func percentDecode(_ text: Substring) -> [UInt8] {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
               let h = TransferEncoding.hexValue(bytes[i + 1]), let l = TransferEncoding.hexValue(bytes[i + 2]) {
                out.append(h << 4 | l); i += 3
            } else { out.append(bytes[i]); i += 1 }
        }
        return out
    }
}
