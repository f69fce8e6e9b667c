//! Service accounts, events, audit, health and the unauthenticated probes.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use plat_proto::*;

use super::extract::{Json, Query};
use crate::AppState;
use crate::auth::Principal;
use crate::auth::clients::{NewCredentials, new_secret};
use crate::context::{Created, Data};
use crate::error::{ApiErr, ApiResult};

pub async fn list_service_accounts(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Data<Vec<ServiceAccount>>> {
    let tenant = principal.acting()?;
    Ok(Data(state.store.list_service_accounts(&tenant).await?))
}

pub async fn get_service_account(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> ApiResult<Data<ServiceAccount>> {
    let tenant = principal.acting()?;
    Ok(Data(state.store.get_service_account(&tenant, &name).await?.account))
}

pub async fn create_service_account(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateServiceAccount>,
) -> ApiResult<Created<ServiceAccountCredentials>> {
    let tenant = principal.acting()?;
    let credentials = NewCredentials::new(&state);
    if let Some(jwks) = &req.jwks {
        crate::auth::clients::validate_jwks(jwks)?;
    }
    let oauth = plat_store::OAuthSettings {
        audiences: req.audiences.clone(),
        jwks: req.jwks.clone(),
        publishes: req.publishes.clone(),
    };
    let account = state
        .store
        .create_service_account(
            &principal.ctx(),
            &tenant,
            (&req.name, req.description.as_deref().unwrap_or(""), &req.roles),
            (&credentials.client_id, &credentials.hash),
            &oauth,
        )
        .await?;
    Ok(Created(ServiceAccountCredentials { account, client_secret: credentials.secret }))
}

pub async fn update_service_account(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
    Json(req): Json<UpdateServiceAccount>,
) -> ApiResult<Data<ServiceAccount>> {
    let tenant = principal.acting()?;
    if let Some(jwks) = &req.jwks {
        crate::auth::clients::validate_jwks(jwks)?;
    }
    Ok(Data(state.store.update_service_account(&principal.ctx(), &tenant, &name, &req).await?))
}

pub async fn delete_service_account(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> ApiResult<Data<Done>> {
    let tenant = principal.acting()?;
    state.store.delete_service_account(&principal.ctx(), &tenant, &name).await?;
    Ok(Data(Done { done: true }))
}

pub async fn rotate_service_account(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> ApiResult<Data<ServiceAccountCredentials>> {
    let tenant = principal.acting()?;
    let (secret, hash) = new_secret(&state);
    let account = state.store.rotate_service_account_secret(&principal.ctx(), &tenant, &name, &hash).await?;
    Ok(Data(ServiceAccountCredentials { account, client_secret: secret }))
}

/// Platform admins acting in their own tenant see every tenant's events and audit.
fn log_scope(principal: &Principal) -> ApiResult<Option<String>> {
    let tenant = principal.acting()?;
    if principal.is_platform_admin() && principal.requested_tenant.is_none() {
        return Ok(None);
    }
    Ok(Some(tenant))
}

pub async fn events(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<EventQuery>,
) -> ApiResult<Data<Page<Event>>> {
    let scope = log_scope(&principal)?;
    Ok(Data(state.store.list_events(scope.as_deref(), &query).await?))
}

pub async fn audit(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<AuditQuery>,
) -> ApiResult<Data<Page<AuditRecord>>> {
    let scope = log_scope(&principal)?;
    Ok(Data(state.store.list_audit(scope.as_deref(), &query).await?))
}

pub async fn health(State(state): State<AppState>, principal: Principal) -> ApiResult<Data<HealthReport>> {
    principal.acting()?;
    let mut report = crate::health::report(&state).await;
    if !principal.is_platform_admin() {
        // Counts span every tenant.
        report.counts.clear();
    }
    Ok(Data(report))
}

pub async fn healthz() -> &'static str {
    "ok\n"
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.is_migrated().await {
        Ok(true) if state.store.ping().await.is_ok() => {
            // Leading or not, a replica serves the API: the controller's
            // line says who leads, it does not decide readiness.
            let controller = crate::health::controller_component(&state)
                .and_then(|c| c.message)
                .map(|m| format!("controller: {m}\n"))
                .unwrap_or_default();
            (StatusCode::OK, format!("ready\n{controller}")).into_response()
        }
        Ok(true) => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response(),
        Ok(false) => (StatusCode::SERVICE_UNAVAILABLE, "migrations pending\n").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response(),
    }
}

/// OpenMetrics for a scraper that asks for it (Prometheus does), the
/// classic text format for everyone else.
pub async fn metrics(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    state.metrics.services.observe(&state.registry, &state.prober.stats);
    state.metrics.ops.observe(&state, std::time::Duration::from_secs(2)).await;
    let openmetrics = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/openmetrics-text"));
    match state.metrics.render() {
        Ok(text) if openmetrics => {
            ([(axum::http::header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
                .into_response()
        }
        Ok(text) => (
            [(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
            crate::metrics::classic_text(&text),
        )
            .into_response(),
        Err(e) => ApiErr::internal(e).into_response(),
    }
}

pub async fn openapi() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], crate::openapi::document_json()).into_response()
}

pub async fn not_found() -> ApiErr {
    ApiErr::new(ErrorCode::NotFound, "no such endpoint; see /api/v1/openapi.json")
}

pub async fn method_not_allowed() -> Response {
    let mut response = ApiErr::new(ErrorCode::InvalidRequest, "method not allowed on this endpoint").into_response();
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
}

/// Publish one event (docs/events.md, "Publishing events"): 201 with the
/// event; a repeated `idempotency_key` answers the first event the same way,
/// marked `Idempotent-Replayed: true`.
pub async fn publish_event(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<PublishEvent>,
) -> ApiResult<Response> {
    let (events, replayed) = publish(&state, &principal, std::slice::from_ref(&req)).await?;
    let event = events.into_iter().next().ok_or_else(|| ApiErr::internal("a publication returned no event"))?;
    let replayed = if replayed > 0 { "true" } else { "false" };
    Ok(([("idempotent-replayed", replayed)], Created(event)).into_response())
}

/// Publish up to 1,000 events in one transaction: all or none.
pub async fn publish_batch(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<PublishBatch>,
) -> ApiResult<Created<PublishedBatch>> {
    let (items, replayed) = publish(&state, &principal, &req.events).await?;
    Ok(Created(PublishedBatch { items, replayed }))
}

/// The one rule of who publishes what: a caller holding `events:publish` in
/// each event's tenant (its own, unless it has platform scope). A service
/// account publishes the types it was granted (`publishes`); a person with
/// the permission any type a service account could be granted (they could
/// grant one). Nobody publishes a type plat emits.
async fn publish(state: &AppState, principal: &Principal, events: &[PublishEvent]) -> ApiResult<(Vec<Event>, u64)> {
    const PERMISSION: &str = "events:publish";
    let acting = principal.acting()?;
    let (granted, source) = match principal.claims.typ {
        TokenType::Service => {
            let account = state.store.get_service_account(&principal.claims.tenant, &principal.claims.username).await?;
            (account.account.publishes, account.account.name)
        }
        TokenType::User => (vec!["*".to_owned()], principal.actor()),
    };
    let batch = events.len() > 1;
    let mut publications = Vec::with_capacity(events.len());
    for (i, event) in events.iter().enumerate() {
        let tenant = match &event.tenant {
            Some(t) if *t != acting => {
                principal.require(PERMISSION, plat_domain::Scope::Tenant(t))?;
                t.as_str()
            }
            _ => acting.as_str(),
        };
        plat_domain::publish::may_publish(&granted, &event.event_type)
            .map_err(|why| ApiErr::forbidden(if batch { format!("events[{i}]: {why}") } else { why }))?;
        publications.push(plat_store::Publication { tenant, event });
    }
    let publisher = principal.actor();
    Ok(state.store.publish_events(&principal.ctx(), (&publisher, &source), &publications).await?)
}
