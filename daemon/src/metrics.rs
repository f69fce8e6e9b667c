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
    /// The standard `process_*` series, which carry no prefix.
    process: Registry,
    process_gauges: ProcessMetrics,
    pub ops: OpsMetrics,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram>,
    pub login_failures: Counter,
    pub lockouts: Counter,
    pub tokens_issued: Family<Labels, Counter>,
    logins: Family<Labels, Counter>,
    /// One counter per outcome of [`TOKEN_OUTCOMES`], made once: a token
    /// check is the hottest path there is.
    token_checks: Vec<(&'static str, Counter)>,
    pub sync: plat_sync::SyncMetrics,
    pub checks: plat_checks::CheckMetrics,
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
                let n = snapshot.instances.values().filter(|i| i.instance.status.as_str() == status).count();
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

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// What a token check can end in (`plat_token_checks_total{outcome}`).
pub const TOKEN_OUTCOMES: [&str; 9] = [
    "active",
    "expired",
    "invalid",
    "revoked",
    "session_ended",
    "subject_deleted",
    "user_disabled",
    "tenant_suspended",
    "unavailable",
];

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("plat");
        let requests = Family::<Labels, Counter>::default();
        let latency =
            Family::<Labels, Histogram>::new_with_constructor(|| Histogram::new(exponential_buckets(0.0001, 2.5, 14)));
        let login_failures = Counter::default();
        let lockouts = Counter::default();
        let tokens_issued = Family::<Labels, Counter>::default();
        let logins = Family::<Labels, Counter>::default();
        registry.register("http_requests", "HTTP requests by method, route and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by method and route", latency.clone());
        registry.register("login_failures", "Failed logins and client-credential grants", login_failures.clone());
        registry.register("lockouts", "Accounts locked after repeated failures", lockouts.clone());
        registry.register("tokens_issued", "Access tokens issued by kind", tokens_issued.clone());
        registry.register(
            "logins",
            "Password logins by outcome (success, invalid_credentials, locked, rate_limited, disabled, suspended)",
            logins.clone(),
        );
        let checks_family = Family::<Labels, Counter>::default();
        registry.register(
            "token_checks",
            "Bearer tokens, /auth/verify and /oauth2/introspect checks by outcome (docs/metrics.md)",
            checks_family.clone(),
        );
        let token_checks = TOKEN_OUTCOMES
            .iter()
            .map(|&o| (o, checks_family.get_or_create(&vec![("outcome".to_owned(), o.to_owned())]).clone()))
            .collect();
        let sync = plat_sync::SyncMetrics::new(&mut registry);
        let checks = plat_checks::CheckMetrics::new(&mut registry);
        let registry_metrics = RegistryMetrics::new(&mut registry);
        let ops = OpsMetrics::new(&mut registry);
        let mut process = Registry::default();
        let process_gauges = ProcessMetrics::new(&mut process);
        #[cfg(feature = "kubernetes")]
        let controller = plat_controller::Metrics::new(&mut registry);
        Metrics {
            registry,
            process,
            process_gauges,
            ops,
            requests,
            latency,
            login_failures,
            lockouts,
            tokens_issued,
            logins,
            token_checks,
            sync,
            checks,
            services: registry_metrics,
            #[cfg(feature = "kubernetes")]
            controller,
        }
    }

    /// One password login's outcome (a bounded set of reasons).
    pub fn login(&self, outcome: &'static str) {
        self.logins.get_or_create(&vec![("outcome".to_owned(), outcome.to_owned())]).inc();
    }

    /// One token check's outcome, one of [`TOKEN_OUTCOMES`].
    pub fn token_check(&self, outcome: &'static str) {
        if let Some((_, counter)) = self.token_checks.iter().find(|(o, _)| *o == outcome) {
            counter.inc();
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
        self.process_gauges.observe();
        let mut out = String::new();
        encode(&mut out, &self.process)?;
        // One exposition: the first part's `# EOF` would end it early.
        if let Some(stripped) = out.strip_suffix("# EOF\n") {
            out.truncate(stripped.len());
        }
        encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// The same exposition in Prometheus' classic text format (0.0.4), for
/// scrapers that do not ask for OpenMetrics (and `promtool check metrics`):
/// a counter family is named with its `_total` suffix there, and `# UNIT`
/// and `# EOF` do not exist.
pub fn classic_text(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        }
        let meta = ["# HELP ", "# TYPE "].into_iter().find_map(|p| line.strip_prefix(p).map(|rest| (p, rest)));
        match meta {
            Some((prefix, rest)) => {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                let suffix = if counters.contains(name) { "_total" } else { "" };
                out.push_str(&format!("{prefix}{name}{suffix} {tail}\n"));
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

type FloatGauge = Gauge<f64, std::sync::atomic::AtomicU64>;

fn target_label(target: &str) -> Labels {
    vec![("target".to_owned(), target.to_owned())]
}

/// What an on-call asks of a running platd (docs/metrics.md): per target
/// backlog, age of the oldest due task, dead letters, circuit and state;
/// the database and its pools; who leads; the build. Set at scrape time
/// from the store's counters, so they cost nothing in between and agree on
/// every replica.
pub struct OpsMetrics {
    backlog: Family<Labels, Gauge>,
    in_flight: Family<Labels, Gauge>,
    dead: Family<Labels, Gauge>,
    oldest_due: Family<Labels, FloatGauge>,
    circuit: Family<Labels, Gauge>,
    target_state: Family<Labels, Gauge>,
    database_up: Gauge,
    pool_connections: Family<Labels, Gauge>,
    pool_max: Family<Labels, Gauge>,
    pool_timeouts: Counter,
    leader: Family<Labels, Gauge>,
}

impl OpsMetrics {
    fn new(registry: &mut Registry) -> OpsMetrics {
        let metrics = OpsMetrics {
            backlog: Family::default(),
            in_flight: Family::default(),
            dead: Family::default(),
            oldest_due: Family::default(),
            circuit: Family::default(),
            target_state: Family::default(),
            database_up: Gauge::default(),
            pool_connections: Family::default(),
            pool_max: Family::default(),
            pool_timeouts: Counter::default(),
            leader: Family::default(),
        };
        registry.register(
            "sync_backlog_tasks",
            "Open sync tasks (pending, failed, in flight) by target",
            metrics.backlog.clone(),
        );
        registry.register("sync_in_flight_tasks", "Sync tasks being delivered by target", metrics.in_flight.clone());
        registry.register("sync_dead_letter_tasks", "Tasks in the dead-letter queue by target", metrics.dead.clone());
        registry.register(
            "sync_oldest_due_task_age_seconds",
            "How long the oldest due task of a target has waited to be delivered (0: none due)",
            metrics.oldest_due.clone(),
        );
        registry.register(
            "sync_circuit_state",
            "A target's stored circuit: 0 closed, 1 half open, 2 open",
            metrics.circuit.clone(),
        );
        registry.register(
            "sync_target_state",
            "1 for a target's state (active, paused, disabled), by target and state",
            metrics.target_state.clone(),
        );
        registry.register("database_up", "1 when the last scrape could read the database", metrics.database_up.clone());
        registry.register(
            "database_pool_connections",
            "Open database connections by pool and state (idle, in_use)",
            metrics.pool_connections.clone(),
        );
        registry.register("database_pool_max_connections", "Largest size of a pool", metrics.pool_max.clone());
        registry.register(
            "database_pool_timeouts",
            "Requests for a connection that waited database.acquire_timeout in vain",
            metrics.pool_timeouts.clone(),
        );
        registry.register(
            "leader",
            "1 when this replica holds the lease (scheduler, registry-prober)",
            metrics.leader.clone(),
        );
        let build = Family::<Labels, Gauge>::default();
        build.get_or_create(&vec![("version".to_owned(), env!("CARGO_PKG_VERSION").to_owned())]).set(1);
        registry.register("build_info", "The running build: 1, labelled by version", build);
        metrics
    }

    /// Read the store's gauges (bounded by `timeout`) and the pools and leases.
    pub async fn observe(&self, state: &crate::AppState, timeout: Duration) {
        for pool in state.store.pool_gauges() {
            let at = |s: &str| vec![("pool".to_owned(), pool.pool.to_owned()), ("state".to_owned(), s.to_owned())];
            self.pool_connections.get_or_create(&at("idle")).set(i64::from(pool.idle));
            self.pool_connections.get_or_create(&at("in_use")).set(i64::from(pool.size.saturating_sub(pool.idle)));
            self.pool_max.get_or_create(&vec![("pool".to_owned(), pool.pool.to_owned())]).set(i64::from(pool.max));
        }
        // The store counts; the counter catches up (it only grows).
        self.pool_timeouts.inc_by(plat_store::pool_timeouts().saturating_sub(self.pool_timeouts.get()));
        for (lease, elector) in
            [(crate::leader::SCHEDULER, &state.scheduler), (crate::leader::PROBER, &state.prober_lease)]
        {
            self.leader
                .get_or_create(&vec![("lease".to_owned(), lease.to_owned())])
                .set(i64::from(elector.is_leader()));
        }
        let gauges = match tokio::time::timeout(timeout, state.store.queue_gauges()).await {
            Ok(Ok(gauges)) => gauges,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "metrics: cannot read the sync queue");
                self.database_up.set(0);
                return;
            }
            Err(_) => {
                tracing::warn!("metrics: the sync queue did not answer in time");
                self.database_up.set(0);
                return;
            }
        };
        self.database_up.set(1);
        // Targets come and go: start from nothing so a removed one disappears.
        for family in [&self.backlog, &self.in_flight, &self.dead, &self.circuit, &self.target_state] {
            family.clear();
        }
        self.oldest_due.clear();
        for g in gauges {
            let target = target_label(&g.target);
            self.backlog.get_or_create(&target).set(g.backlog as i64);
            self.in_flight.get_or_create(&target).set(g.in_flight as i64);
            self.dead.get_or_create(&target).set(g.dead as i64);
            self.oldest_due.get_or_create(&target).set(g.oldest_due_ms.max(0) as f64 / 1000.0);
            let circuit = match g.circuit {
                plat_proto::CircuitState::Closed => 0,
                plat_proto::CircuitState::HalfOpen => 1,
                plat_proto::CircuitState::Open => 2,
            };
            self.circuit.get_or_create(&target).set(circuit);
            for state in
                [plat_proto::TargetState::Active, plat_proto::TargetState::Paused, plat_proto::TargetState::Disabled]
            {
                let mut labels = target.clone();
                labels.push(("state".to_owned(), format!("{state:?}").to_lowercase()));
                self.target_state.get_or_create(&labels).set(i64::from(g.state == state));
            }
        }
    }
}

/// The standard process series (CPU, memory, file descriptors, start
/// time), read from `/proc/self` at scrape time; absent off Linux.
struct ProcessMetrics {
    cpu_seconds: FloatGauge,
    resident: Gauge,
    virtual_memory: Gauge,
    open_fds: Gauge,
    max_fds: Gauge,
    start_time: FloatGauge,
}

/// Linux reports process times in USER_HZ ticks, 100 per second on every
/// architecture's user-space ABI.
const TICKS_PER_SECOND: f64 = 100.0;

impl ProcessMetrics {
    fn new(registry: &mut Registry) -> ProcessMetrics {
        let metrics = ProcessMetrics {
            cpu_seconds: FloatGauge::default(),
            resident: Gauge::default(),
            virtual_memory: Gauge::default(),
            open_fds: Gauge::default(),
            max_fds: Gauge::default(),
            start_time: FloatGauge::default(),
        };
        registry.register("process_resident_memory_bytes", "Resident memory size in bytes", metrics.resident.clone());
        registry.register(
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes",
            metrics.virtual_memory.clone(),
        );
        registry.register("process_open_fds", "Number of open file descriptors", metrics.open_fds.clone());
        registry.register("process_max_fds", "Maximum number of open file descriptors", metrics.max_fds.clone());
        registry.register(
            "process_start_time_seconds",
            "Start time of the process since the unix epoch in seconds",
            metrics.start_time.clone(),
        );
        registry.register_with_unit(
            "process_cpu",
            "Total user and system CPU time spent in seconds",
            prometheus_client::registry::Unit::Seconds,
            CpuCounter(metrics.cpu_seconds.clone()),
        );
        metrics
    }

    fn observe(&self) {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let kib = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse::<i64>().ok())
                .map(|n| n * 1024)
        };
        if let Some(bytes) = kib("VmRSS:") {
            self.resident.set(bytes);
        }
        if let Some(bytes) = kib("VmSize:") {
            self.virtual_memory.set(bytes);
        }
        if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
            self.open_fds.set(entries.count() as i64);
        }
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
        if let Some(max) = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .and_then(|l| l.split_whitespace().nth(3))
            .and_then(|n| n.parse::<i64>().ok())
        {
            self.max_fds.set(max);
        }
        // /proc/self/stat: the fields after the parenthesised command name.
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let fields: Vec<&str> =
            stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
        let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<f64>().ok());
        if let (Some(user), Some(system)) = (field(14), field(15)) {
            self.cpu_seconds.set((user + system) / TICKS_PER_SECOND);
        }
        let boot = std::fs::read_to_string("/proc/stat")
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("btime ").and_then(|n| n.trim().parse::<f64>().ok()));
        if let (Some(boot), Some(start)) = (boot, field(22)) {
            self.start_time.set(boot + start / TICKS_PER_SECOND);
        }
    }
}

/// The CPU time as a counter (it only grows), read from the gauge the
/// scrape just set.
#[derive(Debug)]
struct CpuCounter(FloatGauge);

impl prometheus_client::encoding::EncodeMetric for CpuCounter {
    fn encode(&self, mut encoder: prometheus_client::encoding::MetricEncoder) -> Result<(), std::fmt::Error> {
        encoder.encode_counter::<prometheus_client::encoding::NoLabelSet, _, u64>(&self.0.get(), None)
    }

    fn metric_type(&self) -> prometheus_client::metrics::MetricType {
        prometheus_client::metrics::MetricType::Counter
    }
}
