//! Second factors in the daemon (docs/mfa.md): TOTP secrets (sealed under
//! the master key like signing keys) and their codes, recovery codes, and
//! the challenge between a login's two steps. The store spends what a code
//! uses (a time step, a recovery code, a challenge) atomically; this module
//! decides whether a code is right.

use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::AppState;
use crate::auth::{crypto, passkeys};
use crate::error::{ApiErr, ApiResult};

/// How long a login's second step may wait after its first.
pub const CHALLENGE_TTL_MS: i64 = 5 * 60 * 1000;
/// Wrong codes one challenge takes before it closes (each also counts
/// toward the account's lockout and the IP's limit).
pub const MAX_ATTEMPTS: u32 = 5;
/// Recovery codes handed out at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// How every `mfa_token` starts.
pub const MFA_TOKEN_PREFIX: &str = "plmfa_";
/// How long an enrolment-only token lives.
pub const ENROL_TTL: std::time::Duration = std::time::Duration::from_secs(600);

/// The audience of enrolment-only tokens: plat's own with `#mfa-enroll`, so
/// no other route, and no service that checks its audience, takes them.
pub fn enrol_audience(state: &AppState) -> String {
    format!("{}{ENROL_SUFFIX}", state.auth.keys.audience())
}

const ENROL_SUFFIX: &str = "#mfa-enroll";

/// Whether `aud` is the enrolment tokens' audience (without allocating:
/// every token check asks).
pub fn is_enrol_audience(state: &AppState, aud: &str) -> bool {
    aud.strip_suffix(ENROL_SUFFIX) == Some(state.auth.keys.audience())
}

/// The answer to a right password of a person who must have a second
/// factor and has none: a token that can only enrol one.
pub fn enrolment_required(state: &AppState, user: &plat_proto::User) -> ApiResult<ApiErr> {
    let audience = enrol_audience(state);
    let (token, _) = state
        .auth
        .mint(crate::auth::Mint {
            typ: plat_proto::TokenType::User,
            subject: &user.id,
            tenant: &user.tenant,
            username: &user.username,
            roles: Vec::new(),
            not_before_ms: 0,
            ttl: ENROL_TTL,
            audience: Some(&audience),
            scope: None,
            client_id: crate::auth::FIRST_PARTY_CLIENT,
            act: None,
            session: None,
        })
        .map_err(ApiErr::internal)?;
    let mut err = ApiErr::new(
        plat_proto::ErrorCode::MfaEnrollmentRequired,
        "the tenant requires a second factor: enrol one with the enroll_token (POST /api/v1/auth/mfa/totp or /api/v1/auth/mfa/passkeys), then log in again",
    );
    err.error = err.error.with_detail("enroll_token", token).with_detail("expires_in", ENROL_TTL.as_secs());
    Ok(err)
}

/// The `issuer` of `otpauth://` URIs: what an authenticator app shows.
const ISSUER: &str = "plat";

/// What a right code was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    Totp,
    RecoveryCode,
    Passkey,
}

impl Factor {
    /// The `amr` of a session begun with a password and this factor (RFC
    /// 8176): `otp` for codes, `hwk` for a passkey's key.
    pub fn amr(self) -> Vec<String> {
        let proof = if self == Factor::Passkey { "hwk" } else { "otp" };
        ["pwd", proof, "mfa"].map(str::to_owned).to_vec()
    }

    /// The `amr` of a session begun with a passkey alone: the key, and the
    /// user verification (a PIN or a biometric) every plat passkey requires,
    /// so two factors.
    pub fn passkey_alone_amr() -> Vec<String> {
        ["hwk", "mfa"].map(str::to_owned).to_vec()
    }

    /// What a code is meant to be: six digits a TOTP code, anything else a
    /// recovery code.
    pub fn of_code(code: &str) -> Factor {
        let code = compact(code);
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) { Factor::Totp } else { Factor::RecoveryCode }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Factor::Totp => "totp",
            Factor::RecoveryCode => "recovery_code",
            Factor::Passkey => "passkey",
        }
    }
}

/// A TOTP generator for a secret: SHA1, 6 digits, 30 s steps, one step of
/// skew either way (what authenticator apps do).
fn totp(secret: Vec<u8>, account: &str) -> ApiResult<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_skew(1)
        .with_secret(secret)
        .with_issuer(Some(ISSUER))
        .with_account_name(account.replace(':', "_"))
        .build()
        .map_err(|e| ApiErr::internal(format!("cannot build a TOTP: {e:?}")))
}

