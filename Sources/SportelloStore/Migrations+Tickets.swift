import GRDB

extension Migrations {
    /// Tickets with their messages, history (the audit trail SLA clocks are derived from),
    /// the notification outbox, idempotency keys and full-text search.
    static let v4Tickets = Migration(identifier: "v4-tickets") { db in
        try db.execute(sql: """
            CREATE TABLE ticket (
                id              INTEGER PRIMARY KEY,
                customer        INTEGER NOT NULL REFERENCES customer(id),
                contact         INTEGER REFERENCES contact(id),
                product         TEXT NOT NULL REFERENCES product(code),
                subject         TEXT NOT NULL,
                channel         TEXT NOT NULL CHECK (channel IN ('email', 'portal', 'phone', 'api')),
                language        TEXT NOT NULL CHECK (language IN ('it', 'en')),
                classification  TEXT CHECK (classification IN ('bug', 'evolutionaryChange', 'helpDesk',
                                    'invoicedIntervention', 'interventionNotAccepted', 'outOfScope', 'vulnerability')),
                priority        INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 4),
                severity        INTEGER CHECK (severity BETWEEN 1 AND 4),
                status          TEXT NOT NULL CHECK (status IN ('new', 'inCharge', 'assigned', 'waitingCustomer',
                                    'quoted', 'awaitingPackage', 'closed')),
                assignee        INTEGER REFERENCES staff(id),
                eligible        INTEGER NOT NULL,
                followUpOf      INTEGER REFERENCES ticket(id),
                receivedAt      TEXT NOT NULL,
                chargeTakenAt   TEXT,
                closedAt        TEXT,
                version         INTEGER NOT NULL DEFAULT 1,
                -- An index of the SLA, recomputed from the history at every change; the
                -- authoritative clocks are always derived from the history (ticket.get, sla.status).
                slaApplicable   INTEGER NOT NULL DEFAULT 1,
                chargeTakingDue TEXT,
                secondDue       TEXT,
                pausedSince     TEXT,
                createdAt       TEXT NOT NULL,
                updatedAt       TEXT NOT NULL
            );
            CREATE INDEX ticket_by_status ON ticket(status, id);
            CREATE INDEX ticket_by_customer ON ticket(customer, id);
            CREATE INDEX ticket_by_assignee ON ticket(assignee, id);
            CREATE INDEX ticket_by_classification ON ticket(classification, id);
            CREATE INDEX ticket_by_priority ON ticket(priority, id);

            CREATE TABLE ticket_message (
                id         INTEGER PRIMARY KEY,
                ticket     INTEGER NOT NULL REFERENCES ticket(id),
                authorKind TEXT NOT NULL CHECK (authorKind IN ('system', 'staff', 'contact')),
                authorID   INTEGER,
                body       TEXT NOT NULL,
                internal   INTEGER NOT NULL DEFAULT 0,
                at         TEXT NOT NULL
            );
            CREATE INDEX ticket_message_by_ticket ON ticket_message(ticket, id);

            -- Who did what, when: every change (and every read by an operator), with the values
            -- before and after and the workflow's events.
            CREATE TABLE ticket_history (
                id        INTEGER PRIMARY KEY,
                ticket    INTEGER NOT NULL REFERENCES ticket(id),
                at        TEXT NOT NULL,
                actorKind TEXT NOT NULL CHECK (actorKind IN ('system', 'staff', 'contact')),
                actorID   INTEGER,
                action    TEXT NOT NULL,
                changes   TEXT NOT NULL DEFAULT '{}',
                events    TEXT NOT NULL DEFAULT '[]'
            );
            CREATE INDEX ticket_history_by_ticket ON ticket_history(ticket, id);

            -- Notifications, written in the transaction of the change that causes them and
            -- delivered afterwards: a crash neither loses one nor sends one for a rolled-back change.
            CREATE TABLE outbox (
                id        INTEGER PRIMARY KEY,
                ticket    INTEGER REFERENCES ticket(id),
                kind      TEXT NOT NULL,
                language  TEXT NOT NULL CHECK (language IN ('it', 'en')),
                recipient TEXT NOT NULL,
                subject   TEXT NOT NULL,
                body      TEXT NOT NULL,
                createdAt TEXT NOT NULL,
                status    TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
                attempts  INTEGER NOT NULL DEFAULT 0,
                sentAt    TEXT
            );
            CREATE INDEX outbox_by_ticket ON outbox(ticket, id);
            CREATE INDEX outbox_by_status ON outbox(status, id);

            -- ticket.open retries: the key, scoped to the caller, with a digest of the params.
            CREATE TABLE ticket_idempotency (
                principal    TEXT NOT NULL,
                key          TEXT NOT NULL,
                paramsDigest TEXT NOT NULL,
                ticket       INTEGER NOT NULL REFERENCES ticket(id),
                createdAt    TEXT NOT NULL,
                PRIMARY KEY (principal, key)
            );

            -- Subject and messages, for ticket.list's `query`; accents folded, so "perche"
            -- finds "perché". `internal` lets contacts search only what they may read.
            CREATE VIRTUAL TABLE ticket_search USING fts5(
                text, ticket UNINDEXED, internal UNINDEXED,
                tokenize = 'unicode61 remove_diacritics 2'
            );
            """)
    }

    /// `ticket.restricted`: visible among the company's contacts only to the reporter, although
    /// not classified `vulnerability` — a follow-up of a vulnerability (or of such a follow-up)
    /// until the care manager classifies it. Existing unclassified follow-ups of vulnerabilities
    /// are restricted here.
    static let v5RestrictedFollowUps = Migration(identifier: "v5-restricted-follow-ups") { db in
        try db.execute(sql: """
            ALTER TABLE ticket ADD COLUMN restricted INTEGER NOT NULL DEFAULT 0;
            WITH RECURSIVE restricted(id) AS (
                SELECT id FROM ticket WHERE classification = 'vulnerability'
                UNION
                SELECT t.id FROM ticket t JOIN restricted r ON t.followUpOf = r.id WHERE t.classification IS NULL
            )
            UPDATE ticket SET restricted = 1
            WHERE classification IS NULL AND id IN (SELECT id FROM restricted);
            """)
    }
}
