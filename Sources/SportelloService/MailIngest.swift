import Foundation
import JSONRPC
import SportelloDomain
import SportelloMail
import SportelloStore

// Mail in (docs/product.md §8, "Mail in"): `mail.ingest` takes one raw message as the mail
// server received it, keeps it whatever becomes of it, and opens, appends or follows up a ticket
// — or records it only, for robots, loops, bounces and repeats. The message is parsed before
// the transaction (parsing is the CPU-heavy part and needs no data); the decisions are
// `MailIntake`'s; everything the message changes is one transaction with the raw copy.

extension SportelloService {
    func registerMailInMethods(into registry: inout MethodRegistry<CallContext>) {
        let tickets = TicketOperations(environment: environment, calendars: calendars)
        registry.register(MailIngest.self, by: self) { params, context in
            try await tickets.ingest(params, context: context)
        }
        registry.register(MailUpload.self, by: self) { params, context in
            try tickets.upload(params.data, context: context)
        }
        registry.register(MailGet.self, by: self) { params, context in
            let principal = try context.requireStaff()
            return try await tickets.inboundMail(Int64(params.mail), principal: principal)
        }
        registry.register(AttachmentGet.self, by: self) { params, context in
            try await tickets.attachment(Int64(params.attachment), principal: try context.requirePrincipal())
        }
        registry.register(TicketSetContact.self, by: self) { params, context in
            try await tickets.setContact(
                Int64(params.ticket), contact: Int64(params.contact), expectedVersion: params.expectedVersion,
                principal: try context.requirePrincipal())
        }
    }
}

extension TicketOperations {

    // MARK: mail.ingest

