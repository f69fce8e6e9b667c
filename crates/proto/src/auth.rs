//! Login, tokens, introspection, service accounts and signing keys.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schemars(length(max = crate::limits::SLUG))]
    pub tenant: String,
    /// A username or an email address.
    #[schemars(length(max = crate::limits::EMAIL))]
    pub username: String,
    #[schemars(length(max = crate::limits::PASSWORD))]
    pub password: String,
}

/// An access token with its refresh token.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[schemars(length(max = crate::limits::TOKEN))]
    pub refresh_token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogoutRequest {
    #[schemars(length(max = crate::limits::TOKEN))]
    pub refresh_token: String,
}

/// `POST /auth/token`: the OAuth 2 client-credentials grant.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// Only `client_credentials`.
    #[schemars(length(max = crate::limits::ID), extend("enum" = ["client_credentials"]))]
    pub grant_type: String,
    #[schemars(length(max = crate::limits::ID))]
    pub client_id: String,
    #[schemars(length(max = crate::limits::TOKEN))]
    pub client_secret: String,
    /// Space-separated permissions that narrow the token.
    #[serde(default)]
    #[schemars(length(max = crate::limits::SCOPE))]
    pub scope: Option<String>,
    /// For a registered service's account: the dependency (`name` in its
    /// namespace, or `namespace/name`) the token is for; it becomes the
    /// token's `aud` (`namespace/name`), which the callee checks. An addition.
    #[serde(default)]
    #[schemars(length(max = crate::registry::MAX_DEPENDENCY))]
    pub audience: Option<String>,
}

/// An access token without a refresh token (service grants, admin-issued tokens).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct AccessToken {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
    pub jti: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    #[schemars(length(max = crate::limits::TOKEN))]
    pub token: String,
    /// The audience the token must carry (a service checks that a caller's
    /// token is meant for it: `namespace/name`); any when absent. An addition.
    #[serde(default)]
    #[schemars(length(max = crate::registry::MAX_DEPENDENCY))]
    pub audience: Option<String>,
}

/// What kind of principal a token was issued to.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    User,
    Service,
}

/// The claims of a plat access token.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// User id, or the service account's client id.
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub jti: String,
    /// Tenant slug.
    pub tenant: String,
    /// Username, or the service account's name.
    pub username: String,
    pub roles: Vec<String>,
    pub typ: TokenType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The OAuth client the token was issued to (RFC 9068): a service
    /// account's client id, or `plat` for a login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Who acts for the subject (RFC 8693 token exchange): the service that
    /// exchanged the subject's token, and who acted before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<Actor>,
    /// The session a person's token belongs to (OIDC's `sid`): ending the
    /// session makes its tokens inactive (docs/sessions.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// How the person authenticated (RFC 8176 values: `pwd`, `otp`, `hwk`, `mfa`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// The session's assurance (OIDC's `acr`): `"1"` one factor, `"2"` two
    /// (`mfa` in `amr`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
}

/// The `act` claim of an exchanged token.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Actor {
    /// The acting service account's client id.
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<Box<Actor>>,
}

/// `POST /auth/verify` answer. Inactive tokens carry the reason, never the claims.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct VerifyResponse {
    pub active: bool,
    pub claims: Option<Claims>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `POST /auth/tokens`: an admin issues a token for a user or a service account.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IssueTokenRequest {
    /// User id or username.
    #[serde(default)]
    #[schemars(length(max = crate::limits::USERNAME))]
    pub user: Option<String>,
    #[serde(default)]
    #[schemars(length(max = crate::limits::NAME))]
    pub service_account: Option<String>,
    /// Lifetime such as `15m`, `12h`; at most `auth.max_issued_ttl`.
    #[serde(default)]
    #[schemars(length(max = crate::limits::TIME))]
    pub ttl: Option<String>,
    #[serde(default)]
    #[schemars(
        length(max = crate::limits::SCOPES),
        inner(length(max = crate::limits::PERMISSION), pattern(crate::limits::PERMISSION_PATTERN))
    )]
    pub scopes: Vec<String>,
    #[serde(default)]
    #[schemars(length(max = crate::limits::ID))]
    pub audience: Option<String>,
}

/// `POST /auth/revoke`: exactly one of the fields.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    #[serde(default)]
    #[schemars(length(max = crate::limits::TOKEN))]
    pub token: Option<String>,
    #[serde(default)]
    #[schemars(length(max = crate::limits::ID))]
    pub jti: Option<String>,
    /// User id or username.
    #[serde(default)]
    #[schemars(length(max = crate::limits::USERNAME))]
    pub user: Option<String>,
}

