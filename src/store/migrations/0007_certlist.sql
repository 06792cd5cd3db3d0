-- SPDX-License-Identifier: MIT
-- The certificate list (R-MNG-1): one organization's certificates sorted by expiry come
-- straight off (org_id, not_after), state included so that counting needs no table rows;
-- staff lists of every organization come off (not_after).
CREATE INDEX certificates_org_expiry ON certificates (org_id, not_after, state);
CREATE INDEX certificates_expiry ON certificates (not_after);
