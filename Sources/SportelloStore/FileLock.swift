import Foundation

/// An advisory `flock` on a file of its own. `flock` locks are separate from the POSIX record
/// locks SQLite takes on the database file, so they can neither interfere with SQLite's nor
/// be released by SQLite closing a descriptor.
final class FileLock: Sendable {
    let path: String
    private let descriptor: Int32

    /// Opens (creating it 0600) the lock file at `path`; takes no lock yet. A lock file that
    /// exists but may not be written is opened for reading (`flock` needs no more).
    init(path: String) throws {
        self.path = path
        var descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if descriptor < 0, errno == EACCES || errno == EROFS { descriptor = open(path, O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else { throw LockError.cannotOpen(path, String(cString: strerror(errno))) }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Takes the lock shared, waiting up to `timeout` seconds for an exclusive holder to finish.
    func lockShared(timeout: Double) throws {
        try lock(LOCK_SH, timeout: timeout)
    }

    /// Takes the lock exclusively, at once; false when any other holder has it.
    func tryLockExclusive() -> Bool {
        flock(descriptor, LOCK_EX | LOCK_NB) == 0
    }

    private func lock(_ operation: Int32, timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while flock(descriptor, operation | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw LockError.cannotOpen(path, String(cString: strerror(errno)))
            }
            guard Date() < deadline else { throw LockError.busy(path) }
            usleep(10_000)
        }
    }

    enum LockError: Error, CustomStringConvertible {
        case cannotOpen(String, String)
        case busy(String)

        var description: String {
            switch self {
            case .cannotOpen(let path, let reason): "cannot lock \(path): \(reason)"
            case .busy(let path): "\(path) is held exclusively (a restore is replacing the database)"
            }
        }
    }
}
