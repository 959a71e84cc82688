import Foundation
import JSONRPC
import Logging
import SportelloService
import SportelloStore
import Testing

/// The registry and the OpenRPC document describe the same methods, and the embedded document
/// is exactly the committed schema/sportello.openrpc.json.
@Suite struct ContractTests {
    static func makeService() throws -> (SportelloService, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sportello-\(UUID().uuidString)")
        let path = directory.appendingPathComponent("test.db").path
        let database = try SportelloDatabase(path: path)
        let service = SportelloService(environment: ServiceEnvironment(database: database, logger: Logger(label: "test")))
        return (service, directory.path)
    }

    @Test func registeredMethodsEqualTheDocumentedOnes() throws {
        let (service, directory) = try Self.makeService()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registered = service.makeRegistry().methodNames
        let documented = OpenRPCDocument.methodNames
        #expect(!documented.isEmpty)
        #expect(registered.subtracting(documented).sorted() == [], "registered but not in the schema")
        #expect(documented.subtracting(registered).sorted() == [], "in the schema but not registered")
    }

    @Test func embeddedDocumentIsTheCommittedSchema() throws {
        let schema = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("schema/sportello.openrpc.json")
        let committed = try JSONParser.parse(Array(try Data(contentsOf: schema)))
        // Compared whole; reported by method so that a stale build says what differs.
        if committed != OpenRPCDocument.json {
            let names = { (document: JSONValue) -> [String] in
                guard case .array(let methods)? = document["methods"] else { return [] }
                return methods.compactMap { $0["name"]?.stringValue }
            }
            Issue.record("the embedded OpenRPC document differs from schema/; rebuild. committed: \(names(committed)), embedded: \(names(OpenRPCDocument.json))")
        }
        #expect(OpenRPCDocument.schemaVersion == committed["info"]?["version"]?.stringValue)
    }

    @Test("a contact naming another existing customer in ticket.open gets -32003, as the schema says")
    func contactNamingAnotherCustomer() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        let system = CallContext(transport: .socket, principal: .system)
        try await harness.makeAcme()
        _ = try await harness.ok("customer.create", ["code": "OTHER", "name": "Other S.p.A.", "language": "it"], as: system)
        let contact = CallContext(transport: .socket, principal: .contact(id: 1, customer: 1))
        let ticket: JSONValue = ["product": "zenshare-suite", "channel": "portal", "subject": "Accesso", "body": "Non riesco ad accedere."]
        func opening(_ customer: JSONValue) -> JSONValue {
            guard case .object(var object) = ticket else { return ticket }
            object["customer"] = customer
            return .object(object)
        }
        // Another company's code or id answers exactly like a code that does not exist.
        let other = try await harness.fails("ticket.open", opening("OTHER"), as: contact, code: -32003)
        let byID = try await harness.fails("ticket.open", opening(2), as: contact, code: -32003)
        let missing = try await harness.fails("ticket.open", opening("NOBODY"), as: contact, code: -32003)
        #expect(other["data"]?["field"] == "params.customer" && byID["data"]?["field"] == "params.customer")
        #expect(missing["data"]?["field"] == "params.customer")

        guard case .array(let methods)? = OpenRPCDocument.json["methods"],
            let open = methods.first(where: { $0["name"] == "ticket.open" }),
            let description = open["description"]?.stringValue
        else {
            Issue.record("no ticket.open in the schema")
            return
        }
        #expect(description.contains("naming another customer is -32003"), "\(description)")
        #expect(!description.contains("another customer is -32002"), "\(description)")
    }

    @Test func principalFollowsTransportAndPeerCredentials() {
        #expect(CallContext.forConnection(transport: .stdio, peerUID: nil).principal == .system)
        #expect(CallContext.forConnection(transport: .socket, peerUID: 0, serverUID: 998).principal == .system)
        #expect(CallContext.forConnection(transport: .socket, peerUID: 998, serverUID: 998).principal == .system)
        #expect(CallContext.forConnection(transport: .socket, peerUID: 1000, serverUID: 998).principal == nil)
        #expect(CallContext.forConnection(transport: .socket, peerUID: nil, serverUID: 998).principal == nil)
    }

    @Test func pingAndInfoAnswerThroughTheDispatcher() async throws {
        let (service, directory) = try Self.makeService()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let dispatcher = service.makeDispatcher()
        let context = CallContext(transport: .socket, principal: nil)
        let request = #"[{"jsonrpc":"2.0","id":1,"method":"server.ping"},{"jsonrpc":"2.0","id":2,"method":"server.info","params":{}}]"#
        let reply = try #require(await dispatcher.handle(message: Array(request.utf8), context: context))
        guard case .array(let replies) = try JSONParser.parse(reply) else {
            Issue.record("batch reply is not an array")
            return
        }
        #expect(replies.count == 2)
        #expect(replies[0]["result"]?["pong"] == .bool(true))
        let time = try #require(replies[0]["result"]?["time"]?.stringValue)
        #expect(RFC3339.parse(time) != nil)
        #expect(replies[1]["result"]?["principal"]?["kind"] == .string("anonymous"))
        #expect(replies[1]["result"]?["transport"] == .string("socket"))
        #expect(replies[1]["result"]?["database"]?.stringValue?.hasSuffix("test.db") == true)
    }
}

@Suite struct RFC3339Tests {
    @Test(arguments: [
        ("2026-12-04T17:00:00Z", 1_796_403_600.0),
        ("2026-12-04T18:00:00+01:00", 1_796_403_600.0),
        ("2026-12-04T12:30:00-04:30", 1_796_403_600.0),
        ("2026-12-04t17:00:00z", 1_796_403_600.0),
        ("2026-12-04T17:00:00.250Z", 1_796_403_600.25),
        ("1970-01-01T00:00:00Z", 0.0),
    ])
    func parsesAnyOffset(text: String, seconds: Double) throws {
        let date = try #require(RFC3339.parse(text))
        #expect(date.timeIntervalSince1970 == seconds)
    }

    @Test(arguments: [
        "", "2026-12-04", "2026-12-04T17:00:00", "2026-13-04T17:00:00Z", "2026-02-30T17:00:00Z",
        "2026-12-04T24:00:00Z", "2026-12-04T17:00:00+1:00", "2026-12-04T17:00:00Zjunk", "yesterday",
    ])
    func rejectsMalformed(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test func formatsInUTCWithZ() {
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_796_403_600)) == "2026-12-04T17:00:00Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_796_403_600.5)) == "2026-12-04T17:00:00.500Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: -86400)) == "1969-12-31T00:00:00Z")
    }

    @Test func roundTripsEveryDayForTwoCenturies() throws {
        var seconds = -2_208_988_800.0  // 1900-01-01
        while seconds < 4_102_444_800 {  // 2100-01-01
            let date = Date(timeIntervalSince1970: seconds + 3723)
            #expect(RFC3339.parse(RFC3339.format(date)) == date)
            seconds += 86400 * 13
        }
    }
}
