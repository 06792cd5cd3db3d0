-- SPDX-License-Identifier: MIT
-- Site seals (R-MNG-4): one public seal id per subscription chain (the first subscription;
-- renewals follow subscriptions.predecessor_id, reissues and continued certificates are
-- rows of subscription_certs), or per certificate for one issued outside a subscription.
-- The id is random and stable: the customer's snippet never changes across reissue and
-- renewal.
CREATE TABLE site_seals (
    id @PK@,
    seal_id TEXT NOT NULL UNIQUE,
    org_id BIGINT NOT NULL,
    subscription_id BIGINT UNIQUE,   -- the first subscription of the chain
    cert_id BIGINT UNIQUE,           -- a certificate without a subscription
    created_at BIGINT NOT NULL
);
CREATE INDEX site_seals_org ON site_seals (org_id);
