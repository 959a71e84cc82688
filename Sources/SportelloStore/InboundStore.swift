import CompressNIO
import Foundation
import GRDB
import NIOCore
import SportelloDomain

// Mail in: what `mail.ingest` keeps of every message, the attachments of ingested mail and the
// address a ticket opened by mail came from. The raw message is stored zlib-compressed
// (CompressNIO over the system zlib rather than a hand-written deflate): mail text compresses
// 3–5×, base64 attachments about 1.3×.

/// One message handed to `mail.ingest`, raw bytes included (nil once its retention ran out).
public struct InboundMailRecord: Sendable, Hashable {
    public var id: Int64 = 0
    /// Without angle brackets; nil when the message had none.
    public var messageID: String?
    public var receivedAt: Date
    /// The From address, lower-cased; nil when there was none.
    public var sender: String?
    public var subject: String
    /// `opened`, `appended`, `followUp` or `ignored`.
    public var outcome: String
    public var reason: String?
    public var ticket: Int64?
    public var message: Int64?
    public var size: Int
    public var sha256: String
    public var expiresAt: Date

    public init(
        messageID: String?, receivedAt: Date, sender: String?, subject: String, outcome: String, reason: String?, ticket: Int64?,
        message: Int64?, size: Int, sha256: String, expiresAt: Date
    ) {
        self.messageID = messageID
        self.receivedAt = receivedAt
        self.sender = sender
        self.subject = subject
        self.outcome = outcome
        self.reason = reason
        self.ticket = ticket
        self.message = message
        self.size = size
        self.sha256 = sha256
        self.expiresAt = expiresAt
    }
}

/// An attachment as listed on a ticket message.
public struct AttachmentListing: Sendable, Hashable {
    public var id: Int64
    public var ticket: Int64
    public var message: Int64
    public var filename: String
    public var contentType: String
    public var size: Int
}

/// The address a ticket opened by mail came from, when the sender is no contact.
public struct TicketSenderRecord: Sendable, Hashable {
    public var ticket: Int64
    public var address: String
    public var name: String?
    /// No customer owns the sender's domain: the ticket waits for a care manager to link it,
    /// and nothing is sent to the sender meanwhile.
    public var unmatched: Bool

    public init(ticket: Int64, address: String, name: String?, unmatched: Bool) {
        self.ticket = ticket
        self.address = address
        self.name = name
        self.unmatched = unmatched
    }
}

public enum InboundStore {
    // MARK: Raw mail

    /// The raw copy of a message as it is stored: zlib-compressed, with its size.
    public struct CompressedRaw: Sendable {
        fileprivate var buffer: ByteBuffer
        /// The message's size before compression.
        public let size: Int
    }

    /// Compresses a message for `insert`. Called before the write transaction (it is CPU work
    /// and needs no data); the caller may then let the message go. The input is fed to zlib in
    /// 1 MiB pieces, so no copy of it is made, into one buffer of zlib's bound for its size, of
    /// which only what is written takes memory.
    public static func compress(_ raw: [UInt8]) throws -> CompressedRaw {
        let piece = 1 << 20
        let compressor = CompressionAlgorithm.zlib().compressor
        // deflateBound for zlib's default settings: the size, 5 bytes per 16 KiB stored block and
        // the header and trailer (zlib.h; 6 bytes for the zlib wrapper, rounded up).
        var output = ByteBufferAllocator().buffer(capacity: raw.count + (raw.count >> 12) + (raw.count >> 14) + (raw.count >> 25) + 64)
        var input = ByteBufferAllocator().buffer(capacity: min(piece, max(raw.count, 1)))
        try compressor.startStream()
        var offset = 0
        repeat {
            let end = min(offset + piece, raw.count)
            input.clear()
            input.writeBytes(raw[offset..<end])
            try compressor.streamDeflate(from: &input, to: &output, flush: end == raw.count ? .finish : .no)
            offset = end
        } while offset < raw.count
        try compressor.finishStream()
        return CompressedRaw(buffer: output, size: raw.count)
    }

