-- SPDX-License-Identifier: MIT
-- The ACME profile a certificate was issued under (draft-ietf-acme-profiles; issue 10
-- item 5): classic | shortlived; NULL for certificates of portal orders and the CLI.
ALTER TABLE certificates ADD COLUMN profile TEXT;
