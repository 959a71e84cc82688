import Foundation
import Testing

@Suite("sportello audit export")
struct AuditExportTests {
    @Test("writes the audit events of the period as JSON Lines, oldest first; a backwards period is a usage error")
    func export() async throws {
        try requireBinary()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("audit.db")
        let seed = try await runCommand(
            sportelloBinary, ["seed-demo", "--database", database, "--tickets", "4", "--customers", "1"], directory: directory,
            name: "seed", timeout: 60)
        #expect(seed.status == 0, "\(seed.stderr)")

        let all = try await runCommand(
            sportelloBinary, ["audit", "export", "--database", database, "--from", "2000-01-01T00:00:00Z", "--to", "2100-01-01T00:00:00Z"],
            directory: directory, name: "export")
        #expect(all.status == 0, "\(all.stderr)")
        let lines = all.stdout.split(separator: "\n")
        #expect(lines.count >= 4)  // at least each ticket's opening
        var previous = 0
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let id = try #require(object["id"] as? Int)
            #expect(id > previous)
            previous = id
            #expect(object["at"] is String && object["action"] is String && object["actor"] is [String: Any])
            #expect((object["object"] as? [String: Any])?["kind"] is String)
        }

        let none = try await runCommand(
            sportelloBinary, ["audit", "export", "--database", database, "--from", "2000-01-01T00:00:00Z", "--to", "2000-01-02T00:00:00Z"],
            directory: directory, name: "export-empty")
        #expect(none.status == 0 && none.stdout.isEmpty, "\(none)")
        let backwards = try await runCommand(
            sportelloBinary, ["audit", "export", "--database", database, "--from", "2001-01-01T00:00:00Z", "--to", "2000-01-01T00:00:00Z"],
            directory: directory, name: "export-backwards")
        #expect(backwards.status != 0 && backwards.stderr.contains("--to must be after --from"), "\(backwards)")
    }
}
