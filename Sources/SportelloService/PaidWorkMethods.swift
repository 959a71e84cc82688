import Foundation
import JSONRPC
import SportelloDomain
import SportelloStore

// The paid-work methods (priceList.*, customer.setContractRate, quote.*, package.*, task.*,
// billing.statement) are declared by schema/sportello.openrpc.json; their types (PriceListGet,
// …, BillingStatementMethod, and the shared QuoteView, PackageView, TaskView, WorklogView,
// PriceListView, BillingStatementView, StaffRef) are generated at build time. The rules are the
// domain's (QuoteRules, PackageLedger, PaidWork, BillingStatement); each handler reads what they
// need, runs one decision and writes its parts — quote, ticket, package, task, worklog, history
// and outbox rows — in one transaction.

// MARK: Handlers

extension SportelloService {
    func registerPaidWorkMethods(into registry: inout MethodRegistry<CallContext>) {
        let work = PaidWorkOperations(
            environment: environment, calendars: calendars,
            tickets: TicketOperations(environment: environment, calendars: calendars))
        registry.register(PriceListGet.self, by: self) { _, _ in try await work.priceList() }
        registry.register(PriceListSet.self, by: self) { params, context in
            try await work.setPriceList(params, principal: try context.requirePrincipal())
        }
        registry.register(CustomerSetContractRate.self, by: self) { params, context in
            try await work.setContractRate(params, principal: try context.requirePrincipal())
        }
        registry.register(QuoteCreate.self, by: self) { params, context in
            try await work.createQuote(params, principal: try context.requirePrincipal())
        }
        registry.register(QuoteUpdate.self, by: self) { params, context in
            try await work.updateQuote(params, principal: try context.requirePrincipal())
        }
        registry.register(QuoteSend.self, by: self) { params, context in
            try await work.sendQuote(Int64(params.quote), principal: try context.requirePrincipal())
        }
        registry.register(QuoteAccept.self, by: self) { params, context in
            try await work.answerQuote(Int64(params.quote), .accept, note: params.note, principal: try context.requirePrincipal())
        }
        registry.register(QuoteReject.self, by: self) { params, context in
            try await work.answerQuote(Int64(params.quote), .reject, note: params.reason, principal: try context.requirePrincipal())
        }
        registry.register(QuoteGet.self, by: self) { params, context in
            try await work.quote(Int64(params.quote), principal: try context.requirePrincipal())
        }
        registry.register(QuoteList.self, by: self) { params, context in
            try await work.quotes(params, principal: try context.requirePrincipal())
        }
        registry.register(PackageOrderMethod.self, by: self) { params, context in
            try await work.orderPackage(params, principal: try context.requirePrincipal())
        }
        registry.register(PackageGet.self, by: self) { params, context in
            try await work.package(Int64(params.package), principal: try context.requirePrincipal())
        }
        registry.register(PackageList.self, by: self) { params, context in
            try await work.packages(params, principal: try context.requirePrincipal())
        }
        registry.register(TaskLogWork.self, by: self) { params, context in
            try await work.logWork(params, principal: try context.requirePrincipal())
        }
        registry.register(TaskGet.self, by: self) { params, context in
            try await work.task(Int64(params.task), principal: try context.requirePrincipal())
        }
        registry.register(TaskList.self, by: self) { params, context in
            try await work.tasks(params, principal: try context.requirePrincipal())
        }
        registry.register(TaskWorklogs.self, by: self) { params, context in
            try await work.worklogs(Int64(params.task), principal: try context.requirePrincipal())
        }
        registry.register(BillingStatementMethod.self, by: self) { params, context in
            try await work.statement(params, principal: try context.requirePrincipal())
        }
    }
}

// MARK: Operations

struct PaidWorkOperations: Sendable {
    let environment: ServiceEnvironment
    let calendars: CalendarCatalog
    let tickets: TicketOperations

    /// The calendar whose days quotes, packages and worklogs are dated in (Europe/Rome).
    static let dayCalendar = "interzen-support"

    private var database: SportelloDatabase { environment.database }
    private func storedNow() -> Date { StoreTime.rounded(environment.now()) }

    /// The desk's date at `now`: Europe/Rome, the support calendar's zone.
    private func today(_ now: Date, in tx: StoreReader? = nil) throws -> LocalDate {
        try calendars.calendar(named: Self.dayCalendar, in: tx).localDate(of: now)
    }

    // MARK: Price list and contract rates

    func priceList() async throws -> PriceListView {
        try await database.read { tx in Self.view(try PaidWorkStore.priceList(tx)) }
    }

