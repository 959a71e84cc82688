import Foundation

import JSONRPC
import SportelloDomain
import SportelloStore

// MARK: Param types

/// A customer named by its id (`42`) or its code (`"ACME"`, any ASCII case): the schema's
/// `CustomerRef`.
public enum CustomerRef: Codable, Sendable, Hashable, CustomStringConvertible {
    case id(Int64)
    case code(String)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let id = try? container.decode(Int64.self) {
            self = .id(id)
        } else if let code = try? container.decode(String.self) {
            self = .code(code)
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected a customer id (an integer) or code (a string)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .id(let id): try container.encode(id)
        case .code(let code): try container.encode(code)
        }
    }

    public var description: String {
        switch self {
        case .id(let id): "id \(id)"
        case .code(let code): "code \"\(code)\""
        }
    }

    /// The customer, or -32003 naming `field`.
    public func resolve(_ tx: StoreReader, field: String = "params.customer") throws -> CustomerRecord {
        let found: CustomerRecord?
        switch self {
        case .id(let id): found = try AccountStore.customer(tx, id: id)
        case .code(let code): found = try AccountStore.customer(tx, code: code)
        }
        guard let found else { throw RPCError.notFound(field: field, "no customer with \(self)") }
        return found
    }
}

// The customer.*, contact.* and staff.* methods are declared by schema/sportello.openrpc.json;
// their types (CustomerCreate, CustomerGet, …, StaffList, and the shared Customer, Subscription,
// Contact and Staff) are generated at build time.

// MARK: Handlers

extension SportelloService {
    func registerAccountMethods(into registry: inout MethodRegistry<CallContext>) {
        registerSessionMethods(into: &registry)
        let database = environment.database
        let now = environment.now

        registry.register(CustomerCreate.self, by: self) { params, _ in
            let code = try AccountValidation.code(params.code)
            let name = try AccountValidation.name(params.name, field: "params.name")
            let vatNumber = try params.vatNumber.map(AccountValidation.vatNumber)
            let language = try AccountValidation.choice(params.language, field: "params.language", as: Language.self)
            let email = try params.email.map { try AccountValidation.email($0, field: "params.email") }
            return try await database.write { tx in
                let customer = try duplicateAsDomainRule {
                    try AccountStore.insertCustomer(
                        tx, code: code, name: name, vatNumber: vatNumber, language: language, email: email, now: now())
                }
                return try Customer(customer, subscriptions: [])
            }
        }

        // Every staff role reads customers: an operator needs the customer's data to work the
        // tickets assigned to them (the seed: "a designated operator may access customer data
        // to process their assigned request"). A contact reads their own company only.
        registry.register(CustomerGet.self, by: self) { params, context in
            let principal = try context.requirePrincipal()
            return try await database.read { tx in
                let customer = try params.customer.resolve(tx)
                // A contact sees their own company only; any other answers exactly as if it did
                // not exist (the same error resolve throws).
                if case .contact(_, let own) = principal, own != customer.id {
                    throw RPCError.notFound(field: "params.customer", "no customer with \(params.customer)")
                }
                return try Customer(customer, subscriptions: try AccountStore.subscriptions(tx, customer: customer.id))
            }
        }

        registry.register(CustomerList.self, by: self) { params, context in
            let limit = try AccountValidation.limit(params.limit)
            let cursor = ListCursor(
                key: database.cursorKey, list: CustomerList.name, caller: try context.requirePrincipal(),
                filters: [("query", params.query.map { .string($0) } ?? .null)])
            let after = try params.cursor.map { try cursor.decode($0) }
            return try await database.read { tx in
                let page = try AccountStore.customers(tx, query: params.query, after: after, limit: limit)
                let subscriptions = try AccountStore.subscriptions(tx, customers: page.items.map(\.id))
                return CustomerList.Result(
                    items: try page.items.map { try Customer($0, subscriptions: subscriptions[$0.id] ?? []) },
                    nextCursor: page.hasMore && !page.items.isEmpty ? cursor.encode(page.items.last!.id) : nil)
            }
        }

        registry.register(CustomerAddSubscription.self, by: self) { params, _ in
            let mode = try AccountValidation.choice(params.mode, field: "params.mode", as: SubscriptionMode.self)
            if let from = params.from, let to = params.to, to < from {
                throw RPCError.invalidParams(field: "params.to", reason: "the subscription ends (\(to)) before it starts (\(from))")
            }
            return try await database.write { tx in
                let customer = try params.customer.resolve(tx)
                guard try AccountStore.productExists(tx, code: params.product) else {
                    throw RPCError.notFound(field: "params.product", "no product \"\(params.product)\"")
                }
                _ = try AccountStore.insertSubscription(
                    tx, customer: customer.id, product: params.product, mode: mode, from: params.from?.iso, to: params.to?.iso,
                    now: now())
                return try Customer(customer, subscriptions: try AccountStore.subscriptions(tx, customer: customer.id))
            }
        }

        registry.register(ContactCreate.self, by: self) { params, _ in
            let name = try AccountValidation.name(params.name, field: "params.name")
            let email = try AccountValidation.email(params.email, field: "params.email")
            let language = try params.language.map { try AccountValidation.choice($0, field: "params.language", as: Language.self) }
            let passwordHash = try await AccountValidation.passwordHash(params.password)
            return try await database.write { tx in
                let customer = try params.customer.resolve(tx)
                return Contact(try duplicateAsDomainRule {
                    try AccountStore.insertContact(
                        tx, customer: customer.id, name: name, email: email, language: language, passwordHash: passwordHash,
                        now: now())
                })
            }
        }

        registry.register(StaffCreate.self, by: self) { params, _ in
            let name = try AccountValidation.name(params.name, field: "params.name")
            let email = try AccountValidation.email(params.email, field: "params.email")
            let role = try AccountValidation.choice(params.role, field: "params.role", as: StaffRole.self)
            let language = try params.language.map { try AccountValidation.choice($0, field: "params.language", as: Language.self) } ?? .it
            let passwordHash = try await AccountValidation.passwordHash(params.password)
            return try await database.write { tx in
                Staff(try duplicateAsDomainRule {
                    try AccountStore.insertStaff(
                        tx, name: name, email: email, role: role, passwordHash: passwordHash, language: language, now: now())
                })
            }
        }

        registry.register(StaffList.self, by: self) { _, _ in
            return try await database.read { tx in
                StaffList.Result(items: try AccountStore.allStaff(tx).map(Staff.init))
            }
        }
    }
}

