//! `http`: `POST {url}` with the event (or a JSON array of a batch), signed
//! with Standard Webhooks headers; read back over the read-back protocol
//! (docs/read-back.md), each request signed with the same secret.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use plat_domain::Invalid;
use plat_domain::delivery;
use plat_domain::readback::{self, AnswerError, Digest, encode_component};
use plat_domain::trace::TraceContext;
use plat_proto::TargetKind;
use plat_store::{TargetRow, VersionedId};
use tracing::Instrument;

use super::{
    Attempt, BoxFuture, Delivery, Kind, Page, ReadBackError, ReadBackSupport, Reader, ReaderCtx, check_options,
    describe, failed,
};
use crate::Drivers;

/// The answer kept with an attempt is cut to this many bytes.
pub const RESPONSE_LIMIT: usize = 4096;

pub struct Http;

impl Kind for Http {
    fn kind(&self) -> TargetKind {
        TargetKind::Http
    }

    fn validate_url(&self, url: &str) -> Result<(), Invalid> {
        if url.is_empty() {
            return Err(Invalid::new("url", "is required"));
        }
        plat_domain::validate_url("url", url)
    }

    fn validate_options(&self, options: &serde_json::Map<String, serde_json::Value>) -> Result<(), Invalid> {
        check_options(self.kind(), &[], options)
    }

    fn signs(&self) -> bool {
        true
    }

    fn read_back(&self) -> ReadBackSupport {
        ReadBackSupport::Optional { default: false, over_http: true }
    }

    fn forwards_ids(&self) -> bool {
        true
    }

    fn deliver<'a>(&'a self, drivers: &'a Drivers, d: Delivery<'a>) -> BoxFuture<'a, Attempt> {
        Box::pin(async move {
            let mut headers: Vec<(&str, String)> = Vec::new();
            if let Some(ids) = d.ids {
                // Who made the change: a single event's, never one event's for a batch.
                if !d.batch {
                    if let Some(rid) = ids.metadata.get("request_id").and_then(|v| v.as_str()) {
                        headers.push(("x-request-id", rid.to_owned()));
                    }
                    if let Some(cid) = &ids.correlation_id {
                        headers.push(("x-correlation-id", cid.clone()));
                    }
                }
                // The receiver continues the trace from this delivery's span.
                if let Some(hop) = d.hop {
                    headers.push(("traceparent", hop.header()));
                    if let Some(state) = ids.tracestate() {
                        headers.push(("tracestate", state.to_owned()));
                    }
                }
            }
            let (msg_id, body) = if d.batch {
                headers.push(("x-plat-batch-size", d.envs.len().to_string()));
                let mut body = Vec::with_capacity(d.envs.iter().map(|e| e.payload.len() + 1).sum::<usize>() + 2);
                body.push(b'[');
                for (i, e) in d.envs.iter().enumerate() {
                    if i > 0 {
                        body.push(b',');
                    }
                    body.extend_from_slice(e.payload.as_bytes());
                }
                body.push(b']');
                (delivery::batch_id(d.envs.iter().map(|e| e.event_id)), body)
            } else {
                (d.envs[0].event_id.to_owned(), d.envs[0].payload.as_bytes().to_vec())
            };
            post(drivers.http(), d.target, d.key, (&msg_id, body), headers, d.timeout).await
        })
    }

    fn reader(&self, target: &TargetRow, ctx: ReaderCtx) -> Result<Box<dyn Reader>, String> {
        let key = match ctx.drivers.target_key(target) {
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
        Ok(Box::new(HttpReader {
            client: ctx.drivers.http().clone(),
            base: base_url(target),
            key,
            timeout: ctx.timeout,
            bytes: Arc::new(AtomicU64::new(0)),
            trace: ctx.trace,
        }))
    }
}

async fn post(
    client: &reqwest::Client,
    target: &TargetRow,
    key: Option<&[u8]>,
    (msg_id, body): (&str, Vec<u8>),
    headers: Vec<(&str, String)>,
    timeout: Duration,
) -> Attempt {
    let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut request = client
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
        delivery::Outcome::Delivered => None,
        _ => Some(format!("HTTP {status}")),
    };
    Attempt { outcome, status_code: Some(status), error, response: text, retry_after }
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

