//! `/orgs`: the organization tree of the acting tenant (docs/organizations.md).
//! `{org}` is an id (`org_…`) or a path of names (`acme%2Fengineering`).

use axum::extract::{Path, State};
use plat_domain::Scope;
use plat_proto::*;
use plat_store::{NewOrganization, On, OrganizationChange, Place};

use super::extract::{Json, Query};
use crate::AppState;
use crate::auth::Principal;
use crate::context::{Created, Data};
use crate::error::ApiResult;

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<OrgListQuery>,
) -> ApiResult<Data<OrganizationList>> {
    let parent = query.parent.clone();
    let tenant = principal.reach_read(&state, "orgs:read", On::Places(vec![Place::Under(parent)])).await?;
    Ok(Data(state.store.list_orgs(&tenant, query.parent.as_deref()).await?))
}

pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateOrganization>,
) -> ApiResult<Created<Organization>> {
    let under = On::Places(vec![Place::Under(req.parent.clone())]);
    let (tenant, ctx) = principal.reach(&state, "orgs:create", under).await?;
    let new = NewOrganization {
        name: &req.name,
        parent: req.parent.as_deref(),
        display_name: req.display_name.as_deref(),
        kind: req.kind.as_deref(),
        metadata: req.metadata.as_ref(),
    };
    Ok(Created(state.store.create_org(&ctx, &tenant, new).await?))
}

pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(org): Path<String>,
) -> ApiResult<Data<Organization>> {
    let tenant = principal.reach_read(&state, "orgs:read", On::Places(vec![Place::Org(org.clone())])).await?;
    Ok(Data(state.store.get_org(&tenant, &org).await?))
}

pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(org): Path<String>,
    Json(req): Json<UpdateOrganization>,
) -> ApiResult<Data<Organization>> {
    let (tenant, ctx) = principal.reach(&state, "orgs:update", On::Places(vec![Place::Org(org.clone())])).await?;
    let change = OrganizationChange {
        name: req.name.as_deref(),
        display_name: req.display_name.as_deref(),
        kind: req.kind.as_deref(),
        metadata: req.metadata.as_ref(),
    };
    Ok(Data(state.store.update_org(&ctx, &tenant, &org, change).await?))
}

pub async fn move_org(
    State(state): State<AppState>,
    principal: Principal,
    Path(org): Path<String>,
    Json(req): Json<MoveOrganization>,
) -> ApiResult<Data<Organization>> {
    let places = vec![Place::ParentOf(org.clone()), Place::Under(req.parent.clone())];
    let (tenant, ctx) = principal.reach(&state, "orgs:update", On::Places(places)).await?;
    Ok(Data(state.store.move_org(&ctx, &tenant, &org, req.parent.as_deref()).await?))
}

pub async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(org): Path<String>,
    Query(query): Query<OrgDeleteQuery>,
) -> ApiResult<Data<BulkResult>> {
    let (tenant, ctx) = principal.reach(&state, "orgs:delete", On::Deletion { org: org.clone() }).await?;
    let count = state.store.delete_org(&ctx, &tenant, &org, query.cascade.unwrap_or(false)).await?;
    Ok(Data(BulkResult { count }))
}

pub async fn tree(
    State(state): State<AppState>,
    principal: Principal,
    Path(org): Path<String>,
) -> ApiResult<Data<OrganizationList>> {
    let tenant = principal.reach_read(&state, "orgs:read", On::Places(vec![Place::Org(org.clone())])).await?;
    Ok(Data(state.store.org_tree(&tenant, &org).await?))
}

pub async fn members(
    State(state): State<AppState>,
    principal: Principal,
    Path(org): Path<String>,
    Query(query): Query<MemberQuery>,
) -> ApiResult<Data<MemberPage>> {
    let tenant = principal.reach_read(&state, "orgs:read", On::Places(vec![Place::Org(org.clone())])).await?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
    let recursive = query.recursive.unwrap_or(false);
    Ok(Data(state.store.org_members(&tenant, &org, recursive, query.cursor.as_deref(), limit).await?))
}

pub async fn add_member(
    State(state): State<AppState>,
    principal: Principal,
    Path(org): Path<String>,
    Json(req): Json<AddMember>,
) -> ApiResult<Data<Organization>> {
    let on = On::Membership { org: org.clone(), user: req.user.clone() };
    let (tenant, ctx) = principal.reach(&state, "orgs:members", on).await?;
    Ok(Data(state.store.set_membership(&ctx, &tenant, &org, &req.user, true).await?))
}

pub async fn remove_member(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, user)): Path<(String, String)>,
) -> ApiResult<Data<Organization>> {
    let on = On::Membership { org: org.clone(), user: user.clone() };
    let (tenant, ctx) = principal.reach(&state, "orgs:members", on).await?;
    Ok(Data(state.store.set_membership(&ctx, &tenant, &org, &user, false).await?))
}

pub async fn user_orgs(
    State(state): State<AppState>,
    principal: Principal,
    Path(user): Path<String>,
) -> ApiResult<Data<OrganizationList>> {
    let on = On::User { user: user.clone(), own: Some("self:read".into()) };
    let tenant = principal.reach_read(&state, "orgs:read", on).await?;
    let mut list = state.store.user_orgs(&tenant, &user).await?;
    // Reached through an organization, the caller reads the user's
    // memberships in its own reach only, not the rest of the tenant's tree.
    if !principal.decide("orgs:read", Scope::Tenant(&tenant)).allowed {
        let me = state.store.get_user(&tenant, &user).await?;
        if !principal.is_user(&me.user.id) {
            let mut kept = Vec::with_capacity(list.items.len());
            for org in list.items {
                let path = state.store.org_path(&tenant, "org", &org.id).await?;
                if principal.decide("orgs:read", Scope::Orgs(&tenant, std::slice::from_ref(&path))).allowed {
                    kept.push(org);
                }
            }
            list.items = kept;
        }
    }
    Ok(Data(list))
}

pub async fn roles(
    State(state): State<AppState>,
    principal: Principal,
    Path(org): Path<String>,
) -> ApiResult<Data<OrgRoleList>> {
    let tenant = principal.reach_read(&state, "orgs:read", On::Places(vec![Place::Org(org.clone())])).await?;
    Ok(Data(state.store.org_roles(&tenant, &org).await?))
}

pub async fn grant_role(
    State(state): State<AppState>,
    principal: Principal,
    Path(org): Path<String>,
    Json(req): Json<GrantOrgRole>,
) -> ApiResult<Data<OrgRole>> {
    let on = On::Membership { org: org.clone(), user: req.user.clone() };
    let (tenant, ctx) = principal.reach(&state, "roles:grant", on).await?;
    Ok(Data(state.store.set_org_role(&ctx, &tenant, &org, &req.user, &req.role, true).await?))
}

pub async fn revoke_role(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, user, role)): Path<(String, String, String)>,
) -> ApiResult<Data<OrgRole>> {
    let on = On::Membership { org: org.clone(), user: user.clone() };
    let (tenant, ctx) = principal.reach(&state, "roles:grant", on).await?;
    Ok(Data(state.store.set_org_role(&ctx, &tenant, &org, &user, &role, false).await?))
}
