//! `redis`: the aggregate's snapshot `SET` at `{key_prefix}{id}` (default
//! `{kind}:{id}`), version-guarded by a script, `DEL` with a tombstone on
//! delete; read back directly (SCAN, and the `version` of each snapshot).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use plat_domain::Invalid;
use plat_domain::readback::{Digest, bucket_of};
use plat_proto::TargetKind;
use plat_store::{TargetRow, VersionedId};

use super::{
    Attempt, BoxFuture, Delivery, Kind, OptionType, Page, ReadBackError, ReadBackSupport, Reader, ReaderCtx,
    check_options, failed,
};
use crate::Drivers;

/// How long a Redis deletion tombstone keeps stale versions from recreating a key.
const TOMBSTONE_TTL_MS: u64 = 7 * 24 * 3600 * 1000;
/// Keys of Redis deletion tombstones, never records.
const TOMBSTONE_PREFIX: &str = "plat:tombstone:";
/// Keys per SCAN step and per MGET.
const REDIS_BATCH: usize = 1000;

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

pub struct Redis;

/// The scripts, hashed once.
fn scripts() -> &'static (redis::Script, redis::Script) {
    static SCRIPTS: std::sync::OnceLock<(redis::Script, redis::Script)> = std::sync::OnceLock::new();
    SCRIPTS.get_or_init(|| (redis::Script::new(SET_LUA), redis::Script::new(DEL_LUA)))
}

/// A `redis://` URL that names a host.
pub(super) fn validate_redis_url(url: &str) -> Result<(), Invalid> {
    if url.is_empty() {
        return Err(Invalid::new("url", "is required"));
    }
    plat_domain::validate_text("url", url, 2048)?;
    let rest = url
        .strip_prefix("redis://")
        .ok_or_else(|| Invalid::new("url", "must be a redis:// URL (redis://host:6379/0)"))?;
    if rest.is_empty() || rest.starts_with('/') || url.contains(char::is_whitespace) {
        return Err(Invalid::new("url", "must name a host: redis://host:6379/0"));
    }
    Ok(())
}

/// Run `write` on a shared connection within the delivery's timeout.
pub(super) async fn within(
    drivers: &Drivers,
    d: &Delivery<'_>,
    write: impl AsyncFnOnce(&mut redis::aio::ConnectionManager) -> redis::RedisResult<()>,
) -> Attempt {
    let attempt = async {
        let mut conn = drivers.connection(&d.target.url).await?;
        write(&mut conn).await
    };
    match tokio::time::timeout(d.timeout, attempt).await {
        Ok(Ok(())) => Attempt::delivered(None, None),
        Ok(Err(e)) => Attempt::failed(format!("redis: {e}")),
        Err(_) => Attempt::failed(format!("redis: no answer within {}", plat_domain::format_duration(d.timeout))),
    }
}

impl Kind for Redis {
    fn kind(&self) -> TargetKind {
        TargetKind::Redis
    }

    fn validate_url(&self, url: &str) -> Result<(), Invalid> {
        validate_redis_url(url)
    }

    fn validate_options(&self, options: &serde_json::Map<String, serde_json::Value>) -> Result<(), Invalid> {
        let known = [("key_prefix", OptionType::Name { non_empty: false }), ("ttl", OptionType::Duration)];
        check_options(self.kind(), &known, options)
    }

    fn read_back(&self) -> ReadBackSupport {
        ReadBackSupport::Optional { default: true, over_http: false }
    }

