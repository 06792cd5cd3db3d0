-- SPDX-License-Identifier: MIT
-- A reissued certificate belongs to the subscription of the one it replaces (R-RI-3):
-- subscription_certs.reason gains 'reissue'. SQLite cannot change a CHECK in place: the
-- table is rebuilt with its rows and indexes (nothing refers to it).
CREATE TABLE subscription_certs_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id BIGINT NOT NULL REFERENCES subscriptions(id),
    order_id BIGINT UNIQUE NOT NULL,
    cert_id BIGINT,
    reason TEXT NOT NULL CHECK (reason IN ('first', 'continued', 'renewal', 'reissue')),
    created_at BIGINT NOT NULL
);
INSERT INTO subscription_certs_new (id, subscription_id, order_id, cert_id, reason, created_at)
    SELECT id, subscription_id, order_id, cert_id, reason, created_at FROM subscription_certs;
DROP TABLE subscription_certs;
ALTER TABLE subscription_certs_new RENAME TO subscription_certs;
CREATE INDEX subscription_certs_sub ON subscription_certs (subscription_id, id);
CREATE INDEX subscription_certs_cert ON subscription_certs (cert_id);