    func ingest(_ params: MailIngest.Params, context: CallContext) async throws -> IngestOutcome {
        let limits = MailIntake.Limits.standard
        let now = storedNow()
        if let given = params.receivedAt?.date, given > now.addingTimeInterval(300) {
            // A mail server's clock a little ahead is not an error; five minutes ahead is.
            throw RPCError.invalidParams(field: "params.receivedAt", reason: "must not be in the future")
        }
        let received = params.receivedAt.map { StoreTime.rounded(min($0.date, now)) } ?? now
        let prepared: PreparedMail
        switch (params.raw, params.parts) {
        case (let text?, nil):
            prepared = try PreparedMail(raw: Self.base64(text, field: "params.raw", limit: limits.messageBytes), limits: limits)
        case (nil, let parts?):
            guard parts >= 1 else { throw RPCError.invalidParams(field: "params.parts", reason: "must be at least 1") }
            prepared = try PreparedMail(raw: uploadedMessage(parts: parts, context: context), limits: limits)
        case (nil, nil):
            throw RPCError.invalidParams(field: "params.raw", reason: "is required (or parts, for a message handed in with mail.upload)")
        case (_?, _?):
            throw RPCError.invalidParams(field: "params.parts", reason: "must not be given with raw")
        }
        let mail = prepared.mail
        let compressed = prepared.compressed
        let digest = prepared.sha256
        let size = compressed.size

        return try await environment.database.write { [self] tx in
            let settings = try MailStore.settings(tx) ?? .defaults()
            let expiresAt = received.addingTimeInterval(TimeInterval(settings.rawRetentionDays) * 86_400)
            try InboundStore.expireRaw(tx, now: now)
            var row = InboundMailRecord(
                messageID: mail.messageID, receivedAt: received, sender: mail.address, subject: mail.subject, outcome: "ignored",
                reason: nil, ticket: nil, message: nil, size: size, sha256: digest, expiresAt: expiresAt)

            let signals = MailIntake.Signals(
                alreadyIngested: try mail.messageID.map { try InboundStore.isKnown(tx, messageID: $0) } ?? false,
                isBounce: mail.isBounce,
                carriesOurLoopMarker: MailSignals.hasLoopMarker(mail.headers, marker: settings.supportAddress),
                fromOurSupportAddress: mail.address == settings.supportAddress.lowercased(),
                isAutoReply: mail.autoReply != nil && !mail.isListMail,
                isBulk: mail.isListMail,
                recentFromSender: try mail.address.map {
                    try InboundStore.count(tx, sender: $0, since: received.addingTimeInterval(-limits.burstWindow))
                } ?? 0,
                hasSender: mail.address != nil)
            if let reason = MailIntake.screen(signals, limits: limits) {
                row.reason = reason.rawValue
                var outcome = IngestOutcome(outcome: .ignored, mail: 0, reason: IngestOutcome.Reason(rawValue: reason.rawValue))
                if reason == .bounce {
                    outcome.notBounced = try !markBounced(tx, mail, at: now)
                }
                outcome.mail = Int(try InboundStore.insert(tx, row, raw: compressed))
                return outcome
            }
            let address = mail.address!  // screened: there is a sender

            // Who wrote.
            let sender: MailIntake.Sender
            var contact: ContactRecord?
            if let found = try AccountStore.contact(tx, email: address) {
                contact = found
                sender = .contact(id: found.id, customer: found.customer)
            } else if let domain = address.split(separator: "@").last, let customer = try InboundStore.customer(forDomain: String(domain), tx) {
                sender = .domainOf(customer: customer)
            } else {
                sender = .unknown
            }

            // Which ticket it answers, if any.
            var candidate: MailIntake.Candidate?
            let named = try InboundStore.ticket(forMessageIDs: mail.ancestors, tx) ?? mail.taggedTicket
            if let named, let ticket = try TicketStore.ticket(tx, id: named) {
                candidate = MailIntake.Candidate(
                    ticket: ticket.id, state: ticket.state, senderAddress: try InboundStore.sender(tx, ticket: ticket.id)?.address)
            }
            let placement = MailIntake.place(sender: sender, address: address, candidate: candidate)

            // What the ticket message says: the new text, with a note for each attachment left out.
            var omitted: [IngestOutcome.OmittedItem] = []
            var kept: [MailAttachment] = []
            for attachment in mail.attachments {
                if attachment.size > limits.attachmentBytes {
                    omitted.append(.init(filename: attachment.filename, size: attachment.size, reason: "larger than 10 MiB"))
                } else {
                    kept.append(attachment)
                }
            }
            let body = mail.body(omitted: omitted.map { ($0.filename, $0.size) })

            let principal: Principal = contact.map { .contact(id: $0.id, customer: $0.customer) } ?? .system
            let senderRecord = contact == nil
                ? TicketSenderRecord(ticket: 0, address: address, name: mail.name, unmatched: sender == .unknown) : nil
            var ticket: TicketRecord
            let outcomeKind: IngestOutcome.Outcome
            switch placement {
            case .append(let id):
                ticket = try TicketStore.ticket(tx, id: id)!
                let decision: TicketDecision
                if contact != nil {
                    decision = try Self.decided(TicketWorkflow.decide(.addMessage(text: body, internal: false), state: ticket.state, actor: principal))
                } else {
                    decision = try Self.decided(TicketWorkflow.customerMailMessage(ticket.state, text: body))
                }
                try persist(tx, &ticket, decision: decision, action: "addMessage", principal: principal, now: now,
                            author: contact == nil ? ("contact", nil) : nil)
                outcomeKind = .appended
            case .followUp(let id):
                let closed = try TicketStore.ticket(tx, id: id)!
                ticket = try openFollowUp(
                    tx, of: closed, text: body, principal: principal, now: now, sender: senderRecord, detected: .some(mail.language))
                outcomeKind = .followUp
            case .open:
                ticket = try openByMail(
                    tx, mail: mail, body: body, sender: sender, contact: contact, senderRecord: senderRecord, principal: principal,
                    received: received, now: now, limits: limits)
                outcomeKind = .opened
            }
            let message = try TicketStore.lastMessageID(tx, ticket: ticket.id)
            for attachment in kept {
                _ = try InboundStore.addAttachment(
                    tx, ticket: ticket.id, message: message, filename: attachment.filename, contentType: attachment.contentType,
                    bytes: attachment.bytes, sha256: Hashes.sha256Hex(attachment.bytes))
            }
            row.outcome = outcomeKind.rawValue
            row.ticket = ticket.id
            row.message = message
            let id = try InboundStore.insert(tx, row, raw: compressed)
            let senderKind: IngestOutcome.Sender = switch sender {
            case .contact: .contact
            case .domainOf: .domain
            case .unknown: .unmatched
            }
            return IngestOutcome(
                outcome: outcomeKind, mail: Int(id), ticket: Int(ticket.id), message: Int(message), sender: senderKind,
                omitted: omitted.isEmpty ? nil : omitted)
        }
    }

