//! The route table's access rule, applied before a handler runs: one
//! layer per route, built from the row's [`Access`]. A handler never
//! restates what its row declares: routes whose rule is a permission in a
//! tenant (`Tenant`, `Shared`) or on the platform (`Platform`) are admitted
//! here, and the handler reads the tenant it was admitted to act in
//! (`Principal::acting`). Rules that need the target of the request
//! (`TenantOrSelf`, `Org`, `OrgOrSelf`: whose user, which organization,
//! and a route on another tenant's `{slug}`) authenticate here and are
//! decided by the handler through `auth::reach`, with that target.

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use plat_domain::Scope;

use super::Access;
use crate::AppState;
use crate::auth::{Admitted, Principal, mfa};
use crate::error::ApiResult;

/// The layer's state: the application and the row's rule.
pub type Guarded = (AppState, Access);

pub async fn guard(State((state, access)): State<Guarded>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let path = parts.extensions.get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_default();
    match admit(&state, access, &parts, &path).await {
        Ok(Some(principal)) => {
            parts.extensions.insert(Admitted(Arc::new(principal)));
        }
        Ok(None) => {}
        Err(e) => return e.into_response(),
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Who the rule admits: nobody to check (public and OAuth client routes,
/// whose handlers authenticate the client), or the caller.
async fn admit(
    state: &AppState,
    access: Access,
    parts: &axum::http::request::Parts,
    path: &str,
) -> ApiResult<Option<Principal>> {
    if matches!(access, Access::Public | Access::Client(_)) {
        return Ok(None);
    }
    let mut principal = match access {
        // An enrolment token is for these routes alone: its audience is its
        // own. The audience it claims picks which one it is verified for.
        Access::Enrol => {
            let enrol = mfa::enrol_audience(state);
            if crate::auth::claimed_audience(parts).as_deref() == Some(enrol.as_str()) {
                Principal::authenticate_for(parts, state, &enrol).await?
            } else {
                Principal::authenticate(parts, state).await?
            }
        }
        _ => Principal::authenticate(parts, state).await?,
    };
    match access {
        // A route on `{slug}` acts in the tenant of its path (others' answer 404).
        Access::Tenant(permission) | Access::Shared(permission) if !path.contains("{slug}") => {
            principal.acting = Some(principal.require_in_tenant(permission)?);
        }
        Access::Platform(permission) => {
            principal.require(permission, Scope::Platform)?;
            principal.acting = principal.tenant().ok();
        }
        _ => {}
    }
    Ok(Some(principal))
}
