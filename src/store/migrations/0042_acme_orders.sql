-- SPDX-License-Identifier: MIT
-- ACME orders and their authorizations (RFC 8555 7.1.3, 7.1.4; issue 10). An ACME order
-- becomes a portal order of the account's organization at finalize (order_id), so that
-- billing, the certificate list and revocation in the portal work for it; the
-- authorization's validation is copied there as the domain's evidence.
CREATE TABLE acme_orders (
    id @PK@,
    account_id BIGINT NOT NULL REFERENCES acme_accounts(id),
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    status TEXT NOT NULL,          -- pending | ready | processing | valid | invalid
    names TEXT NOT NULL,           -- JSON array of the dns identifiers ("*.x" for wildcards)
    profile TEXT NOT NULL,         -- classic | shortlived (draft-ietf-acme-profiles)
    replaces TEXT,                 -- ARI certificate id of the predecessor (RFC 9773), or NULL
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    order_id BIGINT REFERENCES orders(id),      -- the portal order made at finalize
    cert_id BIGINT REFERENCES certificates(id), -- the certificate issued
    error TEXT                     -- problem document JSON of an invalid order
);
CREATE INDEX acme_orders_account ON acme_orders(account_id);
CREATE INDEX acme_orders_order ON acme_orders(order_id);
CREATE TABLE acme_authzs (
    id @PK@,
    acme_order_id BIGINT NOT NULL REFERENCES acme_orders(id),
    account_id BIGINT NOT NULL REFERENCES acme_accounts(id),
    name TEXT NOT NULL,            -- the FQDN ("*." removed)
    wildcard INTEGER NOT NULL,     -- 1 for "*.name"
    status TEXT NOT NULL,          -- pending | valid | invalid | deactivated
    token TEXT NOT NULL,           -- the challenges' token (base64url, 32 random bytes)
    expires_at BIGINT NOT NULL,
    method TEXT,                   -- the challenge tried: http-01 | dns-01 | tls-alpn-01
    validated_at BIGINT,
    br_version TEXT,
    evidence TEXT,                 -- ra/dcv evidence JSON of the last attempt
    error TEXT                     -- problem document JSON of a failed attempt
);
CREATE INDEX acme_authzs_order ON acme_authzs(acme_order_id);
