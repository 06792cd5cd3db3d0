-- SPDX-License-Identifier: MIT
-- Full CRLs per issuing key (R-REV-2): one row per validation level (dv, ov, ev; the
-- intermediate and its cross-certificate share key and subject, so one CRL covers both).
-- crl_number only grows; revoked_count is the number of revoked certificates the CRL was
-- built from, so the CRL job can tell that a revocation happened since (within the hour).
CREATE TABLE crls (
    issuer TEXT PRIMARY KEY,        -- dv | ov | ev (the CDP names {repository}/{issuer}.crl)
    crl_number BIGINT NOT NULL,
    this_update BIGINT NOT NULL,
    next_update BIGINT NOT NULL,
    revoked_count BIGINT NOT NULL,
    der @BLOB@ NOT NULL,
    updated_at BIGINT NOT NULL
);
