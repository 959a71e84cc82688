import Foundation

import JSONRPC
import SportelloDomain
import SportelloStore

// session.login, session.resume, session.logout and session.whoami are declared by
// schema/sportello.openrpc.json; their types (SessionLogin, …, SessionWhoami, and the shared
// Session, whose principal is a Caller) are generated at build time. All four are for anyone:
// logging in is how a connection stops being anonymous, and whoami answers the anonymous too.

// MARK: Policy

/// Sessions and the login throttle.
///
/// - A session token is 32 random bytes, base64url (43 characters), returned once by
///   `session.login`; the database keeps only its SHA-256 (hex).
/// - A session expires after `idleTimeout` without use. `session.login` and `session.resume`
///   start the idle time again; so does any call through a connection bound to the session
///   (`checkSession`), at most once per `slideInterval` to spare the writes.
/// - Ten failed logins for one email (known or not, ASCII case ignored) within 15 minutes lock
///   that email for 15 minutes from the tenth failure: every login for it, even with the right
///   password, is -32007 until then. Refused attempts during the lock are not counted, so the
///   lock does not extend itself. An attempt is recorded as a failure before its password is
///   checked and the record removed when it proves right, so concurrent guesses cannot
///   overrun the limit.
enum SessionPolicy {
    static let idleTimeout: TimeInterval = 12 * 3600
    static let slideInterval: TimeInterval = 60
    static let failureLimit = 10
    static let failureWindow: TimeInterval = 15 * 60
    static let lockDuration: TimeInterval = 15 * 60
    /// How long a failure matters: a lock may start at a failure up to `lockDuration` ago, and
    /// the window that started it reaches `failureWindow` further back.
    static let failureRetention = failureWindow + lockDuration

    /// When the lock on an email ends, if it is locked at `now`; `failures` oldest first, at
    /// least the last `failureWindow + lockDuration` of them.
    static func lockedUntil(failures: [Date], now: Date) -> Date? {
        guard failures.count >= failureLimit else { return nil }
        var until: Date?
        for last in (failureLimit - 1)..<failures.count {
            let first = failures[last - (failureLimit - 1)]
            if failures[last].timeIntervalSince(first) < failureWindow {
                let end = failures[last].addingTimeInterval(lockDuration)
                if end > now, until.map({ end > $0 }) ?? true { until = end }
            }
        }
        return until
    }

    /// The login key of an email: trimmed and lower-cased, so that the throttle counts
    /// `Ada@X.it` and `ada@x.it` together.
    static func loginKey(_ email: String) -> String {
        email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// A fresh token: 32 bytes from the system's secure generator, base64url without padding.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    static func tokenHash(_ token: String) -> String { Hashes.sha256Hex(token) }

    /// The restriction of a session whose account must change its system-generated password.
    static let passwordChangeRestriction = "passwordChange"
    /// The restriction of an admin's session while the admin has no two-factor login.
    static let totpSetupRestriction = "totpSetup"
}

extension RPCError {
    /// A failed login: the same error whatever failed (unknown email, wrong or no password,
    /// inactive account), so that the answer does not tell whether the email exists.
    static let loginFailed = RPCError(
        code: RPCErrorCode.notAuthenticated, message: "Not authenticated",
        data: ["reason": "unknown email or wrong password"])

    static let sessionInvalid = RPCError(
        code: RPCErrorCode.notAuthenticated, message: "Not authenticated",
        data: ["reason": "unknown or expired session; log in again"])

    /// The password was right; the account has two-factor login and no code was given.
    static let totpRequired = RPCError(
        code: RPCErrorCode.notAuthenticated, message: "Not authenticated",
        data: ["reason": "totpRequired", "detail": "give the 6-digit code of your authenticator app as totp"])

    static let totpWrong = RPCError(
        code: RPCErrorCode.notAuthenticated, message: "Not authenticated",
        data: ["reason": "wrong or already used two-factor code"])

