// Who may do what to which ticket (docs/product.md §2, §3; TicketWorkflow's table), over the real socket:
// every principal × every kind of ticket × every ticket method, from one table.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The kinds of ticket the matrix is run against. All are Giulia's (Rossi Logistica), opened by
/// the system on her behalf.
enum MatrixKind: String, CaseIterable, Sendable {
    /// Just arrived: unclassified, no assignee.
    case new
    /// A bug taken in charge and assigned to operator A.
    case bug
    /// A vulnerability assigned to operator A, reported by Giulia.
    case vulnerability
    /// A bug closed by the system after operator A was assigned.
    case closed

    var status: String {
        switch self {
        case .new: "new"
        case .bug, .vulnerability: "assigned"
        case .closed: "closed"
        }
    }

    /// `error.data.allowed` of a -32005 for a care manager, admin or the system (operator A
    /// only meets -32005 on the closed ticket, where nothing is allowed to anyone).
    var allowedForManagers: [String] {
        switch self {
        case .new: ["takeCharge", "setPriority", "addMessage"]
        case .bug, .vulnerability: ["assign", "setPriority", "requestClarification", "addMessage", "close"]
        case .closed: []
        }
    }
}

enum MatrixMethod: String, CaseIterable, Sendable {
    case get = "ticket.get"
    case list = "ticket.list"
    case history = "ticket.history"
    case takeCharge = "ticket.takeCharge"
    case assign = "ticket.assign"
    case setPriority = "ticket.setPriority"
    case requestClarification = "ticket.requestClarification"
    case addMessage = "ticket.addMessage"
    case close = "ticket.close"
    case notifications = "notification.list"
    case sla = "sla.status"

    var mutates: Bool { [.takeCharge, .assign, .setPriority, .requestClarification, .addMessage, .close].contains(self) }

    static let messageBody = "Vi inviamo in allegato il file di log richiesto."

    func params(ticket: Int, word: String, world: TicketWorld) -> JSON {
        switch self {
        case .get, .history, .notifications, .sla: ["ticket": ticket]
        case .list: ["query": word]
        case .takeCharge: ["ticket": ticket, "classification": "bug", "priority": 2, "assignee": world.id(.operatorA)]
        case .assign: ["ticket": ticket, "assignee": world.id(.operatorB)]
        case .setPriority: ["ticket": ticket, "priority": 1]
        case .requestClarification: ["ticket": ticket, "message": "Può inviarci il file di log dell'applicazione?"]
        case .addMessage: ["ticket": ticket, "body": Self.messageBody]
        case .close: ["ticket": ticket, "text": "Problema risolto."]
        }
    }
}

