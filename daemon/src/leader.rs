//! One leader among the replicas for work that must run once: the holder
//! of a lease row (`Store::try_lease`, the same on SQLite and PostgreSQL),
//! renewed every third of its TTL.
//!
//! - A leader that dies (`kill -9`, lost network) stops renewing; another
//!   replica takes the lease within the TTL.
//! - A leader that stops cleanly releases the lease: the next renewal of
//!   another replica takes it at once.
//! - A leader that cannot reach the database steps down when its lease
//!   runs out by its own clock, so two replicas never both act as leader
//!   for longer than the clock skew between them.
//!
//! On SQLite there is one process, which always wins.

use std::time::{Duration, Instant};

use plat_store::Store;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Scheduled checks and retention.
pub const SCHEDULER: &str = "scheduler";
/// The registry's health prober.
pub const PROBER: &str = "registry-prober";

/// Candidacy for one lease: who leads is published on a watch channel.
pub struct Elector {
    lease: &'static str,
    holder: String,
    ttl: Duration,
    leading: watch::Sender<bool>,
}

impl Elector {
    pub fn new(lease: &'static str, holder: String, ttl: Duration) -> Elector {
        Elector { lease, holder, ttl, leading: watch::Sender::new(false) }
    }

    pub fn lease(&self) -> &'static str {
        self.lease
    }

    /// Whether this replica leads now.
    pub fn is_leader(&self) -> bool {
        *self.leading.borrow()
    }

    /// Follow the leadership: `true` while this replica leads.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.leading.subscribe()
    }

    /// Take and renew the lease until `shutdown`; then release it.
    pub async fn run(self: std::sync::Arc<Self>, store: Store, shutdown: CancellationToken) {
        let ttl_ms = self.ttl.as_millis() as i64;
        // The lease is ours until this instant by our own clock.
        let mut valid_until: Option<Instant> = None;
        loop {
            let asked = Instant::now();
            match store.try_lease(self.lease, &self.holder, ttl_ms).await {
                Ok(true) => valid_until = Some(asked + self.ttl),
                Ok(false) => valid_until = None,
                Err(e) => tracing::warn!(lease = self.lease, error = %e, "cannot renew the lease"),
            }
            let leading = valid_until.is_some_and(|until| Instant::now() < until);
            self.leading.send_if_modified(|was| {
                if *was == leading {
                    return false;
                }
                tracing::info!(lease = self.lease, holder = %self.holder, leading, "leadership changed");
                *was = leading;
                true
            });
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(self.ttl / 3) => {}
            }
        }
        if self.leading.send_replace(false)
            && let Err(e) = store.release_lease(self.lease, &self.holder).await
        {
            tracing::warn!(lease = self.lease, error = %e, "cannot release the lease");
        }
    }
}