    /// A new ticket from a mail: for the contact's company, the company owning the sender's
    /// domain, or the placeholder customer of unmatched senders.
    private func openByMail(
        _ tx: StoreWriter, mail: ParsedMail, body: String, sender: MailIntake.Sender, contact: ContactRecord?,
        senderRecord: TicketSenderRecord?, principal: Principal, received: Date, now: Date, limits: MailIntake.Limits
    ) throws -> TicketRecord {
        let customerID: Int64 = switch sender {
        case .contact(_, let customer): customer
        case .domainOf(let customer): customer
        case .unknown: try InboundStore.unmatchedCustomer(tx, at: now)
        }
        guard let customer = try AccountStore.customer(tx, id: customerID) else {
            throw RPCError.internalError("customer \(customerID) of a mail sender does not exist")
        }
        let day = String(StoreTime.text(received).prefix(10))
        let product = try InboundStore.mailProduct(tx, customer: customer.id, day: day, fallback: limits.fallbackProduct)
        let (policy, calendar) = try calendars.sla(forProduct: product, in: tx)
        let decision = try Self.decided(TicketWorkflow.open(customer: customer.id, reporterContact: contact?.id, declaredPriority: nil))
        let language = TicketIntake.language(
            explicit: nil, detected: mail.language, contact: contact?.language, customer: customer.language)
        let eligible = try AccountStore.isEligible(tx, customer: customer.id, product: product, on: day)
        var ticket = TicketRecord(
            customer: customer.id, contact: contact?.id, product: product, subject: mail.ticketSubject, channel: .email,
            language: language, priority: decision.state.priority, severity: nil, status: decision.state.status,
            eligible: eligible, receivedAt: received, createdAt: now, updatedAt: now)
        try persistOpening(
            tx, &ticket, decision: decision, body: body, at: received, author: ("contact", contact?.id),
            changes: [
                "status": [JSONValue.null, .string(ticket.status.rawValue)], "priority": [JSONValue.null, .int(Int64(ticket.priority))],
                "language": [JSONValue.null, .string(language.rawValue)], "eligible": [JSONValue.null, .bool(eligible)],
            ],
            customer: customer, contact: contact, principal: principal, policy: policy, calendar: calendar, now: now,
            sender: senderRecord)
        return ticket
    }

    /// Marks the notification a bounce answers `bounced`: by the Message-ID of the returned
    /// message, else the last notification sent to the failed recipient. False when none is found.
    private func markBounced(_ tx: StoreWriter, _ mail: ParsedMail, at: Date) throws -> Bool {
        let failed = mail.deliveryStatuses.first { ($0.action ?? "failed") == "failed" } ?? mail.deliveryStatuses.first
        var target = try mail.bouncedMessageID.flatMap { try InboundStore.notification(messageID: $0, tx) }
        if target == nil, let recipient = failed?.recipient {
            target = try InboundStore.lastNotification(sentTo: recipient, tx)
        }
        guard let target else { return false }
        let detail = [failed?.status, failed?.diagnostic].compactMap { $0 }.joined(separator: " ")
        try InboundStore.markBounced(tx, notification: target, detail: detail.isEmpty ? "returned by the mail system" : detail, at: at)
        return true
    }

    /// Strict base64 (line breaks and blanks between groups allowed, as `base64` wraps), decoded
    /// straight from the string's UTF-8 into one array of the decoded size. Foundation's
    /// `Data(base64Encoded:)` needs the whitespace removed into a copy first and then a further
    /// copy into an array: measured on a 25 MiB mail, three transient copies of 25–33 MiB each
    /// on top of the result, most of a server's peak memory while taking it.
    static func base64(_ text: String, field: String, limit: Int) throws -> [UInt8] {
        let utf8 = text.utf8
        guard utf8.count / 4 * 3 <= limit + 3 * 1024 else { throw tooLarge(field: field, limit: limit) }
        var decoder = StrictBase64Decoder()
        decoder.reserve(utf8.count / 4 * 3)
        do {
            // Straight from the string's storage when it is contiguous (always, for a string the
            // JSON parser made); byte by byte through the view otherwise.
            if try utf8.withContiguousStorageIfAvailable({ bytes in try decoder.append(bytes, limit: limit) }) == nil {
                try decoder.append(utf8, limit: limit)
            }
        } catch StrictBase64Decoder.Failure.tooLarge {
            throw tooLarge(field: field, limit: limit)
        } catch {
            throw RPCError.invalidParams(field: field, reason: "must be base64")
        }
        guard decoder.isComplete else { throw RPCError.invalidParams(field: field, reason: "must be base64") }
        return decoder.take()
    }

    private static func tooLarge(field: String, limit: Int) -> RPCError {
        RPCError.invalidParams(field: field, reason: "must be at most \(limit) bytes (25 MiB) decoded")
    }

