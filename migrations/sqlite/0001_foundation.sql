-- plat foundation schema (SQLite). Times are unix milliseconds (BIGINT);
-- every integer is BIGINT so both dialects decode to i64.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    status     TEXT NOT NULL,
    max_users  BIGINT,
    user_count BIGINT NOT NULL DEFAULT 0,
    version    BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE users (
    id                 TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    username           TEXT NOT NULL,
    username_key       TEXT NOT NULL,
    email              TEXT NOT NULL,
    email_key          TEXT NOT NULL,
    status             TEXT NOT NULL,
    password_hash      TEXT,
    failed_logins      BIGINT NOT NULL DEFAULT 0,
    first_failed_at    BIGINT,
    locked_until       BIGINT,
    tokens_valid_after BIGINT NOT NULL DEFAULT 0,
    version            BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    UNIQUE (tenant_id, username_key),
    UNIQUE (tenant_id, email_key)
);

CREATE TABLE user_profiles (
    user_id    TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    nickname   TEXT NOT NULL DEFAULT '',
    avatar_url TEXT NOT NULL DEFAULT '',
    bio        TEXT NOT NULL DEFAULT ''
);

CREATE TABLE user_stats (
    user_id       TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    login_count   BIGINT NOT NULL DEFAULT 0,
    last_login_at BIGINT
);

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role    TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role ON user_roles (role);

CREATE TABLE roles (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    permissions TEXT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE service_accounts (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    client_id         TEXT NOT NULL UNIQUE,
    secret_hash       TEXT NOT NULL,
    description       TEXT NOT NULL,
    roles             TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    secret_rotated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    issued_at  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_revoked_at ON revoked_tokens (revoked_at);

CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    algorithm   TEXT NOT NULL,
    private_key TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    retire_at   BIGINT
);

CREATE TABLE events (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                TEXT NOT NULL UNIQUE,
    type              TEXT NOT NULL,
    tenant            TEXT NOT NULL,
    aggregate_kind    TEXT NOT NULL,
    aggregate_id      TEXT NOT NULL,
    aggregate_version BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    payload           TEXT NOT NULL
);
CREATE INDEX events_aggregate ON events (aggregate_id, seq);
CREATE INDEX events_tenant ON events (tenant, seq);

CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    tenant     TEXT,
    outcome    TEXT NOT NULL,
    request_id TEXT,
    details    TEXT NOT NULL
);
CREATE INDEX audit_log_tenant ON audit_log (tenant, seq);
CREATE INDEX audit_log_created ON audit_log (created_at);
