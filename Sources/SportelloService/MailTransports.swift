import Foundation
import SportelloMail

/// Where a composed notification is handed over. A transport only reports whether the mail
/// system took the message; the delivery worker records the outcome and schedules retries.
protocol MailTransport: Sendable {
    /// Hands `message` (RFC 5322 bytes, CRLF line ends) over; throws `MailTransportError`
    /// saying why it was not taken.
    func send(_ message: [UInt8]) async throws
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
        let path = self.path
        try await offPool {
            for folder in ["", "/tmp", "/new", "/cur"] {
                let directory = path + folder
                if mkdir(directory, 0o700) != 0, errno != EEXIST {
                    throw MailTransportError(description: "cannot create \(directory): \(String(cString: strerror(errno)))")
                }
            }
            let name = Self.uniqueName()
            let temporary = path + "/tmp/" + name
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            guard descriptor >= 0 else {
                throw MailTransportError(description: "cannot write \(temporary): \(String(cString: strerror(errno)))")
            }
            var written = 0
            let failure: String? = message.withUnsafeBytes { raw in
                while written < raw.count {
                    let count = write(descriptor, raw.baseAddress! + written, raw.count - written)
                    if count < 0 {
                        if errno == EINTR { continue }
                        return String(cString: strerror(errno))
                    }
                    written += count
                }
                return fsync(descriptor) == 0 ? nil : String(cString: strerror(errno))
            }
            close(descriptor)
            if let failure {
                unlink(temporary)
                throw MailTransportError(description: "cannot write \(temporary): \(failure)")
            }
            guard rename(temporary, path + "/new/" + name) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                throw MailTransportError(description: "cannot move the message into \(path)/new: \(reason)")
            }
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
