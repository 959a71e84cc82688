import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SportelloService
import SportelloStore

/// `sportello deliver`: sends every notification due now, then exits (for a timer, or by
/// hand). Safe beside a running server: claims keep a notification from being sent twice.
struct Deliver: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send the notifications that are due, then exit.")

    @OptionGroup var database: DatabaseOption

    @Option(name: .long, help: ArgumentHelp(
        "Deliver into this Maildir instead of the configured transport (default: $SPORTELLO_MAILDIR, if set).",
        valueName: "directory"))
    var maildir: String?

    func run() async throws {
        let logger = makeLogger("sportello")
        let store = try database.open()
        let delivery = MailDelivery(
            environment: ServiceEnvironment(database: store, logger: logger), maildirOverride: maildirOverride(maildir))
        let pass = try await delivery.deliverAllDue()
        print("sent \(pass.sent), to retry \(pass.retried), failed \(pass.failed)")
        _ = try? store.checkpointTruncate()
    }
}

/// The delivery worker inside `serve`: a pass every second while the server runs, so that a
/// notification leaves within about a second of its commit, whichever process committed it.
struct DeliveryLoop: Service {
    let delivery: MailDelivery
    let logger: Logger
    var interval: Duration = .seconds(1)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await delivery.deliverDue()
                } catch {
                    logger.warning("mail delivery pass failed: \(error)")
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}

/// The Maildir that replaces the configured transport: `--maildir`, else $SPORTELLO_MAILDIR
/// (how test harnesses keep every server they start away from the machine's mail system).
func maildirOverride(_ option: String?) -> String? {
    let environment = ProcessInfo.processInfo.environment["SPORTELLO_MAILDIR"].flatMap { $0.isEmpty ? nil : $0 }
    return (option ?? environment).map(absolutePath)
}

/// `path` made absolute against the working directory.
func absolutePath(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
}
