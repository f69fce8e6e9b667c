-- Second factors (docs/mfa.md). A TOTP factor's secret is sealed under the
-- master key; it is pending until a code confirms it (`confirmed_at`).
-- `last_step` is the newest time step a code was accepted for: a code is
-- accepted once, and never one older than the last.
CREATE TABLE mfa_factors (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    secret       TEXT NOT NULL,
    confirmed_at BIGINT,
    last_step    BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE UNIQUE INDEX mfa_factors_user_kind ON mfa_factors (user_id, kind);
-- Recovery codes, keyed hashes only; each spends once.
CREATE TABLE mfa_recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
-- A login waiting for its second step: the `mfa_token`'s keyed hash, bound
-- to the user, short lived, single use, with the wrong codes it has seen,
-- and the password's re-hash (bcrypt → argon2id) to store when it completes.
CREATE TABLE mfa_challenges (
    token_hash    TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    password_hash TEXT
);
CREATE INDEX mfa_challenges_expiry ON mfa_challenges (expires_at);
