//! Kinds of sync target, one module each: what a kind's URL and options
//! may be, whether it signs, how one request of tasks reaches it, how
//! `target test` pings it, and how a check reads its copy back. The API,
//! the engine and the checks ask [`of`] and never match on a kind.
//!
//! Adding a kind: its wire name in `plat_proto::TargetKind`, a module here
//! implementing [`Kind`], and its line in [`of`].

mod http;
mod redis;
mod redis_stream;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use plat_domain::Invalid;
use plat_domain::delivery::Outcome;
use plat_domain::readback::Digest;
use plat_domain::trace::TraceContext;
use plat_proto::TargetKind;
use plat_store::{TargetRow, VersionedId};

use crate::Drivers;

pub use self::redis::redis_key;

/// A boxed future: what a [`Kind`]'s async methods return (the trait is
/// used as `dyn Kind`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The module of `kind`: the one registration of every kind.
pub fn of(kind: TargetKind) -> &'static dyn Kind {
    match kind {
        TargetKind::Http => &http::Http,
        TargetKind::Redis => &redis::Redis,
        TargetKind::RedisStream => &redis_stream::RedisStream,
    }
}

/// One kind of sync target.
pub trait Kind: Send + Sync {
    /// Its wire name.
    fn kind(&self) -> TargetKind;

    /// A target's `url` of this kind (the field is `url`).
    fn validate_url(&self, url: &str) -> Result<(), Invalid>;

    /// The options it understands (`options.*`), checked by type.
    fn validate_options(&self, options: &serde_json::Map<String, serde_json::Value>) -> Result<(), Invalid>;

    /// Whether its deliveries are signed with a `whsec_` secret (which also
    /// signs the checks' read-back requests).
    fn signs(&self) -> bool {
        false
    }

    /// Whether its copy can be read back, and read back by default.
    fn read_back(&self) -> ReadBackSupport;

    /// Whether a delivery reads the event's ids (request and correlation
    /// ids) for the request even when no trace is exported.
    fn forwards_ids(&self) -> bool {
        false
    }

    /// One request carrying `delivery.envs` (one event, or a batch of
    /// events of different aggregates), within the target's timeout.
    fn deliver<'a>(&'a self, drivers: &'a Drivers, delivery: Delivery<'a>) -> BoxFuture<'a, Attempt>;

    /// `target test`: by default a `sync.ping` delivered like an event.
    fn ping<'a>(&'a self, drivers: &'a Drivers, delivery: Delivery<'a>) -> BoxFuture<'a, Attempt> {
        self.deliver(drivers, delivery)
    }

    /// How a check reads a target's copy (the check's trace continues in
    /// its requests); an error says why it cannot.
    fn reader(&self, target: &TargetRow, ctx: ReaderCtx) -> Result<Box<dyn Reader>, String> {
        let _ = ctx;
        Err(match self.read_back() {
            ReadBackSupport::Never(why) => why.to_owned(),
            ReadBackSupport::Optional { .. } => format!("{} targets cannot be read back", target.kind.as_str()),
        })
    }
}

/// Whether a kind's copy can be read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadBackSupport {
    /// Never, and why (a stream keeps no copy to compare).
    Never(&'static str),
    /// When `read_back.supported` says so (`default` when not given);
    /// `over_http`: the target may name a `read_back.base_url`.
    Optional { default: bool, over_http: bool },
}

/// What a reader needs besides the target.
pub struct ReaderCtx {
    pub drivers: Arc<Drivers>,
    /// Each read-back request's bound.
    pub timeout: Duration,
    /// The check's trace: each request is a child span.
    pub trace: TraceContext,
}

/// One request to a target.
pub struct Delivery<'a> {
    pub target: &'a TargetRow,
    /// The HMAC key of the target's secret (kinds that sign).
    pub key: Option<&'a [u8]>,
    pub envs: &'a [Envelope<'a>],
    /// Sent as a batch (an array, a pipeline) even when it holds one event.
    pub batch: bool,
    pub timeout: Duration,
    /// The first event's ids, when read (see [`Kind::forwards_ids`]).
    pub ids: Option<&'a Ids>,
    /// The delivery span's context: the receiver's parent.
    pub hop: Option<TraceContext>,
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
    pub(crate) fn delivered(status_code: Option<u16>, response: Option<String>) -> Attempt {
        Attempt { outcome: Outcome::Delivered, status_code, error: None, response, retry_after: None }
    }

    /// A transport failure (connection refused, timeout, Redis error): retried.
    pub(crate) fn failed(error: impl Into<String>) -> Attempt {
        Attempt {
            outcome: Outcome::Retry,
            status_code: None,
            error: Some(error.into()),
            response: None,
            retry_after: None,
        }
    }

    /// What can never be delivered as it is (an event that is not JSON):
    /// straight to the dead-letter queue.
    pub(crate) fn refused(error: impl Into<String>) -> Attempt {
        Attempt {
            outcome: Outcome::Permanent,
            status_code: None,
            error: Some(error.into()),
            response: None,
            retry_after: None,
        }
    }
}

