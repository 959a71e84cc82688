import Foundation

// The rules of the customer portal's accounts (docs/product.md §9): the wizard's confirmation
// codes, the passwords the system generates, the passwords people choose, and the email domains
// that let a registration activate itself. Pure: randomness is passed in.

/// The wizard's confirmation codes: 8 characters from an alphabet without the look-alikes
/// (no 0/O, 1/I/L), so that a person can copy one from an email without doubt.
public enum ConfirmationCode {
    public static let alphabet = Array("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
    public static let length = 8
    /// How long a code may be used.
    public static let validity: TimeInterval = 30 * 60
    /// Wrong codes that void a registration.
    public static let attemptLimit = 5

    /// A fresh code: `length` characters drawn uniformly from `alphabet`.
    public static func make<G: RandomNumberGenerator>(using generator: inout G) -> String {
        String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// The code as typed, upper-cased and trimmed, when it is `length` characters of the
    /// alphabet; nil otherwise.
    public static func normalized(_ text: String) -> String? {
        let code = text.trimmingCharacters(in: .whitespaces).uppercased()
        guard code.count == length, code.allSatisfy({ alphabet.contains($0) }) else { return nil }
        return code
    }
}

/// What a password must be, and the passwords the system generates.
public enum PasswordPolicy {
    public static let minimumLength = 12
    public static let maximumBytes = 1024
    /// A generated password's length: 20 characters of `generatedAlphabet` (55 symbols), about
    /// 115 bits.
    public static let generatedLength = 20
    /// Letters and digits without the look-alikes (0 O o, 1 l I L), so a password read from an
    /// email is typed right the first time.
    public static let generatedAlphabet = Array("ABCDEFGHJKMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789")

    public static func generate<G: RandomNumberGenerator>(using generator: inout G) -> String {
        String((0..<generatedLength).map { _ in generatedAlphabet.randomElement(using: &generator)! })
    }

    /// Why `password` may not be chosen by the person with this email and name; nil when it may.
    /// The rules: at least 12 characters, at most 1024 bytes; not containing the email's local
    /// part (when 3 characters or more), the whole name, or a word of the name of 4 or more
    /// letters, ignoring case; not one of the 10,000 most common passwords (ignoring case).
    public static func violation(_ password: String, email: String, name: String) -> String? {
        if password.count < minimumLength { return "must be at least \(minimumLength) characters" }
        if password.utf8.count > maximumBytes { return "must be at most \(maximumBytes) bytes" }
        let folded = password.lowercased()
        let local = email.split(separator: "@").first.map { $0.lowercased() } ?? ""
        if local.count >= 3, folded.contains(local) { return "must not contain the email address" }
        let fullName = name.lowercased().trimmingCharacters(in: .whitespaces)
        let words = fullName.split(whereSeparator: { !$0.isLetter }).filter { $0.count >= 4 }
        if (!fullName.isEmpty && folded.contains(fullName)) || words.contains(where: { folded.contains($0) }) {
            return "must not contain your name"
        }
        if isCommon(folded) { return "is one of the 10,000 most common passwords" }
        return nil
    }

    public static func isCommon(_ password: String) -> Bool { commonPasswords.contains(password.lowercased()) }

    static let commonPasswords: Set<String> = Set(commonPasswordsText.split(separator: "\n").map(String.init))
}

/// Email domains: whose people a customer vouches for.
public enum EmailDomains {
    /// The domain of an email, lower-cased (everything after the last `@`).
    public static func domain(of email: String) -> String {
        guard let at = email.lastIndex(of: "@") else { return "" }
        return email[email.index(after: at)...].lowercased()
    }

    /// Public mailbox providers: anyone can have an address there, so none may be a customer's
    /// domain.
    public static let publicProviders: Set<String> = [
        "gmail.com", "googlemail.com", "outlook.com", "outlook.it", "hotmail.com", "hotmail.it", "live.com", "live.it",
        "msn.com", "yahoo.com", "yahoo.it", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com",
        "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com", "zoho.com", "yandex.com", "libero.it", "virgilio.it",
        "alice.it", "tin.it", "tim.it", "tiscali.it", "fastwebnet.it", "email.it", "inwind.it", "iol.it", "pec.it",
        "legalmail.it", "postecert.it", "aruba.it", "arubapec.it",
    ]

    /// A domain as a customer's: lower-cased, two or more dot-separated labels of letters,
    /// digits and hyphens (1–63 each, not starting or ending with a hyphen), the last at least
    /// two letters; nil otherwise.
    public static func normalized(_ text: String) -> String? {
        let domain = text.trimmingCharacters(in: .whitespaces).lowercased()
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard domain.count <= 253, labels.count >= 2,
            labels.allSatisfy({ label in
                (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                    && label.allSatisfy { $0 == "-" || $0.isLetter || $0.isNumber }
            }),
            let top = labels.last, top.count >= 2, top.allSatisfy(\.isLetter)
        else { return nil }
        return domain
    }
}