    func setPriceList(_ params: PriceListSet.Params, principal: Principal) async throws -> PriceListView {
        let step = params.stepMinutes ?? BillableMinutesRule.standard.stepMinutes
        let list = try Self.checked(PriceList(
            hourlyRate: params.hourlyRate,
            minutes: BillableMinutesRule(minimumMinutes: params.minimumMinutes ?? step, stepMinutes: step),
            packageOffers: params.packageOffers ?? []).validate())
        let now = storedNow()
        return try await database.write { tx in
            let before = try PaidWorkStore.priceList(tx)
            try PaidWorkStore.setPriceList(tx, list, at: now)
            let after = (list: list, updatedAt: now)
            try PaidWorkStore.addConfigurationHistory(
                tx, subject: "priceList", actorKind: principal.kind, actorID: principal.id,
                changes: try Self.json(["priceList": [try Self.jsonValue(before.map(Self.view)), try Self.jsonValue(Self.view(after))]]),
                at: now)
            return Self.view(after)
        }
    }

    func setContractRate(_ params: CustomerSetContractRate.Params, principal: Principal) async throws -> CustomerSetContractRate.Result {
        if let rate = params.hourlyRate, rate.cents <= 0 {
            throw RPCError.invalidParams(field: "params.hourlyRate.amount", reason: "must be more than 0.00")
        }
        let now = storedNow()
        return try await database.write { tx in
            let customer = try params.customer.resolve(tx)
            let before = try PaidWorkStore.contractRate(tx, customer: customer.id)
            try PaidWorkStore.setContractRate(tx, customer: customer.id, rate: params.hourlyRate, at: now)
            try PaidWorkStore.addConfigurationHistory(
                tx, subject: "contractRate:\(customer.id)", actorKind: principal.kind, actorID: principal.id,
                changes: try Self.json(["hourlyRate": [
                    before.map { .string($0.wire) } ?? .null, params.hourlyRate.map { .string($0.wire) } ?? .null,
                ]]), at: now)
            return CustomerSetContractRate.Result(customer: Int(customer.id), hourlyRate: params.hourlyRate)
        }
    }

    // MARK: Quotes

    func createQuote(_ params: QuoteCreate.Params, principal: Principal) async throws -> QuoteView {
        let now = storedNow()
        let draft = QuoteDraft(
            estimate: params.estimate, description: params.description, assignee: Int64(params.assignee),
            hourlyRate: params.hourlyRate, validDays: params.validDays)
        return try await database.write { tx in
            let ticket = try TicketOperations.visibleTicket(tx, id: Int64(params.ticket), principal: principal)
            try TicketOperations.checkVersion(ticket, expected: params.expectedVersion)
            if let open = try PaidWorkStore.openQuote(tx, ticket: ticket.id) {
                throw RPCError(code: RPCErrorCode.transitionNotAllowed, message: "Transition not allowed", data: [
                    "field": "params.ticket", "quote": .int(open.id),
                    "reason": .string("the ticket already has an open quote (#\(open.id), \(open.status.rawValue)): update or answer it"),
                ])
            }
            try Self.checkAssignee(tx, Int64(params.assignee), field: "params.assignee")
            let (list, contract) = try rates(tx, customer: ticket.customer, explicit: params.hourlyRate)
            let quote = try Self.quoted(QuoteRules.create(
                draft, ticketID: ticket.id, ticket: ticket.state, priceList: list, contractRate: contract,
                today: try today(now, in: tx)))
            var record = QuoteRecord(quote, createdAt: now, updatedAt: now)
            record.id = try PaidWorkStore.insertQuote(tx, record)
            try TicketOperations.record(
                tx, ticket: ticket, principal: principal, action: "quoteCreated",
                changes: ["quote": [.null, Self.summary(record)]], events: [], at: now)
            return try view(tx, record, now: now)
        }
    }

    func updateQuote(_ params: QuoteUpdate.Params, principal: Principal) async throws -> QuoteView {
        let now = storedNow()
        let changes = QuoteChanges(
            estimate: params.estimate, description: params.description, assignee: params.assignee.map(Int64.init),
            hourlyRate: params.hourlyRate, validDays: params.validDays)
        return try await database.write { tx in
            var record = try visibleQuote(tx, Int64(params.quote), principal: principal)
            let ticket = try TicketOperations.visibleTicket(tx, id: record.ticket, principal: principal)
            if let assignee = params.assignee { try Self.checkAssignee(tx, Int64(assignee), field: "params.assignee") }
            let (list, contract) = try rates(tx, customer: record.customer, explicit: params.hourlyRate ?? record.quote.hourlyRate)
            let before = record
            let quote = try Self.quoted(QuoteRules.update(
                record.quote, with: changes, priceList: list, contractRate: contract, today: try today(now, in: tx)))
            record = QuoteRecord(quote, id: record.id, answeredAt: record.answeredAt, createdAt: record.createdAt, updatedAt: now)
            try PaidWorkStore.updateQuote(tx, record)
            try TicketOperations.record(
                tx, ticket: ticket, principal: principal, action: "quoteUpdated",
                changes: ["quote": [Self.summary(before), Self.summary(record)]], events: [], at: now)
            return try view(tx, record, now: now)
        }
    }

