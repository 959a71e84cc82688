import JSONRPC

/// Bytes of a string literal.
func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Parses `text`, failing the caller's test on error.
func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(utf8(text)) }

/// The parse error for `bytes`, or nil if they parsed.
func parseError(_ bytes: [UInt8]) -> JSONParseError? {
    do {
        _ = try JSONParser.parse(bytes)
        return nil
    } catch {
        return error
    }
}

