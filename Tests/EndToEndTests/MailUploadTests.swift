import Foundation
import Testing

// A message handed in with mail.upload pieces and taken by mail.ingest {parts}, as
// sportello-mailgate sends every message (docs/product.md §8, "Mail in"): over the real
// socket, with the pieces as notifications (no reply) the way the gateway writes them.

extension RPCClient {
    /// A JSON-RPC notification: no id, so the server sends nothing back.
    func notify(_ method: String, _ params: JSON) async throws {
        let data = try JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "method": method, "params": params])
        try await connection.send(Array(data) + [0x0A])
    }

    /// `raw`'s base64 cut at `cuts` (character offsets, anywhere in a group of four), each
    /// piece a mail.upload notification.
    func upload(_ raw: [UInt8], cuts: [Int]) async throws -> Int {
        let text = Array(Data(raw).base64EncodedString().utf8)
        var pieces: [String] = []
        var start = 0
        for cut in cuts + [text.count] {
            pieces.append(String(decoding: text[start..<cut], as: UTF8.self))
            start = cut
        }
        for piece in pieces { try await notify("mail.upload", ["data": piece]) }
        return pieces.count
    }
}

@Suite("Mail in pieces", .serialized)
struct MailUploadTests {
    static let accounts: [Who] = [.careManager, .giulia]

    static func mail(_ id: String, body: String = "Buongiorno,\nil gestionale non stampa.") -> [UInt8] {
        rawMail(from: "Giulia Bianchi <giulia.bianchi@rossi-logistica.it>", subject: "Stampa \(id)", messageID: "\(id)@rossi-logistica.it",
                body: body)
    }