    func sendQuote(_ id: Int64, principal: Principal) async throws -> QuoteView {
        let now = storedNow()
        return try await database.write { tx in
            var record = try visibleQuote(tx, id, principal: principal)
            var ticket = try TicketOperations.visibleTicket(tx, id: record.ticket, principal: principal)
            let sending = try Self.paid(PaidWork.send(record.quote, ticket: ticket.state, actor: principal, today: try today(now, in: tx)))
            let before = record
            record = QuoteRecord(sending.quote, id: record.id, createdAt: record.createdAt, updatedAt: now)
            try PaidWorkStore.updateQuote(tx, record)
            let quote = sending.quote
            let (reference, language) = ("#\(record.id)", ticket.language)
            try tickets.persist(
                tx, &ticket, decision: sending.ticket, action: "sendQuote", principal: principal, now: now,
                extraChanges: ["quote": [Self.summary(before), Self.summary(record)]]
            ) { context in context.withQuote(quote, reference: reference, language: language) }
            return try view(tx, record, now: now)
        }
    }

    /// `quote.accept` and `quote.reject`.
    func answerQuote(_ id: Int64, _ answer: QuoteAnswer, note: String?, principal: Principal) async throws -> QuoteView {
        let now = storedNow()
        return try await database.write { tx in
            var record = try visibleQuote(tx, id, principal: principal)
            guard var ticket = try TicketStore.ticket(tx, id: record.ticket) else {
                throw RPCError.notFound(field: "params.quote", "the quote's ticket no longer exists")
            }
            let today = try today(now, in: tx)
            let before = record
            switch answer {
            case .accept:
                let packages = try PaidWorkStore.packages(tx, customer: record.customer)
                let acceptance = try Self.paid(PaidWork.accept(
                    record.quote, note: note, ticket: ticket.state, packages: packages.map(\.package), actor: principal,
                    today: today))
                record = QuoteRecord(acceptance.quote, id: record.id, answeredAt: now, createdAt: record.createdAt, updatedAt: now)
                try PaidWorkStore.updateQuote(tx, record)
                var extra: JSONObject = ["quote": [Self.summary(before), Self.summary(record)]]
                if let package = acceptance.reservedIn {
                    extra["task"] = [.null, .int(try openTask(tx, quote: record, in: package, principal: principal, now: now))]
                }
                // The offers are read only for the offer form.
                let offers = acceptance.shortfall == nil ? [] : try PaidWorkStore.priceList(tx)?.list.packageOffers ?? []
                let language = ticket.language
                try tickets.persist(
                    tx, &ticket, decision: acceptance.ticket, action: "acceptQuote", principal: principal, now: now,
                    extraChanges: extra
                ) { context in
                    acceptance.shortfall.map { context.withOfferForm($0, offers: offers, language: language) } ?? context
                }
            case .reject:
                let rejection = try Self.paid(PaidWork.reject(
                    record.quote, reason: note, ticket: ticket.state, actor: principal, today: today))
                record = QuoteRecord(rejection.quote, id: record.id, answeredAt: now, createdAt: record.createdAt, updatedAt: now)
                try PaidWorkStore.updateQuote(tx, record)
                try tickets.persist(
                    tx, &ticket, decision: rejection.ticket, action: "rejectQuote", principal: principal, now: now,
                    extraChanges: ["quote": [Self.summary(before), Self.summary(record)]])
            }
            return try view(tx, record, now: now)
        }
    }

    func quote(_ id: Int64, principal: Principal) async throws -> QuoteView {
        let now = storedNow()
        return try await database.read { tx in try view(tx, try visibleQuote(tx, id, principal: principal), now: now) }
    }

    func quotes(_ params: QuoteList.Params, principal: Principal) async throws -> QuoteList.Result {
        let status = try params.status.map { try AccountValidation.choice($0, field: "params.status", as: QuoteStatus.self) }
        let limit = try Self.limit(params.limit)
        let now = storedNow()
        return try await database.read { tx in
            var customer = try params.customer.map { try $0.resolve(tx).id }
            if case .contact(_, let own) = principal {
                if let customer, customer != own { throw RPCError.notFound(field: "params.customer", "no such customer") }
                customer = own
            }
            let cursor = ListCursor(key: database.cursorKey, list: QuoteList.name, caller: principal, filters: [
                ("ticket", params.ticket.map { .int(Int64($0)) } ?? .null), ("customer", customer.map { .int($0) } ?? .null),
                ("status", status.cursorValue),
            ])
            let before = try params.cursor.map { try cursor.decode($0) }
            let rows = try PaidWorkStore.quotes(tx, QuoteFilter(
                customer: customer, ticket: params.ticket.map(Int64.init), status: status, today: try today(now, in: tx),
                before: before, limit: limit + 1))
            let page = Array(rows.prefix(limit))
            return QuoteList.Result(
                items: try page.map { try view(tx, $0, now: now) },
                nextCursor: rows.count > limit ? page.last.map { cursor.encode($0.id) } : nil)
        }
    }

