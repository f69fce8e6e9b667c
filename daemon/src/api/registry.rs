//! `/services` and `/discovery`: registrations are written through the store
//! and read from the replica's in-memory hub, which discovery's blocking
//! queries wait on.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use plat_domain::registry::{
    LayeringPolicy, ServiceKey, ServiceNode, check_layering, instance_id, service_graph, validate_heartbeat,
    validate_registration,
};
use plat_proto::*;
use plat_registry::{Lookup, SharedJson, Snapshot};

use super::extract::{Json, Query};
use crate::AppState;
use crate::auth::Principal;
use crate::auth::clients::{NewCredentials, new_secret};
use crate::context::Data;
use crate::error::{ApiErr, ApiResult};

/// Longest a discovery call may block.
const MAX_WAIT: Duration = Duration::from_secs(300);

fn not_found(namespace: &str, name: &str) -> ApiErr {
    ApiErr::new(ErrorCode::ServiceNotFound, format!("service {namespace}/{name} not found"))
}

/// Whether the caller, acting in `tenant`, may see a registration: every
/// tenant sees a shared one; a tenant's own only that tenant and platform
/// admins. Others' look like missing ones.
fn visible(principal: &Principal, tenant: &str, snapshot: &Snapshot) -> bool {
    match &snapshot.row.spec.tenant {
        None => true,
        Some(owner) => owner == tenant || principal.is_platform_admin(),
    }
}

/// The registration `namespace/name` if the caller may see it.
fn lookup(
    state: &AppState,
    principal: &Principal,
    (namespace, name): (&str, &str),
) -> ApiResult<std::sync::Arc<Snapshot>> {
    let tenant = principal.acting()?;
    state
        .registry
        .get(namespace, name)
        .filter(|s| visible(principal, &tenant, s))
        .ok_or_else(|| not_found(namespace, name))
}

/// What the registry knows as `ServiceNode`s (those `keep` lets through),
/// for the layering rule and the graph.
fn nodes(state: &AppState, keep: impl Fn(&Snapshot) -> bool) -> Vec<ServiceNode> {
    state
        .registry
        .list()
        .iter()
        .filter(|s| keep(s))
        .map(|s| ServiceNode {
            key: ServiceKey::new(&s.row.namespace, &s.row.name),
            layer: s.row.spec.layer.clone(),
            depends_on: s.row.spec.depends_on.iter().map(|d| ServiceKey::dependency(&s.row.namespace, d)).collect(),
        })
        .collect()
}

pub async fn list(State(state): State<AppState>, principal: Principal) -> ApiResult<Data<Vec<ServiceRegistration>>> {
    let tenant = principal.acting()?;
    let visible = state.registry.list().into_iter().filter(|s| visible(&principal, &tenant, s));
    Ok(Data(visible.map(|s| s.registration()).collect()))
}

pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path((namespace, name)): Path<(String, String)>,
) -> ApiResult<Data<ServiceRegistration>> {
    let snapshot = lookup(&state, &principal, (&namespace, &name))?;
    Ok(Data(snapshot.registration()))
}

pub async fn instances(
    State(state): State<AppState>,
    principal: Principal,
    Path((namespace, name)): Path<(String, String)>,
) -> ApiResult<Data<Vec<Instance>>> {
    let snapshot = lookup(&state, &principal, (&namespace, &name))?;
    Ok(Data(snapshot.instances.values().map(|i| i.instance.clone()).collect()))
}

/// Register or update (idempotent; the same spec again changes nothing).
pub async fn register(
    State(state): State<AppState>,
    principal: Principal,
    Path((namespace, name)): Path<(String, String)>,
    Query(query): Query<RegisterQuery>,
    Json(spec): Json<RegisterService>,
) -> ApiResult<Data<ServiceRegistration>> {
    let layers = state.config.registry.layers().map_err(ApiErr::internal)?;
    let policy = state.config.registry.policy().map_err(ApiErr::internal)?;
    let baseline = state.config.registry.baseline().map_err(ApiErr::internal)?;
    let valid = validate_registration(&namespace, &name, &spec, &layers)?;
    // The rule looks only at the layers of what the service depends on.
    let registered: BTreeMap<ServiceKey, Option<String>> = valid
        .node
        .depends_on
        .iter()
        .filter(|to| **to != valid.node.key)
        .filter_map(|to| state.registry.get(&to.namespace, &to.name).map(|s| (to.clone(), s.row.spec.layer.clone())))
        .collect();
    let report = check_layering(&layers, &valid.node, &registered, &baseline);
    if policy.rejects(&report) {
        let mut e = ApiErr::new(ErrorCode::LayerViolation, report.summary());
        e.error.details = serde_json::json!({"violations": report.to_wire()}).as_object().cloned().unwrap_or_default();
        return Err(e);
    }
    let layering = if policy == LayeringPolicy::Off { Vec::new() } else { report.to_wire() };
    let endpoints: Vec<(String, String)> =
        spec.endpoints.iter().map(|e| (instance_id(&e.url), e.url.clone())).collect();
    if query.dry_run.unwrap_or(false) {
        let now = plat_store::now_ms();
        let row = plat_store::ServiceRow {
            id: String::new(),
            namespace,
            name,
            spec,
            layering,
            revision: 0,
            change_seq: 0,
            created_at: now,
            updated_at: now,
            service_account: None,
        };
        return Ok(Data(plat_store::registration_of(&row, &[], false)));
    }
    let (row, _) =
        state.store.register_service(&principal.ctx(), (&namespace, &name), &spec, &layering, &endpoints).await?;
    state.registry.refresh().await?;
    match state.registry.get(&row.namespace, &row.name) {
        Some(snapshot) => Ok(Data(snapshot.registration())),
        None => Ok(Data(plat_store::registration_of(&row, &[], false))),
    }
}

