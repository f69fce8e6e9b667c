//! One delivery attempt to one target: signed HTTP POST, version-guarded
//! Redis write, or Redis stream entry. Returns what happened; the engine
//! decides what it means for the task.

use std::collections::HashMap;
use std::time::Duration;

use plat_domain::delivery::{self, Outcome};
use plat_domain::trace::TraceContext;
use plat_proto::TargetKind;
use plat_store::TargetRow;
use tokio::sync::Mutex;
use tracing::Instrument;

use std::sync::Arc;

/// The answer kept with an attempt is cut to this many bytes.
pub const RESPONSE_LIMIT: usize = 4096;

/// How long a Redis deletion tombstone keeps stale versions from recreating a key.
const TOMBSTONE_TTL_MS: u64 = 7 * 24 * 3600 * 1000;

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub outcome: Outcome,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub response: Option<String>,
    /// A `Retry-After` the target asked for.
    pub retry_after: Option<Duration>,
}

impl Attempt {
    fn delivered(status_code: Option<u16>, response: Option<String>) -> Attempt {
        Attempt { outcome: Outcome::Delivered, status_code, error: None, response, retry_after: None }
    }

    /// A transport failure (connection refused, timeout, Redis error): retried.
    fn failed(error: impl Into<String>) -> Attempt {
        Attempt {
            outcome: Outcome::Retry,
            status_code: None,
            error: Some(error.into()),
            response: None,
            retry_after: None,
        }
    }
}

/// The event fields a delivery needs besides its body.
pub struct Envelope<'a> {
    pub event_id: &'a str,
    pub event_type: &'a str,
    pub aggregate_kind: &'a str,
    pub aggregate_id: &'a str,
    pub aggregate_version: i64,
    pub repair: bool,
    /// The event JSON.
    pub payload: &'a str,
}

/// Opens a target's sealed HMAC secret (the daemon's master key does).
pub type Unseal = Arc<dyn Fn(&str) -> anyhow::Result<Vec<u8>> + Send + Sync>;

/// Shared clients: one HTTP connection pool, one Redis connection per URL;
/// and the master key that opens the targets' sealed secrets.
pub struct Drivers {
    http: reqwest::Client,
    unseal: Unseal,
    redis: Mutex<HashMap<String, redis::aio::ConnectionManager>>,
    set_script: redis::Script,
    del_script: redis::Script,
}

/// SET the snapshot unless the key (or its tombstone) holds a version at
/// least as new; a repair writes regardless.
/// KEYS: value key, tombstone key. ARGV: version, json, ttl ms (0 = none), repair.
const SET_LUA: &str = r#"
local v = tonumber(ARGV[1])
if ARGV[4] ~= '1' then
  local tomb = redis.call('GET', KEYS[2])
  if tomb and tonumber(tomb) and tonumber(tomb) >= v then return 0 end
  local cur = redis.call('GET', KEYS[1])
  if cur then
    local ok, obj = pcall(cjson.decode, cur)
    if ok and type(obj) == 'table' and tonumber(obj['version']) and tonumber(obj['version']) >= v then return 0 end
  end
end
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2])
end
redis.call('DEL', KEYS[2])
return 1
"#;

/// DEL the key unless it holds a newer version, and leave a tombstone so a
/// stale replay cannot bring it back. ARGV: version, tombstone ttl ms, repair.
const DEL_LUA: &str = r#"
local v = tonumber(ARGV[1])
if ARGV[3] ~= '1' then
  local cur = redis.call('GET', KEYS[1])
  if cur then
    local ok, obj = pcall(cjson.decode, cur)
    if ok and type(obj) == 'table' and tonumber(obj['version']) and tonumber(obj['version']) > v then return 0 end
  end
end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 1
"#;

