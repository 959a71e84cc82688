// Support for the ticket suites (TicketScenarioTests, TicketAccessTests, TicketConcurrencyTests):
// a world of customers, contacts and staff created once per suite on a real `sportello serve
// --socket`, one connection per principal (bound by session.resume with a token from one
// session.login per account), and an independent model of the `interzen-support` calendar to
// hand-compute SLA deadlines.

import Foundation
import Crypto
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

// MARK: JSON access

typealias JSON = [String: Any]

extension Dictionary where Key == String, Value == Any {
    /// The value at a dotted path: `"sla.clocks.resolution.due"`.
    func at(_ path: String) -> Any? {
        var current: Any? = self
        for part in path.split(separator: ".") {
            guard let object = current as? [String: Any] else { return nil }
            current = object[String(part)]
        }
        return current
    }

    func int(_ path: String) -> Int? { (at(path) as? NSNumber)?.intValue }
    func double(_ path: String) -> Double? { (at(path) as? NSNumber)?.doubleValue }
    func string(_ path: String) -> String? { at(path) as? String }
    func object(_ path: String) -> JSON? { at(path) as? JSON }
    func objects(_ path: String) -> [JSON]? { at(path) as? [JSON] }
    func strings(_ path: String) -> [String]? { at(path) as? [String] }
    func isNull(_ path: String) -> Bool { at(path) is NSNull }
    func date(_ path: String) -> Date? { string(path).flatMap(parseInstant) }
}

/// The canonical text of a JSON value (sorted keys), to compare whole objects.
func canonicalJSON(_ value: Any) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) else {
        return "\(value)"
    }
    return String(decoding: data, as: UTF8.self)
}

// MARK: Instants

/// Parses an RFC 3339 instant: `2026-11-26T08:00:00Z`, `…:00.123Z`, `…:00+01:00`.
func parseInstant(_ text: String) -> Date? {
    let bytes = Array(text.utf8)
    guard bytes.count >= 20, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x54 || bytes[10] == 0x74,
        bytes[13] == 0x3A, bytes[16] == 0x3A
    else { return nil }
    func number(_ range: Range<Int>) -> Int? {
        guard range.upperBound <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[range] {
            guard (0x30...0x39).contains(byte) else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }
    guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
        let minute = number(14..<16), let second = number(17..<19)
    else { return nil }
    var index = 19
    var fraction = 0.0
    if index < bytes.count, bytes[index] == 0x2E {
        index += 1
        var scale = 0.1
        while index < bytes.count, (0x30...0x39).contains(bytes[index]) {
            fraction += Double(bytes[index] - 0x30) * scale
            scale /= 10
            index += 1
        }
    }
    guard index < bytes.count else { return nil }
    var offsetSeconds = 0
    switch bytes[index] {
    case 0x5A, 0x7A:
        guard index + 1 == bytes.count else { return nil }
    case 0x2B, 0x2D:
        guard index + 6 == bytes.count, let hours = number((index + 1)..<(index + 3)), let minutes = number((index + 4)..<(index + 6))
        else { return nil }
        offsetSeconds = (hours * 3600 + minutes * 60) * (bytes[index] == 0x2D ? -1 : 1)
    default:
        return nil
    }
    var components = DateComponents()
    components.year = year
    components.month = month
    components.day = day
    components.hour = hour
    components.minute = minute
    components.second = second
    guard let base = InterzenSupport.utc.date(from: components) else { return nil }
    return base.addingTimeInterval(fraction - Double(offsetSeconds))
}

func rfc3339(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: date)
}

// MARK: The interzen-support calendar, by hand

/// docs/product.md §6's `interzen-support` calendar written out independently of the server: Monday to
/// Friday 08:00–18:30 Europe/Rome wall-clock time (DST-correct through Foundation's zone
/// data), minus the Italian national holidays. A working day is 630 minutes. This is the oracle
/// the tests compute expected deadlines with; the server's own calendar code is not used.
enum InterzenSupport {
    static let workingDaySeconds = 630.0 * 60

