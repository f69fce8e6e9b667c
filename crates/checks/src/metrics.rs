//! The checks' series (docs/metrics.md, "Checks"), registered in the
//! daemon's registry and set after each target's check.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;

/// The last check of each target: findings by kind, duration, when.
#[derive(Clone)]
pub struct CheckMetrics {
    findings: Family<Labels, Gauge>,
    repaired: Family<Labels, Gauge>,
    duration: Family<Labels, Gauge<f64, std::sync::atomic::AtomicU64>>,
    finished: Family<Labels, Gauge>,
    runs: Family<Labels, Counter>,
}

impl CheckMetrics {
    pub fn new(registry: &mut Registry) -> CheckMetrics {
        let metrics = CheckMetrics {
            findings: Family::default(),
            repaired: Family::default(),
            duration: Family::default(),
            finished: Family::default(),
            runs: Family::default(),
        };
        registry.register("check_findings", "Findings of the last check by target and kind", metrics.findings.clone());
        registry.register(
            "check_repaired",
            "Records the last check of a target repaired (repair tasks queued, or plat's own rows fixed)",
            metrics.repaired.clone(),
        );
        registry.register("check_duration_seconds", "Duration of the last check by target", metrics.duration.clone());
        registry.register(
            "check_last_run_timestamp_seconds",
            "When the last check of a target ended (unix seconds)",
            metrics.finished.clone(),
        );
        registry.register("check_runs", "Checks of a target by status", metrics.runs.clone());
        metrics
    }

    pub fn observe(&self, report: &plat_proto::CheckTarget) {
        let target = vec![("target".to_owned(), report.target.clone())];
        let counts = &report.counts;
        for (kind, n) in [
            ("missing", counts.missing),
            ("orphan", counts.orphan),
            ("stale", counts.stale),
            ("internal", counts.internal),
        ] {
            let mut labels = target.clone();
            labels.push(("kind".to_owned(), kind.to_owned()));
            self.findings.get_or_create(&labels).set(n as i64);
        }
        self.repaired.get_or_create(&target).set(counts.repaired as i64);
        self.duration.get_or_create(&target).set(report.duration_ms.unwrap_or(0) as f64 / 1000.0);
        self.finished.get_or_create(&target).set(plat_store::now_ms() / 1000);
        let mut labels = target;
        labels.push(("status".to_owned(), report.status.as_str().to_owned()));
        self.runs.get_or_create(&labels).inc();
    }
}
