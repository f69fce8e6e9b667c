//! The discovery hub: every replica keeps the registry in memory and serves
//! discovery from it. It follows the store's registry clock (a cheap poll,
//! and at once after a change through this replica), rebuilds only the
//! services that changed, computes each service's answers once per change,
//! and wakes only the watchers of the services that changed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use crate::beats::Beats;

use plat_proto::{DiscoveryAnswer, ServiceRegistration};
use plat_store::{InstanceDelta, InstanceRow, ServiceRow, Store, StoreError, registration_counted};
use serde::Serialize;
use serde_json::value::RawValue;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// `(namespace, name)`.
pub type ServiceKey = (String, String);

/// A discovery answer serialized once and shared by every reader.
#[derive(Debug, Clone)]
pub struct SharedJson(Arc<RawValue>);

impl SharedJson {
    fn of<T: Serialize>(value: &T) -> SharedJson {
        let raw = serde_json::value::to_raw_value(value).unwrap_or_else(|_| {
            // Our own plain structs always serialize; keep an empty object otherwise.
            RawValue::from_string("{}".to_owned()).unwrap_or_else(|_| unreachable!("{{}} is JSON"))
        });
        SharedJson(Arc::from(raw))
    }

    pub fn get(&self) -> &str {
        self.0.get()
    }
}

impl Serialize for SharedJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// One service as discovery sees it. A change applies what changed (an
/// instance's beat or verdict costs its own entry, not the service's
/// instances); the answers are serialized once, when first asked for after
/// a change, and shared by every reader until the next one.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub row: ServiceRow,
    /// By instance id.
    pub instances: BTreeMap<String, InstanceRow>,
    /// The registry clock at its last change.
    pub index: u64,
    healthy: usize,
    threshold: f64,
    /// While a mass failure is held back: the healthy set from before it.
    remembered: Option<Arc<BTreeSet<String>>>,
    answers: OnceLock<Answers>,
}

#[derive(Debug, Clone)]
struct Answers {
    all: SharedJson,
    healthy: SharedJson,
    protected: bool,
}

impl Snapshot {
    fn new(row: ServiceRow, threshold: f64) -> Snapshot {
        Snapshot {
            index: row.change_seq.max(0) as u64,
            row,
            instances: BTreeMap::new(),
            healthy: 0,
            threshold,
            remembered: None,
            answers: OnceLock::new(),
        }
    }

    /// Take a change of the registration and of the instances in `delta`.
    /// Protection is decided on the state the change leaves, remembering
    /// the healthy set from before it (`plat_domain::registry::healthy_answer`
    /// answers from that set).
    fn apply(&mut self, row: ServiceRow, delta: InstanceDelta) {
        let (healthy, total) = match &delta {
            InstanceDelta::All(all) => (all.iter().filter(|i| i.instance.healthy).count(), all.len()),
            InstanceDelta::Changed(changed) => {
                let (mut healthy, mut total) = (self.healthy, self.instances.len());
                for i in changed {
                    match self.instances.get(&i.instance.id) {
                        Some(old) if old.instance.healthy => healthy -= 1,
                        Some(_) => {}
                        None => total += 1,
                    }
                    healthy += usize::from(i.instance.healthy);
                }
                (healthy, total)
            }
        };
        let remembered = plat_domain::registry::below_threshold(healthy, total, self.threshold)
            .then(|| self.remembered.clone().unwrap_or_else(|| Arc::new(self.healthy_ids())));
        match delta {
            InstanceDelta::All(all) => self.instances = all.into_iter().map(|i| (i.instance.id.clone(), i)).collect(),
            InstanceDelta::Changed(changed) => {
                self.instances.extend(changed.into_iter().map(|i| (i.instance.id.clone(), i)));
            }
        }
        self.healthy = healthy;
        self.remembered = remembered.filter(|r| r.iter().any(|id| self.instances.contains_key(id)));
        self.index = row.change_seq.max(0) as u64;
        self.row = row;
        self.answers = OnceLock::new();
    }