    static let rome: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Rome")!
        return calendar
    }()

    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// A Rome wall-clock instant.
    static func rome(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int = 0) -> Date {
        rome.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))!
    }

    /// 1 Jan, 6 Jan, Easter Monday, 25 Apr, 1 May, 2 Jun, 15 Aug, 1 Nov, 8 Dec, 25 Dec, 26 Dec,
    /// and 4 Oct from 2026 on.
    static func isHoliday(year: Int, month: Int, day: Int) -> Bool {
        let fixed: Set<Int> = [101, 106, 425, 501, 602, 815, 1101, 1208, 1225, 1226]
        if fixed.contains(month * 100 + day) { return true }
        if year >= 2026, month == 10, day == 4 { return true }
        let easter = easterSunday(year)
        let monday = rome.date(byAdding: .day, value: 1, to: rome(year, easter.month, easter.day, 12))!
        let parts = rome.dateComponents([.month, .day], from: monday)
        return parts.month == month && parts.day == day
    }

    /// The anonymous Gregorian computus.
    static func easterSunday(_ year: Int) -> (month: Int, day: Int) {
        let a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4
        let f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30
        let i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7, m = (a + 11 * h + 22 * l) / 451
        return ((h + l - 7 * m + 114) / 31, (h + l - 7 * m + 114) % 31 + 1)
    }

    /// The working window of the Rome day containing `instant`, or nil on a weekend or holiday;
    /// and the start of the next day.
    private static func day(containing instant: Date) -> (window: (open: Date, close: Date)?, next: Date) {
        let parts = rome.dateComponents([.year, .month, .day, .weekday], from: instant)
        let (year, month, day) = (parts.year!, parts.month!, parts.day!)
        let midnight = rome.date(from: DateComponents(year: year, month: month, day: day))!
        let next = rome.date(byAdding: .day, value: 1, to: midnight)!
        // weekday: 1 Sunday … 7 Saturday
        guard (2...6).contains(parts.weekday!), !isHoliday(year: year, month: month, day: day) else { return (nil, next) }
        return ((rome(year, month, day, 8), rome(year, month, day, 18, 30)), next)
    }

    /// Working seconds in [from, to].
    static func workingSeconds(from: Date, to: Date) -> Double {
        guard to > from else { return 0 }
        var total = 0.0
        var cursor = from
        while cursor < to {
            let (window, next) = day(containing: cursor)
            if let window {
                let start = max(window.open, cursor), end = min(window.close, to)
                if end > start { total += end.timeIntervalSince(start) }
            }
            cursor = next
        }
        return total
    }

    /// The earliest T ≥ start with `seconds` of working time in [start, T] (a deadline at closing
    /// time stays at closing time).
    static func add(seconds: Double, to start: Date) -> Date {
        guard seconds > 0 else { return start }
        var remaining = seconds
        var cursor = start
        for _ in 0..<5000 {
            let (window, next) = day(containing: cursor)
            if let window, window.close > cursor {
                let begin = max(window.open, cursor)
                let available = window.close.timeIntervalSince(begin)
                if available >= remaining { return begin.addingTimeInterval(remaining) }
                remaining -= available
            }
            cursor = next
        }
        fatalError("no working time within 5000 days")
    }

    static func add(minutes: Double, to start: Date) -> Date { add(seconds: minutes * 60, to: start) }
    static func add(workingDays: Double, to start: Date) -> Date { add(seconds: workingDays * workingDaySeconds, to: start) }

    /// The resolution (second) clock's due instant after one pause [pauseFrom, pauseTo]:
    /// working time before the pause counts; if it already reached the target, the pause came
    /// after the deadline and does not move it; else the rest of the target counts from the
    /// end of the pause.
    static func due(start: Date, targetSeconds: Double, pauseFrom: Date, pauseTo: Date) -> Date {
        let counted = workingSeconds(from: start, to: pauseFrom)
        if counted >= targetSeconds { return add(seconds: targetSeconds, to: start) }
        return add(seconds: targetSeconds - counted, to: pauseTo)
    }
}

// MARK: A client

/// A JSON-RPC client on one socket connection, bound to one principal. Calls are serialised
/// (a lock) so that parallel tests may share a client; every read has a deadline.
final class RPCClient: @unchecked Sendable {
    let connection: UnixConnection
    let who: String
    private let lock = NSLock()
    private var counter = 0

