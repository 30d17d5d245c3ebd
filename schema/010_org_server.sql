-- schema/010_org_server: a tenant's org settings (Vapi's Org, GET/PATCH /org):
-- server is Vapi's org-level server ({url, secret, headers, timeoutSeconds,
-- ...}), the last place a call's server messages go when neither the
-- assistant nor the phone number names one (api/org_server.c). Kept as the
-- assistant's and the number's server are, the document verbatim in jsonb;
-- NULL: the tenant has none. updated_at moves on every PATCH /org.
ALTER TABLE tenants ADD COLUMN server jsonb;
ALTER TABLE tenants ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
