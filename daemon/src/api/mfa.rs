//! Second factors (docs/mfa.md): a person's own (`/auth/mfa`) and a user's
//! as an admin sees and resets them (`/users/{user}/mfa`).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use plat_proto::*;
use plat_store::On;

use super::extract::{Json, Query};
use crate::AppState;
use crate::auth::{Principal, mfa, sessions};
use crate::context::Data;
use crate::error::{ApiErr, ApiResult};

/// A wrong code on an authenticated call: not a 401, which would send the
/// caller's client to log in again.
fn wrong_code() -> ApiErr {
    ApiErr::validation("code", "is wrong or was used already")
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

/// Removing your factors takes a fresh code of one of them; a wrong one
/// counts toward the account's lockout, as at login.
pub async fn remove(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    principal: Principal,
    Json(req): Json<MfaCode>,
) -> ApiResult<Data<Done>> {
    let user_id = principal.person(&state)?;
    if state.store.mfa_status(user_id).await?.factors.is_empty() {
        return Err(ApiErr::new(ErrorCode::Conflict, "there is no second factor to remove"));
    }
    let record = state.store.get_user_by_id(user_id).await?;
    if state.auth.lockout.is_locked(&record.failures, plat_store::now_ms()) {
        return Err(super::auth::locked());
    }
    if mfa::verify(&state, user_id, &req.code).await?.is_none() {
        let mut from = plat_store::Activity { source_ip: Some(peer.ip().to_string()), ..Default::default() };
        from.details.insert("reason".into(), "invalid_second_factor".into());
        super::auth::count_failure(&state, &principal.ctx(), (&record, peer.ip()), from).await?;
        return Err(wrong_code());
    }
    let who = (user_id, principal.claims.tenant.as_str());
    state.store.remove_mfa(&principal.ctx(), who, false, None).await?;
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
