//! plat's persistence: one [`Store`] over SQLite or PostgreSQL, chosen by the
//! database URL alone. The store is the only module that writes SQL, and
//! every state change it makes writes its outbox event and its audit record
//! in the same transaction as the change.
//!
//! Queries are written once, with `$N` placeholders and portable SQL, and run
//! through sqlx's `Any` driver; integers are BIGINT and times unix
//! milliseconds so both dialects decode alike. SQLite gets a single-writer
//! pool (no busy retries, batched writes) beside a pool of readers.
//!
//! The modules, each importing only those listed before it (no circle;
//! `tests/layers.rs` checks it), with the `Store` methods of each kind:
//!
//! - `sql`: SQL helpers (placeholders, `Filter`, column readers, JSON,
//!   times, ids, paged reads); no other module.
//! - `audit`: audit records (`record_audit`, `AuditDraft`, `AuditOf`) and
//!   `GET /audit`. `envelope`: what an event is (`EventDraft`, the
//!   envelope), built but not written. `rows`: the stored rows every module
//!   reads (`TenantRow`, `UserRecord`, organizations) and their lookups.
//! - `authority`: the conferral and take-over rules, what roles grant, what
//!   a user holds and where they lie.
//! - `sync/`: targets, tasks and the fan-out of events into tasks.
//! - `outbox`: appending events, fanned out (the one caller of
//!   `sync::fan_out`), `record_change` (event + audit), published events.
//! - `quotas`, `roles`, `orgs`; then `users` (which joins organizations and
//!   takes the `users` quota); then `tenants` (which announces its users'
//!   deletion), `auth` (bootstrap creates a user; service accounts),
//!   `registry` (a service's own account is made with its link, in one
//!   transaction) and `checks/` (repairs are user changes and sync tasks).

mod audit;
mod auth;
mod authority;
mod checks;
mod envelope;
mod mfa;
mod orgs;
mod outbox;
mod quotas;
mod registry;
mod roles;
mod rows;
mod sessions;
mod sql;
mod sync;
mod tenants;
#[cfg(feature = "test-support")]
mod test_support;
mod users;

use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use audit::*;
pub use auth::*;
pub use checks::*;
pub use envelope::*;
pub use mfa::{MfaChallenge, NewChallenge, NewPasskey, PASSKEY, Purpose, StoredPasskey, TOTP};
pub use orgs::*;
pub use outbox::*;
pub use registry::*;
pub use rows::*;
pub use sessions::{Ending, NewSession, SID_PREFIX, Which};
pub use sql::*;
pub use sync::*;
#[cfg(feature = "test-support")]
pub use test_support::*;
pub use users::*;

pub(crate) use plat_domain::PageRequest;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Invalid {
                field: "database_url".into(),
                message: format!(
                    "unsupported database URL {:?}: use sqlite:// or postgres://",
                    plat_domain::redact_url(url)
                ),
            })
        }
    }
}

/// Pool sizes and timeouts.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Connections used for reads (and, on PostgreSQL, writes).
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { max_connections: 8, acquire_timeout: Duration::from_secs(5) }
    }
}

/// Errors a caller branches on; everything else is `Database`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{kind} {name:?} not found")]
    NotFound { kind: &'static str, name: String },
    #[error("{kind} {name:?} already exists")]
    AlreadyExists { kind: &'static str, name: String, field: &'static str },
    #[error("{0}")]
    Conflict(String),
    /// The acting authority may not do this (the conferral rule).
    #[error("{0}")]
    Forbidden(String),
    /// A stored row that cannot be read back: a bug or a hand edit, never
    /// the caller's fault (an internal error, its cause logged).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// A quota (`users` or a declared one) has not `requested` left.
    #[error("tenant {tenant:?} has reached its quota of {limit} {resource} ({remaining} left)")]
    QuotaExceeded { tenant: String, resource: String, limit: u64, remaining: u64 },
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("already bootstrapped")]
    AlreadyBootstrapped,
    #[error(transparent)]
    Database(sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Requests that waited `database.acquire_timeout` for a connection and got
/// none, in this process: the pool is too small or the database too slow.
static POOL_TIMEOUTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Every database error enters the store's errors here, so a pool timeout
/// is counted wherever it happens.
impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        if matches!(e, sqlx::Error::PoolTimedOut) {
            POOL_TIMEOUTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        StoreError::Database(e)
    }
}

/// How many connection requests timed out in this process (all pools).
pub fn pool_timeouts() -> u64 {
    POOL_TIMEOUTS.load(std::sync::atomic::Ordering::Relaxed)
}

impl StoreError {
    /// A copy of a per-item refusal for a report (the database errors that
    /// cannot be copied abort the whole batch instead, and say so here).
    pub(crate) fn clone_for_report(&self) -> StoreError {
        match self {
            StoreError::NotFound { kind, name } => StoreError::NotFound { kind, name: name.clone() },
            StoreError::AlreadyExists { kind, name, field } => {
                StoreError::AlreadyExists { kind, name: name.clone(), field }
            }
            StoreError::Forbidden(reason) => StoreError::Forbidden(reason.clone()),
            StoreError::Invalid { field, message } => {
                StoreError::Invalid { field: field.clone(), message: message.clone() }
            }
            other => StoreError::Corrupt(format!("cannot report: {other}")),
        }
    }

