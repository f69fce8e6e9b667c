//! The Kubernetes controller inside platd (the `kubernetes` feature and
//! `kubernetes.enabled`; docs/kubernetes.md). The controller itself lives
//! in `plat-controller` and talks to plat through the HTTP API like any
//! client; this module gives it what it needs: an account, a token kept
//! fresh, a Kubernetes client, and a place to report its health.

use std::net::SocketAddr;
use std::time::Duration;

use plat_controller::kube;
use plat_proto::{HealthStatus, TokenType};
use plat_store::{Ctx, StoreError};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::AppState;
use crate::auth::Mint;

/// The controller's own account, in the `system` tenant.
const ACCOUNT: &str = "plat-controller";
/// Lifetime of the controller's tokens; a new one is minted at half of it.
const TOKEN_TTL: Duration = Duration::from_secs(3600);

/// Start the controller; it runs until `shutdown`.
pub fn spawn(state: AppState, addr: SocketAddr, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    let config = controller_config(&state.config.kubernetes, addr);
    state.controller.send_replace(plat_controller::starting(&config));
    tokio::spawn(async move {
        let report = |message: String| {
            let mut component = plat_controller::starting(&config);
            component.status = HealthStatus::Degraded;
            component.message = Some(message);
            state.controller.send_replace(component);
        };
        let base = format!("http://{}", loopback(addr));
        // The account needs the system tenant: wait for the bootstrap.
        let waiting = "waiting for the controller's account";
        let Some(token) = retry(&shutdown, Duration::from_secs(5), waiting, &report, || mint(&state)).await else {
            return;
        };
        let client = match plat_client::Client::new(&base) {
            Ok(client) => client,
            Err(e) => return report(format!("cannot build the plat client: {e}")),
        };
        let (plat, plat_rx) = watch::channel(client.clone().with_token(token));
        tokio::spawn(refresh_token(state.clone(), client, plat, shutdown.clone()));
        let no_config = "no Kubernetes configuration (in-cluster or KUBECONFIG)";
        let Some(kube) = retry(&shutdown, Duration::from_secs(30), no_config, &report, kube::Client::try_default).await
        else {
            return;
        };
        let metrics = state.metrics.controller.clone();
        plat_controller::run(config, kube, plat_rx, metrics, &state.controller, shutdown).await;
    })
}

/// `attempt` until it succeeds; each failure is logged and reported as
/// `what`, and the next try waits `every`. `None` when `shutdown` comes first.
async fn retry<T, E: std::fmt::Display, F: std::future::Future<Output = Result<T, E>>>(
    shutdown: &CancellationToken,
    every: Duration,
    what: &str,
    report: &impl Fn(String),
    mut attempt: impl FnMut() -> F,
) -> Option<T> {
    loop {
        match attempt().await {
            Ok(value) => return Some(value),
            Err(e) => {
                tracing::warn!(error = %e, "Kubernetes controller: {what}; retrying");
                report(format!("{what}: {e}"));
                tokio::select! {
                    _ = shutdown.cancelled() => return None,
                    _ = tokio::time::sleep(every) => {}
                }
            }
        }
    }
}

fn loopback(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => SocketAddr::from(([127, 0, 0, 1], addr.port())),
        ip if ip.is_unspecified() => SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port())),
        _ => addr,
    }
}

fn controller_config(k8s: &crate::config::KubernetesConfig, addr: SocketAddr) -> plat_controller::Config {
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let lease_namespace = non_empty(&k8s.lease_namespace)
        .or_else(|| env("POD_NAMESPACE"))
        .or_else(|| {
            std::fs::read_to_string("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
                .ok()
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "default".to_owned());
    let identity = non_empty(&k8s.identity)
        .or_else(|| env("POD_NAME"))
        .or_else(|| env("HOSTNAME"))
        .unwrap_or_else(|| format!("platd-{}", uuid::Uuid::now_v7().simple()));
    plat_controller::Config {
        namespace: non_empty(&k8s.namespace),
        lease_namespace,
        lease_name: k8s.lease_name.clone(),
        lease_ttl: k8s.lease_ttl.0,
        identity,
        requeue: k8s.requeue.0,
        public_url: non_empty(&k8s.public_url).unwrap_or_else(|| format!("http://{addr}")),
        concurrency: k8s.concurrency,
    }
}

/// A token for the controller's account (created on first use: a
/// platform admin of the `system` tenant whose secret nobody knows; its
/// tokens are minted here and never leave the process).
async fn mint(state: &AppState) -> anyhow::Result<String> {
    let record = match state.store.get_service_account(plat_proto::SYSTEM_TENANT, ACCOUNT).await {
        Ok(record) => record,
        Err(StoreError::NotFound { .. }) => {
            // Its secret is made and forgotten: nobody ever sends it.
            let credentials = crate::auth::clients::NewCredentials::new(state);
            let roles = [plat_domain::PLATFORM_ADMIN.to_owned()];
            let description = "The Kubernetes controller of platd (kubernetes.enabled)";
            match state
                .store
                .create_service_account(
                    &Ctx::system(),
                    plat_proto::SYSTEM_TENANT,
                    (ACCOUNT, description, &roles),
                    (&credentials.client_id, &credentials.hash),
                    &Default::default(),
                )
                .await
            {
                // Another replica may have created it at the same time.
                Ok(_) | Err(StoreError::Conflict(_) | StoreError::AlreadyExists { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            state.store.get_service_account(plat_proto::SYSTEM_TENANT, ACCOUNT).await?
        }
        Err(e) => return Err(e.into()),
    };
    let (token, _) = state.auth.mint(Mint {
        typ: TokenType::Service,
        subject: &record.account.client_id,
        tenant: plat_proto::SYSTEM_TENANT,
        username: ACCOUNT,
        roles: record.account.roles.clone(),
        not_before_ms: 0,
        ttl: TOKEN_TTL,
        audience: None,
        scope: None,
        client_id: &record.account.client_id,
        act: None,
        session: None,
    })?;
    Ok(token)
}

async fn refresh_token(
    state: AppState,
    client: plat_client::Client,
    plat: watch::Sender<plat_client::Client>,
    shutdown: CancellationToken,
) {
    let mut wait = TOKEN_TTL / 2;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        match mint(&state).await {
            Ok(token) => {
                plat.send_replace(client.clone().with_token(token));
                wait = TOKEN_TTL / 2;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot renew the Kubernetes controller's token; retrying");
                wait = Duration::from_secs(30);
            }
        }
    }
}