    @Test("a message in pieces cut inside base64 groups becomes the ticket it would have been whole, and its raw copy is the message byte for byte")
    func piecesMakeTheMessage() async throws {
        let world = try await TicketWorld.make(Self.accounts)
        defer { world.stop() }
        let system = try await world.client(.system)
        let raw = Self.mail("pieces-1", body: String(repeating: "Il gestionale non stampa le fatture di novembre.\n", count: 40))
        // 1 and 7 are inside the first and second groups; the last cut leaves a lone character.
        let text = Data(raw).base64EncodedString()
        let parts = try await system.upload(raw, cuts: [1, 7, 1_000, text.count - 1])
        let opened = try await system.ok("mail.ingest", ["parts": parts])
        #expect(opened.string("outcome") == "opened")
        #expect(opened.string("sender") == "contact")
        let ticket = try await system.ok("ticket.get", ["ticket": try #require(opened.int("ticket"))])
        #expect(ticket.string("subject") == "Stampa pieces-1")
        #expect(ticket.objects("messages")?.first?.string("text")?.hasPrefix("Il gestionale non stampa le fatture di novembre.\n") == true)
        let stored = try await system.ok("mail.get", ["mail": try #require(opened.int("mail"))])
        #expect(stored.string("raw").flatMap { Data(base64Encoded: $0) } == Data(raw))
        #expect(stored.int("size") == raw.count)

        // Sent as requests, the pieces answer how far the message got.
        let first = try await system.ok("mail.upload", ["data": String(text.prefix(10))])
        #expect(first.int("parts") == 1)
        #expect(first.int("bytes") == 6, "two whole groups of four characters are 6 bytes; the 2 characters left wait for the next piece")
        let second = try await system.ok("mail.upload", ["data": String(text.dropFirst(10))])
        #expect(second.int("parts") == 2)
        #expect(second.int("bytes") == raw.count)
        let again = try await system.ok("mail.ingest", ["parts": 2])
        #expect(again.string("outcome") == "ignored")
        #expect(again.string("reason") == "duplicate", "the same Message-ID, in pieces or whole")
    }

    @Test("a lost piece, a piece that is not base64, a message past 25 MiB or pieces ending inside a group: a clear error naming the field, nothing stored, and the next message starts clean")
    func badPieces() async throws {
        let world = try await TicketWorld.make(Self.accounts)
        defer { world.stop() }
        let system = try await world.client(.system)
        let before = try await system.ingest(Self.mail("before")).int("mail") ?? 0

        // Two pieces sent, three announced.
        _ = try await system.upload(Self.mail("lost"), cuts: [40])
        let lost = try await system.fails("mail.ingest", ["parts": 3], code: -32602)
        #expect(lost.string("data.field") == "params.parts")
        #expect(lost.string("data.reason") == "3 announced, 2 received on this connection since the last mail.ingest")
        // ...and nothing is left over: the next ingest has no pieces.
        let none = try await system.fails("mail.ingest", ["parts": 1], code: -32602)
        #expect(none.string("data.reason") == "1 announced, 0 received on this connection since the last mail.ingest")

        // A piece that is not base64 is refused and not counted; the message goes on.
        let raw = Self.mail("refused-piece")
        let text = Data(raw).base64EncodedString()
        _ = try await system.ok("mail.upload", ["data": String(text.prefix(21))])
        let bad = try await system.fails("mail.upload", ["data": "QUJD!"], code: -32602)
        #expect(bad.string("data.field") == "params.data")
        #expect(bad.string("data.reason") == "must be base64")
        _ = try await system.ok("mail.upload", ["data": String(text.dropFirst(21))])
        let taken = try await system.ok("mail.ingest", ["parts": 2])
        #expect(taken.string("outcome") == "opened")
        let afterRefused = try await system.ok("mail.get", ["mail": try #require(taken.int("mail"))])
        #expect(afterRefused.string("raw").flatMap { Data(base64Encoded: $0) } == Data(raw), "the refused piece left no trace")

        // Pieces that end inside a group of four: a piece is missing.
        let cutShort = Data(Self.mail("cut-short")).base64EncodedString().prefix(103)
        try await system.notify("mail.upload", ["data": String(cutShort.prefix(50))])
        try await system.notify("mail.upload", ["data": String(cutShort.dropFirst(50))])
        let short = try await system.fails("mail.ingest", ["parts": 2], code: -32602)
        #expect(short.string("data.reason") == "the pieces end inside a base64 group: the message was dropped")

        // Past 25 MiB (in pieces under the connection's 1 MiB line): the piece that passes it is
        // refused, the rest only counted, and the ingest refused. 800,000 characters are
        // 600,000 bytes; 43 pieces are 25,800,000 bytes, the 44th passes 26,214,400 (25 MiB).
        let chunk = String(repeating: "QUJD", count: 200_000)
        for _ in 0..<43 { try await system.notify("mail.upload", ["data": chunk]) }
        let over = try await system.fails("mail.upload", ["data": chunk], code: -32602)
        #expect(over.string("data.field") == "params.data")
        #expect(over.string("data.reason")?.contains("25 MiB") == true)
        let counted = try await system.fails("mail.upload", ["data": "QUJD"], code: -32602)
        #expect(counted.string("data.reason")?.contains("dropped") == true)
        let refused = try await system.fails("mail.ingest", ["parts": 45], code: -32602)
        #expect(refused.string("data.field") == "params.parts")
        #expect(refused.string("data.reason")?.contains("25 MiB") == true)

        // raw and parts together, or neither.
        let both = try await system.fails("mail.ingest", ["raw": Data(Self.mail("both")).base64EncodedString(), "parts": 1], code: -32602)
        #expect(both.string("data.field") == "params.parts")
        let neither = try await system.fails("mail.ingest", [:], code: -32602)
        #expect(neither.string("data.field") == "params.raw")
        let zero = try await system.fails("mail.ingest", ["parts": 0], code: -32602)
        #expect(zero.string("data.field") == "params.parts")

        // Nothing of the refused messages was stored.
        let next = try await system.ingest(Self.mail("after"))
        #expect(next.int("mail") == before + 2, "only the message with the refused piece was stored in between")
    }

    @Test("the message being built belongs to its connection: pieces sent on one are not taken by another, and closing it drops them")
    func piecesBelongToTheirConnection() async throws {
        let world = try await TicketWorld.make(Self.accounts)
        defer { world.stop() }
        let one = try await world.connect(.system)
        let other = try await world.connect(.system)
        let parts = try await one.upload(Self.mail("mine"), cuts: [16])
        let elsewhere = try await other.fails("mail.ingest", ["parts": parts], code: -32602)
        #expect(elsewhere.string("data.reason") == "\(parts) announced, 0 received on this connection since the last mail.ingest")
        #expect(try await one.ok("mail.ingest", ["parts": parts]).string("outcome") == "opened")
        _ = try await one.upload(Self.mail("left"), cuts: [])
        one.close()
        let third = try await world.connect(.system)
        #expect(try await third.fails("mail.ingest", ["parts": 1], code: -32602).string("data.field") == "params.parts")
        other.close()
        third.close()

        // A contact may not hand mail in, in pieces or whole.
        let giulia = try await world.client(.giulia)
        try await giulia.fails("mail.upload", ["data": "QUJD"], code: -32002)
    }
}
