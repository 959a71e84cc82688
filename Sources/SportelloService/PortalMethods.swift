import Foundation

import JSONRPC
import SportelloDomain
import SportelloStore

// The customer portal's accounts (docs/product.md §9): customer.setDomains and customer.domains,
// the self-registration wizard (account.register, account.confirm), the approval queue
// (account.pending, account.approve, account.reject) and account.changePassword. Their types
// are generated from schema/sportello.openrpc.json.

// MARK: Policy

/// The wizard's rate limits.
enum WizardPolicy {
    /// Registrations per email (known or not, ASCII case ignored) per `emailWindow`.
    static let registrationsPerEmail = 5
    static let emailWindow: TimeInterval = 3600
    /// Wizard calls (register, confirm, reset request, reset) per connection per `connectionWindow`;
    /// the system is exempt.
    static let callsPerConnection = 20
    static let connectionWindow: TimeInterval = 10 * 60
    /// Domains a customer may have.
    static let maximumDomains = 20
    static let maximumReasonLength = 2000

    /// When a limited call may be made again: `previous` are the earlier calls in the window,
    /// oldest first, at least `limit` of them; the call is admitted again once only `limit - 1`
    /// remain, i.e. when the `(count - limit + 1)`-th oldest leaves the window.
    static func retryAfter(previous: [Date], limit: Int, window: TimeInterval) -> Date {
        previous[previous.count - limit].addingTimeInterval(window)
    }
}

extension RPCError {
    static func rateLimited(until: Date, _ reason: String) -> RPCError {
        RPCError(
            code: RPCErrorCode.rateLimited, message: "Rate limited",
            data: ["reason": .string(reason), "retryAfter": instant(until)])
    }

    /// Every way a confirmation can fail but a malformed code: one answer, so that it tells
    /// nothing about which emails registered.
    static let wrongCode = RPCError(
        code: RPCErrorCode.domainRule, message: "Rejected by a domain rule",
        data: ["field": "params.code", "reason": "wrong or expired code, or no registration waiting for one: register again"])

    static func domainRule(field: String, _ reason: String) -> RPCError {
        RPCError(
            code: RPCErrorCode.domainRule, message: "Rejected by a domain rule",
            data: ["field": .string(field), "reason": .string(reason)])
    }
}

extension CallContext {
    /// Who the audit trail names for this caller: (kind, id).
    var auditActor: (String, Int64?) {
        switch principal {
        case nil: ("anonymous", nil)
        case .system?: ("system", nil)
        case .staff(let id, _)?: ("staff", id)
        case .contact(let id, _)?: ("contact", id)
        }
    }

    /// Appends an audit event for this caller.
    func audit(
        _ tx: StoreWriter, _ action: String, object: String, id: Int64?, customer: Int64?, changes: String? = nil, at: Date
    ) throws {
        let (kind, actor) = auditActor
        try PortalStore.audit(
            tx, at: at, actorKind: kind, actorID: actor, action: action, objectKind: object, objectID: id, customer: customer,
            changes: changes, transport: transport.rawValue)
    }
}

extension SportelloService {
    /// Counts a wizard call against the connection's limit (not the system's): -32007 past it.
    /// A refused call is not counted.
    func admitWizardCall(_ context: CallContext) throws(RPCError) {
        if case .system? = context.principal { return }
        let now = environment.now()
        let since = now.addingTimeInterval(-WizardPolicy.connectionWindow)
        let refusedUntil: Date? = context.wizardCalls.withLock { calls in
            calls.removeAll { $0 <= since }
            if calls.count >= WizardPolicy.callsPerConnection {
                return WizardPolicy.retryAfter(
                    previous: calls, limit: WizardPolicy.callsPerConnection, window: WizardPolicy.connectionWindow)
            }
            calls.append(now)
            return nil
        }
        if let refusedUntil {
            throw RPCError.rateLimited(until: refusedUntil, "too many account requests on this connection; try again later")
        }
    }