    // MARK: mail.get

    func inboundMail(_ id: Int64, principal: Principal) async throws -> InboundMail {
        try await environment.database.read { tx in
            guard let (record, raw) = try InboundStore.mail(tx, id: id) else {
                throw RPCError.notFound(field: "params.mail", "no mail with id \(id)")
            }
            if case .staff(let staff, .operator) = principal {
                let ticket = try record.ticket.flatMap { try TicketStore.ticket(tx, id: $0) }
                guard ticket?.assignee == staff else { throw RPCError.notFound(field: "params.mail", "no mail with id \(id)") }
            }
            return InboundMail(
                id: Int(record.id), messageID: record.messageID, receivedAt: Instant(record.receivedAt), from: record.sender,
                subject: record.subject, outcome: .init(rawValue: record.outcome) ?? .ignored, reason: record.reason,
                ticket: record.ticket.map(Int.init), message: record.message.map(Int.init), size: record.size, sha256: record.sha256,
                raw: raw.map { Data($0).base64EncodedString() }, expiresAt: Instant(record.expiresAt))
        }
    }

    // MARK: attachment.get

    func attachment(_ id: Int64, principal: Principal) async throws -> AttachmentContent {
        try await environment.database.read { tx in
            guard let (listing, bytes) = try InboundStore.attachment(tx, id: id),
                let ticket = try TicketStore.ticket(tx, id: listing.ticket), TicketWorkflow.canView(ticket.state, actor: principal)
            else {
                throw RPCError.notFound(field: "params.attachment", "no attachment with id \(id)")
            }
            return AttachmentContent(
                id: Int(listing.id), ticket: Int(listing.ticket), message: Int(listing.message), filename: listing.filename,
                contentType: listing.contentType, size: listing.size, content: Data(bytes).base64EncodedString())
        }
    }

    // MARK: ticket.setContact

    func setContact(_ id: Int64, contact contactID: Int64, expectedVersion: Int?, principal: Principal) async throws -> Ticket {
        let now = storedNow()
        return try await environment.database.write { [self] tx in
            var ticket = try Self.visibleTicket(tx, id: id, principal: principal)
            guard let contact = try AccountStore.contact(tx, id: contactID) else {
                throw RPCError.notFound(field: "params.contact", "no contact with id \(contactID)")
            }
            try Self.checkVersion(ticket, expected: expectedVersion)
            guard ticket.status != .closed else {
                throw RPCError(code: RPCErrorCode.transitionNotAllowed, message: "Transition not allowed", data: [
                    "status": "closed", "allowed": [], "reason": "a closed ticket keeps the contact it had",
                ])
            }
            if ticket.contact == contact.id { return try render(tx, ticket: ticket, principal: principal, now: now) }
            guard let customer = try AccountStore.customer(tx, id: contact.customer) else {
                throw RPCError.notFound(field: "params.contact", "the contact's company no longer exists")
            }
            let sender = try InboundStore.sender(tx, ticket: ticket.id)
            let wasUnmatched = sender?.unmatched == true
            let eligible = try AccountStore.isEligible(
                tx, customer: customer.id, product: ticket.product, on: String(StoreTime.text(now).prefix(10)))
            var changes: JSONObject = ["contact": [ticket.contact.map { .int($0) } ?? .null, .int(contact.id)]]
            if ticket.customer != customer.id { changes["customer"] = [.int(ticket.customer), .int(customer.id)] }
            if ticket.eligible != eligible { changes["eligible"] = [.bool(ticket.eligible), .bool(eligible)] }
            if let sender { changes["sender"] = [.string(sender.address), .null] }
            try InboundStore.relink(tx, ticket: ticket.id, customer: customer.id, contact: contact.id, eligible: eligible)
            try InboundStore.removeSender(tx, ticket: ticket.id)
            let before = ticket.version
            ticket.customer = customer.id
            ticket.contact = contact.id
            ticket.eligible = eligible
            ticket.version += 1
            ticket.updatedAt = now
            guard try TicketStore.update(tx, ticket, expectedVersion: before) else {
                throw RPCError(code: RPCErrorCode.versionConflict, message: "Version conflict", data: [
                    "reason": "the ticket changed while this change was being made; read it again",
                ])
            }
            try Self.record(tx, ticket: ticket, principal: principal, action: "setContact", changes: changes, events: [], at: now)
            // The receipt an unmatched sender never got goes to the contact now.
            if wasUnmatched {
                try Self.notify(tx, ticket: ticket, customer: customer, contact: contact, kinds: [.receipt], message: nil, at: now)
            }
            return try render(tx, ticket: ticket, principal: principal, now: now)
        }
    }
}