    fn healthy_ids(&self) -> BTreeSet<String> {
        self.instances.values().filter(|i| i.instance.healthy).map(|i| i.instance.id.clone()).collect()
    }

    fn answers(&self) -> &Answers {
        self.answers.get_or_init(|| {
            let wire: Vec<plat_proto::Instance> = self.instances.values().map(|i| i.instance.clone()).collect();
            let none = BTreeSet::new();
            let remembered = self.remembered.as_deref().unwrap_or(&none);
            let healthy = plat_domain::registry::healthy_answer(&wire, remembered, self.threshold);
            let answer = |instances: Vec<plat_proto::Instance>| {
                SharedJson::of(&DiscoveryAnswer {
                    service: self.row.name.clone(),
                    namespace: self.row.namespace.clone(),
                    index: self.index,
                    instances,
                    protected: healthy.protected,
                })
            };
            Answers { all: answer(wire.clone()), healthy: answer(healthy.instances), protected: healthy.protected }
        })
    }

    /// Every instance.
    pub fn all(&self) -> &SharedJson {
        &self.answers().all
    }

    /// What `healthy=true` answers (the last healthy set while protected).
    pub fn healthy(&self) -> &SharedJson {
        &self.answers().healthy
    }

    /// Whether the protection threshold holds back a mass failure.
    pub fn protected(&self) -> bool {
        self.answers().protected
    }

    /// `(healthy, total)` instances.
    pub fn counts(&self) -> (usize, usize) {
        (self.healthy, self.instances.len())
    }

    pub fn key(&self) -> ServiceKey {
        (self.row.namespace.clone(), self.row.name.clone())
    }

    pub fn registration(&self) -> ServiceRegistration {
        registration_counted(&self.row, self.counts(), self.protected())
    }
}

/// Why a lookup by name found no single service.
#[derive(Debug, thiserror::Error)]
pub enum Lookup {
    #[error("service {0:?} not found")]
    NotFound(String),
    #[error("service {name:?} exists in several namespaces ({}); name one with ?namespace=", namespaces.join(", "))]
    Ambiguous { name: String, namespaces: Vec<String> },
}

#[derive(Default)]
struct State {
    seq: i64,
    services: HashMap<ServiceKey, Arc<Snapshot>>,
    /// Service id → key, for details that name the id.
    ids: HashMap<String, ServiceKey>,
    /// Name → the namespaces that have a service of that name, for lookups
    /// by name alone.
    names: HashMap<String, BTreeSet<String>>,
}

/// Details are read again from this far back: a write stamped before the
/// last read may commit after it.
const DETAILS_OVERLAP_MS: i64 = 5_000;

pub struct Hub {
    store: Store,
    threshold: f64,
    state: RwLock<State>,
    watchers: Mutex<HashMap<ServiceKey, watch::Sender<u64>>>,
    changed: watch::Sender<i64>,
    refreshing: tokio::sync::Mutex<()>,
    /// Where the next details read starts (ms).
    details_since: AtomicI64,
    pub(crate) beats: Beats,
}