    // MARK: Packages

    func orderPackage(_ params: PackageOrderMethod.Params, principal: Principal) async throws -> PackageView {
        let now = storedNow()
        return try await database.write { tx in
            let customer = try params.customer.resolve(tx)
            guard PaidWork.mayOrderPackage(principal, for: customer.id, byOffer: params.offer != nil) else {
                if case .contact(_, let own) = principal, own != customer.id {
                    throw RPCError.notFound(field: "params.customer", "no such customer")
                }
                throw RPCError.forbidden(principal.kind == "contact"
                    ? "a contact orders one of the price list's packageOffers by name (params.offer)"
                    : "only care managers and admins record package orders")
            }
            let today = try today(now, in: tx)
            let startsOn = params.startsOn ?? today
            var order: PackageOrder
            if let name = params.offer {
                for (field, given) in [("params.hours", params.hours != nil), ("params.price", params.price != nil), ("params.endsOn", params.endsOn != nil)] where given {
                    throw RPCError.invalidParams(field: field, reason: "comes from the offer named in params.offer; leave it out")
                }
                guard let offer = try PaidWorkStore.priceList(tx)?.list.offer(named: name) else {
                    throw RPCError.invalidParams(field: "params.offer", reason: "the price list has no package offer named \"\(name)\"")
                }
                if case .contact = principal, startsOn < today {
                    throw RPCError.invalidParams(field: "params.startsOn", reason: "must not be before today (\(today.iso))")
                }
                order = PackageOrder(customer: customer.id, offer: offer, startsOn: startsOn)
            } else {
                guard let hours = params.hours else { throw RPCError.invalidParams(field: "params.hours", reason: "is required without params.offer") }
                guard let price = params.price else { throw RPCError.invalidParams(field: "params.price", reason: "is required without params.offer") }
                let minutes = try Self.wholeMinutes(hours, field: "params.hours")
                order = PackageOrder(customer: customer.id, boughtMinutes: minutes, price: price, startsOn: startsOn, endsOn: params.endsOn)
            }
            order = try Self.checked(order.validate())
            let reference = try params.reference.map { try Self.text($0, field: "params.reference", limit: 200) }
            var record = PackageRecord(order.package(id: 0), offer: params.offer, reference: reference, createdAt: now)
            record.id = try PaidWorkStore.insertPackage(tx, record)
            try PaidWorkStore.addPackageHistory(
                tx, package: record.id, actorKind: principal.kind, actorID: principal.id, action: "order",
                changes: try Self.json(["bought": [.null, .int(Int64(record.boughtMinutes))], "price": [.null, .string(order.price.wire)]]),
                at: now)
            try proceedWaitingTickets(tx, customer: customer.id, today: today, principal: principal, now: now)
            guard let stored = try PaidWorkStore.package(tx, id: record.id) else { throw RPCError.notFound(field: "params.customer", "the package vanished") }
            return Self.view(stored, today: today)
        }
    }

    func package(_ id: Int64, principal: Principal) async throws -> PackageView {
        let now = storedNow()
        return try await database.read { tx in
            guard let record = try PaidWorkStore.package(tx, id: id), Self.mayRead(customer: record.customer, principal) else {
                throw RPCError.notFound(field: "params.package", "no package with id \(id)")
            }
            return Self.view(record, today: try today(now, in: tx))
        }
    }

    func packages(_ params: PackageList.Params, principal: Principal) async throws -> PackageList.Result {
        let status = try params.status.map { try AccountValidation.choice($0, field: "params.status", as: PackageStatus.self) }
        let now = storedNow()
        return try await database.read { tx in
            var customer = try params.customer.map { try $0.resolve(tx).id }
            if case .contact(_, let own) = principal {
                if let customer, customer != own { throw RPCError.notFound(field: "params.customer", "no such customer") }
                customer = own
            }
            let today = try today(now, in: tx)
            let items = try PaidWorkStore.packages(tx, customer: customer)
                .filter { status == nil || $0.package.status(on: today) == status }
                .map { Self.view($0, today: today) }
            return PackageList.Result(items: items)
        }
    }

    // MARK: Tasks and worklogs

