import Foundation

/// A thread that copies bytes from one descriptor to another until end of file, standing
/// between a regular file and a pipe (NIO's pipe channels do not take regular files).
final class Pump: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)

    private init(from source: CInt, to destination: CInt) {
        let thread = Thread { [finished] in
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            copying: while true {
                let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                var written = 0
                while written < count {
                    let result = buffer.withUnsafeBytes { write(destination, $0.baseAddress! + written, count - written) }
                    if result < 0, errno == EINTR { continue }
                    guard result > 0 else { break copying }
                    written += result
                }
            }
            close(source)
            close(destination)
            finished.signal()
        }
        thread.start()
    }

    /// A pipe fed from `file`; returns the pipe's read end.
    static func fromFile(_ file: CInt) throws -> (CInt, Pump) {
        let (readEnd, writeEnd) = try makePipe()
        return (readEnd, Pump(from: file, to: writeEnd))
    }

    /// A pipe drained into `file`; returns the pipe's write end.
    static func toFile(_ file: CInt) throws -> (CInt, Pump) {
        let (readEnd, writeEnd) = try makePipe()
        return (writeEnd, Pump(from: readEnd, to: file))
    }

    func waitUntilFinished() { finished.wait() }

    private static func makePipe() throws -> (CInt, CInt) {
        var ends: [CInt] = [0, 0]
        guard pipe(&ends) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return (ends[0], ends[1])
    }
}
