-- SPDX-License-Identifier: MIT
-- Revocation requests waiting for the officer's phone confirmation (R-REV-1). A
-- customer's request on an OV or EV certificate is held here until an officer records
-- who confirmed it by phone, when and a note; then it is carried out (now or scheduled).
-- DV requests need no call and never wait here. The BR 4.9.1.1 deadline (24 hours for
-- keyCompromise, 5 days otherwise) counts from requested_at.
CREATE TABLE revocation_requests (
    id @PK@,
    serial TEXT NOT NULL,
    org_id BIGINT,
    reason BIGINT NOT NULL,        -- RFC 5280 CRLReason code (0 = unspecified)
    due_at BIGINT,                 -- desired date (NULL = now)
    requested_by TEXT NOT NULL,    -- audit actor
    requested_at BIGINT NOT NULL,
    deadline_at BIGINT NOT NULL,   -- requested_at + 24 hours (keyCompromise) or 5 days
    state TEXT NOT NULL,           -- pending | confirmed | withdrawn
    confirmed_by TEXT,             -- officer (audit actor)
    phone_contact TEXT,            -- who was reached by phone
    phone_at BIGINT,               -- when the call took place
    phone_note TEXT,
    closed_at BIGINT,
    closed_by TEXT
);
CREATE INDEX revocation_requests_state ON revocation_requests(state, deadline_at);
CREATE INDEX revocation_requests_serial ON revocation_requests(serial, state);
