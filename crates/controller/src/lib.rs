//! plat's Kubernetes controller: `ServiceRegistration` resources reconciled
//! into plat's registry through plat's own API (CONTRACT §5,
//! docs/kubernetes.md).
//!
//! - [`reconcile`]: one idempotent, level-triggered reconcile with the
//!   finalizer `plat.dev/deregister`, the credentials Secret and the status
//!   (server-side apply under one field manager).
//! - [`resolve`]: `serviceRef` → endpoints from EndpointSlices.
//! - [`status`]: conditions as pure functions of plat's answer.
//! - [`run`]: leader election on a coordination `Lease`; only the leader
//!   runs the `Controller`, and hands over when it stops.
//!
//! `platd` runs it behind its `kubernetes` cargo feature and config switch;
//! nothing else in the workspace links kube.

#[cfg(feature = "fake-api")]
pub mod fake;
pub mod metrics;
pub mod reconcile;
pub mod resolve;
pub mod status;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::Client;
use kube::api::Api;
use kube::runtime::{Controller, watcher};
use kube_lease_manager::LeaseManagerBuilder;
use plat_k8s_types::{MANAGED_BY_LABEL, ServiceRegistration};
use plat_proto::{Component, HealthStatus};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

pub use kube;

pub use crate::metrics::Metrics;
pub use crate::reconcile::{Context, Error, error_policy, reconcile};

/// How the controller runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Watch only this namespace; every namespace when `None`.
    pub namespace: Option<String>,
    /// Where the leader `Lease` lives.
    pub lease_namespace: String,
    pub lease_name: String,
    /// How long a leader's claim lasts without renewal; a stopped leader
    /// is replaced within it (at once when it stops cleanly).
    pub lease_ttl: Duration,
    /// This replica's name in the Lease (the Pod name).
    pub identity: String,
    /// Periodic re-reconcile of every resource.
    pub requeue: Duration,
    /// The URL services reach plat at, for the credentials Secrets.
    pub public_url: String,
    /// Resources reconciled at once.
    pub concurrency: u16,
}

/// The name of the controller's health component.
pub const COMPONENT: &str = "kubernetes";

/// Elect a leader and, while this replica leads, run the controller, until
/// `shutdown`; then release the Lease so another replica takes over at
/// once. `report` always holds the controller's health component: who
/// leads, and how reconciles go.
pub async fn run(
    config: Config,
    kube: Client,
    plat: watch::Receiver<plat_client::Client>,
    metrics: Metrics,
    report: &watch::Sender<Component>,
    shutdown: CancellationToken,
) {
    let ctx = Context::new(kube.clone(), plat, &config.public_url, config.requeue, metrics.clone());
    let publish = |leading: bool, leader: Option<String>, problem: Option<String>| {
        report.send_replace(component(&config, leading, leader, problem, &metrics));
    };
    let ttl = config.lease_ttl.as_secs().max(2);
    let manager = loop {
        let built = LeaseManagerBuilder::new(kube.clone(), &config.lease_name)
            .with_namespace(&config.lease_namespace)
            .with_identity(&config.identity)
            .with_duration(ttl)
            .with_grace((ttl / 3).max(1))
            .with_field_manager(format!("{}-lease", plat_k8s_types::FIELD_MANAGER))
            .build()
            .await;
        match built {
            Ok(manager) => break manager,
            Err(e) => {
                tracing::warn!(error = %e, lease = %config.lease_name, "cannot set up the controller's Lease; retrying");
                publish(false, None, Some(format!("cannot set up the Lease: {e}")));
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                }
            }
        }
    };
    let leases: Api<Lease> = Api::namespaced(kube.clone(), &config.lease_namespace);
    let (mut leading, task) = manager.watch().await;
    'elect: loop {
        if !*leading.borrow_and_update() {
            let holder = leases.get_opt(&config.lease_name).await.ok().flatten().and_then(holder);
            publish(false, holder, None);
            tokio::select! {
                _ = shutdown.cancelled() => break 'elect,
                changed = leading.changed() => if changed.is_err() { break 'elect },
                _ = tokio::time::sleep(config.lease_ttl) => {}
            }
            continue;
        }
        tracing::info!(identity = %config.identity, "leading: the controller runs on this replica");
        metrics.set_leader(true);
        publish(true, Some(config.identity.clone()), None);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let controller = controller(&config, ctx.clone(), async move {
            let _ = stopped.await;
        });
        tokio::pin!(controller);
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        let end = loop {
            tokio::select! {
                _ = &mut controller => break false,
                _ = shutdown.cancelled() => break true,
                changed = leading.changed() => {
                    if changed.is_err() || !*leading.borrow_and_update() { break false }
                }
                _ = tick.tick() => publish(true, Some(config.identity.clone()), None),
            }
        };
        let _ = stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(10), &mut controller).await;
        metrics.set_leader(false);
        tracing::info!(identity = %config.identity, "no longer leading");
        if end {
            break 'elect;
        }
    }
    publish(false, None, None);
    // Dropping the receiver makes the manager release the Lease.
    drop(leading);
    match tokio::time::timeout(Duration::from_secs(5), task).await {
        Ok(Ok(Ok(_))) => tracing::info!("released the controller's Lease"),
        Ok(Ok(Err(e))) => tracing::warn!(error = %e, "cannot release the controller's Lease"),
        _ => tracing::warn!("the Lease manager did not stop in time"),
    }
}

