//! `/roles` and `/authz/check`.

use std::collections::HashMap;

use axum::extract::{Path, State};
use plat_domain::{Scope, Subject};
use plat_proto::*;

use super::extract::Json;
use crate::AppState;
use crate::auth::Principal;
use crate::auth::decisions::Cache;
use crate::context::{Created, Data};
use crate::error::{ApiErr, ApiResult};

pub async fn list(State(state): State<AppState>, principal: Principal) -> ApiResult<Data<Vec<Role>>> {
    let tenant = principal.acting()?;
    Ok(Data(state.store.list_roles(&tenant).await?))
}

pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateRole>,
) -> ApiResult<Created<Role>> {
    let tenant = principal.acting()?;
    let description = req.description.unwrap_or_default();
    let granted = (req.permissions.as_slice(), req.conditions.as_slice());
    Ok(Created(state.store.create_role(&principal.ctx(), &tenant, &req.name, &description, granted).await?))
}

pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> ApiResult<Data<Role>> {
    let tenant = principal.acting()?;
    Ok(Data(state.store.get_role(&tenant, &name).await?))
}

pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
    Json(req): Json<UpdateRole>,
) -> ApiResult<Data<Role>> {
    let tenant = principal.acting()?;
    Ok(Data(state.store.update_role(&principal.ctx(), &tenant, &name, &req).await?))
}

pub async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> ApiResult<Data<Done>> {
    let tenant = principal.acting()?;
    state.store.delete_role(&principal.ctx(), &tenant, &name).await?;
    Ok(Data(Done { done: true }))
}

/// Answer whether a user or service (the caller by default) holds a permission.
pub async fn check(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<AuthzCheck>,
) -> ApiResult<Data<AuthzDecision>> {
    Ok(Data(decide(&state, &principal, &req).await?))
}

/// `POST /authz/check/batch`: each check as `/authz/check` answers it, in
/// order; each principal named is looked up once per batch.
pub async fn check_batch(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<AuthzBatch>,
) -> ApiResult<Data<AuthzBatchResult>> {
    let mut known: HashMap<(Option<String>, Option<String>, bool), Asked> = HashMap::new();
    let mut places: HashMap<(Option<String>, Option<String>), Vec<String>> = HashMap::new();
    let mut results = Vec::with_capacity(req.checks.len());
    for (i, check) in req.checks.iter().enumerate() {
        let decision = async {
            permission_of(check)?;
            let key = (check.user.clone(), check.service.clone(), check.org.is_some());
            let asked = match known.get(&key) {
                Some(asked) => asked.clone(),
                None => {
                    let asked = resolve(&state, &principal, check).await?;
                    known.insert(key, asked.clone());
                    asked
                }
            };
            let place = (check.tenant.clone(), check.org.clone());
            let at = match places.get(&place) {
                Some(at) => at.clone(),
                None => {
                    let at = place_of(&state, &principal, check).await?;
                    places.insert(place, at.clone());
                    at
                }
            };
            judge(&principal, check, &asked, &at)
        }
        .await
        .map_err(|e| e.within(&format!("checks[{i}]")))?;
        results.push(decision);
    }
    Ok(Data(AuthzBatchResult { results }))
}

/// The permission a check names: `permission`, or `resource` and `action`.
fn permission_of(req: &AuthzCheck) -> ApiResult<String> {
    let permission = match (req.permission.is_empty(), &req.resource, &req.action) {
        (false, None, None) => req.permission.clone(),
        (true, Some(resource), Some(action)) => format!("{resource}:{action}"),
        (true, _, _) => {
            return Err(ApiErr::validation("permission", "give a permission, or a resource and an action"));
        }
        (false, _, _) => {
            return Err(ApiErr::validation("permission", "give a permission or resource and action, not both"));
        }
    };
    plat_domain::validate_permission("permission", &permission)?;
    Ok(permission)
}

/// The principal a check asks about, with what it holds.
#[derive(Clone)]
enum Asked {
    /// A user who cannot act at all (disabled, locked, ...): why.
    Inactive(String),
    Holder {
        subject: Subject,
        grants: Vec<plat_domain::ConditionalGrant>,
        /// What conditions read as `principal`.
        who: serde_json::Value,
    },
}

/// What `/authz/check` reuses between calls, under `auth::decisions`' rule
/// (used only at the epoch it was read in, within the bound): whom a check
/// asks about and what they hold, the conditions of a set of roles, the
/// stored paths of organizations. A user who cannot act is not kept (a
/// lockout ends by the clock, not by a change).
pub struct CheckCache {
    /// (acting tenant, user, service, whether roles on organizations count).
    asked: Cache<(String, Option<String>, Option<String>, bool), Asked>,
    /// (tenant id, roles): their conditional grants.
    grants: Cache<(String, Vec<String>), Vec<plat_domain::ConditionalGrant>>,
    /// (tenant, organization as named): its stored path.
    places: Cache<(String, String), String>,
}

impl Default for CheckCache {
    fn default() -> Self {
        CheckCache { asked: Cache::new(50_000), grants: Cache::new(10_000), places: Cache::new(50_000) }
    }
}