/// The expected answers, written from docs/product.md §2/§3 and TicketWorkflow's rules:
/// - `ok` success (ticket.list: the ticket is among the items);
/// - `01` -32001 anonymous; `02` -32002 visible but not allowed; `05` -32005 not in this status
///   (data.status and data.allowed checked);
/// - `03` -32003, the ticket is not visible: the whole error object must be the one a missing
///   ticket gets (ticket.list: the call succeeds and the ticket is not listed).
/// Operator A is the assignee of bug, vulnerability and closed; the new ticket has no assignee.
/// Contacts: Giulia reported every ticket; Marco is her colleague; Oliver works elsewhere.
/// Notes: notification.list is for staff (-32002 to every contact, before looking at the
/// ticket); ticket.history is for staff (-32002 to a contact who sees the ticket); a contact's
/// message on a closed ticket opens a follow-up ticket; operators never take charge, assign or
/// set priorities, and do not close vulnerabilities.
let accessTable = """
    kind          principal     get  list hist take asgn prio clar msg  close notif sla
    new           system        ok   ok   ok   ok   05   ok   05   ok   05    ok    ok
    new           admin         ok   ok   ok   ok   05   ok   05   ok   05    ok    ok
    new           careManager   ok   ok   ok   ok   05   ok   05   ok   05    ok    ok
    new           operatorA     03   03   03   03   03   03   03   03   03    03    03
    new           operatorB     03   03   03   03   03   03   03   03   03    03    03
    new           giulia        ok   ok   02   02   02   02   02   ok   02    02    ok
    new           marco         ok   ok   02   02   02   02   02   ok   02    02    ok
    new           oliver        03   03   03   03   03   03   03   03   03    02    03
    new           anonymous     01   01   01   01   01   01   01   01   01    01    01
    bug           system        ok   ok   ok   05   ok   ok   ok   ok   ok    ok    ok
    bug           admin         ok   ok   ok   05   ok   ok   ok   ok   ok    ok    ok
    bug           careManager   ok   ok   ok   05   ok   ok   ok   ok   ok    ok    ok
    bug           operatorA     ok   ok   ok   02   02   02   ok   ok   ok    ok    ok
    bug           operatorB     03   03   03   03   03   03   03   03   03    03    03
    bug           giulia        ok   ok   02   02   02   02   02   ok   02    02    ok
    bug           marco         ok   ok   02   02   02   02   02   ok   02    02    ok
    bug           oliver        03   03   03   03   03   03   03   03   03    02    03
    bug           anonymous     01   01   01   01   01   01   01   01   01    01    01
    vulnerability system        ok   ok   ok   05   ok   ok   ok   ok   ok    ok    ok
    vulnerability admin         ok   ok   ok   05   ok   ok   ok   ok   ok    ok    ok
    vulnerability careManager   ok   ok   ok   05   ok   ok   ok   ok   ok    ok    ok
    vulnerability operatorA     ok   ok   ok   02   02   02   ok   ok   02    ok    ok
    vulnerability operatorB     03   03   03   03   03   03   03   03   03    03    03
    vulnerability giulia        ok   ok   02   02   02   02   02   ok   02    02    ok
    vulnerability marco         03   03   03   03   03   03   03   03   03    02    03
    vulnerability oliver        03   03   03   03   03   03   03   03   03    02    03
    vulnerability anonymous     01   01   01   01   01   01   01   01   01    01    01
    closed        system        ok   ok   ok   05   05   05   05   05   05    ok    ok
    closed        admin         ok   ok   ok   05   05   05   05   05   05    ok    ok
    closed        careManager   ok   ok   ok   05   05   05   05   05   05    ok    ok
    closed        operatorA     ok   ok   ok   02   02   02   05   05   05    ok    ok
    closed        operatorB     03   03   03   03   03   03   03   03   03    03    03
    closed        giulia        ok   ok   02   02   02   02   02   ok   02    02    ok
    closed        marco         ok   ok   02   02   02   02   02   ok   02    02    ok
    closed        oliver        03   03   03   03   03   03   03   03   03    02    03
    closed        anonymous     01   01   01   01   01   01   01   01   01    01    01
    """

struct AccessRow: Sendable {
    let kind: MatrixKind
    /// nil: an anonymous connection.
    let who: Who?
    let expected: [MatrixMethod: String]

    var visible: Bool { expected[.get] == "ok" }

    static let all: [AccessRow] = {
        var rows: [AccessRow] = []
        for line in accessTable.split(separator: "\n").dropFirst() {
            let cells = line.split(separator: " ").map(String.init)
            precondition(cells.count == 2 + MatrixMethod.allCases.count, "bad access table line: \(line)")
            let kind = MatrixKind(rawValue: cells[0])!
            let who = cells[1] == "anonymous" ? nil : Who(rawValue: cells[1])!
            rows.append(AccessRow(kind: kind, who: who, expected: Dictionary(uniqueKeysWithValues: zip(MatrixMethod.allCases, cells[2...]))))
        }
        return rows
    }()
}

