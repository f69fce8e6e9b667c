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
    /// `totp`.
    pub kind: String,
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
/// `MFA_REQUIRED`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MfaLogin {
    /// From the first step's `error.details.mfa_token`.
    #[schemars(length(max = crate::limits::TOKEN))]
    pub mfa_token: String,
    #[schemars(length(max = crate::limits::MFA_CODE))]
    pub code: String,
}
