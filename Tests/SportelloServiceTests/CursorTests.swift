import Foundation
import JSONRPC
@testable import SportelloService
import SportelloDomain
import Testing

// A list's cursor works only with the list, filters and caller it came from: anything else —
// forged, edited, from another list or another filter — is -32602 naming params.cursor.
@Suite struct CursorTests {
    let system = CallContext(transport: .socket, principal: .system)

    @Test("HMAC-SHA256 matches the RFC 4231 vectors")
    func hmacVectors() {
        func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
        #expect(hex(Hashes.hmacSHA256(Array("Hi There".utf8), key: Array(repeating: 0x0b, count: 20)))
            == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(hex(Hashes.hmacSHA256(Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8)))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(hex(Hashes.hmacSHA256(
            Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8), key: Array(repeating: 0xaa, count: 131)))
            == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test("a cursor's bytes are those earlier versions handed out, so cursors in flight stay valid")
    func cursorWireFormat() throws {
        // Version 2, position 42 big-endian, the first 16 bytes of HMAC-SHA256 under the key
        // 00 01 … 1f over ["ticket.list",[["caller","system"],["customer",1],["status",null]],42].
        let cursor = ListCursor(key: Array(0..<32), list: "ticket.list", caller: .system,
                                filters: [("customer", .int(1)), ("status", .null)])
        let golden = "AgAAAAAAAAAqViLZWSr76N0LoIvczTeKLw"
        #expect(cursor.encode(42) == golden)
        #expect(try cursor.decode(golden) == 42)
        // One bit off in the tag, or the tag cut short: refused.
        var flipped = try #require(Base64URL.decode(golden))
        flipped[flipped.count - 1] ^= 1
        #expect(throws: RPCError.self) { try cursor.decode(Base64URL.encode(flipped)) }
        #expect(throws: RPCError.self) { try cursor.decode(Base64URL.encode(Array(flipped.dropLast()))) }
    }

    @Test("a cursor is accepted only by the list, filters and caller that returned it")
    func cursorsAreBound() async throws {
        let harness = try AccountHarness()
        defer { harness.cleanUp() }
        try await harness.makeAcme()
        _ = try await harness.ok("customer.create", ["code": "BETA", "name": "Beta S.r.l.", "language": "it"], as: system)
        try await harness.openTickets(["Uno", "Due", "Tre"])
        // Paging through the same list works, and pages do not repeat.
        let first = try await harness.ok("ticket.list", ["limit": 2, "customer": "ACME"], as: system)
        let cursor = try #require(first["nextCursor"])
        #expect(cursor != .null)
        let second = try await harness.ok("ticket.list", ["limit": 2, "customer": "ACME", "cursor": cursor], as: system)
        #expect(second["items"]?[0]?["id"] == 1 && second["nextCursor"] == .null)
        // The same filter named another way (the customer by id) is the same list.
        _ = try await harness.ok("ticket.list", ["limit": 5, "customer": 1, "cursor": cursor], as: system)

        func refused(_ method: String, _ params: JSONValue, as context: CallContext, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let error = try await harness.fails(method, params, as: context, code: -32602, sourceLocation: sourceLocation)
            #expect(error["data"]?["field"] == "params.cursor", sourceLocation: sourceLocation)
        }
        // Another filter, another list, another caller.
        try await refused("ticket.list", ["limit": 2, "cursor": cursor], as: system)
        try await refused("ticket.list", ["limit": 2, "customer": "ACME", "status": "new", "cursor": cursor], as: system)
        try await refused("ticket.list", ["limit": 2, "customer": "ACME", "query": "Tre", "cursor": cursor], as: system)
        try await refused("notification.list", ["cursor": cursor], as: system)
        try await refused("customer.list", ["cursor": cursor], as: system)
        let admin = CallContext(transport: .socket, principal: .staff(id: 1, role: .admin))
        try await refused("ticket.list", ["limit": 2, "customer": "ACME", "cursor": cursor], as: admin)
        // Forged: the old bare form "k1:15", and a real cursor with its position changed.
        try await refused("ticket.list", ["customer": "ACME", "cursor": .string(Base64URL.encode(Array("k1:15".utf8)))], as: system)
        let cursorText = try #require(cursor.stringValue)
        var bytes = try #require(Base64URL.decode(cursorText))
        bytes[8] ^= 0x01
        try await refused("ticket.list", ["limit": 2, "customer": "ACME", "cursor": .string(Base64URL.encode(bytes))], as: system)

        // customer.list's and notification.list's cursors are bound the same way.
        let customers = try await harness.ok("customer.list", ["limit": 1], as: system)
        let customerCursor = try #require(customers["nextCursor"])
        _ = try await harness.ok("customer.list", ["limit": 1, "cursor": customerCursor], as: system)
        try await refused("customer.list", ["limit": 1, "query": "a", "cursor": customerCursor], as: system)
        try await refused("ticket.list", ["cursor": customerCursor], as: system)
        let notifications = try await harness.ok("notification.list", ["limit": 1], as: system)
        let notificationCursor = try #require(notifications["nextCursor"])
        _ = try await harness.ok("notification.list", ["limit": 1, "cursor": notificationCursor], as: system)
        try await refused("notification.list", ["limit": 1, "kind": "receipt", "cursor": notificationCursor], as: system)
    }
}

extension JSONValue {
    fileprivate subscript(index: Int) -> JSONValue? {
        guard case .array(let values) = self, values.indices.contains(index) else { return nil }
        return values[index]
    }
}
