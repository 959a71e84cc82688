import Foundation

/// One figure of `make bench`.
struct BenchResult {
    let name: String
    let value: Double
    let unit: String
    let note: String
}

/// `sportello-bench --server PATH [--only NAME]`: measures the figures the issues name, each
/// beside its baseline in the same run, and prints them as a table.
@main
struct Bench {
    static func main() throws {
        var arguments = CommandLine.arguments.dropFirst()
        var server = ".build/release/sportello"
        var only: String?
        while let argument = arguments.popFirst() {
            switch argument {
            case "--server": server = arguments.popFirst() ?? server
            case "--only": only = arguments.popFirst()
            case "--echo": try EchoServer.run(path: arguments.popFirst() ?? "echo.sock")
            case "--bounded-echo": try EchoServer.run(path: arguments.popFirst() ?? "echo.sock", bounded: true)
            default:
                FileHandle.standardError.write(Data("usage: sportello-bench [--server PATH] [--only server|tickets|durability|calendar|paidwork|delivery|ingest|availability|accounts|escalation|events|mcp]\n".utf8))
                exit(2)
            }
        }
        var results: [BenchResult] = []
        if only == nil || only == "server" {
            results += try ServerBenchmarks(serverBinary: server).run()
        }
        if only == nil || only == "tickets" {
            results += try TicketBenchmarks(serverBinary: server).run()
        }
        if only == nil || only == "durability" {
            results += try DurabilityBenchmarks(serverBinary: server).run()
        }
        if only == nil || only == "paidwork" {
            results += try PaidWorkBenchmarks(serverBinary: server).run()
        }
        if only == nil || only == "escalation" {
            results += try EscalationBenchmarks(serverBinary: server).run()
        }
        if only == nil || only == "accounts" {
            results += try AccountsBenchmarks(serverBinary: server).run()
        }
        if only == nil || only == "delivery" {
            results += try DeliveryBenchmarks(serverBinary: server).run()
        }
        if only == nil || only == "ingest" {
            results += try IngestBenchmarks(serverBinary: server).run()
        }
        if only == nil || only == "calendar" {
            results += runCalendarBenchmarks()
        }
        if only == nil || only == "events" {
            results += try EventsBenchmarks(serverBinary: server).run()
        }
        if only == nil || only == "availability" {
            results += try AvailabilityBenchmarks(serverBinary: server).run()
        }
        if only == nil || only == "mcp" {
            results += try MCPBenchmarks(serverBinary: server).run()
        }
        print("")
        print(String(repeating: "-", count: 100))
        for result in results {
            let value = result.value >= 100 ? String(format: "%.0f", result.value) : String(format: "%.3f", result.value)
            let padded = result.name.padding(toLength: 58, withPad: " ", startingAt: 0)
            print("\(padded) \(value) \(result.unit)  \(result.note)")
        }
    }
}