/// A store's "already taken" as -32006 naming the param.
private func duplicateAsDomainRule<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch AccountStoreError.duplicate(let field, let value) {
        let reason =
            switch field {
            case "email": "email already in use"
            case "code": "a customer with code \"\(value)\" already exists"
            default: "a customer with VAT number \(value) already exists"
            }
        throw RPCError(
            code: RPCErrorCode.domainRule, message: "Rejected by a domain rule",
            data: ["field": .string("params.\(field)"), "reason": .string(reason)])
    }
}

// MARK: Validation

/// The rules for account params; each failure is -32602 naming the field.
enum AccountValidation {
    static let minimumPasswordLength = 10

    /// A customer code: 1–32 of `A–Z a–z 0–9 . _ -`.
    static func code(_ code: String) throws(RPCError) -> String {
        let allowed = code.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        guard (1...32).contains(code.utf8.count), allowed else {
            throw RPCError.invalidParams(field: "params.code", reason: "must be 1 to 32 characters among A-Z, a-z, 0-9, '.', '_' and '-'")
        }
        return code
    }

    /// A person's or company's name: leading and trailing white space removed, then 1–200
    /// characters, no control characters; everything else (emoji, right-to-left text, quotes)
    /// kept byte for byte.
    static func name(_ name: String, field: String) throws(RPCError) -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(trimmed.count) else {
            throw RPCError.invalidParams(field: field, reason: "must be 1 to 200 characters (not counting surrounding spaces)")
        }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw RPCError.invalidParams(field: field, reason: "must not contain control characters")
        }
        return trimmed
    }

    /// A VAT number, normalised: upper case, spaces removed. Italian (a partita IVA: `IT` and 11
    /// digits, or the 11 digits alone) is stored as `IT` + 11 digits after checking its check
    /// digit; any other country as its 2-letter prefix and 2–13 letters or digits, unchecked.
    static func vatNumber(_ text: String) throws(RPCError) -> String {
        let compact = String(text.uppercased().unicodeScalars.filter { $0 != " " })
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        func isLetter(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5a }
        let bytes = Array(compact.utf8)
        let italian: ArraySlice<UInt8>?
        if bytes.count == 11, bytes.allSatisfy(isDigit) {
            italian = bytes[...]
        } else if bytes.count >= 2, bytes[0] == UInt8(ascii: "I"), bytes[1] == UInt8(ascii: "T") {
            italian = bytes[2...]
        } else {
            italian = nil
        }
        if let digits = italian {
            guard digits.count == 11, digits.allSatisfy(isDigit) else {
                throw RPCError.invalidParams(
                    field: "params.vatNumber", reason: "an Italian VAT number (partita IVA) is IT followed by 11 digits")
            }
            guard partitaIVAIsValid(digits.map { Int($0 - 0x30) }) else {
                throw RPCError.invalidParams(
                    field: "params.vatNumber", reason: "not a valid partita IVA: the check digit does not match")
            }
            return "IT" + String(decoding: digits, as: UTF8.self)
        }
        guard bytes.count >= 4, bytes.count <= 15, isLetter(bytes[0]), isLetter(bytes[1]),
            bytes[2...].allSatisfy({ isDigit($0) || isLetter($0) })
        else {
            throw RPCError.invalidParams(
                field: "params.vatNumber",
                reason: "expected an Italian partita IVA (IT + 11 digits) or a foreign VAT number"
                    + " (2-letter country prefix + 2 to 13 letters or digits)")
        }
        return compact
    }

    /// The partita IVA's check (the Luhn scheme): the digits in odd places are summed as they
    /// are, those in even places (2nd … 10th) doubled, less 9 when over 9; the 11th digit makes
    /// the total a multiple of 10. All zeros is refused: no office issues it.
    static func partitaIVAIsValid(_ digits: [Int]) -> Bool {
        guard digits.count == 11, digits.contains(where: { $0 != 0 }) else { return false }
        var sum = 0
        for (index, digit) in digits.prefix(10).enumerated() {
            if index % 2 == 0 {
                sum += digit
            } else {
                let doubled = digit * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            }
        }
        return (10 - sum % 10) % 10 == digits[10]
    }

    /// An email address: `local@domain`, trimmed; the local part 1–64 characters without spaces,
    /// quotes, angle brackets or a leading, trailing or doubled dot; the domain two or more
    /// dot-separated labels of letters, digits and hyphens (internationalised letters allowed),
    /// the last at least two letters; at most 254 characters in all.
    static func email(_ text: String, field: String) throws(RPCError) -> String {
        let email = text.trimmingCharacters(in: .whitespacesAndNewlines)
        func invalid() -> RPCError { RPCError.invalidParams(field: field, reason: "not a valid email address") }
        guard email.count <= 254, let at = email.lastIndex(of: "@") else { throw invalid() }
        let local = email[..<at]
        let domain = email[email.index(after: at)...]
        let forbidden: Set<Character> = [" ", "\"", "<", ">", "(", ")", "[", "]", ",", ";", ":", "\\", "@"]
        guard (1...64).contains(local.count), !local.contains(where: { forbidden.contains($0) || $0.isWhitespace }),
            !local.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }),
            local.first != ".", local.last != ".", !local.contains("..")
        else { throw invalid() }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2,
            labels.allSatisfy({ label in
                (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                    && label.allSatisfy { $0 == "-" || $0.isLetter || $0.isNumber }
            }),
            let top = labels.last, top.count >= 2, top.allSatisfy(\.isLetter)
        else { throw invalid() }
        return email
    }

    /// A value of a closed set, or -32602 with `data.allowed`.
    static func choice<T: RawRepresentable & CaseIterable>(
        _ text: String, field: String, as type: T.Type
    ) throws(RPCError) -> T where T.RawValue == String {
        guard let value = T(rawValue: text) else {
            let allowed = T.allCases.map(\.rawValue)
            throw RPCError.invalidParams(
                field: field, reason: "must be one of: \(allowed.joined(separator: ", "))",
                extra: ["allowed": .array(allowed.map { .string($0) })])
        }
        return value
    }

    /// A page size: 1–500, 50 when absent (docs/product.md §10–11).
    static func limit(_ limit: Int?) throws(RPCError) -> Int {
        guard let limit else { return 50 }
        guard (1...500).contains(limit) else {
            throw RPCError.invalidParams(field: "params.limit", reason: "must be between 1 and 500")
        }
        return limit
    }

    /// The argon2id hash of a new password (10–1024 characters), or nil without one.
    static func passwordHash(_ password: String?) async throws -> String? {
        guard let password else { return nil }
        guard password.count >= minimumPasswordLength else {
            throw RPCError.invalidParams(field: "params.password", reason: "must be at least \(minimumPasswordLength) characters")
        }
        guard password.utf8.count <= PasswordHasher.maximumLength else {
            throw RPCError.invalidParams(field: "params.password", reason: "must be at most \(PasswordHasher.maximumLength) bytes")
        }
        return try await PasswordHasher.standard.hashAsync(password)
    }
}

