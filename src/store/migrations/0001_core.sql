-- Core tables owned by the store layer: the tamper-evident audit log (hash chain).
-- Portable SQL: @PK@ and @BLOB@ are replaced per backend by db.c; BIGINT and TEXT only.
-- The audit log has no deletion path: records are kept for at least two years (R-OPS-1).
CREATE TABLE audit_log (
    seq @PK@,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_object ON audit_log (object);

-- One row: the last sequence number and hash. Appenders lock it (SELECT ... FOR UPDATE on
-- PostgreSQL; BEGIN IMMEDIATE on SQLite) so the chain has no gaps and no forks.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
