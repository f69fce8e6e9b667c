//! Per-request context (request id, correlation id, start time) carried in a
//! task-local set by the middleware, so responses can fill the envelope's
//! `meta` without every handler passing it around.

use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use plat_proto::{ApiError, Envelope, Meta};
use serde::Serialize;

use plat_domain::trace::TraceContext;
use tracing::Instrument;

use crate::AppState;
use crate::error::ErrorNote;

#[derive(Debug, Clone)]
pub struct RequestCtx {
    pub request_id: String,
    pub correlation_id: Option<String>,
    pub started: Instant,
    /// This request's span: the caller's trace (`traceparent`) or a new one.
    pub trace: TraceContext,
    pub tracestate: Option<String>,
}

tokio::task_local! {
    static REQUEST: RequestCtx;
}

/// The current request's context, or a fresh one outside a request.
pub fn current() -> RequestCtx {
    REQUEST.try_with(Clone::clone).unwrap_or_else(|_| RequestCtx {
        request_id: new_request_id(),
        correlation_id: None,
        started: Instant::now(),
        trace: plat_telemetry::new_trace(),
        tracestate: None,
    })
}

/// The store's context for a change made by `actor` (with the power of
/// `authority`) in the current request.
pub fn store_ctx(actor: String, authority: plat_domain::Authority, subject_id: Option<String>) -> plat_store::Ctx {
    let request = current();
    plat_store::Ctx {
        actor,
        authority,
        subject_id,
        request_id: Some(request.request_id),
        correlation_id: request.correlation_id,
        causation_id: None,
        traceparent: Some(request.trace.header()),
        tracestate: request.tracestate,
        reach: Vec::new(),
    }
}

pub fn new_request_id() -> String {
    format!("req_{}", uuid::Uuid::now_v7().simple())
}

fn meta() -> Meta {
    let ctx = current();
    Meta {
        request_id: ctx.request_id,
        timestamp: plat_store::format_ms(plat_store::now_ms()),
        duration_ms: (ctx.started.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
        version: plat_proto::API_VERSION.to_owned(),
    }
}

/// The contract's envelope (`plat_proto::Envelope`) around `data`.
pub fn envelope_ok<T: Serialize>(data: &T) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&Envelope { success: true, data: Some(data), error: None, meta: meta() })
}

/// The contract's envelope around an error.
pub fn envelope_error(error: &ApiError) -> Vec<u8> {
    let envelope: Envelope<()> = Envelope { success: false, data: None, error: Some(error.clone()), meta: meta() };
    serde_json::to_vec(&envelope).unwrap_or_default()
}

/// A successful API answer: `data` inside the envelope, with a status.
pub struct Data<T>(pub T);
pub struct Created<T>(pub T);

fn respond<T: Serialize>(status: axum::http::StatusCode, data: &T) -> Response {
    match envelope_ok(data) {
        Ok(body) => (status, [(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body)
            .into_response(),
        Err(e) => crate::error::ApiErr::internal(e).into_response(),
    }
}

impl<T: Serialize> IntoResponse for Data<T> {
    fn into_response(self) -> Response {
        respond(axum::http::StatusCode::OK, &self.0)
    }
}

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        respond(axum::http::StatusCode::CREATED, &self.0)
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim())
        .filter(|v| !v.is_empty() && v.len() <= 200 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
}

/// Outermost middleware: request ids, the task-local context, metrics, logs.
pub async fn middleware(State(state): State<AppState>, request: Request<Body>, next: Next) -> Response {
    let request_id = header(request.headers(), "x-request-id").unwrap_or_else(new_request_id);
    let correlation_id = header(request.headers(), "x-correlation-id");
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().clone();
    // The caller's trace continues here with a span of our own; an absent
    // or invalid traceparent starts a new trace (its tracestate is dropped).
    let parent = header(request.headers(), "traceparent").and_then(|h| TraceContext::parse(&h));
    let tracestate = parent.and_then(|_| header(request.headers(), "tracestate"));
    let span = tracing::trace_span!(
        target: plat_telemetry::TARGET,
        "http.request",
        otel.name = tracing::field::Empty,
        otel.kind = "server",
        http.request.method = %method,
        http.route = %route,
        http.response.status_code = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
        request_id = %request_id,
    );
    if !span.is_disabled() {
        span.record("otel.name", format!("{method} {route}"));
    }
    let trace = plat_telemetry::continue_trace(&span, parent.as_ref(), tracestate.as_deref())
        .unwrap_or_else(plat_telemetry::new_trace);
    let trace_id = trace.trace_id_hex();
    let ctx = RequestCtx { request_id: request_id.clone(), correlation_id, started: Instant::now(), trace, tracestate };
    let started = ctx.started;
    // Bulk transfers stream for as long as they need, and a blocking
    // discovery call waits as long as it asked (at most 5 minutes, bounded by
    // its handler); everything else is bounded.
    let bounded =
        !matches!(route.as_str(), "/api/v1/users/import" | "/api/v1/users/export" | "/api/v1/discovery/{name}");
    let limit = state.config.http.request_timeout.0;
    // What the request changed (`plat_store::Changes`): known once its
    // handler returned, its change committed.
    let (mut response, changes) = if bounded {
        let run = plat_store::watch_changes(REQUEST.scope(ctx.clone(), next.run(request)));
        match tokio::time::timeout(limit, run.instrument(span.clone())).await {
            Ok(done) => done,
            Err(_) => {
                let response = REQUEST
                    .scope(ctx, async {
                        crate::error::ApiErr::new(
                            plat_proto::ErrorCode::Timeout,
                            "the request took longer than http.request_timeout",
                        )
                        .into_response()
                    })
                    .await;
                // It may have committed before the timeout: drop what was cached.
                (response, plat_store::Changes { authority: true, audited: true })
            }
        }
    } else {
        plat_store::watch_changes(REQUEST.scope(ctx, next.run(request))).instrument(span.clone()).await
    };
    // Drop what this replica cached of what the request changed: decisions
    // when it changed authority; accounts when it changed anything an actor
    // answers for (audited: accounts, passwords, sessions, secrets, roles,
    // tenants) — reservations, heartbeats and publications change neither —
    // except through the token endpoints, whose audit records are activity
    // (a login, a failed one), not a change of what a token check reads.
    if changes.authority {
        state.auth.authority.changed_here();
    }
    let token_endpoint = matches!(
        route.as_str(),
        "/api/v1/auth/login"
            | "/api/v1/auth/token"
            | "/api/v1/auth/verify"
            | "/api/v1/auth/refresh"
            | "/oauth2/token"
            | "/oauth2/introspect"
    );
    if changes.authority || (changes.audited && !token_endpoint) {
        state.auth.subjects.clear();
    }
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    if status >= 500 {
        span.record("otel.status_code", "error");
    }
    state.metrics.observe_request(method.as_str(), &route, status, elapsed);
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    let note = response.extensions().get::<ErrorNote>().cloned();
    match note {
        Some(ErrorNote { code, internal: Some(cause) }) => {
            tracing::error!(request_id, trace_id, %method, route, status, code = %code, cause, "request failed")
        }
        Some(ErrorNote { code, internal: None }) if status >= 500 => {
            tracing::warn!(request_id, trace_id, %method, route, status, code = %code, "request failed")
        }
        Some(ErrorNote { code, .. }) => {
            tracing::debug!(request_id, trace_id, %method, route, status, code = %code, ms = elapsed.as_secs_f64() * 1e3, "request refused")
        }
        None => {
            tracing::debug!(request_id, trace_id, %method, route, status, ms = elapsed.as_secs_f64() * 1e3, "request")
        }
    }
    response
}