impl Drivers {
    /// The HTTP client deliveries use (also the checks' read-back client).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn new(unseal: Unseal) -> anyhow::Result<Drivers> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("plat-sync/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(256)
            .build()?;
        Ok(Drivers {
            http,
            unseal,
            redis: Mutex::new(HashMap::new()),
            set_script: redis::Script::new(SET_LUA),
            del_script: redis::Script::new(DEL_LUA),
        })
    }

    /// The HMAC key of a target's `whsec_` secret, unsealed (None when the
    /// target has none: only HTTP targets do). Deliveries are signed with
    /// it, and so are the checks' read-back requests.
    pub fn target_key(&self, target: &TargetRow) -> anyhow::Result<Option<Vec<u8>>> {
        target.secret.as_deref().map(|sealed| (self.unseal)(sealed)).transpose()
    }

    /// Deliver `env` to `target` within its timeout.
    pub async fn deliver(&self, target: &TargetRow, key: Option<&[u8]>, env: &Envelope<'_>) -> Attempt {
        self.send(target, key, std::slice::from_ref(env), false).await
    }

    /// Deliver `envs` (each of a different aggregate) in one request: one
    /// signed JSON array to an HTTP target, one pipeline to a Redis target.
    pub async fn deliver_batch(&self, target: &TargetRow, key: Option<&[u8]>, envs: &[Envelope<'_>]) -> Attempt {
        if envs.is_empty() {
            return Attempt::delivered(None, None);
        }
        self.send(target, key, envs, true).await
    }

    async fn send(&self, target: &TargetRow, key: Option<&[u8]>, envs: &[Envelope<'_>], batch: bool) -> Attempt {
        let timeout = Duration::from_millis(target.timeout_ms.max(1) as u64);
        let env = &envs[0];
        // The next hop of the change's trace (the event's traceparent; a
        // batch's first event's, each event carrying its own in `metadata`).
        let span = tracing::trace_span!(
            target: plat_telemetry::TARGET,
            "sync.deliver",
            otel.kind = "producer",
            otel.status_code = tracing::field::Empty,
            sync.target = %target.name,
            sync.batch = envs.len(),
            event.id = env.event_id,
            event.type = env.event_type,
            http.response.status_code = tracing::field::Empty,
            error.message = tracing::field::Empty,
        );
        // Joined to the trace before it is entered: entering starts it.
        let ids: Option<Ids> = match target.kind {
            TargetKind::Http => serde_json::from_str(env.payload).ok(),
            _ if span.is_disabled() => None,
            _ => serde_json::from_str(env.payload).ok(),
        };
        let hop = ids
            .as_ref()
            .and_then(|ids| plat_telemetry::continue_trace(&span, ids.traceparent().as_ref(), ids.tracestate()));
        let attempt = match target.kind {
            TargetKind::Http => {
                let mut headers: Vec<(&str, String)> = Vec::new();
                if let Some(ids) = &ids {
                    // Who made the change: a single event's, never one event's for a batch.
                    if !batch {
                        if let Some(rid) = ids.metadata.get("request_id").and_then(|v| v.as_str()) {
                            headers.push(("x-request-id", rid.to_owned()));
                        }
                        if let Some(cid) = &ids.correlation_id {
                            headers.push(("x-correlation-id", cid.clone()));
                        }
                    }
                    // The receiver continues the trace from this delivery's span.
                    if let Some(hop) = hop {
                        headers.push(("traceparent", hop.header()));
                        if let Some(state) = ids.tracestate() {
                            headers.push(("tracestate", state.to_owned()));
                        }
                    }
                }
                let (msg_id, body) = if batch {
                    headers.push(("x-plat-batch-size", envs.len().to_string()));
                    let mut body = Vec::with_capacity(envs.iter().map(|e| e.payload.len() + 1).sum::<usize>() + 2);
                    body.push(b'[');
                    for (i, e) in envs.iter().enumerate() {
                        if i > 0 {
                            body.push(b',');
                        }
                        body.extend_from_slice(e.payload.as_bytes());
                    }
                    body.push(b']');
                    (delivery::batch_id(envs.iter().map(|e| e.event_id)), body)
                } else {
                    (env.event_id.to_owned(), env.payload.as_bytes().to_vec())
                };
                self.http_post(target, key, &msg_id, body, headers, timeout).instrument(span.clone()).await
            }
            TargetKind::Redis | TargetKind::RedisStream => {
                match tokio::time::timeout(timeout, self.redis_write(target, envs)).instrument(span.clone()).await {
                    Ok(Ok(())) => Attempt::delivered(None, None),
                    Ok(Err(e)) => Attempt::failed(format!("redis: {e}")),
                    Err(_) => {
                        Attempt::failed(format!("redis: no answer within {}", plat_domain::format_duration(timeout)))
                    }
                }
            }
        };
        if let Some(code) = attempt.status_code {
            span.record("http.response.status_code", code);
        }
        if let Some(error) = &attempt.error {
            span.record("otel.status_code", "error");
            span.record("error.message", error.as_str());
        }
        attempt
    }

    async fn http_post(
        &self,
        target: &TargetRow,
        key: Option<&[u8]>,
        msg_id: &str,
        body: Vec<u8>,
        headers: Vec<(&str, String)>,
        timeout: Duration,
    ) -> Attempt {
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut request = self
            .http
            .post(&target.url)
            .timeout(timeout)
            .header("content-type", "application/json")
            .header("webhook-id", msg_id)
            .header("webhook-timestamp", timestamp.to_string());
        if let Some(key) = key {
            request = request.header("webhook-signature", delivery::sign(key, msg_id, timestamp, &body));
        }
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let mut response = match request.body(body).send().await {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return Attempt::failed(format!("no answer within {}", plat_domain::format_duration(timeout)));
            }
            Err(e) => return Attempt::failed(describe(&e)),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| delivery::retry_after(v, Duration::from_secs(3600)));
        // Read (a bounded part of) the answer so the connection can be reused.
        let mut kept = Vec::new();
        let mut read = 0usize;
        while read < 64 * 1024 {
            match tokio::time::timeout(timeout, response.chunk()).await {
                Ok(Ok(Some(chunk))) => {
                    read += chunk.len();
                    let room = RESPONSE_LIMIT.saturating_sub(kept.len());
                    kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                _ => break,
            }
        }
        let text = (!kept.is_empty()).then(|| truncate_utf8(&kept));
        let outcome = delivery::classify(status);
        let error = match outcome {
            Outcome::Delivered => None,
            _ => Some(format!("HTTP {status}")),
        };
        Attempt { outcome, status_code: Some(status), error, response: text, retry_after }
    }

    pub async fn connection(&self, url: &str) -> redis::RedisResult<redis::aio::ConnectionManager> {
        let mut pool = self.redis.lock().await;
        if let Some(conn) = pool.get(url) {
            return Ok(conn.clone());
        }
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(5)))
            .set_number_of_retries(1);
        let conn = redis::aio::ConnectionManager::new_with_config(client, config).await?;
        pool.insert(url.to_owned(), conn.clone());
        Ok(conn)
    }

    /// Write `envs` in one round trip: one command for a single event, a
    /// pipeline for a batch (each write version-guarded on its own, so the
    /// pipeline need not be atomic).
    async fn redis_write(&self, target: &TargetRow, envs: &[Envelope<'_>]) -> redis::RedisResult<()> {
        let mut conn = self.connection(&target.url).await?;
        let mut pipe = redis::pipe();
        match target.kind {
            TargetKind::RedisStream => {
                let stream = target.options.get("stream").and_then(|v| v.as_str()).unwrap_or("plat:events");
                let maxlen = target.options.get("maxlen").and_then(|v| v.as_u64());
                for env in envs {
                    let cmd = pipe.cmd("XADD").arg(stream);
                    if let Some(maxlen) = maxlen {
                        cmd.arg("MAXLEN").arg("~").arg(maxlen);
                    }
                    cmd.arg("*").arg("type").arg(env.event_type).arg("payload").arg(env.payload).ignore();
                }
            }
            _ => {
                let ttl_ms = target
                    .options
                    .get("ttl")
                    .and_then(|v| v.as_str())
                    .and_then(|t| plat_domain::parse_duration("ttl", t).ok())
                    .map(|d| d.as_millis() as u64)
                    .unwrap_or(0);
                let mut invocations = Vec::with_capacity(envs.len());
                for env in envs {
                    let key = redis_key(target, env.aggregate_kind, env.aggregate_id);
                    let tombstone = format!("plat:tombstone:{key}");
                    let repair = if env.repair { "1" } else { "0" };
                    let deleted = env.event_type.ends_with(".deleted");
                    let script = if deleted { &self.del_script } else { &self.set_script };
                    let mut invocation = script.prepare_invoke();
                    invocation.key(&key).key(&tombstone).arg(env.aggregate_version);
                    if deleted {
                        invocation.arg(TOMBSTONE_TTL_MS);
                    } else {
                        invocation.arg(snapshot(env.payload, env.aggregate_version)).arg(ttl_ms);
                    }
                    invocation.arg(repair);
                    if envs.len() == 1 {
                        // One event: EVALSHA, loading the script only when Redis lacks it.
                        let _: i64 = invocation.invoke_async(&mut conn).await?;
                        return Ok(());
                    }
                    invocations.push(invocation);
                }
                // A pipeline does not load scripts on NOSCRIPT: load both first (cheap when loaded).
                pipe.load_script(&self.set_script).ignore().load_script(&self.del_script).ignore();
                for invocation in &invocations {
                    pipe.invoke_script(invocation).ignore();
                }
            }
        }
        pipe.query_async::<()>(&mut conn).await
    }

    /// `PING` a Redis target (its `test`).
    pub async fn redis_ping(&self, target: &TargetRow) -> Attempt {
        let timeout = Duration::from_millis(target.timeout_ms.max(1) as u64);
        let ping = async {
            let mut conn = self.connection(&target.url).await?;
            redis::cmd("PING").query_async::<String>(&mut conn).await
        };
        match tokio::time::timeout(timeout, ping).await {
            Ok(Ok(answer)) => Attempt::delivered(None, Some(answer)),
            Ok(Err(e)) => Attempt::failed(format!("redis: {e}")),
            Err(_) => Attempt::failed("redis: no answer in time"),
        }
    }
}