    /// One command for a single event, a pipeline for a batch (each write
    /// version-guarded on its own, so the pipeline need not be atomic).
    fn deliver<'a>(&'a self, drivers: &'a Drivers, d: Delivery<'a>) -> BoxFuture<'a, Attempt> {
        Box::pin(async move {
            let ttl_ms = d
                .target
                .options
                .get("ttl")
                .and_then(|v| v.as_str())
                .and_then(|t| plat_domain::parse_duration("ttl", t).ok())
                .map(|dur| dur.as_millis() as u64)
                .unwrap_or(0);
            let (set, del) = scripts();
            let mut invocations = Vec::with_capacity(d.envs.len());
            for env in d.envs {
                let key = redis_key(d.target, env.aggregate_kind, env.aggregate_id);
                let tombstone = format!("{TOMBSTONE_PREFIX}{key}");
                let repair = if env.repair { "1" } else { "0" };
                let deleted = env.event_type.ends_with(".deleted");
                let mut invocation = if deleted { del } else { set }.prepare_invoke();
                invocation.key(&key).key(&tombstone).arg(env.aggregate_version);
                if deleted {
                    invocation.arg(TOMBSTONE_TTL_MS);
                } else {
                    match snapshot(env.payload, env.aggregate_version) {
                        Ok(value) => invocation.arg(value).arg(ttl_ms),
                        // Never `null` written in its place: the task fails as it is.
                        Err(e) => return Attempt::refused(format!("event {} is not JSON: {e}", env.event_id)),
                    };
                }
                invocation.arg(repair);
                invocations.push(invocation);
            }
            within(drivers, &d, async |conn| {
                if let [one] = invocations.as_slice() {
                    // One event: EVALSHA, loading the script only when Redis lacks it.
                    let _: i64 = one.invoke_async(conn).await?;
                    return Ok(());
                }
                // A pipeline does not load scripts on NOSCRIPT: load both first (cheap when loaded).
                let mut pipe = redis::pipe();
                pipe.load_script(set).ignore().load_script(del).ignore();
                for invocation in &invocations {
                    pipe.invoke_script(invocation).ignore();
                }
                pipe.query_async::<()>(conn).await
            })
            .await
        })
    }

    /// `PING`.
    fn ping<'a>(&'a self, drivers: &'a Drivers, d: Delivery<'a>) -> BoxFuture<'a, Attempt> {
        Box::pin(async move {
            let ping = async {
                let mut conn = drivers.connection(&d.target.url).await?;
                redis::cmd("PING").query_async::<String>(&mut conn).await
            };
            match tokio::time::timeout(d.timeout, ping).await {
                Ok(Ok(answer)) => Attempt::delivered(None, Some(answer)),
                Ok(Err(e)) => Attempt::failed(format!("redis: {e}")),
                Err(_) => Attempt::failed("redis: no answer in time"),
            }
        })
    }

    fn reader(&self, target: &TargetRow, ctx: ReaderCtx) -> Result<Box<dyn Reader>, String> {
        Ok(Box::new(RedisReader {
            prefix: redis_key(target, "user", ""),
            url: target.url.clone(),
            drivers: ctx.drivers,
            bytes: Arc::new(AtomicU64::new(0)),
        }))
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
fn snapshot(payload: &str, version: i64) -> Result<String, serde_json::Error> {
    #[derive(serde::Deserialize)]
    struct Data {
        #[serde(default)]
        data: serde_json::Value,
    }
    let mut data = serde_json::from_str::<Data>(payload)?.data;
    if let Some(obj) = data.as_object_mut() {
        obj.insert("version".into(), version.into());
    }
    Ok(data.to_string())
}

/// A Redis keyspace, read whole.
struct RedisReader {
    drivers: Arc<Drivers>,
    url: String,
    prefix: String,
    bytes: Arc<AtomicU64>,
}

impl RedisReader {
    /// Visit every record: SCAN the key prefix, MGET the values, read their
    /// `version` (0 when unreadable, so it shows as stale).
    async fn scan(&self, mut visit: impl FnMut(&str, u64)) -> Result<(), ReadBackError> {
        let redis_err = |e: redis::RedisError| failed(format!("redis: {e}"));
        let mut conn = self.drivers.connection(&self.url).await.map_err(redis_err)?;
        let pattern = format!("{}*", escape_glob(&self.prefix));
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
                    self.bytes.fetch_add((key.len() + value.len()) as u64, Ordering::Relaxed);
                    #[derive(serde::Deserialize)]
                    struct Versioned {
                        version: Option<u64>,
                    }
                    let version = serde_json::from_slice::<Versioned>(&value).ok().and_then(|v| v.version).unwrap_or(0);
                    visit(&key[self.prefix.len()..], version);
                }
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }
}

impl Reader for RedisReader {
    fn local(&self) -> bool {
        true
    }

    fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    fn digest(&self, buckets: u32) -> BoxFuture<'_, Result<Digest, ReadBackError>> {
        Box::pin(async move {
            let mut digest = Digest::new(buckets);
            self.scan(|id, version| digest.add(id, version)).await?;
            Ok(digest)
        })
    }

    fn records_in<'a>(
        &'a self,
        wanted: &'a [u32],
        buckets: u32,
    ) -> BoxFuture<'a, Result<Vec<VersionedId>, ReadBackError>> {
        Box::pin(async move {
            let set: std::collections::HashSet<u32> = wanted.iter().copied().collect();
            let mut out = Vec::new();
            self.scan(|id, version| {
                if set.contains(&bucket_of(id, buckets)) {
                    out.push(VersionedId { id: id.to_owned(), version });
                }
            })
            .await?;
            Ok(out)
        })
    }

    fn page<'a>(&'a self, _cursor: Option<&'a str>, _limit: u32) -> BoxFuture<'a, Result<Page, ReadBackError>> {
        Box::pin(async { Err(failed("a Redis target is read whole, not in pages")) })
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

    #[test]
    fn redis_values_carry_the_aggregate_version() {
        let payload = r#"{"id":"evt_1","data":{"id":"u1","username":"alice"}}"#;
        let value: serde_json::Value = serde_json::from_str(&snapshot(payload, 7).expect("json")).expect("value");
        assert_eq!(value["version"], 7);
        assert_eq!(value["username"], "alice");
        assert!(snapshot("not json", 7).is_err(), "an unparseable event is an error, never null");
    }

    #[test]
    fn redis_globs_are_escaped() {
        assert_eq!(escape_glob("a*b[c]"), "a\\*b\\[c\\]");
    }

    #[test]
    fn urls_and_options_are_checked() {
        assert!(Redis.validate_url("redis://127.0.0.1:6379/0").is_ok());
        assert!(Redis.validate_url("http://x").is_err());
        assert!(Redis.validate_url("redis:///0").is_err());
        let opts = |v: serde_json::Value| v.as_object().cloned().unwrap_or_default();
        assert!(Redis.validate_options(&opts(serde_json::json!({"key_prefix": "u:", "ttl": "24h"}))).is_ok());
        assert!(Redis.validate_options(&opts(serde_json::json!({"ttl": "10"}))).is_err());
        assert!(Redis.validate_options(&opts(serde_json::json!({"ttl": "10ms"}))).is_err());
        assert!(Redis.validate_options(&opts(serde_json::json!({"stream": "s"}))).is_err());
    }
}