    init(_ connection: UnixConnection, who: String) {
        self.connection = connection
        self.who = who
    }

    private func nextID() -> Int {
        lock.lock()
        defer { lock.unlock() }
        counter += 1
        return counter
    }

    static func request(id: Int, method: String, params: JSON) throws -> [UInt8] {
        let data = try JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "id": id, "method": method, "params": params])
        return Array(data) + [0x0A]
    }

    /// One call: send, then read its reply.
    func call(_ method: String, _ params: JSON = [:], timeout: Double = 15) async throws -> Reply {
        let id = nextID()
        let bytes = try Self.request(id: id, method: method, params: params)
        let reply = try await offload { [self] in
            lock.lock()
            defer { lock.unlock() }
            try connection.sendSync(bytes)
            return try Reply(raw: try connection.readLineSync(timeout: timeout))
        }
        ReplyLog.shared.note(reply.json, methods: ["\(id)": method])
        guard reply.rawID == "\(id)" else { throw HarnessError("\(who) \(method): reply for another id: \(reply)") }
        return reply
    }

    /// The result of a call that must succeed.
    func ok(_ method: String, _ params: JSON = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSON {
        let reply = try await call(method, params)
        return try #require(reply.result, "\(who) \(method) \(canonicalJSON(params).prefix(300)) should succeed: \(reply)",
                            sourceLocation: sourceLocation)
    }

    /// The error object of a call that must fail with `code`.
    @discardableResult
    func fails(
        _ method: String, _ params: JSON = [:], code: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JSON {
        let reply = try await call(method, params)
        #expect(reply.errorCode == code, "\(who) \(method) \(canonicalJSON(params).prefix(300)) should fail with \(code): \(reply)",
                sourceLocation: sourceLocation)
        return reply.error ?? [:]
    }

    func close() { connection.close() }
}

// MARK: The world

/// The principals the ticket suites use. Contacts: Giulia and Marco work at Rossi Logistica
/// (Italian), Oliver at Northwind Traders (English).
enum Who: String, CaseIterable, Sendable, CustomStringConvertible {
    case system, admin, careManager, careManager2, operatorA, operatorB, giulia, marco, oliver

    var description: String { rawValue }

    var isContact: Bool { [.giulia, .marco, .oliver].contains(self) }

    var fullName: String {
        switch self {
        case .system: "system"
        case .admin: "Anna Amministratrice"
        case .careManager: "Carla Conti"
        case .careManager2: "Cesare Colombo"
        case .operatorA: "Orazio Orlandi"
        case .operatorB: "Ottavia Ruggeri"
        case .giulia: "Giulia Bianchi"
        case .marco: "Marco Verdi"
        case .oliver: "Oliver Smith"
        }
    }

    var email: String {
        switch self {
        case .system: ""
        case .giulia: "giulia.bianchi@rossi-logistica.it"
        case .marco: "marco.verdi@rossi-logistica.it"
        case .oliver: "oliver.smith@northwind.example"
        default: "\(rawValue.lowercased())@interzen.example"
        }
    }

    var role: String? {
        switch self {
        case .admin: "admin"
        case .careManager, .careManager2: "careManager"
        case .operatorA, .operatorB: "operator"
        default: nil
        }
    }
}

/// One server with customers, accounts and a session token per account, shared by the tests
/// of one suite (see `.ticketWorld`).
final class TicketWorld: @unchecked Sendable {
    @TaskLocal static var current: TicketWorld?

    static let product = "zenshare-suite"
    static let password = "correct horse battery staple 42"

    let server: SocketServer
    /// Account ids (staff or contact) by principal.
    let ids: [Who: Int]
    let tokens: [Who: String]
    /// Rossi Logistica (Italian) and Northwind Traders (English), both with a cloudSaas
    /// subscription for ZenShare Suite.
    let rossi: Int
    let northwind: Int
    private let clients = Mutex<[Who: RPCClient]>([:])

