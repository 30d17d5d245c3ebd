-- schema/003_assistants: assistants created through the API (Vapi's
-- /assistant) are rows of agents, so calls.agent_id and phone_numbers.agent_id
-- point at them as at any agent. agents.config holds the assistant document
-- verbatim (unknown fields included); id, tenant and times are columns and are
-- never taken from the document. runtime/store/pg_docs.c reads and writes them.
--   name: Vapi's name is optional and need not be unique within a tenant.
--   deleted_at: DELETE hides the row from every API read; calls keep their
--     link to the assistant that answered them.
--   version: moves on every PATCH; a call pins the version it started with.
ALTER TABLE agents ALTER COLUMN name SET DEFAULT '';
ALTER TABLE agents DROP CONSTRAINT IF EXISTS agents_tenant_id_name_key;
ALTER TABLE agents ADD COLUMN deleted_at timestamptz;
ALTER TABLE agents ADD COLUMN version integer NOT NULL DEFAULT 1;
CREATE INDEX agents_tenant_created_idx ON agents (tenant_id, created_at DESC) WHERE deleted_at IS NULL;
