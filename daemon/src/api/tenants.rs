//! `/tenants`: platform admins manage every tenant; others see only their own.

use axum::extract::{Path, State};
use plat_domain::Scope;
use plat_proto::*;

use super::extract::{Json, Query};
use crate::AppState;
use crate::auth::Principal;
use crate::context::{Created, Data};
use crate::error::{ApiErr, ApiResult};

/// Others' tenants answer 404, exactly like missing ones.
fn visible(principal: &Principal, slug: &str) -> ApiResult<()> {
    if principal.is_platform_admin() || principal.claims.tenant == slug {
        Ok(())
    } else {
        Err(ApiErr::new(ErrorCode::TenantNotFound, format!("tenant {slug:?} not found")))
    }
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(params): Query<PageParams>,
) -> ApiResult<Data<Page<Tenant>>> {
    // Checks X-Tenant-ID too: naming another tenant is TENANT_NOT_FOUND for
    // everyone but a platform admin, who lists every tenant whatever it names.
    let tenant = principal.acting()?;
    if principal.is_platform_admin() {
        return Ok(Data(state.store.list_tenants(&params).await?));
    }
    let own = state.store.get_tenant(&tenant).await?.tenant;
    Ok(Data(Page { items: vec![own], total: 1, page: 1, page_size: 1, total_pages: 1, next_cursor: None }))
}

pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateTenant>,
) -> ApiResult<Created<Tenant>> {
    let name = req.name.clone().unwrap_or_else(|| req.slug.clone());
    let max_users = req.quotas.and_then(|q| q.max_users);
    Ok(Created(state.store.create_tenant(&principal.ctx(), &req.slug, &name, max_users).await?))
}

pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(slug): Path<String>,
) -> ApiResult<Data<Tenant>> {
    visible(&principal, &slug)?;
    principal.require("tenants:read", Scope::Tenant(&slug))?;
    Ok(Data(state.store.get_tenant(&slug).await?.tenant))
}

pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(slug): Path<String>,
    Json(req): Json<UpdateTenant>,
) -> ApiResult<Data<Tenant>> {
    visible(&principal, &slug)?;
    // Quotas are the platform's to set; a tenant admin may rename its tenant.
    if req.quotas.is_some() {
        principal.require("tenants:update", Scope::Platform)?;
    } else {
        principal.require("tenants:update", Scope::Tenant(&slug))?;
    }
    let max_users = req.quotas.map(|q| q.max_users);
    let ctx = principal.ctx();
    Ok(Data(state.store.update_tenant(&ctx, &slug, req.name.as_deref(), max_users, req.security.as_ref()).await?))
}

pub async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(slug): Path<String>,
    Query(params): Query<TenantDeleteQuery>,
) -> ApiResult<Data<Done>> {
    visible(&principal, &slug)?;
    state.store.delete_tenant(&principal.ctx(), &slug, params.cascade.unwrap_or(false)).await?;
    Ok(Data(Done { done: true }))
}

pub async fn suspend(state: State<AppState>, principal: Principal, slug: Path<String>) -> ApiResult<Data<Tenant>> {
    set_status(state, principal, slug, true).await
}

pub async fn resume(state: State<AppState>, principal: Principal, slug: Path<String>) -> ApiResult<Data<Tenant>> {
    set_status(state, principal, slug, false).await
}

async fn set_status(
    State(state): State<AppState>,
    principal: Principal,
    Path(slug): Path<String>,
    suspend: bool,
) -> ApiResult<Data<Tenant>> {
    visible(&principal, &slug)?;
    if slug == SYSTEM_TENANT && suspend {
        return Err(ApiErr::new(ErrorCode::Conflict, "the system tenant cannot be suspended"));
    }
    Ok(Data(state.store.set_tenant_status(&principal.ctx(), &slug, suspend).await?))
}

// --- quotas (docs/quotas.md) ---

/// The quotas of a tenant in the path: `visible` as the tenant itself, then
/// `permission` inside it. (`quotas:write` is the platform's, as
/// `max_users` is: its routes' rule says so, and the guard applies it.)
fn quota_gate(principal: &Principal, slug: &str, permission: &str) -> ApiResult<()> {
    visible(principal, slug)?;
    principal.require(permission, Scope::Tenant(slug))
}

pub async fn list_quotas(
    State(state): State<AppState>,
    principal: Principal,
    Path(slug): Path<String>,
) -> ApiResult<Data<QuotaList>> {
    quota_gate(&principal, &slug, "quotas:read")?;
    Ok(Data(QuotaList { items: state.store.list_quotas(&slug).await? }))
}

pub async fn get_quota(
    State(state): State<AppState>,
    principal: Principal,
    Path((slug, resource)): Path<(String, String)>,
) -> ApiResult<Data<Quota>> {
    quota_gate(&principal, &slug, "quotas:read")?;
    Ok(Data(state.store.get_quota(&slug, &resource).await?))
}

pub async fn set_quota(
    State(state): State<AppState>,
    principal: Principal,
    Path((slug, resource)): Path<(String, String)>,
    Json(req): Json<SetQuota>,
) -> ApiResult<Data<Quota>> {
    Ok(Data(state.store.set_quota(&principal.ctx(), &slug, &resource, &req).await?))
}

pub async fn delete_quota(
    State(state): State<AppState>,
    principal: Principal,
    Path((slug, resource)): Path<(String, String)>,
) -> ApiResult<Data<Done>> {
    state.store.delete_quota(&principal.ctx(), &slug, &resource).await?;
    Ok(Data(Done { done: true }))
}

pub async fn check_quota(
    State(state): State<AppState>,
    principal: Principal,
    Path((slug, resource)): Path<(String, String)>,
    Json(req): Json<QuotaCheck>,
) -> ApiResult<Data<QuotaDecision>> {
    quota_gate(&principal, &slug, "quotas:use")?;
    Ok(Data(state.store.check_quota(&slug, &resource, req.amount).await?))
}

pub async fn reserve_quota(
    State(state): State<AppState>,
    principal: Principal,
    Path((slug, resource)): Path<(String, String)>,
    Json(req): Json<ReserveQuota>,
) -> ApiResult<Created<QuotaReservation>> {
    quota_gate(&principal, &slug, "quotas:use")?;
    let ttl = plat_domain::quota::reservation_ttl(req.ttl.as_deref())?;
    Ok(Created(state.store.reserve_quota(&principal.ctx(), &slug, &resource, req.amount, ttl).await?))
}

pub async fn commit_quota(
    State(state): State<AppState>,
    principal: Principal,
    Path((slug, resource)): Path<(String, String)>,
    Json(req): Json<SettleQuota>,
) -> ApiResult<Data<Quota>> {
    quota_gate(&principal, &slug, "quotas:use")?;
    Ok(Data(state.store.commit_quota(&principal.ctx(), &slug, &resource, &req).await?))
}

pub async fn release_quota(
    State(state): State<AppState>,
    principal: Principal,
    Path((slug, resource)): Path<(String, String)>,
    Json(req): Json<SettleQuota>,
) -> ApiResult<Data<Quota>> {
    quota_gate(&principal, &slug, "quotas:use")?;
    Ok(Data(state.store.release_quota(&principal.ctx(), &slug, &resource, &req).await?))
}
