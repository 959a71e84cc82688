import Foundation
import PackagePlugin

/// Turns `schema/sportello.openrpc.json` into a Swift source holding its bytes, so the server
/// serves exactly the committed document from `rpc.discover` without any file lookup at run time.
@main
struct EmbedSchema: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let input = context.package.directoryURL.appending(path: "schema/sportello.openrpc.json")
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedSchema.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(input.lastPathComponent)",
                executable: try context.tool(named: "embed-resource").url,
                arguments: [input.path(), output.path(), "embeddedOpenRPCDocument"],
                inputFiles: [input],
                outputFiles: [output]
            ),
        ]
    }
}
