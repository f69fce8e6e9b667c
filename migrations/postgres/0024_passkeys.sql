-- Passkeys (docs/mfa.md). A person may hold several passkeys, one TOTP
-- factor at most. A passkey's `secret` is its credential (public key and
-- signature counter) sealed under the master key, so a row edited in the
-- database does not verify; `credential_id` (base64url) is unique across
-- every account, as WebAuthn requires.
ALTER TABLE mfa_factors ADD COLUMN name TEXT;
ALTER TABLE mfa_factors ADD COLUMN credential_id TEXT;
DROP INDEX mfa_factors_user_kind;
CREATE UNIQUE INDEX mfa_factors_one_totp ON mfa_factors (user_id) WHERE kind = 'totp';
CREATE UNIQUE INDEX mfa_factors_credential ON mfa_factors (credential_id);
-- A challenge is one of: a login's second step after its password
-- (`login`), a login by passkey alone (`passkey_login`), a passkey's
-- registration (`register`) or a passkey's proof for a change to factors
-- (`proof`). `ceremony` is the WebAuthn ceremony's state, sealed.
ALTER TABLE mfa_challenges ADD COLUMN purpose TEXT NOT NULL DEFAULT 'login';
ALTER TABLE mfa_challenges ADD COLUMN ceremony TEXT;
-- A person holds at most a few open challenges of each purpose (opening
-- more closes the oldest), found by this index.
CREATE INDEX mfa_challenges_user ON mfa_challenges (user_id, purpose, created_at);
