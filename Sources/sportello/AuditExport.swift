import ArgumentParser
import Foundation
import JSONRPC
import SportelloService
import SportelloStore

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The audit trail, for an auditor.", subcommands: [AuditExport.self])
}

/// `sportello audit export --from 2026-12-01T00:00:00Z --to 2027-01-01T00:00:00Z`: the audit
/// events with `at` in [from, to), oldest first, one JSON object a line on standard output:
/// `{"id", "at", "actor": {"kind", "id"}, "action", "object": {"kind", "id"}, "changes"?,
/// "transport"}` (the items of `audit.list`, with their id). Reads only; runs beside a server.
struct AuditExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write the audit events of a period as JSON Lines on standard output.")

    @OptionGroup var database: DatabaseOption

    @Option(help: ArgumentHelp("The first instant included (RFC 3339).", valueName: "instant"))
    var from: String

    @Option(help: ArgumentHelp("The first instant excluded (RFC 3339).", valueName: "instant"))
    var to: String

    func validate() throws {
        guard let start = RFC3339.parse(from) else { throw ValidationError("--from is not an RFC 3339 instant: \(from)") }
        guard let end = RFC3339.parse(to) else { throw ValidationError("--to is not an RFC 3339 instant: \(to)") }
        guard start < end else { throw ValidationError("--to must be after --from") }
    }

    func run() async throws {
        let store = try database.open()
        let start = RFC3339.parse(from)!
        let end = RFC3339.parse(to)!
        var after: Int64 = 0
        let output = FileHandle.standardOutput
        while true {
            let position = after
            let rows = try await store.read { tx in
                try PortalStore.auditEventsForExport(tx, from: start, to: end, after: position, limit: 1000)
            }
            if rows.isEmpty { break }
            var chunk: [UInt8] = []
            for row in rows {
                let changes = row.changes.flatMap { text in
                    text == "{}" ? nil : try? JSONParser.parse(Array(text.utf8))
                }
                let at: JSONValue = .string(StoreTime.date(row.at).map(RFC3339.format) ?? row.at)
                let actor: JSONValue = ["kind": .string(row.actorKind), "id": row.actorID.map { .int($0) } ?? .null]
                let object: JSONValue = ["kind": .string(row.objectKind), "id": row.objectID.map { .int($0) } ?? .null]
                let transport: JSONValue = row.transport.map { .string($0) } ?? .null
                let line: JSONValue =
                    if let changes {
                        ["id": .int(row.id), "at": at, "actor": actor, "action": .string(row.action), "object": object,
                         "changes": changes, "transport": transport]
                    } else {
                        ["id": .int(row.id), "at": at, "actor": actor, "action": .string(row.action), "object": object,
                         "transport": transport]
                    }
                chunk += JSONSerializer.serialize(line) + [0x0A]
            }
            output.write(Data(chunk))
            after = rows.last!.id
        }
    }
}