    /// What a user may read about this error: the words of the error for
    /// what the caller can act on, and for database failures only their
    /// kind, never driver text, SQL or URLs (log the error itself).
    pub fn public(&self) -> String {
        match self {
            StoreError::Database(sqlx::Error::PoolTimedOut) => "the database is busy".into(),
            StoreError::Database(
                sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed,
            ) => "the database is unreachable".into(),
            StoreError::Database(_) | StoreError::Migrate(_) => "the database answered with an error".into(),
            StoreError::Corrupt(_) => "stored data could not be read".into(),
            other => other.to_string(),
        }
    }

    /// The pool had no connection to give in time: the database is overloaded.
    pub fn is_busy(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::PoolTimedOut))
    }
}

impl From<plat_domain::Invalid> for StoreError {
    fn from(e: plat_domain::Invalid) -> Self {
        StoreError::Invalid { field: e.field, message: e.message }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Who is acting and why: written into every event and audit record.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    /// `username@tenant`, `service:name@tenant` or `system`.
    pub actor: String,
    /// Whose power the change is made with: what it may confer
    /// (`plat_domain::may_confer`). Nobody by default.
    pub authority: plat_domain::Authority,
    /// Id of the acting user or service account, if any.
    pub subject_id: Option<String>,
    pub request_id: Option<String>,
    pub correlation_id: Option<String>,
    pub causation_id: Option<String>,
    /// The W3C `traceparent` (and `tracestate`) of the request that made
    /// the change: events carry them in `metadata`, deliveries continue them.
    pub traceparent: Option<String>,
    pub tracestate: Option<String>,
    /// Where the caller must reach for the change (`authority::Reach`),
    /// decided in the change's transaction. Empty: the route's rule
    /// decided it all.
    pub reach: Vec<Reach>,
}

impl Ctx {
    pub fn system() -> Ctx {
        Ctx { actor: "system".into(), authority: plat_domain::Authority::Platform, ..Ctx::default() }
    }
}

/// Where in the tree an action on organizations takes effect.
#[derive(Debug, Clone)]
pub enum Place {
    /// The organization itself: reads, renames, members, roles granted on it.
    Org(String),
    /// Where the organization sits, its parent: deleting it or moving it
    /// away changes its parent. A root sits in the tenant itself.
    ParentOf(String),
    /// Under this organization (the `parent` of a body): creating or moving
    /// there. `None` is a root: the tenant itself.
    Under(Option<String>),
}

/// What an action on organizations or people acts on
/// (`docs/organizations.md`, "Roles on an organization").
#[derive(Debug, Clone)]
pub enum On {
    /// Every place (none: tenant-wide only).
    Places(Vec<Place>),
    /// The user `user` (id or username). Reached through an organization,
    /// anything but a read also needs the right to take the user's place
    /// (`plat_domain::may_take_over`): the user holds nothing the caller
    /// does not hold there. `own`: the permission that suffices when the
    /// caller acts on itself (`self:…`).
    User { user: String, own: Option<String> },
    /// What `user` is or holds in `org` (a membership, a role granted
    /// there). Through a role on an organization, the user must also be in
    /// the caller's reach (`users:update` on them): otherwise an
    /// organization admin could pull anyone, the tenant admin included,
    /// into its subtree and then manage them, or strip a more powerful user
    /// of what it holds there.
    Membership { org: String, user: String },
    /// Deleting `org`: the permission on its parent, and, through a role on
    /// an organization, only while nobody is a member of, or holds a role
    /// in, its subtree (the deletion would remove memberships and roles of
    /// users the caller may not manage; those go one by one first, each
    /// checked).
    Deletion { org: String },
}

/// Where a caller must hold `permission` in `tenant` for an action, when it
/// does not hold it tenant-wide: the one rule for acting through roles on
/// organizations. The daemon builds it from the route's target
/// ([`Reach::settle`]); the store decides it on the connection of the
/// transaction that makes the change (`Store::begin`, in `authority`), so neither the tree,
/// the memberships, the roles granted on organizations nor what the target
/// holds can change between the decision and the write.
#[derive(Debug, Clone)]
pub struct Reach {
    pub tenant: String,
    pub permission: String,
    pub on: On,
}

impl Reach {
    /// What can be decided without reading anything: nothing left to
    /// decide (`None`) when `subject` holds the permission tenant-wide;
    /// refused when it holds no role on an organization and does not act on
    /// itself; else the reach, to be decided against the stored tree.
    pub fn settle(self, subject: &plat_domain::Subject) -> Result<Option<Reach>> {
        let wide = plat_domain::authorize(subject, &self.permission, plat_domain::Scope::Tenant(&self.tenant));
        if wide.allowed {
            return Ok(None);
        }
        let own = matches!(self.on, On::User { own: Some(_), .. });
        let nowhere = matches!(&self.on, On::Places(places) if places.is_empty());
        if nowhere || (!own && subject.orgs.is_empty()) {
            return Err(StoreError::Forbidden(wide.reason));
        }
        Ok(Some(self))
    }
}

#[derive(Clone)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
}

