//! Delivery rules of the sync engine, as pure functions: Standard Webhooks
//! signatures (<https://www.standardwebhooks.com>) of deliveries and of
//! read-back requests, what an HTTP answer means for a delivery, exponential
//! backoff with full jitter, `Retry-After`.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::Invalid;

type HmacSha256 = Hmac<Sha256>;

/// The prefix of a Standard Webhooks secret; the rest is base64 of the key.
pub const SECRET_PREFIX: &str = "whsec_";

/// The HMAC key of a `whsec_...` secret.
pub fn parse_secret(field: &str, secret: &str) -> Result<Vec<u8>, Invalid> {
    let encoded = secret
        .strip_prefix(SECRET_PREFIX)
        .ok_or_else(|| Invalid::new(field, format!("must start with {SECRET_PREFIX}")))?;
    let key = B64.decode(encoded).map_err(|_| Invalid::new(field, "must be whsec_ followed by base64"))?;
    if !(24..=64).contains(&key.len()) {
        return Err(Invalid::new(field, "the key must be 24 to 64 bytes"));
    }
    Ok(key)
}

/// A `whsec_` secret for `key` (32 random bytes, from the caller).
pub fn format_secret(key: &[u8]) -> String {
    format!("{SECRET_PREFIX}{}", B64.encode(key))
}

/// The `webhook-signature` value: `v1,` and base64 of HMAC-SHA256 over
/// `{msg_id}.{timestamp}.{body}`. `body` is a delivery's body, or
/// [`read_back_payload`] for a read-back request.
pub fn sign(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = mac(key, msg_id, timestamp, body).finalize().into_bytes();
    format!("v1,{}", B64.encode(tag))
}

fn mac(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// What a read-back request (`GET {base}/sync/...`, which has no body) signs
/// in place of a body: `{METHOD} {path_and_query}`, the method and the
/// request target exactly as sent on the request line (the URL's path, and
/// `?` and its raw query when it has one). [`sign`] and [`verify`] then work
/// as for a delivery, so the signed string is
/// `{webhook-id}.{webhook-timestamp}.GET /sync/digest?kind=user&buckets=64`.
pub fn read_back_payload(method: &str, path_and_query: &str) -> Vec<u8> {
    format!("{method} {path_and_query}").into_bytes()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("webhook-timestamp is missing or not a number")]
    BadTimestamp,
    #[error("webhook-timestamp is too far from now")]
    TooOld,
    #[error("no webhook-signature matches")]
    NoMatch,
}

/// Check a delivery as a receiver: the timestamp within `tolerance_secs` of
/// `now`, and one of the space-separated `v1,` signatures valid (compared in
/// constant time).
pub fn verify(
    key: &[u8],
    msg_id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let ts: i64 = timestamp.trim().parse().map_err(|_| SignatureError::BadTimestamp)?;
    if (now - ts).abs() > tolerance_secs {
        return Err(SignatureError::TooOld);
    }
    for candidate in signatures.split_whitespace() {
        let Some(encoded) = candidate.strip_prefix("v1,") else { continue };
        let Ok(tag) = B64.decode(encoded) else { continue };
        if mac(key, msg_id, ts, body).verify_slice(&tag).is_ok() {
            return Ok(());
        }
    }
    Err(SignatureError::NoMatch)
}

/// What an HTTP answer means for a delivery (CONTRACT §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx.
    Delivered,
    /// 408, 429, 5xx: try again later (honouring `Retry-After`).
    Retry,
    /// Any other answer: the target will not take this event; dead-letter it.
    Permanent,
    /// 410: dead-letter it and disable the target.
    Gone,
}

pub fn classify(status: u16) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered,
        408 | 429 | 500..=599 => Outcome::Retry,
        410 => Outcome::Gone,
        _ => Outcome::Permanent,
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not used by webhook
/// receivers in practice and is ignored), capped at `cap`.
pub fn retry_after(value: &str, cap: Duration) -> Option<Duration> {
    let secs: u64 = value.trim().parse().ok()?;
    Some(Duration::from_secs(secs).min(cap))
}

/// Event subscriptions: `*`, `user.*`, exact names; lower case, digits,
/// `.`, `_` and `*`, at most 100 characters each, 1 to 50 patterns.
pub fn validate_event_patterns(events: &[String]) -> Result<(), Invalid> {
    if events.is_empty() || events.len() > 50 {
        return Err(Invalid::new("events", "give 1 to 50 event patterns (user.*, *, user.created)"));
    }
    for pattern in events {
        crate::validate_glob("events", pattern)?;
        let ok = pattern.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._*".contains(&b));
        if !ok {
            return Err(Invalid::new(
                "events",
                format!("{pattern:?} is not an event pattern: use lower-case names with '.', '_' and '*' (user.*)"),
            ));
        }
    }
    Ok(())
}

