import Foundation
import SportelloMail

/// The corpus in Fixtures/, copied into the test bundle by SwiftPM (`resources: [.copy("Fixtures")]`).
enum Corpus {
    static var directory: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    }

    static func bytes(_ name: String) -> [UInt8] {
        let url = directory.appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            fatalError("missing fixture \(name) at \(url.path)")
        }
        return [UInt8](data)
    }

    static func message(_ name: String) -> MailMessage { MailMessage(bytes: bytes(name)) }

    static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".eml") }.sorted()
    }
}

extension String {
    /// `"a\r\nb"` → `[UInt8]` of the string's UTF-8.
    var bytes: [UInt8] { Array(utf8) }
}
