import Foundation

/// When a notification that could not be handed to the mail system is tried again
/// (docs/product.md §8): after 1 minute, then 5, 30, 2 hours, 12 hours, and every 12 hours after
/// that, until 48 hours have passed since it was queued; then it is `failed` (staff can
/// `notification.retry` it). Each attempt is recorded.
public enum DeliverySchedule {
    /// The waits after the first, second, … failed attempt; the last repeats.
    public static let backoff: [TimeInterval] = [60, 300, 1_800, 7_200, 43_200]
    /// How long a notification keeps being retried, counted from when it was queued.
    public static let giveUpAfter: TimeInterval = 48 * 3_600

    public enum Next: Hashable, Sendable {
        /// Try again at this instant.
        case retry(at: Date)
        /// Stop: the notification is `failed`.
        case fail
    }

    /// After the `attempts`-th failed attempt (1 for the first) at `now`, of a notification
    /// queued at `queuedAt`: when to try again, or to stop. A retry that would fall after the
    /// 48 hours is not made.
    public static func next(afterAttempt attempts: Int, at now: Date, queuedAt: Date) -> Next {
        let wait = backoff[min(max(attempts, 1), backoff.count) - 1]
        let at = now.addingTimeInterval(wait)
        return at.timeIntervalSince(queuedAt) > giveUpAfter ? .fail : .retry(at: at)
    }
}