    static func loginLocked(until: Date) -> RPCError {
        RPCError(
            code: RPCErrorCode.rateLimited, message: "Rate limited",
            data: ["reason": "too many failed logins for this email; try again later", "retryAfter": instant(until)])
    }
}

// MARK: Handlers

extension SportelloService {
    /// For a connection bound to a session (by `session.login` or `session.resume`): checks that
    /// the session still exists and has not expired, and slides its expiry. A dead session
    /// unbinds the connection (back to its initial principal) and answers -32001. Connections
    /// not bound to a session (the system, anonymous) pass without a database read.
    ///
    /// Every method that looks at `context.principal` is registered behind `admission(_:)`,
    /// which calls this before the params are decoded.
    @discardableResult
    func checkSession(_ context: CallContext) async throws(RPCError) -> SessionRecord? {
        do {
            return try await liveSession(context, orThrow: true)
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError.internalError("could not check the session: \(error)")
        }
    }

    /// The session `context` is bound to, alive and slid; nil when the connection is not bound.
    /// A dead one unbinds the connection and, with `orThrow`, throws -32001 (else returns nil).
    private func liveSession(_ context: CallContext, orThrow: Bool) async throws -> SessionRecord? {
        guard let hash = context.sessionTokenHash else { return nil }
        let now = environment.now()
        var session = try await environment.database.read { tx in try AccountStore.session(tx, tokenHash: hash) }
        if let current = session, current.expiresAt > now {
            if now.timeIntervalSince(current.lastSeenAt) >= SessionPolicy.slideInterval {
                let expiresAt = StoreTime.rounded(now.addingTimeInterval(SessionPolicy.idleTimeout))
                try await environment.database.write { tx in
                    try AccountStore.touchSession(tx, tokenHash: hash, now: now, expiresAt: expiresAt)
                }
                session?.lastSeenAt = now
                session?.expiresAt = expiresAt
            }
            return session
        }
        // Expired, or deleted by a logout elsewhere: forget it here too (unless another call on
        // this connection has meanwhile bound it to another session).
        if session != nil {
            try await environment.database.write { tx in _ = try AccountStore.deleteSession(tx, tokenHash: hash) }
        }
        if context.sessionTokenHash == hash { context.unbind() }
        if orThrow { throw RPCError.sessionInvalid }
        return nil
    }

