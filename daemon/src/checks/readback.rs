//! Reading a target's copy back (CONTRACT §3): the read-back protocol over
//! HTTP (digest, records of one bucket, records in pages), each request
//! signed with the target's secret (docs/read-back.md, "Authentication"), and
//! Redis targets read directly (SCAN and the `version` of each stored
//! snapshot).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tracing::Instrument;

use plat_domain::delivery;
use plat_domain::readback::{self, AnswerError, Digest, bucket_of, encode_component};
use plat_proto::TargetKind;
use plat_store::{TargetRow, VersionedId};

use plat_sync::{Drivers, describe, redis_key};

/// Keys of Redis deletion tombstones, never records.
const TOMBSTONE_PREFIX: &str = "plat:tombstone:";
/// Keys per SCAN step and per MGET.
const REDIS_BATCH: usize = 1000;

/// A read-back failure, said the way an operator can act on it.
#[derive(Debug, thiserror::Error)]
pub enum ReadBackError {
    /// The target does not serve digests (404, 405, 501): page instead.
    #[error("the target does not serve /sync/digest (HTTP {0})")]
    NoDigest(u16),
    #[error("{0}")]
    Failed(String),
}

type Result<T> = std::result::Result<T, ReadBackError>;

fn failed(message: impl Into<String>) -> ReadBackError {
    ReadBackError::Failed(message.into())
}

/// A target's copy, as a check reads it.
pub enum Remote {
    /// `key`: the HMAC key of the target's secret, which signs every request.
    Http {
        client: reqwest::Client,
        base: String,
        key: Vec<u8>,
        timeout: Duration,
        bytes: Arc<AtomicU64>,
        /// The check's trace: each request is a child span (`traceparent`).
        trace: plat_domain::trace::TraceContext,
    },
    Redis {
        drivers: Arc<Drivers>,
        url: String,
        prefix: String,
        bytes: Arc<AtomicU64>,
    },
}

/// The base URL of a target's read-back endpoints: `read_back.base_url`, or
/// the target URL without its last path segment (and without query).
pub fn base_url(target: &TargetRow) -> String {
    if let Some(base) = &target.read_back.base_url {
        return base.trim_end_matches('/').to_owned();
    }
    let url = target.url.split(['?', '#']).next().unwrap_or_default();
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    match rest.trim_end_matches('/').rsplit_once('/') {
        Some((head, _)) => format!("{scheme}://{head}"),
        None => format!("{scheme}://{}", rest.trim_end_matches('/')),
    }
}

impl Remote {
    /// How a check reads `target`; an error says why it cannot.
    pub fn new(target: &TargetRow, drivers: Arc<Drivers>, timeout: Duration) -> std::result::Result<Remote, String> {
        let bytes = Arc::new(AtomicU64::new(0));
        match target.kind {
            TargetKind::Http => {
                let key = match drivers.target_key(target) {
                    Ok(Some(key)) => key,
                    Ok(None) => {
                        return Err(format!(
                            "the target has no secret to sign read-back requests with: give it one \
                             (platctl sync target update {} --generate-secret)",
                            target.name
                        ));
                    }
                    Err(e) => {
                        tracing::error!(target = %target.name, error = %e, "cannot open the target's secret");
                        return Err(format!("cannot open the target's secret to sign read-back requests: {e}"));
                    }
                };
                let trace = crate::context::current().trace;
                Ok(Remote::Http { client: drivers.http().clone(), base: base_url(target), key, timeout, bytes, trace })
            }
            TargetKind::Redis => {
                Ok(Remote::Redis { prefix: redis_key(target, "user", ""), url: target.url.clone(), drivers, bytes })
            }
            TargetKind::RedisStream => Err("a stream cannot be read back".to_owned()),
        }
    }

    /// Bytes read from the target so far.
    pub fn bytes(&self) -> u64 {
        match self {
            Remote::Http { bytes, .. } | Remote::Redis { bytes, .. } => bytes.load(Ordering::Relaxed),
        }
    }

