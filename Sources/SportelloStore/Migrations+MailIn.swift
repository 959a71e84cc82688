import GRDB

extension Migrations {
    /// Mail in (docs/product.md §8, "Mail in"): every message handed to `mail.ingest`, kept raw
    /// (zlib-compressed) whatever became of it, for the retention the mail settings give; the
    /// attachments of ingested mail, their bytes stored once per SHA-256 and listed per ticket
    /// message; the address a ticket opened by mail came from when it is no contact's (and
    /// whether the sender is still unmatched); Message-IDs indexed for threading; and
    /// `bounced` as an outbox status (the table is rebuilt: SQLite cannot change a CHECK).
    static let v12MailInbound = Migration(identifier: "v12-mail-inbound") { db in
        try db.execute(sql: """
            CREATE TABLE inbound_mail (
                id         INTEGER PRIMARY KEY,
                messageID  TEXT,
                receivedAt TEXT NOT NULL,
                sender     TEXT,
                subject    TEXT NOT NULL,
                outcome    TEXT NOT NULL CHECK (outcome IN ('opened', 'appended', 'followUp', 'ignored')),
                reason     TEXT,
                ticket     INTEGER REFERENCES ticket(id),
                message    INTEGER REFERENCES ticket_message(id),
                size       INTEGER NOT NULL,
                sha256     TEXT NOT NULL,
                raw        BLOB,
                expiresAt  TEXT NOT NULL
            );
            CREATE INDEX inbound_mail_by_message_id ON inbound_mail(messageID) WHERE messageID IS NOT NULL;
            CREATE INDEX inbound_mail_by_sender ON inbound_mail(sender, receivedAt);
            CREATE INDEX inbound_mail_by_expiry ON inbound_mail(expiresAt) WHERE raw IS NOT NULL;

            CREATE TABLE attachment_blob (
                id     INTEGER PRIMARY KEY,
                sha256 TEXT NOT NULL UNIQUE,
                size   INTEGER NOT NULL,
                bytes  BLOB NOT NULL
            );
            CREATE TABLE message_attachment (
                id          INTEGER PRIMARY KEY,
                ticket      INTEGER NOT NULL REFERENCES ticket(id),
                message     INTEGER NOT NULL REFERENCES ticket_message(id),
                blob        INTEGER NOT NULL REFERENCES attachment_blob(id),
                filename    TEXT NOT NULL,
                contentType TEXT NOT NULL,
                size        INTEGER NOT NULL
            );
            CREATE INDEX message_attachment_by_ticket ON message_attachment(ticket, message, id);

            CREATE TABLE ticket_sender (
                ticket    INTEGER PRIMARY KEY REFERENCES ticket(id),
                address   TEXT NOT NULL,
                name      TEXT,
                unmatched INTEGER NOT NULL
            );

            ALTER TABLE mail_settings ADD COLUMN rawRetentionDays INTEGER NOT NULL DEFAULT 90;

            CREATE TABLE outbox_new (
                id            INTEGER PRIMARY KEY,
                ticket        INTEGER REFERENCES ticket(id),
                kind          TEXT NOT NULL,
                language      TEXT NOT NULL CHECK (language IN ('it', 'en')),
                recipient     TEXT NOT NULL,
                subject       TEXT NOT NULL,
                body          TEXT NOT NULL,
                createdAt     TEXT NOT NULL,
                status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'bounced')),
                attempts      INTEGER NOT NULL DEFAULT 0,
                sentAt        TEXT,
                messageID     TEXT,
                lastError     TEXT,
                nextAttemptAt TEXT,
                claimedUntil  TEXT,
                notBefore     TEXT
            );
            INSERT INTO outbox_new(id, ticket, kind, language, recipient, subject, body, createdAt, status, attempts, sentAt,
                                   messageID, lastError, nextAttemptAt, claimedUntil, notBefore)
                SELECT id, ticket, kind, language, recipient, subject, body, createdAt, status, attempts, sentAt,
                       messageID, lastError, nextAttemptAt, claimedUntil, notBefore FROM outbox;
            DROP TABLE outbox;
            ALTER TABLE outbox_new RENAME TO outbox;
            CREATE INDEX outbox_by_ticket ON outbox(ticket, id);
            CREATE INDEX outbox_by_status ON outbox(status, id);
            CREATE INDEX outbox_by_message_id ON outbox(messageID) WHERE messageID IS NOT NULL;
            """)
    }
}