/// The opaque `cursor` of a keyset-paginated list, bound to the list, the filters and the
/// caller it was made for: base64url of a version byte (2), the position (the last id shown,
/// 8 bytes big-endian) and the first 16 bytes of HMAC-SHA256 over
/// `[list, caller, [[filter, value]…], position]` as canonical JSON, keyed with the database's
/// 32 random bytes (`SportelloDatabase.cursorKey`). A forged cursor, one from another list,
/// from the same list with other filters, or from another caller does not verify: -32602
/// naming `params.cursor`. (So do the unauthenticated `k1:` cursors of earlier versions: a
/// client starts the list again.) The page size is not bound: a client may change it between
/// pages.
struct ListCursor {
    let key: [UInt8]
    /// The method: `ticket.list`.
    let list: String
    /// Who asks and the filters, in a fixed order, after validation (a customer by id).
    let scope: [(String, JSONValue)]

    init(key: [UInt8], list: String, caller: Principal, filters: [(String, JSONValue)]) {
        self.key = key
        self.list = list
        self.scope = [("caller", .string(caller.key))] + filters
    }

    private static let version: UInt8 = 2
    private static let tagLength = 16

    func encode(_ position: Int64) -> String {
        let bytes = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: position) >> (56 - 8 * UInt64($0))) }
        return Base64URL.encode([Self.version] + bytes + tag(position))
    }

    func decode(_ cursor: String, field: String = "params.cursor") throws(RPCError) -> Int64 {
        guard let bytes = Base64URL.decode(cursor), bytes.count == 1 + 8 + Self.tagLength, bytes[0] == Self.version else {
            throw RPCError.invalidParams(field: field, reason: "not a cursor this list returned")
        }
        let position = Int64(bitPattern: bytes[1...8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        guard Hashes.isEqualInConstantTime(Array(bytes[9...]), tag(position)) else {
            throw RPCError.invalidParams(
                field: field, reason: "not a cursor this list returned for these filters; a cursor works only with the list, filters and caller that returned it")
        }
        return position
    }

    private func tag(_ position: Int64) -> [UInt8] {
        let message: JSONValue = [
            .string(list), .array(scope.map { [.string($0.0), $0.1] }), .int(position),
        ]
        return Array(Hashes.hmacSHA256(JSONSerializer.serialize(message), key: key).prefix(Self.tagLength))
    }
}

extension Optional where Wrapped: RawRepresentable, Wrapped.RawValue == String {
    /// A validated filter's value in a cursor's scope.
    var cursorValue: JSONValue { self.map { .string($0.rawValue) } ?? .null }
}

/// Base64 with the URL-safe alphabet and no padding (RFC 4648 §5).
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> [UInt8]? {
        guard text.utf8.allSatisfy({ byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }) else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.utf8.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map { Array($0) }
    }
}

