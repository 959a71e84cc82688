import Foundation
import JSONRPC
import SportelloDomain
import SportelloStore

// The maintenance.* and availability.* methods are declared by schema/sportello.openrpc.json;
// their types (MaintenanceSchedule, …, AvailabilityReport, and the shared MaintenanceWindowView,
// Outage, AvailabilityFigures, LocalizedText) are generated at build time. The rules are the
// domain's (MaintenanceRules, MaintenanceText, Availability); each change is one transaction
// with its announcements in the outbox.

// MARK: Handlers

extension SportelloService {
    func registerMaintenanceMethods(into registry: inout MethodRegistry<CallContext>) {
        let ops = MaintenanceOperations(environment: environment, calendars: calendars)
        registry.register(MaintenanceSchedule.self, by: self) { params, context in
            try await ops.schedule(params, principal: try context.requirePrincipal())
        }
        registry.register(MaintenanceList.self, by: self) { params, context in
            try await ops.list(params, principal: try context.requirePrincipal())
        }
        registry.register(MaintenanceReschedule.self, by: self) { params, context in
            try await ops.reschedule(params, principal: try context.requirePrincipal())
        }
        registry.register(MaintenanceCancel.self, by: self) { params, context in
            try await ops.cancel(params, principal: try context.requirePrincipal())
        }
        registry.register(AvailabilityRecordOutage.self, by: self) { params, context in
            try await ops.recordOutage(params, principal: try context.requirePrincipal())
        }
        registry.register(AvailabilityEndOutage.self, by: self) { params, _ in
            try await ops.endOutage(params)
        }
        registry.register(AvailabilityOutages.self, by: self) { params, _ in
            try await ops.outages(params)
        }
        registry.register(AvailabilityReport.self, by: self) { params, context in
            try await ops.report(params, principal: try context.requirePrincipal())
        }
    }
}

// MARK: Operations

struct MaintenanceOperations: Sendable {
    let environment: ServiceEnvironment
    let calendars: CalendarCatalog

    /// Maintenance windows are measured on the office calendar; months in its zone (Europe/Rome).
    static let officeCalendar = "interzen-office"

    private var database: SportelloDatabase { environment.database }
    private func storedNow() -> Date { StoreTime.rounded(environment.now()) }

    // MARK: Windows

    func schedule(_ params: MaintenanceSchedule.Params, principal: Principal) async throws -> MaintenanceWindowView {
        let now = storedNow()
        let from = StoreTime.rounded(params.from.date), to = StoreTime.rounded(params.to.date)
        let title = try Self.localized(params.title, field: "params.title")
        let description = try params.description.map { try Self.localized($0, field: "params.description") }
        let urgentReason = try Self.urgency(params.urgent, params.urgentReason)
        let announce = params.announce ?? true
        return try await database.write { tx in
            let products = try Self.checkedProducts(tx, params.products)
            let calendar = try calendars.calendar(named: Self.officeCalendar, in: tx)
            let inTime = try Self.checkWindow(
                from: from, to: to, now: now, calendar: calendar, notice: params.noticeWorkingDays, urgent: urgentReason != nil)
            var record = MaintenanceWindowRecord(
                startsAt: from, endsAt: to, titleIt: title.it, titleEn: title.en, descriptionIt: description?.it,
                descriptionEn: description?.en, announce: announce, urgent: urgentReason != nil, urgentReason: urgentReason,
                inTime: announce && inTime, createdBy: principal.staffID, createdAt: now, updatedAt: now)
            record.id = try MaintenanceStore.insertWindow(tx, record, products: products)
            if announce {
                let audience = try MaintenanceStore.audience(tx, products: products, on: calendar.localDate(of: from))
                try announceWindow(tx, record, products: products, to: audience, calendar: calendar, rescheduled: false, now: now)
            }
            return try Self.view(tx, record)
        }
    }

