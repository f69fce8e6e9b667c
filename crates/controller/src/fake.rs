//! A mock Kubernetes API server for the controller's tests and bench (the
//! `fake-api` feature), in kube-rs's tower-test pattern: a
//! `tower_test::mock::pair` is the client's transport, and a task answers
//! each request from an in-memory object store the way the API server
//! would for the calls the controller makes: get, list with a label
//! selector, JSON patch (the finalizer), server-side apply (status and
//! Secrets, field manager recorded), delete, and owner-reference garbage
//! collection of Secrets when their owner goes.
//!
//! It keeps a log of every request so a test can assert what was called.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use kube::client::Body;
use serde_json::{Value, json};

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    /// Path without the query.
    pub path: String,
    pub query: String,
    pub content_type: String,
    pub body: Value,
}

#[derive(Default)]
struct State {
    /// Object path (`/api/v1/namespaces/shop/secrets/x`) → object.
    objects: BTreeMap<String, Value>,
    calls: Vec<Call>,
    /// Answer the next n requests with 500 (an API server in trouble).
    fail: u32,
    version: u64,
}

/// The fake API server; clones share it.
#[derive(Clone, Default)]
pub struct FakeApi(Arc<Mutex<State>>);

impl FakeApi {
    /// A kube client served by a new fake, and the fake.
    pub fn start() -> (kube::Client, FakeApi) {
        let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
        let fake = FakeApi::default();
        let server = fake.clone();
        tokio::spawn(async move {
            while let Some((request, respond)) = handle.next_request().await {
                let response = server.answer(request).await;
                respond.send_response(response);
            }
        });
        (kube::Client::new(service, "default"), fake)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Store `object` (with apiVersion, kind, metadata.name and namespace)
    /// as if a user applied it; returns it as stored.
    pub fn put(&self, object: Value) -> Value {
        let path = object_path(&object);
        let mut state = self.state();
        state.version += 1;
        let version = state.version;
        let mut object = object;
        let generation = state.objects.get(&path).and_then(|o| o["metadata"]["generation"].as_i64()).unwrap_or(0);
        let spec_changed = state.objects.get(&path).map(|o| o.get("spec") != object.get("spec")).unwrap_or(true);
        let meta = &mut object["metadata"];
        if meta.get("uid").is_none() {
            meta["uid"] = json!(format!("uid-{version}"));
        }
        if meta.get("creationTimestamp").is_none() {
            meta["creationTimestamp"] = json!("2026-01-01T00:00:00Z");
        }
        meta["generation"] = json!(if spec_changed { generation + 1 } else { generation.max(1) });
        meta["resourceVersion"] = json!(version.to_string());
        if let Some(old) = state.objects.get(&path) {
            // Keep what the controller owns: status and finalizers.
            if let Some(status) = old.get("status") {
                object["status"] = status.clone();
            }
            if let Some(finalizers) = old["metadata"].get("finalizers") {
                object["metadata"]["finalizers"] = finalizers.clone();
            }
        }
        state.objects.insert(path, object.clone());
        object
    }

    /// The stored object at `path`, if any.
    pub fn get(&self, path: &str) -> Option<Value> {
        self.state().objects.get(path).cloned()
    }

    /// Delete as a user would: objects with finalizers get a
    /// `deletionTimestamp` and stay until the finalizers are gone.
    pub fn delete(&self, path: &str) {
        let mut state = self.state();
        delete_locked(&mut state, path);
    }

    /// Every request so far.
    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    /// Forget the request log.
    pub fn clear_calls(&self) {
        self.state().calls.clear();
    }

    /// Answer the next `n` requests with 500.
    pub fn fail_next(&self, n: u32) {
        self.state().fail = n;
    }

    async fn answer(&self, request: Request<Body>) -> Response<Body> {
        let (parts, body) = request.into_parts();
        let bytes = body.collect_bytes().await.unwrap_or_default();
        let content_type =
            parts.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let call = Call {
            method: parts.method.clone(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().unwrap_or_default().to_owned(),
            content_type,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        };
        let mut state = self.state();
        state.calls.push(call.clone());
        if state.fail > 0 {
            state.fail -= 1;
            return status(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", "the fake API server fails on purpose");
        }
        handle(&mut state, &call)
    }
}

fn object_path(object: &Value) -> String {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let kind = object["kind"].as_str().unwrap_or_default();
    let ns = object["metadata"]["namespace"].as_str().unwrap_or("default");
    let name = object["metadata"]["name"].as_str().unwrap_or_default();
    let plural = format!("{}s", kind.to_lowercase());
    let base = if api_version.contains('/') { format!("/apis/{api_version}") } else { format!("/api/{api_version}") };
    format!("{base}/namespaces/{ns}/{plural}/{name}")
}

/// `(collection, name, subresource)` of a request path.
fn split(path: &str) -> (String, Option<String>, Option<String>) {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    // api/v1/namespaces/ns/plural[/name[/sub]] or apis/g/v/namespaces/ns/plural[/name[/sub]]
    let base = if parts.first() == Some(&"api") { 2 } else { 3 };
    let collection_len = base + 3;
    if parts.len() < collection_len {
        return (path.to_owned(), None, None);
    }
    let collection = format!("/{}", parts[..collection_len].join("/"));
    (collection, parts.get(collection_len).map(|s| s.to_string()), parts.get(collection_len + 1).map(|s| s.to_string()))
}

fn handle(state: &mut State, call: &Call) -> Response<Body> {
    let (collection, name, sub) = split(&call.path);
    let Some(name) = name else {
        return match call.method {
            Method::GET => list(state, &collection, &call.query),
            _ => status(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "not in the fake"),
        };
    };
    let path = format!("{collection}/{name}");
    match call.method {
        Method::GET => match state.objects.get(&path) {
            Some(o) => ok(o),
            None => status(StatusCode::NOT_FOUND, "NotFound", &format!("{name} not found")),
        },
        Method::DELETE => {
            if !state.objects.contains_key(&path) {
                return status(StatusCode::NOT_FOUND, "NotFound", &format!("{name} not found"));
            }
            delete_locked(state, &path);
            ok(&json!({"kind": "Status", "apiVersion": "v1", "status": "Success", "metadata": {}}))
        }
        Method::PATCH => patch(state, &path, sub.as_deref(), call),
        _ => status(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "not in the fake"),
    }
}

fn bump(state: &mut State, object: &mut Value) {
    state.version += 1;
    object["metadata"]["resourceVersion"] = json!(state.version.to_string());
}

fn patch(state: &mut State, path: &str, sub: Option<&str>, call: &Call) -> Response<Body> {
    let existing = state.objects.get(path).cloned();
    let mut object = match (&existing, call.content_type.as_str()) {
        (Some(o), _) => o.clone(),
        (None, t) if t.starts_with("application/apply-patch") && sub.is_none() => {
            let mut created = call.body.clone();
            state.version += 1;
            created["metadata"]["uid"] = json!(format!("uid-{}", state.version));
            created["metadata"]["creationTimestamp"] = json!("2026-01-01T00:00:00Z");
            created
        }
        (None, _) => return status(StatusCode::NOT_FOUND, "NotFound", "not found"),
    };
    match call.content_type.as_str() {
        t if t.starts_with("application/json-patch") => {
            // The API server's JSON patch (evanphx/json-patch) tests a
            // missing field as null; json_patch would fail the test.
            let mut body = call.body.clone();
            if let Some(ops) = body.as_array_mut() {
                ops.retain(|op| {
                    let missing = op["path"].as_str().is_some_and(|p| object.pointer(p).is_none());
                    !(op["op"] == "test" && op["value"].is_null() && missing)
                });
            }
            let Ok(ops) = serde_json::from_value::<json_patch::Patch>(body) else {
                return status(StatusCode::BAD_REQUEST, "BadRequest", "not a JSON patch");
            };
            if let Err(e) = json_patch::patch(&mut object, &ops) {
                return status(StatusCode::UNPROCESSABLE_ENTITY, "Invalid", &e.to_string());
            }
        }
        t if t.starts_with("application/apply-patch") => {
            if !call.query.contains("fieldManager=") {
                return status(StatusCode::BAD_REQUEST, "BadRequest", "apply needs a fieldManager");
            }
            if sub == Some("status") {
                object["status"] = call.body["status"].clone();
            } else {
                merge(&mut object, &call.body);
            }
        }
        t if t.starts_with("application/merge-patch") => merge(&mut object, &call.body),
        _ => return status(StatusCode::UNSUPPORTED_MEDIA_TYPE, "UnsupportedMediaType", "patch type"),
    }
    bump(state, &mut object);
    // An object being deleted goes once its last finalizer does.
    let deleting = object["metadata"].get("deletionTimestamp").is_some();
    let finalizers = object["metadata"]["finalizers"].as_array().map(|f| f.len()).unwrap_or(0);
    if deleting && finalizers == 0 {
        remove(state, path);
    } else {
        state.objects.insert(path.to_owned(), object.clone());
    }
    ok(&object)
}

fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

fn delete_locked(state: &mut State, path: &str) {
    let Some(object) = state.objects.get_mut(path) else { return };
    let finalizers = object["metadata"]["finalizers"].as_array().map(|f| f.len()).unwrap_or(0);
    if finalizers > 0 {
        object["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:01Z");
        let mut object = object.clone();
        bump(state, &mut object);
        state.objects.insert(path.to_owned(), object);
    } else {
        remove(state, path);
    }
}

/// Remove an object and, as the garbage collector does, what it owns.
fn remove(state: &mut State, path: &str) {
    let Some(object) = state.objects.remove(path) else { return };
    let Some(uid) = object["metadata"]["uid"].as_str() else { return };
    let owned: Vec<String> = state
        .objects
        .iter()
        .filter(|(_, o)| {
            o["metadata"]["ownerReferences"].as_array().is_some_and(|refs| refs.iter().any(|r| r["uid"] == uid))
        })
        .map(|(p, _)| p.clone())
        .collect();
    for path in owned {
        remove(state, &path);
    }
}

fn list(state: &State, collection: &str, query: &str) -> Response<Body> {
    let selector =
        query.split('&').find_map(|kv| kv.strip_prefix("labelSelector=")).map(percent_decode).unwrap_or_default();
    let prefix = format!("{collection}/");
    let items: Vec<&Value> = state
        .objects
        .iter()
        .filter(|(p, _)| p.starts_with(&prefix))
        .map(|(_, o)| o)
        .filter(|o| matches(o, &selector))
        .collect();
    ok(&json!({
        "apiVersion": "v1",
        "kind": "List",
        "metadata": {"resourceVersion": state.version.to_string()},
        "items": items,
    }))
}

fn matches(object: &Value, selector: &str) -> bool {
    selector.split(',').filter(|s| !s.is_empty()).all(|term| {
        let labels = &object["metadata"]["labels"];
        match term.split_once('=') {
            Some((k, v)) => labels[k].as_str() == Some(v),
            None => labels.get(term).is_some(),
        }
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn ok(body: &Value) -> Response<Body> {
    respond(StatusCode::OK, body)
}

fn status(code: StatusCode, reason: &str, message: &str) -> Response<Body> {
    respond(
        code,
        &json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
                "reason": reason, "code": code.as_u16(), "metadata": {}}),
    )
}

fn respond(code: StatusCode, body: &Value) -> Response<Body> {
    let bytes = Bytes::from(serde_json::to_vec(body).unwrap_or_default());
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = code;
    response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    response
}
