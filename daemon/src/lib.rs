//! `platd`, the plat control-plane daemon, as a library: configuration, the
//! application state, the HTTP API, and `serve`. `main.rs` is only the CLI.

pub mod api;
pub mod auth;
pub mod config;
pub mod context;
pub mod error;
pub mod health;
#[cfg(feature = "kubernetes")]
pub mod kubernetes;
pub mod leader;
pub mod metrics;
pub mod openapi;
pub mod telemetry;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use plat_store::{Ctx, NewUser, Store, StoreError, StoreOptions};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use crate::config::Config;

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Store,
    pub auth: auth::Auth,
    pub metrics: metrics::Metrics,
    pub config: Config,
    pub started: Instant,
    pub sync: Arc<plat_sync::Engine>,
    pub checks: Arc<plat_checks::Checker>,
    /// What `/authz/check` reuses between calls (`auth::decisions`).
    pub check_cache: api::roles::CheckCache,
    /// The registry as every replica serves it (discovery, lists).
    pub registry: Arc<plat_registry::Hub>,
    /// The health prober; it probes only while this replica holds its lease.
    pub prober: Arc<plat_registry::Prober>,
    /// Candidacy for the `scheduler` lease: scheduled checks and retention.
    pub scheduler: Arc<leader::Elector>,
    /// Candidacy for the `registry-prober` lease.
    pub prober_lease: Arc<leader::Elector>,
    /// The Kubernetes controller's health component (who leads), while
    /// `kubernetes.enabled`.
    pub controller: tokio::sync::watch::Sender<plat_proto::Component>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// Connect to the database (applying migrations) with the configured pools.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let options = StoreOptions {
        max_connections: config.database.max_connections,
        acquire_timeout: config.database.acquire_timeout.0,
    };
    let store = Store::connect(&config.database_url, &options)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open database {}: {e}", redact_url(&config.database_url)))?;
    store.migrate().await?;
    Ok(store)
}

pub use plat_domain::redact_url;

impl AppState {
    pub async fn new(config: Config, store: Store) -> anyhow::Result<AppState> {
        let master = auth::crypto::MasterKey::load_or_create(&config.master_key_path())?;
        let issuer = config.issuer();
        if config.auth.issuer.is_empty() && !config.listen.ip().is_loopback() {
            tracing::warn!(
                %issuer,
                "auth.issuer is not set: tokens name an issuer derived from the listen address; \
                 set auth.issuer to the URL clients reach plat at (docs/oauth.md)"
            );
        }
        let keys = auth::keys::KeyRing::load(
            &store,
            master.clone(),
            &issuer,
            &config.auth.previous_issuers,
            &config.auth.audience,
        )
        .await?;
        let revoked = auth::limits::RevokedSet::default();
        revoked.sync(&store).await?;
        let passwords = auth::passwords::Passwords::new(
            config.argon2_params(),
            config.hash_slots(),
            config.auth.hash_queue_timeout.0,
        )?;
        let auth = auth::Auth {
            subjects: auth::SubjectCache::new(config.auth.subject_cache_ttl.0),
            authority: auth::decisions::Authority::new(config.auth.subject_cache_ttl.0),
            passwords,
            keys,
            master,
            revoked,
            ip_limiter: auth::limits::IpLimiter::new(config.auth.ip_limit.max_failures, config.auth.ip_limit.window.0),
            lockout: config.lockout_policy(),
            passkeys: auth::passkeys::Passkeys::new(&config.issuer(), &config.auth.passkeys)?,
            access_ttl: config.auth.access_ttl.0,
            refresh_ttl: config.auth.refresh_ttl.0,
            session_lifetime: config.auth.session_lifetime.0,
            service_ttl: config.auth.service_token_ttl.0,
            max_issued_ttl: config.auth.max_issued_ttl.0,
            key_retire_after: config.auth.key_retire_after.0,
        };
        auth.authority.poll(&store).await?;
        let metrics = metrics::Metrics::new();
        let master = auth.master.clone();
        let sync = Arc::new(plat_sync::Engine::new(
            store.clone(),
            Arc::new(move |sealed: &str| master.open(sealed)),
            config.sync.settings(),
            config.database_url.clone(),
            metrics.sync.clone(),
        )?);
        let checks = Arc::new(plat_checks::Checker::new(
            store.clone(),
            sync.drivers(),
            config.checks_settings(),
            metrics.checks.clone(),
        ));
        let registry = plat_registry::Hub::new(store.clone(), config.registry.protection_threshold);
        registry.refresh().await?;
        let prober = Arc::new(plat_registry::Prober::new(
            store.clone(),
            registry.clone(),
            plat_registry::ProberConfig {
                concurrency: config.registry.probe_concurrency as usize,
                remove_after: config.registry.remove_after.0,
                beat_grace: config.registry.heartbeat_flush.0,
            },
        )?);
        // This replica's name on every lease it holds.
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "platd".into());
        let holder = format!("{host}/{}/{}", std::process::id(), uuid::Uuid::now_v7().simple());
        let scheduler = Arc::new(leader::Elector::new(leader::SCHEDULER, holder.clone(), config.leader.lease_ttl.0));
        let prober_lease = Arc::new(leader::Elector::new(leader::PROBER, holder, config.registry.lease_ttl.0));
        Ok(AppState(Arc::new(Inner {
            store,
            auth,
            metrics,
            config,
            started: Instant::now(),
            sync,
            checks,
            check_cache: api::roles::CheckCache::default(),
            registry,
            prober,
            scheduler,
            prober_lease,
            controller: tokio::sync::watch::Sender::new(plat_proto::Component {
                name: "kubernetes".into(),
                status: plat_proto::HealthStatus::Healthy,
                latency_ms: None,
                message: Some("starting".into()),
                details: serde_json::Map::new(),
            }),
        })))
    }
}