/// A ticket of `kind`, made by the system; its id and version.
func makeMatrixTicket(_ kind: MatrixKind, word: String, system: RPCClient, world: TicketWorld) async throws -> (id: Int, version: Int) {
    var ticket = try await world.open(
        system, for: .giulia, subject: "Errore di sincronizzazione \(word)",
        body: "La sincronizzazione dei documenti si interrompe con un errore di timeout.")
    let id = ticket.ticketID
    switch kind {
    case .new:
        break
    case .bug, .vulnerability, .closed:
        ticket = try await system.ok("ticket.takeCharge", [
            "ticket": id, "classification": kind == .vulnerability ? "vulnerability" : "bug", "priority": 3,
            "assignee": world.id(.operatorA),
        ])
        if kind == .closed { ticket = try await system.ok("ticket.close", ["ticket": id]) }
    }
    #expect(ticket.string("status") == kind.status)
    return (id, try #require(ticket.int("version")))
}

/// What must not change when a call is refused: the ticket's fields and messages, and its
/// history apart from operators' "read" rows.
func ticketSnapshot(_ system: RPCClient, _ id: Int) async throws -> String {
    let ticket = try await system.ok("ticket.get", ["ticket": id])
    let history = try await system.ok("ticket.history", ["ticket": id]).objects("items") ?? []
    let fields: JSON = [
        "version": ticket.at("version") ?? NSNull(), "status": ticket.at("status") ?? NSNull(),
        "priority": ticket.at("priority") ?? NSNull(), "classification": ticket.at("classification") ?? NSNull(),
        "assignee": ticket.at("assignee") ?? NSNull(), "messages": ticket.objects("messages")?.count ?? -1,
        "history": history.filter { $0["action"] as? String != "read" }.count,
    ]
    return canonicalJSON(fields)
}

@Suite("Tickets: the access matrix", .ticketWorld([.admin, .careManager, .operatorA, .operatorB, .giulia, .marco, .oliver]))
struct TicketAccessTests {
    static let missingTicket = 999_999

    @Test("every principal × every kind of ticket × every method answers as the table says")
    func matrix() async throws {
        let world = try currentWorld()
        let system = try await world.connect(.system)
        defer { system.close() }
        var shared: [MatrixKind: (id: Int, word: String)] = [:]
        for kind in MatrixKind.allCases {
            let word = uniqueWord("mx")
            shared[kind] = (try await makeMatrixTicket(kind, word: word, system: system, world: world).id, word)
        }
        let sharedTickets = shared
        // One task per principal, each on its own connections; the kinds and methods in order.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for who in Who.allCases where who != .careManager2 {
                let rows = AccessRow.all.filter { $0.who == who }
                group.addTask {
                    let client = try await world.connect(who)
                    let maker = try await world.connect(.system)
                    defer {
                        client.close()
                        maker.close()
                    }
                    for row in rows {
                        try await Self.check(row, client: client, system: maker, shared: sharedTickets[row.kind]!, world: world)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    static func check(
        _ row: AccessRow, client: RPCClient, system: RPCClient, shared: (id: Int, word: String), world: TicketWorld
    ) async throws {
        let who = row.who!
        for method in MatrixMethod.allCases {
            let expected = row.expected[method]!
            let cell = "\(row.kind.rawValue) × \(who) × \(method.rawValue)"
            if method == .list {
                let listed = try await client.ok("ticket.list", ["query": shared.word])
                let ids = listed.objects("items")?.map(\.ticketID) ?? []
                #expect(ids == (expected == "ok" ? [shared.id] : []), "\(cell): listed \(ids), expected \(expected)")
                continue
            }
            // A successful change gets a ticket of its own; refusals use the shared one, which
            // must not change.
            let fresh = method.mutates && expected == "ok"
            let (target, version) = fresh
                ? try await makeMatrixTicket(row.kind, word: uniqueWord("mf"), system: system, world: world)
                : (shared.id, -1)
            let before = method.mutates && !fresh ? try await ticketSnapshot(system, target) : ""
            let reply = try await client.call(method.rawValue, method.params(ticket: target, word: shared.word, world: world))
            switch expected {
            case "ok":
                guard let result = reply.result else {
                    Issue.record("\(cell): expected success, got \(reply)")
                    continue
                }
                Self.checkEffect(method, row: row, result: result, ticket: target, version: version, world: world, cell: cell)
            default:
                let code = -32000 - Int(expected)!
                #expect(reply.errorCode == code, "\(cell): expected \(code), got \(reply)")
                if code == -32005 {
                    #expect(reply.errorData?["status"] as? String == row.kind.status, "\(cell): data.status in \(reply)")
                    #expect(reply.errorData?["allowed"] as? [String] == row.kind.allowedForManagers, "\(cell): data.allowed in \(reply)")
                }
            }
            if !row.visible {
                // No existence leak: exactly what a ticket that does not exist gets.
                let absent = try await client.call(
                    method.rawValue, method.params(ticket: missingTicket, word: shared.word, world: world))
                let hidden = canonicalJSON(reply.error ?? [:]).replacingOccurrences(of: "#\(target)", with: "#\(missingTicket)")
                #expect(hidden == canonicalJSON(absent.error ?? ["result": "none"]),
                        "\(cell): a hidden ticket must answer like a missing one:\n\(reply)\n\(absent)")
            }
            if method.mutates && !fresh {
                let after = try await ticketSnapshot(system, target)
                #expect(after == before, "\(cell): a refused call changed the ticket")
            }
        }
    }

    static func checkEffect(
        _ method: MatrixMethod, row: AccessRow, result: JSON, ticket: Int, version: Int, world: TicketWorld, cell: String
    ) {
        switch method {
        case .get:
            #expect(result.ticketID == ticket, "\(cell)")
            #expect(result.objects("messages")?.isEmpty == false, "\(cell)")
        case .history:
            #expect(result.objects("items")?.first?["action"] as? String == "open", "\(cell): \(result)")
        case .notifications:
            let items = result.objects("items") ?? []
            #expect(!items.isEmpty && items.allSatisfy { $0.int("ticket") == ticket }, "\(cell): \(items.count) rows")
            #expect(items.contains { $0["kind"] as? String == "receipt" }, "\(cell)")
        case .sla:
            #expect(result.string("clocks.chargeTaking.state") != nil, "\(cell): \(result)")
        case .list:
            break
        case .takeCharge:
            #expect(result.string("status") == "assigned" && result.string("classification") == "bug", "\(cell)")
            #expect(result.int("assignee.id") == world.id(.operatorA) && result.int("priority") == 2, "\(cell)")
        case .assign:
            #expect(result.int("assignee.id") == world.id(.operatorB) && result.string("status") == row.kind.status, "\(cell)")
        case .setPriority:
            #expect(result.int("priority") == 1, "\(cell)")
        case .requestClarification:
            #expect(result.string("status") == "waitingCustomer", "\(cell)")
        case .addMessage:
            if row.kind == .closed {
                // A contact's message on a closed ticket opens a follow-up ticket (docs/product.md §4–5).
                #expect(result.ticketID != ticket && result.int("followUpOf") == ticket, "\(cell): \(result)")
                #expect(result.string("status") == "new", "\(cell)")
                #expect(result.objects("messages")?.first?["text"] as? String == MatrixMethod.messageBody, "\(cell)")
                return
            }
            #expect(result.string("status") == row.kind.status, "\(cell)")
            #expect(result.objects("messages")?.last?["text"] as? String == MatrixMethod.messageBody, "\(cell)")
        case .close:
            #expect(result.string("status") == "closed", "\(cell)")
        }
        if method.mutates { #expect(result.int("version") == version + 1, "\(cell): one new version") }
    }

    @Test("an operator's ticket.get is recorded in the history as a read; a care manager's and a contact's are not")
    func operatorReadsAreRecorded() async throws {
        let world = try currentWorld()
        let system = try await world.client(.system)
        let (id, _) = try await makeMatrixTicket(.bug, word: uniqueWord("rd"), system: system, world: world)
        func history() async throws -> [JSON] { try await system.ok("ticket.history", ["ticket": id]).objects("items") ?? [] }
        let initial = try await history()
        #expect(initial.map { $0["action"] as? String } == ["open", "takeCharge"])
        for who in [Who.careManager, .admin, .giulia] {
            _ = try await world.client(who).ok("ticket.get", ["ticket": id])
        }
        #expect(try await history().count == initial.count, "reads by care managers, admins and contacts are not recorded")
        let before = Date()
        _ = try await world.client(.operatorA).ok("ticket.get", ["ticket": id])
        let after = try await history()
        #expect(after.count == initial.count + 1)
        let read = try #require(after.last)
        #expect(read["action"] as? String == "read")
        #expect((read["actor"] as? JSON)?.string("kind") == "staff")
        #expect((read["actor"] as? JSON)?.int("id") == world.id(.operatorA))
        #expect(read.date("at").map { $0 >= before.addingTimeInterval(-1) } == true)
        // A read changes nothing else.
        let ticket = try await system.ok("ticket.get", ["ticket": id])
        #expect(ticket.int("version") == 2)
        // Operator B, who may not see it, leaves no trace either.
        try await world.client(.operatorB).fails("ticket.get", ["ticket": id], code: -32003)
        #expect(try await history().count == after.count)
    }

    @Test("notification.list without a ticket: an operator pages through exactly the notifications of their tickets")
    func operatorNotificationPages() async throws {
        let world = try currentWorld()
        let system = try await world.client(.system)
        let operatorB = try await world.connect(.operatorB)
        defer { operatorB.close() }
        // A ticket of operator B's with two notifications, then newer ones on tickets not theirs.
        let mine = try await world.open(system, subject: "Stampa dei documenti \(uniqueWord("nt"))", body: "La stampa si blocca.")
        _ = try await system.ok("ticket.takeCharge", [
            "ticket": mine.ticketID, "classification": "bug", "priority": 3, "assignee": world.id(.operatorB),
        ])
        _ = try await system.ok("ticket.requestClarification", ["ticket": mine.ticketID, "message": "Quale stampante usate?"])
        for index in 1...3 {
            _ = try await world.open(system, subject: "Altro ticket \(index)", body: "Un ticket di un altro operatore.")
        }
        var seen: [Int] = []
        var tickets = Set<Int>()
        var cursor: String?
        for _ in 0..<1000 {
            var params: JSON = ["limit": 2]
            if let cursor { params["cursor"] = cursor }
            let page = try await operatorB.ok("notification.list", params)
            for row in page.objects("items") ?? [] {
                seen.append(row.int("id") ?? -1)
                tickets.insert(row.int("ticket") ?? -1)
            }
            guard let next = page.string("nextCursor") else { break }
            cursor = next
        }
        #expect(Set(seen).count == seen.count, "no notification twice")
        let mineRows = try await system.ok("notification.list", ["ticket": mine.ticketID]).objects("items")?.compactMap { $0.int("id") } ?? []
        #expect(mineRows.count == 2)
        #expect(Set(mineRows).isSubset(of: Set(seen)), "operator B must find the receipt and clarification of #\(mine.ticketID) by paging; saw \(seen)")
        for ticket in tickets {
            let assignee = try await system.ok("ticket.get", ["ticket": ticket]).int("assignee.id")
            #expect(assignee == world.id(.operatorB), "operator B listed a notification of #\(ticket), assigned to \(assignee.map(String.init) ?? "nobody")")
        }
    }

    @Test(
        "an anonymous connection gets -32001 from every ticket method, the same for every ticket and for none",
        .enabled(if: isRoot, "needs root to connect as another user"),
        .enabled(if: which("setpriv") != nil && which("socat") != nil, "needs setpriv and socat to connect as nobody"))
    func anonymous() async throws {
        let world = try currentWorld()
        let system = try await world.client(.system)
        var requests: [String] = []
        var labels: [Int: String] = [:]
        var tickets: [(MatrixKind?, Int, String)] = [(nil, Self.missingTicket, "none")]
        for kind in MatrixKind.allCases {
            let word = uniqueWord("an")
            tickets.append((kind, try await makeMatrixTicket(kind, word: word, system: system, world: world).id, word))
        }
        for (kind, id, word) in tickets {
            for method in MatrixMethod.allCases {
                let requestID = requests.count + 1
                let row = AccessRow.all.first { $0.kind == (kind ?? .new) && $0.who == nil }!
                #expect(row.expected[method] == "01")
                labels[requestID] = "\(kind?.rawValue ?? "missing") × \(method.rawValue)"
                let bytes = try RPCClient.request(id: requestID, method: method.rawValue, params: method.params(ticket: id, word: word, world: world))
                requests.append(String(decoding: bytes, as: UTF8.self))
            }
        }
        let directory = world.server.directory
        chmod(directory.path, 0o755)
        chmod(world.server.socketPath, 0o666)
        let file = directory.file("anonymous.jsonl")
        try requests.joined().write(toFile: file, atomically: true, encoding: .utf8)
        let input = try openForReading(file)
        defer { close(input) }
        let run = try await runCommand(
            which("setpriv")!,
            ["--reuid=nobody", "--regid=nogroup", "--clear-groups", which("socat")!, "-t", "3", "-", "UNIX-CONNECT:\(world.server.socketPath)"],
            directory: directory, name: "anonymous", stdin: input)
        #expect(run.status == 0, "socat as nobody: \(run.stderr)")
        let replies = try run.stdout.split(separator: "\n").map { try Reply(raw: Array($0.utf8)) }
        #expect(replies.count == requests.count, "\(replies.count) replies to \(requests.count) requests: \(run.stderr)")
        var errors = Set<String>()
        for reply in replies {
            let label = labels[Int(reply.rawID ?? "") ?? 0] ?? "?"
            #expect(reply.errorCode == -32001, "anonymous \(label): \(reply)")
            errors.insert(canonicalJSON(reply.error ?? [:]))
        }
        #expect(errors.count == 1, "one and the same error for every ticket, existing or not: \(errors)")
        // Nothing was changed by the anonymous attempts.
        for (kind, id, _) in tickets where kind != nil {
            #expect(try await system.ok("ticket.get", ["ticket": id]).string("status") == kind!.status)
        }
    }
}
