import GRDB

/// The schema's history. Append a new `Migration` for every change; never edit a shipped one.
/// Seed data is written out literally, so that a migration does the same thing forever,
/// whatever the code around it becomes.
enum Migrations {
    static let all: [Migration] = [
        v1Foundation,
        v2CalendarsAndPolicies,
        v3Accounts,
        v4Tickets,
        v5RestrictedFollowUps,
        v6CursorKey,
        v7PaidWork,
        v8Maintenance,
        v9Escalation,
        v10MailDelivery,
        v11Accounts,
        v12MailInbound,
        v13SweepIndex,
        v14HistoryVersion,
    ]

    /// Installation facts: when the database was created.
    static let v1Foundation = Migration(identifier: "v1-foundation") { db in
        try db.create(table: "installation") { table in
            table.column("key", .text).primaryKey()
            table.column("value", .text).notNull()
        }
        try db.execute(
            sql: "INSERT INTO installation(key, value) VALUES ('createdAt', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))")
    }

    /// The key list cursors are authenticated with: 32 random bytes (hex), made once per
    /// database, so that cursors stay valid across restarts and in a restored backup. (Random by
    /// nature: the one migration that does not write the same thing on every database.)
    static let v6CursorKey = Migration(identifier: "v6-cursor-key") { db in
        try db.execute(sql: "INSERT INTO installation(key, value) VALUES ('cursorKey', lower(hex(randomblob(32))))")
    }

    /// Business calendars, SLA policies and products, seeded with docs/product.md §3 and §4.
    static let v2CalendarsAndPolicies = Migration(identifier: "v2-calendars-and-policies") { db in
        try db.execute(sql: """
            CREATE TABLE calendar (
                name        TEXT PRIMARY KEY NOT NULL,
                timezone    TEXT NOT NULL,
                description TEXT NOT NULL DEFAULT '',
                -- Bumped by every change to the calendar: caches compare it.
                revision    INTEGER NOT NULL DEFAULT 1
            );
            -- Weekly working intervals, local wall-clock time; weekday 1 = Monday … 7 = Sunday.
            CREATE TABLE calendar_hours (
                calendar TEXT NOT NULL REFERENCES calendar(name) ON DELETE CASCADE,
                weekday  INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
                start    TEXT NOT NULL,
                "end"    TEXT NOT NULL,
                PRIMARY KEY (calendar, weekday, start)
            );
            -- Extra non-working dates: 'MM-DD' recurs every year, 'YYYY-MM-DD' happens once.
            CREATE TABLE calendar_holiday (
                calendar TEXT NOT NULL REFERENCES calendar(name) ON DELETE CASCADE,
                date     TEXT NOT NULL,
                PRIMARY KEY (calendar, date)
            );
            -- Closure periods (summer, Christmas): local dates, both ends included.
            CREATE TABLE calendar_closure (
                calendar TEXT NOT NULL REFERENCES calendar(name) ON DELETE CASCADE,
                "from"   TEXT NOT NULL,
                "to"     TEXT NOT NULL,
                reason   TEXT NOT NULL,
                PRIMARY KEY (calendar, "from", "to"),
                CHECK ("from" <= "to")
            );
            CREATE TABLE sla_policy (
                name        TEXT PRIMARY KEY NOT NULL,
                calendar    TEXT NOT NULL REFERENCES calendar(name),
                secondClock TEXT NOT NULL CHECK (secondClock IN ('resolution', 'firstAid'))
            );
            -- Targets as (unit, amount): unit 'minutes', 'hours' or 'workingDays'.
            CREATE TABLE sla_target (
                policy             TEXT NOT NULL REFERENCES sla_policy(name) ON DELETE CASCADE,
                priority           INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 4),
                severity           TEXT NOT NULL,
                chargeTakingUnit   TEXT NOT NULL CHECK (chargeTakingUnit IN ('minutes', 'hours', 'workingDays')),
                chargeTakingAmount REAL NOT NULL CHECK (chargeTakingAmount >= 0),
                secondUnit         TEXT NOT NULL CHECK (secondUnit IN ('minutes', 'hours', 'workingDays')),
                secondAmount       REAL NOT NULL CHECK (secondAmount >= 0),
                PRIMARY KEY (policy, priority)
            );
            CREATE TABLE product (
                code   TEXT PRIMARY KEY NOT NULL,
                name   TEXT NOT NULL,
                policy TEXT NOT NULL REFERENCES sla_policy(name)
            );

            INSERT INTO calendar(name, timezone, description) VALUES
                ('interzen-support', 'Europe/Rome',
                 'Interzen support desk: Monday–Friday 08:00–18:30, Italian national holidays excluded'),
                ('interzen-office', 'Europe/Rome',
                 'Interzen office (switchboard, scheduled maintenance): Monday–Friday 09:00–13:00 and 14:30–18:30'),
                ('zucchetti-service', 'Europe/Rome',
                 'Zucchetti Digital Solutions – Ifin Sistemi customer service: Monday–Friday 09:00–13:00 and 14:00–18:00');

            WITH days(weekday) AS (VALUES (1), (2), (3), (4), (5))
            INSERT INTO calendar_hours(calendar, weekday, start, "end")
                SELECT 'interzen-support', weekday, '08:00', '18:30' FROM days
                UNION ALL SELECT 'interzen-office', weekday, '09:00', '13:00' FROM days
                UNION ALL SELECT 'interzen-office', weekday, '14:30', '18:30' FROM days
                UNION ALL SELECT 'zucchetti-service', weekday, '09:00', '13:00' FROM days
                UNION ALL SELECT 'zucchetti-service', weekday, '14:00', '18:00' FROM days;

            INSERT INTO sla_policy(name, calendar, secondClock) VALUES
                ('interzen', 'interzen-support', 'resolution'),
                ('zucchetti-preservation', 'zucchetti-service', 'firstAid'),
                ('grammelot-preservation', 'interzen-support', 'resolution');

            INSERT INTO sla_target VALUES
                ('interzen', 1, 'Blocking', 'hours', 1, 'workingDays', 1),
                ('interzen', 2, 'High', 'hours', 4, 'workingDays', 2),
                ('interzen', 3, 'Medium', 'hours', 8, 'workingDays', 5),
                ('interzen', 4, 'Low', 'hours', 16, 'workingDays', 30),
                ('zucchetti-preservation', 1, 'Service malfunction', 'workingDays', 1, 'workingDays', 2),
                ('grammelot-preservation', 1, 'Blocking', 'workingDays', 1, 'workingDays', 15),
                ('grammelot-preservation', 2, 'High', 'workingDays', 7, 'workingDays', 30),
                ('grammelot-preservation', 3, 'Medium', 'workingDays', 7, 'workingDays', 90),
                ('grammelot-preservation', 4, 'Low', 'workingDays', 7, 'workingDays', 180);

            INSERT INTO product(code, name, policy) VALUES
                ('zenshare-up', 'ZenShare UP', 'interzen'),
                ('zenshare-suite', 'ZenShare Suite', 'interzen'),
                ('zen-einvoice', 'Zen E-Invoice Services', 'interzen'),
                ('preservation-zucchetti', 'Digital Preservation – Zucchetti Digital Solutions (Ifin Sistemi)', 'zucchetti-preservation'),
                ('preservation-grammelot', 'Digital Preservation – Grammelot', 'grammelot-preservation');
            """)
    }
}
