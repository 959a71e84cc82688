import GRDB

extension Migrations {
    /// Paid work (docs/product.md §5): the price list and contract rates, quotes, prepaid
    /// support packages, the tasks that draw on them and the work logged.
    ///
    /// Money is integer cents with its currency (never a float); durations are whole minutes;
    /// dates (`validUntil`, `startsOn`, `endsOn`, `closedOn`, a worklog's `on`) are
    /// `YYYY-MM-DD`. A package's balance is kept on its row (`reservedMinutes`,
    /// `consumedMinutes`) and may never exceed what was bought: the CHECK is the last guard
    /// behind the domain's rule. Package and configuration changes have history tables of their
    /// own; quote and task changes go to their ticket's history.
    static let v7PaidWork = Migration(identifier: "v7-paid-work") { db in
        try db.execute(sql: """
            CREATE TABLE price_list (
                id             INTEGER PRIMARY KEY CHECK (id = 1),
                hourlyRate     INTEGER NOT NULL CHECK (hourlyRate > 0),
                currency       TEXT NOT NULL CHECK (currency = 'EUR'),
                minimumMinutes INTEGER NOT NULL CHECK (minimumMinutes > 0),
                stepMinutes    INTEGER NOT NULL CHECK (stepMinutes > 0),
                packageOffers  TEXT NOT NULL,
                updatedAt      TEXT NOT NULL
            );
            CREATE TABLE contract_rate (
                customer   INTEGER PRIMARY KEY REFERENCES customer(id),
                hourlyRate INTEGER NOT NULL CHECK (hourlyRate > 0),
                currency   TEXT NOT NULL CHECK (currency = 'EUR'),
                updatedAt  TEXT NOT NULL
            );
            CREATE TABLE configuration_history (
                id        INTEGER PRIMARY KEY,
                at        TEXT NOT NULL,
                actorKind TEXT NOT NULL,
                actorID   INTEGER,
                subject   TEXT NOT NULL,
                changes   TEXT NOT NULL
            );
            CREATE TABLE quote (
                id              INTEGER PRIMARY KEY,
                ticket          INTEGER NOT NULL REFERENCES ticket(id),
                customer        INTEGER NOT NULL REFERENCES customer(id),
                estimateMinutes INTEGER NOT NULL CHECK (estimateMinutes > 0),
                hourlyRate      INTEGER NOT NULL CHECK (hourlyRate > 0),
                rateSource      TEXT NOT NULL CHECK (rateSource IN ('quote', 'contract', 'priceList')),
                amount          INTEGER NOT NULL CHECK (amount >= 0),
                currency        TEXT NOT NULL CHECK (currency = 'EUR'),
                validDays       INTEGER NOT NULL,
                validUntil      TEXT NOT NULL,
                status          TEXT NOT NULL CHECK (status IN ('draft', 'sent', 'accepted', 'rejected')),
                description     TEXT NOT NULL,
                assignee        INTEGER NOT NULL REFERENCES staff(id),
                answerNote      TEXT,
                answeredAt      TEXT,
                createdAt       TEXT NOT NULL,
                updatedAt       TEXT NOT NULL
            );
            CREATE INDEX quote_by_ticket ON quote(ticket, id);
            CREATE INDEX quote_by_customer ON quote(customer, id);
            CREATE TABLE support_package (
                id              INTEGER PRIMARY KEY,
                customer        INTEGER NOT NULL REFERENCES customer(id),
                boughtMinutes   INTEGER NOT NULL CHECK (boughtMinutes > 0),
                price           INTEGER NOT NULL CHECK (price > 0),
                currency        TEXT NOT NULL CHECK (currency = 'EUR'),
                startsOn        TEXT NOT NULL,
                endsOn          TEXT CHECK (endsOn IS NULL OR endsOn >= startsOn),
                reservedMinutes INTEGER NOT NULL DEFAULT 0 CHECK (reservedMinutes >= 0),
                consumedMinutes INTEGER NOT NULL DEFAULT 0 CHECK (consumedMinutes >= 0),
                offer           TEXT,
                reference       TEXT,
                createdAt       TEXT NOT NULL,
                CHECK (reservedMinutes + consumedMinutes <= boughtMinutes)
            );
            CREATE INDEX support_package_by_customer ON support_package(customer, startsOn, id);
            CREATE TABLE package_history (
                id        INTEGER PRIMARY KEY,
                package   INTEGER NOT NULL REFERENCES support_package(id),
                at        TEXT NOT NULL,
                actorKind TEXT NOT NULL,
                actorID   INTEGER,
                action    TEXT NOT NULL,
                changes   TEXT NOT NULL
            );
            CREATE INDEX package_history_by_package ON package_history(package, id);
            CREATE TABLE task (
                id              INTEGER PRIMARY KEY,
                ticket          INTEGER NOT NULL REFERENCES ticket(id),
                package         INTEGER NOT NULL REFERENCES support_package(id),
                quote           INTEGER NOT NULL UNIQUE REFERENCES quote(id),
                estimateMinutes INTEGER NOT NULL CHECK (estimateMinutes > 0),
                reservedMinutes INTEGER NOT NULL CHECK (reservedMinutes >= 0),
                loggedMinutes   INTEGER NOT NULL DEFAULT 0 CHECK (loggedMinutes >= 0),
                closedOn        TEXT,
                createdAt       TEXT NOT NULL
            );
            CREATE INDEX task_by_ticket ON task(ticket, id);
            CREATE INDEX task_by_package ON task(package, id);
            CREATE TABLE worklog (
                id        INTEGER PRIMARY KEY,
                task      INTEGER NOT NULL REFERENCES task(id),
                staff     INTEGER REFERENCES staff(id),
                minutes   INTEGER NOT NULL CHECK (minutes > 0),
                note      TEXT NOT NULL,
                "on"      TEXT NOT NULL,
                createdAt TEXT NOT NULL
            );
            CREATE INDEX worklog_by_task ON worklog(task, "on");
            """)
    }
}
