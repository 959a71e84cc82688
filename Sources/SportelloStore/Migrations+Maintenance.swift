import GRDB

extension Migrations {
    /// Scheduled maintenance and availability (docs/product.md "Scheduled maintenance and
    /// availability"): maintenance windows with the products they touch and the customers who
    /// were told; outages with their products, denormalised (with their instants) per product so
    /// that a month's report reads one product's rows by index; and each product's longest
    /// ended outage, which bounds how far back a month's report must look.
    ///
    /// Instants are `StoreTime` text (UTC, fixed width); an ongoing outage has `endsAt` NULL.
    static let v8Maintenance = Migration(identifier: "v8-maintenance") { db in
        try db.execute(sql: """
            CREATE TABLE maintenance_window (
                id            INTEGER PRIMARY KEY,
                startsAt      TEXT NOT NULL,
                endsAt        TEXT NOT NULL CHECK (endsAt > startsAt),
                titleIt       TEXT NOT NULL,
                titleEn       TEXT NOT NULL,
                descriptionIt TEXT,
                descriptionEn TEXT,
                announce      INTEGER NOT NULL,
                urgent        INTEGER NOT NULL,
                urgentReason  TEXT,
                inTime        INTEGER NOT NULL,
                status        TEXT NOT NULL CHECK (status IN ('scheduled', 'cancelled')),
                cancelReason  TEXT,
                createdBy     INTEGER,
                createdAt     TEXT NOT NULL,
                updatedAt     TEXT NOT NULL
            );
            CREATE INDEX maintenance_window_by_start ON maintenance_window(startsAt);
            CREATE TABLE maintenance_product (
                maintenance INTEGER NOT NULL REFERENCES maintenance_window(id),
                product TEXT NOT NULL REFERENCES product(code),
                PRIMARY KEY (maintenance, product)
            );
            CREATE INDEX maintenance_product_by_product ON maintenance_product(product, maintenance);
            CREATE TABLE maintenance_recipient (
                maintenance INTEGER NOT NULL REFERENCES maintenance_window(id),
                customer INTEGER NOT NULL REFERENCES customer(id),
                PRIMARY KEY (maintenance, customer)
            );
            CREATE TABLE outage (
                id        INTEGER PRIMARY KEY,
                startsAt  TEXT NOT NULL,
                endsAt    TEXT CHECK (endsAt IS NULL OR endsAt > startsAt),
                cause     TEXT NOT NULL,
                severity  TEXT NOT NULL CHECK (severity IN ('partial', 'total')),
                createdBy INTEGER,
                createdAt TEXT NOT NULL,
                updatedAt TEXT NOT NULL
            );
            CREATE TABLE outage_product (
                outage   INTEGER NOT NULL REFERENCES outage(id),
                product  TEXT NOT NULL REFERENCES product(code),
                startsAt TEXT NOT NULL,
                endsAt   TEXT,
                PRIMARY KEY (outage, product)
            );
            CREATE INDEX outage_product_by_start ON outage_product(product, startsAt);
            CREATE INDEX outage_product_ongoing ON outage_product(product) WHERE endsAt IS NULL;
            CREATE TABLE outage_longest (
                product TEXT PRIMARY KEY NOT NULL REFERENCES product(code),
                seconds INTEGER NOT NULL
            );
            """)
    }
}