// MARK: Views

extension Customer {
    /// The schema's view of a customer and its subscriptions.
    init(_ customer: CustomerRecord, subscriptions: [SubscriptionRecord]) throws {
        self.init(
            id: Int(customer.id), code: customer.code, name: customer.name, vatNumber: customer.vatNumber,
            language: Language(customer.language), email: customer.email, createdAt: Instant(customer.createdAt),
            subscriptions: try subscriptions.map(Subscription.init))
    }
}

extension Customer.Language {
    init(_ language: SportelloDomain.Language) {
        switch language {
        case .it: self = .it
        case .en: self = .en
        }
    }
}

extension Contact.Language {
    init(_ language: SportelloDomain.Language) {
        switch language {
        case .it: self = .it
        case .en: self = .en
        }
    }
}

extension Subscription {
    /// `from`/`to` nil when open-ended.
    init(_ subscription: SubscriptionRecord) throws {
        func date(_ text: String?) throws -> LocalDate? {
            try text.map { text in
                guard let date = LocalDate(iso: text) else {
                    throw RPCError.internalError("subscription \(subscription.id) has a stored date that is not YYYY-MM-DD")
                }
                return date
            }
        }
        self.init(
            id: Int(subscription.id), product: subscription.product, mode: Mode(subscription.mode),
            from: try date(subscription.from), to: try date(subscription.to), createdAt: Instant(subscription.createdAt))
    }
}

extension Subscription.Mode {
    init(_ mode: SubscriptionMode) {
        switch mode {
        case .cloudSaas: self = .cloudSaas
        case .subscription: self = .subscription
        case .perpetual: self = .perpetual
        }
    }
}

extension Contact {
    /// `language` nil: the customer's.
    init(_ contact: ContactRecord) {
        self.init(
            id: Int(contact.id), customer: Int(contact.customer), name: contact.name, email: contact.email,
            language: contact.language.map(Language.init))
    }
}

extension Staff {
    init(_ staff: StaffRecord) {
        self.init(
            id: Int(staff.id), name: staff.name, email: staff.email, role: Role(staff.role), active: staff.active,
            language: staff.language)
    }
}

extension Staff.Role {
    init(_ role: StaffRole) {
        switch role {
        case .operator: self = .operator
        case .careManager: self = .careManager
        case .admin: self = .admin
        }
    }
}