    /// The keyed hash a registration's code is stored as: HMAC-SHA256 under the database's
    /// secret of the email (lower-cased) and the code.
    func codeHash(email: String, code: String, purpose: String = "registration-code") -> String {
        let message = Array("\(purpose)\n\(email.lowercased())\n\(code)".utf8)
        return Hashes.hmacSHA256(message, key: environment.database.cursorKey).map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
        }.joined()
    }

    /// Creates the contact of a registration with a generated password (already hashed), marks
    /// it must change it, and sends the credentials. -32006 when the email became an account
    /// meanwhile.
    static func activate(
        _ tx: StoreWriter, registration: inout RegistrationRecord, customer: CustomerRecord, password: String,
        passwordHash: String, now: Date
    ) throws -> ContactRecord {
        guard try !AccountStore.emailInUse(tx, registration.email) else {
            throw RPCError.domainRule(field: "params.registration", "the email is already an account")
        }
        let contact = try AccountStore.insertContact(
            tx, customer: customer.id, name: registration.name, email: registration.email, language: registration.language,
            passwordHash: passwordHash, now: now)
        try PortalStore.setContactMustChangePassword(tx, contact: contact.id)
        registration.status = .active
        registration.contact = contact.id
        try PortalStore.updateRegistration(tx, registration)
        try enqueueAccountNotification(
            tx, .accountCredentials, registration: registration, customer: customer, password: password, now: now)
        return contact
    }

    static func enqueueAccountNotification(
        _ tx: StoreWriter, _ kind: NotificationKind, registration: RegistrationRecord, customer: CustomerRecord,
        code: String? = nil, password: String? = nil, reason: String? = nil, now: Date
    ) throws {
        let language = registration.language ?? customer.language
        let text = NotificationTemplates.renderAccount(
            kind, language: language,
            context: AccountNotificationContext(
                name: registration.name, email: registration.email, customerName: customer.name, code: code,
                password: password, reason: reason))
        try TicketStore.enqueue(
            tx, ticket: nil, kind: kind.rawValue, language: language, recipient: registration.email, subject: text.subject,
            body: text.body, at: now)
    }

    func registerPortalMethods(into registry: inout MethodRegistry<CallContext>) {
        registerResetAndSessionMethods(into: &registry)
        let database = environment.database
        let clock = environment.now

        // MARK: Domains

        registry.register(CustomerSetDomains.self, by: self) { params, context in
            guard params.domains.count <= WizardPolicy.maximumDomains else {
                throw RPCError.invalidParams(field: "params.domains", reason: "at most \(WizardPolicy.maximumDomains) domains")
            }
            var normalized: [String] = []
            for (index, text) in params.domains.enumerated() {
                guard let domain = EmailDomains.normalized(text) else {
                    throw RPCError.invalidParams(field: "params.domains[\(index)]", reason: "not a domain name")
                }
                if EmailDomains.publicProviders.contains(domain) {
                    throw RPCError.domainRule(
                        field: "params.domains[\(index)]",
                        "\(domain) is a public mailbox provider: anyone may have an address there")
                }
                if !normalized.contains(domain) { normalized.append(domain) }
            }
            let domains = normalized
            return try await database.write { tx in
                let customer = try params.customer.resolve(tx)
                for (index, domain) in domains.enumerated() {
                    if let owner = try PortalStore.domainOwner(tx, domain: domain), owner != customer.id {
                        throw RPCError.domainRule(field: "params.domains[\(index)]", "\(domain) is already another customer's")
                    }
                }
                try PortalStore.setDomains(tx, customer: customer.id, domains: domains)
                try context.audit(
                    tx, "customer.setDomains", object: "customer", id: customer.id, customer: customer.id,
                    changes: String(decoding: JSONSerializer.serialize(["domains": .array(domains.map { .string($0) })]), as: UTF8.self),
                    at: clock())
                return CustomerDomains(customer: Int(customer.id), domains: try PortalStore.domains(tx, customer: customer.id))
            }
        }

        registry.register(CustomerDomainsMethod.self, by: self) { params, _ in
            try await database.read { tx in
                let customer = try params.customer.resolve(tx)
                return CustomerDomains(customer: Int(customer.id), domains: try PortalStore.domains(tx, customer: customer.id))
            }
        }

        // MARK: The wizard

        registry.register(AccountRegister.self, by: self) { params, context in
            try admitWizardCall(context)
            let reference = try PortalValidation.customerReference(params.customer)
            let email = try AccountValidation.email(params.email, field: "params.email")
            let name = try AccountValidation.name(params.name, field: "params.name")
            let language = try params.language.map { try AccountValidation.choice($0, field: "params.language", as: Language.self) }
            let now = clock()
            let expiresAt = StoreTime.rounded(now.addingTimeInterval(ConfirmationCode.validity))
            var generator = SystemRandomNumberGenerator()
            let code = ConfirmationCode.make(using: &generator)
            let hash = codeHash(email: email, code: code)
            try await database.write { tx in
                let since = now.addingTimeInterval(-WizardPolicy.emailWindow)
                let calls = try PortalStore.countAttempt(
                    tx, key: "register:" + email.lowercased(), at: now, since: since, forgetBefore: since)
                let previous = Array(calls.dropLast())
                if previous.count >= WizardPolicy.registrationsPerEmail {
                    // Thrown inside the transaction: the refused call is not recorded.
                    throw RPCError.rateLimited(
                        until: WizardPolicy.retryAfter(
                            previous: previous, limit: WizardPolicy.registrationsPerEmail, window: WizardPolicy.emailWindow),
                        "too many registrations for this email; try again later")
                }
                let customer: CustomerRecord? =
                    switch reference {
                    case .code(let code): try AccountStore.customer(tx, code: code)
                    case .vatNumber(let number): try AccountStore.customer(tx, vatNumber: number)
                    }
                guard let customer, try !AccountStore.emailInUse(tx, email),
                    try PortalStore.registration(tx, email: email, statuses: [.awaitingApproval]) == nil
                else { return }
                try PortalStore.replaceAwaitingCode(tx, email: email)
                let registration = try PortalStore.insertRegistration(tx, RegistrationRecord(
                    id: 0, customer: customer.id, email: email, name: name, language: language, codeHash: hash,
                    codeExpiresAt: expiresAt, attempts: 0, status: .awaitingCode, createdAt: StoreTime.rounded(now)))
                try Self.enqueueAccountNotification(
                    tx, .accountConfirmation, registration: registration, customer: customer, code: code, now: now)
            }
            return AccountRegister.Result(expiresAt: Instant(expiresAt))
        }

        registry.register(AccountConfirm.self, by: self) { params, context in
            try admitWizardCall(context)
            let email = try AccountValidation.email(params.email, field: "params.email")
            guard let code = ConfirmationCode.normalized(params.code) else {
                throw RPCError.invalidParams(field: "params.code", reason: "must be the 8 characters of the code sent by email")
            }
            let hash = codeHash(email: email, code: code)
            let now = clock()
            /// Whether the stored registration matches: the code right, unexpired, not voided.
            @Sendable func matches(_ registration: RegistrationRecord) -> Bool {
                registration.codeExpiresAt > now && registration.attempts < ConfirmationCode.attemptLimit
                    && Hashes.isEqualInConstantTime(Array(registration.codeHash.utf8), Array(hash.utf8))
            }
            // 1. Read: is the code right, and does the email's domain activate it at once?
            let found = try await database.read { tx -> (RegistrationRecord, Bool)? in
                guard let registration = try PortalStore.registration(tx, email: email, statuses: [.awaitingCode]),
                    matches(registration)
                else { return nil }
                let domains = try PortalStore.domains(tx, customer: registration.customer)
                return (registration, domains.contains(EmailDomains.domain(of: registration.email)))
            }
            // 2. Only an activation needs a password, hashed outside the transaction.
            var generated: (password: String, hash: String)?
            if let (_, activates) = found, activates {
                var generator = SystemRandomNumberGenerator()
                let password = PasswordPolicy.generate(using: &generator)
                generated = (password, try await PasswordHasher.standard.hashAsync(password))
            }
            let credentials = generated
            // 3. Write, checking again: a concurrent confirmation may have used or voided the code.
            enum Outcome { case wrong, active, awaitingApproval }
            let outcome = try await database.write { tx -> Outcome in
                guard var registration = try PortalStore.registration(tx, email: email, statuses: [.awaitingCode]) else {
                    return .wrong
                }
                guard matches(registration) else {
                    if registration.codeExpiresAt > now {
                        registration.attempts += 1
                        if registration.attempts >= ConfirmationCode.attemptLimit { registration.status = .voided }
                        try PortalStore.updateRegistration(tx, registration)
                    }
                    return .wrong
                }
                guard let customer = try AccountStore.customer(tx, id: registration.customer) else { return .wrong }
                registration.confirmedAt = StoreTime.rounded(now)
                let domains = try PortalStore.domains(tx, customer: registration.customer)
                if domains.contains(EmailDomains.domain(of: registration.email)), let credentials {
                    let contact = try Self.activate(
                        tx, registration: &registration, customer: customer, password: credentials.password,
                        passwordHash: credentials.hash, now: now)
                    try context.audit(tx, "account.activate", object: "contact", id: contact.id, customer: customer.id, at: now)
                    return .active
                }
                if domains.contains(EmailDomains.domain(of: registration.email)) {
                    // The domains changed between the read and the write: read again.
                    return .wrong
                }
                registration.status = .awaitingApproval
                try PortalStore.updateRegistration(tx, registration)
                try context.audit(
                    tx, "account.awaitApproval", object: "registration", id: registration.id, customer: customer.id, at: now)
                return .awaitingApproval
            }
            switch outcome {
            case .wrong: throw RPCError.wrongCode
            case .active: return AccountConfirm.Result(status: .active)
            case .awaitingApproval: return AccountConfirm.Result(status: .awaitingApproval)
            }
        }

        // MARK: The approval queue

        registry.register(AccountPending.self, by: self) { _, _ in
            try await database.read { tx in
                let rows = try PortalStore.registrations(tx, status: .awaitingApproval, limit: 500)
                var customers: [Int64: CustomerRecord] = [:]
                for row in rows where customers[row.customer] == nil {
                    customers[row.customer] = try AccountStore.customer(tx, id: row.customer)
                }
                return AccountPending.Result(items: rows.map { row in
                    Registration(
                        id: Int(row.id), customer: Int(row.customer), customerName: customers[row.customer]?.name ?? "",
                        email: row.email, name: row.name, language: row.language ?? customers[row.customer]?.language ?? .it,
                        createdAt: Instant(row.createdAt),
                        confirmedAt: Instant(row.confirmedAt ?? row.createdAt))
                })
            }
        }

        /// The registration awaiting approval, or -32003 / -32005.
        @Sendable func awaitingApproval(_ tx: StoreReader, _ id: Int) throws -> RegistrationRecord {
            guard let registration = try PortalStore.registration(tx, id: Int64(id)) else {
                throw RPCError.notFound(field: "params.registration", "no registration \(id) awaiting approval")
            }
            guard registration.status == .awaitingApproval else {
                throw RPCError(
                    code: RPCErrorCode.transitionNotAllowed, message: "Transition not allowed",
                    data: [
                        "field": "params.registration", "status": .string(registration.status.rawValue),
                        "reason": .string("the registration is not awaiting approval: it is \(registration.status.rawValue)"),
                    ])
            }
            return registration
        }

        registry.register(AccountApprove.self, by: self) { params, context in
            let principal = try context.requirePrincipal()
            // Fail fast before paying for a hash.
            _ = try await database.read { tx in try awaitingApproval(tx, params.registration) }
            var generator = SystemRandomNumberGenerator()
            let password = PasswordPolicy.generate(using: &generator)
            let passwordHash = try await PasswordHasher.standard.hashAsync(password)
            let now = clock()
            return try await database.write { tx in
                var registration = try awaitingApproval(tx, params.registration)
                guard let customer = try AccountStore.customer(tx, id: registration.customer) else {
                    throw RPCError.notFound(field: "params.registration", "no registration \(params.registration) awaiting approval")
                }
                registration.decidedAt = StoreTime.rounded(now)
                registration.decidedBy = principal.staffID
                let contact = try Self.activate(
                    tx, registration: &registration, customer: customer, password: password, passwordHash: passwordHash, now: now)
                try context.audit(tx, "account.approve", object: "registration", id: registration.id, customer: customer.id, at: now)
                return AccountApprove.Result(registration: params.registration, contact: Int(contact.id))
            }
        }

        registry.register(AccountReject.self, by: self) { params, context in
            let principal = try context.requirePrincipal()
            let reason = params.reason?.trimmingCharacters(in: .whitespacesAndNewlines)
            if let reason, reason.count > WizardPolicy.maximumReasonLength {
                throw RPCError.invalidParams(
                    field: "params.reason", reason: "must be at most \(WizardPolicy.maximumReasonLength) characters")
            }
            let now = clock()
            return try await database.write { tx in
                var registration = try awaitingApproval(tx, params.registration)
                registration.status = .rejected
                registration.decidedAt = StoreTime.rounded(now)
                registration.decidedBy = principal.staffID
                registration.reason = reason.flatMap { $0.isEmpty ? nil : $0 }
                try PortalStore.updateRegistration(tx, registration)
                try context.audit(
                    tx, "account.reject", object: "registration", id: registration.id, customer: registration.customer, at: now)
                if let customer = try AccountStore.customer(tx, id: registration.customer) {
                    try Self.enqueueAccountNotification(
                        tx, .accountRejected, registration: registration, customer: customer, reason: registration.reason,
                        now: now)
                }
                return AccountReject.Result(registration: params.registration)
            }
        }

        // MARK: Passwords

        registry.register(AccountChangePassword.self, by: self) { params, context in
            let principal = try context.requirePrincipal()
            switch principal {
            case .staff, .contact: return try await changePassword(params, principal: principal, context: context)
            case .system: throw RPCError.domainRule(field: "params.current", "the system has no password: log in as a person")
            }
        }
    }

    private func changePassword(
        _ params: AccountChangePassword.Params, principal: Principal, context: CallContext
    ) async throws -> AccountChangePassword.Result {
        let kind = principal.sessionKind
        let id = principal.subjectID
        guard let account = try await environment.database.read({ tx in try PortalStore.account(tx, kind: kind, id: id) })
        else { throw RPCError.notFound(field: "params.current", "no account \(kind.rawValue) \(id)") }
        if params.new == params.current {
            throw RPCError.invalidParams(field: "params.new", reason: "must differ from the current password")
        }
        if let violation = PasswordPolicy.violation(params.new, email: account.email, name: account.name) {
            throw RPCError.invalidParams(field: "params.new", reason: violation)
        }
        let acceptable = params.current.utf8.count <= PasswordHasher.maximumLength
        let matches = await PasswordHasher.verifyAsync(
            acceptable ? params.current : "", against: account.passwordHash ?? PasswordHasher.dummyHash)
        guard matches, acceptable, account.passwordHash != nil else {
            throw RPCError.domainRule(field: "params.current", "not the current password")
        }
        let newHash = try await PasswordHasher.standard.hashAsync(params.new)
        let keeping = context.sessionTokenHash
        let now = environment.now()
        let ended = try await environment.database.write { tx in
            try context.audit(tx, "account.changePassword", object: kind.rawValue, id: id, customer: principal.customerID, at: now)
            return try PortalStore.changePassword(tx, kind: kind, id: id, passwordHash: newHash, keeping: keeping)
        }
        return AccountChangePassword.Result(otherSessionsEnded: ended)
    }
}

