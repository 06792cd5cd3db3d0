-- SPDX-License-Identifier: MIT
-- ARI drills (RFC 9773; issue 10 item 6): an operator moves the suggested renewal window of
-- a set of certificates (one CA, issued before a date, optionally one organization) to the
-- time of the drill, and later sees which were replaced. One row per drill, one per
-- certificate it took.
CREATE TABLE acme_ari_drills (
    id @PK@,
    ca_id BIGINT NOT NULL REFERENCES cas(id),
    issued_before BIGINT NOT NULL,  -- UTC seconds
    org_id BIGINT,                  -- NULL = every organization
    created_by TEXT NOT NULL,       -- audit actor
    created_at BIGINT NOT NULL      -- the window's new start
);
CREATE TABLE acme_ari_drill_certs (
    drill_id BIGINT NOT NULL REFERENCES acme_ari_drills(id),
    serial TEXT NOT NULL,           -- certificates.serial
    PRIMARY KEY (drill_id, serial)
);
CREATE INDEX acme_ari_drill_certs_serial ON acme_ari_drill_certs(serial);
