-- SPDX-License-Identifier: MIT
-- Serials reserved per batch (R-ISS-4, issue 8 item 29): one record holds the serials of a
-- batch of bulk issuance, committed before any of them is signed; each certificate row is
-- then written once, in its outcome (issued, or abandoned), in the transaction that closes
-- the batch. A row per serial written twice (reserved, then issued) wrote every index of
-- the certificates table twice. Recovery closes the open batches of processes that ended
-- and records each of their serials that has no row as abandoned, so that the serials of
-- every batch end in the certificates table and its UNIQUE index.
CREATE TABLE serial_batches (
    id @PK@,
    ca_id BIGINT NOT NULL REFERENCES cas(id),
    level TEXT NOT NULL,
    root TEXT NOT NULL,
    reserved_by TEXT NOT NULL,   -- "host/pid/start" of the reserving process
    reserved_at BIGINT NOT NULL,
    serials TEXT NOT NULL,       -- lower-case hex, separated by single spaces
    pending BIGINT NOT NULL      -- 1 until the batch is stored or recovered
);
CREATE INDEX serial_batches_pending ON serial_batches(pending);
