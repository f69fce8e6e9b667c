//! The health prober: on the replica that holds the `registry-prober` lease,
//! probes every registered endpoint on its own jittered schedule with
//! bounded concurrency (one task pool), damps flapping with each service's
//! thresholds (`plat_domain::registry::next_state`), writes verdicts in
//! batches, and turns silent heart-beating instances critical, then removes
//! them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use plat_domain::registry::{HealthState, ProbeOutcome, ProbeSettings, Thresholds, classify_probe, next_state};
use plat_proto::{HealthCheckKind, InstanceSource};
use plat_store::{Ctx, ProbeResult, Store, now_ms};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::hub::Hub;

/// Heart-beating instances removed per sweep (a second) at most: a mass
/// failure drains slowly, and the metric counts what went.
const MAX_REMOVALS_PER_SWEEP: u64 = 50;

/// Allowed beyond `beat_grace` for a flush's own time.
const FLUSH_MARGIN: Duration = Duration::from_millis(500);

#[derive(Debug, Clone)]
pub struct ProberConfig {
    /// Probes in flight at once.
    pub concurrency: usize,
    /// Heart-beating instances silent this long past their TTL are removed.
    pub remove_after: Duration,
    /// How late a replica may write a beat it took (`registry.heartbeat_flush`):
    /// allowed beyond each TTL before an instance turns critical.
    pub beat_grace: Duration,
}

/// What the prober reports to health and metrics.
#[derive(Debug, Default)]
pub struct ProberStats {
    pub leader: AtomicBool,
    pub probes: AtomicU64,
    pub failures: AtomicU64,
    /// How late the last probe started against its schedule (ms).
    pub lag_ms: AtomicU64,
    pub in_flight: AtomicU64,
    pub removed: AtomicU64,
}

type InstanceKey = (String, String);

struct Target {
    url: String,
    settings: ProbeSettings,
    state: HealthState,
    due: i64,
    busy: bool,
}

/// What the prober probes: every endpoint, and the idle ones by due time.
#[derive(Default)]
struct Plan {
    /// By service, then instance: a service's targets are one range.
    targets: BTreeMap<InstanceKey, Target>,
    /// `(due, key)` of every target not being probed right now.
    queue: BTreeSet<(i64, InstanceKey)>,
    /// The highest hub index looked at.
    seen_index: u64,
}

impl Plan {
    fn forget(&mut self, key: &InstanceKey) {
        if let Some(target) = self.targets.remove(key) {
            self.queue.remove(&(target.due, key.clone()));
        }
    }
}

/// Which services a reconcile reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Look {
    /// The first look: everything, each on its jittered phase.
    Start,
    /// After a change: only the services changed since the last look.
    Changed,
    /// Everything, to forget what is gone.
    Full,
}

struct Verdict {
    key: InstanceKey,
    outcome: ProbeOutcome,
    latency_ms: Option<f64>,
    started: i64,
}

pub struct Prober {
    store: Store,
    hub: Arc<Hub>,
    client: reqwest::Client,
    config: ProberConfig,
    pub stats: Arc<ProberStats>,
}

