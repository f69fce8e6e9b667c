//! The discovery hub: every replica keeps the registry in memory and serves
//! discovery from it. It follows the store's registry clock (a cheap poll,
//! and at once after a change through this replica), rebuilds only the
//! services that changed, computes each service's answers once per change,
//! and wakes only the watchers of the services that changed.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use plat_proto::{DiscoveryAnswer, ServiceRegistration};
use plat_store::{InstanceRow, ServiceRow, Store, StoreError, registration_of};
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

/// One service as discovery sees it, rebuilt on each of its changes.
#[derive(Debug)]
pub struct Snapshot {
    pub row: ServiceRow,
    pub instances: Vec<InstanceRow>,
    /// The registry clock at its last change.
    pub index: u64,
    /// Every instance.
    pub all: SharedJson,
    /// What `healthy=true` answers (the last healthy set while protected).
    pub healthy: SharedJson,
    /// Whether the protection threshold holds back a mass failure.
    pub protected: bool,
    /// Instances in the last answer that was not protected.
    last_healthy: BTreeSet<String>,
}

impl Snapshot {
    fn build(row: ServiceRow, instances: Vec<InstanceRow>, previous: Option<&Snapshot>, threshold: f64) -> Snapshot {
        let index = row.change_seq.max(0) as u64;
        let wire: Vec<plat_proto::Instance> = instances.iter().map(|i| i.instance.clone()).collect();
        let remembered = previous.map(|p| p.last_healthy.clone()).unwrap_or_default();
        let healthy = plat_domain::registry::healthy_answer(&wire, &remembered, threshold);
        let last_healthy =
            if healthy.protected { remembered } else { healthy.instances.iter().map(|i| i.id.clone()).collect() };
        let answer = |instances: Vec<plat_proto::Instance>, protected| {
            SharedJson::of(&DiscoveryAnswer {
                service: row.name.clone(),
                namespace: row.namespace.clone(),
                index,
                instances,
                protected,
            })
        };
        Snapshot {
            all: answer(wire, healthy.protected),
            healthy: answer(healthy.instances, healthy.protected),
            protected: healthy.protected,
            index,
            last_healthy,
            row,
            instances,
        }
    }

    pub fn key(&self) -> ServiceKey {
        (self.row.namespace.clone(), self.row.name.clone())
    }

    pub fn registration(&self) -> ServiceRegistration {
        registration_of(&self.row, &self.instances, self.protected)
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
}

pub struct Hub {
    store: Store,
    threshold: f64,
    state: RwLock<State>,
    watchers: Mutex<HashMap<ServiceKey, watch::Sender<u64>>>,
    changed: watch::Sender<i64>,
    refreshing: tokio::sync::Mutex<()>,
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
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Catch up with the store's registry clock. Returns whether anything changed.
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
            for (row, instances) in changes.services {
                let key = (row.namespace.clone(), row.name.clone());
                let snapshot =
                    Snapshot::build(row, instances, state.services.get(&key).map(Arc::as_ref), self.threshold);
                touched.push((key.clone(), snapshot.index));
                state.services.insert(key, Arc::new(snapshot));
            }
            for (namespace, name, seq) in changes.removed {
                let key = (namespace, name);
                // A service registered again after its removal is newer than the tombstone.
                if state.services.get(&key).is_some_and(|s| s.index as i64 > seq) {
                    continue;
                }
                state.services.remove(&key);
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

    /// Take the latest probe details (latency, last probe time, counts) that
    /// are written without a change of state: the answers show them, but
    /// the index stays and no watcher wakes, since nothing changed for a
    /// client.
    pub async fn reload_details(&self) -> Result<(), StoreError> {
        let _one_at_a_time = self.refreshing.lock().await;
        let all = self.store.registry_changes(0).await?;
        let mut state = self.state.write().unwrap_or_else(|p| p.into_inner());
        for (row, instances) in all.services {
            let key = (row.namespace.clone(), row.name.clone());
            let Some(current) = state.services.get(&key) else { continue };
            // Only the same registration at the same index: anything newer is
            // the next refresh's to announce.
            if current.row.change_seq != row.change_seq || current.instances == instances {
                continue;
            }
            let snapshot = Snapshot::build(row, instances, Some(current), self.threshold);
            if snapshot.protected == current.protected {
                state.services.insert(key, Arc::new(snapshot));
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
        let mut found: Vec<&Arc<Snapshot>> =
            state.services.values().filter(|s| s.row.name == name && seen(s)).collect();
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
