//! The sync dispatcher: claims due tasks, delivers them, records the outcome.
//!
//! - Claims are per target and never take a task whose aggregate has an
//!   older open task, so one target receives an aggregate's versions in
//!   order while up to `concurrency` aggregates are in flight at once.
//! - The dispatcher wakes when tasks are created (in-process signal; on
//!   PostgreSQL also `LISTEN plat_sync`, so every replica hears), when a
//!   delivery finishes, and every `sync.poll_interval` for due retries.
//! - A delivery's slot is freed when its request ends, and its outcome goes
//!   to one completer task that writes outcomes in batches. The next version
//!   of its aggregate cannot overtake it meanwhile: the task stays the head
//!   of its aggregate, leased, until the outcome is committed. At most
//!   `concurrency` requests are in flight and twice that many outcomes
//!   unrecorded: what a crash can deliver twice. (Freeing slots only after
//!   the commit cost PostgreSQL 3.5× in throughput: docs/sync.md.)
//! - Each target has a circuit (`plat_domain::retry::Circuit`):
//!   `circuit_failures` consecutive failures open it for `circuit_cooldown`;
//!   then one delivery probes it (half open). It is stored with the target
//!   and changed by completions under the target row's lock; every replica
//!   acts on the stored circuit (its own completions' result at once, other
//!   replicas' at the next reload of targets, within a second).

mod drivers;
pub mod kinds;
mod metrics;

pub use drivers::{Drivers, Unseal};
pub use kinds::{describe, redis_key};
pub use metrics::SyncMetrics;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use plat_domain::delivery::Outcome;
use plat_domain::retry::{Circuit, CircuitPolicy, RetryPolicy};
use plat_proto::{TargetState, TargetTestResult};
use plat_store::{ClaimedTask, Completion, Store, TargetRow, Verdict, now_ms};
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

use kinds::{Attempt, Envelope};

/// A target as this replica runs it.
struct Runtime {
    row: TargetRow,
    /// The HMAC key (HTTP targets).
    key: Option<Vec<u8>>,
    /// Requests to the target now (at most `concurrency`).
    in_flight: AtomicU32,
    /// Claimed tasks whose outcome is not yet committed: the in-flight ones
    /// and those waiting for the completer (at most twice `concurrency`;
    /// what a crash can deliver twice).
    unrecorded: AtomicU32,
    /// The newest stored circuit this replica has seen, with its version.
    /// Written only through [`Runtime::install`].
    circuit: Mutex<(i64, Circuit)>,
}

impl Runtime {
    /// Take a stored circuit if it is newer than the one held. Two tasks
    /// learn of stored circuits: the completer (what it just wrote) and the
    /// periodic refresh (what it read, maybe before that write committed);
    /// the version orders them, so a refresh never reinstalls an older
    /// circuit (a just-opened one closed again).
    fn install(&self, version: i64, circuit: Circuit) {
        let mut held = lock(&self.circuit, "sync circuit");
        if version > held.0 {
            *held = (version, circuit);
        }
    }

    fn circuit(&self) -> Circuit {
        lock(&self.circuit, "sync circuit").1
    }
}

/// A lock whose holder panicked is still taken (the data behind it is a
/// plain value, whole at every step), but logged and counted: health shows
/// the count (`Engine::poisoned_locks`).
fn lock<'a, T>(mutex: &'a Mutex<T>, what: &'static str) -> std::sync::MutexGuard<'a, T> {
    mutex.lock().unwrap_or_else(|poisoned| {
        POISONED.fetch_add(1, Ordering::Relaxed);
        tracing::error!(lock = what, "a lock was poisoned by a panic; going on with its last value");
        mutex.clear_poison();
        poisoned.into_inner()
    })
}

/// Locks found poisoned in this process.
static POISONED: AtomicU32 = AtomicU32::new(0);

/// The engine's settings (the daemon maps its `[sync]` section onto them).
#[derive(Debug, Clone)]
pub struct Settings {
    /// How often an idle dispatcher looks for due retries and other replicas' work.
    pub poll_interval: Duration,
    /// Retry delays: full jitter below `min(backoff_cap, backoff_base * 2^(n-1))`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// Consecutive failures that open a target's circuit, and how long it stays open.
    pub circuit_failures: u32,
    pub circuit_cooldown: Duration,
    /// Added to a target's timeout to make an in-flight task's lease.
    pub lease_grace: Duration,
}

