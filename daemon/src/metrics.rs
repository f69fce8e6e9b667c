//! Prometheus metrics: request counts and latency by route, login failures,
//! lockouts, tokens issued, sync, checks and the registry.

use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;

pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram>,
    pub login_failures: Counter,
    pub lockouts: Counter,
    pub tokens_issued: Family<Labels, Counter>,
    pub sync: plat_sync::SyncMetrics,
    pub checks: CheckMetrics,
    pub services: RegistryMetrics,
    #[cfg(feature = "kubernetes")]
    pub controller: plat_controller::Metrics,
}

/// The registry as of the last scrape: set from the hub and the prober's
/// counters when `/metrics` is read, so they cost nothing in between.
pub struct RegistryMetrics {
    instances: Family<Labels, Gauge>,
    violations: Family<Labels, Gauge>,
    services: Gauge,
    leader: Gauge,
    lag: Gauge<f64, std::sync::atomic::AtomicU64>,
    probes: Counter,
    probe_failures: Counter,
    removed: Counter,
}

impl RegistryMetrics {
    fn new(registry: &mut Registry) -> RegistryMetrics {
        let metrics = RegistryMetrics {
            instances: Family::default(),
            violations: Family::default(),
            services: Gauge::default(),
            leader: Gauge::default(),
            lag: Gauge::default(),
            probes: Counter::default(),
            probe_failures: Counter::default(),
            removed: Counter::default(),
        };
        registry.register(
            "registry_instances",
            "Instances by service and status (passing, warning, critical)",
            metrics.instances.clone(),
        );
        registry.register("registry_services", "Registered services", metrics.services.clone());
        registry.register(
            "registry_layering_violations",
            "Dependency edges of a service that break the layering rule (not in the baseline)",
            metrics.violations.clone(),
        );
        registry.register("registry_prober_leader", "1 when this replica runs the prober", metrics.leader.clone());
        registry.register(
            "registry_prober_lag_seconds",
            "How late the last probe started against its schedule",
            metrics.lag.clone(),
        );
        registry.register("registry_probes", "Probes run by this replica", metrics.probes.clone());
        registry.register("registry_probe_failures", "Probes that failed or warned", metrics.probe_failures.clone());
        registry.register(
            "registry_heartbeat_removals",
            "Heart-beating instances removed after their TTL",
            metrics.removed.clone(),
        );
        metrics
    }

    /// Take the hub's and the prober's state as of now.
    pub fn observe(&self, hub: &plat_registry::Hub, prober: &plat_registry::ProberStats) {
        use std::sync::atomic::Ordering::Relaxed;
        let services = hub.list();
        self.services.set(services.len() as i64);
        self.instances.clear();
        self.violations.clear();
        for snapshot in &services {
            let service = format!("{}/{}", snapshot.row.namespace, snapshot.row.name);
            let violations = snapshot.row.layering.iter().filter(|v| !v.accepted).count();
            self.violations.get_or_create(&vec![("service".to_owned(), service.clone())]).set(violations as i64);
            for status in ["passing", "warning", "critical"] {
                let n = snapshot.instances.iter().filter(|i| i.instance.status.as_str() == status).count();
                let labels = vec![("service".to_owned(), service.clone()), ("status".to_owned(), status.to_owned())];
                self.instances.get_or_create(&labels).set(n as i64);
            }
        }
        self.leader.set(i64::from(prober.leader.load(Relaxed)));
        self.lag.set(prober.lag_ms.load(Relaxed) as f64 / 1000.0);
        // Counters only move forward: add what the prober counted since.
        let catch_up = |counter: &Counter, total: u64| counter.inc_by(total.saturating_sub(counter.get()));
        catch_up(&self.probes, prober.probes.load(Relaxed));
        catch_up(&self.probe_failures, prober.failures.load(Relaxed));
        catch_up(&self.removed, prober.removed.load(Relaxed));
    }
}

/// The last check of each target: findings by kind, duration, when.
#[derive(Clone)]
pub struct CheckMetrics {
    findings: Family<Labels, Gauge>,
    duration: Family<Labels, Gauge<f64, std::sync::atomic::AtomicU64>>,
    finished: Family<Labels, Gauge>,
    runs: Family<Labels, Counter>,
}

impl CheckMetrics {
    fn new(registry: &mut Registry) -> CheckMetrics {
        let metrics = CheckMetrics {
            findings: Family::default(),
            duration: Family::default(),
            finished: Family::default(),
            runs: Family::default(),
        };
        registry.register("check_findings", "Findings of the last check by target and kind", metrics.findings.clone());
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
        self.duration.get_or_create(&target).set(report.duration_ms.unwrap_or(0) as f64 / 1000.0);
        self.finished.get_or_create(&target).set(time::OffsetDateTime::now_utc().unix_timestamp());
        let mut labels = target;
        labels.push(("status".to_owned(), report.status.as_str().to_owned()));
        self.runs.get_or_create(&labels).inc();
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("plat");
        let requests = Family::<Labels, Counter>::default();
        let latency =
            Family::<Labels, Histogram>::new_with_constructor(|| Histogram::new(exponential_buckets(0.0001, 2.5, 14)));
        let login_failures = Counter::default();
        let lockouts = Counter::default();
        let tokens_issued = Family::<Labels, Counter>::default();
        registry.register("http_requests", "HTTP requests by method, route and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by method and route", latency.clone());
        registry.register("login_failures", "Failed logins and client-credential grants", login_failures.clone());
        registry.register("lockouts", "Accounts locked after repeated failures", lockouts.clone());
        registry.register("tokens_issued", "Access tokens issued by kind", tokens_issued.clone());
        let sync = plat_sync::SyncMetrics::new(&mut registry);
        let checks = CheckMetrics::new(&mut registry);
        let registry_metrics = RegistryMetrics::new(&mut registry);
        #[cfg(feature = "kubernetes")]
        let controller = plat_controller::Metrics::new(&mut registry);
        Metrics {
            registry,
            requests,
            latency,
            login_failures,
            lockouts,
            tokens_issued,
            sync,
            checks,
            services: registry_metrics,
            #[cfg(feature = "kubernetes")]
            controller,
        }
    }

    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let labels = vec![("method".to_owned(), method.to_owned()), ("route".to_owned(), route.to_owned())];
        self.latency.get_or_create(&labels).observe(elapsed.as_secs_f64());
        let mut with_status = labels;
        with_status.push(("status".to_owned(), status.to_string()));
        self.requests.get_or_create(&with_status).inc();
    }

    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        encode(&mut out, &self.registry)?;
        Ok(out)
    }
}