    func reschedule(_ params: MaintenanceReschedule.Params, principal: Principal) async throws -> MaintenanceWindowView {
        let now = storedNow()
        let from = StoreTime.rounded(params.from.date), to = StoreTime.rounded(params.to.date)
        let urgentReason = try Self.urgency(params.urgent, params.urgentReason)
        return try await database.write { tx in
            var record = try Self.scheduledWindow(tx, Int64(params.window), now: now)
            let calendar = try calendars.calendar(named: Self.officeCalendar, in: tx)
            let inTime = try Self.checkWindow(
                from: from, to: to, now: now, calendar: calendar, notice: params.noticeWorkingDays, urgent: urgentReason != nil)
            record.startsAt = from
            record.endsAt = to
            record.urgent = urgentReason != nil
            record.urgentReason = urgentReason
            record.inTime = record.announce && inTime
            record.updatedAt = now
            try MaintenanceStore.updateWindow(tx, record)
            if record.announce {
                let products = try MaintenanceStore.products(tx, window: record.id)
                // Everyone told before, and whoever the new date touches.
                var customers = try MaintenanceStore.recipients(tx, window: record.id)
                for customer in try MaintenanceStore.audience(tx, products: products, on: calendar.localDate(of: from)).map(\.customer)
                where !customers.contains(customer) { customers.append(customer) }
                try announceWindow(
                    tx, record, products: products, to: try MaintenanceStore.audience(tx, customers: customers.sorted()),
                    calendar: calendar, rescheduled: true, now: now)
            }
            return try Self.view(tx, record)
        }
    }

    func cancel(_ params: MaintenanceCancel.Params, principal: Principal) async throws -> MaintenanceWindowView {
        let now = storedNow()
        let reason = try Self.text(params.reason, field: "params.reason", limit: 500)
        return try await database.write { tx in
            var record = try Self.scheduledWindow(tx, Int64(params.window), now: now)
            record.status = "cancelled"
            record.cancelReason = reason
            record.updatedAt = now
            try MaintenanceStore.updateWindow(tx, record)
            let calendar = try calendars.calendar(named: Self.officeCalendar, in: tx)
            let products = try MaintenanceStore.products(tx, window: record.id)
            for customer in try MaintenanceStore.audience(tx, customers: try MaintenanceStore.recipients(tx, window: record.id))
            where !customer.recipients.isEmpty {
                let text = MaintenanceText.cancellation(
                    title: customer.language == .it ? record.titleIt : record.titleEn,
                    window: MaintenanceText.window(from: record.startsAt, to: record.endsAt, on: calendar, in: customer.language),
                    products: products, reason: reason, in: customer.language)
                try enqueue(tx, .maintenanceCancelled, customer: customer, text: text, now: now)
            }
            return try Self.view(tx, record)
        }
    }

    func list(_ params: MaintenanceList.Params, principal: Principal) async throws -> MaintenanceList.Result {
        let now = storedNow()
        return try await database.read { tx in
            var products: [String]? = nil
            if let product = params.product {
                guard try MaintenanceStore.productExists(tx, product) else {
                    throw RPCError.invalidParams(field: "params.product", reason: "unknown product \"\(product)\"")
                }
                products = [product]
            }
            if case .contact(_, let customer) = principal {
                let calendar = try calendars.calendar(named: Self.officeCalendar, in: tx)
                let own = try MaintenanceStore.activeProducts(tx, customer: customer, on: calendar.localDate(of: now))
                products = (products ?? own).filter(own.contains)
                if products?.isEmpty == true { return MaintenanceList.Result(items: []) }
            }
            let rows = try MaintenanceStore.windows(tx, from: params.from?.date, to: params.to?.date, products: products)
            return MaintenanceList.Result(items: try rows.map { try Self.view(tx, $0) })
        }
    }

    /// One notification per customer, to the company's address and its contacts, in the
    /// customer's language; the customers told are recorded (a cancellation reaches them).
    private func announceWindow(
        _ tx: StoreWriter, _ record: MaintenanceWindowRecord, products: [String], to audience: [AnnouncementAudience],
        calendar: BusinessCalendar, rescheduled: Bool, now: Date
    ) throws {
        for customer in audience where !customer.recipients.isEmpty {
            let it = customer.language == .it
            let text = MaintenanceText.announcement(
                title: it ? record.titleIt : record.titleEn, description: it ? record.descriptionIt : record.descriptionEn,
                window: MaintenanceText.window(from: record.startsAt, to: record.endsAt, on: calendar, in: customer.language),
                products: products, rescheduled: rescheduled, in: customer.language)
            try enqueue(tx, .maintenance, customer: customer, text: text, now: now)
            try MaintenanceStore.addRecipient(tx, window: record.id, customer: customer.customer)
        }
    }

    private func enqueue(_ tx: StoreWriter, _ kind: NotificationKind, customer: AnnouncementAudience, text: (subject: String, message: String), now: Date) throws {
        try Self.enqueueNotice(tx, kind, customer: customer, text: text, now: now)
    }

