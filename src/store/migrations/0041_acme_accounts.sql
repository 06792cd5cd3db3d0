-- SPDX-License-Identifier: MIT
-- ACME accounts and the external account binding credentials that tie them to a portal
-- organization (RFC 8555 7.3, 7.3.4; issue 10). An account is known by its key: the
-- RFC 7638 canonical JWK and its thumbprint (one account per key).
CREATE TABLE acme_eab_keys (
    kid TEXT PRIMARY KEY,          -- key identifier given to the client (base64url)
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    hmac_key @BLOB@ NOT NULL,      -- the HS256 key (32 random bytes)
    created_by TEXT NOT NULL,      -- audit actor
    created_at BIGINT NOT NULL,
    revoked_at BIGINT              -- NULL = usable
);
CREATE INDEX acme_eab_keys_org ON acme_eab_keys(org_id);
CREATE TABLE acme_accounts (
    id @PK@,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    jwk TEXT NOT NULL,             -- RFC 7638 canonical JSON of the account key
    thumbprint TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,          -- valid | deactivated | revoked
    contact TEXT NOT NULL,         -- JSON array of mailto: URLs
    eab_kid TEXT NOT NULL,         -- the credentials it was created with
    created_at BIGINT NOT NULL
);
CREATE INDEX acme_accounts_org ON acme_accounts(org_id);