/// A person's session: one login and the refresh tokens that continue it
/// (docs/sessions.md). Also the `data` of `session.started` and `session.ended`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub created_at: String,
    /// The last login or refresh: access tokens are checked without a
    /// write, so this moves once per access-token lifetime while in use.
    pub last_active_at: String,
    /// When it ends unless refreshed before (the idle lifetime).
    pub idle_expires_at: String,
    /// When it ends at the latest (the absolute lifetime).
    pub expires_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// How it began (RFC 8176).
    pub amr: Vec<String>,
    /// It is the session of the token that asked.
    #[serde(default)]
    pub current: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    /// Why it ended: `logout`, `ended` (by its owner), `admin`, `reuse` (a
    /// spent refresh token came back), `sessions_revoked` (all of a user's),
    /// `disabled`, `password`, `deleted`, `mfa_reset` (docs/sessions.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_reason: Option<String>,
}

/// `GET /auth/sessions`, `GET /users/{user}/sessions`: live sessions, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct SessionList {
    pub items: Vec<Session>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct RevokeResult {
    /// Number of access tokens (jti) and refresh-token sessions revoked.
    pub revoked: u64,
}

/// Who the caller is (`GET /auth/whoami`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Identity {
    pub typ: TokenType,
    pub subject: String,
    pub username: String,
    pub tenant: String,
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
    pub expires_at: String,
    /// The token's issuer (`iss`): the URL that serves plat's discovery document.
    #[serde(default)]
    pub issuer: String,
}

/// The public part of a signing key.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct SigningKey {
    pub kid: String,
    pub alg: String,
    /// `active` signs new tokens; `retiring` only verifies until `retire_at`.
    pub status: String,
    pub created_at: String,
    #[serde(default)]
    pub retire_at: Option<String>,
    /// Ed25519 public key, base64url without padding (the JWK `x`).
    pub public_key: String,
}

/// One JSON Web Key (RFC 8037 OKP).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
    pub kid: String,
    pub alg: String,
    #[serde(rename = "use")]
    pub use_: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CreateServiceAccount {
    #[schemars(length(max = crate::limits::NAME), pattern(crate::limits::NAME_PATTERN))]
    pub name: String,
    #[serde(default)]
    #[schemars(length(max = crate::limits::DESCRIPTION))]
    pub description: Option<String>,
    #[serde(default)]
    #[schemars(length(max = crate::limits::ROLES), inner(length(max = crate::limits::NAME)))]
    pub roles: Vec<String>,
    /// Audiences its tokens may carry besides plat's own (`audience` or
    /// `resource` of a grant); the first is the default. An addition.
    #[serde(default)]
    #[schemars(length(max = crate::limits::AUDIENCES), inner(length(max = crate::limits::ID)))]
    pub audiences: Vec<String>,
    /// Public keys to authenticate with `private_key_jwt` (RFC 7523). An addition.
    #[serde(default)]
    pub jwks: Option<ClientJwks>,
    /// Event types it may publish (`file.*`; docs/events.md). An addition.
    #[serde(default)]
    #[schemars(length(max = crate::limits::AUDIENCES), inner(length(max = crate::limits::PATTERN)))]
    pub publishes: Vec<String>,
}

/// `PATCH /service-accounts/{name}`: the account's OAuth settings. Absent
/// fields stay; an empty `jwks.keys` removes the keys.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UpdateServiceAccount {
    #[serde(default)]
    #[schemars(length(max = crate::limits::DESCRIPTION))]
    pub description: Option<String>,
    #[serde(default)]
    #[schemars(length(max = crate::limits::AUDIENCES), inner(length(max = crate::limits::ID)))]
    pub audiences: Option<Vec<String>>,
    #[serde(default)]
    pub jwks: Option<ClientJwks>,
    #[serde(default)]
    #[schemars(length(max = crate::limits::AUDIENCES), inner(length(max = crate::limits::PATTERN)))]
    pub publishes: Option<Vec<String>>,
}

/// A client's public keys: a JSON Web Key Set (RFC 7517).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ClientJwks {
    #[schemars(length(max = crate::limits::CLIENT_KEYS))]
    pub keys: Vec<ClientJwk>,
}

/// One public key of a client: OKP (Ed25519), EC (P-256) or RSA. Other
/// JWK members (`x5c`, `key_ops`, …) are ignored.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ClientJwk {
    /// `OKP`, `EC` or `RSA`.
    #[schemars(length(max = 8))]
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::ID))]
    pub kid: Option<String>,
    /// `EdDSA`, `ES256` or `RS256`; taken from `kty`/`crv` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 16))]
    pub alg: Option<String>,
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 8))]
    pub use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 16))]
    pub crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::JWK_PART))]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::JWK_PART))]
    pub y: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::JWK_PART))]
    pub n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::JWK_PART))]
    pub e: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ServiceAccount {
    pub name: String,
    pub client_id: String,
    pub tenant: String,
    pub description: String,
    pub roles: Vec<String>,
    pub created_at: String,
    pub secret_rotated_at: String,
    #[serde(default)]
    pub audiences: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<ClientJwks>,
    /// Event types it may publish (docs/events.md).
    #[serde(default)]
    pub publishes: Vec<String>,
}

/// A service account together with its secret: returned once, at creation or rotation.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ServiceAccountCredentials {
    #[serde(flatten)]
    pub account: ServiceAccount,
    pub client_secret: String,
}
