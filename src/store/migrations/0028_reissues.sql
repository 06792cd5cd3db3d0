-- SPDX-License-Identifier: MIT
-- Reissue (R-RI-1..7): one row per reissue application (its order, kind 'reissue'), with
-- the certificate it replaces, the reason the customer chose and the RFC 5280 reason code
-- it puts on the original, the revocation date asked for the original, whether a new CSR
-- was given, the fee and the changes (names, root) as JSON. Read with subscription_certs
-- (reason 'reissue', migration 0029) for the certificate's history (JStore 履歴).
CREATE TABLE reissues (
    id @PK@,
    order_id BIGINT UNIQUE NOT NULL,
    original_cert_id BIGINT NOT NULL,
    subscription_id BIGINT NOT NULL,
    reason TEXT NOT NULL,                 -- site_closed | domain_released | org_changed | ...
    reason_code BIGINT NOT NULL,          -- RFC 5280 CRLReason put on the original
    revoke_at BIGINT NOT NULL,            -- when the original is (to be) revoked
    new_csr BIGINT NOT NULL DEFAULT 0,
    fee BIGINT NOT NULL DEFAULT 0,        -- yen, tax excluded (R-RI-6)
    changes TEXT NOT NULL DEFAULT '{}',   -- {"added":[...],"removed":[...],"root":"b"}
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX reissues_original ON reissues (original_cert_id);