/// A new TOTP secret for `account` (`alice@acme`): sealed for the store,
/// base32 for the person, and the `otpauth://` URI.
pub fn new_totp(state: &AppState, account: &str) -> ApiResult<(String, plat_proto::TotpEnrollment)> {
    let secret = crypto::random_bytes::<20>().to_vec();
    let sealed = state.auth.master.seal(&secret).map_err(ApiErr::internal)?;
    let totp = totp(secret.clone(), account)?;
    let uri = totp.to_url().map_err(|e| ApiErr::internal(format!("cannot write the otpauth URI: {e:?}")))?;
    let base32 = Secret::from(secret).to_base32();
    Ok((sealed, plat_proto::TotpEnrollment { secret: base32, otpauth_uri: uri }))
}

/// A code as typed, without its spaces (`492 039`).
fn compact(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The time step a TOTP code is right for under a sealed secret, if any.
pub fn totp_step(state: &AppState, sealed: &str, code: &str) -> ApiResult<Option<i64>> {
    let code = compact(code);
    let secret = state.auth.master.open(sealed).map_err(ApiErr::internal)?;
    let now = (plat_store::now_ms() / 1000).max(0) as u64;
    let step = totp(secret, "-")?.check(&code, now);
    Ok(step.map(|s| s.min(i64::MAX as u64) as i64))
}

/// Fresh recovery codes (`xxxxx-xxxxx`, 50 bits each) and their keyed hashes.
pub fn recovery_codes(state: &AppState) -> (Vec<String>, Vec<String>) {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let raw = crypto::random_bytes::<10>();
            let chars: String = raw.iter().map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char).collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect();
    let hashes = codes.iter().map(|c| state.auth.master.keyed_hash(&normalize_recovery(c))).collect();
    (codes, hashes)
}

/// A recovery code as hashed: lower case, without dashes and spaces.
fn normalize_recovery(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

/// Check a code of `user_id`'s second factor and spend what it uses: six
/// digits are a TOTP code (each time step once), anything else a recovery
/// code (each once). `None` when it is wrong, spent or the user has no factor.
pub async fn verify(state: &AppState, user_id: &str, code: &str) -> ApiResult<Option<Factor>> {
    let code = compact(code);
    if Factor::of_code(&code) == Factor::Totp {
        let Some((sealed, last_step)) = state.store.totp_secret(user_id, true).await? else { return Ok(None) };
        let Some(step) = totp_step(state, &sealed, &code)? else { return Ok(None) };
        if step <= last_step || !state.store.spend_totp_step(user_id, step).await? {
            return Ok(None);
        }
        return Ok(Some(Factor::Totp));
    }
    let normalized = normalize_recovery(&code);
    if normalized.len() != 10 {
        return Ok(None);
    }
    let hash = state.auth.master.keyed_hash(&normalized);
    Ok(state.store.spend_recovery_code(user_id, &hash).await?.then_some(Factor::RecoveryCode))
}

/// Check a proof of a second factor of `user_id` (a change to its factors):
/// a code, or a passkey's answer to a proof ceremony (`POST /auth/mfa/proof`).
/// `None` when it is wrong, spent or for someone else.
pub async fn prove(state: &AppState, user_id: &str, proof: &plat_proto::MfaProof) -> ApiResult<Option<Factor>> {
    match (&proof.code, &proof.ceremony, &proof.credential) {
        (Some(code), None, None) => verify(state, user_id, code).await,
        (None, Some(ceremony), Some(credential)) => {
            let hash = state.auth.master.keyed_hash(ceremony);
            let purpose = plat_store::Purpose::Proof;
            let Some(sealed) = state.store.take_ceremony(&hash, user_id, purpose).await? else { return Ok(None) };
            let answered = passkeys::finish_authentication(state, user_id, &sealed, credential).await?;
            Ok(answered.map(|_| Factor::Passkey))
        }
        _ => Err(ApiErr::validation("code", "give a code, or a passkey's ceremony and credential")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA1, truncated to 6 digits.
    #[test]
    fn codes_follow_rfc_6238() {
        let totp = totp(b"12345678901234567890".to_vec(), "rfc").expect("totp");
        assert_eq!(totp.generate(59).to_string(), "287082");
        assert_eq!(totp.generate(1_111_111_109).to_string(), "081804");
        assert_eq!(totp.check("081804", 1_111_111_109 + 30), Some(1_111_111_109 / 30), "one step late is accepted");
        assert_eq!(totp.check("081804", 1_111_111_109 + 90), None, "three steps late is not");
    }

    #[test]
    fn recovery_codes_are_read_without_dashes_or_case() {
        assert_eq!(normalize_recovery(" AbCde-fGhJk "), "abcdefghjk");
    }
}
