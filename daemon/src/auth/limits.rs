//! In-memory guards: the per-IP limit on failed attempts and the set of
//! revoked token ids (refreshed from the store so replicas converge).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts failed logins/grants per client IP in a fixed window. Only failures
/// count, so a busy service making many successful grants is never slowed.
pub struct IpLimiter {
    max_failures: u32,
    window: Duration,
    entries: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl IpLimiter {
    pub fn new(max_failures: u32, window: Duration) -> IpLimiter {
        IpLimiter { max_failures, window, entries: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, (u32, Instant)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Seconds to wait when the IP is over its limit.
    pub fn blocked(&self, ip: IpAddr) -> Option<u64> {
        let entries = self.lock();
        let (count, started) = entries.get(&ip)?;
        let elapsed = started.elapsed();
        (*count >= self.max_failures && elapsed < self.window).then(|| (self.window - elapsed).as_secs().max(1))
    }

    pub fn record_failure(&self, ip: IpAddr) {
        let mut entries = self.lock();
        if entries.len() > 100_000 {
            let window = self.window;
            entries.retain(|_, (_, started)| started.elapsed() < window);
        }
        let entry = entries.entry(ip).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= self.window {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }
}

/// How far back each pull of revocations reads before the newest it has seen.
const OVERLAP_MS: i64 = 60_000;

/// Revoked jtis, and ended sessions (`sid:` + id in the store), until
/// their tokens expire (unix ms).
#[derive(Default)]
pub struct RevokedSet {
    inner: Mutex<Revoked>,
}

#[derive(Default)]
struct Revoked {
    jtis: HashMap<String, i64>,
    sessions: HashMap<String, i64>,
    /// The newest revocation pulled from the store.
    last: i64,
}

impl Revoked {
    fn insert(&mut self, key: String, expires_at: i64) {
        match key.strip_prefix(plat_store::SID_PREFIX) {
            Some(sid) => self.sessions.insert(sid.to_owned(), expires_at),
            None => self.jtis.insert(key, expires_at),
        };
    }
}

impl RevokedSet {
    pub fn contains(&self, jti: &str) -> bool {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).jtis.contains_key(jti)
    }

    /// Whether the session `sid` has been ended (docs/sessions.md).
    pub fn session_ended(&self, sid: &str) -> bool {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).sessions.contains_key(sid)
    }

    /// Refuse a jti, or with [`plat_store::SID_PREFIX`] a session, until `expires_at`.
    pub fn insert(&self, key: String, expires_at: i64) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).insert(key, expires_at);
    }

    /// Pull revocations made since the last sync (by any replica) and drop expired ones.
    pub async fn sync(&self, store: &plat_store::Store) -> plat_store::Result<()> {
        let since = self.inner.lock().unwrap_or_else(|p| p.into_inner()).last;
        // A revocation is stamped inside its transaction, before the commit
        // makes it visible: read back far enough that a slow commit (up to
        // a request's time bound) is not missed. Re-reading is cheap.
        let fresh = store.revoked_since(since.saturating_sub(OVERLAP_MS)).await?;
        let now = plat_store::now_ms();
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        for (key, expires_at, revoked_at) in fresh {
            guard.last = guard.last.max(revoked_at);
            guard.insert(key, expires_at);
        }
        guard.jtis.retain(|_, exp| *exp > now);
        guard.sessions.retain(|_, exp| *exp > now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_limit_blocks_after_failures_only() {
        let limiter = IpLimiter::new(3, Duration::from_secs(60));
        let ip: IpAddr = "127.0.0.1".parse().expect("ip");
        assert!(limiter.blocked(ip).is_none());
        for _ in 0..3 {
            limiter.record_failure(ip);
        }
        assert!(limiter.blocked(ip).is_some_and(|s| (1..=60).contains(&s)));
        assert!(limiter.blocked("127.0.0.2".parse().expect("ip")).is_none());
    }
}
