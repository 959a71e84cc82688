import JSONRPC
import SportelloDomain

extension SportelloService {
    func registerEventMethods(into registry: inout MethodRegistry<CallContext>) {
        let hub = events
        let database = environment.database
        registry.register(EventsSubscribe.self, by: self) { params, context in
            let principal = try context.requirePrincipal()
            if params.topics?.isEmpty == true {
                throw RPCError.invalidParams(field: "params.topics", reason: "name at least one topic, or leave it out for tickets")
            }
            let topics = Set((params.topics ?? [.tickets]).map { EventHub.Topic(rawValue: $0.rawValue)! })
            if case .contact = principal, !topics.isSubset(of: [.tickets]) {
                throw RPCError(code: RPCErrorCode.forbidden, message: "Forbidden", data: [
                    "field": "params.topics", "reason": "the sla and notifications topics are for staff",
                ])
            }
            if let ticket = params.ticket {
                _ = try await database.read { tx in try TicketOperations.visibleTicket(tx, id: Int64(ticket), principal: principal) }
            }
            let subscribed = try await hub.subscribe(
                context: context, topics: topics, ticket: params.ticket.map(Int64.init), since: params.since)
            return EventsSubscribe.Result(
                subscription: subscribed.subscription, sequence: Int(subscribed.sequence), replayed: subscribed.replayed)
        }
        registry.register(EventsUnsubscribe.self, by: self) { params, context in
            _ = try context.requirePrincipal()
            guard hub.unsubscribe(context: context, id: params.subscription) else {
                throw RPCError.notFound(field: "params.subscription", "no live subscription \"\(params.subscription)\" on this connection")
            }
            return EventsUnsubscribe.Result(unsubscribed: true)
        }
    }
}