    /// Stores the message and its raw copy (`compress`); returns its id.
    public static func insert(_ tx: StoreWriter, _ mail: InboundMailRecord, raw: CompressedRaw) throws -> Int64 {
        try raw.buffer.withUnsafeReadableBytes { bytes in
            try tx.db.runKept("""
                INSERT INTO inbound_mail(messageID, receivedAt, sender, subject, outcome, reason, ticket, message, size, sha256, raw,
                                         expiresAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(mail.messageID), .text(StoreTime.text(mail.receivedAt)), .text(mail.sender), .text(mail.subject),
                      .text(mail.outcome), .text(mail.reason), .int(mail.ticket), .int(mail.message), .int(Int64(mail.size)),
                      .text(mail.sha256), .blob(bytes), .text(StoreTime.text(mail.expiresAt))])
        }
        return tx.db.lastInsertedRowID
    }

    /// The message and its raw bytes (nil once expired).
    public static func mail(_ tx: StoreReader, id: Int64) throws -> (record: InboundMailRecord, raw: [UInt8]?)? {
        guard let row = try tx.db.rows("SELECT * FROM inbound_mail WHERE id = ?", [id]).first else { return nil }
        let receivedAt: String = row["receivedAt"]
        let expiresAt: String = row["expiresAt"]
        var record = InboundMailRecord(
            messageID: row["messageID"], receivedAt: StoreTime.date(receivedAt) ?? Date(timeIntervalSince1970: 0),
            sender: row["sender"], subject: row["subject"], outcome: row["outcome"], reason: row["reason"], ticket: row["ticket"],
            message: row["message"], size: row["size"], sha256: row["sha256"],
            expiresAt: StoreTime.date(expiresAt) ?? Date(timeIntervalSince1970: 0))
        record.id = id
        let compressed: Data? = row["raw"]
        return (record, try compressed.map { try decompress($0, size: record.size) })
    }

    /// Whether a message with this Message-ID was already ingested (and not ignored as a duplicate itself).
    public static func isKnown(_ tx: StoreReader, messageID: String) throws -> Bool {
        try tx.db.value(Bool.self, "SELECT EXISTS (SELECT 1 FROM inbound_mail WHERE messageID = ?)", [messageID], cached: true)
            ?? false
    }

    /// How many messages `sender` sent since `since` (the robot rule).
    public static func count(_ tx: StoreReader, sender: String, since: Date) throws -> Int {
        try tx.db.value(
            Int.self, "SELECT count(*) FROM inbound_mail WHERE sender = ? AND receivedAt >= ?", [sender, StoreTime.text(since)],
            cached: true) ?? 0
    }

    /// Drops the raw bytes of messages whose retention ran out, at most `limit` at a time; the
    /// row (who sent what, when, and what became of it) stays.
    @discardableResult
    public static func expireRaw(_ tx: StoreWriter, now: Date, limit: Int = 100) throws -> Int {
        try tx.db.run("""
            UPDATE inbound_mail SET raw = NULL
            WHERE id IN (SELECT id FROM inbound_mail WHERE raw IS NOT NULL AND expiresAt <= ? ORDER BY expiresAt LIMIT ?)
            """, [StoreTime.text(now), limit], cached: true)
        return tx.db.changesCount
    }

    // MARK: Threading

    /// The ticket a Message-ID belongs to: a notification Sportello sent, or a message it
    /// ingested into a ticket. The first of `ids` that is known wins.
    public static func ticket(forMessageIDs ids: [String], _ tx: StoreReader) throws -> Int64? {
        for id in ids {
            if let ticket = try tx.db.value(
                Int64.self, "SELECT ticket FROM outbox WHERE messageID = ? AND ticket IS NOT NULL LIMIT 1", [id], cached: true)
            {
                return ticket
            }
            if let ticket = try tx.db.value(
                Int64.self, "SELECT ticket FROM inbound_mail WHERE messageID = ? AND ticket IS NOT NULL ORDER BY id LIMIT 1", [id],
                cached: true)
            {
                return ticket
            }
        }
        return nil
    }

    // MARK: Bounces

    /// The notification a bounce answers, by the Message-ID Sportello gave it.
    public static func notification(messageID: String, _ tx: StoreReader) throws -> Int64? {
        try tx.db.value(Int64.self, "SELECT id FROM outbox WHERE messageID = ? LIMIT 1", [messageID], cached: true)
    }

    /// The most recent notification sent to `recipient` (a bounce that names no Message-ID).
    public static func lastNotification(sentTo recipient: String, _ tx: StoreReader) throws -> Int64? {
        try tx.db.value(
            Int64.self, "SELECT id FROM outbox WHERE recipient = ? COLLATE NOCASE AND status = 'sent' ORDER BY id DESC LIMIT 1",
            [recipient])
    }

    /// Marks a notification bounced, with the DSN's words as its last error.
    public static func markBounced(_ tx: StoreWriter, notification: Int64, detail: String, at: Date) throws {
        try tx.db.run(
            "UPDATE outbox SET status = 'bounced', lastError = ?, nextAttemptAt = NULL, claimedUntil = NULL WHERE id = ?",
            [detail, notification])
        try tx.db.run(
            "INSERT INTO outbox_attempt(outbox, at, outcome, error) VALUES (?, ?, 'failed', ?)",
            [notification, StoreTime.text(at), "bounced: " + detail])
    }

    // MARK: Attachments

    /// Stores an attachment of a ticket message; the bytes once per SHA-256 digest.
    public static func addAttachment(
        _ tx: StoreWriter, ticket: Int64, message: Int64, filename: String, contentType: String, bytes: [UInt8], sha256: String
    ) throws -> Int64 {
        let blob: Int64
        if let existing = try tx.db.value(Int64.self, "SELECT id FROM attachment_blob WHERE sha256 = ?", [sha256], cached: true) {
            blob = existing
        } else {
            try bytes.withUnsafeBytes { buffer in
                try tx.db.runKept(
                    "INSERT INTO attachment_blob(sha256, size, bytes) VALUES (?, ?, ?)", [.text(sha256), .int(Int64(bytes.count)), .blob(buffer)])
            }
            blob = tx.db.lastInsertedRowID
        }
        try tx.db.run("""
            INSERT INTO message_attachment(ticket, message, blob, filename, contentType, size) VALUES (?, ?, ?, ?, ?, ?)
            """, [ticket, message, blob, filename, contentType, bytes.count], cached: true)
        return tx.db.lastInsertedRowID
    }

    /// The attachments of a ticket's messages, in order.
    public static func attachments(_ tx: StoreReader, ticket: Int64) throws -> [AttachmentListing] {
        try tx.db.rows(
            "SELECT id, ticket, message, filename, contentType, size FROM message_attachment WHERE ticket = ? ORDER BY message, id",
            [ticket], cached: true
        ).map { row in
            AttachmentListing(
                id: row["id"], ticket: row["ticket"], message: row["message"], filename: row["filename"],
                contentType: row["contentType"], size: row["size"])
        }
    }

    /// One attachment with its bytes.
    public static func attachment(_ tx: StoreReader, id: Int64) throws -> (listing: AttachmentListing, bytes: [UInt8])? {
        guard let row = try tx.db.rows("""
            SELECT a.id, a.ticket, a.message, a.filename, a.contentType, a.size, b.bytes FROM message_attachment a
            JOIN attachment_blob b ON b.id = a.blob WHERE a.id = ?
            """, [id]).first else { return nil }
        let bytes: Data = row["bytes"]
        return (AttachmentListing(
            id: row["id"], ticket: row["ticket"], message: row["message"], filename: row["filename"],
            contentType: row["contentType"], size: row["size"]), [UInt8](bytes))
    }

    // MARK: Senders

    public static func setSender(_ tx: StoreWriter, _ sender: TicketSenderRecord) throws {
        try tx.db.run(
            "INSERT OR REPLACE INTO ticket_sender(ticket, address, name, unmatched) VALUES (?, ?, ?, ?)",
            [sender.ticket, sender.address, sender.name, sender.unmatched])
    }

    public static func sender(_ tx: StoreReader, ticket: Int64) throws -> TicketSenderRecord? {
        guard let row = try tx.db.rows(
            "SELECT ticket, address, name, unmatched FROM ticket_sender WHERE ticket = ?", [ticket], cached: true).first
        else { return nil }
        return TicketSenderRecord(ticket: row["ticket"], address: row["address"], name: row["name"], unmatched: row["unmatched"])
    }

    public static func removeSender(_ tx: StoreWriter, ticket: Int64) throws {
        try tx.db.run("DELETE FROM ticket_sender WHERE ticket = ?", [ticket])
    }

    /// Links a ticket to a contact of another customer (`ticket.setContact`): the ticket moves
    /// to the contact's company, with the eligibility of that company.
    public static func relink(_ tx: StoreWriter, ticket: Int64, customer: Int64, contact: Int64, eligible: Bool) throws {
        try tx.db.run(
            "UPDATE ticket SET customer = ?, contact = ?, eligible = ? WHERE id = ?", [customer, contact, eligible, ticket])
    }

    // MARK: Unmatched senders

    /// The code of the customer that holds tickets from senders no customer owns. It cannot be
    /// given to a real customer (`~` is not allowed in codes).
    public static let unmatchedCustomerCode = "~unmatched"

    /// The customer of unmatched tickets, created the first time one is needed.
    public static func unmatchedCustomer(_ tx: StoreWriter, at: Date) throws -> Int64 {
        if let id = try tx.db.value(Int64.self, "SELECT id FROM customer WHERE code = ?", [unmatchedCustomerCode], cached: true) {
            return id
        }
        try tx.db.run(
            "INSERT INTO customer(code, name, language, createdAt) VALUES (?, ?, 'it', ?)",
            [unmatchedCustomerCode, "Mittenti non riconosciuti / Unmatched senders", StoreTime.text(at)])
        return tx.db.lastInsertedRowID
    }

    /// The customer that owns `domain` (`customer.setDomains`), if any.
    public static func customer(forDomain domain: String, _ tx: StoreReader) throws -> Int64? {
        try tx.db.value(Int64.self, "SELECT customer FROM customer_domain WHERE domain = ?", [domain.lowercased()], cached: true)
    }

    /// The product a ticket opened by mail is about: the customer's subscription in force on
    /// `day` (the oldest), else its oldest subscription, else `fallback` when it exists, else
    /// the first product.
    public static func mailProduct(_ tx: StoreReader, customer: Int64, day: String, fallback: String) throws -> String {
        if let product = try tx.db.value(String.self, """
            SELECT product FROM subscription WHERE customer = ? AND ("from" IS NULL OR "from" <= ?) AND ("to" IS NULL OR "to" >= ?)
            ORDER BY id LIMIT 1
            """, [customer, day, day]) { return product }
        if let product = try tx.db.value(String.self, "SELECT product FROM subscription WHERE customer = ? ORDER BY id LIMIT 1", [customer]) {
            return product
        }
        if try tx.db.value(Bool.self, "SELECT EXISTS (SELECT 1 FROM product WHERE code = ?)", [fallback]) == true { return fallback }
        return try tx.db.value(String.self, "SELECT code FROM product ORDER BY code LIMIT 1") ?? fallback
    }

    // MARK: Compression

    static func decompress(_ data: Data, size: Int) throws -> [UInt8] {
        var input = ByteBuffer(bytes: data)
        var output = ByteBufferAllocator().buffer(capacity: max(size, 1))
        try input.decompress(to: &output, with: .zlib())
        return Array(output.readableBytesView)
    }
}
