-- SPDX-License-Identifier: MIT
-- Stored quotes (R-QUO-1, R-CRT-1): a quote made from the quote page, the cart or the API
-- keeps its number and content, so the same 御見積書 is fetched again by its number and the
-- account lists its quotes. body is the quote as JSON (recipient, subject, dates, issuer as
-- it was, lines, rates, subtotal, tax, total); the columns are what lists and scoping need.
CREATE TABLE quotes (
    id @PK@,
    number TEXT NOT NULL UNIQUE,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    total BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX quotes_org ON quotes (org_id, created_at);
