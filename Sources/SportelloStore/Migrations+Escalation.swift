import GRDB

extension Migrations {
    /// The escalation ladder (docs/product.md §6 "Escalation"): the ladders as data (one row per
    /// policy that has its own, and the default row `policy = ''`, seeded with the product's ladder, docs/product.md §6),
    /// the steps already fired (one row per ticket, clock and step: the primary key is what
    /// keeps two sweeps at once from firing a step twice), the instant before which a
    /// notification may not be delivered, and the language staff are written to.
    static let v9Escalation = Migration(identifier: "v9-escalation") { db in
        try db.execute(sql: """
            CREATE TABLE sla_ladder (
                policy    TEXT PRIMARY KEY NOT NULL,
                steps     TEXT NOT NULL,
                updatedAt TEXT NOT NULL
            );
            INSERT INTO sla_ladder(policy, steps, updatedAt) VALUES ('',
                '[{"at":0.75,"kind":"slaWarning","to":["assignee","careManagers"]},{"at":1,"kind":"slaBreach","to":["careManagers"]},{"at":1.5,"kind":"slaEscalation","to":["admins"]}]',
                strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
            CREATE TABLE sla_escalation (
                ticket     INTEGER NOT NULL REFERENCES ticket(id),
                clock      TEXT NOT NULL CHECK (clock IN ('chargeTaking', 'resolution', 'firstAid')),
                step       REAL NOT NULL CHECK (step > 0),
                kind       TEXT NOT NULL CHECK (kind IN ('slaWarning', 'slaBreach', 'slaEscalation')),
                dueAt      TEXT NOT NULL,
                firedAt    TEXT NOT NULL,
                recipients TEXT NOT NULL,
                PRIMARY KEY (ticket, clock, step)
            ) WITHOUT ROWID;
            ALTER TABLE outbox ADD COLUMN notBefore TEXT;
            ALTER TABLE staff ADD COLUMN language TEXT NOT NULL DEFAULT 'it' CHECK (language IN ('it', 'en'));
            CREATE INDEX ticket_open_by_id ON ticket(id) WHERE status <> 'closed' AND slaApplicable = 1;
            CREATE INDEX ticket_by_received ON ticket(receivedAt, id);
            -- Where the sweep left each open ticket: at which version of the ticket and revision of
            -- the calendars it computed the clocks, and when a further step could be reached (NULL:
            -- none can). A ticket is computed again only when one of the three says so.
            CREATE TABLE sla_sweep_next (
                ticket   INTEGER PRIMARY KEY REFERENCES ticket(id),
                version  INTEGER NOT NULL,
                revision INTEGER NOT NULL,
                nextAt   TEXT
            );
            """)
    }
}
