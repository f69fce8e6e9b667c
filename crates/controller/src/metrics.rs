//! The controller's Prometheus series, registered on the daemon's registry
//! under `plat_controller_*`. Labels are bounded: an outcome or an error
//! reason, never a resource name.

use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, &'static str)>;

/// Cheap to clone: every clone counts into the same series.
#[derive(Clone)]
pub struct Metrics {
    reconciles: Family<Labels, Counter>,
    errors: Family<Labels, Counter>,
    duration: Histogram,
    leader: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            reconciles: Family::default(),
            errors: Family::default(),
            duration: Histogram::new(exponential_buckets(0.001, 2.0, 14)),
            leader: Gauge::default(),
        }
    }
}

impl Metrics {
    /// Metrics registered on `registry` (with the `controller` prefix).
    pub fn new(registry: &mut Registry) -> Metrics {
        let metrics = Metrics::default();
        let sub = registry.sub_registry_with_prefix("controller");
        sub.register("reconciles", "ServiceRegistration reconciles by outcome (ok, error)", metrics.reconciles.clone());
        sub.register(
            "reconcile_errors",
            "Failed reconciles by reason (kubernetes, plat, plat_unavailable, finalizer); each is retried with backoff",
            metrics.errors.clone(),
        );
        sub.register_with_unit(
            "reconcile_duration",
            "Time one reconcile takes",
            prometheus_client::registry::Unit::Seconds,
            metrics.duration.clone(),
        );
        sub.register("leader", "1 while this replica holds the controller's Lease", metrics.leader.clone());
        metrics
    }

    pub(crate) fn reconciled(&self, took: Duration) {
        self.reconciles.get_or_create(&vec![("outcome", "ok")]).inc();
        self.duration.observe(took.as_secs_f64());
    }

    pub(crate) fn failed(&self, reason: &'static str, took: Duration) {
        self.reconciles.get_or_create(&vec![("outcome", "error")]).inc();
        self.errors.get_or_create(&vec![("reason", reason)]).inc();
        self.duration.observe(took.as_secs_f64());
    }

    pub(crate) fn set_leader(&self, leading: bool) {
        self.leader.set(i64::from(leading));
    }

    /// Reconciles so far: (succeeded, failed).
    pub fn counts(&self) -> (u64, u64) {
        let get = |outcome| self.reconciles.get_or_create(&vec![("outcome", outcome)]).get();
        (get("ok"), get("error"))
    }

    /// Failed reconciles of one reason so far.
    pub fn errors(&self, reason: &'static str) -> u64 {
        self.errors.get_or_create(&vec![("reason", reason)]).get()
    }
}
