import GRDB

extension Migrations {
    /// Customer portal accounts: the customers' email domains, the self-registrations of the
    /// wizard (codes stored as keyed hashes only), the wizard's rate-limit log, password resets, accounts that
    /// must change a system-generated password, and sessions restricted until they do.
    static let v11Accounts = Migration(identifier: "v11-accounts") { db in
        try db.execute(sql: """
            CREATE TABLE customer_domain (
                domain   TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
                customer INTEGER NOT NULL REFERENCES customer(id)
            );
            CREATE INDEX customer_domain_customer ON customer_domain(customer);
            CREATE TABLE registration (
                id            INTEGER PRIMARY KEY,
                customer      INTEGER NOT NULL REFERENCES customer(id),
                email         TEXT NOT NULL COLLATE NOCASE,
                name          TEXT NOT NULL,
                language      TEXT CHECK (language IN ('it', 'en')),
                codeHash      TEXT NOT NULL,
                codeExpiresAt TEXT NOT NULL,
                attempts      INTEGER NOT NULL DEFAULT 0,
                status        TEXT NOT NULL CHECK (status IN
                                  ('awaitingCode', 'awaitingApproval', 'active', 'rejected', 'voided', 'replaced')),
                createdAt     TEXT NOT NULL,
                confirmedAt   TEXT,
                decidedAt     TEXT,
                decidedBy     INTEGER REFERENCES staff(id),
                reason        TEXT,
                contact       INTEGER REFERENCES contact(id)
            );
            CREATE INDEX registration_email ON registration(email, status);
            CREATE INDEX registration_status ON registration(status, id);
            -- One row per rate-limited call: key is e.g. 'register:ada@x.it'.
            CREATE TABLE wizard_attempt (
                key TEXT NOT NULL,
                at  TEXT NOT NULL
            );
            CREATE INDEX wizard_attempt_key_at ON wizard_attempt(key, at);
            CREATE INDEX wizard_attempt_at ON wizard_attempt(at);
            ALTER TABLE contact ADD COLUMN mustChangePassword INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE staff ADD COLUMN mustChangePassword INTEGER NOT NULL DEFAULT 0;
            -- 'passwordChange': the session may only change the password (and see itself, log out).
            ALTER TABLE auth_session ADD COLUMN restriction TEXT;
            -- How the session was opened: 'stdio' or 'socket' (session.list).
            ALTER TABLE auth_session ADD COLUMN transport TEXT;
            CREATE INDEX auth_session_subject ON auth_session(kind, subject);
            CREATE TABLE password_reset (
                id        INTEGER PRIMARY KEY,
                kind      TEXT NOT NULL CHECK (kind IN ('staff', 'contact')),
                subject   INTEGER NOT NULL,
                email     TEXT NOT NULL COLLATE NOCASE,
                codeHash  TEXT NOT NULL,
                expiresAt TEXT NOT NULL,
                attempts  INTEGER NOT NULL DEFAULT 0,
                status    TEXT NOT NULL CHECK (status IN ('pending', 'used', 'voided', 'replaced')),
                createdAt TEXT NOT NULL
            );
            CREATE INDEX password_reset_email ON password_reset(email, status);
            -- Staff two-factor login: the secret (base32) in use, one being set up, and the last
            -- 30-second step whose code was used (each code works once).
            ALTER TABLE staff ADD COLUMN totpSecret TEXT;
            ALTER TABLE staff ADD COLUMN totpPending TEXT;
            ALTER TABLE staff ADD COLUMN totpLastStep INTEGER;
            -- A disabled contact cannot log in (staff have had `active` from the start).
            ALTER TABLE contact ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
            """)
    }
}
