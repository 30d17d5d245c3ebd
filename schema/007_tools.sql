-- schema/007_tools: tools created through the API (Vapi's /tool). config
-- holds the document verbatim (unknown fields included); type follows it; id,
-- tenant and times are columns and are never taken from the document.
-- runtime/store/pg_docs.c reads and writes them.
--   deleted_at: DELETE hides the row from every API read.
CREATE TABLE tools (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    type        text NOT NULL DEFAULT '',
    config      jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE INDEX tools_tenant_created_idx ON tools (tenant_id, created_at DESC) WHERE deleted_at IS NULL;
