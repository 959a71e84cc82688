import Foundation

import JSONRPC
import SportelloDomain
import SportelloStore
import Synchronization

/// The calendars and SLA policies, built once and kept in memory: indexing a calendar is far
/// dearer than the arithmetic it serves. The copy is checked against the database's calendar
/// revision at most once per `recheckInterval`, so a change made by another process (a stdio
/// instance beside the socket server) is seen within that interval; changes made through this
/// process are seen at once.
final class CalendarCatalog: Sendable {
    private struct Snapshot {
        var revision: Int
        var calendars: [String: BusinessCalendar]
        var policies: [SLAPolicy]
        /// Product code → its SLA policy's name.
        var productPolicies: [String: String]
        var checkedAt: ContinuousClock.Instant
    }

    private let database: SportelloDatabase
    private let recheckInterval: Duration
    private let snapshot = Mutex<Snapshot?>(nil)

    init(database: SportelloDatabase, recheckInterval: Duration = .seconds(1)) {
        self.database = database
        self.recheckInterval = recheckInterval
    }

    /// The calendar called `name`, or -32003. Inside a database access, pass its `tx`: GRDB
    /// accesses do not nest.
    func calendar(named name: String, in tx: StoreReader? = nil) throws -> BusinessCalendar {
        guard let calendar = try current(tx).calendars[name] else {
            throw RPCError(code: RPCErrorCode.notFound, message: "Not found",
                           data: ["field": "params.calendar", "reason": .string("no calendar named \"\(name)\"")])
        }
        return calendar
    }

    func calendars() throws -> [BusinessCalendar] {
        try current().calendars.values.sorted { $0.name < $1.name }
    }

    func policies() throws -> [SLAPolicy] {
        try current().policies
    }

    /// The SLA policy of a product and the calendar its clocks run on. Inside a database access,
    /// pass its `tx`.
    func sla(forProduct product: String, in tx: StoreReader? = nil) throws -> (policy: SLAPolicy, calendar: BusinessCalendar) {
        let snapshot = try current(tx)
        guard let name = snapshot.productPolicies[product], let policy = snapshot.policies.first(where: { $0.name == name }),
            let calendar = snapshot.calendars[policy.calendar]
        else {
            throw RPCError.notFound(field: "params.product", "no product \"\(product)\" with an SLA policy")
        }
        return (policy, calendar)
    }

    /// Rebuilds from `tx` (inside the transaction that changed a calendar, after the change).
    func reload(_ tx: StoreReader) throws {
        let fresh = try Self.load(tx)
        snapshot.withLock { $0 = fresh }
    }

    /// The snapshot, rechecked against the database when it is older than the interval: through
    /// `tx` when the caller is already inside a database access, else through a read of its own.
    private func current(_ tx: StoreReader? = nil) throws -> Snapshot {
        let now = ContinuousClock.now
        if let cached = snapshot.withLock({ $0 }), now - cached.checkedAt < recheckInterval {
            return cached
        }
        let refresh = { (tx: StoreReader) throws -> Snapshot in
            let revision = try CalendarStore.revision(tx)
            if var cached = self.snapshot.withLock({ $0 }), cached.revision == revision {
                cached.checkedAt = now
                return cached
            }
            return try Self.load(tx)
        }
        let fresh = try tx.map(refresh) ?? database.readNow(refresh)
        snapshot.withLock { $0 = fresh }
        return fresh
    }

    private static func load(_ tx: StoreReader) throws -> Snapshot {
        let calendars = try CalendarStore.loadAll(tx)
        return Snapshot(
            revision: try CalendarStore.revision(tx),
            calendars: Dictionary(uniqueKeysWithValues: calendars.map { ($0.name, $0) }),
            policies: try CalendarStore.policies(tx),
            productPolicies: Dictionary(try CalendarStore.products(tx).map { ($0.code, $0.policy) }, uniquingKeysWith: { a, _ in a }),
            checkedAt: ContinuousClock.now)
    }
}
