import CoreMetrics
import Foundation
import JSONRPC
import Prometheus
import SportelloStore
import Synchronization

// Metrics through swift-metrics, exposed in Prometheus' text format by swift-prometheus: the
// requests by method and outcome with their latency (observed by the dispatcher), the open
// connections (the server), the sweep's duration, and, read from the database when scraped,
// the outbox by status, open tickets by status, SLA breaches by policy and mail in by outcome.
// `sportello serve` bootstraps swift-metrics with a Prometheus factory over `registry`; a
// process that does not (the in-process test harness) records nothing but the database gauges.

/// The registry `server.metrics` renders, and the factory `serve` bootstraps swift-metrics with.
public enum SportelloMetrics {
    public static let registry = PrometheusCollectorRegistry()

    public static func bootstrap() {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Latencies of a JSON-RPC call: from 50 µs (an inline ping) to 10 s (a yearly report).
        factory.defaultDurationHistogramBuckets = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
            .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
    }

    /// The registry's text exposition.
    public static func render() -> String {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Records the database's gauges as of `now`.
    public static func recordStoreGauges(_ gauges: StoreGauges) {
        for status in ["pending", "sent", "failed", "bounced"] {
            CoreMetrics.Gauge(label: "sportello_outbox_notifications", dimensions: [("status", status)]).record(gauges.outbox[status] ?? 0)
        }
        for status in ["new", "inCharge", "assigned", "waitingCustomer", "quoted", "awaitingPackage"] {
            CoreMetrics.Gauge(label: "sportello_open_tickets", dimensions: [("status", status)]).record(gauges.openTickets[status] ?? 0)
        }
        for (policy, count) in gauges.breachedByPolicy.sorted(by: { $0.key < $1.key }) {
            CoreMetrics.Gauge(label: "sportello_sla_breached_open_tickets", dimensions: [("policy", policy)]).record(count)
        }
        for outcome in ["opened", "appended", "followUp", "ignored"] {
            CoreMetrics.Gauge(label: "sportello_inbound_mail", dimensions: [("outcome", outcome)]).record(gauges.inboundMail[outcome] ?? 0)
        }
    }
}

/// The dispatcher's observer: the counter of successes and the latency timer of every method
/// are made once, when the dispatcher is (a lookup in an immutable table per call, no lock);
/// the counters of errors, which are rarer, once each on first use.
final class RequestMetrics: Sendable {
    private struct Handles: Sendable {
        let ok: CoreMetrics.Counter
        let latency: CoreMetrics.Timer
    }

    private let methods: [String: Handles]
    private let errors = Mutex<[String: CoreMetrics.Counter]>([:])

    init(methods: Set<String>) {
        var table: [String: Handles] = [:]
        for method in methods {
            table[method] = Handles(
                ok: CoreMetrics.Counter(label: "sportello_requests_total", dimensions: [("method", method), ("outcome", "ok")]),
                latency: CoreMetrics.Timer(label: "sportello_request_duration_seconds", dimensions: [("method", method)]))
        }
        self.methods = table
    }

    func observe(method: String, errorCode: Int?, duration: Duration) {
        guard let handles = methods[method] else { return }
        if let errorCode {
            let outcome = String(errorCode)
            let counter = errors.withLock { table in
                let key = method + " " + outcome
                if let existing = table[key] { return existing }
                let made = CoreMetrics.Counter(label: "sportello_requests_total", dimensions: [("method", method), ("outcome", outcome)])
                table[key] = made
                return made
            }
            counter.increment()
        } else {
            handles.ok.increment()
        }
        let (seconds, attoseconds) = duration.components
        handles.latency.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
