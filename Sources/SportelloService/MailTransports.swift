import CSyscalls
import Foundation
import SportelloMail

/// Where a composed notification is handed over. A transport only reports whether the mail
/// system took the message; the delivery worker records the outcome and schedules retries.
protocol MailTransport: Sendable {
    /// Hands `message` (RFC 5322 bytes, CRLF line ends) over; throws `MailTransportError`
    /// saying why it was not taken.
    func send(_ message: [UInt8]) async throws

    /// Hands several messages over; for each, nil when it was taken, else why not.
    func send(batch messages: [[UInt8]]) async -> [String?]
}

extension MailTransport {
    func send(batch messages: [[UInt8]]) async -> [String?] {
        var outcomes: [String?] = []
        for message in messages {
            do {
                try await send(message)
                outcomes.append(nil)
            } catch {
                outcomes.append("\(error)")
            }
        }
        return outcomes
    }
}

struct MailTransportError: Error, CustomStringConvertible {
    let description: String
}

/// Runs blocking work on a thread of its own, off Swift's cooperative pool (a sendmail run or
/// an fsync must not hold a thread the request handlers need).
private func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// A sendmail-compatible command (`/usr/sbin/sendmail -t -oi` by default): the message on its
/// standard input, the recipients read from its headers (`-t`), a lone dot not taken as the end
/// (`-oi`). Exit status 0 means the mail system has the message; anything else, or no exit
/// within a minute, is a failure with the command's own words.
struct SendmailTransport: MailTransport {
    let command: [String]

    init(commandLine: String) {
        command = commandLine.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }

    func send(_ message: [UInt8]) async throws {
        let command = self.command
        try await offPool {
            guard let executable = command.first else { throw MailTransportError(description: "no sendmail command is set") }
            // The message goes through a socket pair rather than a pipe: a command that exits
            // without reading it makes `send` fail with EPIPE (MSG_NOSIGNAL) instead of raising
            // SIGPIPE, which would end the server.
            var pair: [Int32] = [-1, -1]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else {
                throw MailTransportError(description: "socketpair: \(String(cString: strerror(errno)))")
            }
            let ours = pair[0]
            defer { close(ours) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = Array(command.dropFirst())
            let theirs = FileHandle(fileDescriptor: pair[1], closeOnDealloc: true)
            let errors = Pipe()
            process.standardInput = theirs
            process.standardOutput = FileHandle.nullDevice
            process.standardError = errors
            do {
                try process.run()
            } catch {
                throw MailTransportError(description: "could not run \(executable): \(error.localizedDescription)")
            }
            try? theirs.close()
            // Stderr is read on its own thread so a chatty command cannot block on a full pipe.
            let collected = ErrorText()
            Thread.detachNewThread { collected.set(errors.fileHandleForReading.readDataToEndOfFile()) }
            var written = 0
            message.withUnsafeBytes { raw in
                while written < raw.count {
                    let count = Glibc.send(ours, raw.baseAddress! + written, raw.count - written, Int32(MSG_NOSIGNAL))
                    if count < 0 {
                        if errno == EINTR { continue }
                        break  // The command stopped reading; its exit status says why.
                    }
                    written += count
                }
            }
            shutdown(ours, Int32(SHUT_WR))
            let deadline = Date().addingTimeInterval(60)
            while process.isRunning, Date() < deadline { usleep(2_000) }
            if process.isRunning {
                process.terminate()
                throw MailTransportError(description: "\(executable) did not finish within 60 seconds")
            }
            guard process.terminationStatus == 0, written == message.count else {
                let words = collected.text(waiting: 1).trimmingCharacters(in: .whitespacesAndNewlines)
                let status = process.terminationStatus == 0 ? "stopped reading the message" : "exited with status \(process.terminationStatus)"
                throw MailTransportError(description: "\(executable) \(status)" + (words.isEmpty ? "" : ": " + String(words.prefix(500))))
            }
        }
    }
}

/// What a child process wrote on its standard error.
private final class ErrorText: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    func set(_ value: Data) {
        lock.withLock { data = value }
        done.signal()
    }