extension Principal {
    /// A contact's company; nil for staff and the system.
    var customerID: Int64? {
        if case .contact(_, let customer) = self { return customer }
        return nil
    }
}

/// A customer named in the wizard: by code or by partita IVA.
enum CustomerReference: Equatable {
    case code(String)
    /// Normalised: `IT` + 11 digits.
    case vatNumber(String)
}

enum PortalValidation {
    /// `text` as a customer reference: 11 digits, or `IT` and 11 digits (spaces ignored), are a
    /// partita IVA whose check digit must match; anything else of digits after an optional `IT`
    /// is a malformed one; the rest must be a customer code. -32602 naming params.customer.
    static func customerReference(_ text: String) throws(RPCError) -> CustomerReference {
        let compact = String(text.uppercased().unicodeScalars.filter { $0 != " " })
        let digits = compact.hasPrefix("IT") ? String(compact.dropFirst(2)) : compact
        if !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            guard digits.utf8.count == 11 else {
                throw RPCError.invalidParams(
                    field: "params.customer", reason: "an Italian VAT number (partita IVA) is 11 digits, optionally after IT")
            }
            guard AccountValidation.partitaIVAIsValid(digits.utf8.map { Int($0 - 0x30) }) else {
                throw RPCError.invalidParams(field: "params.customer", reason: "not a valid partita IVA: the check digit does not match")
            }
            return .vatNumber("IT" + digits)
        }
        let code = text.trimmingCharacters(in: .whitespaces)
        let allowed = code.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        guard (1...32).contains(code.utf8.count), allowed else {
            throw RPCError.invalidParams(
                field: "params.customer", reason: "must be a customer code or an Italian VAT number (partita IVA)")
        }
        return .code(code)
    }
}