/// Who `req` asks about: the caller, or (with `authz:check`) a user or
/// service account of the acting tenant.
async fn resolve(state: &AppState, principal: &Principal, req: &AuthzCheck) -> ApiResult<Asked> {
    let stamp = state.auth.authority.stamp();
    let cache = &state.check_cache;
    let (subject, tenant_id, who) = match (&req.user, &req.service) {
        (None, None) => {
            let kind = if principal.claims.typ == TokenType::User { "user" } else { "service" };
            // How the caller authenticated (`amr`, docs/mfa.md): known only
            // of the token that asks, so a check about someone else has none.
            let who = serde_json::json!({"id": principal.claims.sub, "name": principal.claims.username,
                "tenant": principal.subject.tenant, "roles": principal.subject.roles, "kind": kind,
                "amr": principal.claims.amr});
            (principal.subject.clone(), principal.tenant_id.clone(), who)
        }
        (user, service) => {
            // Asking about someone else is reading their grants.
            let home = principal.require_in_tenant("authz:check")?;
            let key = (home.clone(), user.clone(), service.clone(), req.org.is_some());
            if let Some(asked) = cache.asked.get(&key, stamp) {
                return Ok(asked);
            }
            let (tenant_id, tenant, roles, who) = match (user, service) {
                (Some(u), None) => {
                    let record = state.store.get_user(&home, u).await?;
                    if record.stored_status != "active" {
                        return Ok(Asked::Inactive(format!("user is {}", record.user.status)));
                    }
                    let who = serde_json::json!({"id": record.user.id, "name": record.user.username,
                        "tenant": record.user.tenant, "roles": record.user.roles, "kind": "user"});
                    (record.tenant_id, record.user.tenant, record.user.roles, who)
                }
                (None, Some(s)) => {
                    let account = state.store.get_service_account(&home, s).await?;
                    let who = serde_json::json!({"id": account.id, "name": account.account.name,
                        "tenant": account.account.tenant, "roles": account.account.roles, "kind": "service"});
                    (account.tenant_id, account.account.tenant, account.account.roles, who)
                }
                _ => return Err(ApiErr::new(ErrorCode::ValidationError, "give at most one of user and service")),
            };
            let permissions = state.store.permissions_of(&tenant_id, &roles).await?;
            // Roles on organizations count only where a check names one.
            let orgs = match (user, who["id"].as_str(), &req.org) {
                (Some(_), Some(id), Some(_)) => state.store.org_grants_of(&tenant_id, id).await?,
                _ => Vec::new(),
            };
            let subject = Subject { tenant, roles, permissions, scope: None, orgs };
            let grants = state.store.conditional_grants(&tenant_id, &subject.roles).await?;
            let asked = Asked::Holder { subject, grants, who };
            cache.asked.put(key, asked.clone(), stamp);
            return Ok(asked);
        }
    };
    let key = (tenant_id, subject.roles.clone());
    let grants = match cache.grants.get(&key, stamp) {
        Some(grants) => grants,
        None => {
            let grants = state.store.conditional_grants(&key.0, &subject.roles).await?;
            cache.grants.put(key, grants.clone(), stamp);
            grants
        }
    };
    Ok(Asked::Holder { subject, grants, who })
}

/// One decision: the roles' outright grants, then their conditions over
/// `{context, principal}` (`plat_domain::authorize_with`).
fn judge(principal: &Principal, req: &AuthzCheck, asked: &Asked, at: &[String]) -> ApiResult<AuthzDecision> {
    let permission = permission_of(req)?;
    let scope_tenant = scope_tenant(principal, req)?;
    let (subject, grants, who) = match asked {
        Asked::Inactive(reason) => return Ok(AuthzDecision { allowed: false, reason: reason.clone() }),
        Asked::Holder { subject, grants, who } => (subject, grants, who),
    };
    let input =
        serde_json::json!({"context": req.context.clone().unwrap_or(serde_json::Value::Null), "principal": who});
    let decision = plat_domain::authorize_with(subject, grants, &permission, Scope::Orgs(&scope_tenant, at), &input);
    Ok(AuthzDecision { allowed: decision.allowed, reason: decision.reason })
}

/// The tenant a check asks about: `tenant`, or the acting one.
fn scope_tenant(principal: &Principal, req: &AuthzCheck) -> ApiResult<String> {
    match &req.tenant {
        Some(t) => Ok(t.clone()),
        None => principal.tenant(),
    }
}

/// Where a check's action takes place: the stored path of its `org`
/// (roles granted there or above count), or nowhere in particular. Another
/// tenant's organizations are not looked up: that check answers no anyway.
async fn place_of(state: &AppState, principal: &Principal, req: &AuthzCheck) -> ApiResult<Vec<String>> {
    let Some(org) = &req.org else { return Ok(Vec::new()) };
    let tenant = scope_tenant(principal, req)?;
    if tenant != principal.subject.tenant && !principal.is_platform_admin() {
        return Ok(Vec::new());
    }
    let stamp = state.auth.authority.stamp();
    let key = (tenant, org.clone());
    if let Some(path) = state.check_cache.places.get(&key, stamp) {
        return Ok(vec![path]);
    }
    let path = state.store.org_path(&key.0, "org", org).await?;
    state.check_cache.places.put(key, path.clone(), stamp);
    Ok(vec![path])
}

async fn decide(state: &AppState, principal: &Principal, req: &AuthzCheck) -> ApiResult<AuthzDecision> {
    // The permission's form first: a malformed check reads nothing.
    permission_of(req)?;
    let asked = resolve(state, principal, req).await?;
    let at = place_of(state, principal, req).await?;
    judge(principal, req, &asked, &at)
}