    private init(server: SocketServer, ids: [Who: Int], tokens: [Who: String], rossi: Int, northwind: Int) {
        self.server = server
        self.ids = ids
        self.tokens = tokens
        self.rossi = rossi
        self.northwind = northwind
    }

    func id(_ who: Who) -> Int { ids[who]! }

    /// A new connection bound to `who` (system: the test runs as the server's user or root).
    func connect(_ who: Who) async throws -> RPCClient {
        let client = RPCClient(try server.connect(), who: who.rawValue)
        if who != .system {
            let token = try #require(tokens[who], "no account for \(who) in this suite")
            let reply = try await client.call("session.resume", ["token": token])
            let principal = try #require(reply.result?["principal"] as? JSON, "session.resume as \(who): \(reply)")
            #expect(principal.int("id") == ids[who], "\(who) resumed as \(principal)")
        }
        return client
    }

    /// The suite's shared connection for `who` (one per principal; calls are serialised).
    func client(_ who: Who) async throws -> RPCClient {
        if let existing = clients.withLock({ $0[who] }) { return existing }
        let client = try await connect(who)
        return clients.withLock { table in
            if let existing = table[who] {
                client.close()
                return existing
            }
            table[who] = client
            return client
        }
    }

    func stop() {
        clients.withLock { table in
            for client in table.values { client.close() }
            table.removeAll()
        }
        server.stop()
    }

