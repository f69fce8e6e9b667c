//! Sessions (docs/sessions.md): a person's own (`/auth/sessions`) and a
//! user's as an admin sees them (`/users/{user}/sessions`).

use axum::extract::{Path, State};
use plat_proto::*;
use plat_store::{On, Which};

use crate::AppState;
use crate::auth::{Principal, sessions};
use crate::context::Data;
use crate::error::{ApiErr, ApiResult};

fn listed(mut items: Vec<Session>, current: Option<&str>) -> SessionList {
    for session in &mut items {
        session.current = current == Some(session.id.as_str());
    }
    SessionList { items }
}

pub async fn list_own(State(state): State<AppState>, principal: Principal) -> ApiResult<Data<SessionList>> {
    let user = principal.person(&state)?;
    let items = state.store.list_sessions(user).await?;
    Ok(Data(listed(items, principal.claims.sid.as_deref())))
}

pub async fn end_own(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Data<Session>> {
    let user_id = principal.person(&state)?;
    let ended = sessions::end(&state, &principal.ctx(), Which::One { user_id, id: &id }, "ended").await?;
    ended.into_iter().next().map(Data).ok_or_else(|| ApiErr::internal("a session ended without a record"))
}

pub async fn end_others(State(state): State<AppState>, principal: Principal) -> ApiResult<Data<RevokeResult>> {
    let user_id = principal.person(&state)?;
    let except = principal.claims.sid.as_deref();
    let ended = sessions::end(&state, &principal.ctx(), Which::AllOf { user_id, except }, "ended").await?;
    Ok(Data(RevokeResult { revoked: ended.len() as u64 }))
}

pub async fn list_of_user(
    State(state): State<AppState>,
    principal: Principal,
    Path(user): Path<String>,
) -> ApiResult<Data<SessionList>> {
    let on = On::User { user: user.clone(), own: Some("self:read".into()) };
    let tenant = principal.reach_read(&state, "sessions:read", on).await?;
    let record = state.store.get_user(&tenant, &user).await?;
    let items = state.store.list_sessions(&record.user.id).await?;
    let current = principal.is_user(&record.user.id).then_some(principal.claims.sid.as_deref()).flatten();
    Ok(Data(listed(items, current)))
}

pub async fn end_of_user(
    State(state): State<AppState>,
    principal: Principal,
    Path(user): Path<String>,
) -> ApiResult<Data<RevokeResult>> {
    let on = On::User { user: user.clone(), own: None };
    let (tenant, ctx) = principal.reach(&state, "sessions:end", on).await?;
    let record = state.store.get_user(&tenant, &user).await?;
    let which = Which::AllOf { user_id: &record.user.id, except: None };
    let ended = sessions::end(&state, &ctx, which, "admin").await?;
    Ok(Data(RevokeResult { revoked: ended.len() as u64 }))
}
