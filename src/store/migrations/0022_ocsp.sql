-- SPDX-License-Identifier: MIT
-- Delegated OCSP responders (R-REV-2, RFC 6960 4.2.2.2): per issuing key (dv, ov, ev) a
-- certificate with id-kp-OCSPSigning and id-pkix-ocsp-nocheck signed by that key, whose
-- own key is a file under DIR/keys encrypted like the CA keys.
CREATE TABLE ocsp_responders (
    id @PK@,
    issuer TEXT NOT NULL,           -- dv | ov | ev
    key_ref TEXT NOT NULL,          -- file:keys/ocsp-dv-NNN.key
    cert_der @BLOB@ NOT NULL,
    not_before BIGINT NOT NULL,
    not_after BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ocsp_responders_issuer ON ocsp_responders(issuer, not_after);
