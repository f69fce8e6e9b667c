-- Quotas of any named resource (docs/quotas.md): one row per resource a
-- tenant declares. `users` stays on tenants.max_users / user_count.
CREATE TABLE tenant_quotas (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    resource     TEXT NOT NULL,
    quota_limit  BIGINT,
    used         BIGINT NOT NULL DEFAULT 0,
    reserved     BIGINT NOT NULL DEFAULT 0,
    -- none | hour | day | month: usage starts from zero at each period.
    period       TEXT NOT NULL DEFAULT 'none',
    period_start BIGINT NOT NULL DEFAULT 0,
    -- The threshold last signalled (0, 80, 100): each crossing emits once.
    level        BIGINT NOT NULL DEFAULT 0,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, resource)
);

-- Amounts held until committed, released or expired; expired ones are
-- released by the next change of their quota.
CREATE TABLE quota_reservations (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    resource   TEXT NOT NULL,
    amount     BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX quota_reservations_due ON quota_reservations (tenant_id, resource, expires_at);

-- The `users` quota's signalled level, as tenant_quotas.level.
ALTER TABLE tenants ADD COLUMN users_level BIGINT NOT NULL DEFAULT 0;
