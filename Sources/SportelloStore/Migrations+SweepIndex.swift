import GRDB

extension Migrations {
    /// What lets a sweep read only the tickets it has work for, and a report read the waits
    /// without reading every history row.
    ///
    /// `sla_sweep_next` gets a row for every open ticket the SLA applies to, kept by triggers: a
    /// new such ticket, or any change to one (a new version, a reopening, a reclassification),
    /// makes its `nextAt` `''`, which sorts before every instant, so the next sweep computes it;
    /// the sweep writes the real `nextAt` back (NULL: nothing more can fire) and removes the
    /// rows of tickets that have closed or lost their SLA. A sweep then reads the index on
    /// `nextAt` up to its instant, and the one on `revision` tells it in two lookups whether a
    /// calendar changed since (which makes every row due again). Before this, the sweep
    /// compared every open ticket's version with its row, a join over all of them even when
    /// nothing was due.
    ///
    /// `ticket_history_waiting` indexes only the history rows that mention `waitingCustomer`:
    /// the rows that start or end a wait (what pauses the second clock) are among them, so the
    /// waits of a whole period are read from that small index instead of every ticket's history.
    static let v13SweepIndex = Migration(identifier: "v13-sweep-index") { db in
        try db.execute(sql: """
            DELETE FROM sla_sweep_next WHERE ticket NOT IN (SELECT id FROM ticket WHERE status <> 'closed' AND slaApplicable = 1);
            INSERT OR REPLACE INTO sla_sweep_next(ticket, version, revision, nextAt)
                SELECT id, version, CAST((SELECT total(revision) FROM calendar) AS INTEGER), '' FROM ticket
                WHERE status <> 'closed' AND slaApplicable = 1;
            CREATE INDEX sla_sweep_next_due ON sla_sweep_next(nextAt);
            CREATE INDEX sla_sweep_next_revision ON sla_sweep_next(revision);
            CREATE TRIGGER ticket_insert_sweep AFTER INSERT ON ticket
            WHEN NEW.status <> 'closed' AND NEW.slaApplicable = 1
            BEGIN
                INSERT INTO sla_sweep_next(ticket, version, revision, nextAt)
                VALUES (NEW.id, NEW.version, CAST((SELECT total(revision) FROM calendar) AS INTEGER), '')
                ON CONFLICT(ticket) DO UPDATE SET nextAt = '';
            END;
            CREATE TRIGGER ticket_update_sweep AFTER UPDATE ON ticket
            WHEN NEW.status <> 'closed' AND NEW.slaApplicable = 1
            BEGIN
                INSERT INTO sla_sweep_next(ticket, version, revision, nextAt)
                VALUES (NEW.id, NEW.version, CAST((SELECT total(revision) FROM calendar) AS INTEGER), '')
                ON CONFLICT(ticket) DO UPDATE SET nextAt = '';
            END;
            CREATE INDEX ticket_history_waiting ON ticket_history(ticket, id) WHERE instr(changes, 'waitingCustomer') > 0;
            """)
    }
}
