-- SPDX-License-Identifier: MIT
-- Evidence of domain validation and CAA (R-VAL-1, R-VAL-2, R-VAL-3; issue 8 items 20, 24).
-- order_domains: the Authorization Domain Name whose control was shown (adn; the exact
-- FQDN for the web-page method), the BR section of the method, and for a reuse the
-- order_domains.id of the original validation relied on (dcv_method, validated_at and
-- br_version then copy the original's: a reuse never relies on another reuse).
-- caa_checks: every CAA check made before signing, permitting or blocking, with the
-- certificate it allowed (BR 5.4.1). Portable SQL: @PK@ per backend.
ALTER TABLE order_domains ADD COLUMN adn TEXT;
ALTER TABLE order_domains ADD COLUMN br_section TEXT;
ALTER TABLE order_domains ADD COLUMN reused_from BIGINT;

CREATE TABLE caa_checks (
    id @PK@,
    order_id BIGINT,                          -- NULL for operator checks
    cert_id BIGINT,                           -- the certificate it allowed; NULL if none
    name TEXT NOT NULL,                       -- the name checked (FQDN or *.base)
    ok BIGINT NOT NULL,                       -- 1 permitted, 0 blocked
    reason TEXT,                              -- caa.* code when blocked
    relevant TEXT,                            -- owner of the relevant RRset, '' when none
    dnssec TEXT,                              -- DNSSEC state of the deciding answer
    evidence TEXT NOT NULL,                   -- JSON: every query, its answers and states
    checked_at BIGINT NOT NULL
);
CREATE INDEX caa_checks_cert ON caa_checks (cert_id);
CREATE INDEX caa_checks_order ON caa_checks (order_id, checked_at);
