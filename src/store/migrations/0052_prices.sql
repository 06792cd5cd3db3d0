-- SPDX-License-Identifier: MIT
-- Prices (R-PRD-2, R-PAY-1): price agreements (仕切り) of a customer or reseller
-- organization per product, in place of the product's list price, and the issuer of quotes
-- and invoices with its qualified-invoice registration number (T + 13 digits).
CREATE TABLE price_agreements (
    id @PK@,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    price BIGINT NOT NULL,            -- yen, tax excluded, in place of list_price
    extra_san_price BIGINT NOT NULL,  -- yen per name past sans_included
    reissue_fee BIGINT NOT NULL,      -- yen; -1 = the product's reissue-fee rule
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (org_id, product_id)
);
CREATE TABLE billing_issuer (
    id BIGINT PRIMARY KEY,            -- always 1
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    phone TEXT NOT NULL,
    registration_no TEXT NOT NULL,    -- T + 13 digits
    bank TEXT NOT NULL,               -- transfer account printed on invoices
    quote_valid_days BIGINT NOT NULL,
    payment_days BIGINT NOT NULL,     -- invoice due this many days after issue
    updated_at BIGINT NOT NULL
);
INSERT INTO billing_issuer (id, name, address, phone, registration_no, bank, quote_valid_days,
                            payment_days, updated_at)
VALUES (1, '株式会社ショウメイ認証局', '東京都千代田区丸の内一丁目1番1号', '03-0000-0000',
        'T8000000000001', 'ショウメイ銀行 本店営業部 普通 1234567 カ）ショウメイニンショウキョク', 30, 30, 0);
