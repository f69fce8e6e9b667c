//! The clients deliveries share: one HTTP connection pool, one Redis
//! connection per URL, and the master key that opens targets' sealed
//! secrets. [`Drivers::send`] makes the delivery span and hands the request
//! to the target's kind (`crate::kinds`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use plat_store::TargetRow;
use tokio::sync::Mutex;
use tracing::Instrument;

use crate::kinds::{self, Attempt, Delivery, Envelope, Ids};

/// Opens a target's sealed HMAC secret (the daemon's master key does).
pub type Unseal = Arc<dyn Fn(&str) -> anyhow::Result<Vec<u8>> + Send + Sync>;

pub struct Drivers {
    http: reqwest::Client,
    unseal: Unseal,
    redis: Mutex<HashMap<String, redis::aio::ConnectionManager>>,
}

impl Drivers {
    pub fn new(unseal: Unseal) -> anyhow::Result<Drivers> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("plat-sync/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(256)
            .build()?;
        Ok(Drivers { http, unseal, redis: Mutex::new(HashMap::new()) })
    }

    /// The HTTP client deliveries use (also the checks' read-back client).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The HMAC key of a target's `whsec_` secret, unsealed (None when the
    /// target has none: only kinds that sign have one). Deliveries are
    /// signed with it, and so are the checks' read-back requests.
    pub fn target_key(&self, target: &TargetRow) -> anyhow::Result<Option<Vec<u8>>> {
        target.secret.as_deref().map(|sealed| (self.unseal)(sealed)).transpose()
    }

    /// A shared connection to the Redis at `url`.
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

    /// Deliver `env` to `target` within its timeout.
    pub async fn deliver(&self, target: &TargetRow, key: Option<&[u8]>, env: &Envelope<'_>) -> Attempt {
        self.send(target, key, std::slice::from_ref(env), false, false).await
    }

    /// Deliver `envs` (each of a different aggregate) in one request: one
    /// signed JSON array to an HTTP target, one pipeline to a Redis target.
    pub async fn deliver_batch(&self, target: &TargetRow, key: Option<&[u8]>, envs: &[Envelope<'_>]) -> Attempt {
        if envs.is_empty() {
            return Attempt::delivered(None, None);
        }
        self.send(target, key, envs, true, false).await
    }

    /// `target test`: a ping, as the kind sends one.
    pub async fn ping(&self, target: &TargetRow, key: Option<&[u8]>, env: &Envelope<'_>) -> Attempt {
        self.send(target, key, std::slice::from_ref(env), target.batch.batches(), true).await
    }

    async fn send(
        &self,
        target: &TargetRow,
        key: Option<&[u8]>,
        envs: &[Envelope<'_>],
        batch: bool,
        ping: bool,
    ) -> Attempt {
        let kind = kinds::of(target.kind);
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
        let ids: Option<Ids> =
            if kind.forwards_ids() || !span.is_disabled() { serde_json::from_str(env.payload).ok() } else { None };
        let hop = ids
            .as_ref()
            .and_then(|ids| plat_telemetry::continue_trace(&span, ids.traceparent().as_ref(), ids.tracestate()));
        let delivery = Delivery { target, key, envs, batch, timeout, ids: ids.as_ref(), hop };
        let request = if ping { kind.ping(self, delivery) } else { kind.deliver(self, delivery) };
        let attempt = request.instrument(span.clone()).await;
        if let Some(code) = attempt.status_code {
            span.record("http.response.status_code", code);
        }
        if let Some(error) = &attempt.error {
            span.record("otel.status_code", "error");
            span.record("error.message", error.as_str());
        }
        attempt
    }
}
