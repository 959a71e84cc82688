import Foundation
import SportelloDomain
import Testing

@Suite("Portal account rules")
struct AccountRulesTests {
    @Test("confirmation codes: 8 characters of the unambiguous alphabet; typed in any case")
    func codes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let code = ConfirmationCode.make(using: &generator)
            #expect(code.count == 8)
            #expect(code.allSatisfy { ConfirmationCode.alphabet.contains($0) })
            #expect(ConfirmationCode.normalized(code.lowercased()) == code)
        }
        // 23 letters (26 less I, L, O) + 8 digits (10 less 0, 1) = 31 symbols.
        #expect(ConfirmationCode.alphabet.count == 31)
        #expect(!ConfirmationCode.alphabet.contains("0") && !ConfirmationCode.alphabet.contains("O"))
        #expect(ConfirmationCode.normalized(" abcd2345 ") == "ABCD2345")
        #expect(ConfirmationCode.normalized("ABCD234") == nil)  // 7 characters
        #expect(ConfirmationCode.normalized("ABCD23450") == nil)  // 9 characters
        #expect(ConfirmationCode.normalized("ABCD2340") == nil)  // 0 is not in the alphabet
        #expect(ConfirmationCode.normalized("ABCD-345") == nil)
    }

    @Test("generated passwords: 20 characters of letters and digits without look-alikes, acceptable to the policy")
    func generated() {
        var generator = SystemRandomNumberGenerator()
        let passwords = (0..<50).map { _ in PasswordPolicy.generate(using: &generator) }
        #expect(Set(passwords).count == 50)
        for password in passwords {
            #expect(password.count == 20)
            #expect(password.allSatisfy { PasswordPolicy.generatedAlphabet.contains($0) })
        }
        // 23 upper (26 less I, L, O) + 24 lower (26 less l, o) + 8 digits (10 less 0, 1) = 55
        // symbols; 20 of them: 20 × log2(55) ≈ 20 × 5.78 = 115.6 bits.
        #expect(PasswordPolicy.generatedAlphabet.count == 55)
    }

    @Test("a chosen password: long enough, without the email or the name, not a common one")
    func chosen() {
        let email = "paolo.verdi@acme.example"
        let name = "Paolo Verdi"
        #expect(PasswordPolicy.violation("corto-123", email: email, name: name) == "must be at least 12 characters")
        #expect(PasswordPolicy.violation("x-paolo.verdi-2026", email: email, name: name) == "must not contain the email address")
        #expect(PasswordPolicy.violation("Il-mio-VERDI-segreto", email: email, name: name) == "must not contain your name")
        #expect(PasswordPolicy.violation("paolo verdi!!!", email: email, name: name) != nil)
        // "1qaz2wsx3edc" is 12 characters and among the 10,000 (entry 1,000 of the list).
        #expect(PasswordPolicy.isCommon("1qaz2wsx3edc"))
        #expect(PasswordPolicy.violation("1QAZ2WSX3EDC", email: email, name: name) == "is one of the 10,000 most common passwords")
        #expect(PasswordPolicy.violation(String(repeating: "a", count: 1025), email: email, name: name) == "must be at most 1024 bytes")
        #expect(PasswordPolicy.violation("Treni-lenti-a-Pescara", email: email, name: name) == nil)
        // A short name word (3 letters) does not forbid passwords that contain it.
        #expect(PasswordPolicy.violation("Treni-lenti-a-Pescara", email: "ugo@x.it", name: "Ugo Re") == nil)
    }

    @Test("the common-password list holds 10,000 distinct lower-case entries, most common first")
    func commonList() {
        #expect(PasswordPolicy.isCommon("123456"))
        #expect(PasswordPolicy.isCommon("PASSWORD"))
        #expect(!PasswordPolicy.isCommon("Treni-lenti-a-Pescara"))
    }

    @Test("domains: lower-cased and checked; an email's domain")
    func domains() {
        #expect(EmailDomains.normalized(" Acme-Logistica.IT ") == "acme-logistica.it")
        #expect(EmailDomains.normalized("localhost") == nil)
        #expect(EmailDomains.normalized("-acme.it") == nil)
        #expect(EmailDomains.normalized("acme.i2") == nil)
        #expect(EmailDomains.normalized("acme..it") == nil)
        #expect(EmailDomains.domain(of: "Paolo@ACME.it") == "acme.it")
        #expect(EmailDomains.publicProviders.contains("gmail.com"))
    }
}
