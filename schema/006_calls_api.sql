-- schema/006_calls_api: what Vapi's /call reads need of calls
-- (runtime/store/pg_calls.c). id (001) is the call's Vapi id; call_sid stays
-- the carrier's id (phoneCallProviderId).
--   name: PATCH /call/{id} {name}.
--   updated_at: moves on every change of the row (a trigger, so the writes of
--     the call lifecycle in pg_sql.c need not name it); updatedAt* filters.
--   calls_tenant_created_idx: GET /call lists a tenant's calls newest
--     (created_at) first.
ALTER TABLE calls ADD COLUMN name text;
ALTER TABLE calls ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
UPDATE calls SET updated_at = greatest(created_at, coalesce(end_time, created_at));
CREATE INDEX calls_tenant_created_idx ON calls (tenant_id, created_at DESC);

CREATE FUNCTION hk_calls_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := greatest(clock_timestamp(), OLD.updated_at + interval '1 millisecond');
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER calls_touch BEFORE UPDATE ON calls FOR EACH ROW EXECUTE FUNCTION hk_calls_touch();