    /// The text, once the reader has it (at most `seconds` of waiting).
    func text(waiting seconds: Double) -> String {
        _ = done.wait(timeout: .now() + seconds)
        return lock.withLock { String(decoding: data, as: UTF8.self) }
    }
}

/// A Maildir folder (the format every local mail client reads): the message is written to
/// `tmp/` under a unique name, synced to disk, then renamed into `new/` — a reader never sees
/// half a message, and a message in `new/` survives a power cut.
struct MaildirTransport: MailTransport {
    let path: String

    func send(_ message: [UInt8]) async throws {
        if let failure = await send(batch: [message]).first, let failure {
            throw MailTransportError(description: failure)
        }
    }

    /// The messages of a batch are written into tmp/ first, then made durable together by one
    /// syncfs(2) of the file system, then renamed into new/, and new/ itself is synced: every
    /// message in new/ is whole on disk, for two syncs per batch rather than one per message
    /// (measured: an fsync per message on ext4 costs a journal commit each, ~3 ms here).
    func send(batch messages: [[UInt8]]) async -> [String?] {
        let path = self.path
        return (try? await offPool { () -> [String?] in
            for folder in ["", "/tmp", "/new", "/cur"] {
                let directory = path + folder
                if mkdir(directory, 0o700) != 0, errno != EEXIST {
                    let reason = "cannot create \(directory): \(String(cString: strerror(errno)))"
                    return messages.map { _ in reason }
                }
            }
            var outcomes: [String?] = Array(repeating: nil, count: messages.count)
            var written: [(index: Int, name: String, descriptor: Int32)] = []
            for (index, message) in messages.enumerated() {
                let name = Self.uniqueName()
                let temporary = path + "/tmp/" + name
                let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                guard descriptor >= 0 else {
                    outcomes[index] = "cannot write \(temporary): \(String(cString: strerror(errno)))"
                    continue
                }
                if let failure = Self.writeAll(message, to: descriptor) {
                    close(descriptor)
                    unlink(temporary)
                    outcomes[index] = "cannot write \(temporary): \(failure)"
                    continue
                }
                written.append((index, name, descriptor))
            }
            let tmp = open(path + "/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            let synced = tmp >= 0 && sportello_syncfs(tmp) == 0
            let reason = String(cString: strerror(errno))
            if tmp >= 0 { close(tmp) }
            for file in written {
                close(file.descriptor)
                if !synced {
                    unlink(path + "/tmp/" + file.name)
                    outcomes[file.index] = "cannot write \(path)/tmp/\(file.name): \(reason)"
                } else if rename(path + "/tmp/" + file.name, path + "/new/" + file.name) != 0 {
                    outcomes[file.index] = "cannot move the message into \(path)/new: \(String(cString: strerror(errno)))"
                    unlink(path + "/tmp/" + file.name)
                }
            }
            let directory = open(path + "/new", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if directory >= 0 {
                fsync(directory)
                close(directory)
            }
            return outcomes
        }) ?? messages.map { _ in "the delivery thread failed" }
    }

    private static func writeAll(_ message: [UInt8], to descriptor: Int32) -> String? {
        var written = 0
        return message.withUnsafeBytes { raw in
            while written < raw.count {
                let count = write(descriptor, raw.baseAddress! + written, raw.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                written += count
            }
            return nil
        }
    }

    /// `seconds.M<microseconds>P<pid>Q<counter>.<host>`, as Maildir's conventions ask.
    private static func uniqueName() -> String {
        var time = timeval()
        gettimeofday(&time, nil)
        let count = counter.add()
        return "\(time.tv_sec).M\(time.tv_usec)P\(getpid())Q\(count).\(ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "-"))"
    }

    private static let counter = Counter()
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add() -> Int { lock.withLock { value += 1; return value } }
}
