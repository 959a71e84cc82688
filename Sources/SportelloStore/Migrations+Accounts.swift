import GRDB

extension Migrations {
    /// Customers and their subscriptions, contacts, staff, login sessions and failed logins
    /// (docs/product.md §2, §2, §8).
    ///
    /// Times are text in one fixed-width UTC form, `YYYY-MM-DDTHH:MM:SS.sssZ` (what SQLite's
    /// `strftime('%Y-%m-%dT%H:%M:%fZ', …)` writes; see `StoreTime`), so that comparing the text
    /// compares the instants. Dates (`subscription.from`/`to`) are `YYYY-MM-DD`, both ends
    /// included, NULL for open-ended. Emails and customer codes are unique regardless of ASCII
    /// case; an email is also unique across `staff` and `contact` (login is by email), which
    /// the store checks in the inserting transaction. Sessions are stored by the SHA-256 of
    /// their token only.
    static let v3Accounts = Migration(identifier: "v3-accounts") { db in
        try db.execute(sql: """
            CREATE TABLE customer (
                id        INTEGER PRIMARY KEY,
                code      TEXT NOT NULL UNIQUE COLLATE NOCASE,
                name      TEXT NOT NULL,
                vatNumber TEXT UNIQUE,
                language  TEXT NOT NULL CHECK (language IN ('it', 'en')),
                email     TEXT,
                createdAt TEXT NOT NULL
            );
            CREATE TABLE subscription (
                id        INTEGER PRIMARY KEY,
                customer  INTEGER NOT NULL REFERENCES customer(id),
                product   TEXT NOT NULL REFERENCES product(code),
                mode      TEXT NOT NULL CHECK (mode IN ('cloudSaas', 'subscription', 'perpetual')),
                "from"    TEXT,
                "to"      TEXT,
                createdAt TEXT NOT NULL,
                CHECK ("from" IS NULL OR "to" IS NULL OR "from" <= "to")
            );
            CREATE INDEX subscription_customer ON subscription(customer, product);
            CREATE TABLE contact (
                id           INTEGER PRIMARY KEY,
                customer     INTEGER NOT NULL REFERENCES customer(id),
                name         TEXT NOT NULL,
                email        TEXT NOT NULL UNIQUE COLLATE NOCASE,
                language     TEXT CHECK (language IN ('it', 'en')),
                passwordHash TEXT,
                createdAt    TEXT NOT NULL
            );
            CREATE INDEX contact_customer ON contact(customer);
            CREATE TABLE staff (
                id           INTEGER PRIMARY KEY,
                name         TEXT NOT NULL,
                email        TEXT NOT NULL UNIQUE COLLATE NOCASE,
                role         TEXT NOT NULL CHECK (role IN ('operator', 'careManager', 'admin')),
                passwordHash TEXT,
                active       INTEGER NOT NULL DEFAULT 1,
                createdAt    TEXT NOT NULL
            );
            CREATE TABLE auth_session (
                tokenHash  TEXT PRIMARY KEY,
                kind       TEXT NOT NULL CHECK (kind IN ('staff', 'contact')),
                subject    INTEGER NOT NULL,
                createdAt  TEXT NOT NULL,
                lastSeenAt TEXT NOT NULL,
                expiresAt  TEXT NOT NULL
            );
            CREATE INDEX auth_session_expiresAt ON auth_session(expiresAt);
            CREATE TABLE login_failure (
                email TEXT NOT NULL COLLATE NOCASE,
                at    TEXT NOT NULL
            );
            CREATE INDEX login_failure_email_at ON login_failure(email, at);
            CREATE INDEX login_failure_at ON login_failure(at);
            """)
    }
}
