//! Second factors (docs/mfa.md): a person's own (`/auth/mfa`) and a user's
//! as an admin sees and resets them (`/users/{user}/mfa`).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use plat_proto::*;
use plat_store::{On, Purpose};

use super::extract::{Json, Query};
use crate::AppState;
use crate::auth::{Principal, crypto, mfa, passkeys, sessions};
use crate::context::Data;
use crate::error::{ApiErr, ApiResult};

/// A wrong code or passkey on an authenticated call: not a 401, which
/// would send the caller's client to log in again.
fn wrong_code() -> ApiErr {
    ApiErr::validation("code", "is wrong or was used already (or the passkey's answer was not accepted)")
}

/// Enrolling is refused where the tenant's policy is `off`.
async fn enrolment_allowed(state: &AppState, user_id: &str) -> ApiResult<plat_store::UserRecord> {
    let record = state.store.get_user_by_id(user_id).await?;
    if record.tenant_security.mfa == Some(MfaPolicy::Off) {
        return Err(ApiErr::new(ErrorCode::Forbidden, "second factors are off in this tenant"));
    }
    Ok(record)
}

pub async fn enroll_totp(State(state): State<AppState>, principal: Principal) -> ApiResult<Data<TotpEnrollment>> {
    let user_id = principal.person(&state)?;
    enrolment_allowed(&state, user_id).await?;
    let account = format!("{}@{}", principal.claims.username, principal.claims.tenant);
    let (sealed, enrollment) = mfa::new_totp(&state, &account)?;
    state.store.begin_totp(user_id, &sealed).await?;
    Ok(Data(enrollment))
}

pub async fn confirm_totp(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<MfaCode>,
) -> ApiResult<Data<RecoveryCodes>> {
    let user_id = principal.person(&state)?;
    enrolment_allowed(&state, user_id).await?;
    let Some((sealed, _)) = state.store.totp_secret(user_id, false).await? else {
        return Err(ApiErr::new(ErrorCode::Conflict, "no TOTP enrolment is pending: POST /api/v1/auth/mfa/totp first"));
    };
    let Some(step) = mfa::totp_step(&state, &sealed, &req.code)? else { return Err(wrong_code()) };
    let (codes, hashes) = mfa::recovery_codes(&state);
    let who = (user_id, principal.claims.tenant.as_str());
    if !state.store.confirm_totp(&principal.ctx(), who, (&sealed, step), &hashes).await? {
        return Err(ApiErr::new(ErrorCode::Conflict, "the TOTP enrolment was confirmed or replaced meanwhile"));
    }
    Ok(Data(RecoveryCodes { recovery_codes: codes }))
}

pub async fn status(State(state): State<AppState>, principal: Principal) -> ApiResult<Data<MfaStatus>> {
    let user_id = principal.person(&state)?;
    Ok(Data(state.store.mfa_status(user_id).await?))
}

/// Begin registering a passkey: options for `navigator.credentials.create()`.
pub async fn begin_passkey(State(state): State<AppState>, principal: Principal) -> ApiResult<Data<PasskeyCeremony>> {
    let user_id = principal.person(&state)?;
    let record = enrolment_allowed(&state, user_id).await?;
    let existing = state.store.passkeys(user_id).await?;
    let (options, sealed) = passkeys::begin_registration(&state, &record.user, &existing)?;
    let ceremony = open_ceremony(&state, user_id, Purpose::Register, &sealed).await?;
    Ok(Data(PasskeyCeremony { ceremony, options, expires_in: passkeys::CEREMONY_TTL_MS / 1000 }))
}

/// Keep a ceremony's sealed state for its second call; its token.
async fn open_ceremony(state: &AppState, user_id: &str, purpose: Purpose, sealed: &str) -> ApiResult<String> {
    let token = crypto::random_token(passkeys::CEREMONY_PREFIX);
    let hash = state.auth.master.keyed_hash(&token);
    let new = plat_store::NewChallenge {
        token_hash: &hash,
        user_id,
        purpose,
        expires_at: plat_store::now_ms() + passkeys::CEREMONY_TTL_MS,
        rehash: None,
        ceremony: Some(sealed),
    };
    state.store.open_mfa_challenge(new).await?;
    Ok(token)
}

/// Finish registering a passkey with the authenticator's answer. The first
/// factor of a person who has no recovery codes left brings ten.
pub async fn confirm_passkey(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<RegisterPasskey>,
) -> ApiResult<Data<PasskeyEnrolled>> {
    let user_id = principal.person(&state)?;
    enrolment_allowed(&state, user_id).await?;
    let hash = state.auth.master.keyed_hash(&req.ceremony);
    let Some(sealed) = state.store.take_ceremony(&hash, user_id, Purpose::Register).await? else {
        return Err(ApiErr::validation("ceremony", "is unknown, expired or used; begin the registration again"));
    };
    let registered = passkeys::finish_registration(&state, &sealed, &req.credential)?;
    let name = req.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| "passkey".into());
    let (codes, hashes) = if state.store.mfa_status(user_id).await?.recovery_codes_left == 0 {
        mfa::recovery_codes(&state)
    } else {
        (Vec::new(), Vec::new())
    };
    let passkey =
        plat_store::NewPasskey { name: &name, credential_id: &registered.credential_id, sealed: &registered.sealed };
    let who = (user_id, principal.claims.tenant.as_str());
    let id = state.store.add_passkey(&principal.ctx(), who, passkey, &hashes).await?;
    Ok(Data(PasskeyEnrolled { id, name, recovery_codes: codes }))
}

