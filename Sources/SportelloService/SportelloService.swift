import JSONRPC
import Logging

/// The operations of Sportello, one file per method family, gathered into one registry.
public struct SportelloService: Sendable {
    public let environment: ServiceEnvironment
    let calendars: CalendarCatalog
    /// Live events for every connection of this service (`events.subscribe`).
    public let events: EventHub

    public init(environment: ServiceEnvironment) {
        self.environment = environment
        self.calendars = CalendarCatalog(database: environment.database)
        self.events = EventHub(database: environment.database, now: environment.now, logger: environment.logger)
    }

    public func makeRegistry() -> MethodRegistry<CallContext> {
        var registry = MethodRegistry<CallContext>()
        registerServerMethods(into: &registry)
        registerCalendarMethods(into: &registry)
        registerAccountMethods(into: &registry)
        registerTicketMethods(into: &registry)
        registerPaidWorkMethods(into: &registry)
        registerMailMethods(into: &registry)
        registerMailInMethods(into: &registry)
        registerMaintenanceMethods(into: &registry)
        registerEscalationMethods(into: &registry)
        registerReportMethods(into: &registry)
        registerPortalMethods(into: &registry)
        registerEventMethods(into: &registry)
        return registry
    }

    public func makeDispatcher(maximumBatchSize: Int = 100) -> RPCDispatcher<CallContext> {
        let logger = environment.logger
        var dispatcher = RPCDispatcher(registry: makeRegistry(), maximumBatchSize: maximumBatchSize) { method, error in
            logger.error("\(method) failed: \(error)")
        }
        dispatcher.gate = Self.mailGatewayGate
        let metrics = RequestMetrics(methods: dispatcher.registry.methodNames)
        dispatcher.observe = { method, errorCode, duration in metrics.observe(method: method, errorCode: errorCode, duration: duration) }
        return dispatcher
    }
}
