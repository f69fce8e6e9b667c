-- A login is a session (docs/sessions.md): its refresh-token family is its
-- tokens (`refresh_tokens.family_id` = `sessions.id`), and its id is the
-- `sid` of every access token issued in it. `idle_ms` and `expires_at` are
-- the tenant's lifetimes as they were when it began. Families still alive
-- become sessions begun by a password.
CREATE TABLE sessions (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at     BIGINT NOT NULL,
    last_active_at BIGINT NOT NULL,
    idle_ms        BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    ip             TEXT,
    user_agent     TEXT,
    amr            TEXT NOT NULL,
    ended_at       BIGINT,
    ended_reason   TEXT
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);
INSERT INTO sessions (id, user_id, created_at, last_active_at, idle_ms, expires_at, amr)
    SELECT family_id, MIN(user_id), MIN(issued_at), MAX(issued_at), 2592000000, MIN(issued_at) + 7776000000, '["pwd"]'
    FROM refresh_tokens WHERE revoked_at IS NULL GROUP BY family_id;
-- A tenant's security settings (MFA policy, session lifetimes) as JSON;
-- NULL is every default.
ALTER TABLE tenants ADD COLUMN security TEXT;