    private static func enqueueNotice(_ tx: StoreWriter, _ kind: NotificationKind, customer: AnnouncementAudience, text: (subject: String, message: String), now: Date) throws {
        let rendered = NotificationTemplates.render(kind, language: customer.language, context: NotificationContext(
            ticketID: 0, subject: text.subject, customerName: customer.name, message: text.message))
        try TicketStore.enqueue(
            tx, ticket: nil, kind: kind.rawValue, language: customer.language, recipient: customer.recipients.joined(separator: ", "),
            subject: rendered.subject, body: rendered.body, at: now)
    }

    // MARK: Closures

    /// The note of an announced closure; nil when the closure is not announced.
    static func closureNote(announce: Bool?, note: LocalizedText?) throws -> (it: String, en: String)? {
        guard announce == true else {
            if note != nil { throw RPCError.invalidParams(field: "params.availabilityNote", reason: "only with announce: true") }
            return nil
        }
        guard let note else { throw RPCError.invalidParams(field: "params.availabilityNote", reason: "is required with announce: true: say how support is reached during the closure") }
        return try localized(note, field: "params.availabilityNote")
    }

    /// Announces a closure of a support calendar to every customer holding, on its first day, an
    /// active subscription to a product whose SLA policy runs on that calendar.
    static func announceClosure(_ tx: StoreWriter, calendar: String, from: LocalDate, to: LocalDate, note: (it: String, en: String), now: Date) throws {
        let products = try MaintenanceStore.products(tx, servedBy: calendar)
        guard !products.isEmpty else {
            throw RPCError.invalidParams(field: "params.announce", reason: "\(calendar) is not a support calendar: only the closures of a calendar an SLA policy uses are announced")
        }
        for customer in try MaintenanceStore.audience(tx, products: products, on: from) where !customer.recipients.isEmpty {
            let text = MaintenanceText.closure(from: from, to: to, note: customer.language == .it ? note.it : note.en, in: customer.language)
            try enqueueNotice(tx, .closureNotice, customer: customer, text: text, now: now)
        }
    }

    // MARK: Outages

    func recordOutage(_ params: AvailabilityRecordOutage.Params, principal: Principal) async throws -> Outage {
        let now = storedNow()
        let from = StoreTime.rounded(params.from.date), to = params.to.map { StoreTime.rounded($0.date) }
        let cause = try Self.text(params.cause, field: "params.cause", limit: 500)
        let severity = params.severity ?? "total"
        guard ["partial", "total"].contains(severity) else {
            throw RPCError.invalidParams(field: "params.severity", reason: "must be partial or total")
        }
        guard from <= now else { throw RPCError.invalidParams(field: "params.from", reason: "must not be in the future") }
        if let to {
            guard to > from else { throw RPCError.invalidParams(field: "params.to", reason: "the outage ends at or before its start") }
            guard to <= now else { throw RPCError.invalidParams(field: "params.to", reason: "must not be in the future") }
        }
        return try await database.write { tx in
            let products = try Self.checkedProducts(tx, params.products)
            for product in products {
                if let existing = try MaintenanceStore.overlapping(tx, product: product, cause: cause, from: from, to: to) {
                    throw RPCError(code: RPCErrorCode.domainRule, message: "Rejected by a domain rule", data: [
                        "field": "params.from", "outage": .int(existing),
                        "reason": .string("outage #\(existing) of \(product) with the same cause overlaps this one: it is the same outage (end it with availability.endOutage)"),
                    ])
                }
            }
            var record = OutageRecord(startsAt: from, endsAt: to, cause: cause, severity: severity, createdBy: principal.staffID, createdAt: now, updatedAt: now)
            record.id = try MaintenanceStore.insertOutage(tx, record, products: products)
            return Self.view(record, products: products)
        }
    }

    func endOutage(_ params: AvailabilityEndOutage.Params) async throws -> Outage {
        let now = storedNow()
        let at = StoreTime.rounded(params.at.date)
        return try await database.write { tx in
            guard var record = try MaintenanceStore.outage(tx, id: Int64(params.outage)) else {
                throw RPCError.notFound(field: "params.outage", "no outage with id \(params.outage)")
            }
            guard record.endsAt == nil else {
                throw RPCError(code: RPCErrorCode.transitionNotAllowed, message: "Transition not allowed", data: [
                    "field": "params.outage", "reason": "the outage has already ended",
                ])
            }
            guard at > record.startsAt else { throw RPCError.invalidParams(field: "params.at", reason: "must be after the outage's start") }
            guard at <= now else { throw RPCError.invalidParams(field: "params.at", reason: "must not be in the future") }
            try MaintenanceStore.endOutage(tx, id: record.id, at: at, now: now)
            record.endsAt = at
            return Self.view(record, products: try MaintenanceStore.outageProducts(tx, outage: record.id))
        }
    }