/// Create the `system` tenant and a `platform-admin`. Refuses when done already.
pub async fn bootstrap(state: &AppState, username: &str, password: &str) -> anyhow::Result<plat_proto::User> {
    plat_domain::validate_username(username).map_err(|e| anyhow::anyhow!("{e}"))?;
    plat_domain::validate_password("password", password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash = state.auth.passwords.hash(password.to_owned()).await?;
    let admin = NewUser {
        username: username.to_owned(),
        email: format!("{}@plat.invalid", plat_domain::normalize_key(username)),
        password_hash: Some(hash),
        roles: vec![plat_domain::PLATFORM_ADMIN.to_owned()],
        profile: plat_proto::Profile::default(),
        orgs: Vec::new(),
    };
    match state.store.bootstrap(&Ctx::system(), admin).await {
        Ok(user) => Ok(user),
        Err(StoreError::AlreadyBootstrapped) => {
            anyhow::bail!("already bootstrapped: the system tenant and its admin exist")
        }
        Err(e) => Err(e.into()),
    }
}

/// Background upkeep: pick up other replicas' revocations and key rotations,
/// drop expired bookkeeping.
fn spawn_upkeep(state: AppState, shutdown: CancellationToken) {
    // Other replicas' changes of what checks read, within the bound.
    let (polled, stop) = (state.clone(), shutdown.clone());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(polled.auth.authority.poll_every());
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tick.tick() => {}
            }
            if let Err(e) = polled.auth.authority.poll(&polled.store).await {
                tracing::warn!(error = %e, "cannot read the authority generation; cached decisions are not reused");
            }
        }
    });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        let mut rounds: u64 = 0;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tick.tick() => {}
            }
            rounds += 1;
            if let Err(e) = state.auth.revoked.sync(&state.store).await {
                tracing::warn!(error = %e, "cannot refresh revoked tokens");
            }
            if rounds.is_multiple_of(15)
                && let Err(e) = state.auth.keys.reload(&state.store).await
            {
                tracing::warn!(error = %e, "cannot reload signing keys");
            }
            if rounds.is_multiple_of(1800)
                && let Err(e) = state.store.purge_expired().await
            {
                tracing::warn!(error = %e, "cannot purge expired tokens");
            }
            if rounds.is_multiple_of(15)
                && let Err(e) = state.store.sweep_checks().await
            {
                tracing::warn!(error = %e, "cannot sweep abandoned checks");
            }
            if rounds.is_multiple_of(1800) {
                state.registry.prune_watchers();
            }
            // Retention runs on the leader only (the `scheduler` lease).
            if rounds.is_multiple_of(1800) && state.scheduler.is_leader() {
                let before = plat_store::now_ms() - state.config.checks.retention.0.as_millis() as i64;
                if let Err(e) = state.store.purge_checks(before).await {
                    tracing::warn!(error = %e, "cannot purge old checks");
                }
                let before = plat_store::now_ms() - state.config.sync.retention.0.as_millis() as i64;
                match state.store.purge_finished_tasks(before).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(tasks = n, "purged finished sync tasks past retention"),
                    Err(e) => tracing::warn!(error = %e, "cannot purge finished sync tasks"),
                }
                // Every replica has followed a deregistration long before a day.
                let before = plat_store::now_ms() - 24 * 3600 * 1000;
                if let Err(e) = state.store.purge_service_tombstones(before).await {
                    tracing::warn!(error = %e, "cannot purge service tombstones");
                }
            }
        }
    });
}