/// One connection pool as a scrape sees it.
#[derive(Debug, Clone)]
pub struct PoolGauges {
    /// `read` or `write` (one `pool` on PostgreSQL).
    pub pool: &'static str,
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

static MIGRATOR_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static MIGRATOR_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

impl Store {
    /// The connection pools' sizes, for the metrics.
    pub fn pool_gauges(&self) -> Vec<PoolGauges> {
        let gauge = |pool: &'static str, p: &AnyPool| PoolGauges {
            pool,
            size: p.size(),
            idle: p.num_idle() as u32,
            max: p.options().get_max_connections(),
        };
        match self.backend {
            // One pool serves both roles.
            Backend::Postgres => vec![gauge("pool", &self.write)],
            Backend::Sqlite => vec![gauge("read", &self.read), gauge("write", &self.write)],
        }
    }

    /// Connect to `url` (`sqlite://path?mode=rwc` or `postgres://...`).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.connect", skip_all)]
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let connect = AnyConnectOptions::from_str(url)?;
        let store = match backend {
            Backend::Sqlite => {
                // WAL lets readers run beside the one writer; NORMAL sync is
                // durable across process crashes (not power loss) and is what
                // every WAL deployment uses.
                // No ping before each acquire: the connection lives in this
                // process and cannot be lost to a network, and the ping is a
                // round trip to SQLite's worker thread — inside the writer's
                // turn, on every change (docs/quotas.md, "What a check costs").
                let pragmas = sqlite_pragmas;
                let write = AnyPoolOptions::new()
                    .max_connections(1)
                    .test_before_acquire(false)
                    .acquire_timeout(options.acquire_timeout)
                    .after_connect(pragmas)
                    .connect_with(connect.clone())
                    .await?;
                let read = AnyPoolOptions::new()
                    .max_connections(options.max_connections.max(1))
                    .test_before_acquire(false)
                    .acquire_timeout(options.acquire_timeout)
                    .after_connect(pragmas)
                    .connect_with(connect)
                    .await?;
                Store { read, write, backend }
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(options.max_connections.max(2))
                    .acquire_timeout(options.acquire_timeout)
                    .connect_with(connect)
                    .await?;
                Store { read: pool.clone(), write: pool, backend }
            }
        };
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Apply pending migrations of this backend's dialect.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.migrate", skip_all)]
    pub async fn migrate(&self) -> Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &MIGRATOR_SQLITE,
            Backend::Postgres => &MIGRATOR_POSTGRES,
        };
        migrator.run(&self.write).await?;
        Ok(())
    }

    /// Whether every known migration has been applied.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.is_migrated", skip_all)]
    pub async fn is_migrated(&self) -> Result<bool> {
        let migrator = match self.backend {
            Backend::Sqlite => &MIGRATOR_SQLITE,
            Backend::Postgres => &MIGRATOR_POSTGRES,
        };
        let latest = migrator.iter().map(|m| m.version).max().unwrap_or(0);
        let applied: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_optional(&self.read)
            .await
            .ok()
            .flatten();
        Ok(applied.unwrap_or(0) >= latest)
    }

    /// Round-trip time of a trivial query.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.ping", skip_all)]
    pub async fn ping(&self) -> Result<Duration> {
        let started = Instant::now();
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(started.elapsed())
    }

    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.close", skip_all)]
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }

    /// Counts shown by `GET /health`.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.counts", skip_all)]
    pub async fn counts(&self) -> Result<Vec<(&'static str, i64)>> {
        let mut out = Vec::new();
        for (name, sql) in [
            ("tenants", "SELECT COUNT(*) FROM tenants"),
            ("users", "SELECT COUNT(*) FROM users WHERE status <> 'deleted'"),
            ("roles", "SELECT COUNT(*) FROM roles"),
            ("service_accounts", "SELECT COUNT(*) FROM service_accounts"),
            ("events", "SELECT COALESCE(MAX(seq), 0) FROM events"),
        ] {
            let n: i64 = sqlx::query_scalar(sql).fetch_one(&self.read).await?;
            out.push((name, n));
        }
        Ok(out)
    }

    /// A value of the `meta` table.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.meta", skip_all)]
    pub async fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = $1").bind(key).fetch_optional(&self.read).await?)
    }
}

/// WAL lets readers run beside the one writer; NORMAL sync is durable across
/// process crashes (not power loss) and is what WAL deployments use. LIKE is
/// case-sensitive, as on PostgreSQL, so a glob filter matches the same rows
/// on both (`plat_domain::glob_matches` is case-sensitive too).
fn sqlite_pragmas(
    conn: &mut sqlx::AnyConnection,
    _meta: sqlx::pool::PoolConnectionMetadata,
) -> futures_util::future::BoxFuture<'_, Result<(), sqlx::Error>> {
    Box::pin(async move {
        conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA case_sensitive_like = ON;")
            .await?;
        Ok(())
    })
}
