-- schema/004_tenants_auth: dashboard users (tenants and api_keys are in
-- 001_init). A user belongs to one tenant; the email is unique across the
-- install (login takes only email + password), compared case-insensitively.
-- password_hash is libsodium's Argon2id string (crypto_pwhash_str).

CREATE TABLE users (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id      uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    email          text NOT NULL,
    password_hash  text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (email = lower(email) AND email LIKE '%_@_%')
);
CREATE UNIQUE INDEX users_email_idx ON users (email);
CREATE INDEX users_tenant_idx ON users (tenant_id);