/// A message made ready before the write transaction: parsed, digested and compressed, so that
/// its bytes can be let go before the transaction (the decoded attachments and the compressed
/// copy are what the transaction still needs).
struct PreparedMail: Sendable {
    var mail: ParsedMail
    var compressed: InboundStore.CompressedRaw
    var sha256: String

    init(raw: consuming [UInt8], limits: MailIntake.Limits) throws {
        sha256 = Hashes.sha256Hex(raw)
        compressed = try InboundStore.compress(raw)
        mail = ParsedMail(raw: raw, limits: limits)  // the last use: the message is let go here
    }
}

/// What mail in reads of a message, computed once, before the transaction.
struct ParsedMail: Sendable {
    var headers: MailHeaders
    var messageID: String?
    /// The From address, lower-cased.
    var address: String?
    var name: String?
    var subject: String
    var ticketSubject: String
    var taggedTicket: Int64?
    var ancestors: [String]
    var autoReply: AutoReplyReason?
    var listID: String?
    /// Mailing-list mail: a `List-Id`, or `Precedence: list`. (`Precedence: bulk` or `junk`
    /// without a list is a robot's answer — a helpdesk's acknowledgement — screened as an
    /// auto-reply.)
    var isListMail: Bool
    var isBounce: Bool
    var deliveryStatuses: [DeliveryStatus]
    var bouncedMessageID: String?
    var newText: String
    var attachments: [MailAttachment]
    /// The language of the subject and the new text, detected before the transaction (the
    /// detector costs more than the rest of an opening: measured, a quarter of the writer's time).
    var language: Language?

    init(raw: [UInt8], limits: MailIntake.Limits) {
        let message = MailMessage(bytes: raw, limits: MailLimits(maxBytes: limits.messageBytes))
        headers = message.headers
        let keys = message.threadKeys
        messageID = keys.messageID
        let from = message.from.first
        address = from.map { $0.address.lowercased() }.flatMap { $0.contains("@") ? $0 : nil }
        name = from?.name.flatMap { $0.isEmpty ? nil : $0 }
        subject = message.subject
        let normalized = keys.normalizedSubject.trimmingCharacters(in: .whitespacesAndNewlines)
        ticketSubject = normalized.isEmpty ? "(senza oggetto / no subject)" : String(normalized.prefix(TicketLimits.subjectCharacters))
        taggedTicket = keys.ticketNumber
        ancestors = keys.ancestors
        autoReply = message.autoReplyReason
        listID = message.listID
        let precedence = headers["Precedence"]?.trimmingCharacters(in: .whitespaces).lowercased()
        isListMail = listID != nil || precedence == "list"
        isBounce = message.isBounce
        deliveryStatuses = isBounce ? MailSignals.deliveryStatuses(message) : []
        bouncedMessageID = isBounce ? MailSignals.bouncedMessageID(message) : nil
        let text = message.text
        let reply = ReplySeparator.split(text)
        let fresh = Self.trimmed(reply.newText)
        newText = fresh.isEmpty ? Self.trimmed(text) : fresh
        attachments = message.attachments
        language = LanguageDetector.detect(subject + "\n" + newText)?.language
    }

    /// Without blanks and line breaks at either end (Foundation's `trimmingCharacters` goes
    /// through NSString: measured at 9 % of an ingest).
    static func trimmed(_ text: String) -> String { text.trimmingScalars { $0.properties.isWhitespace } }

    /// The ticket message: the new text (cut at the message limit; the raw mail keeps it
    /// whole), then a line for each attachment left out.
    func body(omitted: [(filename: String, size: Int)]) -> String {
        var text = newText.isEmpty ? "(messaggio senza testo / message without text)" : newText
        if text.utf8.count > TicketLimits.bodyBytes - 4096 {
            var cut = text.utf8.prefix(TicketLimits.bodyBytes - 4096)
            while String(cut) == nil { cut = cut.dropLast() }
            text = String(cut)! + "\n[…] (testo troncato: il messaggio completo è in mail.get / text cut: the whole message is in mail.get)"
        }
        for (filename, size) in omitted {
            let mebibytes = String(format: "%.1f", Double(size) / 1_048_576)
            text += "\n[Allegato omesso / attachment left out: \(filename), \(mebibytes) MiB, oltre il limite di 10 MiB / over the 10 MiB limit]"
        }
        return text
    }
}
