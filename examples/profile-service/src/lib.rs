//! The user profile service: a small downstream service that keeps its own
//! copy of plat's users in its own SQLite database.
//!
//! plat's sync engine delivers user events to `POST /hooks/plat` as Standard
//! Webhooks (CONTRACT §3). Each event carries the full snapshot of the user,
//! so the service simply keeps the newest snapshot it has seen; older
//! versions are acknowledged and dropped, except repair events
//! (`metadata.repair == true`), which plat's consistency checks send to
//! overwrite a copy that drifted. The service also implements the read-back
//! protocol (`/sync/digest`, `/sync/records`) so those checks can compare its
//! copy with plat's. Read-back requests are signed like webhooks, over
//! `{METHOD} {path_and_query}` instead of a body, and checked with the same
//! secret and tolerance: the copy is nobody else's to read.
//!
//! It serves as the README walkthrough's webhook target and as the target of
//! the end-to-end tests. [`app`] builds the whole HTTP API; `main.rs` only adds
//! the command line.

pub mod store;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use plat_domain::delivery::{self, SignatureError};
use plat_proto::Event;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::store::{Record, Store, UserRow, Write};

/// Largest webhook body accepted: plat's largest batch (`batch.max_bytes`).
pub const MAX_BODY_BYTES: usize = 16 << 20;
/// Largest number of read-back buckets a caller may ask for.
pub const MAX_BUCKETS: u32 = 65_536;
const DEFAULT_PAGE: u32 = 1_000;
const MAX_PAGE: u32 = 10_000;
const DEFAULT_USER_LIST: u32 = 100;
const MAX_USER_LIST: u32 = 1_000;

/// The event types that carry a user snapshot to store (`user.status_changed`
/// is what plat sent before `user.activated` and `user.suspended`). Activity
/// events (`user.login`, ...) carry one too, at an unchanged version: they
/// are left alone.
const UPSERT_TYPES: &[&str] = &[
    "user.created",
    "user.updated",
    "user.activated",
    "user.suspended",
    "user.unlocked",
    "user.status_changed",
    "user.password_changed",
    "user.roles_changed",
];

pub struct Config {
    /// The HMAC key of the target's `whsec_` secret; it also verifies
    /// read-back requests.
    pub webhook_key: Vec<u8>,
    /// How far `webhook-timestamp` may be from now, in seconds (webhooks and
    /// read-back requests).
    pub tolerance_secs: i64,
}

/// Counters shown by `GET /stats`.
#[derive(Debug, Default)]
pub struct Stats {
    /// Deliveries whose signature was valid.
    received: AtomicU64,
    /// User events that changed the stored copy.
    applied: AtomicU64,
    /// User events acknowledged without a change: an older version, or a
    /// delete of a user not stored here.
    stale: AtomicU64,
    /// Deliveries refused with 401.
    rejected_signature: AtomicU64,
}

impl Stats {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Clone)]
pub struct AppState {
    store: Store,
    config: Arc<Config>,
    stats: Arc<Stats>,
}

impl AppState {
    pub fn new(store: Store, config: Config) -> AppState {
        AppState { store, config: Arc::new(config), stats: Arc::default() }
    }
}

/// The whole HTTP API of the service.
pub fn app(state: AppState) -> Router {
    // plat reads a target back under its webhook URL minus the last segment:
    // `/hooks/plat` gives `/hooks/sync/...`. Only signed requests get in.
    let read_back = Router::new()
        .route("/sync/digest", get(digest))
        .route("/sync/records", get(records))
        .route("/hooks/sync/digest", get(digest))
        .route("/hooks/sync/records", get(records))
        .route_layer(middleware::from_fn_with_state(state.clone(), signed_read_back));
    Router::new()
        .route("/hooks/plat", post(receive_event).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)))
        .route("/users", get(list_users))
        .route("/users/{id}", get(get_user))
        .route("/healthz", get(|| async { "ok" }))
        .route("/stats", get(stats))
        .merge(read_back)
        .with_state(state)
}

