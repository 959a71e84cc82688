import Foundation
@testable import SportelloService
import Testing

// RFC 6238 Appendix B: the published test vectors, 8 digits, for the three HMACs, with the
// seeds "12345678901234567890" repeated to the hash's length (20, 32 and 64 bytes).
private let vectors: [(time: Int64, sha1: String, sha256: String, sha512: String)] = [
    (59, "94287082", "46119246", "90693936"),
    (1_111_111_109, "07081804", "68084774", "25091201"),
    (1_111_111_111, "14050471", "67062674", "99943326"),
    (1_234_567_890, "89005924", "91819424", "93441116"),
    (2_000_000_000, "69279037", "90698825", "38618901"),
    (20_000_000_000, "65353130", "77737706", "47863826"),
]

private func seed(_ length: Int) -> [UInt8] { Array(String(repeating: "1234567890", count: 7).utf8.prefix(length)) }

@Suite("TOTP")
struct TOTPTests {
    @Test("RFC 6238's test vectors", arguments: vectors.indices)
    func rfcVectors(_ index: Int) {
        let vector = vectors[index]
        let step = vector.time / 30
        #expect(TOTP.code(secret: seed(20), step: step, digits: 8, algorithm: .sha1) == vector.sha1)
        #expect(TOTP.code(secret: seed(32), step: step, digits: 8, algorithm: .sha256) == vector.sha256)
        #expect(TOTP.code(secret: seed(64), step: step, digits: 8, algorithm: .sha512) == vector.sha512)
        // Six digits are the last six of the eight (the same number modulo 10^6).
        #expect(TOTP.code(secret: seed(20), step: step) == String(vector.sha1.suffix(6)))
    }

    @Test("a code is accepted one step either side, and once")
    func window() {
        let secret = seed(20)
        let at = Date(timeIntervalSince1970: 1_111_111_111)  // step 37037037
        let step = TOTP.step(at: at)
        #expect(step == 37_037_037)
        let current = TOTP.code(secret: secret, step: step)
        #expect(TOTP.verify(current, secret: secret, at: at, lastUsedStep: nil) == step)
        #expect(TOTP.verify(TOTP.code(secret: secret, step: step - 1), secret: secret, at: at, lastUsedStep: nil) == step - 1)
        #expect(TOTP.verify(TOTP.code(secret: secret, step: step + 1), secret: secret, at: at, lastUsedStep: nil) == step + 1)
        #expect(TOTP.verify(TOTP.code(secret: secret, step: step - 2), secret: secret, at: at, lastUsedStep: nil) == nil)
        // Used: not again, nor an older one.
        #expect(TOTP.verify(current, secret: secret, at: at, lastUsedStep: step) == nil)
        #expect(TOTP.verify(TOTP.code(secret: secret, step: step - 1), secret: secret, at: at, lastUsedStep: step) == nil)
        #expect(TOTP.verify("12345", secret: secret, at: at, lastUsedStep: nil) == nil)
        #expect(TOTP.verify("abcdef", secret: secret, at: at, lastUsedStep: nil) == nil)
    }

    @Test("base32 as RFC 4648 §10 writes it")
    func base32() {
        #expect(Base32.encode(Array("foobar".utf8)) == "MZXW6YTBOI")
        #expect(Base32.encode(Array("f".utf8)) == "MY")
        #expect(Base32.decode("MZXW6YTBOI") == Array("foobar".utf8))
        #expect(Base32.decode("mzxw6ytboi======") == Array("foobar".utf8))
        #expect(Base32.decode("M1") == nil)
        let uri = TOTP.uri(secret: seed(20), account: "anna@interzen.example")
        #expect(uri == "otpauth://totp/Sportello:anna@interzen.example?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Sportello&algorithm=SHA1&digits=6&period=30")
    }
}

@Suite("Staff two-factor login")
struct TwoFactorLoginTests {
    @Test("an admin without TOTP may only set it up; then login needs a code, each usable once")
    func adminSetsUpAndUsesTOTP() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        let system = CallContext(transport: .socket, principal: .system)
        let password = "Sportello-Admin-2026"
        try await harness.ok("staff.create", ["name": "Anna Admin", "email": "anna@interzen.example", "role": "admin", "password": .string(password)], as: system)

        let admin = CallContext(transport: .socket, principal: nil)
        let session = try await harness.ok("session.login", ["email": "anna@interzen.example", "password": .string(password)], as: admin)
        #expect(session["totpSetupRequired"] == true)
        let held = try await harness.fails("staff.list", [:], as: admin, code: -32002)
        #expect(held["data"]?["reason"] == "totpSetupRequired")
        try await harness.ok("session.whoami", [:], as: admin)

        let enrolment = try await harness.ok("account.enableTotp", [:], as: admin)
        guard case .string(let secretText)? = enrolment["secret"], case .string(let uri)? = enrolment["otpauthURI"],
            let secret = Base32.decode(secretText)
        else { Issue.record("no secret: \(enrolment)"); return }
        #expect(secret.count == 20 && uri.hasPrefix("otpauth://totp/Sportello:anna@interzen.example?secret=\(secretText)"))
        try await harness.fails("account.confirmTotp", ["code": "12345"], as: admin, code: -32602)
        let step = TOTP.step(at: harness.clock.now)
        let wrong = TOTP.code(secret: secret, step: step + 5)
        try await harness.fails("account.confirmTotp", ["code": .string(wrong)], as: admin, code: -32006)
        #expect(try await harness.ok("account.confirmTotp", ["code": .string(TOTP.code(secret: secret, step: step))], as: admin) == ["enabled": true])
        // The same session is free now.
        try await harness.ok("staff.list", [:], as: admin)

        // Login: the code is required; the one just used (and older ones) no longer work.
        let missing = try await harness.fails("session.login", ["email": "anna@interzen.example", "password": .string(password)], as: CallContext(transport: .socket, principal: nil), code: -32001)
        #expect(missing["data"]?["reason"] == "totpRequired")
        try await harness.fails("session.login", [
            "email": "anna@interzen.example", "password": .string(password), "totp": .string(TOTP.code(secret: secret, step: step)),
        ], as: CallContext(transport: .socket, principal: nil), code: -32001)
        harness.clock.advance(30)
        let fresh = TOTP.code(secret: secret, step: step + 1)
        let signedIn = try await harness.ok("session.login", ["email": "anna@interzen.example", "password": .string(password), "totp": .string(fresh)], as: CallContext(transport: .socket, principal: nil))
        #expect(signedIn["totpSetupRequired"] == nil)
        // Reused within its window: refused.
        try await harness.fails("session.login", ["email": "anna@interzen.example", "password": .string(password), "totp": .string(fresh)], as: CallContext(transport: .socket, principal: nil), code: -32001)
        // A wrong password with a right code is still the plain login failure.
        let bad = try await harness.fails("session.login", ["email": "anna@interzen.example", "password": "not the password", "totp": .string(TOTP.code(secret: secret, step: step + 2))], as: CallContext(transport: .socket, principal: nil), code: -32001)
        #expect(bad["data"]?["reason"] == "unknown email or wrong password")

        // Contacts and the system have no two-factor login.
        try await harness.fails("account.enableTotp", [:], as: system, code: -32006)
        try await harness.fails("account.enableTotp", [:], as: CallContext(transport: .socket, principal: .contact(id: 1, customer: 1)), code: -32002)
    }
}
