-- OAuth 2.0 (docs/oauth.md). A service account may name the audiences its
-- tokens may carry (a JSON list; Envoy and oauth2-proxy check `aud`) and
-- register public keys (a JSON Web Key Set) to authenticate with signed
-- assertions (RFC 7523 `private_key_jwt`) instead of a shared secret.
ALTER TABLE service_accounts ADD COLUMN audiences TEXT NOT NULL DEFAULT '[]';
ALTER TABLE service_accounts ADD COLUMN jwks TEXT;

-- Assertions spent, by (client, jti), until they expire: an assertion is
-- accepted once, on every replica.
CREATE TABLE client_assertions (
    client_id  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX client_assertions_expiry ON client_assertions (expires_at);
