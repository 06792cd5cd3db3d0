-- SPDX-License-Identifier: MIT
-- Pre-signed OCSP responses (R-REV-2, issue 9 item 6): one per certificate, signed by the
-- CRL job ahead of requests and re-signed before half its validity has passed
-- (refresh_at). It is served only while the certificate's state is still the one it was
-- signed for (state) and next_update is ahead; otherwise the responder signs on request.
CREATE TABLE ocsp_responses (
    serial TEXT PRIMARY KEY,
    level TEXT NOT NULL,           -- dv | ov | ev
    state TEXT NOT NULL,           -- the certificate state the response tells
    der @BLOB@ NOT NULL,
    this_update BIGINT NOT NULL,
    next_update BIGINT NOT NULL,
    refresh_at BIGINT NOT NULL     -- this_update + half the validity
);
CREATE INDEX ocsp_responses_refresh ON ocsp_responses(refresh_at);
