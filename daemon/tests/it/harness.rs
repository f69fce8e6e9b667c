//! Spawns a platd per test on a fresh database.

use std::time::Duration;

use plat_client::Client;
use platd::config::{Config, Overrides};
use platd::{AppState, Server};

pub const ADMIN_PASSWORD: &str = "admin-password-1";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct Platd {
    pub server: Option<Server>,
    pub client: Client,
    pub admin: Client,
    pub base: String,
    /// The database, for tests that break plat's own tables on purpose.
    pub database_url: String,
    _dir: Option<tempfile::TempDir>,
    /// Where the master key lives (shared by replicas of one test).
    pub data_dir: std::path::PathBuf,
    pg: Option<(String, String)>,
    env: Vec<(String, String)>,
}

impl Platd {
    pub fn state(&self) -> &AppState {
        &self.server.as_ref().expect("running").state
    }

    /// A client of a new login.
    pub async fn login(&self, tenant: &str, username: &str, password: &str) -> Client {
        let pair = self.client.login(tenant, username, password).await.expect("login");
        self.client.clone().with_token(pair.access_token)
    }

    /// Hand the test database over: the caller drops it (replicas share one).
    pub fn take_database(&mut self) -> Option<(String, String)> {
        self.pg.take()
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop(Duration::from_secs(5)).await.expect("stop");
        }
        if let Some((server_url, name)) = self.pg.take() {
            let _ = plat_store::drop_postgres_database(&server_url, &name).await;
        }
    }
}

/// Start a platd on `db`, or None (with a note) when that backend is not configured.
pub async fn start(db: Db, extra_env: &[(&str, &str)]) -> Option<Platd> {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pg = None;
    let url = match db {
        Db::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("plat.db").display()),
        Db::Postgres => {
            let Ok(server_url) = std::env::var("PLAT_TEST_DATABASE_URL") else {
                eprintln!("skipped: PLAT_TEST_DATABASE_URL is not set, PostgreSQL variant not run");
                return None;
            };
            let name = format!("plat_test_{}", uuid_like());
            let url = plat_store::create_postgres_database(&server_url, &name).await.expect("create test database");
            pg = Some((server_url, name));
            url
        }
    };
    let mut env: Vec<(String, String)> = vec![
        // Cheap hashing keeps tests fast; production uses OWASP parameters.
        ("PLATD_AUTH__ARGON2__MEMORY_KIB".into(), "64".into()),
        ("PLATD_AUTH__ARGON2__ITERATIONS".into(), "1".into()),
        ("PLATD_DATABASE__MAX_CONNECTIONS".into(), "4".into()),
    ];
    env.extend(extra_env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let data_dir = dir.path().to_path_buf();
    let mut platd = serve(&url, &data_dir, env, true).await;
    platd._dir = Some(dir);
    platd.pg = pg;
    Some(platd)
}

/// Another replica of `first`: the same database and master key.
pub async fn join(first: &Platd) -> Platd {
    serve(&first.database_url, &first.data_dir, first.env.clone(), false).await
}

async fn serve(url: &str, data_dir: &std::path::Path, mut env: Vec<(String, String)>, bootstrap: bool) -> Platd {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    // The first replica's URL is every replica's issuer, as in production.
    if !env.iter().any(|(k, _)| k == "PLATD_AUTH__ISSUER") {
        env.push(("PLATD_AUTH__ISSUER".into(), format!("http://{addr}")));
    }
    let overrides = Overrides {
        listen: Some(addr.to_string()),
        database_url: Some(url.to_owned()),
        data_dir: Some(data_dir.to_path_buf()),
    };
    let config = Config::load_with_env(None, &overrides, env.clone()).expect("config");
    let store = platd::open_store(&config).await.expect("store");
    let state = AppState::new(config, store).await.expect("state");
    if bootstrap {
        platd::bootstrap(&state, "admin", ADMIN_PASSWORD).await.expect("bootstrap");
    }
    let server = Server::start(state, listener).await.expect("start");
    let base = format!("http://{}", server.addr);
    let client = Client::new(&base).expect("client");
    let pair = client.login("system", "admin", ADMIN_PASSWORD).await.expect("admin login");
    let admin = client.clone().with_token(pair.access_token);
    Platd {
        server: Some(server),
        client,
        admin,
        base,
        database_url: url.to_owned(),
        _dir: None,
        data_dir: data_dir.to_path_buf(),
        pg: None,
        env,
    }
}

/// Drop a test database handed over by [`Platd::take_database`].
pub async fn drop_database(pg: Option<(String, String)>) {
    if let Some((server_url, name)) = pg {
        let _ = plat_store::drop_postgres_database(&server_url, &name).await;
    }
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{}_{}", std::process::id(), nanos % 1_000_000_000_000)
}

/// Define a test that runs once per backend: `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both {
    ($name:ident, $env:expr, |$p:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run(db: $crate::harness::Db) {
                let Some($p) = $crate::harness::start(db, $env).await else { return };
                $body
                $p.stop().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::harness::Db::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run($crate::harness::Db::Postgres).await
            }
        }
    };
}