    func outages(_ params: AvailabilityOutages.Params) async throws -> AvailabilityOutages.Result {
        try await database.read { tx in
            if let product = params.product, try !MaintenanceStore.productExists(tx, product) {
                throw RPCError.invalidParams(field: "params.product", reason: "unknown product \"\(product)\"")
            }
            let rows = try MaintenanceStore.outages(tx, from: params.from?.date, to: params.to?.date, product: params.product)
            return AvailabilityOutages.Result(items: try rows.map { Self.view($0, products: try MaintenanceStore.outageProducts(tx, outage: $0.id)) })
        }
    }

    // MARK: Report

    func report(_ params: AvailabilityReport.Params, principal: Principal) async throws -> AvailabilityReport.Result {
        guard let month = YearMonth(iso: params.month), (1900...2199).contains(month.year) else {
            throw RPCError.invalidParams(field: "params.month", reason: "must be a month YYYY-MM, such as 2027-03")
        }
        // As of `at`, never later than now: what happens after it (an ongoing outage's future) is not counted.
        let now = storedNow()
        let at = min(StoreTime.rounded(params.at?.date ?? now), now)
        return try await database.read { tx in
            let calendar = try calendars.calendar(named: Self.officeCalendar, in: tx)
            var products = CalendarSeed.products.map(\.code)
            if let product = params.product {
                guard try MaintenanceStore.productExists(tx, product) else {
                    throw RPCError.invalidParams(field: "params.product", reason: "unknown product \"\(product)\"")
                }
                products = [product]
            }
            if case .contact(_, let customer) = principal {
                let own = try MaintenanceStore.activeProducts(tx, customer: customer, on: calendar.localDate(of: at))
                if let product = params.product, !own.contains(product) {
                    throw RPCError.notFound(field: "params.product", "your company holds no active subscription to \(product)")
                }
                products = products.filter(own.contains)
            }
            let bounds = Availability.monthSpan(month, calendar: calendar)
            let from = Date(timeIntervalSinceReferenceDate: Double(bounds.start) * 60)
            let to = Date(timeIntervalSinceReferenceDate: Double(bounds.end) * 60)
            let items = try products.map { product -> AvailabilityFigures in
                let outages = try MaintenanceStore.outageSpans(tx, product: product, from: from, to: to).compactMap { start, end -> MinuteSpan? in
                    let stop = min(end ?? at, at)
                    return start < stop ? MinuteSpan(from: start, to: stop) : nil
                }
                let windows = try MaintenanceStore.excludedWindows(tx, product: product, from: from, to: to).map { MinuteSpan(from: $0.0, to: $0.1) }
                let f = Availability.figures(month: bounds, outages: outages, maintenance: windows)
                return AvailabilityFigures(
                    product: product, minutes: Int(f.minutes), outageMinutes: Int(f.outageMinutes), maintenanceMinutes: Int(f.maintenanceMinutes),
                    downtimeMinutes: Int(f.downtimeMinutes), availability: f.availability, target: ._9995,
                    budgetMinutes: Int(f.budgetMinutes), budgetLeftMinutes: Int(f.budgetLeftMinutes), met: f.met)
            }
            return AvailabilityReport.Result(month: month.iso, at: Instant(at), items: items)
        }
    }

    // MARK: Checks

    /// Checks the window and returns whether its notice is enough; short notice without
    /// urgency is -32006.
    private static func checkWindow(from: Date, to: Date, now: Date, calendar: BusinessCalendar, notice: Int?, urgent: Bool) throws -> Bool {
        switch MaintenanceRules.check(from: from, to: to, now: now, on: calendar) {
        case .success: break
        case .failure(.endsBeforeStart): throw RPCError.invalidParams(field: "params.to", reason: MaintenanceWindowError.endsBeforeStart.reason)
        case .failure(.tooLong(let maximum)):
            throw RPCError.invalidParams(field: "params.to", reason: MaintenanceWindowError.tooLong(maximumMinutes: maximum).reason)
        case .failure(.inPast): throw RPCError.invalidParams(field: "params.from", reason: MaintenanceWindowError.inPast.reason)
        case .failure(let error):
            var data: JSONObject = ["field": "params.from", "reason": .string(error.reason)]
            if case .outsideWorkingTime(let next) = error { data["nextValidStart"] = next.map { .string(RFC3339.format($0)) } ?? .null }
            throw RPCError(code: RPCErrorCode.domainRule, message: "Rejected by a domain rule", data: .object(data))
        }
        let days = notice ?? MaintenanceRules.defaultNoticeWorkingDays
        let inTime = MaintenanceRules.hasNotice(now: now, start: from, workingDays: days, on: calendar)
        if !inTime && !urgent {
            let earliest = MaintenanceRules.earliestStart(now: now, workingDays: days, length: to.timeIntervalSince(from), on: calendar)
            let error = MaintenanceWindowError.shortNotice(requiredWorkingDays: days, earliestStart: earliest)
            throw RPCError(code: RPCErrorCode.domainRule, message: "Rejected by a domain rule", data: [
                "field": "params.from", "reason": .string(error.reason),
                "earliestStart": earliest.map { .string(RFC3339.format($0)) } ?? .null,
            ])
        }
        return inTime
    }