/// The sync engine of one `platd` process.
pub struct Engine {
    store: Store,
    config: Settings,
    database_url: String,
    /// This replica's name on the leases it takes.
    owner: String,
    drivers: Arc<Drivers>,
    runtimes: Mutex<HashMap<String, Arc<Runtime>>>,
    metrics: SyncMetrics,
    /// Slots freed, targets changed: claim again.
    wake: Notify,
    refresh_due: std::sync::atomic::AtomicBool,
    /// Tasks this replica claimed whose outcome is not recorded yet (in
    /// flight, or waiting for the completer). A lease that runs out
    /// meanwhile (a starved machine) lets the claim take such a task again:
    /// it is not sent a second time by this replica, the claim only renews
    /// its lease.
    held: Mutex<HashMap<i64, i64>>,
}

impl Engine {
    pub fn new(
        store: Store,
        unseal: Unseal,
        config: Settings,
        database_url: String,
        metrics: SyncMetrics,
    ) -> anyhow::Result<Engine> {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "platd".into());
        Ok(Engine {
            store,
            config,
            database_url,
            owner: format!("{host}/{}/{}", std::process::id(), uuid::Uuid::now_v7().simple()),
            drivers: Arc::new(Drivers::new(unseal)?),
            runtimes: Mutex::new(HashMap::new()),
            metrics,
            wake: Notify::new(),
            refresh_due: std::sync::atomic::AtomicBool::new(true),
            held: Mutex::new(HashMap::new()),
        })
    }

    /// Locks found poisoned (a panic while holding one) since the process
    /// started; health reports a non-zero count.
    pub fn poisoned_locks(&self) -> u32 {
        POISONED.load(Ordering::Relaxed)
    }

    /// The HTTP and Redis clients (shared with the checks' read-back).
    pub fn drivers(&self) -> Arc<Drivers> {
        self.drivers.clone()
    }

    /// Reload targets before the next claim (after an API change).
    pub fn targets_changed(&self) {
        self.refresh_due.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    fn key_of(&self, row: &TargetRow) -> Option<Vec<u8>> {
        match self.drivers.target_key(row) {
            Ok(key) => key,
            Err(e) => {
                tracing::error!(target = %row.name, error = %e, "cannot open the target's secret; deliveries go unsigned");
                None
            }
        }
    }

    /// Keep of `tasks` those not already held at the same attempt, and
    /// hold them (task seq → attempts made before this one). A task claimed
    /// again at a later attempt had its held outcome committed already.
    fn hold(&self, tasks: Vec<ClaimedTask>) -> Vec<ClaimedTask> {
        let mut held = lock(&self.held, "sync held tasks");
        tasks.into_iter().filter(|t| held.insert(t.seq, t.attempts) != Some(t.attempts)).collect()
    }

    /// The outcomes of these (task seq, attempts before) are recorded, or
    /// they were never sent; a later claim's hold is left alone.
    fn release(&self, claims: impl IntoIterator<Item = (i64, i64)>) {
        let mut held = lock(&self.held, "sync held tasks");
        for (seq, attempts) in claims {
            if held.get(&seq) == Some(&attempts) {
                held.remove(&seq);
            }
        }
    }

    async fn refresh(&self) -> anyhow::Result<()> {
        let rows = self.store.list_targets().await?;
        let mut runtimes = lock(&self.runtimes, "sync runtimes");
        let mut next = HashMap::with_capacity(rows.len());
        for row in rows {
            let rt = match runtimes.remove(&row.id) {
                // Same settings: keep the runtime, take the stored circuit if newer.
                Some(old) if old.row.updated_at == row.updated_at && old.row.state == row.state => {
                    old.install(row.circuit_version, row.circuit);
                    old
                }
                old => {
                    let rt = Arc::new(Runtime {
                        key: self.key_of(&row),
                        in_flight: AtomicU32::new(old.as_ref().map_or(0, |o| o.in_flight.load(Ordering::Acquire))),
                        unrecorded: AtomicU32::new(old.as_ref().map_or(0, |o| o.unrecorded.load(Ordering::Acquire))),
                        circuit: Mutex::new(
                            old.as_ref().map_or((-1, row.circuit), |o| *lock(&o.circuit, "sync circuit")),
                        ),
                        row,
                    });
                    rt.install(rt.row.circuit_version, rt.row.circuit);
                    rt
                }
            };
            next.insert(rt.row.id.clone(), rt);
        }
        *runtimes = next;
        Ok(())
    }

    /// Run until `shutdown`, then wait (at most `grace`) for deliveries in flight.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken, grace: Duration) {
        let (done_tx, done_rx) = mpsc::unbounded_channel::<(Arc<Runtime>, Completion)>();
        let completer = tokio::spawn(self.clone().complete(done_rx));
        if self.store.backend() == plat_store::Backend::Postgres {
            tokio::spawn(self.clone().listen(shutdown.clone()));
        }
        tokio::spawn(self.clone().backfill(shutdown.clone()));
        let mut last_refresh = Instant::now();
        loop {
            let added = plat_store::TASKS_ADDED.notified();
            let woken = self.wake.notified();
            tokio::pin!(added, woken);
            added.as_mut().enable();
            woken.as_mut().enable();
            if shutdown.is_cancelled() {
                break;
            }
            if self.refresh_due.swap(false, Ordering::AcqRel) || last_refresh.elapsed() >= Duration::from_secs(1) {
                if let Err(e) = self.refresh().await {
                    tracing::warn!(error = %e, "cannot load sync targets");
                }
                last_refresh = Instant::now();
            }
            self.claim_round(&done_tx).await;
            tokio::select! {
                _ = added => {}
                _ = woken => {}
                _ = tokio::time::sleep(self.config.poll_interval) => {}
                _ = shutdown.cancelled() => {}
            }
        }
        // Let deliveries in flight finish and their outcomes be written.
        let deadline = Instant::now() + grace;
        while self.in_flight() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(done_tx);
        let _ = tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), completer).await;
    }

    fn in_flight(&self) -> u32 {
        lock(&self.runtimes, "sync runtimes").values().map(|rt| rt.in_flight.load(Ordering::Acquire)).sum()
    }

    async fn claim_round(self: &Arc<Self>, done: &mpsc::UnboundedSender<(Arc<Runtime>, Completion)>) {
        let runtimes: Vec<Arc<Runtime>> = lock(&self.runtimes, "sync runtimes")
            .values()
            .filter(|rt| rt.row.state == TargetState::Active)
            .cloned()
            .collect();
        let now = now_ms();
        for rt in runtimes {
            // `concurrency` counts requests; each carries up to `per_request` tasks.
            let per_request = rt.row.batch.max_events.max(1);
            let in_flight = rt.in_flight.load(Ordering::Acquire);
            let unrecorded = rt.unrecorded.load(Ordering::Acquire);
            let requests = rt.circuit().allowance(in_flight, now).min(rt.row.concurrency.saturating_sub(in_flight));
            let allowed = requests
                .saturating_mul(per_request)
                .min((2 * rt.row.concurrency * per_request).saturating_sub(unrecorded))
                .min(CLAIM_LIMIT);
            if allowed == 0 {
                continue;
            }
            let lease_until = now_ms() + rt.row.timeout_ms + self.config.lease_grace.as_millis() as i64;
            let tasks = match self.store.claim_tasks(&rt.row.id, &self.owner, allowed, lease_until).await {
                Ok(tasks) => self.hold(tasks),
                Err(e) => {
                    tracing::warn!(target = %rt.row.name, error = %e, "cannot claim sync tasks");
                    continue;
                }
            };
            for lane in lanes(&rt.row.batch, tasks, requests as usize) {
                rt.in_flight.fetch_add(1, Ordering::AcqRel);
                rt.unrecorded.fetch_add(lane.iter().map(Vec::len).sum::<usize>() as u32, Ordering::AcqRel);
                let (engine, rt, done) = (self.clone(), rt.clone(), done.clone());
                tokio::spawn(async move {
                    let mut requests = lane.into_iter();
                    let mut first = true;
                    for tasks in requests.by_ref() {
                        // A later request of the lane starts only if it can end within the lease.
                        if !first && now_ms() + rt.row.timeout_ms > lease_until {
                            rt.unrecorded.fetch_sub(tasks.len() as u32, Ordering::AcqRel);
                            engine.release(tasks.iter().map(|t| (t.seq, t.attempts)));
                            break;
                        }
                        first = false;
                        for completion in attempt(&engine.drivers, &engine.config, &engine.metrics, &rt, tasks).await {
                            let _ = done.send((rt.clone(), completion));
                        }
                    }
                    // Left for the lease to run out (then claimed again, in order).
                    for tasks in requests {
                        rt.unrecorded.fetch_sub(tasks.len() as u32, Ordering::AcqRel);
                        engine.release(tasks.iter().map(|t| (t.seq, t.attempts)));
                    }
                    rt.in_flight.fetch_sub(1, Ordering::AcqRel);
                    engine.wake.notify_one();
                });
            }
        }
    }

    /// Write outcomes in batches; then update circuits.
    async fn complete(self: Arc<Self>, mut done: mpsc::UnboundedReceiver<(Arc<Runtime>, Completion)>) {
        let mut batch: Vec<(Arc<Runtime>, Completion)> = Vec::with_capacity(512);
        while done.recv_many(&mut batch, 512).await > 0 {
            let completions: Vec<Completion> = batch.iter().map(|(_, c)| c.clone()).collect();
            let policy =
                CircuitPolicy { failures: self.config.circuit_failures, cooldown: self.config.circuit_cooldown };
            let mut delay = Duration::from_millis(50);
            let circuits = loop {
                match self.store.complete_tasks(&self.owner, &completions, &policy).await {
                    Ok(circuits) => break circuits,
                    Err(e) => {
                        // Leases keep the tasks safe meanwhile; outcomes must not be lost.
                        tracing::warn!(error = %e, count = completions.len(), "cannot record sync outcomes; retrying");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(5));
                    }
                }
            };
            // Act on the circuits as stored now.
            for change in circuits {
                let rt = batch.iter().map(|(rt, _)| rt).find(|rt| rt.row.id == change.target_id);
                if let Some(rt) = rt {
                    rt.install(change.version, change.after);
                }
                if change.before.state != change.after.state {
                    let name = rt.map_or(change.target_id.as_str(), |rt| rt.row.name.as_str());
                    tracing::info!(target = %name, circuit = change.after.state.as_str(), "sync target circuit changed");
                }
            }
            self.release(batch.iter().map(|(_, c)| (c.seq, c.number - 1)));
            for (rt, c) in batch.drain(..) {
                rt.unrecorded.fetch_sub(1, Ordering::AcqRel);
                if c.verdict == Verdict::Gone {
                    self.refresh_due.store(true, Ordering::Release);
                }
            }
            // The committed outcomes moved their heads on: claim the next versions.
            self.wake.notify_one();
        }
    }

    /// Queue the running backfills of new targets, a step of
    /// [`BACKFILL_STEP`] users at a time per target. Every replica runs
    /// this; the store orders their steps (one cursor per target).
    async fn backfill(self: Arc<Self>, shutdown: CancellationToken) {
        let mut finished = std::collections::HashSet::new();
        while !shutdown.is_cancelled() {
            let running: Vec<(String, String)> = lock(&self.runtimes, "sync runtimes")
                .values()
                .filter(|rt| rt.row.state != TargetState::Disabled && !finished.contains(&rt.row.id))
                .filter(|rt| rt.row.backfill.as_ref().is_some_and(plat_store::BackfillRecord::running))
                .map(|rt| (rt.row.id.clone(), rt.row.name.clone()))
                .collect();
            let mut busy = false;
            for (id, name) in running {
                match self.store.backfill_step(&id, BACKFILL_STEP).await {
                    Ok(Some(backfill)) if backfill.running() => busy = true,
                    Ok(done) => {
                        if let Some(backfill) = done {
                            tracing::info!(target = %name, queued = backfill.queued, "sync target backfill queued");
                        }
                        finished.insert(id);
                    }
                    Err(e) => {
                        tracing::warn!(target = %name, error = %e, "cannot queue the target's backfill; retrying")
                    }
                }
            }
            // Between steps, let the API's writes have the database.
            let pause = if busy { Duration::from_millis(10) } else { Duration::from_secs(1) };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.cancelled() => return,
            }
        }
    }

    /// `LISTEN plat_sync`: other replicas' new tasks wake this one.
    async fn listen(self: Arc<Self>, shutdown: CancellationToken) {
        let mut delay = Duration::from_millis(200);
        while !shutdown.is_cancelled() {
            let listener = async {
                let mut listener = sqlx::postgres::PgListener::connect(&self.database_url).await?;
                listener.listen(plat_store::NOTIFY_CHANNEL).await?;
                Ok::<_, sqlx::Error>(listener)
            };
            let mut listener = match listener.await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot LISTEN for sync tasks; polling meanwhile");
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = shutdown.cancelled() => return,
                    }
                    delay = (delay * 2).min(Duration::from_secs(10));
                    continue;
                }
            };
            delay = Duration::from_millis(200);
            loop {
                tokio::select! {
                    message = listener.recv() => match message {
                        Ok(_) => self.wake.notify_one(),
                        Err(e) => {
                            tracing::warn!(error = %e, "sync LISTEN connection lost");
                            break;
                        }
                    },
                    _ = shutdown.cancelled() => return,
                }
            }
        }
    }

    /// Deliver a `sync.ping` to a target now, outside the queue.
    pub async fn test(&self, row: &TargetRow) -> TargetTestResult {
        let started = Instant::now();
        use plat_proto::catalog::SYNC_PING as PING;
        let event_id = format!("evt_{}", uuid::Uuid::now_v7().simple());
        let now = now_ms();
        let payload = serde_json::json!({
            "id": event_id, "type": PING.name, "version": "1", "timestamp": plat_store::format_ms(now),
            "source": "platd", "tenant": plat_proto::SYSTEM_TENANT,
            "aggregate": {"kind": PING.aggregate, "id": row.name, "version": 0},
            "correlation_id": null, "causation_id": null, "data": {"target": row.name},
            "metadata": {"actor": "system", "test": true},
        })
        .to_string();
        let env = Envelope {
            event_id: &event_id,
            event_type: PING.name,
            aggregate_kind: PING.aggregate,
            aggregate_id: &row.name,
            aggregate_version: 0,
            repair: false,
            payload: &payload,
        };
        // A batched target receives arrays, this one too.
        let attempt = self.drivers.ping(row, self.key_of(row).as_deref(), &env).await;
        TargetTestResult {
            delivered: attempt.outcome == Outcome::Delivered,
            status_code: attempt.status_code,
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            error: attempt.error,
            response: attempt.response,
        }
    }
}