/// An error answer: the status and a small `{"error", "message"}` body.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into() }
    }

    fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> ApiError {
        // A 500 makes plat retry the delivery later, which is what a
        // database error (a lock held too long, a full disk) calls for.
        tracing::error!(%error, "database error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError::bad_request(rejection.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({"error": self.code, "message": self.message}))).into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

#[derive(Serialize)]
#[serde(untagged)]
enum Applied {
    One {
        applied: bool,
    },
    /// A batch: how many of its events changed the copy.
    Batch {
        applied: usize,
        events: usize,
    },
}

/// `POST /hooks/plat`: one event, or a batch (a JSON array of events of
/// different users, which plat sends to a target with `batch.max_events`
/// above 1), applied in one transaction.
async fn receive_event(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Applied>> {
    let body = body.map_err(|rejection| ApiError::new(rejection.status(), "bad_body", rejection.body_text()))?;
    if let Err(error) = verify_signature(&state.config, &headers, &body) {
        Stats::bump(&state.stats.rejected_signature);
        tracing::warn!(reason = %error.message, "refused a webhook");
        return Err(error);
    }
    Stats::bump(&state.stats.received);
    let batch = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let events: Vec<Event> = if batch {
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("not a batch of plat events: {e}")))?
    } else {
        vec![serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("not a plat event: {e}")))?]
    };
    let mut writes = Vec::with_capacity(events.len());
    let mut of = Vec::with_capacity(events.len());
    for event in &events {
        if let Some(write) = write_of(event)? {
            writes.push(write);
            of.push(event);
        }
    }
    let written = state.store.apply_all(&writes).await?;
    let mut applied = 0;
    for (event, written) in of.into_iter().zip(written) {
        if written {
            applied += 1;
            Stats::bump(&state.stats.applied);
            tracing::debug!(event = %event.id, r#type = %event.event_type, user = %event.aggregate.id, "applied");
        } else {
            Stats::bump(&state.stats.stale);
            tracing::info!(
                event = %event.id, r#type = %event.event_type, user = %event.aggregate.id,
                version = event.aggregate.version, "ignored a stale event"
            );
        }
    }
    Ok(Json(if batch {
        Applied::Batch { applied, events: events.len() }
    } else {
        Applied::One { applied: applied > 0 }
    }))
}

/// Let a read-back request through only when it is signed with the webhook
/// secret: the same headers and check as a delivery, over
/// `{METHOD} {path_and_query}` as it came on the request line.
async fn signed_read_back(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path_and_query = request.uri().path_and_query().map_or_else(|| request.uri().path(), |pq| pq.as_str());
    let payload = delivery::read_back_payload(request.method().as_str(), path_and_query);
    if let Err(error) = verify_signature(&state.config, request.headers(), &payload) {
        tracing::warn!(reason = %error.message, path = request.uri().path(), "refused a read-back request");
        return error.into_response();
    }
    next.run(request).await
}

/// Check the Standard Webhooks headers against `body`: a delivery's body, or
/// what a read-back request signs ([`delivery::read_back_payload`]).
fn verify_signature(config: &Config, headers: &HeaderMap, body: &[u8]) -> ApiResult<()> {
    let header = |name: &'static str| {
        headers.get(name).and_then(|value| value.to_str().ok()).ok_or_else(|| {
            ApiError::new(StatusCode::UNAUTHORIZED, "invalid_signature", format!("missing {name} header"))
        })
    };
    let (id, timestamp, signature) =
        (header("webhook-id")?, header("webhook-timestamp")?, header("webhook-signature")?);
    let now = OffsetDateTime::now_utc().unix_timestamp();
    delivery::verify(&config.webhook_key, id, timestamp, signature, body, now, config.tolerance_secs).map_err(|e| {
        let code = match e {
            SignatureError::BadTimestamp | SignatureError::TooOld => "invalid_timestamp",
            SignatureError::NoMatch => "invalid_signature",
        };
        ApiError::new(StatusCode::UNAUTHORIZED, code, e.to_string())
    })
}

/// What a delivered event asks of the stored copy: `None` when it is not a
/// user event this service keeps (other kinds, activity events, `sync.ping`).
/// A write that changes nothing (an older version, or the same one again; a
/// delete of a user not stored here) is acknowledged as stale.
fn write_of(event: &Event) -> ApiResult<Option<Write>> {
    if event.aggregate.kind != "user" {
        return Ok(None);
    }
    let repair = event.metadata.get("repair").and_then(Value::as_bool) == Some(true);
    let version =
        i64::try_from(event.aggregate.version).map_err(|_| ApiError::bad_request("aggregate.version is too large"))?;
    Ok(match event.event_type.as_str() {
        "user.deleted" => Some(Write::Delete { id: event.aggregate.id.clone(), version, repair }),
        kind if UPSERT_TYPES.contains(&kind) => {
            Some(Write::Upsert { user: Box::new(user_row(event, version)), repair })
        }
        _ => None,
    })
}

