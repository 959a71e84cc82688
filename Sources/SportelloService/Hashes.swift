import Foundation
import Crypto

/// The server's one-way functions, from swift-crypto: SHA-256 for session tokens (tokens are 256
/// random bits, so no salt or stretching is needed; passwords go through argon2id instead) and
/// for the `ticket.open` retry digest, HMAC-SHA256 for list cursors.
enum Hashes {
    /// The SHA-256 of `bytes` as 64 lowercase hex digits. Session tokens and `ticket.open`
    /// digests are stored in this form: changing it would void every session and retry key in
    /// an existing database.
    static func sha256Hex(_ bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// The SHA-256 of the UTF-8 of `text`, as 64 lowercase hex digits.
    static func sha256Hex(_ text: String) -> String { sha256Hex(Array(text.utf8)) }

    /// HMAC-SHA256 (RFC 2104) of `message`, keyed with all of `key`.
    static func hmacSHA256(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    /// Whether two codes are equal, in a time that does not depend on where they differ.
    /// (swift-crypto's `isValidAuthenticationCode` compares whole codes only; list cursors carry
    /// the first 16 bytes of theirs.)
    static func isEqualInConstantTime(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