pub async fn deregister(
    State(state): State<AppState>,
    principal: Principal,
    Path((namespace, name)): Path<(String, String)>,
) -> ApiResult<Data<Done>> {
    state.store.deregister_service(&principal.ctx(), &namespace, &name).await?;
    state.registry.refresh().await?;
    Ok(Data(Done { done: true }))
}

/// A self-registered instance says it is alive (Nacos-style clients).
pub async fn heartbeat(
    State(state): State<AppState>,
    principal: Principal,
    Path((namespace, name)): Path<(String, String)>,
    Json(body): Json<Heartbeat>,
) -> ApiResult<Data<Instance>> {
    lookup(&state, &principal, (&namespace, &name))?;
    let valid = validate_heartbeat(&body)?;
    let ttl = if body.ttl.is_some() { valid.ttl } else { state.config.registry.heartbeat_ttl.0 };
    let url = valid.url.unwrap_or_default();
    let instance = state
        .registry
        .beat(&principal.ctx(), (&namespace, &name), (&valid.instance_id, &url), ttl.as_millis() as i64)
        .await?;
    Ok(Data(instance))
}

/// The service's own account in the `system` tenant: created on the first
/// call (with `roles`, under the conferral rule), its secret rotated on
/// later ones. Shown once. Tokens it gets may name one of the service's
/// dependencies as `audience`; deregistering the service deletes it.
pub async fn credentials(
    State(state): State<AppState>,
    principal: Principal,
    Path((namespace, name)): Path<(String, String)>,
    Json(req): Json<ServiceCredentialsRequest>,
) -> ApiResult<Data<ServiceCredentials>> {
    let (row, _) = state.store.get_service(&namespace, &name).await?;
    let ctx = principal.ctx();
    let system = plat_proto::SYSTEM_TENANT;
    let (client_id, secret, created) = match &row.service_account {
        Some(client_id) => {
            let (secret, hash) = new_secret(&state);
            let account = state.store.service_account_by_client_id(client_id).await?;
            state.store.rotate_service_account_secret(&ctx, system, &account.account.name, &hash).await?;
            (client_id.clone(), secret, false)
        }
        None => {
            let new = NewCredentials::new(&state);
            let account_name = account_name(&namespace, &name);
            let description = format!("the account of service {namespace}/{name}");
            let account = (account_name.as_str(), description.as_str(), req.roles.as_slice());
            let credentials = (new.client_id.as_str(), new.hash.as_str());
            state.store.create_service_credentials(&ctx, (&namespace, &name), account, credentials).await?;
            state.registry.refresh().await?;
            (new.client_id, new.secret, true)
        }
    };
    let audiences = row.spec.depends_on.iter().map(|d| ServiceKey::dependency(&namespace, d).to_string()).collect();
    Ok(Data(ServiceCredentials {
        client_id,
        client_secret: secret,
        token_url: "/api/v1/auth/token".into(),
        jwks_url: "/.well-known/jwks.json".into(),
        audiences,
        created,
    }))
}

/// `svc-<namespace>-<name>` when it fits a service-account name, else
/// `svc-` and a hash of both (unique either way).
fn account_name(namespace: &str, name: &str) -> String {
    let plain = format!("svc-{namespace}-{name}");
    if plain.len() <= 63 {
        return plain;
    }
    format!("svc-{:016x}", plat_domain::registry::stable_hash(&format!("{namespace}/{name}")))
}

pub async fn graph(State(state): State<AppState>, principal: Principal) -> ApiResult<Data<ServiceGraph>> {
    let tenant = principal.acting()?;
    let layers = state.config.registry.layers().map_err(ApiErr::internal)?;
    let baseline = state.config.registry.baseline().map_err(ApiErr::internal)?;
    let seen = nodes(&state, |s| visible(&principal, &tenant, s));
    Ok(Data(service_graph(&layers, &seen, &baseline)))
}

/// `GET /discovery/{name}`: the instances, from memory. With `index` and
/// `wait` it blocks until the service changes past `index` (only a change of
/// this service wakes it), then answers; the answer is computed once per
/// change and shared by every caller. `ETag`/`If-None-Match` and
/// `X-Plat-Index` carry the index.
pub async fn discover(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
    Query(query): Query<DiscoveryQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let tenant = principal.acting()?;
    let lookup = |state: &AppState| {
        let seen = |s: &Snapshot| visible(&principal, &tenant, s);
        state.registry.find(query.namespace.as_deref(), &name, seen).map_err(|e| match e {
            Lookup::NotFound(what) => ApiErr::new(ErrorCode::ServiceNotFound, format!("service {what:?} not found")),
            ambiguous @ Lookup::Ambiguous { .. } => ApiErr::new(ErrorCode::Conflict, ambiguous.to_string()),
        })
    };
    let mut snapshot = lookup(&state)?;
    if let Some(index) = query.index {
        let wait = match &query.wait {
            Some(text) => plat_domain::parse_duration("wait", text)?.min(MAX_WAIT),
            None => MAX_WAIT,
        };
        let deadline = tokio::time::Instant::now() + wait;
        state.registry.wait(&snapshot.key(), index, deadline).await;
        snapshot = lookup(&state)?;
    }
    let etag = format!("\"{}\"", snapshot.index);
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    let body: SharedJson =
        if query.healthy.unwrap_or(false) { snapshot.healthy().clone() } else { snapshot.all().clone() };
    let mut response = Data(body).into_response();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response.headers_mut().insert("x-plat-index", HeaderValue::from(snapshot.index));
    Ok(response)
}
