import Foundation

/// Records the results the end-to-end suites receive, with the method that produced each, so
/// that the contract suite can check every one against the method's result schema
/// (Tests/Contract/test_replies.py): a result can't carry a member the schema lacks, or miss one
/// it requires, without a test failing. On only when `SPORTELLO_REPLY_LOG` names a file (as
/// `make test` does); each line is `{"method": …, "result": …}`.
final class ReplyLog: @unchecked Sendable {
    static let shared = ReplyLog(path: ProcessInfo.processInfo.environment["SPORTELLO_REPLY_LOG"])

    /// Replies kept per method: enough to meet every shape a method answers with, not the
    /// hundred thousand pings of the load tests.
    private static let keptPerMethod = 300

    private let handle: FileHandle?
    private let lock = NSLock()
    private var kept: [String: Int] = [:]

    private init(path: String?) {
        guard let path, !path.isEmpty else {
            handle = nil
            return
        }
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        handle = FileHandle(forWritingAtPath: path)
        _ = try? handle?.seekToEnd()
    }

    var isOn: Bool { handle != nil }

    /// The `id → method` of every request in `bytes` (lines of JSON, or framed bodies), for the
    /// replies to come. Bytes that are not requests (bad input on purpose) are skipped.
    func requests(in bytes: [UInt8]) -> [String: String] {
        guard isOn else { return [:] }
        var methods: [String: String] = [:]
        for piece in bytes.split(separator: UInt8(ascii: "\n")) {
            var body = Array(piece)
            // A framed message: the body follows the blank line after the headers.
            if let start = Self.bodyStart(body) { body = Array(body[start...]) }
            guard let json = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) else { continue }
            let objects = (json as? [[String: Any]]) ?? [json as? [String: Any]].compactMap { $0 }
            for object in objects {
                guard let method = object["method"] as? String, let id = object["id"], !(id is NSNull) else { continue }
                methods[Self.key(id)] = method
            }
        }
        return methods
    }

    /// Records the results among `replies` whose request is known.
    func note(_ json: Any, methods: [String: String]) {
        guard let handle else { return }
        let objects = (json as? [[String: Any]]) ?? [json as? [String: Any]].compactMap { $0 }
        for object in objects {
            guard let result = object["result"], let id = object["id"], let method = methods[Self.key(id)] else { continue }
            lock.lock()
            defer { lock.unlock() }
            guard kept[method, default: 0] < Self.keptPerMethod else { continue }
            kept[method, default: 0] += 1
            guard var line = try? JSONSerialization.data(
                withJSONObject: ["method": method, "result": result], options: [.fragmentsAllowed])
            else { continue }
            line.append(UInt8(ascii: "\n"))
            handle.write(line)
        }
    }

    private static func key(_ id: Any) -> String { "\(id)" }

    private static func bodyStart(_ bytes: [UInt8]) -> Int? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4, bytes.first != UInt8(ascii: "{"), bytes.first != UInt8(ascii: "[") else { return nil }
        for index in 0...(bytes.count - 4) where Array(bytes[index..<index + 4]) == separator { return index + 4 }
        return nil
    }
}
