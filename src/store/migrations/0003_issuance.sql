-- SPDX-License-Identifier: MIT
-- Crash-safe issuance (R-ISS-4): who reserved a serial, so that the next start can tell
-- reservations of dead processes from those of live ones; the organization of a
-- certificate (copied from its order) so that lists and the per-CN limit (R-ISS-6) filter
-- by organization in SQL; the SHA-256 fingerprint of the DER for lookups and the audit log.
ALTER TABLE certificates ADD COLUMN reserved_by TEXT;
ALTER TABLE certificates ADD COLUMN org_id BIGINT;
ALTER TABLE certificates ADD COLUMN sha256 TEXT;
CREATE INDEX certificates_reserved ON certificates(state, reserved_at);
CREATE INDEX certificates_org_cn ON certificates(org_id, cn);
CREATE INDEX certificates_order ON certificates(order_id);
