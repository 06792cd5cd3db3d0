-- SPDX-License-Identifier: MIT
-- The last refusal of an approved order's issuance (R-VAL-3 CAA, R-ISS-6 per-CN limit, DNS
-- failure ...), so that the order pages say why the order waits and the officer's queue
-- keeps it (R-VAL-7): the refusal code (also the message key suffix) and when it happened.
-- Written by ra/fulfil in the transaction of its audit record; cleared on issuance.
ALTER TABLE orders ADD COLUMN issue_refusal TEXT;
ALTER TABLE orders ADD COLUMN issue_refused_at BIGINT;
