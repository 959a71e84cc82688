import CSystemd
import Foundation

/// The systemd side of a service: inherited sockets (`LISTEN_FDS`), readiness and watchdog
/// messages (`NOTIFY_SOCKET`). Every call is a no-op outside systemd.
public enum Systemd {
    /// The file descriptors passed by socket activation (3, 4, …), unset from the environment
    /// so that children do not inherit them.
    public static func listenFileDescriptors() -> [CInt] {
        let count = sd_listen_fds(1)
        guard count > 0 else { return [] }
        return (0..<count).map { SD_LISTEN_FDS_START + $0 }
    }

    public static func notify(_ state: String) {
        _ = sd_notify(0, state)
    }

    /// The watchdog interval asked by the unit (`WatchdogSec=`), if any.
    public static func watchdogInterval() -> Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(microseconds))
    }
}
