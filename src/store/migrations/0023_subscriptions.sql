-- SPDX-License-Identifier: MIT
-- Subscriptions (R-REN-1..6): a paid term of 1 or 2 years that outlasts the validity cap of
-- one certificate. subscription_certs links each order issued inside a subscription (the
-- first, the free continuations 継続発行, the first of a renewal) with its certificate;
-- subscription_notices records every reminder and notice once, unique per (subscription,
-- kind, key), so two servers or a restart never send one twice (R-SCL-1).
CREATE TABLE subscriptions (
    id @PK@,
    org_id BIGINT NOT NULL,
    product_id BIGINT NOT NULL,
    first_order_id BIGINT UNIQUE NOT NULL,   -- the paid order that opened it
    predecessor_id BIGINT,                   -- the subscription it renews (R-REN-2)
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,                 -- last second covered (inclusive)
    carried_days BIGINT NOT NULL DEFAULT 0,  -- days carried over from the predecessor
    state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'renewed', 'cancelled')),
    renewal_order_id BIGINT,                 -- a renewal in progress (R-REN-5)
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX subscriptions_org ON subscriptions (org_id, ends_at);
CREATE INDEX subscriptions_due ON subscriptions (state, ends_at);

CREATE TABLE subscription_certs (
    id @PK@,
    subscription_id BIGINT NOT NULL REFERENCES subscriptions(id),
    order_id BIGINT UNIQUE NOT NULL,
    cert_id BIGINT,                          -- NULL until issued
    reason TEXT NOT NULL CHECK (reason IN ('first', 'continued', 'renewal')),
    created_at BIGINT NOT NULL
);
CREATE INDEX subscription_certs_sub ON subscription_certs (subscription_id, id);
CREATE INDEX subscription_certs_cert ON subscription_certs (cert_id);

CREATE TABLE subscription_notices (
    id @PK@,
    subscription_id BIGINT NOT NULL REFERENCES subscriptions(id),
    kind TEXT NOT NULL,                      -- renewal | continue | cancelled
    notice_key TEXT NOT NULL,                -- renewal: days before the end; continue: cert id
    mailed BIGINT NOT NULL DEFAULT 1,        -- 0: passed over, a later reminder was due too
    at BIGINT NOT NULL,
    UNIQUE (subscription_id, kind, notice_key)
);