/// A running server (used by `serve` and by tests).
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    dispatcher: Option<tokio::task::JoinHandle<()>>,
    /// The prober and its lease's elector.
    prober: Option<(tokio::task::JoinHandle<()>, tokio::task::JoinHandle<()>)>,
    /// The scheduler lease's elector.
    scheduler: tokio::task::JoinHandle<()>,
    /// Writes the registry's buffered heartbeats.
    beats: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Bind `listener` and serve until [`Server::stop`] or `shutdown` fires.
    pub async fn start(state: AppState, listener: TcpListener) -> anyhow::Result<Server> {
        let addr = listener.local_addr()?;
        let shutdown = CancellationToken::new();
        spawn_upkeep(state.clone(), shutdown.clone());
        let scheduler = tokio::spawn(state.scheduler.clone().run(state.store.clone(), shutdown.clone()));
        plat_checks::spawn_scheduler(state.checks.clone(), state.scheduler.subscribe(), shutdown.clone());
        tokio::spawn(state.registry.clone().run(state.config.registry.refresh_interval.0, shutdown.clone()));
        let (registry, every) = (state.registry.clone(), state.config.registry.heartbeat_flush.0);
        let beats = tokio::spawn({
            let shutdown = shutdown.clone();
            async move { registry.run_beats(every, shutdown).await }
        });
        let prober = state.config.registry.prober.then(|| {
            let elector = tokio::spawn(state.prober_lease.clone().run(state.store.clone(), shutdown.clone()));
            let prober = tokio::spawn(state.prober.clone().run(state.prober_lease.subscribe(), shutdown.clone()));
            (prober, elector)
        });
        let dispatcher = state.config.sync.enabled.then(|| {
            let grace = state.config.http.shutdown_grace.0;
            tokio::spawn(state.sync.clone().run(shutdown.clone(), grace))
        });
        #[cfg(feature = "kubernetes")]
        if state.config.kubernetes.enabled {
            kubernetes::spawn(state.clone(), addr, shutdown.clone());
        }
        let app = api::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let signal = shutdown.clone();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).with_graceful_shutdown(async move { signal.cancelled().await }).await
        });
        Ok(Server { addr, state, shutdown, task, dispatcher, prober, scheduler, beats })
    }

    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Stop accepting, let in-flight requests finish (bounded by `grace`).
    pub async fn stop(self, grace: Duration) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.state.checks.stop();
        match tokio::time::timeout(grace, self.task).await {
            Ok(joined) => joined??,
            Err(_) => tracing::warn!("in-flight requests did not finish within the grace period"),
        }
        // Heartbeats answered from memory are written before the store closes.
        let _ = tokio::time::timeout(grace, self.beats).await;
        self.state.registry.flush_beats().await;
        if let Some(dispatcher) = self.dispatcher
            && tokio::time::timeout(grace, dispatcher).await.is_err()
        {
            tracing::warn!("sync deliveries did not finish within the grace period");
        }
        // Leases are handed over on the way out.
        if let Some((prober, elector)) = self.prober {
            if tokio::time::timeout(grace, prober).await.is_err() {
                tracing::warn!("the prober did not stop within the grace period");
            }
            let _ = tokio::time::timeout(grace, elector).await;
        }
        let _ = tokio::time::timeout(grace, self.scheduler).await;
        self.state.store.close().await;
        Ok(())
    }

    pub async fn wait(self) -> anyhow::Result<()> {
        self.shutdown.cancelled().await;
        let grace = self.state.config.http.shutdown_grace.0;
        self.stop(grace).await
    }
}

/// Apply `--dev`: SQLite under `./.plat/`, bootstrapped admin whose password
/// is printed once and kept in `./.plat/admin-password` (0600).
pub async fn dev_bootstrap(state: &AppState, dir: &std::path::Path) -> anyhow::Result<()> {
    if state.store.meta("bootstrapped_at").await?.is_some() {
        tracing::info!(
            "dev mode: already bootstrapped; the admin password is in {}",
            dir.join("admin-password").display()
        );
        return Ok(());
    }
    let password = auth::crypto::random_password();
    bootstrap(state, "admin", &password).await?;
    let path = dir.join("admin-password");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(&path)?, format!("{password}\n").as_bytes())?;
    println!(
        "\n  plat is bootstrapped (dev mode).\n  tenant: system   user: admin   password: {password}\n  (also written to {})\n",
        path.display()
    );
    Ok(())
}
