-- SPDX-License-Identifier: MIT
-- The mail outbox (R-NOT-1, R-NOT-2): one row per notice, queued in the transaction of the
-- change it announces and kept after sending as the record of the notice with its order.
-- Portable SQL: @PK@ and @BLOB@ are replaced per backend by db_migrate.
CREATE TABLE outbox (
    id @PK@,
    created_at BIGINT NOT NULL,
    to_addr TEXT NOT NULL,
    lang TEXT NOT NULL,              -- ja | en
    tmpl TEXT NOT NULL,              -- web/mail/<tmpl>.<lang>.txt
    vars TEXT NOT NULL,              -- JSON object of template variables
    order_id BIGINT,                 -- NULL = not about an order
    attach_name TEXT,
    attach_type TEXT,
    attach @BLOB@,
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'dead')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    sent_at BIGINT,
    message_id TEXT,
    claimed_by TEXT,                 -- node holding the lease
    claimed_until BIGINT NOT NULL DEFAULT 0
);
-- The worker's query: queued mails due now, oldest due first.
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_order ON outbox (order_id);
