-- Organizations (docs/organizations.md): a tree per tenant. `path` holds
-- the ids from the root to the organization, '/id/id/', so a subtree is a
-- range of paths (compared byte by byte) and a rename touches one row.
CREATE TABLE organizations (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    -- '' for a root, so sibling names are unique for roots too.
    parent_id    TEXT NOT NULL DEFAULT '',
    name         TEXT NOT NULL,
    display_name TEXT NOT NULL,
    kind         TEXT NOT NULL,
    metadata     TEXT NOT NULL DEFAULT '{}',
    path         TEXT COLLATE "C" NOT NULL,
    depth        BIGINT NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX organizations_sibling_name ON organizations (tenant_id, parent_id, name);
CREATE INDEX organizations_path ON organizations (tenant_id, path);

CREATE TABLE organization_members (
    org_id     TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX organization_members_user ON organization_members (user_id);
