-- SPDX-License-Identifier: MIT
-- The organization's registration information (SureBoard 登録情報の変更): postal code,
-- address, main phone and a contact, edited by the organization's own administrator
-- (users.org_admin; when no user of the organization has the flag, its first user).
-- vetting_reset_at: a change of a vetted field (names, postal code, address, phone) makes
-- every organization check recorded up to that time stale, so the next OV/EV issuance is
-- vetted again (R-VAL-5 reuse stops there). reg_version: optimistic locking of the form.
ALTER TABLE organizations ADD COLUMN postal TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN contact_name TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN contact_email TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN contact_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN vetting_reset_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN reg_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN org_admin BIGINT NOT NULL DEFAULT 0;