/// Users queued by one backfill step (one transaction).
const BACKFILL_STEP: usize = 500;

/// Tasks claimed in one call at most (a batched target's claim is its free
/// requests times `batch.max_events`, which could be 256,000).
const CLAIM_LIMIT: u32 = 2000;

/// The requests a claim makes, in lanes: each lane is one slot of
/// `concurrency`, sending its requests one after another. Without batching
/// each task is a request of its own in a lane of its own. With batching the
/// claimed tasks (each the head of a different aggregate, so no request
/// holds two versions of one) are cut into requests by
/// [`plat_domain::delivery::plan_batches`], dealt over at most `slots` lanes.
fn lanes(batch: &plat_proto::TargetBatch, tasks: Vec<ClaimedTask>, slots: usize) -> Vec<Vec<Vec<ClaimedTask>>> {
    if tasks.is_empty() {
        return Vec::new();
    }
    if !batch.batches() {
        return tasks.into_iter().map(|t| vec![vec![t]]).collect();
    }
    let sizes: Vec<usize> = tasks.iter().map(|t| t.payload.len()).collect();
    let plan = plat_domain::delivery::plan_batches(&sizes, batch.max_events as usize, batch.max_bytes as usize);
    let mut lanes: Vec<Vec<Vec<ClaimedTask>>> = (0..slots.clamp(1, plan.len())).map(|_| Vec::new()).collect();
    let mut tasks = tasks.into_iter();
    for (i, range) in plan.into_iter().enumerate() {
        let n = lanes.len();
        lanes[i % n].push(tasks.by_ref().take(range.len()).collect());
    }
    lanes
}