/// A target's batch settings: 1 to 1,000 events and 1 KiB to 16 MiB per request.
pub fn validate_batch(batch: &plat_proto::TargetBatch) -> Result<(), Invalid> {
    if !(1..=plat_proto::limits::BATCH_EVENTS).contains(&batch.max_events) {
        return Err(Invalid::new("batch.max_events", "must be between 1 and 1000"));
    }
    if !(1024..=plat_proto::limits::BATCH_BYTES).contains(&batch.max_bytes) {
        return Err(Invalid::new("batch.max_bytes", "must be between 1024 (1 KiB) and 16777216 (16 MiB)"));
    }
    Ok(())
}

/// Split events of the given body sizes, in order, into requests of at most
/// `max_events` events and `max_bytes` bytes (the JSON array's brackets and
/// commas counted); an event larger than `max_bytes` goes alone.
pub fn plan_batches(sizes: &[usize], max_events: usize, max_bytes: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 2);
    for (i, size) in sizes.iter().enumerate() {
        let count = i - start;
        let grown = bytes + size + usize::from(count > 0);
        if count > 0 && (count >= max_events.max(1) || grown > max_bytes) {
            out.push(start..i);
            (start, bytes) = (i, 2 + size);
        } else {
            bytes = grown;
        }
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
}

/// The `webhook-id` of a batch: `batch_` and 32 hex digits of SHA-256 over
/// its event ids, so a retry of the same events repeats the id.
pub fn batch_id<'a>(event_ids: impl IntoIterator<Item = &'a str>) -> String {
    use sha2::Digest;
    let mut hash = Sha256::new();
    for id in event_ids {
        hash.update(id.as_bytes());
        hash.update(b"\n");
    }
    let digest = hash.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("batch_{hex}")
}

/// Per-delivery timeout: 100 ms to 5 minutes.
pub fn validate_timeout(text: &str) -> Result<Duration, Invalid> {
    let timeout = crate::parse_duration("timeout", text)?;
    if timeout < Duration::from_millis(100) || timeout > Duration::from_secs(300) {
        return Err(Invalid::new("timeout", "must be between 100ms and 5m"));
    }
    Ok(timeout)
}