    /// `GET {base}{path_and_query}`, signed, its body read by `parse`;
    /// errors show the URL without its credentials.
    async fn get<T>(
        &self,
        path_and_query: &str,
        parse: impl FnOnce(&[u8]) -> std::result::Result<T, AnswerError>,
    ) -> Result<T> {
        let Remote::Http { client, base, key, timeout, bytes, trace } = self else {
            return Err(failed("not an HTTP target"));
        };
        let url = format!("{base}{path_and_query}");
        let shown = plat_domain::redact_url(&url);
        let parsed = reqwest::Url::parse(&url).map_err(|e| failed(format!("GET {shown}: not a URL: {e}")))?;
        let id = format!("rb_{}", uuid::Uuid::now_v7().simple());
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let payload = delivery::read_back_payload("GET", &request_target(&parsed));
        let span = tracing::trace_span!(
            target: plat_telemetry::TARGET,
            "check.read_back",
            otel.kind = "client",
            url.path = parsed.path(),
        );
        let hop = plat_telemetry::continue_trace(&span, Some(trace), None)
            .unwrap_or_else(|| trace.child(plat_telemetry::span_id()));
        let response = client
            .get(parsed)
            .timeout(*timeout)
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", delivery::sign(key, &id, timestamp, &payload))
            .header("traceparent", hop.header())
            .send()
            .instrument(span)
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    failed(format!("GET {shown}: no answer within {}", plat_domain::format_duration(*timeout)))
                } else {
                    failed(format!("GET {shown}: {}", describe(&e)))
                }
            })?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| failed(format!("GET {shown}: {}", describe(&e))))?;
        bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
        if !(200..300).contains(&status) {
            if path_and_query.starts_with("/sync/digest") && matches!(status, 404 | 405 | 501) {
                return Err(ReadBackError::NoDigest(status));
            }
            let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
            if matches!(status, 401 | 403) {
                return Err(failed(format!(
                    "GET {shown}: the target refused the read-back signature (HTTP {status}): check that it \
                     verifies read-back requests with the target's secret and that its clock is within 5 minutes \
                     of plat's (docs/read-back.md, \"Authentication\"); it answered: {text}"
                )));
            }
            return Err(failed(format!("GET {shown}: HTTP {status}: {text}")));
        }
        parse(&body).map_err(|e| match e {
            AnswerError::NotJson(_) => failed(format!("GET {shown}: {e}")),
            AnswerError::Invalid(message) => failed(message),
        })
    }

    /// The target's digest over `buckets` buckets.
    pub async fn digest(&self, buckets: u32) -> Result<Digest> {
        match self {
            Remote::Http { .. } => {
                let path = format!("/sync/digest?kind=user&buckets={buckets}");
                self.get(&path, |body| readback::parse_digest(body, buckets)).await
            }
            Remote::Redis { .. } => {
                let mut digest = Digest::new(buckets);
                self.scan(|id, version| {
                    digest.add(id, version);
                })
                .await?;
                Ok(digest)
            }
        }
    }

    /// Every record in the given buckets (of `buckets`).
    pub async fn records_in(&self, wanted: &[u32], buckets: u32) -> Result<Vec<VersionedId>> {
        match self {
            Remote::Http { .. } => {
                use futures_util::{StreamExt, TryStreamExt};
                let pages: Vec<readback::RecordsPage> = futures_util::stream::iter(wanted.iter().copied())
                    .map(|b| async move {
                        let path = format!("/sync/records?kind=user&bucket={b}&buckets={buckets}");
                        self.get(&path, readback::parse_records).await
                    })
                    .buffer_unordered(4)
                    .try_collect()
                    .await?;
                Ok(pages
                    .into_iter()
                    .flat_map(|(items, _)| items)
                    .map(|(id, version)| VersionedId { id, version })
                    .collect())
            }
            Remote::Redis { .. } => {
                let set: std::collections::HashSet<u32> = wanted.iter().copied().collect();
                let mut out = Vec::new();
                self.scan(|id, version| {
                    if set.contains(&bucket_of(id, buckets)) {
                        out.push(VersionedId { id: id.to_owned(), version });
                    }
                })
                .await?;
                Ok(out)
            }
        }
    }

    /// One page of records after `cursor` (HTTP targets).
    pub async fn page(&self, cursor: Option<&str>, limit: u32) -> Result<(Vec<VersionedId>, Option<String>)> {
        let mut query = format!("/sync/records?kind=user&limit={limit}");
        if let Some(cursor) = cursor {
            query.push_str("&cursor=");
            query.push_str(&encode_component(cursor));
        }
        let (items, next_cursor) = self.get(&query, readback::parse_records).await?;
        Ok((items.into_iter().map(|(id, version)| VersionedId { id, version }).collect(), next_cursor))
    }

    /// Visit every record of a Redis target: SCAN its key prefix, MGET the
    /// values, read their `version` (0 when unreadable, so it shows as stale).
    async fn scan(&self, mut visit: impl FnMut(&str, u64)) -> Result<()> {
        let Remote::Redis { drivers, url, prefix, bytes } = self else {
            return Err(failed("not a Redis target"));
        };
        let redis_err = |e: redis::RedisError| failed(format!("redis: {e}"));
        let mut conn = drivers.connection(url).await.map_err(redis_err)?;
        let pattern = format!("{}*", escape_glob(prefix));
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(REDIS_BATCH)
                .query_async(&mut conn)
                .await
                .map_err(redis_err)?;
            let keys: Vec<String> = keys.into_iter().filter(|k| !k.starts_with(TOMBSTONE_PREFIX)).collect();
            if !keys.is_empty() {
                let values: Vec<Option<Vec<u8>>> =
                    redis::cmd("MGET").arg(&keys).query_async(&mut conn).await.map_err(redis_err)?;
                for (key, value) in keys.iter().zip(values) {
                    // Expired or deleted between SCAN and MGET.
                    let Some(value) = value else { continue };
                    bytes.fetch_add((key.len() + value.len()) as u64, Ordering::Relaxed);
                    #[derive(serde::Deserialize)]
                    struct Versioned {
                        version: Option<u64>,
                    }
                    let version = serde_json::from_slice::<Versioned>(&value).ok().and_then(|v| v.version).unwrap_or(0);
                    visit(&key[prefix.len()..], version);
                }
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }
}

