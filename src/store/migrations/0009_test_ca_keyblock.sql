-- SPDX-License-Identifier: MIT
-- A hierarchy made by `shomei init --test-ca` says so in every CA row: `shomei issue`
-- signs without an order only with such CAs (issue 8 item 22). Production rows keep 0.
-- compromised_keys: public keys that must never be certified again (BR 6.1.1.3, 4.9.1.1:
-- keys reported compromised, keys of revocations for keyCompromise), keyed by the
-- SHA-256 of the DER SubjectPublicKeyInfo in lower-case hex; checked before signing.
ALTER TABLE cas ADD COLUMN test INTEGER NOT NULL DEFAULT 0;
CREATE TABLE compromised_keys (
    spki_sha256 TEXT PRIMARY KEY,  -- 64 lower-case hex
    reason TEXT NOT NULL,          -- what made it known compromised (free text)
    source TEXT NOT NULL,          -- who recorded it: "revocation:SERIAL", "report:ID", "cli"
    added_at BIGINT NOT NULL
);