    private static func urgency(_ urgent: Bool?, _ reason: String?) throws -> String? {
        guard urgent == true else {
            if reason != nil { throw RPCError.invalidParams(field: "params.urgentReason", reason: "only with urgent: true") }
            return nil
        }
        guard let reason else { throw RPCError.invalidParams(field: "params.urgentReason", reason: "is required with urgent: true") }
        return try text(reason, field: "params.urgentReason", limit: 500)
    }

    private static func scheduledWindow(_ tx: StoreReader, _ id: Int64, now: Date?) throws -> MaintenanceWindowRecord {
        guard let record = try MaintenanceStore.window(tx, id: id) else {
            throw RPCError.notFound(field: "params.window", "no maintenance window with id \(id)")
        }
        guard record.status == "scheduled" else {
            throw RPCError(code: RPCErrorCode.transitionNotAllowed, message: "Transition not allowed", data: [
                "field": "params.window", "status": .string(record.status), "reason": "the window was cancelled",
            ])
        }
        if let now, record.startsAt <= now {
            throw RPCError(code: RPCErrorCode.transitionNotAllowed, message: "Transition not allowed", data: [
                "field": "params.window", "status": .string(record.status), "reason": "the window has already started: it can no longer be moved or cancelled",
            ])
        }
        return record
    }

    private static func checkedProducts(_ tx: StoreReader, _ products: [String]) throws -> [String] {
        guard !products.isEmpty else { throw RPCError.invalidParams(field: "params.products", reason: "must name at least one product") }
        var seen: [String] = []
        for (i, product) in products.enumerated() {
            guard try MaintenanceStore.productExists(tx, product) else {
                throw RPCError.invalidParams(field: "params.products[\(i)]", reason: "unknown product \"\(product)\"")
            }
            if !seen.contains(product) { seen.append(product) }
        }
        return seen.sorted()
    }

    static func localized(_ text: LocalizedText, field: String) throws -> (it: String, en: String) {
        (try Self.text(text.it, field: field + ".it", limit: 2000), try Self.text(text.en, field: field + ".en", limit: 2000))
    }

    private static func text(_ text: String, field: String, limit: Int) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw RPCError.invalidParams(field: field, reason: "must not be blank") }
        guard trimmed.count <= limit else { throw RPCError.invalidParams(field: field, reason: "must be at most \(limit) characters") }
        return trimmed
    }

    // MARK: Views

    private static func view(_ tx: StoreReader, _ record: MaintenanceWindowRecord) throws -> MaintenanceWindowView {
        let description: LocalizedText? = if let it = record.descriptionIt, let en = record.descriptionEn { LocalizedText(it: it, en: en) } else { nil }
        return MaintenanceWindowView(
            id: Int(record.id), from: Instant(record.startsAt), to: Instant(record.endsAt),
            products: try MaintenanceStore.products(tx, window: record.id),
            title: LocalizedText(it: record.titleIt, en: record.titleEn), description: description, status: record.status,
            announced: record.announce, urgent: record.urgent, urgentReason: record.urgentReason, inTime: record.inTime,
            notified: try MaintenanceStore.recipients(tx, window: record.id).count, cancelReason: record.cancelReason,
            createdAt: Instant(record.createdAt))
    }

    private static func view(_ record: OutageRecord, products: [String]) -> Outage {
        Outage(
            id: Int(record.id), products: products, from: Instant(record.startsAt), to: record.endsAt.map(Instant.init),
            cause: record.cause, severity: record.severity, createdAt: Instant(record.createdAt))
    }
}
