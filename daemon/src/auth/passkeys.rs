//! Passkeys (WebAuthn Level 3 through `webauthn-rs`, docs/mfa.md): the
//! relying party plat is, the two ceremonies (registration, authentication)
//! and their state between a ceremony's two calls. The state is sealed
//! under the master key and kept in `mfa_challenges`, so any replica answers
//! the second call; a passkey's credential (public key, signature counter)
//! is sealed too, so a row edited in the database does not verify.

use std::net::IpAddr;

use serde_json::Value;
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid,
    Webauthn, WebauthnBuilder,
};

use crate::AppState;
use crate::auth::crypto;
use crate::config::PasskeysConfig;
use crate::error::{ApiErr, ApiResult};

/// How long a ceremony waits for the authenticator's answer (WebAuthn's
/// recommended timeout, and a login challenge's lifetime).
pub const CEREMONY_TTL_MS: i64 = 5 * 60 * 1000;
/// How every registration or proof ceremony starts.
pub const CEREMONY_PREFIX: &str = "plwa_";
/// How every passkey login's `mfa_token` starts.
pub const LOGIN_PREFIX: &str = "plpk_";

/// This server as a WebAuthn relying party, or why it is none.
pub struct Passkeys(Result<(Webauthn, String), String>);

impl Passkeys {
    /// The relying party of `auth.passkeys`, defaulting from the issuer.
    /// A configuration that cannot work (an origin outside the RP id) is
    /// an error at start; an issuer on a non-loopback IP address without an
    /// `rp_id` leaves passkeys off, saying why when they are asked for.
    pub fn new(issuer: &str, config: &PasskeysConfig) -> anyhow::Result<Passkeys> {
        let issuer = Url::parse(issuer).map_err(|e| anyhow::anyhow!("auth.issuer is not a URL: {e}"))?;
        let host = issuer.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        let ip = host.parse::<IpAddr>().ok();
        let loopback = host == "localhost" || ip.is_some_and(|ip| ip.is_loopback());
        // Browsers treat http://localhost as a secure context, not 127.0.0.1.
        let mut default_origin = issuer.clone();
        if loopback {
            default_origin.set_host(Some("localhost")).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        default_origin.set_path("");
        let rp_id = match (config.rp_id.as_str(), default_origin.domain()) {
            ("", Some(domain)) => domain.to_owned(),
            ("", None) => {
                return Ok(Passkeys(Err(
                    "passkeys are off: auth.issuer is on an IP address; set auth.passkeys.rp_id to a domain name"
                        .into(),
                )));
            }
            (rp_id, _) => rp_id.to_owned(),
        };
        let origins = if config.origins.is_empty() {
            vec![default_origin]
        } else {
            config
                .origins
                .iter()
                .map(|o| Url::parse(o).map_err(|e| anyhow::anyhow!("auth.passkeys.origins: {o:?} is not a URL: {e}")))
                .collect::<anyhow::Result<Vec<_>>>()?
        };
        let mut builder = WebauthnBuilder::new(&rp_id, &origins[0])
            .map_err(|e| {
                anyhow::anyhow!(
                    "auth.passkeys: rp_id {rp_id:?} is not the domain of {} or one above it ({e})",
                    origins[0]
                )
            })?
            .rp_name("plat");
        for origin in &origins[1..] {
            builder = builder.append_allowed_origin(origin);
        }
        let webauthn = builder.build().map_err(|e| anyhow::anyhow!("auth.passkeys: {e}"))?;
        Ok(Passkeys(Ok((webauthn, rp_id))))
    }

    fn get(&self) -> ApiResult<&Webauthn> {
        self.0.as_ref().map(|(w, _)| w).map_err(|why| ApiErr::new(plat_proto::ErrorCode::Forbidden, why.clone()))
    }

    /// The relying party id, when passkeys are on.
    pub fn rp_id(&self) -> Option<&str> {
        self.0.as_ref().ok().map(|(_, id)| id.as_str())
    }
}

fn seal<T: serde::Serialize>(state: &AppState, value: &T) -> ApiResult<String> {
    let json = serde_json::to_vec(value).map_err(ApiErr::internal)?;
    state.auth.master.seal(&json).map_err(ApiErr::internal)
}

fn open<T: serde::de::DeserializeOwned>(state: &AppState, sealed: &str) -> ApiResult<T> {
    let json = state.auth.master.open(sealed).map_err(ApiErr::internal)?;
    serde_json::from_slice(&json).map_err(ApiErr::internal)
}

fn to_json<T: serde::Serialize>(value: &T) -> ApiResult<Value> {
    serde_json::to_value(value).map_err(ApiErr::internal)
}

/// The WebAuthn user handle of a user: its id (a UUID).
fn user_handle(user_id: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(user_id).map_err(|e| ApiErr::internal(format!("user id {user_id:?} is not a UUID: {e}")))
}

/// A stored passkey, opened, with its factor id.
fn opened(state: &AppState, stored: &[plat_store::StoredPasskey]) -> ApiResult<Vec<(String, Passkey)>> {
    stored.iter().map(|p| Ok((p.id.clone(), open::<Passkey>(state, &p.sealed)?))).collect()
}

/// Begin registering a passkey for `user` (who holds `existing`, which the
/// authenticator is asked not to register twice): the options for
/// `navigator.credentials.create()` and the ceremony's sealed state.
pub fn begin_registration(
    state: &AppState,
    user: &plat_proto::User,
    existing: &[plat_store::StoredPasskey],
) -> ApiResult<(Value, String)> {
    let webauthn = state.auth.passkeys.get()?;
    let exclude = opened(state, existing)?.iter().map(|(_, p)| p.cred_id().clone()).collect::<Vec<_>>();
    let account = format!("{}@{}", user.username, user.tenant);
    let display = Some(user.profile.nickname.clone()).filter(|n| !n.is_empty()).unwrap_or_else(|| account.clone());
    let (options, ceremony) = webauthn
        .start_passkey_registration(user_handle(&user.id)?, &account, &display, Some(exclude))
        .map_err(|e| ApiErr::internal(format!("cannot begin a passkey registration: {e}")))?;
    Ok((to_json(&options)?, seal(state, &ceremony)?))
}

/// A registered passkey: its credential id (base64url) and its sealed credential.
pub struct Registered {
    pub credential_id: String,
    pub sealed: String,
}

/// Finish a registration with the authenticator's answer.
pub fn finish_registration(state: &AppState, sealed_ceremony: &str, credential: &Value) -> ApiResult<Registered> {
    let webauthn = state.auth.passkeys.get()?;
    let ceremony: PasskeyRegistration = open(state, sealed_ceremony)?;
    let answer: RegisterPublicKeyCredential = serde_json::from_value(credential.clone())
        .map_err(|e| ApiErr::validation("credential", format!("is not a WebAuthn registration answer: {e}")))?;
    let passkey = webauthn
        .finish_passkey_registration(&answer, &ceremony)
        .map_err(|e| ApiErr::validation("credential", format!("was not accepted: {e}")))?;
    let credential_id = {
        use base64::Engine;
        let raw: &[u8] = passkey.cred_id().as_ref();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    };
    Ok(Registered { credential_id, sealed: seal(state, &passkey)? })
}

/// Begin an authentication by any of a user's passkeys: the options for
/// `navigator.credentials.get()` and the ceremony's sealed state; `None`
/// when the user has none.
pub fn begin_authentication(
    state: &AppState,
    stored: &[plat_store::StoredPasskey],
) -> ApiResult<Option<(Value, String)>> {
    if stored.is_empty() {
        return Ok(None);
    }
    let webauthn = state.auth.passkeys.get()?;
    let passkeys: Vec<Passkey> = opened(state, stored)?.into_iter().map(|(_, p)| p).collect();
    let (options, ceremony) = webauthn
        .start_passkey_authentication(&passkeys)
        .map_err(|e| ApiErr::internal(format!("cannot begin a passkey authentication: {e}")))?;
    Ok(Some((to_json(&options)?, seal(state, &ceremony)?)))
}

/// Options that look like a real authentication's for a person who has no
/// passkey or does not exist, so a login by passkey does not tell who
/// exists: one credential id derived from the name under the master key
/// (the same every time), a fresh challenge.
pub fn decoy_authentication(state: &AppState, tenant: &str, username: &str) -> ApiResult<Value> {
    use webauthn_rs_proto::{
        AllowCredentials, PublicKeyCredentialRequestOptions, RequestChallengeResponse, UserVerificationPolicy,
    };
    let rp_id = state.auth.passkeys.get().map(|_| state.auth.passkeys.rp_id().unwrap_or_default().to_owned())?;
    let mut id = state.auth.master.keyed_digest(&format!("passkey-decoy\0{tenant}\0{username}"));
    id.truncate(16);
    let options = RequestChallengeResponse {
        public_key: PublicKeyCredentialRequestOptions {
            challenge: crypto::random_bytes::<32>().to_vec(),
            timeout: Some(CEREMONY_TTL_MS as u32),
            rp_id,
            allow_credentials: vec![AllowCredentials { type_: "public-key".into(), id, transports: None }],
            user_verification: UserVerificationPolicy::Required,
            hints: None,
            extensions: None,
        },
        mediation: None,
    };
    to_json(&options)
}

/// Finish an authentication: which of the user's passkeys answered (its
/// factor id), its counter stored; `None` when the answer is not right.
pub async fn finish_authentication(
    state: &AppState,
    user_id: &str,
    sealed_ceremony: &str,
    credential: &Value,
) -> ApiResult<Option<String>> {
    let webauthn = state.auth.passkeys.get()?;
    let ceremony: PasskeyAuthentication = open(state, sealed_ceremony)?;
    let Ok(answer) = serde_json::from_value::<PublicKeyCredential>(credential.clone()) else { return Ok(None) };
    let Ok(result) = webauthn.finish_passkey_authentication(&answer, &ceremony) else { return Ok(None) };
    let stored = state.store.passkeys(user_id).await?;
    for (id, mut passkey) in opened(state, &stored)? {
        if passkey.cred_id() != result.cred_id() {
            continue;
        }
        // The counter moved (or the backup state): keep it, so a cloned
        // authenticator's older counter is refused.
        let sealed = match passkey.update_credential(&result) {
            Some(true) => Some(seal(state, &passkey)?),
            _ => None,
        };
        state.store.use_passkey(&id, sealed.as_deref()).await?;
        return Ok(Some(id));
    }
    // Removed between the ceremony's two calls.
    Ok(None)
}