impl Hub {
    /// A hub over `store`, empty until the first [`Hub::refresh`].
    /// `threshold` is the protection threshold (0 turns it off).
    pub fn new(store: Store, threshold: f64) -> Arc<Hub> {
        Arc::new(Hub {
            store,
            threshold,
            state: RwLock::new(State::default()),
            watchers: Mutex::new(HashMap::new()),
            changed: watch::channel(0).0,
            refreshing: tokio::sync::Mutex::new(()),
            details_since: AtomicI64::new(0),
            beats: Beats::default(),
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// Catch up with the store's registry clock: apply what changed since
    /// the last look (each changed service takes its changed instances).
    /// Returns whether anything changed.
    pub async fn refresh(&self) -> Result<bool, StoreError> {
        let _one_at_a_time = self.refreshing.lock().await;
        let known = self.read().seq;
        if self.store.registry_seq().await? <= known {
            return Ok(false);
        }
        let changes = self.store.registry_changes(known).await?;
        let mut touched: Vec<(ServiceKey, u64)> = Vec::new();
        {
            let mut state = self.state.write().unwrap_or_else(|p| p.into_inner());
            for (row, delta) in changes.services {
                let key = (row.namespace.clone(), row.name.clone());
                if let Some(old) = state.services.get(&key).map(|s| s.row.id.clone()).filter(|old| *old != row.id) {
                    state.ids.remove(&old);
                }
                state.ids.insert(row.id.clone(), key.clone());
                state.names.entry(key.1.clone()).or_default().insert(key.0.clone());
                match state.services.get_mut(&key) {
                    Some(current) if current.row.id == row.id => Arc::make_mut(current).apply(row, delta),
                    _ => {
                        // New here, or registered again under a new id: nothing of the old one carries over.
                        let delta = match delta {
                            InstanceDelta::All(all) | InstanceDelta::Changed(all) => InstanceDelta::All(all),
                        };
                        let mut snapshot = Snapshot::new(row.clone(), self.threshold);
                        snapshot.apply(row, delta);
                        state.services.insert(key.clone(), Arc::new(snapshot));
                    }
                }
                let index = state.services.get(&key).map_or(0, |s| s.index);
                touched.push((key, index));
            }
            for (namespace, name, seq) in changes.removed {
                let key = (namespace, name);
                // A service registered again after its removal is newer than the tombstone.
                if state.services.get(&key).is_some_and(|s| s.index as i64 > seq) {
                    continue;
                }
                if let Some(gone) = state.services.remove(&key) {
                    state.ids.remove(&gone.row.id);
                    if let Some(namespaces) = state.names.get_mut(&key.1) {
                        namespaces.remove(&key.0);
                        if namespaces.is_empty() {
                            state.names.remove(&key.1);
                        }
                    }
                }
                touched.push((key, seq.max(0) as u64));
            }
            state.seq = changes.seq;
        }
        let watchers = self.watchers.lock().unwrap_or_else(|p| p.into_inner());
        for (key, index) in &touched {
            if let Some(tx) = watchers.get(key) {
                tx.send_replace(*index);
            }
        }
        drop(watchers);
        self.changed.send_replace(changes.seq);
        Ok(!touched.is_empty())
    }

    /// Take the latest details (latency, last probe, last beat, counts)
    /// that are written without a change of state: the answers show them,
    /// but the index stays and no watcher wakes, since nothing changed for
    /// a client. Reads only the instances written since the last look.
    pub async fn reload_details(&self) -> Result<(), StoreError> {
        let _one_at_a_time = self.refreshing.lock().await;
        let started = plat_store::now_ms();
        let rows = self.store.instance_details(self.details_since.load(Ordering::Relaxed)).await?;
        self.details_since.store(started - DETAILS_OVERLAP_MS, Ordering::Relaxed);
        let mut state = self.state.write().unwrap_or_else(|p| p.into_inner());
        let State { services, ids, .. } = &mut *state;
        for row in rows {
            let Some(current) = ids.get(&row.service_id).and_then(|key| services.get_mut(key)) else { continue };
            // Only the state this hub has: a change of state is the next refresh's to announce.
            let same_state = current.instances.get(&row.instance.id).is_some_and(|known| {
                known.change_seq == row.change_seq && known.instance.status == row.instance.status && *known != row
            });
            if same_state {
                let snapshot = Arc::make_mut(current);
                snapshot.instances.insert(row.instance.id.clone(), row);
                snapshot.answers = OnceLock::new();
            }
        }
        Ok(())
    }

    /// Follow the store until `cancel`: poll every `interval` (another
    /// replica's changes arrive within it; this replica's at once), and take
    /// the probes' details every second.
    pub async fn run(self: Arc<Self>, interval: Duration, cancel: CancellationToken) {
        let mut details_at = tokio::time::Instant::now();
        loop {
            if let Err(e) = self.refresh().await {
                tracing::warn!(error = %e, "registry: cannot read the registry's changes");
            }
            if tokio::time::Instant::now() >= details_at {
                details_at = tokio::time::Instant::now() + Duration::from_secs(1);
                if let Err(e) = self.reload_details().await {
                    tracing::warn!(error = %e, "registry: cannot read probe details");
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(interval) => {}
            }
        }
    }

    /// The registry clock this hub has caught up with.
    pub fn seq(&self) -> i64 {
        self.read().seq
    }

    /// Wakes on every change the hub applies (the prober follows it).
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.changed.subscribe()
    }

    pub fn get(&self, namespace: &str, name: &str) -> Option<Arc<Snapshot>> {
        self.read().services.get(&(namespace.to_owned(), name.to_owned())).cloned()
    }

    /// The service called `name` that `seen` lets through, in `namespace`
    /// when given, else the only one of that name.
    pub fn find(
        &self,
        namespace: Option<&str>,
        name: &str,
        seen: impl Fn(&Snapshot) -> bool,
    ) -> Result<Arc<Snapshot>, Lookup> {
        if let Some(namespace) = namespace {
            return self
                .get(namespace, name)
                .filter(|s| seen(s))
                .ok_or_else(|| Lookup::NotFound(format!("{namespace}/{name}")));
        }
        let state = self.read();
        let mut found: Vec<&Arc<Snapshot>> = state
            .names
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|namespace| state.services.get(&(namespace.clone(), name.to_owned())))
            .filter(|s| seen(s))
            .collect();
        match found.len() {
            0 => Err(Lookup::NotFound(name.to_owned())),
            1 => Ok(found.remove(0).clone()),
            _ => {
                let mut namespaces: Vec<String> = found.iter().map(|s| s.row.namespace.clone()).collect();
                namespaces.sort();
                Err(Lookup::Ambiguous { name: name.to_owned(), namespaces })
            }
        }
    }

    /// The services changed after registry clock `index`, unordered.
    pub fn changed_since(&self, index: u64) -> Vec<Arc<Snapshot>> {
        self.read().services.values().filter(|s| s.index > index).cloned().collect()
    }

    /// Every service, by namespace and name.
    pub fn list(&self) -> Vec<Arc<Snapshot>> {
        let mut all: Vec<Arc<Snapshot>> = self.read().services.values().cloned().collect();
        all.sort_by(|a, b| (&a.row.namespace, &a.row.name).cmp(&(&b.row.namespace, &b.row.name)));
        all
    }

    /// Wait until the service `key` changes past `index`, or `deadline`.
    /// Returns at once when it already has. Only a change of this service
    /// wakes the caller.
    pub async fn wait(&self, key: &ServiceKey, index: u64, deadline: Instant) {
        let mut rx = {
            let mut watchers = self.watchers.lock().unwrap_or_else(|p| p.into_inner());
            watchers.entry(key.clone()).or_insert_with(|| watch::channel(0).0).subscribe()
        };
        loop {
            let current = self.read().services.get(key).map(|s| s.index);
            match current {
                Some(now) if now > index => return,
                // Gone since the caller looked: that is a change too.
                None if index > 0 && *rx.borrow() > index => return,
                _ => {}
            }
            if tokio::time::timeout_at(deadline, rx.changed()).await.is_err() {
                return;
            }
        }
    }

    /// Watchers of services that no longer exist and that nobody waits on are dropped.
    pub fn prune_watchers(&self) {
        let live: BTreeSet<ServiceKey> = self.read().services.keys().cloned().collect();
        let mut watchers = self.watchers.lock().unwrap_or_else(|p| p.into_inner());
        watchers.retain(|key, tx| live.contains(key) || tx.receiver_count() > 0);
    }
}
