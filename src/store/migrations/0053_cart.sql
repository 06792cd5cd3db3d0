-- SPDX-License-Identifier: MIT
-- The cart (R-CRT-1): items a user collects before ordering. An item is complete once its
-- application is registered: order_id names the draft order made from it.
CREATE TABLE cart_items (
    id @PK@,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    sans BIGINT NOT NULL,             -- names, CN included
    domain TEXT NOT NULL,             -- free text shown on the quote
    order_id BIGINT REFERENCES orders(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX cart_items_user ON cart_items(user_id);
