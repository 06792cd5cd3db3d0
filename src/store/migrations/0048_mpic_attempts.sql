-- SPDX-License-Identifier: MIT
-- R-VAL-8 (BR 3.2.2.9): every multi-perspective corroboration attempt of a domain
-- validation or CAA check, with who answered what.
CREATE TABLE mpic_attempts (
    id @PK@,
    order_id BIGINT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    method TEXT NOT NULL,
    result TEXT NOT NULL,
    passed BIGINT NOT NULL,
    reason TEXT,
    br_version TEXT NOT NULL,
    perspectives TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX mpic_attempts_order ON mpic_attempts (order_id, id);