fn holder(lease: Lease) -> Option<String> {
    lease.spec?.holder_identity
}

fn component(
    config: &Config,
    leading: bool,
    leader: Option<String>,
    problem: Option<String>,
    metrics: &Metrics,
) -> Component {
    let (ok, failed) = metrics.counts();
    let mut details = serde_json::Map::new();
    details.insert("leading".into(), leading.into());
    details.insert("identity".into(), config.identity.clone().into());
    details.insert("leader".into(), leader.clone().into());
    details.insert("lease".into(), format!("{}/{}", config.lease_namespace, config.lease_name).into());
    details.insert("namespace".into(), config.namespace.clone().unwrap_or_else(|| "(all)".into()).into());
    details.insert("reconciles".into(), ok.into());
    details.insert("reconcile_errors".into(), failed.into());
    let message = problem.clone().or_else(|| {
        Some(match (leading, leader) {
            (true, _) => "this replica leads and reconciles".to_owned(),
            (false, Some(leader)) => format!("standby; {leader} leads"),
            (false, None) => "standby; no leader known yet".to_owned(),
        })
    });
    Component {
        name: COMPONENT.into(),
        status: if problem.is_some() { HealthStatus::Degraded } else { HealthStatus::Healthy },
        latency_ms: None,
        message,
        details,
    }
}

/// The component before the controller has said anything.
pub fn starting(config: &Config) -> Component {
    component(config, false, None, None, &Metrics::default())
}

fn api<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope>,
    K::DynamicType: Default,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// The `Controller`: ServiceRegistrations, the Secrets they own, and the
/// EndpointSlices their `serviceRef`s name; runs until `stop` resolves.
async fn controller(
    config: &Config,
    ctx: Arc<Context>,
    stop: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let ns = config.namespace.as_deref();
    let registrations: Api<ServiceRegistration> = api(&ctx.kube, ns);
    let secrets: Api<Secret> = api(&ctx.kube, ns);
    let slices: Api<EndpointSlice> = api(&ctx.kube, ns);
    let controller = Controller::new(registrations, watcher::Config::default().any_semantic());
    let store = controller.store();
    let managed = format!("{}={}", MANAGED_BY_LABEL.0, MANAGED_BY_LABEL.1);
    controller
        .owns(secrets, watcher::Config::default().labels(&managed))
        .watches(slices, watcher::Config::default().labels(resolve::SERVICE_NAME_LABEL), move |slice| {
            resolve::referring(&slice, &store.state())
        })
        .with_config(kube::runtime::controller::Config::default().concurrency(config.concurrency))
        .graceful_shutdown_on(stop)
        .run(reconcile, error_policy, ctx)
        .for_each(|result| async move {
            if let Err(e) = result {
                tracing::debug!(error = %e, "controller event");
            }
        })
        .await;
}