/// What a delivery reads of the event it carries: the ids that join the
/// receiver's logs and traces to the change.
#[derive(serde::Deserialize)]
pub struct Ids {
    pub correlation_id: Option<String>,
    #[serde(default)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

impl Ids {
    pub fn traceparent(&self) -> Option<TraceContext> {
        self.metadata.get("traceparent").and_then(|v| v.as_str()).and_then(TraceContext::parse)
    }

    pub fn tracestate(&self) -> Option<&str> {
        self.metadata.get("tracestate").and_then(|v| v.as_str())
    }
}

/// A read-back failure, said the way an operator can act on it.
#[derive(Debug, thiserror::Error)]
pub enum ReadBackError {
    /// The target does not serve digests (404, 405, 501): page instead.
    #[error("the target does not serve /sync/digest (HTTP {0})")]
    NoDigest(u16),
    #[error("{0}")]
    Failed(String),
}

pub(crate) fn failed(message: impl Into<String>) -> ReadBackError {
    ReadBackError::Failed(message.into())
}

/// One page of a copy's records and the cursor after it.
pub type Page = (Vec<VersionedId>, Option<String>);

/// A target's copy, as a check reads it.
pub trait Reader: Send + Sync {
    /// Whether it is read whole by plat (a Redis keyspace: digests and
    /// buckets are computed here) rather than asked for digests.
    fn local(&self) -> bool;

    /// Bytes read from the target so far.
    fn bytes(&self) -> u64;

    /// The copy's digest over `buckets` buckets.
    fn digest(&self, buckets: u32) -> BoxFuture<'_, Result<Digest, ReadBackError>>;

    /// Every record in the given buckets (of `buckets`).
    fn records_in<'a>(
        &'a self,
        wanted: &'a [u32],
        buckets: u32,
    ) -> BoxFuture<'a, Result<Vec<VersionedId>, ReadBackError>>;

    /// One page of records after `cursor`, and the next cursor.
    fn page<'a>(&'a self, cursor: Option<&'a str>, limit: u32) -> BoxFuture<'a, Result<Page, ReadBackError>>;
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A target row of `kind` at `url`, for tests.
    pub(crate) fn target(kind: TargetKind, url: &str) -> TargetRow {
        TargetRow {
            id: "t".into(),
            name: "t".into(),
            kind,
            url: url.into(),
            events: vec![],
            secret: None,
            secret_hint: None,
            state: plat_proto::TargetState::Active,
            disabled_reason: None,
            timeout_ms: 1000,
            max_attempts: 1,
            concurrency: 1,
            options: Default::default(),
            read_back: plat_proto::ReadBack::default(),
            rules: Default::default(),
            compiled: None,
            batch: Default::default(),
            backfill: None,
            circuit: plat_domain::retry::Circuit::closed(),
            circuit_version: 0,
            last_success_at: None,
            last_error: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    /// Every kind is registered under its own name.
    #[test]
    fn every_kind_has_its_module() {
        for kind in TargetKind::ALL {
            assert_eq!(of(*kind).kind(), *kind);
        }
    }
}

/// The type of a kind's option, checked at create and update.
#[derive(Debug, Clone, Copy)]
pub(crate) enum OptionType {
    /// Up to 200 characters without spaces (`non_empty`: not "").
    Name { non_empty: bool },
    /// A duration such as `24h`, at least 1 s.
    Duration,
    /// A positive integer.
    Count,
}

/// Check `options` against a kind's `known` ones (name and type).
pub(crate) fn check_options(
    kind: TargetKind,
    known: &[(&str, OptionType)],
    options: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), Invalid> {
    for (key, value) in options {
        let field = format!("options.{key}");
        let Some((_, ty)) = known.iter().find(|(name, _)| name == key) else {
            let names: Vec<&str> = known.iter().map(|(name, _)| *name).collect();
            let allowed = if names.is_empty() { "none".to_owned() } else { names.join(", ") };
            return Err(Invalid::new(
                &field,
                format!("is not an option of {} targets (they take: {allowed})", kind.as_str()),
            ));
        };
        match ty {
            OptionType::Name { non_empty } => {
                let text = value.as_str().ok_or_else(|| Invalid::new(&field, "must be a string"))?;
                if text.len() > 200 || text.contains(char::is_whitespace) || (*non_empty && text.is_empty()) {
                    return Err(Invalid::new(&field, "must be up to 200 characters without spaces"));
                }
            }
            OptionType::Duration => {
                let text = value.as_str().ok_or_else(|| Invalid::new(&field, "must be a duration such as 24h"))?;
                if plat_domain::parse_duration(&field, text)? < Duration::from_secs(1) {
                    return Err(Invalid::new(&field, "must be at least 1s"));
                }
            }
            OptionType::Count => {
                if value.as_u64().is_none_or(|n| n == 0) {
                    return Err(Invalid::new(&field, "must be a positive integer"));
                }
            }
        }
    }
    Ok(())
}
