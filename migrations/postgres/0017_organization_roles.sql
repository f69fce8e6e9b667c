-- Roles granted on an organization (docs/organizations.md): what the role
-- grants holds in that organization's subtree only. The role is a name, as
-- in user_roles: a built-in role or a custom role of the tenant.
CREATE TABLE organization_roles (
    org_id     TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id, role)
);
CREATE INDEX organization_roles_user ON organization_roles (user_id);