impl Prober {
    pub fn new(store: Store, hub: Arc<Hub>, config: ProberConfig) -> Result<Prober, reqwest::Error> {
        // Probes must see each endpoint as it is: no redirects followed, no proxies.
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).no_proxy().build()?;
        Ok(Prober { store, hub, client, config, stats: Arc::new(ProberStats::default()) })
    }

    fn ctx() -> Ctx {
        Ctx { actor: "prober".into(), ..Ctx::system() }
    }

    /// Probe while `leading` says this replica leads, until `cancel`.
    /// (The daemon's elector holds the `registry-prober` lease.)
    pub async fn run(self: Arc<Self>, mut leading: watch::Receiver<bool>, cancel: CancellationToken) {
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                led = leading.wait_for(|l| *l) => if led.is_err() { return },
            }
            tracing::info!("registry: this replica probes");
            self.stats.leader.store(true, Ordering::Relaxed);
            self.lead(&mut leading, &cancel).await;
            self.stats.leader.store(false, Ordering::Relaxed);
            if cancel.is_cancelled() {
                return;
            }
            tracing::warn!("registry: this replica no longer leads the prober");
        }
    }

    /// Probe until the leadership is lost or `cancel`.
    async fn lead(&self, leading: &mut watch::Receiver<bool>, cancel: &CancellationToken) {
        let mut plan = Plan::default();
        let mut changes = self.hub.subscribe();
        self.reconcile(&mut plan, Look::Start);
        let (tx, mut rx) = mpsc::channel::<Verdict>(1024);
        let mut pool = JoinSet::new();
        let mut batch: Vec<ProbeResult> = Vec::new();
        let mut sweep_at = tokio::time::Instant::now();
        let flush_every = Duration::from_millis(50);
        let mut flush_at = tokio::time::Instant::now() + flush_every;
        loop {
            let now = now_ms();
            // Start what is due, earliest first, up to the concurrency bound.
            while pool.len() < self.config.concurrency {
                let Some((scheduled, key)) = plan.queue.first().cloned().filter(|(due, _)| *due <= now) else { break };
                plan.queue.remove(&(scheduled, key.clone()));
                let Some(target) = plan.targets.get_mut(&key) else { continue };
                target.busy = true;
                self.stats.lag_ms.store(now.saturating_sub(scheduled).max(0) as u64, Ordering::Relaxed);
                pool.spawn(probe(self.client.clone(), key, target.url.clone(), target.settings.clone(), tx.clone()));
            }
            self.stats.in_flight.store(pool.len() as u64, Ordering::Relaxed);
            let next_due = plan.queue.first().map_or(now + 1000, |(due, _)| *due);
            let wake = tokio::time::Instant::now() + Duration::from_millis((next_due - now).clamp(1, 1000) as u64);
            let wake = wake.min(sweep_at).min(if batch.is_empty() { wake } else { flush_at });
            tokio::select! {
                _ = cancel.cancelled() => break,
                led = leading.changed() => if led.is_err() || !*leading.borrow() { break },
                Some(verdict) = rx.recv() => {
                    if let Some(result) = self.judge(&mut plan, verdict) {
                        batch.push(result);
                    }
                }
                Ok(()) = changes.changed() => self.reconcile(&mut plan, Look::Changed),
                Some(_) = pool.join_next(), if !pool.is_empty() => {}
                _ = tokio::time::sleep_until(wake) => {}
            }
            let instant = tokio::time::Instant::now();
            if !batch.is_empty() && (instant >= flush_at || batch.len() >= 500) {
                self.flush(&mut batch).await;
                flush_at = instant + flush_every;
            } else if batch.is_empty() {
                flush_at = instant + flush_every;
            }
            if instant >= sweep_at {
                self.sweep().await;
                // Removed services are forgotten here, not on every change.
                self.reconcile(&mut plan, Look::Full);
                sweep_at = instant + Duration::from_secs(1);
            }
        }
        pool.abort_all();
        self.flush(&mut batch).await;
    }

    /// Follow the hub. At the start every endpoint is scheduled on its
    /// jittered phase; after a change only the services that changed since
    /// the last look are read (their new endpoints probed at once, settings
    /// taken), so a registration costs the prober what it changed, not the
    /// whole registry; a full pass (every second) forgets removed ones.
    fn reconcile(&self, plan: &mut Plan, look: Look) {
        let now = now_ms();
        let full = look != Look::Changed;
        let mut seen: BTreeSet<InstanceKey> = BTreeSet::new();
        let since = plan.seen_index;
        let services = if full { self.hub.list() } else { self.hub.changed_since(since) };
        for snapshot in services {
            plan.seen_index = plan.seen_index.max(snapshot.index);
            let Ok(settings) = plat_domain::registry::validate_health_check(&snapshot.row.spec.health_check) else {
                continue;
            };
            let current: BTreeSet<&str> = snapshot
                .instances
                .values()
                .filter(|i| i.instance.source == InstanceSource::Probe)
                .map(|i| i.instance.id.as_str())
                .collect();
            for instance in snapshot.instances.values().filter(|i| i.instance.source == InstanceSource::Probe) {
                let key = (snapshot.row.id.clone(), instance.instance.id.clone());
                if full {
                    seen.insert(key.clone());
                }
                match plan.targets.get_mut(&key) {
                    Some(target) => {
                        if target.url != instance.instance.url {
                            target.url = instance.instance.url.clone();
                        }
                        if target.settings != settings {
                            target.settings = settings.clone();
                        }
                    }
                    None => {
                        let due = if look == Look::Start {
                            plat_domain::registry::first_probe_at(&key.1, settings.interval, now)
                        } else {
                            now
                        };
                        let state = HealthState {
                            status: instance.instance.status,
                            consecutive_successes: instance.instance.consecutive_successes,
                            consecutive_failures: instance.instance.consecutive_failures,
                        };
                        let url = instance.instance.url.clone();
                        plan.queue.insert((due, key.clone()));
                        plan.targets.insert(key, Target { url, settings: settings.clone(), state, due, busy: false });
                    }
                }
            }
            if !full {
                // Endpoints dropped from a changed registration.
                let id = &snapshot.row.id;
                let gone: Vec<InstanceKey> = plan
                    .targets
                    .range((id.clone(), String::new())..)
                    .map(|(key, _)| key)
                    .take_while(|(service, _)| service == id)
                    .filter(|(_, instance)| !current.contains(instance.as_str()))
                    .cloned()
                    .collect();
                gone.iter().for_each(|key| plan.forget(key));
            }
        }
        if full {
            let gone: Vec<InstanceKey> = plan.targets.keys().filter(|k| !seen.contains(*k)).cloned().collect();
            gone.iter().for_each(|key| plan.forget(key));
        }
    }

    fn judge(&self, plan: &mut Plan, verdict: Verdict) -> Option<ProbeResult> {
        self.stats.probes.fetch_add(1, Ordering::Relaxed);
        if verdict.outcome != ProbeOutcome::Success {
            self.stats.failures.fetch_add(1, Ordering::Relaxed);
        }
        let target = plan.targets.get_mut(&verdict.key)?;
        target.busy = false;
        let thresholds: Thresholds = target.settings.thresholds;
        let (state, changed) = next_state(target.state, verdict.outcome, thresholds);
        target.state = state;
        target.due = plat_domain::registry::next_probe_at(target.due, target.settings.interval, now_ms());
        plan.queue.insert((target.due, verdict.key.clone()));
        Some(ProbeResult {
            service_id: verdict.key.0,
            instance_id: verdict.key.1,
            status: state.status,
            consecutive_successes: state.consecutive_successes,
            consecutive_failures: state.consecutive_failures,
            latency_ms: verdict.latency_ms,
            at: verdict.started,
            changed,
        })
    }

    async fn flush(&self, batch: &mut Vec<ProbeResult>) {
        if batch.is_empty() {
            return;
        }
        let changed = batch.iter().any(|r| r.changed);
        match self.store.record_probes(&Self::ctx(), batch).await {
            Ok(()) => batch.clear(),
            Err(e) => {
                // Keep the verdicts for the next flush; they are the latest anyway.
                tracing::warn!(error = %e, "registry: cannot write probe results");
                return;
            }
        }
        if changed && let Err(e) = self.hub.refresh().await {
            tracing::warn!(error = %e, "registry: cannot refresh discovery");
        }
    }

    async fn sweep(&self) {
        let remove_after = self.config.remove_after.as_millis() as i64;
        // The flush interval, and the time a flush itself may take.
        let grace = (self.config.beat_grace + FLUSH_MARGIN).as_millis() as i64;
        // This replica's own buffered beats first.
        self.hub.flush_beats().await;
        match self.store.expire_heartbeats(&Self::ctx(), now_ms(), (grace, remove_after), MAX_REMOVALS_PER_SWEEP).await
        {
            Ok((0, 0)) => {}
            Ok((_, removed)) => {
                self.stats.removed.fetch_add(removed, Ordering::Relaxed);
                if let Err(e) = self.hub.refresh().await {
                    tracing::warn!(error = %e, "registry: cannot refresh discovery");
                }
            }
            Err(e) => tracing::warn!(error = %e, "registry: cannot expire heartbeats"),
        }
    }
}

