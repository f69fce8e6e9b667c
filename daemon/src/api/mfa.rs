//! Second factors (docs/mfa.md): a person's own (`/auth/mfa`) and a user's
//! as an admin sees and resets them (`/users/{user}/mfa`).

use axum::extract::{Path, State};
use plat_proto::*;
use plat_store::On;

use super::extract::{Json, Query};
use crate::AppState;
use crate::auth::{Principal, mfa, sessions};
use crate::context::Data;
use crate::error::{ApiErr, ApiResult};

/// The person behind a user token (factors are people's).
fn person(principal: &Principal) -> ApiResult<&str> {
    if principal.claims.typ != TokenType::User {
        return Err(ApiErr::new(ErrorCode::InvalidRequest, "second factors are for user tokens"));
    }
    Ok(&principal.claims.sub)
}

/// A wrong code on an authenticated call: not a 401, which would send the
/// caller's client to log in again.
fn wrong_code() -> ApiErr {
    ApiErr::validation("code", "is wrong or was used already")
}

pub async fn enroll_totp(State(state): State<AppState>, principal: Principal) -> ApiResult<Data<TotpEnrollment>> {
    let user_id = person(&principal)?;
    let record = state.store.get_user_by_id(user_id).await?;
    if record.tenant_security.mfa == Some(MfaPolicy::Off) {
        return Err(ApiErr::new(ErrorCode::Forbidden, "second factors are off in this tenant"));
    }
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
    let user_id = person(&principal)?;
    let Some((sealed, _)) = state.store.totp_secret(user_id, false).await? else {
        return Err(ApiErr::new(ErrorCode::Conflict, "no TOTP enrolment is pending: POST /api/v1/auth/mfa/totp first"));
    };
    let code: String = req.code.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(step) = mfa::totp_step(&state, &sealed, &code)? else { return Err(wrong_code()) };
    let (codes, hashes) = mfa::recovery_codes(&state);
    let who = (user_id, principal.claims.tenant.as_str());
    if !state.store.confirm_totp(&principal.ctx(), who, step, &hashes).await? {
        return Err(ApiErr::new(ErrorCode::Conflict, "the TOTP enrolment was confirmed or replaced meanwhile"));
    }
    Ok(Data(RecoveryCodes { recovery_codes: codes }))
}

pub async fn status(State(state): State<AppState>, principal: Principal) -> ApiResult<Data<MfaStatus>> {
    let user_id = person(&principal)?;
    Ok(Data(state.store.mfa_status(user_id).await?))
}

/// Removing your factors takes a fresh code of one of them.
pub async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<MfaCode>,
) -> ApiResult<Data<Done>> {
    let user_id = person(&principal)?;
    if mfa::verify(&state, user_id, &req.code).await?.is_none() {
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
    let until = sessions::revoke_until(&state);
    let ending = query.end_sessions.unwrap_or(false).then_some(plat_store::Ending {
        reason: "mfa_reset",
        revoke_until: Some(until),
        audited: false,
    });
    let (removed, ended) = state.store.remove_mfa(&ctx, (&record.user.id, &tenant), true, ending).await?;
    for session in &ended {
        sessions::refuse(&state, &session.id, until);
    }
    Ok(Data(Done { done: removed || !ended.is_empty() }))
}
