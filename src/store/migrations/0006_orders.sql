-- SPDX-License-Identifier: MIT
-- Products, orders (applications), their domains, vetting records, document requests and
-- uploads, invoices and the per-period counters behind receipt and invoice numbers
-- (R-PRD-1, R-PAY-1, R-APP-1..7, R-VAL-4..7). org_id / user_id are plain BIGINTs: the
-- accounts tables live in their own migration. Portable SQL: @PK@ and @BLOB@ per backend.
CREATE TABLE products (
    id @PK@,
    code TEXT UNIQUE NOT NULL,
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('dv', 'ov', 'ev')),
    term_months BIGINT NOT NULL,
    multi_domain BIGINT NOT NULL DEFAULT 0,
    sans_included BIGINT NOT NULL DEFAULT 1,  -- names in the list price
    sans_max BIGINT NOT NULL DEFAULT 1,       -- names at most (CN included, apex of www not)
    wildcard BIGINT NOT NULL DEFAULT 0,
    allow_ip BIGINT NOT NULL DEFAULT 0,
    list_price BIGINT NOT NULL,               -- yen, tax excluded
    extra_san_price BIGINT NOT NULL DEFAULT 0,-- yen per name past sans_included
    reissue_fee TEXT NOT NULL DEFAULT 'free', -- free | after:DAYS:YEN (R-RI-6)
    review_days_min BIGINT NOT NULL DEFAULT 0,-- business days (R-VAL-7)
    review_days_max BIGINT NOT NULL DEFAULT 0,
    root_options TEXT NOT NULL DEFAULT 'a,b',
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);

CREATE TABLE orders (
    id @PK@,
    receipt_no TEXT UNIQUE NOT NULL,          -- R + Tokyo date + '-' + 5-digit sequence
    kind TEXT NOT NULL CHECK (kind IN ('new', 'renewal', 'reissue')),
    state TEXT NOT NULL,                      -- enum order_state (ra/order.h)
    product_id BIGINT NOT NULL REFERENCES products(id),
    org_id BIGINT NOT NULL,
    created_by BIGINT NOT NULL,               -- user id
    csr_pem TEXT,
    cn TEXT NOT NULL,
    names TEXT NOT NULL,                      -- JSON array, CN first
    root_option TEXT NOT NULL DEFAULT 'a',
    applicant TEXT NOT NULL DEFAULT '{}',     -- JSON: organization, responsible person
    contact TEXT NOT NULL DEFAULT '{}',       -- JSON: procedure contact
    billing TEXT NOT NULL DEFAULT '{}',       -- JSON: billing data
    notify_email1 TEXT NOT NULL,
    notify_email2 TEXT,
    notify_email3 TEXT,
    po_number TEXT,
    remarks TEXT,
    server_software TEXT,
    amount BIGINT NOT NULL DEFAULT 0,         -- yen, tax excluded
    invoice_no TEXT UNIQUE,
    pay_method TEXT,                          -- invoice | card | callback | officer
    paid_at BIGINT,
    submitted_at BIGINT,
    decided_at BIGINT,
    decision_note TEXT,                       -- NG reason or hold request
    predecessor_cert_id BIGINT,
    cert_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,        -- optimistic locking
    idem_key TEXT NOT NULL,                   -- double-submit protection, per user
    UNIQUE (created_by, idem_key)
);
CREATE INDEX orders_org ON orders (org_id, created_at);
CREATE INDEX orders_state ON orders (state, submitted_at);

CREATE TABLE order_domains (
    id @PK@,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    name TEXT NOT NULL,
    dcv_method TEXT NOT NULL,                 -- email:LOCALPART | dns | http | reuse
    random_value TEXT,
    value_expires_at BIGINT,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'validated', 'failed')),
    validated_at BIGINT,
    br_version TEXT,
    evidence TEXT,                            -- JSON
    UNIQUE (order_id, name)
);

CREATE TABLE vetting_checks (
    id @PK@,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    org_id BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('registry', 'tdb', 'name_match', 'domain_owner', 'phone')),
    source TEXT NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('ok', 'ng')),
    note TEXT,
    phone TEXT,
    phone_source TEXT,
    officer_id BIGINT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX vetting_checks_order ON vetting_checks (order_id);
CREATE INDEX vetting_checks_org ON vetting_checks (org_id, kind, at);

CREATE TABLE document_requests (
    id @PK@,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    kind TEXT NOT NULL CHECK (kind IN ('phone_bill', 'authorization_letter', 'pledge', 'other')),
    note TEXT,
    requested_by BIGINT NOT NULL,
    at BIGINT NOT NULL,
    fulfilled_at BIGINT
);
CREATE INDEX document_requests_order ON document_requests (order_id);

CREATE TABLE documents (
    id @PK@,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    kind TEXT NOT NULL CHECK (kind IN ('phone_bill', 'authorization_letter', 'pledge', 'other')),
    file_name TEXT NOT NULL,
    sniffed_type TEXT NOT NULL,               -- application/pdf | image/jpeg | image/png
    size BIGINT NOT NULL,
    data @BLOB@ NOT NULL,
    uploaded_by BIGINT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX documents_order ON documents (order_id);

CREATE TABLE invoices (
    id @PK@,
    invoice_no TEXT UNIQUE NOT NULL,          -- BILL-YYYYMM-NNNNN (Tokyo month)
    order_id BIGINT UNIQUE NOT NULL REFERENCES orders(id),
    amount BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    paid_at BIGINT
);

-- Per-period sequences ("BILL-202611", "R20261129"): incremented with an upsert that
-- row-locks the counter until the transaction ends, so numbers are unique and gap-free
-- per committed transaction on both backends.
CREATE TABLE order_counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