/// Begin a passkey's proof for a change to the caller's factors: options
/// for `navigator.credentials.get()` over the caller's passkeys.
pub async fn begin_proof(State(state): State<AppState>, principal: Principal) -> ApiResult<Data<PasskeyCeremony>> {
    let user_id = principal.person(&state)?;
    let stored = state.store.passkeys(user_id).await?;
    let Some((options, sealed)) = passkeys::begin_authentication(&state, &stored)? else {
        return Err(ApiErr::new(ErrorCode::Conflict, "you have no passkey; prove a factor with a code"));
    };
    let ceremony = open_ceremony(&state, user_id, Purpose::Proof, &sealed).await?;
    Ok(Data(PasskeyCeremony { ceremony, options, expires_in: passkeys::CEREMONY_TTL_MS / 1000 }))
}

/// A fresh proof of one of the caller's factors, or the refusal: a wrong
/// one counts toward the account's lockout, as at login.
async fn proven(
    state: &AppState,
    peer: SocketAddr,
    principal: &Principal,
    user_id: &str,
    proof: &MfaProof,
) -> ApiResult<()> {
    if state.store.mfa_status(user_id).await?.factors.is_empty() {
        return Err(ApiErr::new(ErrorCode::Conflict, "there is no second factor to remove"));
    }
    let record = state.store.get_user_by_id(user_id).await?;
    if state.auth.lockout.is_locked(&record.failures, plat_store::now_ms()) {
        return Err(super::auth::locked());
    }
    if mfa::prove(state, user_id, proof).await?.is_none() {
        let mut from = plat_store::Activity { source_ip: Some(peer.ip().to_string()), ..Default::default() };
        from.details.insert("reason".into(), "invalid_second_factor".into());
        super::auth::count_failure(state, &principal.ctx(), (&record, peer.ip()), from).await?;
        return Err(wrong_code());
    }
    Ok(())
}

/// Removing all your factors takes a fresh proof of one of them.
pub async fn remove(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    principal: Principal,
    Json(req): Json<MfaProof>,
) -> ApiResult<Data<Done>> {
    let user_id = principal.person(&state)?;
    proven(&state, peer, &principal, user_id, &req).await?;
    let who = (user_id, principal.claims.tenant.as_str());
    state.store.remove_mfa(&principal.ctx(), who, false, None).await?;
    Ok(Data(Done { done: true }))
}

/// Removing one of your factors (a lost passkey) takes a fresh proof of
/// one of them (it may be the one removed).
pub async fn remove_one(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    principal: Principal,
    Path(id): Path<String>,
    Json(req): Json<MfaProof>,
) -> ApiResult<Data<Done>> {
    let user_id = principal.person(&state)?;
    if !state.store.mfa_status(user_id).await?.factors.iter().any(|f| f.id == id) {
        return Err(ApiErr::new(ErrorCode::NotFound, format!("you have no factor {id:?}")));
    }
    proven(&state, peer, &principal, user_id, &req).await?;
    let who = (user_id, principal.claims.tenant.as_str());
    if !state.store.remove_factor(&principal.ctx(), who, &id).await? {
        return Err(ApiErr::new(ErrorCode::NotFound, format!("you have no factor {id:?}")));
    }
    Ok(Data(Done { done: true }))
}

pub async fn status_of_user(
    State(state): State<AppState>,
    principal: Principal,
    Path(user): Path<String>,
) -> ApiResult<Data<MfaStatus>> {
    let on = On::User { user: user.clone(), own: Some("self:read".into()) };
    let tenant = principal.reach_read(&state, "mfa:read", on).await?;
    let record = state.store.get_user(&tenant, &user).await?;
    Ok(Data(state.store.mfa_status(&record.user.id).await?))
}

pub async fn reset_of_user(
    State(state): State<AppState>,
    principal: Principal,
    Path(user): Path<String>,
    Query(query): Query<MfaResetQuery>,
) -> ApiResult<Data<Done>> {
    let on = On::User { user: user.clone(), own: None };
    let (tenant, ctx) = principal.reach(&state, "mfa:reset", on).await?;
    let record = state.store.get_user(&tenant, &user).await?;
    let ending = query.end_sessions.unwrap_or(false).then(|| sessions::ending(&state, "mfa_reset"));
    let (removed, ended) = state.store.remove_mfa(&ctx, (&record.user.id, &tenant), true, ending).await?;
    if let Some(ending) = ending {
        sessions::refuse_ended(&state, &ended, ending);
    }
    Ok(Data(Done { done: removed || !ended.is_empty() }))
}
