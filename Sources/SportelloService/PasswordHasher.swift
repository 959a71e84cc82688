import CArgon2
import Dispatch
import Foundation
import Synchronization

/// Passwords as memory-hard hashes (docs/product.md §9): argon2id through libargon2, OWASP's first choice,
/// with its minimum recommended cost — 19 MiB of memory, 2 passes, 1 lane — a 16-byte random
/// salt and a 32-byte tag, stored as the PHC string
/// (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<tag>`) so that the parameters travel with the hash
/// and can be raised later without invalidating stored hashes. libargon2's verify compares the
/// tags in constant time.
///
/// Hashing costs some 30–60 ms of one core; the async entry points run it on a small pool of
/// threads of its own (one per core), not on Swift's cooperative pool, so that logins do not
/// stall the requests of other connections and at most one 19 MiB buffer per core is live.
public struct PasswordHasher: Sendable {
    public var timeCost: UInt32
    public var memoryKiB: UInt32
    public var parallelism: UInt32

    public static let saltLength = 16
    public static let tagLength = 32
    /// Passwords longer than this are refused (argon2 accepts any length; there is no reason to).
    public static let maximumLength = 1024

    public init(timeCost: UInt32 = 2, memoryKiB: UInt32 = 19456, parallelism: UInt32 = 1) {
        self.timeCost = timeCost
        self.memoryKiB = memoryKiB
        self.parallelism = parallelism
    }

    public static let standard = PasswordHasher()

    /// A hash of a random password nobody knows, with the standard parameters: a login for an
    /// unknown email (or an account without a password) is verified against it, so that the
    /// answer takes as long as a real check and the timing does not tell whether the email
    /// exists. Regenerate it if the standard parameters change (a test checks they match).
    public static let dummyHash =
        "$argon2id$v=19$m=19456,t=2,p=1$TXaJaV0vYzdGtFadxVrHGw$wRzzj1SHC7F0kqgVsg6x3P/FeTn6FpTVhqqXucpmAlk"

    public struct Failure: Error, CustomStringConvertible {
        public let code: Int32
        public var description: String { "argon2 error \(code): \(String(cString: argon2_error_message(code)))" }
    }

    /// The PHC string of `password` under a fresh random salt.
    public func hash(_ password: String) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<Self.saltLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let length = argon2_encodedlen(
            timeCost, memoryKiB, parallelism, UInt32(Self.saltLength), UInt32(Self.tagLength), Argon2_id)
        var encoded = [CChar](repeating: 0, count: length + 1)
        let bytes = Array(password.utf8)
        let code = bytes.withUnsafeBytes { passwordBuffer in
            salt.withUnsafeBytes { saltBuffer in
                argon2id_hash_encoded(
                    timeCost, memoryKiB, parallelism, passwordBuffer.baseAddress, passwordBuffer.count,
                    saltBuffer.baseAddress, saltBuffer.count, Self.tagLength, &encoded, encoded.count)
            }
        }
        guard code == ARGON2_OK.rawValue else { throw Failure(code: code) }
        return encoded.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Whether `password` matches the PHC string `encoded` (constant-time comparison of the
    /// tags). A malformed hash is a mismatch.
    public static func verify(_ password: String, against encoded: String) -> Bool {
        let bytes = Array(password.utf8)
        return bytes.withUnsafeBytes { buffer in
            argon2id_verify(encoded, buffer.baseAddress, buffer.count) == ARGON2_OK.rawValue
        }
    }

    /// `hash` on the hashing threads.
    public func hashAsync(_ password: String) async throws -> String {
        let hasher = self
        return try await Self.pool.run { try hasher.hash(password) }
    }

    /// `verify` on the hashing threads.
    public static func verifyAsync(_ password: String, against encoded: String) async -> Bool {
        await pool.run { verify(password, against: encoded) }
    }

    private static let pool = HashingPool(threads: max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8)))
}

/// A few serial queues, used in turn: at most one hash per queue at a time.
private final class HashingPool: Sendable {
    private let queues: [DispatchQueue]
    private let next = Atomic<UInt>(0)

    init(threads: Int) {
        queues = (0..<threads).map { DispatchQueue(label: "sportello.password-hashing.\($0)") }
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let queue = queues[Int(next.wrappingAdd(1, ordering: .relaxed).oldValue % UInt(queues.count))]
        return try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        let queue = queues[Int(next.wrappingAdd(1, ordering: .relaxed).oldValue % UInt(queues.count))]
        return await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }
}
