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

            -- The audit trail: every change (and every recorded read) in one append-only table,
            -- fed by triggers from the ticket, package and configuration histories and written
            -- directly by the account methods. No statement may change or remove a row.
            CREATE TABLE audit_event (
                id         INTEGER PRIMARY KEY,
                at         TEXT NOT NULL,
                actorKind  TEXT NOT NULL,
                actorID    INTEGER,
                action     TEXT NOT NULL,
                objectKind TEXT NOT NULL,
                objectID   INTEGER,
                customer   INTEGER,
                ticket     INTEGER,
                changes    TEXT,
                transport  TEXT
            );
            CREATE INDEX audit_event_customer ON audit_event(customer, id);
            CREATE INDEX audit_event_ticket ON audit_event(ticket, id);
            CREATE INDEX audit_event_actor ON audit_event(actorKind, actorID, id);
            CREATE INDEX audit_event_at ON audit_event(at);
            CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
            BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
            CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
            BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
            INSERT INTO audit_event(at, actorKind, actorID, action, objectKind, objectID, customer, ticket, changes)
                SELECT at, actorKind, actorID, action, objectKind, objectID, customer, ticket, changes FROM (
                    SELECT h.at, h.actorKind, h.actorID, h.action, 'ticket' AS objectKind, h.ticket AS objectID,
                           t.customer, h.ticket, h.changes, 1 AS source, h.id AS sourceID
                    FROM ticket_history h JOIN ticket t ON t.id = h.ticket
                    UNION ALL
                    SELECT h.at, h.actorKind, h.actorID, h.action, 'package', h.package, p.customer, NULL, h.changes, 2, h.id
                    FROM package_history h JOIN support_package p ON p.id = h.package
                    UNION ALL
                    SELECT at, actorKind, actorID, 'configure:' || subject, 'configuration', NULL, NULL, NULL, changes, 3, id
                    FROM configuration_history)
                ORDER BY at, source, sourceID;
            CREATE TRIGGER ticket_history_audit AFTER INSERT ON ticket_history
            BEGIN
                INSERT INTO audit_event(at, actorKind, actorID, action, objectKind, objectID, customer, ticket, changes)
                VALUES (NEW.at, NEW.actorKind, NEW.actorID, NEW.action, 'ticket', NEW.ticket,
                        (SELECT customer FROM ticket WHERE id = NEW.ticket), NEW.ticket, NEW.changes);
            END;
            CREATE TRIGGER package_history_audit AFTER INSERT ON package_history
            BEGIN
                INSERT INTO audit_event(at, actorKind, actorID, action, objectKind, objectID, customer, changes)
                VALUES (NEW.at, NEW.actorKind, NEW.actorID, NEW.action, 'package', NEW.package,
                        (SELECT customer FROM support_package WHERE id = NEW.package), NEW.changes);
            END;
            CREATE TRIGGER configuration_history_audit AFTER INSERT ON configuration_history
            BEGIN
                INSERT INTO audit_event(at, actorKind, actorID, action, objectKind, changes)
                VALUES (NEW.at, NEW.actorKind, NEW.actorID, 'configure:' || NEW.subject, 'configuration', NEW.changes);
            END;
            """)
    }
}
