import Crypto
import Foundation

/// Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP), as authenticator apps compute
/// them: HMAC of the number of 30-second steps since the Unix epoch, dynamically truncated to 6
/// digits. Staff two-factor login uses HMAC-SHA1 (what every app supports by default), accepts
/// the codes of the step before and after the current one (clocks drift), and each step's code
/// once per account.
enum TOTP {
    enum Algorithm: String, Sendable { case sha1 = "SHA1", sha256 = "SHA256", sha512 = "SHA512" }

    static let period: Int64 = 30
    static let digits = 6
    /// Steps accepted either side of the current one.
    static let window: Int64 = 1
    static let secretLength = 20

    static func step(at date: Date) -> Int64 { Int64((date.timeIntervalSince1970).rounded(.down)) / period }

    /// The code of `step` (RFC 4226 §5.3): HMAC of the 8-byte big-endian counter; the low 4 bits
    /// of the last byte pick an offset; 31 bits from there, modulo 10^digits, zero-padded.
    static func code(secret: [UInt8], step: Int64, digits: Int = digits, algorithm: Algorithm = .sha1) -> String {
        let counter = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: step) >> (56 - 8 * UInt64($0))) }
        let key = SymmetricKey(data: secret)
        let mac: [UInt8] =
            switch algorithm {
            case .sha1: Array(HMAC<Insecure.SHA1>.authenticationCode(for: counter, using: key))
            case .sha256: Array(HMAC<SHA256>.authenticationCode(for: counter, using: key))
            case .sha512: Array(HMAC<SHA512>.authenticationCode(for: counter, using: key))
            }
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let binary = (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8)
            | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let text = String(binary % modulus)
        return String(repeating: "0", count: digits - text.count) + text
    }

    /// The step whose code `code` is, among the current step ± `window`, newer than
    /// `lastUsedStep` (a code works once); nil when none.
    static func verify(_ code: String, secret: [UInt8], at date: Date, lastUsedStep: Int64?) -> Int64? {
        guard code.count == digits, code.allSatisfy(\.isASCII), code.allSatisfy(\.isNumber) else { return nil }
        let now = step(at: date)
        var found: Int64?
        for candidate in (now - window)...(now + window) where candidate > (lastUsedStep ?? Int64.min) {
            let expected = self.code(secret: secret, step: candidate)
            if Hashes.isEqualInConstantTime(Array(expected.utf8), Array(code.utf8)), found == nil { found = candidate }
        }
        return found
    }

    /// The `otpauth://` URI authenticator apps read from a QR code.
    static func uri(secret: [UInt8], account: String, issuer: String = "Sportello") -> String {
        func escaped(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~@"))) ?? text
        }
        return "otpauth://totp/\(escaped(issuer)):\(escaped(account))?secret=\(Base32.encode(secret))&issuer=\(escaped(issuer))"
            + "&algorithm=SHA1&digits=\(digits)&period=\(period)"
    }
}

/// RFC 4648 base32 (upper case, no padding), the form authenticator apps take secrets in.
enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    static func encode(_ bytes: [UInt8]) -> String {
        var output = ""
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return output
    }

    static func decode(_ text: String) -> [UInt8]? {
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for character in text.uppercased() where character != "=" {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            buffer = (buffer << 5) | UInt32(value)
            bits += 5
            if bits >= 8 {
                output.append(UInt8((buffer >> UInt32(bits - 8)) & 0xff))
                bits -= 8
            }
        }
        return output
    }
}