/// The row for an event's snapshot. Fields are read leniently: a snapshot
/// missing profile fields (or an older plat sending fewer) still applies.
fn user_row(event: &Event, version: i64) -> UserRow {
    let data = &event.data;
    let text = |pointer: &str| data.pointer(pointer).and_then(Value::as_str).unwrap_or_default().to_owned();
    let tenant = text("/tenant");
    UserRow {
        id: event.aggregate.id.clone(),
        tenant: if tenant.is_empty() { event.tenant.clone() } else { tenant },
        username: text("/username"),
        email: text("/email"),
        status: text("/status"),
        nickname: text("/profile/nickname"),
        avatar_url: text("/profile/avatar_url"),
        bio: text("/profile/bio"),
        roles: data.get("roles").filter(|roles| roles.is_array()).cloned().unwrap_or_else(|| json!([])),
        version,
        updated_at: text("/updated_at"),
        received_at: OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default(),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<u32>,
}

async fn list_users(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<UserRow>>> {
    let limit = query?.limit.unwrap_or(DEFAULT_USER_LIST).min(MAX_USER_LIST);
    Ok(Json(state.store.list_users(limit).await?))
}

async fn get_user(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<UserRow>> {
    match state.store.get_user(&id).await? {
        Some(user) => Ok(Json(user)),
        None => Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no user {id}"))),
    }
}

#[derive(Serialize)]
struct StatsBody {
    received: u64,
    applied: u64,
    stale: u64,
    rejected_signature: u64,
}

async fn stats(State(state): State<AppState>) -> Json<StatsBody> {
    let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    let stats = &state.stats;
    Json(StatsBody {
        received: read(&stats.received),
        applied: read(&stats.applied),
        stale: read(&stats.stale),
        rejected_signature: read(&stats.rejected_signature),
    })
}

/// Query of the read-back endpoints.
#[derive(Deserialize)]
struct ReadBackQuery {
    kind: Option<String>,
    buckets: Option<u32>,
    bucket: Option<u32>,
    cursor: Option<String>,
    limit: Option<u32>,
}

impl ReadBackQuery {
    fn check_kind(&self) -> ApiResult<()> {
        match self.kind.as_deref() {
            Some("user") => Ok(()),
            Some(other) => Err(ApiError::bad_request(format!("unknown kind {other:?}: this service holds only user"))),
            None => Err(ApiError::bad_request("kind is required")),
        }
    }

    fn buckets(&self) -> ApiResult<u32> {
        match self.buckets {
            Some(n) if (1..=MAX_BUCKETS).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::bad_request(format!("buckets must be 1 to {MAX_BUCKETS}"))),
            None => Err(ApiError::bad_request("buckets is required")),
        }
    }
}

#[derive(Serialize)]
struct DigestBody {
    kind: &'static str,
    buckets: Vec<BucketBody>,
}

#[derive(Serialize)]
struct BucketBody {
    bucket: u32,
    count: u64,
    hash: String,
}

async fn digest(
    State(state): State<AppState>,
    query: Result<Query<ReadBackQuery>, QueryRejection>,
) -> ApiResult<Json<DigestBody>> {
    let Query(query) = query?;
    query.check_kind()?;
    let digest = state.store.digest(query.buckets()?).await?;
    let buckets = (0..)
        .zip(&digest.buckets)
        .map(|(bucket, sum)| BucketBody { bucket, count: sum.count, hash: sum.hex() })
        .collect();
    Ok(Json(DigestBody { kind: "user", buckets }))
}

#[derive(Serialize)]
struct RecordsBody {
    items: Vec<Record>,
    next_cursor: Option<String>,
}

/// `bucket=B&buckets=N`: every record of one bucket. Otherwise a page of
/// `limit` records in id order after `cursor`, the last id of the previous page.
async fn records(
    State(state): State<AppState>,
    query: Result<Query<ReadBackQuery>, QueryRejection>,
) -> ApiResult<Json<RecordsBody>> {
    let Query(query) = query?;
    query.check_kind()?;
    if let Some(bucket) = query.bucket {
        if query.cursor.is_some() {
            return Err(ApiError::bad_request("bucket and cursor cannot be combined"));
        }
        let buckets = query.buckets()?;
        if bucket >= buckets {
            return Err(ApiError::bad_request("bucket must be less than buckets"));
        }
        let items = state.store.records_in_bucket(bucket, buckets).await?;
        return Ok(Json(RecordsBody { items, next_cursor: None }));
    }
    let limit = match query.limit {
        Some(0) => return Err(ApiError::bad_request("limit must be at least 1")),
        Some(limit) => limit.min(MAX_PAGE),
        None => DEFAULT_PAGE,
    };
    // One more than asked tells whether another page follows.
    let mut items = state.store.records_after(query.cursor.as_deref().unwrap_or_default(), limit + 1).await?;
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|record| record.id.clone())
    } else {
        None
    };
    Ok(Json(RecordsBody { items, next_cursor }))
}
