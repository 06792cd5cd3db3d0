-- SPDX-License-Identifier: MIT
-- Durable scheduled work (R-SCL-1): one row per job, claimed by one process at a time with
-- a lease (owner, lease_until) so that several `shomei serve` processes on one database
-- never run the same job at once, and a job whose process died is taken over once its
-- lease runs out. Recurring jobs (every_seconds > 0) are rescheduled after each run;
-- one-shot jobs end with done = 1. Portable SQL: @PK@ is replaced per backend.
CREATE TABLE jobs (
    id @PK@,
    kind TEXT NOT NULL,                 -- what to run: mail.send, vetting.sweep, ...
    key TEXT NOT NULL DEFAULT '',       -- which one of its kind ('' = the only one)
    every_seconds BIGINT NOT NULL DEFAULT 0, -- 0 = one-shot
    next_run_at BIGINT NOT NULL,        -- due from then (UTC seconds)
    owner TEXT,                         -- process holding the lease: host/pid/start
    lease_until BIGINT NOT NULL DEFAULT 0, -- free when < now
    attempts BIGINT NOT NULL DEFAULT 0, -- failed runs in a row
    last_error TEXT,
    runs BIGINT NOT NULL DEFAULT 0,     -- completed runs
    last_run_at BIGINT,
    done BIGINT NOT NULL DEFAULT 0,     -- 1: a one-shot job that completed
    created_at BIGINT NOT NULL,
    UNIQUE (kind, key)
);
-- The claim's query: jobs not done, due, whose lease ran out, oldest due first.
CREATE INDEX jobs_due ON jobs (done, next_run_at);
