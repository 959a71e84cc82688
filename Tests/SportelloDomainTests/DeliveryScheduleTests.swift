import Foundation
import SportelloDomain
import Testing

@Suite("Delivery retries") struct DeliveryScheduleTests {
    let queued = Date(timeIntervalSince1970: 1_796_000_000)

    @Test("a notification that keeps failing: retried after 1, 5, 30 minutes, 2 and 12 hours, then every 12 hours, failed after 48 hours")
    func ladder() {
        // Each attempt is made at the instant the previous one scheduled:
        // attempt 1 at +0 → retry at +60 s; 2 at +60 → +360; 3 at +360 → +2,160; 4 at +2,160 →
        // +9,360; 5 at +9,360 → +52,560; 6 at +52,560 → +95,760; 7 at +95,760 → +138,960;
        // 8 at +138,960 → +182,160 > 172,800 (48 h): failed.
        var now = queued
        var retries: [TimeInterval] = []
        for attempt in 1...20 {
            switch DeliverySchedule.next(afterAttempt: attempt, at: now, queuedAt: queued) {
            case .retry(let at):
                retries.append(at.timeIntervalSince(queued))
                now = at
            case .fail:
                #expect(attempt == 8, "gives up at the attempt whose retry would pass 48 hours")
                #expect(retries == [60, 360, 2_160, 9_360, 52_560, 95_760, 138_960])
                return
            }
        }
        Issue.record("never gave up")
    }

    @Test("a first failure long after queueing (the server was down for two days) fails at once")
    func lateFirstAttempt() {
        // Queued, then first tried 47 h 59 min later: a retry 1 minute on is at exactly 48 h
        // (allowed); tried at 48 h, the retry at 48 h 1 min is not.
        let almost = queued.addingTimeInterval(48 * 3_600 - 60)
        #expect(DeliverySchedule.next(afterAttempt: 1, at: almost, queuedAt: queued) == .retry(at: queued.addingTimeInterval(48 * 3_600)))
        #expect(DeliverySchedule.next(afterAttempt: 1, at: queued.addingTimeInterval(48 * 3_600), queuedAt: queued) == .fail)
    }
}
