import GRDB

extension Migrations {
    /// Mail delivery (docs/product.md §8): the desk's mail settings (one row; absent until an
    /// admin sets them, when the documented defaults apply), and on each outbox row what its
    /// delivery needs — the Message-ID given at its first attempt (a retry sends the same one),
    /// the last error, when to try again, and the lease of the worker sending it (so two
    /// processes on one database never send a notification at the same time) — with one
    /// `outbox_attempt` row per attempt.
    static let v10MailDelivery = Migration(identifier: "v10-mail-delivery") { db in
        try db.execute(sql: """
            CREATE TABLE mail_settings (
                id              INTEGER PRIMARY KEY CHECK (id = 1),
                supportAddress  TEXT NOT NULL,
                displayName     TEXT NOT NULL,
                messageIDDomain TEXT NOT NULL,
                transport       TEXT NOT NULL CHECK (transport IN ('sendmail', 'maildir')),
                sendmailCommand TEXT NOT NULL,
                maildirPath     TEXT,
                updatedAt       TEXT NOT NULL
            );
            ALTER TABLE outbox ADD COLUMN messageID TEXT;
            ALTER TABLE outbox ADD COLUMN lastError TEXT;
            ALTER TABLE outbox ADD COLUMN nextAttemptAt TEXT;
            ALTER TABLE outbox ADD COLUMN claimedUntil TEXT;
            CREATE TABLE outbox_attempt (
                id      INTEGER PRIMARY KEY,
                outbox  INTEGER NOT NULL REFERENCES outbox(id),
                at      TEXT NOT NULL,
                outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'retry', 'failed')),
                error   TEXT
            );
            CREATE INDEX outbox_attempt_by_outbox ON outbox_attempt(outbox, id);
            """)
    }
}
