-- schema/002_default_tenant: the tenant that owns calls of agents loaded from
-- agents/ files (a single-operator install). Multi-tenant installs add their
-- own tenants; this row stays as the home of file-based agents.
INSERT INTO tenants (id, name)
VALUES ('00000000-0000-0000-0000-000000000001', 'default')
ON CONFLICT (id) DO NOTHING;