/// `max_attempts` 1–100 and `concurrency` 1–256.
pub fn validate_limits(max_attempts: Option<u32>, concurrency: Option<u32>) -> Result<(), Invalid> {
    if max_attempts.is_some_and(|n| !(1..=100).contains(&n)) {
        return Err(Invalid::new("max_attempts", "must be between 1 and 100"));
    }
    if concurrency.is_some_and(|n| !(1..=256).contains(&n)) {
        return Err(Invalid::new("concurrency", "must be between 1 and 256"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_keep_order_and_respect_both_limits() {
        assert_eq!(plan_batches(&[], 10, 1000), Vec::<std::ops::Range<usize>>::new());
        assert_eq!(plan_batches(&[10; 5], 2, 1000), vec![0..2, 2..4, 4..5]);
        // [a,b] is 2 + 10 + 1 + 10 = 23 bytes; a third would make 34.
        assert_eq!(plan_batches(&[10; 5], 100, 23), vec![0..2, 2..4, 4..5]);
        assert_eq!(plan_batches(&[10; 5], 100, 22), vec![0..1, 1..2, 2..3, 3..4, 4..5]);
        // An event larger than the limit goes alone, and the next starts afresh.
        assert_eq!(plan_batches(&[5, 500, 5, 5], 100, 100), vec![0..1, 1..2, 2..4]);
        assert_eq!(plan_batches(&[10; 3], 1, 1000), vec![0..1, 1..2, 2..3]);
        assert_eq!(plan_batches(&[10; 3], 0, 1000), vec![0..1, 1..2, 2..3]);
    }

    #[test]
    fn a_batch_id_follows_its_events() {
        let a = batch_id(["evt_1", "evt_2"]);
        assert_eq!(a, batch_id(["evt_1", "evt_2"]));
        assert_ne!(a, batch_id(["evt_2", "evt_1"]));
        assert_ne!(a, batch_id(["evt_1evt_2"]));
        assert!(a.starts_with("batch_") && a.len() == 6 + 32);
    }

    #[test]
    fn batch_settings_are_checked() {
        use plat_proto::TargetBatch;
        assert!(validate_batch(&TargetBatch::default()).is_ok());
        assert!(validate_batch(&TargetBatch { max_events: 1000, max_bytes: 16 << 20 }).is_ok());
        assert_eq!(
            validate_batch(&TargetBatch { max_events: 0, max_bytes: 4096 }).map_err(|e| e.field),
            Err("batch.max_events".to_owned())
        );
        assert!(validate_batch(&TargetBatch { max_events: 1001, max_bytes: 4096 }).is_err());
        assert!(validate_batch(&TargetBatch { max_events: 10, max_bytes: 1023 }).is_err());
        assert!(validate_batch(&TargetBatch { max_events: 10, max_bytes: (16 << 20) + 1 }).is_err());
    }

    #[test]
    fn target_settings_are_checked() {
        assert!(validate_event_patterns(&["user.*".into(), "*".into(), "user.status_changed".into()]).is_ok());
        assert!(validate_event_patterns(&[]).is_err());
        assert!(validate_event_patterns(&["User.*".into()]).is_err());
        assert!(validate_timeout("5s").is_ok());
        assert!(validate_timeout("10m").is_err());
        assert!(validate_limits(Some(0), None).is_err());
        assert!(validate_limits(Some(12), Some(16)).is_ok());
    }

    /// The test vector published with the Standard Webhooks specification.
    #[test]
    fn signs_the_specification_test_vector() {
        let key = parse_secret("secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
        let body = br#"{"test": 2432232314}"#;
        let signature = sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let verify_at = |now, sigs: &str, body: &[u8]| {
            verify(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", sigs, body, now, 300)
        };
        assert_eq!(verify_at(1614265330, &format!("v1,bm9wZQ== {signature}"), body), Ok(()));
        assert_eq!(verify_at(1614265330 + 301, &signature, body), Err(SignatureError::TooOld));
        assert_eq!(verify_at(1614265330, &signature, br#"{"test": 1}"#), Err(SignatureError::NoMatch));
        assert_eq!(verify_at(1614265330, "v2,abc", body), Err(SignatureError::NoMatch));
        assert_eq!(verify(&key, "m", "soon", &signature, body, 0, 300), Err(SignatureError::BadTimestamp));
    }

    /// The read-back vectors of docs/read-back.md ("Authentication"),
    /// computed with Python's `hmac`, independently of this code.
    #[test]
    fn read_back_requests_sign_their_method_and_path() {
        let key = parse_secret("secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
        let vectors = [
            (
                "rb_0193a7c27e1a7c3e9f00000000000001",
                1700000000,
                "GET",
                "/sync/digest?kind=user&buckets=64",
                "v1,zWaHXqGbtqTmNuNX08m6FWqmncjAYw2ztzHNW2l/H4A=",
            ),
            (
                "rb_0193a7c27e1a7c3e9f00000000000001",
                1700000000,
                "GET",
                "/hooks/sync/records?kind=user&bucket=7&buckets=64",
                "v1,DdzQG4QI1bvWugLaXbd9WWJ/jAROZZzor7Qq6I0Wzu4=",
            ),
            (
                "rb_0193a7c27e1a7c3e9f00000000000002",
                1700000300,
                "GET",
                "/sync/records?kind=user&limit=5000&cursor=0193a7c2-7e1a-7c3e-9f00-000000000002",
                "v1,peHkzcahFTM7fmTUON3+srwr7LBCGGbr5CN/xp8/yN0=",
            ),
        ];
        for (id, timestamp, method, path, expected) in vectors {
            let payload = read_back_payload(method, path);
            assert_eq!(payload, format!("{method} {path}").into_bytes());
            assert_eq!(sign(&key, id, timestamp, &payload), expected, "{path}");
            let check = |method: &str, path: &str, now: i64| {
                verify(&key, id, &timestamp.to_string(), expected, &read_back_payload(method, path), now, 300)
            };
            assert_eq!(check(method, path, timestamp), Ok(()), "{path}");
            assert_eq!(check(method, path, timestamp + 301), Err(SignatureError::TooOld), "{path}");
            assert_eq!(check("POST", path, timestamp), Err(SignatureError::NoMatch), "{path}");
            assert_eq!(check(method, &format!("{path}&x=1"), timestamp), Err(SignatureError::NoMatch), "{path}");
        }
    }

    #[test]
    fn secrets_are_whsec_and_base64() {
        assert!(parse_secret("s", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(parse_secret("s", "whsec_!!!").is_err());
        assert!(parse_secret("s", "whsec_YWJj").is_err(), "3 bytes is too short");
        let key = [7u8; 32];
        assert_eq!(parse_secret("s", &format_secret(&key)).expect("round trip"), key);
    }

    #[test]
    fn answers_are_classified_as_the_contract_says() {
        assert_eq!(classify(200), Outcome::Delivered);
        assert_eq!(classify(204), Outcome::Delivered);
        for retry in [408, 429, 500, 502, 503, 504] {
            assert_eq!(classify(retry), Outcome::Retry, "{retry}");
        }
        for permanent in [301, 400, 401, 403, 404, 409, 422] {
            assert_eq!(classify(permanent), Outcome::Permanent, "{permanent}");
        }
        assert_eq!(classify(410), Outcome::Gone);
    }
}
