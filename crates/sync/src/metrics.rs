//! The sync engine's Prometheus series, registered on the daemon's registry.

use std::time::Duration;

use plat_domain::retry::Verdict;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;

/// The sync engine's metrics, cloned into the engine.
#[derive(Clone)]
pub struct SyncMetrics {
    /// Attempts by target and outcome (`delivered`, `retry`, `dead`, `gone`).
    attempts: Family<Labels, Counter>,
    /// From the event's commit to the target's acknowledgement, by target.
    latency: Family<Labels, Histogram>,
    /// How long one request took (one event, or one batch), by target.
    attempt_duration: Family<Labels, Histogram>,
    /// Requests sent (one event, or one batch), by target.
    requests: Family<Labels, Counter>,
}

impl SyncMetrics {
    /// Register the series (`plat_sync_*` under the `plat` prefix).
    pub fn new(registry: &mut Registry) -> SyncMetrics {
        let attempts = Family::<Labels, Counter>::default();
        let latency =
            Family::<Labels, Histogram>::new_with_constructor(|| Histogram::new(exponential_buckets(0.001, 2.0, 18)));
        let attempt_duration =
            Family::<Labels, Histogram>::new_with_constructor(|| Histogram::new(exponential_buckets(0.0001, 2.5, 14)));
        registry.register("sync_attempts", "Sync delivery attempts by target and outcome", attempts.clone());
        registry.register(
            "sync_delivery_latency_seconds",
            "Commit-to-delivery latency of delivered sync tasks by target",
            latency.clone(),
        );
        registry.register(
            "sync_attempt_duration_seconds",
            "Duration of one sync delivery request (one event, or one batch) by target",
            attempt_duration.clone(),
        );
        let requests = Family::<Labels, Counter>::default();
        registry.register(
            "sync_requests",
            "Sync delivery requests (one event, or one batch of events) by target",
            requests.clone(),
        );
        SyncMetrics { attempts, latency, attempt_duration, requests }
    }

    /// One request to a target, whatever it carried.
    pub fn observe_request(&self, target: &str, took: Duration) {
        let by_target = vec![("target".to_owned(), target.to_owned())];
        self.attempt_duration.get_or_create(&by_target).observe(took.as_secs_f64());
        self.requests.get_or_create(&by_target).inc();
    }

    /// One task's attempt: its outcome, and its latency when delivered.
    pub fn observe(&self, target: &str, verdict: Verdict, since_commit_ms: i64) {
        let outcome = verdict.as_str();
        let by_target = vec![("target".to_owned(), target.to_owned())];
        if outcome == "delivered" {
            self.latency.get_or_create(&by_target).observe(since_commit_ms.max(0) as f64 / 1000.0);
        }
        let mut labels = by_target;
        labels.push(("outcome".to_owned(), outcome.to_owned()));
        self.attempts.get_or_create(&labels).inc();
    }
}