// MARK: Password reset and sessions

extension RPCError {
    static let wrongResetCode = RPCError(
        code: RPCErrorCode.domainRule, message: "Rejected by a domain rule",
        data: ["field": "params.code", "reason": "wrong or expired code, or no reset waiting for one: ask for a new one"])
}

extension SportelloService {
    /// A session's public id: the first 16 hex digits of its token's SHA-256 (64 bits: enough to
    /// name one among an account's sessions; the token cannot be derived from it).
    static func publicID(_ session: SessionRecord) -> String { String(session.tokenHash.prefix(16)) }

    func registerResetAndSessionMethods(into registry: inout MethodRegistry<CallContext>) {
        let database = environment.database
        let clock = environment.now

        /// account.disable and account.enable: care managers for contacts, admins for anyone.
        @Sendable func setActive(_ account: AccountRef, active: Bool, context: CallContext) async throws -> (Int, Int) {
            let principal = try context.requirePrincipal()
            let kind: SessionRecord.Kind = account.kind == .staff ? .staff : .contact
            let id = Int64(account.id)
            if kind == .staff, case .staff(_, let role) = principal, role != .admin {
                throw RPCError.forbidden("only admins may disable or enable staff accounts")
            }
            if !active, kind == principal.sessionKind, id == principal.subjectID, case .staff = principal {
                throw RPCError.domainRule(field: "params.account", "you cannot disable your own account")
            }
            return try await database.write { tx in
                guard try PortalStore.isActive(tx, kind: kind, id: id) != nil else {
                    throw RPCError.notFound(field: "params.account", "no \(kind.rawValue) \(id)")
                }
                try PortalStore.setActive(tx, kind: kind, id: id, active: active)
                let customer = kind == .contact ? try AccountStore.contact(tx, id: id)?.customer : nil
                try context.audit(
                    tx, active ? "account.enable" : "account.disable", object: kind.rawValue, id: id, customer: customer, at: clock())
                let ended = active ? 0 : try PortalStore.deleteSessions(tx, kind: kind, subject: id)
                return (account.id, ended)
            }
        }

        registry.register(AccountDisable.self, by: self) { params, context in
            let (_, ended) = try await setActive(params.account, active: false, context: context)
            return AccountDisable.Result(account: params.account, active: false, sessionsEnded: ended)
        }

        registry.register(AccountEnable.self, by: self) { params, context in
            _ = try await setActive(params.account, active: true, context: context)
            return AccountEnable.Result(account: params.account, active: true, sessionsEnded: 0)
        }

        registry.register(AuditList.self, by: self) { params, context in
            let limit = try AccountValidation.limit(params.limit)
            if let from = params.from, let to = params.to, to.date <= from.date {
                throw RPCError.invalidParams(field: "params.to", reason: "must be after params.from")
            }
            var customerID: Int64?
            if let reference = params.customer {
                customerID = try await database.read { tx in try reference.resolve(tx).id }
            }
            let actorKind = params.actor?.kind.rawValue
            let actorID = params.actor?.id.map(Int64.init)
            let cursor = ListCursor(
                key: database.cursorKey, list: AuditList.name, caller: try context.requirePrincipal(),
                filters: [
                    ("ticket", params.ticket.map { .int(Int64($0)) } ?? .null), ("customer", customerID.map { .int($0) } ?? .null),
                    ("actorKind", actorKind.map { .string($0) } ?? .null), ("actorID", actorID.map { .int($0) } ?? .null),
                    ("action", params.action.map { .string($0) } ?? .null),
                    ("from", params.from.map { .string(StoreTime.text($0.date)) } ?? .null),
                    ("to", params.to.map { .string(StoreTime.text($0.date)) } ?? .null),
                ])
            let before = try params.cursor.map { try cursor.decode($0) }
            let customer = customerID
            let rows = try await database.read { tx in
                try PortalStore.auditEvents(
                    tx, ticket: params.ticket.map(Int64.init), customer: customer, actorKind: actorKind, actorID: actorID,
                    action: params.action, from: params.from?.date, to: params.to?.date, before: before, limit: limit + 1)
            }
            let page = Array(rows.prefix(limit))
            return AuditList.Result(
                items: try page.map { row in
                    guard let at = StoreTime.date(row.at) else {
                        throw RPCError.internalError("audit event \(row.id) has an unreadable time")
                    }
                    return AuditList.Result.Item(
                        at: Instant(at), actor: .init(kind: row.actorKind, id: row.actorID.map(Int.init)), action: row.action,
                        object: .init(kind: row.objectKind, id: row.objectID.map(Int.init)),
                        changes: try row.changes.flatMap { text in
                            text == "{}" ? nil : try JSONParser.parse(Array(text.utf8))
                        },
                        transport: row.transport)
                },
                nextCursor: rows.count > limit ? page.last.map { cursor.encode($0.id) } : nil)
        }

        registry.register(AccountEnableTotp.self, by: self) { _, context in
            guard case .staff(let id, _) = try context.requirePrincipal() else {
                throw RPCError.domainRule(field: "params", "the system has no two-factor login: log in as a staff member")
            }
            var generator = SystemRandomNumberGenerator()
            let secret = (0..<TOTP.secretLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let email = try await database.write { tx -> String in
                guard let staff = try AccountStore.staff(tx, id: id) else {
                    throw RPCError.notFound(field: "params", "no staff account \(id)")
                }
                try PortalStore.setTotpPending(tx, staff: id, secret: Base32.encode(secret))
                return staff.email
            }
            return AccountEnableTotp.Result(secret: Base32.encode(secret), otpauthURI: TOTP.uri(secret: secret, account: email))
        }

        registry.register(AccountConfirmTotp.self, by: self) { params, context in
            guard case .staff(let id, _) = try context.requirePrincipal() else {
                throw RPCError.domainRule(field: "params", "the system has no two-factor login: log in as a staff member")
            }
            guard params.code.count == TOTP.digits, params.code.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw RPCError.invalidParams(field: "params.code", reason: "must be the 6 digits the authenticator app shows")
            }
            let now = clock()
            try await database.write { tx in
                let state = try PortalStore.totp(tx, staff: id)
                guard let pending = state.pending.flatMap(Base32.decode) else {
                    throw RPCError.domainRule(field: "params.code", "no two-factor setup in progress: call account.enableTotp first")
                }
                guard let step = TOTP.verify(params.code, secret: pending, at: now, lastUsedStep: state.lastStep) else {
                    throw RPCError.domainRule(field: "params.code", "wrong or already used code")
                }
                try PortalStore.activateTotp(tx, staff: id, step: step)
                try context.audit(tx, "account.confirmTotp", object: "staff", id: id, customer: nil, at: now)
            }
            return AccountConfirmTotp.Result()
        }

        registry.register(AccountRequestPasswordReset.self, by: self) { params, context in
            try admitWizardCall(context)
            let email = try AccountValidation.email(params.email, field: "params.email")
            let now = clock()
            let expiresAt = StoreTime.rounded(now.addingTimeInterval(ConfirmationCode.validity))
            var generator = SystemRandomNumberGenerator()
            let code = ConfirmationCode.make(using: &generator)
            let hash = codeHash(email: email, code: code, purpose: "password-reset")
            try await database.write { tx in
                let since = now.addingTimeInterval(-WizardPolicy.emailWindow)
                let calls = try PortalStore.countAttempt(
                    tx, key: "reset:" + email.lowercased(), at: now, since: since, forgetBefore: since)
                let previous = Array(calls.dropLast())
                if previous.count >= WizardPolicy.registrationsPerEmail {
                    throw RPCError.rateLimited(
                        until: WizardPolicy.retryAfter(
                            previous: previous, limit: WizardPolicy.registrationsPerEmail, window: WizardPolicy.emailWindow),
                        "too many reset requests for this email; try again later")
                }
                guard let credential = try AccountStore.credential(tx, email: email), credential.passwordHash != nil,
                    !credential.disabled
                else { return }
                let kind: SessionRecord.Kind
                let subject: Int64
                let name: String
                let address: String
                let language: Language
                let customerName: String
                switch credential.account {
                case .staff(let staff):
                    guard staff.active else { return }
                    (kind, subject, name, address, language, customerName) = (.staff, staff.id, staff.name, staff.email, .it, "Interzen")
                case .contact(let contact):
                    let customer = try AccountStore.customer(tx, id: contact.customer)
                    (kind, subject, name, address) = (.contact, contact.id, contact.name, contact.email)
                    language = contact.language ?? customer?.language ?? .it
                    customerName = customer?.name ?? ""
                }
                try PortalStore.insertReset(
                    tx, kind: kind, subject: subject, email: address, codeHash: hash, expiresAt: expiresAt, now: now)
                let text = NotificationTemplates.renderAccount(
                    .passwordReset, language: language,
                    context: AccountNotificationContext(name: name, email: address, customerName: customerName, code: code))
                try TicketStore.enqueue(
                    tx, ticket: nil, kind: NotificationKind.passwordReset.rawValue, language: language, recipient: address,
                    subject: text.subject, body: text.body, at: now)
            }
            return AccountRequestPasswordReset.Result(expiresAt: Instant(expiresAt))
        }

        registry.register(AccountResetPassword.self, by: self) { params, context in
            try admitWizardCall(context)
            let email = try AccountValidation.email(params.email, field: "params.email")
            guard let code = ConfirmationCode.normalized(params.code) else {
                throw RPCError.invalidParams(field: "params.code", reason: "must be the 8 characters of the code sent by email")
            }
            let hash = codeHash(email: email, code: code, purpose: "password-reset")
            let now = clock()
            @Sendable func matches(_ reset: PortalStore.PendingReset) -> Bool {
                reset.expiresAt > now && reset.attempts < ConfirmationCode.attemptLimit
                    && Hashes.isEqualInConstantTime(Array(reset.codeHash.utf8), Array(hash.utf8))
            }
            // 1. The code, checked (a wrong one counted) before any hashing.
            let found = try await database.write { tx -> (PortalStore.PendingReset, String, String, String?)? in
                guard let reset = try PortalStore.pendingReset(tx, email: email) else { return nil }
                guard matches(reset) else {
                    if reset.expiresAt > now {
                        try PortalStore.countWrongResetCode(tx, id: reset.id, limit: ConfirmationCode.attemptLimit)
                    }
                    return nil
                }
                guard let account = try PortalStore.account(tx, kind: reset.kind, id: reset.subject) else { return nil }
                return (reset, account.email, account.name, account.passwordHash)
            }
            guard let (reset, address, name, oldHash) = found else { throw RPCError.wrongResetCode }
            // 2. The new password: the policy, then not the current one.
            if let violation = PasswordPolicy.violation(params.newPassword, email: address, name: name) {
                throw RPCError.invalidParams(field: "params.newPassword", reason: violation)
            }
            if let oldHash, await PasswordHasher.verifyAsync(params.newPassword, against: oldHash) {
                throw RPCError.invalidParams(field: "params.newPassword", reason: "must differ from the current password")
            }
            let newHash = try await PasswordHasher.standard.hashAsync(params.newPassword)
            // 3. Use the code (once: a concurrent reset may have used it) and end every session.
            let ended = try await database.write { tx -> Int? in
                guard let current = try PortalStore.pendingReset(tx, email: email), current.id == reset.id, matches(current) else {
                    return nil
                }
                try PortalStore.useReset(tx, id: reset.id)
                try PortalStore.setPassword(tx, kind: reset.kind, id: reset.subject, passwordHash: newHash)
                let customer = reset.kind == .contact ? try AccountStore.contact(tx, id: reset.subject)?.customer : nil
                try context.audit(tx, "account.resetPassword", object: reset.kind.rawValue, id: reset.subject, customer: customer, at: now)
                return try PortalStore.deleteSessions(tx, kind: reset.kind, subject: reset.subject)
            }
            guard let ended else { throw RPCError.wrongResetCode }
            return AccountResetPassword.Result(sessionsEnded: ended)
        }

        registry.register(SessionList.self, by: self) { params, context in
            let principal = try context.requirePrincipal()
            let named: (SessionRecord.Kind, Int64)?
            switch (params.staff, params.contact) {
            case (nil, nil): named = nil
            case (let staff?, nil): named = (.staff, Int64(staff))
            case (nil, let contact?): named = (.contact, Int64(contact))
            case (_?, _?):
                throw RPCError.invalidParams(field: "params.contact", reason: "name either staff or contact, not both")
            }
            let subject: (SessionRecord.Kind, Int64)?
            if let named {
                switch principal {
                case .system, .staff(_, .admin): subject = named
                default: throw RPCError.forbidden("only admins may list another account's sessions")
                }
            } else {
                switch principal {
                case .system: subject = nil
                case .staff, .contact: subject = (principal.sessionKind, principal.subjectID)
                }
            }
            guard let (kind, id) = subject else { return SessionList.Result(items: []) }
            let now = clock()
            let mine = context.sessionTokenHash
            let rows = try await database.read { tx in try PortalStore.sessions(tx, kind: kind, subject: id, now: now) }
            return SessionList.Result(items: rows.map { row in
                SessionList.Result.Item(
                    id: Self.publicID(row), createdAt: Instant(row.createdAt), lastUsedAt: Instant(row.lastSeenAt),
                    expiresAt: Instant(row.expiresAt),
                    transport: row.transport.flatMap(SessionList.Result.Item.Transport.init(rawValue:)) ?? .unknown,
                    current: row.tokenHash == mine)
            })
        }

        registry.register(SessionRevoke.self, by: self) { params, context in
            let principal = try context.requirePrincipal()
            let id = params.session.lowercased()
            guard id.count == 16, id.allSatisfy({ $0.isHexDigit }) else {
                throw RPCError.invalidParams(field: "params.session", reason: "must be a session id from session.list (16 hex digits)")
            }
            let now = clock()
            let revoked = try await database.write { tx -> Bool in
                guard let session = try PortalStore.session(tx, idPrefix: id, now: now) else { return false }
                switch principal {
                case .system, .staff(_, .admin): break
                case .staff, .contact:
                    guard session.kind == principal.sessionKind, session.subject == principal.subjectID else { return false }
                }
                return try AccountStore.deleteSession(tx, tokenHash: session.tokenHash)
            }
            guard revoked else { throw RPCError.notFound(field: "params.session", "no live session \(id) of yours") }
            if let mine = context.sessionTokenHash, mine.hasPrefix(id) { context.unbind() }
            return SessionRevoke.Result(session: id)
        }
    }
}