    func logWork(_ params: TaskLogWork.Params, principal: Principal) async throws -> WorklogView {
        let now = storedNow()
        let note = try Self.text(params.note, field: "params.note", limit: 10_000)
        return try await database.write { tx in
            let (taskRecord, ticket) = try visibleTask(tx, Int64(params.task), principal: principal)
            guard PaidWork.mayLogWork(principal, on: ticket.state) else {
                throw RPCError.forbidden("only the ticket's assignee, care managers and admins log work on its task")
            }
            guard ticket.status != .closed, taskRecord.closedOn == nil else {
                throw RPCError(code: RPCErrorCode.transitionNotAllowed, message: "Transition not allowed", data: [
                    "status": .string(ticket.status.rawValue), "allowed": [],
                    "reason": "the task's ticket is closed: no more work can be logged on it",
                ])
            }
            let rule = try PaidWorkStore.priceList(tx)?.list.minutes ?? .standard
            let minutes: Int
            switch rule.check(params.duration) {
            case .success(let value): minutes = value
            case .failure(let error): throw RPCError.invalidParams(field: "params.duration", reason: error.reason)
            }
            let today = try today(now, in: tx)
            let on = params.on ?? today
            guard on <= today else {
                throw RPCError.invalidParams(field: "params.on", reason: "must not be in the future (today is \(today.iso))")
            }
            guard let packageRecord = try PaidWorkStore.package(tx, id: taskRecord.package) else {
                throw RPCError.notFound(field: "params.task", "the task's package no longer exists")
            }
            let task = taskRecord.task
            let package = packageRecord.package
            let (nextTask, nextPackage): (WorkTask, SupportPackage)
            switch PackageLedger.logWork(minutes, task: task, package: package, on: on) {
            case .success(let result): (nextTask, nextPackage) = result
            case .failure(.exceedsBalance(let available)):
                throw RPCError(code: RPCErrorCode.domainRule, message: "Rejected by a domain rule", data: [
                    "field": "params.duration", "available": ["minutes": .int(Int64(available))],
                    "reason": .string(WorklogError.exceedsBalance(availableMinutes: available).reason),
                ])
            case .failure(let error):
                throw RPCError.invalidParams(field: "params.duration", reason: error.reason)
            }
            try PaidWorkStore.updateTask(tx, nextTask)
            try PaidWorkStore.updateBalance(tx, nextPackage)
            let worklog = WorklogRecord(task: task.id, staff: principal.staffID, minutes: minutes, note: note, on: on, createdAt: now)
            var stored = worklog
            stored.id = try PaidWorkStore.insertWorklog(tx, worklog)
            try PaidWorkStore.addPackageHistory(
                tx, package: package.id, actorKind: principal.kind, actorID: principal.id, action: "consume",
                changes: try Self.json(Self.balanceChanges(package, nextPackage)), at: now)
            try TicketOperations.record(
                tx, ticket: ticket, principal: principal, action: "logWork",
                changes: ["task.logged": [.int(Int64(task.loggedMinutes)), .int(Int64(nextTask.loggedMinutes))],
                          "task.reserved": [.int(Int64(task.reservedMinutes)), .int(Int64(nextTask.reservedMinutes))]],
                events: [], at: now)
            return try Self.view(tx, stored)
        }
    }

    func task(_ id: Int64, principal: Principal) async throws -> TaskView {
        try await database.read { tx in Self.view(try visibleTask(tx, id, principal: principal).0) }
    }

    func tasks(_ params: TaskList.Params, principal: Principal) async throws -> TaskList.Result {
        try await database.read { tx in
            var rows = try PaidWorkStore.tasks(tx, ticket: params.ticket.map(Int64.init), package: params.package.map(Int64.init))
            if case .staff(let id, let role) = principal, !role.managesTickets {
                // Operators see the tasks of the tickets assigned to them, as they see tickets.
                let mine = try TicketStore.tickets(tx, ids: Set(rows.map(\.ticket))).filter { $0.value.assignee == id }
                rows = rows.filter { mine[$0.ticket] != nil }
            }
            return TaskList.Result(items: rows.map(Self.view))
        }
    }

    func worklogs(_ id: Int64, principal: Principal) async throws -> TaskWorklogs.Result {
        try await database.read { tx in
            let (task, _) = try visibleTask(tx, id, principal: principal)
            return TaskWorklogs.Result(items: try PaidWorkStore.worklogs(tx, task: task.id).map { try Self.view(tx, $0) })
        }
    }

    // MARK: Billing

