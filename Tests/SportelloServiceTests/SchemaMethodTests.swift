import Foundation
import JSONRPC
@testable import SportelloService
import SportelloDomain
import Testing

/// The method types generated from schema/sportello.openrpc.json agree with the document they
/// came from and with the registry that serves them, and the access the document declares for
/// every method is what the server enforces.
@Suite struct SchemaMethodTests {
    /// The document's method objects, by name.
    static let documented: [String: JSONValue] = {
        guard case .array(let methods)? = OpenRPCDocument.json["methods"] else { return [:] }
        return Dictionary(methods.compactMap { method in method["name"]?.stringValue.map { ($0, method) } }) { first, _ in first }
    }()

    @Test func generatedMethodsAreDocumentedAndRegisteredOnce() throws {
        let (service, directory) = try ContractTests.makeService()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registered = service.makeRegistry().methodNames
        let names = generatedMethods.map { $0.name }
        #expect(!names.isEmpty)
        #expect(Set(names).count == names.count, "a method generated twice: \(names)")
        for name in names {
            #expect(Self.documented[name] != nil, "\(name) is generated but not in the schema")
            #expect(registered.contains(name), "\(name) is generated but not registered")
        }
        // Every method in the document is generated: none is declared by hand any more.
        #expect(Set(names) == Set(Self.documented.keys))
    }

    @Test func generatedAccessIsTheSchemasXAccess() {
        for method in generatedMethods {
            let declared = Self.documented[method.name]?["x-access"]
            #expect(declared == .array([.string(method.access.rawValue)]), "\(method.name): \(String(describing: declared))")
        }
    }

    /// Every example pairing of every generated method: its params decode into the generated
    /// `Params`, its result into the generated `Result`, and the result encodes back to the
    /// example (so the generated types speak the document's wire format, explicit nulls
    /// included). An example of an error reply has no result to check.
    @Test func everyExampleDecodesIntoTheGeneratedTypes() throws {
        var pairings = 0
        for method in generatedMethods {
            pairings += try Self.checkExamples(of: method)
        }
        #expect(pairings >= generatedMethods.count)
    }

    static func checkExamples<M: SchemaMethod>(of method: M.Type) throws -> Int {
        guard case .array(let examples)? = documented[M.name]?["examples"], !examples.isEmpty else {
            Issue.record("\(M.name) has no examples")
            return 0
        }
        for example in examples {
            let label = "\(M.name), example \(example["name"]?.stringValue ?? "?")"
            var params = JSONObject()
            if case .array(let pairs)? = example["params"] {
                for pair in pairs {
                    guard let name = pair["name"]?.stringValue, let value = pair["value"] else {
                        Issue.record("\(label): a param pairing without name or value")
                        continue
                    }
                    params[name] = value
                }
            }
            let value = try #require(example["result"]?["value"], "\(label): no result value")
            if let error = value["error"] {
                // An example of an error reply (`{"error": {...}}`, as the contract tests read
                // it): its params decode unless the error is about them; there is no result.
                if error["code"] != .int(-32602) {
                    #expect(throws: Never.self, "\(label): params") {
                        _ = try JSONValueDecoder().decode(M.Params.self, from: .object(params))
                    }
                }
                continue
            }
            #expect(throws: Never.self, "\(label): params") {
                _ = try JSONValueDecoder().decode(M.Params.self, from: .object(params))
            }
            let result: M.Result
            do {
                result = try JSONValueDecoder().decode(M.Result.self, from: value)
            } catch {
                Issue.record("\(label): the result does not decode: \(error)")
                continue
            }
            #expect(try JSONValueEncoder().encode(result) == value, "\(label): the result does not encode back to the example")
        }
        return examples.count
    }

    /// Called with empty params (the callers it admits then get -32602 or an answer, never a
    /// change), each method refuses exactly the callers its `x-access` leaves out: -32001 for
    /// the anonymous, -32002 for a caller of the wrong kind. For every method, generated or not.
    @Test func everyMethodEnforcesItsXAccess() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        let callers: [(String, Principal?)] = [
            ("anonymous", nil), ("a contact", .contact(id: 1, customer: 1)), ("an operator", .staff(id: 1, role: .operator)),
            ("a care manager", .staff(id: 2, role: .careManager)), ("an admin", .staff(id: 3, role: .admin)), ("the system", .system),
        ]
        // Who each level turns away, by the callers' labels above.
        let refused: [MethodAccess: [String: Int]] = [
            .anyone: [:],
            .signedIn: ["anonymous": -32001],
            .staff: ["anonymous": -32001, "a contact": -32002],
            .managers: ["anonymous": -32001, "a contact": -32002, "an operator": -32002],
            .admin: ["anonymous": -32001, "a contact": -32002, "an operator": -32002, "a care manager": -32002],
            .mailgate: ["anonymous": -32001, "a contact": -32002, "an operator": -32002, "a care manager": -32002],
        ]
        #expect(Self.documented.count > 30)
        for (name, method) in Self.documented.sorted(by: { $0.key < $1.key }) {
            guard case .array(let levels)? = method["x-access"], levels.count == 1,
                let level = levels[0].stringValue.flatMap(MethodAccess.init(rawValue:))
            else {
                Issue.record("\(name) has no valid x-access")
                continue
            }
            // The mail gateway may call mail.ingest, mail.upload and server.*, nothing else.
            let gateway = try await harness.call(name, [:], as: CallContext(transport: .socket, principal: nil, isMailGateway: true))
            if level == .mailgate || (name.hasPrefix("server.") && level == .anyone) {
                #expect(gateway["error"]?["code"] != .int(-32001) && gateway["error"]?["code"] != .int(-32002), "\(name) refused the mail gateway: \(gateway)")
            } else if name.hasPrefix("server.") {
                // A server.* method for admins: the gate lets it through to its own check, where the
                // gateway is nobody.
                #expect(gateway["error"]?["code"] == .int(-32001), "\(name) (\(level)) called by the mail gateway: \(gateway)")
            } else {
                #expect(gateway["error"]?["code"] == .int(-32002), "\(name) (\(level)) called by the mail gateway: \(gateway)")
            }
            for (label, principal) in callers {
                let reply = try await harness.call(name, [:], as: CallContext(transport: .socket, principal: principal))
                let code = reply["error"]?["code"]
                if let expected = refused[level]?[label] {
                    #expect(code == .int(Int64(expected)), "\(name) (\(level)) called by \(label): \(reply)")
                } else {
                    #expect(code != .int(-32001) && code != .int(-32002), "\(name) (\(level)) refused \(label): \(reply)")
                }
            }
        }
    }
}
