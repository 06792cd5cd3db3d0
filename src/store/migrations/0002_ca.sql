-- SPDX-License-Identifier: MIT
-- The CA hierarchy (cas) and issued certificates (certificates). Portable SQL:
-- @PK@ and @BLOB@ are replaced per backend by db_migrate.
CREATE TABLE cas (
    id @PK@,
    name TEXT UNIQUE NOT NULL,
    role TEXT NOT NULL,            -- root | intermediate | cross
    level TEXT,                    -- dv | ov | ev, NULL for roots
    root TEXT,                     -- a | b: the root that signed it
    parent_id BIGINT REFERENCES cas(id),
    key_ref TEXT NOT NULL,         -- file:keys/NAME.key (relative to the data dir) or pkcs11:...
    key_type TEXT NOT NULL,        -- ec-p256 | ec-p384 | rsa-2048 | rsa-3072 | rsa-4096
    cert_der @BLOB@ NOT NULL,
    subject TEXT NOT NULL,         -- RFC 2253, UTF-8
    ski TEXT NOT NULL,             -- lower-case hex
    not_before BIGINT NOT NULL,
    not_after BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE certificates (
    id @PK@,
    serial TEXT UNIQUE NOT NULL,   -- lower-case hex, no leading zeros
    ca_id BIGINT NOT NULL REFERENCES cas(id),
    state TEXT NOT NULL,           -- reserved | issued | abandoned | revoked
    order_id BIGINT,
    level TEXT NOT NULL,
    root TEXT NOT NULL,
    cn TEXT,
    names TEXT,                    -- JSON array of the SANs
    der @BLOB@,
    not_before BIGINT,
    not_after BIGINT,
    reserved_at BIGINT NOT NULL,
    issued_at BIGINT,
    revoked_at BIGINT,
    revocation_reason BIGINT
);

CREATE INDEX certificates_state ON certificates(state);
CREATE INDEX certificates_cn ON certificates(cn);
