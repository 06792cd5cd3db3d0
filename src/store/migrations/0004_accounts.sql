-- SPDX-License-Identifier: MIT
-- Accounts (R-ACT-1..3): organizations, users with roles, login sessions, API keys,
-- password reset tokens and the announcements of the login page. Secrets are never stored
-- in the clear: sessions, API keys and reset tokens are kept as SHA-256 hex of the token,
-- passwords as argon2id strings. Portable SQL: @PK@ is replaced per backend.
CREATE TABLE organizations (
    id @PK@,
    kind TEXT NOT NULL CHECK (kind IN ('customer', 'reseller', 'ca')),
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL,
    reseller_org_id BIGINT REFERENCES organizations(id), -- the reseller managing a customer org
    created_at BIGINT NOT NULL
);
CREATE INDEX organizations_reseller ON organizations (reseller_org_id);

CREATE TABLE users (
    id @PK@,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    login_id TEXT NOT NULL,                -- as the user typed it
    login_key TEXT NOT NULL UNIQUE,        -- lower-case login_id: unique case-insensitively
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('customer', 'reseller', 'officer', 'admin')),
    locale TEXT NOT NULL CHECK (locale IN ('ja', 'en')),
    password_hash TEXT NOT NULL,           -- argon2id (crypto_pwhash_str)
    failed_logins BIGINT NOT NULL DEFAULT 0,
    first_failed_at BIGINT NOT NULL DEFAULT 0, -- start of the current failure window
    locked_until BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX users_org ON users (org_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,              -- SHA-256 hex of the cookie value
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    expires_at BIGINT NOT NULL             -- absolute timeout
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_keys (
    id @PK@,
    user_id BIGINT NOT NULL REFERENCES users(id),
    prefix TEXT NOT NULL,                  -- first characters, shown to identify the key
    hash TEXT NOT NULL UNIQUE,             -- SHA-256 hex of the whole key
    label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,           -- SHA-256 hex of the mailed token
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX password_resets_user ON password_resets (user_id);

CREATE TABLE announcements (
    id @PK@,
    title_ja TEXT NOT NULL,
    title_en TEXT NOT NULL,
    body_ja TEXT NOT NULL,
    body_en TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    author_id BIGINT REFERENCES users(id)
);
CREATE INDEX announcements_published ON announcements (published_at);