    func statement(_ params: BillingStatementMethod.Params, principal: Principal) async throws -> BillingStatementView {
        guard let month = YearMonth(iso: params.month) else {
            throw RPCError.invalidParams(field: "params.month", reason: "must be a month YYYY-MM, such as 2026-12")
        }
        return try await database.read { tx in
            let customer = try params.customer.resolve(tx)
            guard Self.mayRead(customer: customer.id, principal) else {
                throw RPCError.notFound(field: "params.customer", "no such customer")
            }
            let packages = try PaidWorkStore.packages(tx, customer: customer.id).map(\.package)
            let statement = BillingStatement.make(
                month: month, packages: packages,
                consumption: try PaidWorkStore.consumption(tx, customer: customer.id, from: month.firstDay, through: month.lastDay),
                closedTasks: try PaidWorkStore.closedTasks(tx, customer: customer.id, from: month.firstDay, through: month.lastDay))
            return BillingStatementView(
                customer: Int(customer.id), month: month.iso,
                packages: statement.packages.map { line in
                    .init(package: Int(line.package), startsOn: line.startsOn, endsOn: line.endsOn,
                          hours: .minutes(Double(line.boughtMinutes)), consumedInMonth: .minutes(Double(line.consumedInMonthMinutes)),
                          consumedToDate: .minutes(Double(line.consumedToDateMinutes)), available: .minutes(Double(line.availableMinutes)))
                },
                closedTasks: statement.closedTasks.map { line in
                    .init(task: Int(line.task), ticket: Int(line.ticket), quote: Int(line.quote), package: Int(line.package),
                          closedOn: line.closedOn, amount: line.quoteAmount, estimate: .minutes(Double(line.estimateMinutes)),
                          logged: .minutes(Double(line.loggedMinutes)))
                })
        }
    }

    // MARK: Steps shared with the ticket operations

    /// Closes the ticket's open tasks (its ticket was closed): what they still reserve goes
    /// back to their package. Returns the minutes worked on them (for the closure notification),
    /// nil when the ticket has no task.
    static func closeTasks(_ tx: StoreWriter, ticket: Int64, principal: Principal, now: Date, changes: inout JSONObject) throws -> Int? {
        let tasks = try PaidWorkStore.tasks(tx, ticket: ticket, package: nil)
        guard !tasks.isEmpty else { return nil }
        let today = LocalDate(iso: String(StoreTime.text(now).prefix(10))) ?? LocalDate(daysSinceEpoch: 0)
        for record in tasks where record.closedOn == nil {
            guard let packageRecord = try PaidWorkStore.package(tx, id: record.package) else { continue }
            let before = packageRecord.package
            let (task, package) = PackageLedger.close(record.task, package: before, on: today)
            try PaidWorkStore.updateTask(tx, task)
            try PaidWorkStore.updateBalance(tx, package)
            if before.reservedMinutes != package.reservedMinutes {
                try PaidWorkStore.addPackageHistory(
                    tx, package: package.id, actorKind: principal.kind, actorID: principal.id, action: "release",
                    changes: try json(balanceChanges(before, package)), at: now)
            }
            changes["task.reserved"] = [.int(Int64(record.reservedMinutes)), .int(0)]
        }
        return tasks.reduce(0) { $0 + $1.loggedMinutes }
    }

    /// Opens the task of an accepted quote in `package` (whose balance already holds the
    /// reservation): writes the package's balance, its history and the task; returns the task's id.
    private func openTask(_ tx: StoreWriter, quote: QuoteRecord, in package: SupportPackage, principal: Principal, now: Date) throws -> Int64 {
        guard let stored = try PaidWorkStore.package(tx, id: package.id) else {
            throw RPCError.notFound(field: "params.quote", "the package vanished")
        }
        try PaidWorkStore.updateBalance(tx, package)
        try PaidWorkStore.addPackageHistory(
            tx, package: package.id, actorKind: principal.kind, actorID: principal.id, action: "reserve",
            changes: try Self.json(Self.balanceChanges(stored.package, package)), at: now)
        let task = WorkTask(
            id: 0, ticket: quote.ticket, package: package.id, quote: quote.id, estimateMinutes: quote.estimateMinutes,
            reservedMinutes: quote.estimateMinutes)
        return try PaidWorkStore.insertTask(tx, TaskRecord(task, createdAt: now))
    }

    /// After an order: the customer's waiting tickets that the balance now covers proceed,
    /// oldest first, each with its task, in the caller's transaction.
    private func proceedWaitingTickets(_ tx: StoreWriter, customer: Int64, today: LocalDate, principal: Principal, now: Date) throws {
        let waiting = try PaidWorkStore.waitingTickets(tx, customer: customer)
        guard !waiting.isEmpty else { return }
        let packages = try PaidWorkStore.packages(tx, customer: customer).map(\.package)
        let outcome = PackageLedger.proceedWaiting(waiting, packages: packages, today: today)
        var balances = Dictionary(uniqueKeysWithValues: packages.map { ($0.id, $0) })
        for step in outcome.proceeding {
            guard var ticket = try TicketStore.ticket(tx, id: step.ticket), let quote = try PaidWorkStore.quote(tx, id: step.quote),
                let package = balances[step.package]
            else { continue }
            let reserved = PackageLedger.reserve(step.reservedMinutes, in: package)
            balances[step.package] = reserved
            let taskID = try openTask(tx, quote: quote, in: reserved, principal: .system, now: now)
            let decision = try Self.paid(PaidWork.proceed(ticket.state, quote: quote.quote))
            try tickets.persist(
                tx, &ticket, decision: decision, action: "packageOrdered", principal: principal, now: now,
                extraChanges: ["task": [.null, .int(taskID)]])
        }
    }

