//! Tests of the profile service through its HTTP API: the router in-process
//! (`oneshot`) on a temp SQLite file, and the real binary as a process.

mod process;
mod readback;
mod webhook;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use plat_domain::delivery;
use profile_service::store::Store;
use profile_service::{AppState, Config, app};
use serde_json::{Value, json};
use tempfile::TempDir;
use tower::ServiceExt;

/// The Standard Webhooks specification's example secret.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

pub struct Service {
    pub router: Router,
    pub dir: TempDir,
}

impl Service {
    pub async fn start() -> Service {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("profile.db")).await.expect("open store");
        let key = delivery::parse_secret("secret", SECRET).expect("secret");
        let router = app(AppState::new(store, Config { webhook_key: key, tolerance_secs: 300 }));
        Service { router, dir }
    }

    pub fn database(&self) -> std::path::PathBuf {
        self.dir.path().join("profile.db")
    }

    /// Send `body` with the given Standard Webhooks headers (`None` leaves one out).
    pub async fn post_hook(&self, body: &[u8], headers: [Option<&str>; 3]) -> (StatusCode, Value) {
        let request = with_headers(Request::post("/hooks/plat").header("content-type", "application/json"), headers);
        self.send(request.body(Body::from(body.to_vec())).expect("request")).await
    }

    /// `GET uri` with the given Standard Webhooks headers (`None` leaves one out).
    pub async fn get_with(&self, uri: &str, headers: [Option<&str>; 3]) -> (StatusCode, Value) {
        let request = with_headers(Request::get(uri), headers);
        self.send(request.body(Body::empty()).expect("request")).await
    }

    /// `GET uri` signed as plat signs a read-back request, with [`SECRET`] at `timestamp`.
    pub async fn read_back_at(&self, uri: &str, timestamp: i64) -> (StatusCode, Value) {
        let key = delivery::parse_secret("secret", SECRET).expect("secret");
        let id = format!("rb_test_{timestamp}");
        let signature = delivery::sign(&key, &id, timestamp, &delivery::read_back_payload("GET", uri));
        self.get_with(uri, [Some(&id), Some(&timestamp.to_string()), Some(&signature)]).await
    }

    /// `GET uri` of the read-back protocol, signed now.
    pub async fn read_back(&self, uri: &str) -> (StatusCode, Value) {
        self.read_back_at(uri, now()).await
    }

    /// Deliver `event` signed with [`SECRET`] at `timestamp`.
    pub async fn deliver_at(&self, event: &Value, timestamp: i64) -> (StatusCode, Value) {
        let body = serde_json::to_vec(event).expect("json");
        let msg_id = event["id"].as_str().unwrap_or("msg_test");
        let key = delivery::parse_secret("secret", SECRET).expect("secret");
        let signature = delivery::sign(&key, msg_id, timestamp, &body);
        self.post_hook(&body, [Some(msg_id), Some(&timestamp.to_string()), Some(&signature)]).await
    }

    pub async fn deliver(&self, event: &Value) -> (StatusCode, Value) {
        self.deliver_at(event, now()).await
    }

    pub async fn get(&self, uri: &str) -> (StatusCode, Value) {
        self.send(Request::get(uri).body(Body::empty()).expect("request")).await
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self.router.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, body)
    }
}

fn with_headers(mut request: axum::http::request::Builder, headers: [Option<&str>; 3]) -> axum::http::request::Builder {
    for (name, value) in ["webhook-id", "webhook-timestamp", "webhook-signature"].iter().zip(headers) {
        if let Some(value) = value {
            request = request.header(*name, value);
        }
    }
    request
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A plat event of `event_type` about user `id` at `version`, with a full
/// snapshot whose username is `username`.
pub fn user_event(event_type: &str, id: &str, version: u64, username: &str) -> Value {
    json!({
        "id": format!("evt_{id}_{version}_{event_type}"),
        "type": event_type,
        "version": "1",
        "timestamp": "2025-01-01T00:00:00Z",
        "source": "platd",
        "tenant": "acme",
        "aggregate": {"kind": "user", "id": id, "version": version},
        "correlation_id": null,
        "causation_id": null,
        "data": {
            "id": id,
            "tenant": "acme",
            "username": username,
            "email": format!("{username}@example.com"),
            "status": "active",
            "roles": ["member"],
            "profile": {"nickname": username.to_uppercase(), "avatar_url": "", "bio": "hello"},
            "stats": {"login_count": 0, "last_login_at": null},
            "version": version,
            "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-01T00:00:00Z"
        },
        "metadata": {"request_id": "req_1", "actor": "admin@system"}
    })
}

/// `event` marked as a repair of plat's consistency checks.
pub fn repair(mut event: Value) -> Value {
    event["metadata"]["repair"] = json!(true);
    event["metadata"]["check_id"] = json!("chk_1");
    event
}