/// The Redis key of an aggregate: `key_prefix` (default `{kind}:`) and its id.
pub fn redis_key(target: &TargetRow, kind: &str, id: &str) -> String {
    match target.options.get("key_prefix").and_then(|v| v.as_str()) {
        Some(prefix) => format!("{prefix}{id}"),
        None => format!("{kind}:{id}"),
    }
}

/// The event's `data` with its `version` set to the aggregate's, the value a
/// Redis target keeps (and compares on the next write).
fn snapshot(payload: &str, version: i64) -> String {
    let event: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
    let mut data = event.get("data").cloned().unwrap_or(serde_json::Value::Null);
    if let Some(obj) = data.as_object_mut() {
        obj.insert("version".into(), version.into());
    }
    data.to_string()
}

/// The error and its causes, without the URL reqwest repeats in each.
pub fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_connect() { "cannot connect".to_owned() } else { "request failed".to_owned() };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Bytes as text, cut at a character boundary.
fn truncate_utf8(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut end = text.len().min(RESPONSE_LIMIT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// What a delivery reads of the event it carries: the ids that join the
/// receiver's logs and traces to the change.
#[derive(serde::Deserialize)]
struct Ids {
    correlation_id: Option<String>,
    #[serde(default)]
    metadata: serde_json::Map<String, serde_json::Value>,
}

impl Ids {
    fn traceparent(&self) -> Option<TraceContext> {
        self.metadata.get("traceparent").and_then(|v| v.as_str()).and_then(TraceContext::parse)
    }

    fn tracestate(&self) -> Option<&str> {
        self.metadata.get("tracestate").and_then(|v| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_values_carry_the_aggregate_version() {
        let payload = r#"{"id":"evt_1","data":{"id":"u1","username":"alice"}}"#;
        let value: serde_json::Value = serde_json::from_str(&snapshot(payload, 7)).unwrap_or_default();
        assert_eq!(value["version"], 7);
        assert_eq!(value["username"], "alice");
    }

    #[test]
    fn kept_answers_are_cut_at_a_character_boundary() {
        let text = "é".repeat(3000);
        let cut = truncate_utf8(text.as_bytes());
        assert!(cut.len() <= RESPONSE_LIMIT);
        assert!(cut.chars().all(|c| c == 'é'));
    }
}