/// One probe: an HTTP GET of the health path (2xx passes, 429 warns,
/// anything else or no answer in time fails) or a TCP connect.
async fn probe(
    client: reqwest::Client,
    key: InstanceKey,
    url: String,
    settings: ProbeSettings,
    results: mpsc::Sender<Verdict>,
) {
    let started = now_ms();
    let clock = std::time::Instant::now();
    let outcome = match settings.kind {
        HealthCheckKind::Http => {
            let target = format!("{}{}", url.trim_end_matches('/'), settings.path);
            match client.get(&target).timeout(settings.timeout).send().await {
                Ok(response) => classify_probe(response.status().as_u16()),
                Err(_) => ProbeOutcome::Failure,
            }
        }
        HealthCheckKind::Tcp => {
            let address = url.split("://").nth(1).unwrap_or(&url).trim_end_matches('/').to_owned();
            match tokio::time::timeout(settings.timeout, tokio::net::TcpStream::connect(address)).await {
                Ok(Ok(_)) => ProbeOutcome::Success,
                _ => ProbeOutcome::Failure,
            }
        }
    };
    let latency_ms = (outcome != ProbeOutcome::Failure).then(|| clock.elapsed().as_secs_f64() * 1000.0);
    let _ = results.send(Verdict { key, outcome, latency_ms, started }).await;
}
