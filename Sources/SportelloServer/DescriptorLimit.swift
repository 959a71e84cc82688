import Foundation
import Logging

/// Raises this process's soft limit on open descriptors to its hard limit (capped at 2^20).
///
/// The usual soft default is 1024 (systemd services, most shells) while the hard limit is far
/// higher: left alone, a socket server stops accepting at about a thousand connections, and
/// clients beyond that wait in the listen queue with no answer. Raising the soft limit is what
/// the hard limit is for (systemd's documentation recommends it; Go's runtime does it itself).
func raiseDescriptorLimit(logger: Logger) {
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    var limit = rlimit()
    guard getrlimit(resource, &limit) == 0 else { return }
    let target = min(limit.rlim_max, 1 << 20)
    guard limit.rlim_cur < target else { return }
    let previous = limit.rlim_cur
    limit.rlim_cur = target
    if setrlimit(resource, &limit) == 0 {
        logger.debug("raised the open-descriptor limit from \(previous) to \(target)")
    } else {
        logger.warning("could not raise the open-descriptor limit from \(previous): connections beyond it will wait unanswered")
    }
}
