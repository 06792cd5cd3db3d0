-- SPDX-License-Identifier: MIT
-- A reissued certificate belongs to the subscription of the one it replaces (R-RI-3):
-- subscription_certs.reason gains 'reissue'.
ALTER TABLE subscription_certs DROP CONSTRAINT subscription_certs_reason_check;
ALTER TABLE subscription_certs ADD CONSTRAINT subscription_certs_reason_check
    CHECK (reason IN ('first', 'continued', 'renewal', 'reissue'));