/// The request target as sent on the request line, which a read-back
/// signature covers: the URL's path, and `?` and its raw query if any.
fn request_target(url: &reqwest::Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// Escape Redis glob characters in a literal prefix.
fn escape_glob(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len());
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str, base: Option<&str>) -> TargetRow {
        TargetRow {
            id: "t".into(),
            name: "t".into(),
            kind: TargetKind::Http,
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
            read_back: plat_proto::ReadBack { supported: true, base_url: base.map(str::to_owned) },
            rules: Default::default(),
            compiled: None,
            batch: Default::default(),
            backfill: None,
            circuit: plat_domain::retry::Circuit::closed(),
            last_success_at: None,
            circuit_version: 0,
            last_error: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn the_read_back_base_drops_the_last_path_segment() {
        assert_eq!(base_url(&target("http://svc:8001/hooks/plat", None)), "http://svc:8001/hooks");
        assert_eq!(base_url(&target("http://svc:8001/plat?x=1", None)), "http://svc:8001");
        assert_eq!(base_url(&target("http://svc:8001/", None)), "http://svc:8001");
        assert_eq!(base_url(&target("http://svc:8001/hooks/plat", Some("http://other/api/"))), "http://other/api");
    }

    #[test]
    fn redis_globs_are_escaped() {
        assert_eq!(escape_glob("a*b[c]"), "a\\*b\\[c\\]");
    }

    #[test]
    fn the_signed_request_target_is_the_path_and_raw_query() {
        let target = |url: &str| request_target(&reqwest::Url::parse(url).expect("url"));
        assert_eq!(
            target("http://u:p@svc:8001/hooks/sync/digest?kind=user&buckets=64"),
            "/hooks/sync/digest?kind=user&buckets=64"
        );
        assert_eq!(
            target(&format!("http://svc/sync/records?kind=user&limit=5&cursor={}", encode_component("a b"))),
            "/sync/records?kind=user&limit=5&cursor=a%20b"
        );
        assert_eq!(target("http://svc:8001/sync/digest"), "/sync/digest");
        assert_eq!(target("http://svc/api/v1/../sync/digest?x=1#frag"), "/api/sync/digest?x=1");
    }
}
