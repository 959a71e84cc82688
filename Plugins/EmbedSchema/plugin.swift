import Foundation
import PackagePlugin

/// Makes `schema/sportello.openrpc.json` the single source of the methods it describes:
/// - `embed-resource` turns the document into a Swift source holding its bytes, so the server
///   serves exactly the committed document from `rpc.discover` without any file lookup at run time;
/// - `openrpc-generate` declares a Swift type per method (name, access, Params, Result) and the
///   components they share, in the manner of sourcekit-lsp's request types.
@main
struct EmbedSchema: BuildToolPlugin {
    /// The methods declared from the schema so far, by family (`calendar.*`) or by name.
    ///
    /// Every method of the document is generated now; the list stays so that a new family can
    /// be written in the schema first and converted with its handlers in one step (a family
    /// still declared by hand would meet a second, unused type of the same name). Converting
    /// a family means adding it here and deleting its hand-written declarations.
    static let generatedMethods = [
        "rpc.discover", "server.*", "calendar.*", "sla.policies", "customer.*", "contact.*", "staff.*", "session.*",
        "ticket.*", "sla.status", "notification.list", "priceList.*", "quote.*", "package.*", "task.*", "billing.*", "mail.*",
        "notification.retry", "events.*", "maintenance.*", "availability.*", "sla.ladder", "sla.setLadder", "sla.sweep", "sla.report",
        "sla.preview",
        "account.*", "audit.*", "attachment.*",
    ]

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let input = context.package.directoryURL.appending(path: "schema/sportello.openrpc.json")
        let embedded = context.pluginWorkDirectoryURL.appending(path: "EmbeddedSchema.swift")
        let generated = context.pluginWorkDirectoryURL.appending(path: "GeneratedMethods.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(input.lastPathComponent)",
                executable: try context.tool(named: "embed-resource").url,
                arguments: [input.path(), embedded.path(), "embeddedOpenRPCDocument"],
                inputFiles: [input],
                outputFiles: [embedded]
            ),
            .buildCommand(
                displayName: "Generating method types from \(input.lastPathComponent)",
                executable: try context.tool(named: "openrpc-generate").url,
                arguments: [input.path(), generated.path()] + Self.generatedMethods,
                inputFiles: [input],
                outputFiles: [generated]
            ),
        ]
    }
}
