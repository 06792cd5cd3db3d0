-- SPDX-License-Identifier: MIT
-- Revocation (R-REV-1, R-REV-3): a certificate in state revocation_scheduled carries the
-- date it is to be revoked on (revocation_due_at, UTC seconds) and the reason it will be
-- revoked with (revocation_reason: the RFC 5280 CRLReason code, 0 = unspecified, shown as
-- no reasonCode); revoked_at is the time the revocation took effect. The job cert.revoke
-- (key = serial) carries it out on its date.
ALTER TABLE certificates ADD COLUMN revocation_due_at BIGINT;
ALTER TABLE certificates ADD COLUMN revocation_source TEXT; -- cli | customer | officer | reissue
CREATE INDEX certificates_ca_state ON certificates(ca_id, state);