    /// Starts a server and creates, as the system: the two customers with their subscriptions,
    /// then `accounts` with passwords, then logs each in once (on its own connection) for a
    /// session token. Account creation and logins run in parallel (argon2 is the cost).
    static func make(_ accounts: [Who]) async throws -> TicketWorld {
        let server = try await SocketServer()
        do {
            let system = RPCClient(try server.connect(), who: "system")
            defer { system.close() }
            var customers: [String: Int] = [:]
            for (code, name, language, email) in [
                ("ROSSI", "Rossi Logistica S.r.l.", "it", "assistenza@rossi-logistica.it"),
                ("NORTHWIND", "Northwind Traders Ltd", "en", "it@northwind.example"),
            ] {
                let customer = try await system.ok("customer.create", ["code": code, "name": name, "language": language, "email": email])
                let id = try #require(customer.int("id"))
                _ = try await system.ok("customer.addSubscription", ["customer": id, "product": product, "mode": "cloudSaas"])
                customers[code] = id
            }
            let rossi = customers["ROSSI"]!, northwind = customers["NORTHWIND"]!
            let wanted = accounts.filter { $0 != .system }
            let ids = try await withThrowingTaskGroup(of: (Who, Int).self) { group in
                for who in wanted {
                    group.addTask {
                        let connection = RPCClient(try server.connect(), who: "system")
                        defer { connection.close() }
                        let created: JSON
                        if let role = who.role {
                            created = try await connection.ok("staff.create", [
                                "name": who.fullName, "email": who.email, "role": role, "password": password,
                            ])
                        } else {
                            created = try await connection.ok("contact.create", [
                                "customer": who == .oliver ? northwind : rossi, "name": who.fullName, "email": who.email,
                                "password": password,
                            ])
                        }
                        return (who, try #require(created.int("id")))
                    }
                }
                var ids: [Who: Int] = [:]
                for try await (who, id) in group { ids[who] = id }
                return ids
            }
            let tokens = try await withThrowingTaskGroup(of: (Who, String).self) { group in
                for who in wanted {
                    group.addTask {
                        let connection = RPCClient(try server.connect(), who: who.rawValue)
                        defer { connection.close() }
                        let login = try await connection.ok("session.login", ["email": who.email, "password": password])
                        #expect(login.int("principal.id") == ids[who])
                        if who == .admin {
                            // Admins set up two-factor login before anything else; that frees the session.
                            #expect(login["totpSetupRequired"] as? Bool == true)
                            try await setUpTwoFactor(connection)
                        }
                        return (who, try #require(login.string("token")))
                    }
                }
                var tokens: [Who: String] = [:]
                for try await (who, token) in group { tokens[who] = token }
                return tokens
            }
            return TicketWorld(server: server, ids: ids, tokens: tokens, rossi: rossi, northwind: northwind)
        } catch {
            server.stop()
            throw error
        }
    }

    // MARK: Shortcuts used by several suites

    /// Opens a ticket as the system for a contact (or a customer without one), optionally with
    /// `receivedAt`; returns the ticket.
    func open(
        _ system: RPCClient, for contact: Who? = .giulia, customer: Int? = nil, subject: String, body: String,
        channel: String = "email", receivedAt: String? = nil, extra: JSON = [:], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JSON {
        var params: JSON = ["product": Self.product, "subject": subject, "body": body, "channel": channel]
        if let contact { params["contact"] = id(contact) }
        if let customer { params["customer"] = customer }
        if let receivedAt { params["receivedAt"] = receivedAt }
        for (key, value) in extra { params[key] = value }
        return try await system.ok("ticket.open", params, sourceLocation: sourceLocation)
    }
}

/// Runs a suite inside one `TicketWorld` (set up once, torn down after its last test).
struct TicketWorldTrait: SuiteTrait, TestScoping {
    let accounts: [Who]

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let world = try await TicketWorld.make(accounts)
        defer { world.stop() }
        try await TicketWorld.$current.withValue(world) { try await function() }
    }
}

extension Trait where Self == TicketWorldTrait {
    /// A server with the customers and these accounts, shared by the suite's tests.
    static func ticketWorld(_ accounts: [Who] = Who.allCases) -> Self { TicketWorldTrait(accounts: accounts) }
}

func currentWorld(sourceLocation: SourceLocation = #_sourceLocation) throws -> TicketWorld {
    try #require(TicketWorld.current, "the suite runs without its .ticketWorld trait", sourceLocation: sourceLocation)
}

/// Ticket ids as Int (JSON numbers).
extension Dictionary where Key == String, Value == Any {
    var ticketID: Int { int("id") ?? -1 }
}

/// A word no other ticket contains (letters only, so that FTS5 keeps it one token).
func uniqueWord(_ prefix: String) -> String {
    let letters = Array("bcdfghjklmnpqrstvwxz")
    return prefix + String((0..<8).map { _ in letters.randomElement()! })
}

/// Two instants equal to the millisecond the server keeps (and floating-point noise).
func expectSameInstant(
    _ actual: Date?, _ expected: Date, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let actual else {
        Issue.record("\(what): missing (expected \(rfc3339(expected)))", sourceLocation: sourceLocation)
        return
    }
    #expect(abs(actual.timeIntervalSince(expected)) < 0.0015,
            "\(what): \(rfc3339(actual)), expected \(rfc3339(expected))", sourceLocation: sourceLocation)
}

// MARK: Two-factor login

/// Sets up two-factor login for the staff member signed in on `connection` (account.enableTotp,
/// then account.confirmTotp with the code of the moment, RFC 6238 with HMAC-SHA1); returns the
/// secret.
@discardableResult
func setUpTwoFactor(_ connection: RPCClient, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [UInt8] {
    let enrolment = try await connection.ok("account.enableTotp", sourceLocation: sourceLocation)
    let secret = try #require(enrolment.string("secret").flatMap(base32Decode), sourceLocation: sourceLocation)
    _ = try await connection.ok("account.confirmTotp", ["code": totpCode(secret, at: Date())], sourceLocation: sourceLocation)
    return secret
}

func base32Decode(_ text: String) -> [UInt8]? {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    var output: [UInt8] = []
    var buffer: UInt32 = 0
    var bits = 0
    for character in text {
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

/// The 6-digit TOTP code of `date` (RFC 6238: HMAC-SHA1 of the 30-second step, dynamic truncation).
func totpCode(_ secret: [UInt8], at date: Date) -> String {
    let step = UInt64(date.timeIntervalSince1970) / 30
    let counter = (0..<8).map { UInt8(truncatingIfNeeded: step >> (56 - 8 * UInt64($0))) }
    let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: counter, using: SymmetricKey(data: secret)))
    let offset = Int(mac[19] & 0x0f)
    let binary = (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8)
        | UInt32(mac[offset + 3])
    let text = String(binary % 1_000_000)
    return String(repeating: "0", count: 6 - text.count) + text
}
