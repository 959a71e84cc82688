import Foundation
import Testing

/// A full disk answers -32603 with a clear message, changes nothing, and the server
/// keeps serving. The database lives on a 1000 KiB tmpfs (needs root to mount; skipped otherwise).
@Suite("a full disk")
struct DiskFullTests {
    @Test("a write that does not fit is -32603 saying the disk is full; nothing half-written; the server goes on")
    func fullDisk() async throws {
        guard getuid() == 0 else { return }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let volume = directory.file("volume")
        try FileManager.default.createDirectory(atPath: volume, withIntermediateDirectories: true)
        guard Glibc.mount("tmpfs", volume, "tmpfs", 0, "size=1000k") == 0 else { return }  // no tmpfs here
        defer { _ = umount2(volume, 2 /* MNT_DETACH */) }

        let server = try await SocketServer(directory: directory, databasePath: volume + "/sportello.db")
        defer { server.stop() }
        let client = RPCClient(try server.connect(), who: "system")
        _ = try await client.ok("customer.create", ["code": "FULL", "name": "Full S.r.l.", "language": "it", "email": "it@full.example"])
        _ = try await client.ok("contact.create", ["customer": "FULL", "name": "Mario Rossi", "email": "mario@full.example"])

        let body = "Buongiorno, " + String(repeating: "x", count: 250_000)
        let reply = try await client.call("ticket.open", [
            "contact": 1, "product": "zenshare-up", "subject": "Allegato grande", "body": body, "channel": "email",
        ])
        #expect(reply.errorCode == -32603, "\(reply)")
        #expect((reply.errorData?["reason"] as? String)?.contains("disk is full") == true, "\(reply)")
        // Nothing half-written: no ticket, no outbox row.
        let list = try await client.ok("ticket.list", [:])
        #expect((list["items"] as? [Any])?.isEmpty == true, "\(list)")
        let notifications = try await client.ok("notification.list", [:])
        #expect((notifications["items"] as? [Any])?.isEmpty == true)
        // And the server still answers.
        _ = try await client.ok("server.ping", [:])
    }
}