/// One request carrying `tasks` (one, or a batch), and what it means for each task.
async fn attempt(
    drivers: &Drivers,
    config: &Settings,
    metrics: &SyncMetrics,
    rt: &Runtime,
    tasks: Vec<ClaimedTask>,
) -> Vec<Completion> {
    let started_at = now_ms();
    let started = Instant::now();
    // An event that is not JSON (plat writes JSON; a hand-edited outbox may
    // not) can never be delivered as it is: dead on its own, outside the
    // request and the circuit, never sent or written as `null`.
    let (tasks, corrupt): (Vec<ClaimedTask>, Vec<ClaimedTask>) =
        tasks.into_iter().partition(|t| serde_json::from_str::<serde::de::IgnoredAny>(&t.payload).is_ok());
    let mut dead: Vec<Completion> = corrupt
        .into_iter()
        .map(|task| {
            tracing::error!(target = %rt.row.name, task = task.seq, "an event in the outbox is not JSON; dead-lettered");
            Completion {
                seq: task.seq,
                target_id: rt.row.id.clone(),
                aggregate_kind: task.aggregate_kind,
                aggregate_id: task.aggregate_id,
                number: task.attempts + 1,
                started_at,
                finished_at: started_at,
                duration_us: 0,
                verdict: Verdict::Dead,
                status_code: None,
                error: Some(format!("event {} in the outbox is not JSON", task.event_id)),
                response: None,
                counts_for_circuit: false,
            }
        })
        .collect();
    if tasks.is_empty() {
        return dead;
    }
    let rules = rt.row.compiled.as_deref().filter(|r| r.projects());
    let projected: Vec<Option<String>> =
        tasks.iter().map(|task| rules.map(|rules| project(rules, &task.payload))).collect();
    let envelopes: Vec<Envelope> = tasks
        .iter()
        .zip(&projected)
        .map(|(task, projected)| Envelope {
            event_id: &task.event_id,
            event_type: &task.event_type,
            aggregate_kind: &task.aggregate_kind,
            aggregate_id: &task.aggregate_id,
            aggregate_version: task.aggregate_version,
            repair: task.repair,
            payload: projected.as_deref().unwrap_or(&task.payload),
        })
        .collect();
    let result: Attempt = if rt.row.batch.batches() {
        drivers.deliver_batch(&rt.row, rt.key.as_deref(), &envelopes).await
    } else {
        drivers.deliver(&rt.row, rt.key.as_deref(), &envelopes[0]).await
    };
    drop(envelopes);
    let finished_at = now_ms();
    let took = started.elapsed();
    metrics.observe_request(&rt.row.name, took);
    let policy = RetryPolicy {
        max_attempts: rt.row.max_attempts,
        backoff_base: config.backoff_base,
        backoff_cap: config.backoff_cap,
    };
    let count = tasks.len();
    // One jitter for the request: its tasks fail together and are due
    // together again, so a retry can carry them as one batch.
    let jitter = random_unit();
    tasks
        .into_iter()
        .enumerate()
        .map(|(i, task)| {
            let used = (task.attempts - task.retry_base + 1).clamp(1, i64::from(u32::MAX)) as u32;
            let verdict = policy.verdict(result.outcome, used, result.retry_after, finished_at, jitter);
            metrics.observe(&rt.row.name, verdict, finished_at - task.created_at);
            if verdict != Verdict::Delivered {
                tracing::debug!(target = %rt.row.name, task = task.seq, batch = count, verdict = ?verdict, error = ?result.error, "sync attempt failed");
            }
            Completion {
                seq: task.seq,
                target_id: rt.row.id.clone(),
                aggregate_kind: task.aggregate_kind,
                aggregate_id: task.aggregate_id,
                number: task.attempts + 1,
                started_at,
                finished_at,
                duration_us: took.as_micros() as i64,
                verdict,
                status_code: result.status_code,
                error: result.error.clone(),
                response: result.response.clone(),
                counts_for_circuit: i == 0,
            }
        })
        .chain(dead.drain(..))
        .collect()
}

/// The event JSON cut to the fields the target's rules let it receive. An
/// event that does not parse is not sent as it is: its `data` could hold
/// what the target must not see.
fn project(rules: &plat_domain::rules::Rules, payload: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(payload) {
        Ok(mut event) => {
            rules.project(&mut event);
            event.to_string()
        }
        Err(e) => {
            tracing::error!(error = %e, "an event in the outbox is not JSON; delivering it without data");
            "{}".into()
        }
    }
}

/// A uniform number in [0, 1) for backoff jitter.
fn random_unit() -> f64 {
    let mut bytes = [0u8; 8];
    // aws-lc's RNG only fails when the OS has no entropy source.
    aws_lc_rs::rand::fill(&mut bytes).expect("system random number generator");
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_a_unit_fraction() {
        for _ in 0..1000 {
            let u = random_unit();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