    // MARK: Reading with visibility

    /// The quote, if `principal` may see it: staff all, a contact their company's (-32003 else).
    private func visibleQuote(_ tx: StoreReader, _ id: Int64, principal: Principal) throws -> QuoteRecord {
        guard let record = try PaidWorkStore.quote(tx, id: id), QuoteRules.canView(record.quote, actor: principal) else {
            throw RPCError.notFound(field: "params.quote", "no quote with id \(id)")
        }
        return record
    }

    /// The task and its ticket, if `principal` may see the ticket (operators: their own).
    private func visibleTask(_ tx: StoreReader, _ id: Int64, principal: Principal) throws -> (TaskRecord, TicketRecord) {
        guard let task = try PaidWorkStore.task(tx, id: id), let ticket = try TicketStore.ticket(tx, id: task.ticket) else {
            throw RPCError.notFound(field: "params.task", "no task with id \(id)")
        }
        if case .staff(let staff, let role) = principal, !role.managesTickets, ticket.assignee != staff {
            throw RPCError.notFound(field: "params.task", "no task with id \(id)")
        }
        return (task, ticket)
    }

    private static func mayRead(customer: Int64, _ principal: Principal) -> Bool {
        if case .contact(_, let own) = principal { return own == customer }
        return true
    }

    /// The price list to quote with, and the customer's contract rate. Without a stored list
    /// the standard minutes rule applies, and a rate must come from the quote or the contract.
    private func rates(_ tx: StoreReader, customer: Int64, explicit: Money?) throws -> (PriceList, Money?) {
        let contract = try PaidWorkStore.contractRate(tx, customer: customer)
        if let stored = try PaidWorkStore.priceList(tx) { return (stored.list, contract) }
        guard let rate = explicit ?? contract else {
            throw RPCError(code: RPCErrorCode.domainRule, message: "Rejected by a domain rule", data: [
                "field": "params.hourlyRate",
                "reason": "no hourly rate: give params.hourlyRate, or set a contract rate (customer.setContractRate) or the price list (priceList.set)",
            ])
        }
        return (PriceList(hourlyRate: rate), contract)
    }

    private static func checkAssignee(_ tx: StoreReader, _ id: Int64, field: String) throws {
        guard let staff = try AccountStore.staff(tx, id: id), staff.active else {
            throw RPCError.notFound(field: field, "no active staff member with id \(id)")
        }
    }

    // MARK: Views

    private func view(_ tx: StoreReader, _ record: QuoteRecord, now: Date) throws -> QuoteView {
        let quote = record.quote
        let name = try AccountStore.staff(tx, id: record.assignee)?.name ?? ""
        return QuoteView(
            id: Int(record.id), ticket: Int(record.ticket), customer: Int(record.customer),
            estimate: .minutes(Double(record.estimateMinutes)), hourlyRate: quote.hourlyRate, amount: quote.amount,
            validDays: record.validDays, validUntil: record.status == .draft ? try today(now, in: tx).adding(days: record.validDays) : record.validUntil,
            status: quote.status(on: try today(now, in: tx)), description: record.description,
            assignee: StaffRef(id: Int(record.assignee), name: name), answerNote: record.answerNote, createdAt: Instant(record.createdAt))
    }

    private static func view(_ record: PackageRecord, today: LocalDate) -> PackageView {
        let package = record.package
        return PackageView(
            id: Int(record.id), customer: Int(record.customer), hours: .minutes(Double(record.boughtMinutes)), price: package.price,
            startsOn: record.startsOn, endsOn: record.endsOn, status: package.status(on: today),
            reserved: .minutes(Double(record.reservedMinutes)), consumed: .minutes(Double(record.consumedMinutes)),
            available: .minutes(Double(package.availableMinutes)), offer: record.offer, reference: record.reference,
            createdAt: Instant(record.createdAt))
    }

    private static func view(_ record: TaskRecord) -> TaskView {
        TaskView(
            id: Int(record.id), ticket: Int(record.ticket), package: Int(record.package), quote: Int(record.quote),
            estimate: .minutes(Double(record.estimateMinutes)), reserved: .minutes(Double(record.reservedMinutes)),
            logged: .minutes(Double(record.loggedMinutes)), closedOn: record.closedOn)
    }

    private static func view(_ tx: StoreReader, _ record: WorklogRecord) throws -> WorklogView {
        let staff = try record.staff.map { id in StaffRef(id: Int(id), name: try AccountStore.staff(tx, id: id)?.name ?? "") }
        return WorklogView(
            id: Int(record.id), task: Int(record.task), staff: staff,
            duration: .minutes(Double(record.minutes)), note: record.note, on: record.on, createdAt: Instant(record.createdAt))
    }

