-- schema/005_phone_numbers_api: phone numbers registered through the API
-- (Vapi's /phone-number) are rows of phone_numbers. config holds the document
-- verbatim (unknown fields included; never twilioAuthToken, which the API
-- does not store); number, provider and label follow it, id, tenant and times
-- are columns. runtime/store/pg_docs.c reads and writes them.
--   number: unique among active numbers of all tenants, since an incoming
--     call to it must find exactly one tenant (hk_number_find).
--   deleted_at: DELETE hides the row from every read and frees the number.
ALTER TABLE phone_numbers ADD COLUMN config jsonb NOT NULL DEFAULT '{}';
ALTER TABLE phone_numbers ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE phone_numbers ADD COLUMN deleted_at timestamptz;
ALTER TABLE phone_numbers DROP CONSTRAINT IF EXISTS phone_numbers_number_key;
CREATE UNIQUE INDEX phone_numbers_active_number_idx ON phone_numbers (number) WHERE deleted_at IS NULL;
CREATE INDEX phone_numbers_tenant_created_idx ON phone_numbers (tenant_id, created_at DESC)
    WHERE deleted_at IS NULL;
