//! `/roles` and `/authz/check`.

use axum::extract::{Path, State};
use plat_domain::{Scope, Subject};
use plat_proto::*;

use super::extract::Json;
use crate::AppState;
use crate::auth::Principal;
use crate::context::{Created, Data};
use crate::error::{ApiErr, ApiResult};

pub async fn list(State(state): State<AppState>, principal: Principal) -> ApiResult<Data<Vec<Role>>> {
    let tenant = principal.require_in_tenant("roles:read")?;
    Ok(Data(state.store.list_roles(&tenant).await?))
}

pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateRole>,
) -> ApiResult<Created<Role>> {
    let tenant = principal.require_in_tenant("roles:create")?;
    let description = req.description.unwrap_or_default();
    Ok(Created(state.store.create_role(&principal.ctx(), &tenant, &req.name, &description, &req.permissions).await?))
}

pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> ApiResult<Data<Role>> {
    let tenant = principal.require_in_tenant("roles:read")?;
    Ok(Data(state.store.get_role(&tenant, &name).await?))
}

pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
    Json(req): Json<UpdateRole>,
) -> ApiResult<Data<Role>> {
    let tenant = principal.require_in_tenant("roles:update")?;
    Ok(Data(state.store.update_role(&principal.ctx(), &tenant, &name, &req).await?))
}

pub async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> ApiResult<Data<super::auth::Done>> {
    let tenant = principal.require_in_tenant("roles:delete")?;
    state.store.delete_role(&principal.ctx(), &tenant, &name).await?;
    Ok(Data(super::auth::Done { done: true }))
}

/// Answer whether a user or service (the caller by default) holds a permission.
pub async fn check(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<AuthzCheck>,
) -> ApiResult<Data<AuthzDecision>> {
    plat_domain::validate_permission("permission", &req.permission)?;
    let scope_tenant = match &req.tenant {
        Some(t) => t.clone(),
        None => principal.tenant()?,
    };
    let decision = match (&req.user, &req.service) {
        (None, None) => principal.decide(&req.permission, Scope::Tenant(&scope_tenant)),
        (user, service) => {
            // Asking about someone else is reading their grants.
            let home = principal.require_in_tenant("authz:check")?;
            let (tenant_id, tenant, roles) = match (user, service) {
                (Some(u), None) => {
                    let record = state.store.get_user(&home, u).await?;
                    if record.stored_status != "active" {
                        return Ok(Data(AuthzDecision {
                            allowed: false,
                            reason: format!("user is {}", record.user.status),
                        }));
                    }
                    (record.tenant_id, record.user.tenant, record.user.roles)
                }
                (None, Some(s)) => {
                    let account = state.store.get_service_account(&home, s).await?;
                    (account.tenant_id, account.account.tenant, account.account.roles)
                }
                _ => return Err(ApiErr::new(ErrorCode::ValidationError, "give at most one of user and service")),
            };
            let permissions = state.store.permissions_of(&tenant_id, &roles).await?;
            let subject = Subject { tenant, roles, permissions, scope: None };
            plat_domain::authorize(&subject, &req.permission, Scope::Tenant(&scope_tenant))
        }
    };
    Ok(Data(AuthzDecision { allowed: decision.allowed, reason: decision.reason }))
}
