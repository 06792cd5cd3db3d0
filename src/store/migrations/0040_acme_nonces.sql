-- SPDX-License-Identifier: MIT
-- ACME anti-replay nonces (RFC 8555 6.5, issue 10): a row per nonce handed out in a
-- Replay-Nonce header, deleted when a request uses it (so it works once, whichever server
-- process of the database issued it) or, past expires_at, by the periodic purge.
CREATE TABLE acme_nonces (
    nonce TEXT PRIMARY KEY,        -- base64url, 128 random bits
    expires_at BIGINT NOT NULL     -- UTC seconds
);
CREATE INDEX acme_nonces_expires ON acme_nonces(expires_at);