    private static func view(_ stored: (list: PriceList, updatedAt: Date)?) -> PriceListView {
        let rule = stored?.list.minutes ?? .standard
        return PriceListView(
            hourlyRate: stored?.list.hourlyRate, minimumMinutes: rule.minimumMinutes, stepMinutes: rule.stepMinutes,
            packageOffers: stored?.list.packageOffers ?? [], updatedAt: stored.map { Instant($0.updatedAt) })
    }

    /// What a history row says of a quote: `{id, status, estimateMinutes, amount}`.
    private static func summary(_ record: QuoteRecord) -> JSONValue {
        ["id": .int(record.id), "status": .string(record.status.rawValue),
         "estimateMinutes": .int(Int64(record.estimateMinutes)), "amount": .string(record.quote.amount.wire)]
    }

    private static func balanceChanges(_ before: SupportPackage, _ after: SupportPackage) -> JSONObject {
        var changes = JSONObject()
        if before.reservedMinutes != after.reservedMinutes {
            changes["reserved"] = [.int(Int64(before.reservedMinutes)), .int(Int64(after.reservedMinutes))]
        }
        if before.consumedMinutes != after.consumedMinutes {
            changes["consumed"] = [.int(Int64(before.consumedMinutes)), .int(Int64(after.consumedMinutes))]
        }
        return changes
    }

    // MARK: Checks and errors

    private static func limit(_ limit: Int?) throws -> Int {
        let limit = limit ?? 50
        guard (1...500).contains(limit) else { throw RPCError.invalidParams(field: "params.limit", reason: "must be 1 to 500") }
        return limit
    }

    private static func text(_ text: String, field: String, limit: Int) throws -> String {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw RPCError.invalidParams(field: field, reason: "must not be blank")
        }
        guard text.count <= limit else { throw RPCError.invalidParams(field: field, reason: "must be at most \(limit) characters") }
        return text
    }

    /// A duration given in minutes or hours, as whole minutes (working days depend on a calendar).
    private static func wholeMinutes(_ duration: WorkingDuration, field: String) throws -> Int {
        let minutes: Double
        switch duration {
        case .minutes(let n): minutes = n
        case .hours(let n): minutes = n * 60
        case .workingDays: throw RPCError.invalidParams(field: field + ".workingDays", reason: "give minutes or hours")
        }
        guard minutes.isFinite, minutes > 0, minutes == minutes.rounded(), minutes <= Double(BillableMinutesRule.maximumMinutes) else {
            throw RPCError.invalidParams(field: field, reason: "must be a whole number of minutes, more than 0 and at most 10000 hours")
        }
        return Int(minutes)
    }

    private static func checked<Value>(_ result: Result<Value, PriceListError>) throws -> Value {
        switch result {
        case .success(let value): return value
        case .failure(let error): throw RPCError.invalidParams(field: "params." + error.field, reason: error.reason)
        }
    }

    private static func quoted(_ result: Result<Quote, QuoteError>) throws -> Quote {
        switch result {
        case .success(let quote): return quote
        case .failure(let error): throw rpcError(error)
        }
    }

    private static func paid<Value>(_ result: Result<Value, PaidWorkError>) throws -> Value {
        switch result {
        case .success(let value): return value
        case .failure(.notFound): throw RPCError.notFound(field: "params.quote", "no such quote")
        case .failure(.workflow(let error)): return try TicketOperations.decided(Result<Value, WorkflowError>.failure(error))
        case .failure(.quote(let error)): throw rpcError(error)
        }
    }

    private static func rpcError(_ error: QuoteError) -> RPCError {
        switch error {
        case .invalid(let field, let reason):
            return RPCError.invalidParams(field: "params." + field, reason: reason)
        case .ticketNotQuotable(let status, _):
            return RPCError(code: RPCErrorCode.transitionNotAllowed, message: "Transition not allowed", data: [
                "field": "params.ticket", "status": .string(status.rawValue), "reason": .string(error.reason)])
        case .notAllowed(let status, _), .alreadyAnswered(let status):
            return RPCError(code: RPCErrorCode.transitionNotAllowed, message: "Transition not allowed", data: [
                "field": "params.quote", "status": .string(status.rawValue), "reason": .string(error.reason)])
        case .expired(let validUntil):
            return RPCError(code: RPCErrorCode.domainRule, message: "Rejected by a domain rule", data: [
                "reason": .string(error.reason), "validUntil": .string(validUntil.iso)])
        }
    }

    private static func json(_ object: JSONObject) throws -> String {
        String(decoding: JSONSerializer.serialize(.object(object)), as: UTF8.self)
    }

    private static func jsonValue<Value: Encodable>(_ value: Value?) throws -> JSONValue {
        guard let value else { return .null }
        return try JSONValueEncoder().encode(value)
    }
}

extension Principal {
    /// The staff member's id; nil for the system and contacts.
    var staffID: Int64? {
        if case .staff(let id, _) = self { return id }
        return nil
    }
}
