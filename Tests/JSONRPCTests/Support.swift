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

/// A small deterministic generator (SplitMix64), so that "random" inputs are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
