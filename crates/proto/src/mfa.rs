//! Second factors (docs/mfa.md): TOTP with recovery codes, and the second
//! step of a login.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `POST /auth/mfa/totp`: a new TOTP secret to put into an authenticator app.
/// It works once confirmed with a code (`POST /auth/mfa/totp/confirm`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct TotpEnrollment {
    /// The secret in base32 (RFC 4648, no padding), for typing in.
    pub secret: String,
    /// `otpauth://totp/…` with issuer and account (SHA1, 6 digits, 30 s),
    /// for a QR code.
    pub otpauth_uri: String,
}

/// A code of a second factor: six digits from the authenticator app, or a
/// recovery code.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MfaCode {
    #[schemars(length(max = crate::limits::MFA_CODE))]
    pub code: String,
}

/// Recovery codes, shown once: each signs in once in place of a TOTP code.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// A second factor as its owner and admins see it (never its secret).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct MfaFactor {
    /// Names the factor in `DELETE /auth/mfa/{id}`.
    pub id: String,
    /// `totp` or `passkey`.
    pub kind: String,
    /// A passkey's name, as its owner gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
}

/// `GET /auth/mfa`, `GET /users/{user}/mfa`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct MfaStatus {
    /// Confirmed factors; empty when the user signs in with a password alone.
    pub factors: Vec<MfaFactor>,
    /// Recovery codes not spent yet.
    pub recovery_codes_left: u32,
}

/// Query of `DELETE /users/{user}/mfa`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MfaResetQuery {
    /// Also end every session of the user, in the same change (a stolen
    /// phone: whoever holds it may hold a session too).
    #[serde(default)]
    pub end_sessions: Option<bool>,
}

/// `POST /auth/login/mfa`: the second step of a login that answered
/// `MFA_REQUIRED`, or of a login by passkey (`POST /auth/login/passkey`).
/// It takes a `code` or a passkey's `credential`, not both.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MfaLogin {
    /// From the first step's `error.details.mfa_token`.
    #[schemars(length(max = crate::limits::TOKEN))]
    pub mfa_token: String,
    /// A TOTP code or a recovery code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::MFA_CODE))]
    pub code: Option<String>,
    /// What `navigator.credentials.get()` answered to the challenge's
    /// `passkey` options, as JSON (binary fields base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<serde_json::Value>,
}

/// A proof of a second factor for a change to the caller's factors: a
/// `code`, or a passkey's answer (`ceremony` from `POST /auth/mfa/proof`
/// and its `credential`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MfaProof {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::MFA_CODE))]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::TOKEN))]
    pub ceremony: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<serde_json::Value>,
}

/// What a second step needs: in `MFA_REQUIRED`'s `error.details`, and the
/// answer of `POST /auth/login/passkey`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct MfaChallenge {
    /// Single use, bound to the person; send it to `POST /auth/login/mfa`.
    pub mfa_token: String,
    /// What may answer: `totp`, `recovery_code`, `passkey`.
    pub factors: Vec<String>,
    /// Options for `navigator.credentials.get()` (a WebAuthn
    /// `PublicKeyCredentialRequestOptions` under `publicKey`), when a
    /// passkey may answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey: Option<serde_json::Value>,
    /// Seconds left.
    pub expires_in: i64,
}

/// `POST /auth/login/passkey`: a login by passkey alone, first step.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PasskeyLoginRequest {
    #[schemars(length(max = crate::limits::SLUG))]
    pub tenant: String,
    #[schemars(length(max = crate::limits::EMAIL))]
    pub username: String,
}

/// A passkey ceremony begun: `POST /auth/mfa/passkeys` (options for
/// `navigator.credentials.create()`) or `POST /auth/mfa/proof` (for
/// `navigator.credentials.get()`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct PasskeyCeremony {
    /// Single use; send it back with the authenticator's answer.
    pub ceremony: String,
    /// The WebAuthn options, under `publicKey`.
    pub options: serde_json::Value,
    /// Seconds left.
    pub expires_in: i64,
}

/// `POST /auth/mfa/passkeys/confirm`: the authenticator's answer to a
/// registration.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RegisterPasskey {
    #[schemars(length(max = crate::limits::TOKEN))]
    pub ceremony: String,
    /// What the person calls it ("laptop", "YubiKey 5C"); defaults to "passkey".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::NAME))]
    pub name: Option<String>,
    /// What `navigator.credentials.create()` answered, as JSON (binary fields base64url).
    pub credential: serde_json::Value,
}

/// A passkey registered.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct PasskeyEnrolled {
    pub id: String,
    pub name: String,
    /// Fresh recovery codes, shown once, when the person had none left;
    /// empty otherwise.
    pub recovery_codes: Vec<String>,
}
