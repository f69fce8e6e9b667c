//! What this replica may reuse of what permission checks read, and for how
//! long (`docs/permissions.md`, "What a check costs").
//!
//! Every change of what a check reads — roles, custom roles, roles on
//! organizations, memberships, the tree, whether an account may act — is an
//! event whose catalog row says `authority`, and writing one raises the
//! stored authority generation in the change's transaction
//! (`plat_store::watch_authority`). [`Authority`] is this replica's view of
//! it: an epoch that moves when a request here made such a change (once it
//! committed) or when the poll sees the stored generation move. A cached
//! entry is used only at the epoch it was read in, and only while the last
//! poll began less than the bound ago: a change committed through another
//! replica is never honoured past the bound after its commit, even when the
//! poll is late or the database is unreachable (then nothing is reused).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// This replica's view of the authority generation.
pub struct Authority {
    bound: Duration,
    started: Instant,
    epoch: AtomicU64,
    /// The stored generation the last poll saw (-1: none yet).
    seen: AtomicI64,
    /// Microseconds after `started` until which cached entries may be used.
    fresh_until: AtomicU64,
}

impl Authority {
    /// `bound`: how long after a change through another replica its effect
    /// may still be missed here (`auth.subject_cache_ttl`); zero reuses
    /// nothing.
    pub fn new(bound: Duration) -> Authority {
        Authority {
            bound,
            started: Instant::now(),
            epoch: AtomicU64::new(0),
            seen: AtomicI64::new(-1),
            fresh_until: AtomicU64::new(0),
        }
    }

    fn now_us(&self) -> u64 {
        self.started.elapsed().as_micros() as u64
    }

    /// The epoch to read and stamp entries with, or `None` when nothing may
    /// be reused now (the bound has passed since the last poll began).
    pub fn stamp(&self) -> Option<u64> {
        let epoch = self.epoch.load(Ordering::Acquire);
        (self.now_us() < self.fresh_until.load(Ordering::Acquire)).then_some(epoch)
    }

    /// A request here changed what checks read (and has committed it).
    pub fn changed_here(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Read the stored generation: a move drops every entry; entries may
    /// then be used until the bound after this poll began.
    pub async fn poll(&self, store: &plat_store::Store) -> Result<(), plat_store::StoreError> {
        if self.bound.is_zero() {
            return Ok(());
        }
        let began = self.now_us();
        let generation = store.authority_generation().await?;
        if self.seen.swap(generation, Ordering::AcqRel) != generation {
            self.epoch.fetch_add(1, Ordering::AcqRel);
        }
        let until = began + self.bound.as_micros() as u64;
        self.fresh_until.fetch_max(until, Ordering::AcqRel);
        Ok(())
    }

    /// How often to poll: a few times per bound, so entries stay usable.
    pub fn poll_every(&self) -> Duration {
        (self.bound / 4).max(Duration::from_millis(10))
    }
}

/// Entries read at an epoch of [`Authority`]: used at that epoch only.
pub struct Cache<K, V> {
    entries: Mutex<HashMap<K, (u64, V)>>,
    cap: usize,
}

impl<K: Hash + Eq, V: Clone> Cache<K, V> {
    pub fn new(cap: usize) -> Cache<K, V> {
        Cache { entries: Mutex::new(HashMap::new()), cap }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, (u64, V)>> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The entry for `key`, if it was read at `stamp`.
    pub fn get(&self, key: &K, stamp: Option<u64>) -> Option<V> {
        let stamp = stamp?;
        self.lock().get(key).filter(|(at, _)| *at == stamp).map(|(_, value)| value.clone())
    }

    /// Keep `value`, read at `stamp` (taken before reading it).
    pub fn put(&self, key: K, value: V, stamp: Option<u64>) {
        let Some(stamp) = stamp else { return };
        let mut entries = self.lock();
        if entries.len() >= self.cap {
            entries.retain(|_, (at, _)| *at == stamp);
            if entries.len() >= self.cap {
                entries.clear();
            }
        }
        entries.insert(key, (stamp, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_reused_before_a_poll_or_at_another_epoch() {
        let authority = Authority::new(Duration::from_secs(60));
        assert_eq!(authority.stamp(), None, "no poll yet");
        authority.fresh_until.store(u64::MAX, Ordering::Release);
        let cache = Cache::new(2);
        let stamp = authority.stamp();
        cache.put("a", 1, stamp);
        assert_eq!(cache.get(&"a", authority.stamp()), Some(1));
        authority.changed_here();
        assert_eq!(cache.get(&"a", authority.stamp()), None, "a change here drops it");
        cache.put("a", 2, stamp);
        assert_eq!(cache.get(&"a", authority.stamp()), None, "read before the change: never used after it");
    }

    #[test]
    fn the_bound_runs_from_the_last_poll() {
        let authority = Authority::new(Duration::from_millis(1));
        authority.fresh_until.store(authority.now_us() + 1_000, Ordering::Release);
        assert!(authority.stamp().is_some());
        std::thread::sleep(Duration::from_millis(3));
        assert_eq!(authority.stamp(), None, "a late poll reuses nothing");
    }
}