    func registerSessionMethods(into registry: inout MethodRegistry<CallContext>) {
        let clock = environment.now

        registry.register(SessionLogin.self, by: self) { params, context in
            let key = SessionPolicy.loginKey(params.email)
            // 1. Count the attempt (provisionally a failure) unless the email is locked.
            let now = clock()
            enum Gate { case locked(Date), open(reservation: Int64, credential: Credential?) }
            let since = now.addingTimeInterval(-SessionPolicy.failureRetention)
            let gate = try await environment.database.write { tx -> Gate in
                try AccountStore.pruneLoginFailures(tx, before: since)
                let recent = try AccountStore.loginFailures(tx, email: key, since: since)
                if let until = SessionPolicy.lockedUntil(failures: recent, now: now) { return .locked(until) }
                let reservation = try AccountStore.insertLoginFailure(tx, email: key, at: now)
                // The lookup ignores ASCII case only (COLLATE NOCASE), so it uses the email as typed.
                let email = params.email.trimmingCharacters(in: .whitespacesAndNewlines)
                return .open(reservation: reservation, credential: try AccountStore.credential(tx, email: email))
            }
            let reservation: Int64
            let credential: Credential?
            switch gate {
            case .locked(let until): throw RPCError.loginLocked(until: until)
            case .open(let row, let found): (reservation, credential) = (row, found)
            }
            // 2. Always one argon2 verification, against the dummy hash when there is nothing
            //    to check, so that every failure costs the same time.
            let storedHash = credential?.passwordHash
            let acceptable = params.password.utf8.count <= PasswordHasher.maximumLength
            let matches = await PasswordHasher.verifyAsync(
                acceptable ? params.password : "", against: storedHash ?? PasswordHasher.dummyHash)
            guard matches, acceptable, storedHash != nil, let credential else { throw RPCError.loginFailed }
            let principal: Principal
            switch credential.account {
            case .staff(let staff):
                guard staff.active else { throw RPCError.loginFailed }
                principal = .staff(id: staff.id, role: staff.role)
            case .contact(let contact):
                guard !credential.disabled else { throw RPCError.loginFailed }
                principal = .contact(id: contact.id, customer: contact.customer)
            }
            // 3. A right password: withdraw the provisional failure, open the session.
            let token = SessionPolicy.newToken()
            let hash = SessionPolicy.tokenHash(token)
            let opened = clock()
            let expiresAt = StoreTime.rounded(opened.addingTimeInterval(SessionPolicy.idleTimeout))
            // 3b. Staff with two-factor login give the code of the moment (once); an admin without
            //     it gets a session that may only set it up. A missing or wrong code leaves the
            //     provisional failure counted (the transaction is rolled back).
            let restriction = try await environment.database.write { tx -> String? in
                var restriction: String? = credential.mustChangePassword ? SessionPolicy.passwordChangeRestriction : nil
                if case .staff(let id, let role) = principal {
                    let state = try PortalStore.totp(tx, staff: id)
                    if let secret = state.secret.flatMap(Base32.decode) {
                        guard let code = params.totp else { throw RPCError.totpRequired }
                        guard let step = TOTP.verify(code, secret: secret, at: opened, lastUsedStep: state.lastStep),
                            try PortalStore.useTotpStep(tx, staff: id, step: step)
                        else { throw RPCError.totpWrong }
                    } else if role == .admin, restriction == nil {
                        restriction = SessionPolicy.totpSetupRestriction
                    }
                }
                try AccountStore.deleteLoginFailure(tx, rowID: reservation)
                try AccountStore.deleteExpiredSessions(tx, now: opened)
                try AccountStore.insertSession(
                    tx, tokenHash: hash, kind: principal.sessionKind, subject: principal.subjectID, now: opened,
                    expiresAt: expiresAt, restriction: restriction, transport: context.transport.rawValue)
                return restriction
            }
            context.bind(principal, sessionTokenHash: hash)
            return Session(
                token: token, expiresAt: Instant(expiresAt), principal: Caller(principal),
                mustChangePassword: restriction == SessionPolicy.passwordChangeRestriction ? true : nil,
                totpSetupRequired: restriction == SessionPolicy.totpSetupRestriction ? true : nil)
        }

        registry.register(SessionResume.self, by: self) { params, context in
            let hash = SessionPolicy.tokenHash(params.token)
            let now = clock()
            let expiresAt = StoreTime.rounded(now.addingTimeInterval(SessionPolicy.idleTimeout))
            let resumed = try await environment.database.write { tx -> (Principal, String?)? in
                guard let session = try AccountStore.session(tx, tokenHash: hash) else { return nil }
                let principal: Principal?
                switch session.kind {
                case .staff:
                    principal = try AccountStore.staff(tx, id: session.subject)
                        .flatMap { $0.active ? .staff(id: $0.id, role: $0.role) : nil }
                case .contact:
                    principal = try PortalStore.isActive(tx, kind: .contact, id: session.subject) == true
                        ? try AccountStore.contact(tx, id: session.subject).map { .contact(id: $0.id, customer: $0.customer) } : nil
                }
                guard session.expiresAt > now, let principal else {
                    try AccountStore.deleteSession(tx, tokenHash: hash)
                    return nil
                }
                try AccountStore.touchSession(tx, tokenHash: hash, now: now, expiresAt: expiresAt)
                return (principal, session.restriction)
            }
            guard let (principal, restriction) = resumed else { throw RPCError.sessionInvalid }
            context.bind(principal, sessionTokenHash: hash)
            return Session(
                token: params.token, expiresAt: Instant(expiresAt), principal: Caller(principal),
                mustChangePassword: restriction == SessionPolicy.passwordChangeRestriction ? true : nil,
                totpSetupRequired: restriction == SessionPolicy.totpSetupRestriction ? true : nil)
        }

        registry.register(SessionLogout.self, by: self) { _, context in
            if let hash = context.sessionTokenHash {
                try await environment.database.write { tx in _ = try AccountStore.deleteSession(tx, tokenHash: hash) }
                if context.sessionTokenHash == hash { context.unbind() }
            }
            return SessionLogout.Result()
        }

        registry.register(SessionWhoami.self, by: self) { _, context in
            let session = try await liveSession(context, orThrow: false)
            return SessionWhoami.Result(principal: Caller(context.principal), expiresAt: session.map { Instant($0.expiresAt) })
        }
    }
}

extension Principal {
    var sessionKind: SessionRecord.Kind {
        if case .contact = self { return .contact }
        return .staff
    }

    var subjectID: Int64 {
        switch self {
        case .staff(let id, _), .contact(let id, _): id
        case .system: 0
        }
    }
}