/// A copy read over the read-back protocol.
struct HttpReader {
    client: reqwest::Client,
    base: String,
    /// The HMAC key of the target's secret, which signs every request.
    key: Vec<u8>,
    timeout: Duration,
    bytes: Arc<AtomicU64>,
    /// The check's trace: each request is a child span (`traceparent`).
    trace: TraceContext,
}

impl HttpReader {
    /// `GET {base}{path_and_query}`, signed, its body read by `parse`;
    /// errors show the URL without its credentials.
    async fn get<T>(
        &self,
        path_and_query: &str,
        parse: impl FnOnce(&[u8]) -> Result<T, AnswerError>,
    ) -> Result<T, ReadBackError> {
        let url = format!("{}{path_and_query}", self.base);
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
        let hop = plat_telemetry::continue_trace(&span, Some(&self.trace), None)
            .unwrap_or_else(|| self.trace.child(plat_telemetry::span_id()));
        let response = self
            .client
            .get(parsed)
            .timeout(self.timeout)
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", delivery::sign(&self.key, &id, timestamp, &payload))
            .header("traceparent", hop.header())
            .send()
            .instrument(span)
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    failed(format!("GET {shown}: no answer within {}", plat_domain::format_duration(self.timeout)))
                } else {
                    failed(format!("GET {shown}: {}", describe(&e)))
                }
            })?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| failed(format!("GET {shown}: {}", describe(&e))))?;
        self.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
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
}

impl Reader for HttpReader {
    fn local(&self) -> bool {
        false
    }

    fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    fn digest(&self, buckets: u32) -> BoxFuture<'_, Result<Digest, ReadBackError>> {
        Box::pin(async move {
            let path = format!("/sync/digest?kind=user&buckets={buckets}");
            self.get(&path, |body| readback::parse_digest(body, buckets)).await
        })
    }

    fn records_in<'a>(
        &'a self,
        wanted: &'a [u32],
        buckets: u32,
    ) -> BoxFuture<'a, Result<Vec<VersionedId>, ReadBackError>> {
        Box::pin(async move {
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
        })
    }

    fn page<'a>(&'a self, cursor: Option<&'a str>, limit: u32) -> BoxFuture<'a, Result<Page, ReadBackError>> {
        Box::pin(async move {
            let mut query = format!("/sync/records?kind=user&limit={limit}");
            if let Some(cursor) = cursor {
                query.push_str("&cursor=");
                query.push_str(&encode_component(cursor));
            }
            let (items, next_cursor) = self.get(&query, readback::parse_records).await?;
            Ok((items.into_iter().map(|(id, version)| VersionedId { id, version }).collect(), next_cursor))
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_answers_are_cut_at_a_character_boundary() {
        let text = "é".repeat(3000);
        let cut = truncate_utf8(text.as_bytes());
        assert!(cut.len() <= RESPONSE_LIMIT);
        assert!(cut.chars().all(|c| c == 'é'));
    }

    #[test]
    fn urls_and_options_are_checked() {
        assert!(Http.validate_url("http://127.0.0.1:9000/hooks").is_ok());
        assert!(Http.validate_url("redis://x").is_err());
        assert!(Http.validate_url("").is_err());
        let opts = |v: serde_json::Value| v.as_object().cloned().unwrap_or_default();
        assert!(Http.validate_options(&opts(serde_json::json!({"stream": "s"}))).is_err());
        assert!(Http.validate_options(&opts(serde_json::json!({}))).is_ok());
    }

    fn target(url: &str, base: Option<&str>) -> TargetRow {
        let mut row = super::super::tests::target(TargetKind::Http, url);
        row.read_back = plat_proto::ReadBack { supported: true, base_url: base.map(str::to_owned) };
        row
    }

    #[test]
    fn the_read_back_base_drops_the_last_path_segment() {
        assert_eq!(base_url(&target("http://svc:8001/hooks/plat", None)), "http://svc:8001/hooks");
        assert_eq!(base_url(&target("http://svc:8001/plat?x=1", None)), "http://svc:8001");
        assert_eq!(base_url(&target("http://svc:8001/", None)), "http://svc:8001");
        assert_eq!(base_url(&target("http://svc:8001/hooks/plat", Some("http://other/api/"))), "http://other/api");
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
