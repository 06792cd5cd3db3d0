-- SPDX-License-Identifier: MIT
-- ACME rate limits (RFC 8555 6.7; issue 10 item 4): new orders per account and
-- certificates per registered domain in a window, counted from these rows so that every
-- server process on the database sees the same counts. One row per registered domain
-- (public suffix list) an ACME order names, written with the order.
CREATE TABLE acme_order_domains (
    acme_order_id BIGINT NOT NULL REFERENCES acme_orders(id),
    reg_domain TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (acme_order_id, reg_domain)
);
CREATE INDEX acme_order_domains_reg ON acme_order_domains(reg_domain, created_at);
CREATE INDEX acme_orders_account_created ON acme_orders(account_id, created_at);
