import Foundation
import GRDB
import JSONRPC
import Logging
@testable import SportelloService
import SportelloDomain
import SportelloStore
import Synchronization
import Testing

// Accounts, sessions and who may do what, through the real dispatcher against a temporary
// SQLite file. argon2id at 19 MiB costs tens of milliseconds a hash, so the suite hashes
// sparingly (about twenty hashes and verifications in all).

/// A clock the tests move by hand.
final class AccountTestClock: Sendable {
    private let current: Mutex<Date>
    init(_ start: Date) { current = Mutex(start) }
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// A service on a fresh database, with a movable clock, answering through its dispatcher.
struct AccountHarness {
    let service: SportelloService
    let dispatcher: RPCDispatcher<CallContext>
    let directory: String
    let clock: AccountTestClock
    var pool: DatabasePool { service.environment.database.pool }

    static let start = RFC3339.parse("2026-12-01T09:00:00Z")!

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sportello-accounts-\(UUID().uuidString)").path
        let database = try SportelloDatabase(path: directory + "/test.db")
        let clock = AccountTestClock(Self.start)
        self.clock = clock
        service = SportelloService(environment: ServiceEnvironment(
            database: database, now: { clock.now }, logger: Logger(label: "account-tests")))
        dispatcher = service.makeDispatcher()
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: directory) }

    /// The whole reply object of one call.
    func call(_ method: String, _ params: JSONValue = [:], as context: CallContext) async throws -> JSONValue {
        let request: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": .string(method), "params": params]
        let bytes = try #require(await dispatcher.handle(message: JSONSerializer.serialize(request), context: context))
        return try JSONParser.parse(bytes)
    }

    /// The result of a call that must succeed.
    @discardableResult
    func ok(
        _ method: String, _ params: JSONValue = [:], as context: CallContext, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JSONValue {
        let reply = try await call(method, params, as: context)
        return try #require(reply["result"], "\(method) failed: \(reply)", sourceLocation: sourceLocation)
    }

    /// The error object of a call that must fail with `code`.
    @discardableResult
    func fails(
        _ method: String, _ params: JSONValue = [:], as context: CallContext, code: Int,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JSONValue {
        let reply = try await call(method, params, as: context)
        let error = try #require(reply["error"], "\(method) succeeded: \(reply)", sourceLocation: sourceLocation)
        #expect(error["code"] == .int(Int64(code)), "\(method): \(error)", sourceLocation: sourceLocation)
        return error
    }
}

private let system = CallContext(transport: .socket, principal: .system)
private func anonymous() -> CallContext { CallContext(transport: .socket, principal: nil) }
private func context(_ principal: Principal) -> CallContext { CallContext(transport: .socket, principal: principal) }

extension JSONValue {
    fileprivate var int: Int64? {
        if case .int(let value) = self { return value }
        return nil
    }
    fileprivate var array: [JSONValue] {
        if case .array(let value) = self { return value }
        return []
    }
}

@Suite struct AccountTests {
    // MARK: Primitives

    @Test func tokenHashIsLowercaseHexSHA256() {
        // The FIPS 180-2 vectors, and 55, 56 and 64 bytes, which straddle the padding edge.
        // Stored sessions hold this form: it must not change.
        let hash = SessionPolicy.tokenHash
        #expect(hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(Hashes.sha256Hex(Array(repeating: UInt8(ascii: "a"), count: 1_000_000))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        #expect(hash(String(repeating: "a", count: 55)) == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")
        #expect(hash(String(repeating: "a", count: 56)) == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
        #expect(hash(String(repeating: "a", count: 64)) == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
    }

    @Test func storeTimeIsFixedWidthAndSortsLikeTime() throws {
        let instant = try #require(RFC3339.parse("2026-12-04T17:00:00Z"))
        #expect(StoreTime.text(instant) == "2026-12-04T17:00:00.000Z")
        #expect(StoreTime.text(instant.addingTimeInterval(0.5)) == "2026-12-04T17:00:00.500Z")
        #expect(StoreTime.text(Date(timeIntervalSince1970: -0.001)) == "1969-12-31T23:59:59.999Z")
        #expect(StoreTime.text(Date(timeIntervalSince1970: 0.0004)) == "1970-01-01T00:00:00.000Z")
        #expect(StoreTime.text(Date(timeIntervalSince1970: 59.9996)) == "1970-01-01T00:01:00.000Z")
        #expect(StoreTime.date("2026-12-04T17:00:00.500Z") == instant.addingTimeInterval(0.5))
        #expect(StoreTime.date("2026-12-04T17:00:00+01:00") == nil)
        var previous = ""
        for step in 0..<2000 {
            let text = StoreTime.text(instant.addingTimeInterval(Double(step) * 0.37))
            #expect(text > previous && text.utf8.count == 24)
            #expect(StoreTime.date(text) == StoreTime.rounded(instant.addingTimeInterval(Double(step) * 0.37)))
            previous = text
        }
    }

    @Test func argon2idHashesAndVerifiesWithTheStandardCost() async throws {
        let hasher = PasswordHasher.standard
        let started = ContinuousClock.now
        let hash = try hasher.hash("correct horse battery staple")
        let hashTime = ContinuousClock.now - started
        #expect(hash.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        #expect(try hasher.hash("correct horse battery staple") != hash, "a fresh salt each time")
        #expect(PasswordHasher.verify("correct horse battery staple", against: hash))
        #expect(await PasswordHasher.verifyAsync("correct horse battery stapl", against: hash) == false)
        #expect(PasswordHasher.verify("anything", against: "not a hash") == false)
        // The dummy hash costs what a real one does, so unknown emails take as long.
        #expect(PasswordHasher.dummyHash.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        let dummyStarted = ContinuousClock.now
        #expect(PasswordHasher.verify("correct horse battery staple", against: PasswordHasher.dummyHash) == false)
        let dummyTime = ContinuousClock.now - dummyStarted
        print("argon2id m=19 MiB t=2 p=1: hash \(hashTime), verify against the dummy \(dummyTime)")
        #expect(hashTime > .milliseconds(5) && dummyTime > .milliseconds(5))
    }

    @Test(arguments: ["00743110157", "IT00743110157", "it 0074311 0157", "12345678903", "IT02114310382"])
    func validPartiteIVA(vat: String) throws {
        #expect(try AccountValidation.vatNumber(vat).hasPrefix("IT"))
    }

    @Test(arguments: ["00743110158", "IT12345678900", "00000000000", "IT0074311015", "IT007431101577", "0074311015A"])
    func invalidPartiteIVA(vat: String) {
        #expect(throws: RPCError.self) { try AccountValidation.vatNumber(vat) }
    }

    @Test func foreignVATNumbersAreCheckedForShapeOnly() throws {
        #expect(try AccountValidation.vatNumber("de 123456789") == "DE123456789")
        #expect(try AccountValidation.vatNumber("FRXX999999999") == "FRXX999999999")
        #expect(throws: RPCError.self) { try AccountValidation.vatNumber("D1234") }
        #expect(throws: RPCError.self) { try AccountValidation.vatNumber("DE1") }
        #expect(throws: RPCError.self) { try AccountValidation.vatNumber("DE12345678901234") }
        #expect(throws: RPCError.self) { try AccountValidation.vatNumber("DE-123456") }
    }

    @Test func emailSyntax() throws {
        for good in ["ada@interzen.it", "a.b+tag@mail.example.com", "mario.rossi@città.it", " ada@x.io "] {
            #expect(throws: Never.self) { try AccountValidation.email(good, field: "params.email") }
        }
        for bad in ["", "ada", "ada@", "@x.it", "ada@x", "ada@@x.it", "a da@x.it", "ada@x..it", ".ada@x.it", "ada.@x.it",
                    "ada@-x.it", "ada@x.i", "ada@x.1t", "<ada@x.it>", String(repeating: "a", count: 65) + "@x.it"] {
            #expect(throws: RPCError.self, "\(bad)") { try AccountValidation.email(bad, field: "params.email") }
        }
    }

    @Test func loginLockFollowsTheTenthFailureForFifteenMinutes() {
        let t0 = AccountHarness.start
        func at(_ minutes: Double) -> Date { t0.addingTimeInterval(minutes * 60) }
        let ten = (0..<10).map { at(Double($0)) }  // 0 … 9 minutes
        #expect(SessionPolicy.lockedUntil(failures: Array(ten.prefix(9)), now: at(9)) == nil)
        #expect(SessionPolicy.lockedUntil(failures: ten, now: at(9)) == at(24))
        #expect(SessionPolicy.lockedUntil(failures: ten, now: at(23.9)) == at(24))
        #expect(SessionPolicy.lockedUntil(failures: ten, now: at(24)) == nil)
        // Ten failures spread over more than 15 minutes do not lock.
        let spread = (0..<10).map { at(Double($0) * 1.7) }  // 0 … 15.3 minutes
        #expect(SessionPolicy.lockedUntil(failures: spread, now: at(15.3)) == nil)
    }

    // MARK: Schema

    @Test func migrationCreatesTheAccountTablesTheTicketsReferTo() throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        #expect(try harness.service.environment.database.appliedMigrations().contains("v3-accounts"))
        let expected: [String: [String]] = [
            "customer": ["id", "code", "name", "vatNumber", "language", "email", "createdAt"],
            "subscription": ["id", "customer", "product", "mode", "from", "to", "createdAt"],
            "contact": ["id", "customer", "name", "email", "language", "passwordHash", "createdAt", "mustChangePassword", "active"],
            "staff": [
                "id", "name", "email", "role", "passwordHash", "active", "createdAt", "language", "mustChangePassword", "totpSecret",
                "totpPending", "totpLastStep",
            ],
            "auth_session": ["tokenHash", "kind", "subject", "createdAt", "lastSeenAt", "expiresAt", "restriction", "transport"],
            "login_failure": ["email", "at"],
        ]
        let (columns, indexes) = try harness.pool.read { db in
            (try expected.keys.map { ($0, try db.columns(in: $0).map(\.name)) }, try db.indexes(on: "login_failure").map(\.columns))
        }
        for (table, names) in columns { #expect(names == expected[table], "\(table)") }
        #expect(indexes.contains(["email", "at"]))
        // The CHECK constraints hold even for writes that bypass the service.
        try harness.pool.write { db in
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO customer(code, name, language, createdAt) VALUES ('X', 'X', 'de', 'now')")
            }
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO staff(name, email, role, createdAt) VALUES ('X', 'x@x.it', 'boss', 'now')")
            }
        }
    }

    // MARK: Customers

    @Test func customerCreateGetAndValidation() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        let created = try await harness.ok("customer.create", [
            "code": "ACME", "name": "Acme S.p.A.", "vatNumber": "00743110157", "language": "it", "email": "it@acme.example",
        ], as: system)
        #expect(created == [
            "id": 1, "code": "ACME", "name": "Acme S.p.A.", "vatNumber": "IT00743110157", "language": "it",
            "email": "it@acme.example", "createdAt": "2026-12-01T09:00:00Z", "subscriptions": [],
        ])
        #expect(try await harness.ok("customer.get", ["customer": 1], as: system) == created)
        #expect(try await harness.ok("customer.get", ["customer": "acme"], as: system) == created)
        let minimal = try await harness.ok("customer.create", ["code": "b.2_c-3", "name": "Beta", "language": "en"], as: system)
        #expect(minimal["vatNumber"] == .null && minimal["email"] == .null && minimal["id"] == 2)

        @discardableResult func invalid(_ params: JSONValue, field: String) async throws -> JSONValue {
            let error = try await harness.fails("customer.create", params, as: system, code: -32602)
            #expect(error["data"]?["field"] == .string(field), "\(params)")
            return error
        }
        let language = try await invalid(["code": "X", "name": "X", "language": "de"], field: "params.language")
        #expect(language["data"]?["allowed"] == ["it", "en"])
        try await invalid(["code": "", "name": "X", "language": "it"], field: "params.code")
        try await invalid(["code": "a b", "name": "X", "language": "it"], field: "params.code")
        try await invalid(["code": .string(String(repeating: "x", count: 33)), "name": "X", "language": "it"], field: "params.code")
        try await invalid(["code": "X", "name": "   ", "language": "it"], field: "params.name")
        try await invalid(["code": "X", "name": .string(String(repeating: "é", count: 201)), "language": "it"], field: "params.name")
        try await invalid(["code": "X", "name": "X", "language": "it", "vatNumber": "IT00743110158"], field: "params.vatNumber")
        try await invalid(["code": "X", "name": "X", "language": "it", "email": "nope"], field: "params.email")
        try await invalid(["code": "X", "name": "X", "language": "it", "colour": "red"], field: "params.colour")
        try await invalid(["name": "X", "language": "it"], field: "params.code")
        try await invalid(["code": 7, "name": "X", "language": "it"], field: "params.code")

        // Duplicates, whatever the case or the VAT number's form.
        let code = try await harness.fails("customer.create", ["code": "acme", "name": "Other", "language": "it"], as: system, code: -32006)
        #expect(code["data"]?["field"] == "params.code")
        let vat = try await harness.fails(
            "customer.create", ["code": "OTHER", "name": "Other", "language": "it", "vatNumber": "IT 00743110157"], as: system,
            code: -32006)
        #expect(vat["data"]?["field"] == "params.vatNumber")

        try await harness.fails("customer.get", ["customer": 99], as: system, code: -32003)
        try await harness.fails("customer.get", ["customer": "NOPE"], as: system, code: -32003)
        let ref = try await harness.fails("customer.get", ["customer": 1.5], as: system, code: -32602)
        #expect(ref["data"]?["field"] == "params.customer")
        #expect(try await harness.ok("customer.list", [:], as: system)["items"]?.array.count == 2, "the failures created nothing")
    }

    @Test func listPagesAreStableWithoutDuplicates() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        for index in 1...7 {
            try await harness.ok("customer.create", ["code": .string("C\(index)"), "name": .string("Company \(index)"), "language": "it"], as: system)
        }
        var seen: [Int64] = []
        var cursor: JSONValue = .null
        var pages = 0
        repeat {
            var params: JSONObject = ["limit": 3]
            if case .string = cursor { params["cursor"] = cursor }
            let page = try await harness.ok("customer.list", .object(params), as: system)
            seen += page["items"]!.array.compactMap { $0["id"]?.int }
            cursor = try #require(page["nextCursor"])
            pages += 1
            // A customer created while paging comes last and is seen exactly once.
            if pages == 1 {
                try await harness.ok("customer.create", ["code": "LATE", "name": "Late", "language": "en"], as: system)
            }
        } while cursor != .null && pages < 10
        #expect(seen == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(pages == 3)
        #expect(try await harness.ok("customer.list", [:], as: system)["items"]?.array.count == 8)
        #expect(try await harness.ok("customer.list", ["limit": 8], as: system)["nextCursor"] == .null)
        #expect(try await harness.ok("customer.list", ["limit": 7], as: system)["nextCursor"] != .null)

        let limit = try await harness.fails("customer.list", ["limit": 501], as: system, code: -32602)
        #expect(limit["data"]?["field"] == "params.limit")
        try await harness.fails("customer.list", ["limit": 0], as: system, code: -32602)
        let bad = try await harness.fails("customer.list", ["cursor": "not-a-cursor"], as: system, code: -32602)
        #expect(bad["data"]?["field"] == "params.cursor")
        try await harness.ok("customer.list", ["limit": 500], as: system)
    }

    @Test func listQueryTakesWildcardsLiterallyAndIgnoresCase() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        for (code, name, vat) in [("PCT", "100% Naturale", JSONValue.null), ("UND", "Under_score Srl", .null),
                                  ("PLAIN", "Plain Srl", "IT12345678903"), ("BSL", #"Back\slash"#, .null)] {
            var params: JSONObject = ["code": .string(code), "name": .string(name), "language": "it"]
            if vat != .null { params["vatNumber"] = vat }
            try await harness.ok("customer.create", .object(params), as: system)
        }
        func codes(_ query: String) async throws -> [String] {
            try await harness.ok("customer.list", ["query": .string(query)], as: system)["items"]!.array.compactMap { $0["code"]?.stringValue }
        }
        #expect(try await codes("%") == ["PCT"])
        #expect(try await codes("_") == ["UND"])
        #expect(try await codes(#"\"#) == ["BSL"])
        #expect(try await codes("srl") == ["UND", "PLAIN"])
        #expect(try await codes("345678") == ["PLAIN"], "matches the VAT number")
        #expect(try await codes("pla") == ["PLAIN"], "matches the code, any case")
        #expect(try await codes("' OR 1=1 --") == [])
        #expect(try await codes("") == ["PCT", "UND", "PLAIN", "BSL"])
    }

    @Test func subscriptionsAndEligibility() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        try await harness.ok("customer.create", ["code": "ACME", "name": "Acme", "language": "it"], as: system)
        let first = try await harness.ok("customer.addSubscription", [
            "customer": "ACME", "product": "zenshare-suite", "mode": "subscription", "from": "2026-01-01", "to": "2026-12-31",
        ], as: system)
        #expect(first["subscriptions"] == [[
            "id": 1, "product": "zenshare-suite", "mode": "subscription", "from": "2026-01-01", "to": "2026-12-31",
            "createdAt": "2026-12-01T09:00:00Z",
        ]])
        try await harness.ok("customer.addSubscription", ["customer": 1, "product": "zenshare-up", "mode": "perpetual"], as: system)
        let third = try await harness.ok("customer.addSubscription", ["customer": 1, "product": "zen-einvoice", "mode": "cloudSaas"], as: system)
        #expect(third["subscriptions"]?.array.count == 3)
        #expect(third["subscriptions"]?.array[2]["from"] == .null && third["subscriptions"]?.array[2]["to"] == .null)

        let checks: [(String, String, Bool, String)] = [
            ("zenshare-suite", "2026-01-01", true, "first day included"),
            ("zenshare-suite", "2026-12-31", true, "last day included"),
            ("zenshare-suite", "2025-12-31", false, "before"),
            ("zenshare-suite", "2027-01-01", false, "after"),
            ("zenshare-up", "2026-06-01", false, "perpetual licences give no guaranteed support"),
            ("zen-einvoice", "1999-01-01", true, "open-ended"),
            ("zen-einvoice", "2199-01-01", true, "open-ended"),
            ("preservation-grammelot", "2026-06-01", false, "no subscription"),
        ]
        let answers = try await harness.service.environment.database.read { tx in
            try checks.map { try AccountStore.isEligible(tx, customer: 1, product: $0.0, on: $0.1) }
                + [try AccountStore.isEligible(tx, customer: 2, product: "zen-einvoice", on: "2026-06-01")]
        }
        for (check, answer) in zip(checks, answers) { #expect(answer == check.2, "\(check.0) on \(check.1): \(check.3)") }
        #expect(answers.last == false, "another customer")
        #expect(answers.count == checks.count + 1)

        let mode = try await harness.fails(
            "customer.addSubscription", ["customer": 1, "product": "zenshare-up", "mode": "lifetime"], as: system, code: -32602)
        #expect(mode["data"]?["allowed"] == ["cloudSaas", "subscription", "perpetual"])
        let product = try await harness.fails(
            "customer.addSubscription", ["customer": 1, "product": "zenshare-max", "mode": "cloudSaas"], as: system, code: -32003)
        #expect(product["data"]?["field"] == "params.product")
        let order = try await harness.fails("customer.addSubscription", [
            "customer": 1, "product": "zenshare-up", "mode": "cloudSaas", "from": "2026-02-01", "to": "2026-01-31",
        ], as: system, code: -32602)
        #expect(order["data"]?["field"] == "params.to")
        let date = try await harness.fails(
            "customer.addSubscription", ["customer": 1, "product": "zenshare-up", "mode": "cloudSaas", "from": "2026-02-30"],
            as: system, code: -32602)
        #expect(date["data"]?["field"] == "params.from")
        let customer = try await harness.fails(
            "customer.addSubscription", ["customer": "GHOST", "product": "zenshare-up", "mode": "cloudSaas"], as: system, code: -32003)
        #expect(customer["data"]?["field"] == "params.customer")
        #expect(try await harness.ok("customer.get", ["customer": 1], as: system)["subscriptions"]?.array.count == 3)
    }

    // MARK: Contacts and staff

    @Test func emailIsUniqueAcrossStaffAndContacts() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        try await harness.ok("customer.create", ["code": "ACME", "name": "Acme", "language": "it"], as: system)
        let staff = try await harness.ok("staff.create", ["name": "Ada Lovelace", "email": "ada@interzen.example", "role": "careManager"], as: system)
        #expect(staff == ["id": 1, "name": "Ada Lovelace", "email": "ada@interzen.example", "role": "careManager", "active": true, "language": "it"])
        let contact = try await harness.ok("contact.create", ["customer": "ACME", "name": "Mario Rossi", "email": "mario@acme.example"], as: system)
        #expect(contact == ["id": 1, "customer": 1, "name": "Mario Rossi", "email": "mario@acme.example", "language": .null])

        let asContact = try await harness.fails(
            "contact.create", ["customer": 1, "name": "Ada", "email": "ADA@Interzen.example"], as: system, code: -32006)
        #expect(asContact["data"]?["field"] == "params.email")
        #expect(asContact["data"]?["reason"] == "email already in use")
        let asStaff = try await harness.fails(
            "staff.create", ["name": "Mario", "email": "Mario@ACME.example", "role": "operator"], as: system, code: -32006)
        #expect(asStaff["data"] == asContact["data"])
        try await harness.fails("contact.create", ["customer": 1, "name": "M", "email": "mario@acme.example"], as: system, code: -32006)

        let role = try await harness.fails("staff.create", ["name": "X", "email": "x@interzen.example", "role": "boss"], as: system, code: -32602)
        #expect(role["data"]?["allowed"] == ["operator", "careManager", "admin"])
        let short = try await harness.fails(
            "contact.create", ["customer": 1, "name": "X", "email": "x@acme.example", "password": "short"], as: system, code: -32602)
        #expect(short["data"]?["field"] == "params.password")
        let language = try await harness.fails(
            "contact.create", ["customer": 1, "name": "X", "email": "x@acme.example", "language": "fr"], as: system, code: -32602)
        #expect(language["data"]?["allowed"] == ["it", "en"])
        let email = try await harness.fails("contact.create", ["customer": 1, "name": "X", "email": "x@acme"], as: system, code: -32602)
        #expect(email["data"]?["field"] == "params.email")
        try await harness.fails("contact.create", ["customer": 42, "name": "X", "email": "x@acme.example"], as: system, code: -32003)

        let list = try await harness.ok("staff.list", [:], as: system)
        #expect(list == ["items": [staff]])
        let (contactRecord, staffRecord, customerRecord) = try await harness.service.environment.database.read { tx in
            (try AccountStore.contact(tx, id: 1), try AccountStore.staff(tx, id: 1), try AccountStore.customer(tx, code: "acme"))
        }
        #expect(contactRecord?.hasPassword == false && contactRecord?.email == "mario@acme.example")
        #expect(staffRecord?.role == .careManager && staffRecord?.active == true)
        #expect(customerRecord?.id == 1 && customerRecord?.code == "ACME")
    }

    @Test func textIsStoredAndReturnedByteForByte() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        let names = [
            "Robert'); DROP TABLE customer;--",
            "Caffe\u{0300} ☕️ 👩🏽‍💻 Srl",  // a decomposed è, an emoji sequence
            "شركة الاختبار \u{200F}ذ.م.م",  // Arabic, with a right-to-left mark
            "חברה בע\"מ 🇮🇹",
        ]
        for (index, name) in names.enumerated() {
            let created = try await harness.ok("customer.create", ["code": .string("T\(index)"), "name": .string(name), "language": "it"], as: system)
            #expect(created["name"]?.stringValue.map { Array($0.utf8) } == Array(name.utf8))
            let contact = try await harness.ok(
                "contact.create", ["customer": created["id"]!, "name": .string(name), "email": .string("c\(index)@x.example")], as: system)
            #expect(contact["name"]?.stringValue.map { Array($0.utf8) } == Array(name.utf8))
        }
        let stored = try await harness.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT CAST(name AS BLOB) AS raw FROM customer ORDER BY id").map { Array(($0["raw"] as Data)) }
        }
        #expect(stored == names.map { Array($0.utf8) })
        let found = try await harness.ok("customer.list", ["query": "DROP TABLE"], as: system)
        #expect(found["items"]?.array.count == 1)
        let decomposed = try await harness.ok("customer.get", ["customer": "T1"], as: system)
        #expect(decomposed["name"]?.stringValue.map { Array($0.utf8) } == Array(names[1].utf8))
        #expect(try await harness.ok("customer.list", [:], as: system)["items"]?.array.count == names.count, "the table survived")
    }

    // MARK: Who may do what

    @Test func accessRules() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        try await harness.ok("customer.create", ["code": "ACME", "name": "Acme", "language": "it"], as: system)
        try await harness.ok("customer.create", ["code": "RIVAL", "name": "Rival", "language": "en"], as: system)
        try await harness.ok("contact.create", ["customer": "ACME", "name": "Mario", "email": "mario@acme.example"], as: system)
        let admin = context(.staff(id: 1, role: .admin))
        let manager = context(.staff(id: 2, role: .careManager))
        let op = context(.staff(id: 3, role: .operator))
        let mario = context(.contact(id: 1, customer: 1))
        let nobody = anonymous()

        // Anonymous: log in first.
        for (method, params) in [("customer.get", ["customer": 1] as JSONValue), ("customer.list", [:]),
                                 ("customer.create", ["code": "N", "name": "N", "language": "it"]),
                                 ("customer.addSubscription", ["customer": 1, "product": "zenshare-up", "mode": "cloudSaas"]),
                                 ("contact.create", ["customer": 1, "name": "N", "email": "n@x.example"]),
                                 ("staff.create", ["name": "N", "email": "n@x.example", "role": "admin"]), ("staff.list", [:])] {
            try await harness.fails(method, params, as: nobody, code: -32001)
        }
        #expect(try await harness.ok("session.whoami", [:], as: nobody) == ["principal": ["kind": "anonymous"]])

        // A contact: their own company, nothing else; another company looks like no company.
        #expect(try await harness.ok("customer.get", ["customer": "ACME"], as: mario)["id"] == 1)
        let other = try await harness.fails("customer.get", ["customer": 2], as: mario, code: -32003)
        let missing = try await harness.fails("customer.get", ["customer": 3], as: mario, code: -32003)
        #expect(other["message"] == missing["message"] && other["data"]?["field"] == missing["data"]?["field"])
        #expect(other["data"]?["reason"] == "no customer with id 2" && missing["data"]?["reason"] == "no customer with id 3")
        try await harness.fails("customer.list", [:], as: mario, code: -32002)
        try await harness.fails("staff.list", [:], as: mario, code: -32002)
        try await harness.fails("contact.create", ["customer": 1, "name": "N", "email": "n@x.example"], as: mario, code: -32002)
        try await harness.fails("customer.create", ["code": "N", "name": "N", "language": "it"], as: mario, code: -32002)

        // An operator reads customers (to work assigned tickets) and changes nothing.
        #expect(try await harness.ok("customer.get", ["customer": 2], as: op)["code"] == "RIVAL")
        #expect(try await harness.ok("customer.list", [:], as: op)["items"]?.array.count == 2)
        try await harness.ok("staff.list", [:], as: op)
        try await harness.fails("customer.create", ["code": "N", "name": "N", "language": "it"], as: op, code: -32002)
        try await harness.fails("customer.addSubscription", ["customer": 1, "product": "zenshare-up", "mode": "cloudSaas"], as: op, code: -32002)
        try await harness.fails("contact.create", ["customer": 1, "name": "N", "email": "n@x.example"], as: op, code: -32002)
        try await harness.fails("staff.create", ["name": "N", "email": "n@x.example", "role": "admin"], as: op, code: -32002)

        // A care manager also creates contacts, but not customers, subscriptions or staff.
        try await harness.ok("contact.create", ["customer": 2, "name": "Jane", "email": "jane@rival.example"], as: manager)
        try await harness.fails("customer.create", ["code": "N", "name": "N", "language": "it"], as: manager, code: -32002)
        try await harness.fails("customer.addSubscription", ["customer": 1, "product": "zenshare-up", "mode": "cloudSaas"], as: manager, code: -32002)
        try await harness.fails("staff.create", ["name": "N", "email": "n@x.example", "role": "admin"], as: manager, code: -32002)

        // An admin does everything.
        try await harness.ok("customer.create", ["code": "NEW", "name": "New", "language": "it"], as: admin)
        try await harness.ok("customer.addSubscription", ["customer": "NEW", "product": "zenshare-up", "mode": "cloudSaas"], as: admin)
        try await harness.ok("staff.create", ["name": "Op", "email": "op@interzen.example", "role": "operator"], as: admin)
        try await harness.ok("contact.create", ["customer": "NEW", "name": "N", "email": "n@new.example"], as: admin)
    }

    // MARK: Sessions

    @Test func loginBindsAndEveryFailureLooksTheSame() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        try await harness.ok("customer.create", ["code": "ACME", "name": "Acme", "language": "it"], as: system)
        try await harness.ok("staff.create", [
            "name": "Ada", "email": "ada@interzen.example", "role": "careManager", "password": "correct horse battery",
        ], as: system)
        try await harness.ok("contact.create", [
            "customer": 1, "name": "Mario", "email": "mario@acme.example", "password": "una password lunga",
        ], as: system)
        try await harness.ok("staff.create", ["name": "NoPass", "email": "nopass@interzen.example", "role": "admin"], as: system)

        let connection = anonymous()
        let login = try await harness.ok(
            "session.login", ["email": " ADA@interzen.example", "password": "correct horse battery"], as: connection)
        #expect(login["principal"] == ["kind": "staff", "id": 1, "role": "careManager"])
        #expect(login["expiresAt"] == "2026-12-01T21:00:00Z")
        let token = try #require(login["token"]?.stringValue)
        #expect(token.utf8.count == 43 && Base64URL.decode(token)?.count == 32)
        #expect(connection.principal == .staff(id: 1, role: .careManager))
        #expect(try await harness.ok("session.whoami", [:], as: connection) == [
            "principal": ["kind": "staff", "id": 1, "role": "careManager"], "expiresAt": "2026-12-01T21:00:00Z",
        ])
        try await harness.ok("customer.list", [:], as: connection)
        // Only the token's hash is stored.
        let stored = try await harness.pool.read { db in try String.fetchAll(db, sql: "SELECT tokenHash FROM auth_session") }
        #expect(stored == [SessionPolicy.tokenHash(token)])

        let portal = anonymous()
        let contactLogin = try await harness.ok("session.login", ["email": "mario@acme.example", "password": "una password lunga"], as: portal)
        #expect(contactLogin["principal"] == ["kind": "contact", "id": 1, "customer": 1])
        #expect(try await harness.ok("customer.get", ["customer": 1], as: portal)["code"] == "ACME")

        // Wrong password, unknown email, no password set, inactive account: one answer, and
        // each takes an argon2 verification's time.
        try await harness.pool.write { db in try db.execute(sql: "UPDATE staff SET active = 0 WHERE id = 1") }
        var errors: [JSONValue] = []
        for (email, password) in [("mario@acme.example", "wrong password!"), ("ghost@acme.example", "una password lunga"),
                                  ("nopass@interzen.example", "whatever it is"), ("ada@interzen.example", "correct horse battery")] {
            let fresh = anonymous()
            let started = ContinuousClock.now
            errors.append(try await harness.fails("session.login", ["email": .string(email), "password": .string(password)], as: fresh, code: -32001))
            #expect(ContinuousClock.now - started > .milliseconds(5), "\(email) was answered without hashing")
            #expect(fresh.principal == nil)
        }
        #expect(Set(errors).count == 1, "\(errors)")
        let failures = try await harness.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM login_failure") }
        #expect(failures == 4, "each failure counted, the two successes not")
        try await harness.fails("session.login", ["email": "mario@acme.example"], as: anonymous(), code: -32602)
    }

    @Test func theEleventhAttemptIsRateLimitedEvenWithTheRightPassword() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        try await harness.ok("staff.create", ["name": "Ada", "email": "ada@interzen.example", "role": "admin", "password": "correct horse battery"], as: system)
        // Nine failures in the last ten minutes (put straight into the table), then a tenth
        // through the method, in another case.
        try await harness.service.environment.database.write { tx in
            for minute in 1...9 {
                _ = try AccountStore.insertLoginFailure(tx, email: "ada@interzen.example", at: harness.clock.now.addingTimeInterval(Double(-minute * 60)))
                _ = try AccountStore.insertLoginFailure(tx, email: "ghost@interzen.example", at: harness.clock.now.addingTimeInterval(Double(-minute * 60)))
            }
        }
        try await harness.fails("session.login", ["email": "Ada@Interzen.example", "password": "wrong password"], as: anonymous(), code: -32001)
        let right = anonymous()
        let limited = try await harness.fails("session.login", ["email": "ada@interzen.example", "password": "correct horse battery"], as: right, code: -32007)
        #expect(limited["data"]?["retryAfter"] == "2026-12-01T09:15:00Z")
        #expect(right.principal == nil)
        // An unknown email gets the same treatment: no hint whether it exists.
        try await harness.fails("session.login", ["email": "ghost@interzen.example", "password": "wrong password"], as: anonymous(), code: -32001)
        let ghost = try await harness.fails("session.login", ["email": "ghost@interzen.example", "password": "x"], as: anonymous(), code: -32007)
        #expect(ghost == limited)
        // Refused attempts do not extend the lock; after it, the right password works.
        harness.clock.advance(14 * 60)
        try await harness.fails("session.login", ["email": "ada@interzen.example", "password": "correct horse battery"], as: right, code: -32007)
        harness.clock.advance(60)
        let login = try await harness.ok("session.login", ["email": "ada@interzen.example", "password": "correct horse battery"], as: right)
        #expect(login["principal"]?["id"] == 1)
        // Other emails were never affected.
        try await harness.fails("session.login", ["email": "someone@else.example", "password": "x"], as: anonymous(), code: -32001)
    }

    @Test func resumeLogoutAndIdleExpiry() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        try await harness.ok("staff.create", ["name": "Ada", "email": "ada@interzen.example", "role": "operator", "password": "correct horse battery"], as: system)
        let first = anonymous()
        let token = try #require(try await harness.ok(
            "session.login", ["email": "ada@interzen.example", "password": "correct horse battery"], as: first)["token"])

        // Another connection (a portal backend) takes up the session.
        let second = anonymous()
        let resumed = try await harness.ok("session.resume", ["token": token], as: second)
        #expect(resumed["principal"] == ["kind": "staff", "id": 1, "role": "operator"])
        #expect(second.principal == .staff(id: 1, role: .operator))
        try await harness.ok("staff.list", [:], as: second)
        try await harness.fails("session.resume", ["token": "bm90IGEgdG9rZW4"], as: anonymous(), code: -32001)

        // Logging out on one ends the session everywhere.
        #expect(try await harness.ok("session.logout", [:], as: first) == ["loggedOut": true])
        #expect(first.principal == nil)
        try await harness.fails("staff.list", [:], as: second, code: -32001)
        #expect(try await harness.ok("session.whoami", [:], as: second) == ["principal": ["kind": "anonymous"]])
        try await harness.fails("session.resume", ["token": token], as: anonymous(), code: -32001)

        // A system connection that logs in and out is the system again.
        let root = CallContext(transport: .socket, principal: .system)
        let again = try #require(try await harness.ok(
            "session.login", ["email": "ada@interzen.example", "password": "correct horse battery"], as: root)["token"])
        try await harness.fails("customer.create", ["code": "N", "name": "N", "language": "it"], as: root, code: -32002)

        // Twelve idle hours end a session; use slides it (resume, or any call through a bound
        // connection).
        harness.clock.advance(11 * 3600)
        let third = anonymous()
        #expect(try await harness.ok("session.resume", ["token": again], as: third)["expiresAt"] == "2026-12-02T08:00:00Z")
        harness.clock.advance(11 * 3600)
        try await harness.ok("staff.list", [:], as: root)  // 22 h after login, 11 h after the resume
        #expect(try await harness.ok("session.whoami", [:], as: root)["expiresAt"] == "2026-12-02T19:00:00Z")
        harness.clock.advance(13 * 3600)
        try await harness.fails("staff.list", [:], as: third, code: -32001)
        #expect(third.principal == nil)
        #expect(try await harness.ok("session.whoami", [:], as: root) == ["principal": ["kind": "system"]])
        try await harness.fails("session.resume", ["token": again], as: anonymous(), code: -32001)
        let left = try await harness.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM auth_session") }
        #expect(left == 0, "expired sessions are deleted")
    }

    @Test func resumeRefusesDeactivatedStaff() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        try await harness.ok("staff.create", ["name": "Ada", "email": "ada@interzen.example", "role": "admin"], as: system)
        // A session put straight into the table (no hashing needed to test resume).
        let token = SessionPolicy.newToken()
        try await harness.service.environment.database.write { tx in
            try AccountStore.insertSession(
                tx, tokenHash: SessionPolicy.tokenHash(token), kind: .staff, subject: 1, now: harness.clock.now,
                expiresAt: harness.clock.now.addingTimeInterval(3600))
        }
        try await harness.ok("session.resume", ["token": .string(token)], as: anonymous())
        try await harness.pool.write { db in try db.execute(sql: "UPDATE staff SET active = 0") }
        try await harness.fails("session.resume", ["token": .string(token)], as: anonymous(), code: -32001)
    }
}
