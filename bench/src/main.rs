//! plat-bench: starts its own `platd` on a temp database, drives it over
//! loopback, and prints each figure beside the limit it is compared to,
//! measured in the same run on the same machine, and their ratio.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use plat_client::Client;
use plat_proto::*;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// Client-credentials tokens/s and /auth/verify calls/s at 1, 8, 64 clients; local JWKS verification/s.
    Tokens,
    /// Password logins/s against the raw argon2id bound.
    Login,
    /// /auth/verify p50/p99 while ~200 wrong-password logins/s arrive (production argon2id
    /// cost), against the same with no load; logins answered 401 and shed (503).
    VerifyFlood,
    /// Users created one by one and by import; GET-user latency at 1000 req/s.
    Users,
    /// platd's resident memory idle and after 100k users.
    Rss,
    /// Wall time of platctl commands against `platctl --version` (process start alone).
    Cli,
    /// Deliveries/s to a null HTTP sink and to examples/profile-service against a plain
    /// keep-alive client's rate; commit-to-delivery latency at half load.
    Sync,
    /// Consistency checks of 100k and 1M users against examples/profile-service: clean,
    /// 0.1% and 10% drift, digest and paging; against plat reading and hashing its own records.
    Check,
    /// The service registry: registrations/s and heartbeats/s against /healthz round trips;
    /// a probe round of 1,000 instances against a plain client; discovery answers/s; the
    /// wake-up latency of 1,000 blocked watchers against 100 ms.
    Registry,
    /// The Kubernetes controller: reconciles/s (create, then unchanged) through the mock
    /// API server and plat's registry API, against the same registrations PUT directly.
    Controller,
    /// Every scenario above.
    All,
}

#[derive(Parser)]
#[command(name = "plat-bench", about = "plat's benchmark tool")]
struct Args {
    scenario: Scenario,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Run platd on this database server instead of a temp SQLite file
    /// (postgres://...; a fresh database is created and dropped).
    #[arg(long)]
    database_url: Option<String>,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 3)]
    seconds: u64,
    /// User counts of the check scenario.
    #[arg(long, value_delimiter = ',', default_values_t = [100_000usize, 1_000_000])]
    check_sizes: Vec<usize>,
    /// The platd binary (default: next to this one, built if missing).
    #[arg(long)]
    platd: Option<PathBuf>,
}

#[derive(Serialize, Clone)]
struct Figure {
    scenario: &'static str,
    name: String,
    value: f64,
    unit: &'static str,
    limit_name: String,
    limit: f64,
    ratio: f64,
    goal: String,
}

struct Report {
    json: bool,
    figures: Vec<Figure>,
}

impl Report {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        scenario: &'static str,
        name: String,
        value: f64,
        unit: &'static str,
        limit_name: String,
        limit: f64,
        goal: &str,
    ) {
        let ratio = if limit > 0.0 { value / limit } else { 0.0 };
        if !self.json {
            println!(
                "{scenario:<12} {name:<40} {value:>12.1} {unit:<6} limit {limit_name:<34} {limit:>12.1}  ratio {ratio:>6.3}  goal {goal}"
            );
        }
        self.figures.push(Figure { scenario, name, value, unit, limit_name, limit, ratio, goal: goal.to_owned() });
    }
}

/// A platd process on a temp database.
struct Platd {
    child: Child,
    base: String,
    database_url: String,
    admin: Client,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl Drop for Platd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some((server, name)) = self.pg.take() {
            drop_pg(&server, &name);
        }
    }
}

/// A workspace binary: `explicit`, else the one next to plat-bench (built if missing).
fn sibling_binary(name: &str, explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = explicit {
        // platd runs in a temp directory, so a relative path must be resolved here.
        return p.canonicalize().with_context(|| format!("no {name} at {}", p.display()));
    }
    let exe = std::env::current_exe()?;
    let sibling = exe.with_file_name(name);
    if !sibling.exists() {
        eprintln!("building {name} next to plat-bench ...");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let release = exe.parent().is_some_and(|d| d.ends_with("release"));
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", name, "--bin", name]);
        if release {
            cmd.arg("--release");
        }
        if !cmd.status()?.success() || !sibling.exists() {
            bail!("cannot build {name}; build it with: cargo build --release -p {name}");
        }
    }
    Ok(sibling)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

const ADMIN_PASSWORD: &str = "bench-admin-password";

async fn start_platd(binary: &Path, database_url: Option<&str>, extra_env: &[(&str, &str)]) -> anyhow::Result<Platd> {
    let dir = tempfile::tempdir()?;
    let mut pg = None;
    let url = match database_url {
        None => format!("sqlite://{}?mode=rwc", dir.path().join("plat.db").display()),
        Some(server) => {
            let name = format!("plat_bench_{}", std::process::id());
            drop_pg(server, &name);
            let url = create_pg(server, &name).await?;
            pg = Some((server.to_owned(), name));
            url
        }
    };
    let port = free_port()?;
    let env = |cmd: &mut Command| {
        cmd.current_dir(dir.path())
            .env("PLATD_DATA_DIR", dir.path())
            .env("PLATD_DATABASE_URL", &url)
            .env("PLATD_LOG__LEVEL", "warn");
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
    };
    let mut boot = Command::new(binary);
    boot.args(["bootstrap", "--admin", "admin", "--password-stdin"]).stdin(Stdio::piped()).stderr(Stdio::null());
    env(&mut boot);
    let mut child = boot.spawn().context("cannot start platd bootstrap")?;
    std::io::Write::write_all(child.stdin.as_mut().context("stdin")?, ADMIN_PASSWORD.as_bytes())?;
    drop(child.stdin.take());
    if !child.wait()?.success() {
        bail!("platd bootstrap failed");
    }
    let mut serve = Command::new(binary);
    serve.args(["serve", "--listen", &format!("127.0.0.1:{port}")]).stdout(Stdio::null()).stderr(Stdio::null());
    env(&mut serve);
    let child = serve.spawn().context("cannot start platd serve")?;
    let base = format!("http://127.0.0.1:{port}");
    let client = Client::new(&base)?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok((200, _)) = client.get_raw("/healthz").await {
            break;
        }
        if Instant::now() > deadline {
            bail!("platd did not become healthy");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pair = client.login("system", "admin", ADMIN_PASSWORD).await?;
    Ok(Platd { child, base, database_url: url, admin: client.with_token(pair.access_token), _dir: dir, pg })
}

async fn create_pg(server: &str, name: &str) -> anyhow::Result<String> {
    let status = Command::new("psql").args([server, "-qc", &format!("CREATE DATABASE {name}")]).status();
    match status {
        Ok(s) if s.success() => {}
        _ => bail!("cannot create database {name} on {server} (psql)"),
    }
    let prefix =
        server.split('?').next().unwrap_or(server).rsplit_once('/').map(|(p, _)| p.to_owned()).unwrap_or_default();
    Ok(format!("{prefix}/{name}"))
}

fn drop_pg(server: &str, name: &str) {
    let _ = Command::new("psql")
        .args([server, "-qc", &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")])
        .stderr(Stdio::null())
        .status();
}

/// Run `op` from `concurrency` tasks for `seconds`; successful operations per second.
async fn rate<F, Fut>(concurrency: usize, seconds: u64, op: F) -> f64
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let op = Arc::new(op);
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    let started = Instant::now();
    for _ in 0..concurrency {
        let (op, done, stop) = (op.clone(), done.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if op().await {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

async fn tokens(report: &mut Report, p: &Platd, seconds: u64) -> anyhow::Result<()> {
    let sa = p
        .admin
        .create_service_account(&CreateServiceAccount {
            name: "bench".into(),
            description: None,
            roles: vec!["viewer".into()],
        })
        .await?;
    let caller = Client::new(&p.base)?;
    let grant = caller.client_credentials(&sa.account.client_id, &sa.client_secret, None).await?;
    let service = caller.clone().with_token(grant.access_token.clone());
    let mut healthz_single = 0.0;
    for concurrency in [1usize, 8, 64] {
        let http = reqwest::Client::new();
        let url = format!("{}/healthz", p.base);
        let healthz = rate(concurrency, seconds, move || {
            let (http, url) = (http.clone(), url.clone());
            async move { http.get(&url).send().await.is_ok_and(|r| r.status().is_success()) }
        })
        .await;
        let (c, id, secret) = (caller.clone(), sa.account.client_id.clone(), sa.client_secret.clone());
        let grants = rate(concurrency, seconds, move || {
            let (c, id, secret) = (c.clone(), id.clone(), secret.clone());
            async move { c.client_credentials(&id, &secret, None).await.is_ok() }
        })
        .await;
        let (s, token) = (service.clone(), grant.access_token.clone());
        let verifies = rate(concurrency, seconds, move || {
            let (s, token) = (s.clone(), token.clone());
            async move { s.verify(&token).await.is_ok_and(|v| v.active) }
        })
        .await;
        if concurrency == 1 {
            healthz_single = healthz;
        }
        let limit = format!("/healthz c={concurrency}");
        report.add(
            "tokens",
            format!("client_credentials c={concurrency}"),
            grants,
            "/s",
            limit.clone(),
            healthz,
            ">= 0.30",
        );
        report.add("tokens", format!("/auth/verify c={concurrency}"), verifies, "/s", limit, healthz, ">= 0.30");
    }
    // Local verification against the published JWKS, on one core.
    let jwks = caller.jwks().await?;
    let key = jsonwebtoken::DecodingKey::from_ed_components(&jwks.keys[0].x)?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_audience(&["plat"]);
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < Duration::from_secs(seconds) {
        for _ in 0..100 {
            if jsonwebtoken::decode::<Claims>(&grant.access_token, &key, &validation).is_ok() {
                n += 1;
            }
        }
    }
    let local = n as f64 / started.elapsed().as_secs_f64();
    report.add(
        "tokens",
        "local JWKS verification (1 core)".into(),
        local,
        "/s",
        "/healthz c=1 (any round trip)".into(),
        healthz_single,
        "informational (> 1: local beats a call)",
    );
    Ok(())
}

async fn login(report: &mut Report, p: &Platd, seconds: u64) -> anyhow::Result<()> {
    p.admin
        .create_user(&CreateUser {
            username: "runner".into(),
            email: "runner@bench.test".into(),
            password: Some("runner-password".into()),
            ..Default::default()
        })
        .await?;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let c = Client::new(&p.base)?;
    let logins = rate(cores * 2, seconds, move || {
        let c = c.clone();
        async move { c.login("system", "runner", "runner-password").await.is_ok() }
    })
    .await;
    // The bound: argon2id with the same (default OWASP) parameters on every core.
    let params = argon2::Params::new(19456, 2, 1, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            let (stop, done, params) = (stop.clone(), done.clone(), params.clone());
            std::thread::spawn(move || {
                use argon2::PasswordHasher;
                let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
                let salt = argon2::password_hash::SaltString::encode_b64(b"bench-salt-16byt").expect("salt");
                while !stop.load(Ordering::Relaxed) {
                    if argon.hash_password(b"runner-password", &salt).is_ok() {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    let bound = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    report.add(
        "login",
        format!("password logins c={}", cores * 2),
        logins,
        "/s",
        format!("argon2id hashes, {cores} threads"),
        bound,
        ">= 0.80",
    );
    Ok(())
}

/// The value at quantile `q` of sorted `values`; NaN when empty.
fn quantile(values: &[f64], q: f64) -> f64 {
    values.get(((values.len() as f64 * q) as usize).min(values.len().saturating_sub(1))).copied().unwrap_or(f64::NAN)
}

/// `/auth/verify` of `token`, paced open-loop at `per_sec` for `seconds`:
/// the latencies (ms, sorted) of the calls that answered active, and how many did not.
async fn paced_verifies(client: &Client, token: &str, per_sec: u64, seconds: u64) -> (Vec<f64>, u64) {
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_sec as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut calls = Vec::new();
    for _ in 0..per_sec * seconds {
        tick.tick().await;
        let (client, token) = (client.clone(), token.to_owned());
        calls.push(tokio::spawn(async move {
            let started = Instant::now();
            let active = client.verify(&token).await.is_ok_and(|v| v.active);
            (active, started.elapsed().as_secs_f64() * 1000.0)
        }));
    }
    let (mut latencies, mut failed) = (Vec::with_capacity(calls.len()), 0);
    for call in calls {
        match call.await {
            Ok((true, ms)) => latencies.push(ms),
            _ => failed += 1,
        }
    }
    latencies.sort_by(f64::total_cmp);
    (latencies, failed)
}

/// How a login flood was answered.
#[derive(Default)]
struct FloodAnswers {
    sent: u64,
    /// 401 INVALID_CREDENTIALS: the password was checked.
    refused: u64,
    /// 503 SERVICE_UNAVAILABLE: no hashing slot within auth.hash_queue_timeout.
    shed: u64,
    /// 429 RATE_LIMITED (the per-IP limit; the bench raises it out of the way).
    limited: u64,
    /// Anything else: other answers, transport errors, no answer in 30 s.
    other: u64,
}

/// Wrong-password logins, paced open-loop at `per_sec` for `duration`, each
/// for an unknown user (one full argon2id check each, the equal-time dummy,
/// and no lockout to stop them); waits for every answer (at most 30 s each).
async fn login_flood(base: String, per_sec: u64, duration: Duration) -> anyhow::Result<FloodAnswers> {
    let client = Client::new(&base)?;
    let sent = (per_sec as f64 * duration.as_secs_f64()) as u64;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_sec as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut logins = Vec::with_capacity(sent as usize);
    for i in 0..sent {
        tick.tick().await;
        let client = client.clone();
        logins.push(tokio::spawn(async move {
            let username = format!("ghost{i}");
            let login = client.login("system", &username, "wrong-password-1");
            match tokio::time::timeout(Duration::from_secs(30), login).await {
                Ok(Err(plat_client::ClientError::Api { status, .. })) => Some(status),
                _ => None,
            }
        }));
    }
    let mut answers = FloodAnswers { sent, ..FloodAnswers::default() };
    for login in logins {
        match login.await.ok().flatten() {
            Some(401) => answers.refused += 1,
            Some(503) => answers.shed += 1,
            Some(429) => answers.limited += 1,
            _ => answers.other += 1,
        }
    }
    Ok(answers)
}

const FLOOD_PER_SEC: u64 = 200;
const VERIFY_PER_SEC: u64 = 100;

async fn verify_flood(report: &mut Report, p: &Platd, seconds: u64) -> anyhow::Result<()> {
    let token = p.admin.token().context("admin token")?.to_owned();
    // Warm the connection pool and the subject cache.
    paced_verifies(&p.admin, &token, VERIFY_PER_SEC, 1).await;
    // The limit: the same paced verifies with nothing else going on.
    let (idle, idle_failed) = paced_verifies(&p.admin, &token, VERIFY_PER_SEC, seconds).await;
    // The flood runs a second longer on each side of the measurement, so the
    // hashing queue is full before it starts and still full when it ends.
    let flood = tokio::spawn(login_flood(p.base.clone(), FLOOD_PER_SEC, Duration::from_secs(seconds + 2)));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (loaded, loaded_failed) = paced_verifies(&p.admin, &token, VERIFY_PER_SEC, seconds).await;
    let answers = flood.await??;
    let label = format!("{FLOOD_PER_SEC} logins/s");
    for (q, name) in [(0.50, "p50"), (0.99, "p99")] {
        report.add(
            "verify-flood",
            format!("/auth/verify {name} under {label}"),
            quantile(&loaded, q),
            "ms",
            format!("/auth/verify {name} idle"),
            quantile(&idle, q),
            "small multiple (not starved)",
        );
    }
    report.add(
        "verify-flood",
        format!("  verifies failed under flood (idle {idle_failed})"),
        loaded_failed as f64,
        "",
        "verifies sent".into(),
        (VERIFY_PER_SEC * seconds) as f64,
        "0",
    );
    let sent = answers.sent as f64;
    report.add(
        "verify-flood",
        "logins answered 401 (checked)".into(),
        answers.refused as f64,
        "",
        "logins sent".into(),
        sent,
        "informational",
    );
    report.add(
        "verify-flood",
        "logins answered 503 (shed)".into(),
        answers.shed as f64,
        "",
        "logins sent".into(),
        sent,
        "informational",
    );
    report.add(
        "verify-flood",
        format!("logins answered 429 / other ({} other)", answers.other),
        answers.limited as f64,
        "",
        "logins sent".into(),
        sent,
        "0 and 0",
    );
    Ok(())
}

/// An argon2id hash to import with (importing pre-hashed users costs no hashing).
const PREHASHED: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2gtc2FsdC0xNmJ5dA$6mG3p8Vq1xT8m3J3q0z4cQ6c1n2HqkqgEo7XG7b0r2Q";

async fn import(p: &Platd, tenant: &str, from: usize, count: usize) -> anyhow::Result<Duration> {
    let client = p.admin.clone().with_tenant(tenant);
    let mut body = String::with_capacity(count * 120);
    for i in from..from + count {
        body.push_str(&format!(r#"{{"username":"u{i}","email":"u{i}@bench.test","password_hash":"{PREHASHED}"}}"#));
        body.push('\n');
    }
    let started = Instant::now();
    let report = client.import_users(body, false).await?;
    if report.failed > 0 {
        bail!("import rejected {} lines: {:?}", report.failed, report.errors.first());
    }
    Ok(started.elapsed())
}

async fn users(report: &mut Report, p: &Platd, seconds: u64) -> anyhow::Result<()> {
    p.admin.create_tenant(&CreateTenant { slug: "bench".into(), name: None, quotas: None }).await?;
    let client = p.admin.clone().with_tenant("bench");
    let count = 20_000;
    let took = import(p, "bench", 0, count).await?;
    let per_sec = count as f64 / took.as_secs_f64();
    report.add(
        "users",
        format!("imported pre-hashed ({count})"),
        per_sec,
        "/s",
        "goal 10,000/s".into(),
        10_000.0,
        ">= 1.0",
    );
    let counter = Arc::new(AtomicU64::new(0));
    let (c, n) = (client.clone(), counter.clone());
    let created = rate(8, seconds, move || {
        let (c, n) = (c.clone(), n.clone());
        async move {
            let i = n.fetch_add(1, Ordering::Relaxed);
            c.create_user(&CreateUser {
                username: format!("one{i}"),
                email: format!("one{i}@bench.test"),
                ..Default::default()
            })
            .await
            .is_ok()
        }
    })
    .await;
    report.add(
        "users",
        "created one by one (c=8, no password)".into(),
        created,
        "/s",
        "pre-hashed import, same run".into(),
        per_sec,
        "informational (batching gain)",
    );
    // GET-user latency under an open-loop 1000 req/s.
    let target = "u123".to_owned();
    let mut latencies = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let started = Instant::now();
    let mut sent = 0u64;
    while started.elapsed() < Duration::from_secs(seconds) {
        tick.tick().await;
        let (c, t, tx) = (client.clone(), target.clone(), tx.clone());
        sent += 1;
        tokio::spawn(async move {
            let s = Instant::now();
            let ok = c.get_user(&t).await.is_ok();
            let _ = tx.send((ok, s.elapsed()));
        });
    }
    drop(tx);
    let mut failed = 0;
    while let Some((ok, d)) = rx.recv().await {
        if ok {
            latencies.push(d);
        } else {
            failed += 1;
        }
    }
    latencies.sort();
    let pct = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(f64::NAN)
    };
    let achieved = sent as f64 / started.elapsed().as_secs_f64();
    report.add(
        "users",
        format!("GET user p50 at {achieved:.0} req/s ({failed} failed)"),
        pct(0.50),
        "ms",
        "goal 5 ms".into(),
        5.0,
        "informational",
    );
    report.add(
        "users",
        format!("GET user p99 at {achieved:.0} req/s"),
        pct(0.99),
        "ms",
        "goal 5 ms".into(),
        5.0,
        "<= 1.0",
    );
    Ok(())
}

async fn rss(report: &mut Report, p: &Platd) -> anyhow::Result<()> {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = rss_mb(p.child.id());
    report.add("rss", "platd RSS idle after start".into(), idle, "MB", "goal 40 MB".into(), 40.0, "<= 1.0");
    p.admin.create_tenant(&CreateTenant { slug: "rss".into(), name: None, quotas: None }).await?;
    for batch in 0..10 {
        import(p, "rss", batch * 10_000, 10_000).await?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let loaded = rss_mb(p.child.id());
    report.add("rss", "platd RSS after 100k users".into(), loaded, "MB", "goal 40 MB".into(), 40.0, "<= 1.0");
    Ok(())
}

/// Median wall time of `runs` runs of `platctl args`, in ms.
fn median_ms(platctl: &Path, env: &[(&str, &str)], args: &[&str], runs: usize) -> anyhow::Result<f64> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let mut cmd = Command::new(platctl);
        cmd.args(args).stdout(Stdio::null()).stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let started = Instant::now();
        let out = cmd.output()?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        if !out.status.success() {
            bail!("platctl {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

async fn cli(report: &mut Report, p: &Platd) -> anyhow::Result<()> {
    let platctl = sibling_binary("platctl", None)?;
    p.admin.create_tenant(&CreateTenant { slug: "cli".into(), name: None, quotas: None }).await?;
    import(p, "cli", 0, 1000).await?;
    let home = tempfile::tempdir()?;
    let config = home.path().join("platctl.toml");
    let config = config.to_str().context("config path")?;
    let env = [("PLATCTL_CONFIG", config), ("PLATCTL_SERVER", p.base.as_str()), ("PLATCTL_TENANT", "cli")];
    let mut login = Command::new(&platctl);
    login.args(["--tenant", "system", "login", "-u", "admin", "--password-stdin"]).stdin(Stdio::piped());
    for (k, v) in env {
        login.env(k, v);
    }
    let mut child = login.stderr(Stdio::null()).spawn()?;
    std::io::Write::write_all(child.stdin.as_mut().context("stdin")?, ADMIN_PASSWORD.as_bytes())?;
    drop(child.stdin.take());
    if !child.wait()?.success() {
        bail!("platctl login failed");
    }
    let runs = 60;
    let start = median_ms(&platctl, &env, &["--version"], runs)?;
    let get = median_ms(&platctl, &env, &["user", "get", "u500"], runs)?;
    let list = median_ms(&platctl, &env, &["user", "list", "--page-size", "100"], runs)?;
    let limit = format!("platctl --version {start:.1} ms");
    report.add("cli", "platctl --version (median)".into(), start, "ms", "goal 50 ms".into(), 50.0, "well under 1.0");
    report.add("cli", "platctl user get (median)".into(), get, "ms", limit.clone(), start, "<= version + 15 ms");
    report.add("cli", "  of which beyond process start".into(), get - start, "ms", "goal 15 ms".into(), 15.0, "<= 1.0");
    report.add("cli", "platctl user list --page-size 100 (median)".into(), list, "ms", limit, start, "< 50 ms");
    report.add("cli", "  user list against 50 ms".into(), list, "ms", "goal 50 ms".into(), 50.0, "well under 1.0");
    Ok(())
}

/// A null webhook receiver: answers 200 to every POST and counts them.
async fn null_sink() -> anyhow::Result<(String, Arc<AtomicU64>)> {
    let count = Arc::new(AtomicU64::new(0));
    let counter = count.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |_body: axum::body::Bytes| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::Relaxed);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, count))
}

const SYNC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SYNC_CONCURRENCY: u32 = 64;

/// Pause `target`, import `n` users (one event each), resume, and time until
/// `delivered()` reaches `n`: deliveries per second.
async fn drain_rate(
    p: &Platd,
    target: &str,
    tenant: &str,
    n: usize,
    delivered: impl Fn() -> u64,
) -> anyhow::Result<f64> {
    p.admin.pause_target(target).await?;
    p.admin.create_tenant(&CreateTenant { slug: tenant.into(), name: None, quotas: None }).await?;
    let client = p.admin.clone().with_tenant(tenant);
    let body: String = (0..n).map(|i| format!("{{\"username\":\"s{i}\",\"email\":\"s{i}@bench.test\"}}\n")).collect();
    client.import_users(body, false).await?;
    let before = delivered();
    let started = Instant::now();
    p.admin.resume_target(target).await?;
    while delivered() < before + n as u64 {
        if started.elapsed() > Duration::from_secs(300) {
            bail!("{target}: only {} of {n} delivered in 300 s", delivered() - before);
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    p.admin.pause_target(target).await?;
    Ok(rate)
}

async fn sync(report: &mut Report, p: &Platd, seconds: u64) -> anyhow::Result<()> {
    let (url, count) = null_sink().await?;
    // The limit: the same sink's rate from a plain keep-alive client at the same concurrency.
    let http = reqwest::Client::new();
    let body = Arc::new(format!(r#"{{"type":"user.created","data":{{"pad":"{}"}}}}"#, "x".repeat(600)));
    let plain = {
        let (http, url, body) = (http.clone(), url.clone(), body.clone());
        rate(SYNC_CONCURRENCY as usize, seconds, move || {
            let (http, url, body) = (http.clone(), url.clone(), body.clone());
            async move {
                http.post(url.as_str())
                    .body(body.as_str().to_owned())
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            }
        })
        .await
    };
    let target = |name: &str, url: &str| CreateTarget {
        name: name.into(),
        kind: TargetKind::Http,
        url: url.into(),
        events: vec!["user.*".into()],
        secret: Some(SYNC_SECRET.into()),
        timeout: None,
        max_attempts: None,
        concurrency: Some(SYNC_CONCURRENCY),
        options: serde_json::Map::new(),
        read_back: None,
    };
    p.admin.create_target(&target("null", &url)).await?;
    let n = 20_000;
    let null_rate = drain_rate(p, "null", "sync-null", n, || count.load(Ordering::Relaxed)).await?;
    report.add(
        "sync",
        format!("deliveries/s to a null sink ({n} events, c={SYNC_CONCURRENCY})"),
        null_rate,
        "/s",
        format!("plain keep-alive client c={SYNC_CONCURRENCY}"),
        plain,
        ">= 0.50 and >= 5000/s",
    );
    report.add("sync", "  against the 5,000/s goal".into(), null_rate, "/s", "goal".into(), 5000.0, ">= 1.0");

    // Commit-to-delivery latency at half of the pipeline's maximum rate: events
    // come from user updates, so the maximum is the lower of the update rate
    // (measured now, deliveries paused) and the drain rate.
    let ids: Vec<String> = p
        .admin
        .clone()
        .with_tenant("sync-null")
        .list_users(&UserListQuery { page_size: Some(500), ..UserListQuery::default() })
        .await?
        .items
        .into_iter()
        .map(|u| u.id)
        .collect();
    let ids = Arc::new(ids);
    let writer = p.admin.clone().with_tenant("sync-null");
    let next = Arc::new(AtomicU64::new(0));
    let update_rate = {
        let (writer, ids, next) = (writer.clone(), ids.clone(), next.clone());
        rate(16, seconds, move || {
            let (writer, ids, next) = (writer.clone(), ids.clone(), next.clone());
            async move {
                let n = next.fetch_add(1, Ordering::Relaxed) as usize;
                let patch = UpdateUser {
                    profile: Some(ProfilePatch { bio: Some(format!("w{n}")), ..ProfilePatch::default() }),
                    ..UpdateUser::default()
                };
                writer.update_user(&ids[n % ids.len()], &patch).await.is_ok()
            }
        })
        .await
    };
    // Drain what the measurement queued before timing latencies.
    let queued = count.load(Ordering::Relaxed) + (update_rate * seconds as f64) as u64;
    p.admin.resume_target("null").await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while count.load(Ordering::Relaxed) < queued && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    report.add(
        "sync",
        "user updates/s (events produced), c=16".into(),
        update_rate,
        "/s",
        "drain rate".into(),
        null_rate,
        "",
    );
    let half = (null_rate.min(update_rate) / 2.0).max(1.0);
    let client = writer.clone();
    let interval = Duration::from_secs_f64(1.0 / half);
    let started = Instant::now();
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut i = 0usize;
    let writes = Arc::new(AtomicU64::new(0));
    while started.elapsed() < Duration::from_secs(seconds) {
        tick.tick().await;
        let (client, id, writes) = (client.clone(), ids[(i * 7919) % ids.len()].clone(), writes.clone());
        i += 1;
        tokio::spawn(async move {
            let patch = UpdateUser {
                profile: Some(ProfilePatch {
                    bio: Some(format!("b{}", writes.load(Ordering::Relaxed))),
                    ..ProfilePatch::default()
                }),
                ..UpdateUser::default()
            };
            if client.update_user(&id, &patch).await.is_ok() {
                writes.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    // Only deliveries of this phase: wait for them, and read the last 1,000.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let achieved = writes.load(Ordering::Relaxed) as f64 / seconds as f64;
    let stats = p.admin.sync_stats().await?;
    let s = stats.iter().find(|s| s.target == "null").context("stats of the null target")?;
    report.add(
        "sync",
        format!("  updates/s offered (asked {half:.0}/s)"),
        achieved,
        "/s",
        "asked".into(),
        half,
        "~1.0",
    );
    report.add(
        "sync",
        "commit-to-delivery p50 at half load".into(),
        s.latency_p50_ms.unwrap_or(f64::NAN),
        "ms",
        "goal p99 50 ms".into(),
        50.0,
        "",
    );
    report.add(
        "sync",
        "commit-to-delivery p99 at half load".into(),
        s.latency_p99_ms.unwrap_or(f64::NAN),
        "ms",
        "goal 50 ms".into(),
        50.0,
        "<= 1.0",
    );
    p.admin.pause_target("null").await?;

    // The profile service: a real receiver that verifies and stores each event.
    match sibling_binary("profile-service", None) {
        Ok(binary) => {
            let (service_url, mut child) = start_profile_service(&binary).await?;
            let stats_url = format!("{service_url}/stats");
            let http = http.clone();
            p.admin.create_target(&target("profiles", &format!("{service_url}/hooks/plat"))).await?;
            let applied = Arc::new(AtomicU64::new(0));
            let poller = {
                let (applied, http, stats_url) = (applied.clone(), http.clone(), stats_url.clone());
                tokio::spawn(async move {
                    loop {
                        if let Ok(r) = http.get(&stats_url).send().await
                            && let Ok(v) = r.json::<serde_json::Value>().await
                        {
                            let done = v["applied"].as_u64().unwrap_or(0) + v["stale"].as_u64().unwrap_or(0);
                            applied.store(done, Ordering::Relaxed);
                        }
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                })
            };
            let n = 10_000;
            let profile_rate =
                drain_rate(p, "profiles", "sync-profiles", n, || applied.load(Ordering::Relaxed)).await?;
            poller.abort();
            let _ = child.kill();
            report.add(
                "sync",
                format!("deliveries/s to profile-service ({n} events)"),
                profile_rate,
                "/s",
                format!("plain keep-alive client c={SYNC_CONCURRENCY}"),
                plain,
                "(the service stores each in SQLite)",
            );
        }
        Err(e) => eprintln!("profile-service not measured: {e}"),
    }
    Ok(())
}

async fn start_profile_service(binary: &Path) -> anyhow::Result<(String, Child)> {
    let dir = tempfile::tempdir()?.keep();
    start_profile_service_on(binary, &dir.join("profile.db")).await
}

async fn start_profile_service_on(binary: &Path, database: &Path) -> anyhow::Result<(String, Child)> {
    let mut child = Command::new(binary)
        .args(["--listen", "127.0.0.1:0", "--database"])
        .arg(database)
        .env("PROFILE_WEBHOOK_SECRET", SYNC_SECRET)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start profile-service")?;
    let stdout = child.stdout.take().context("stdout")?;
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).map(|_| line)
    })
    .await??;
    let url = line.trim().strip_prefix("listening on ").context("profile-service did not say where it listens")?;
    Ok((url.to_owned(), child))
}

/// Peak RSS (MB) of `pid` sampled every 20 ms until `stop`.
fn sample_peak_rss(pid: u32, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<f64> {
    tokio::spawn(async move {
        let mut peak: f64 = 0.0;
        while !stop.load(Ordering::Relaxed) {
            peak = peak.max(rss_mb(pid));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        peak.max(rss_mb(pid))
    })
}

/// plat's own side alone: stream `(id, version)` of live users from its
/// database and compute the read-back digest, as a check does.
async fn read_and_hash(database_url: &str, buckets: u32) -> anyhow::Result<Duration> {
    use futures_util::TryStreamExt;
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(database_url).await?;
    let started = Instant::now();
    let mut digest = plat_domain::readback::Digest::new(buckets);
    let mut rows = sqlx::query("SELECT id, version FROM users WHERE status <> 'deleted'").fetch(&mut conn);
    while let Some(row) = rows.try_next().await? {
        let id: String = row.try_get(0)?;
        let version: i64 = row.try_get(1)?;
        digest.add(&id, version as u64);
    }
    Ok(started.elapsed())
}

/// Copy plat's `(id, version)` pairs into a fresh profile-service database
/// (as if every event had been delivered), in one transaction.
async fn seed_profiles(database_url: &str, file: &Path) -> anyhow::Result<Vec<String>> {
    use futures_util::TryStreamExt;
    use sqlx::{Connection, Row};
    sqlx::any::install_default_drivers();
    let mut plat = <sqlx::AnyConnection as Connection>::connect(database_url).await?;
    let mut pairs: Vec<(String, i64)> = Vec::new();
    let mut rows = sqlx::query("SELECT id, version FROM users WHERE status <> 'deleted'").fetch(&mut plat);
    while let Some(row) = rows.try_next().await? {
        pairs.push((row.try_get(0)?, row.try_get(1)?));
    }
    drop(rows);
    // The service's own code creates its schema.
    profile_service::store::Store::open(file).await?.close().await;
    let url = format!("sqlite://{}", file.display());
    let mut copy = sqlx::SqliteConnection::connect(&url).await?;
    let mut tx = copy.begin().await?;
    for chunk in pairs.chunks(400) {
        let mut sql = String::from("INSERT INTO users (id, version) VALUES ");
        sql.push_str(&vec!["(?, ?)"; chunk.len()].join(", "));
        let mut query = sqlx::query(&sql);
        for (id, version) in chunk {
            query = query.bind(id).bind(version);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(pairs.into_iter().map(|(id, _)| id).collect())
}

/// Drift `fraction` of the copy: a third deleted, a third at another
/// version, a third of orphans added. Returns the number of records drifted.
async fn drift(file: &Path, ids: &[String], fraction: f64, seed: usize) -> anyhow::Result<usize> {
    use sqlx::Connection;
    let url = format!("sqlite://{}", file.display());
    let mut copy = sqlx::SqliteConnection::connect(&url).await?;
    let n = ((ids.len() as f64 * fraction) as usize).max(3);
    let step = ids.len() / n;
    let mut tx = copy.begin().await?;
    for k in 0..n {
        let id = &ids[(k * step + seed) % ids.len()];
        match k % 3 {
            0 => sqlx::query("DELETE FROM users WHERE id = ?").bind(id).execute(&mut *tx).await?,
            1 => sqlx::query("UPDATE users SET version = version + 7 WHERE id = ?").bind(id).execute(&mut *tx).await?,
            _ => {
                sqlx::query("INSERT INTO users (id, version) VALUES (?, 1)")
                    .bind(format!("ffffffff-orphan-{seed}-{k}"))
                    .execute(&mut *tx)
                    .await?
            }
        };
    }
    tx.commit().await?;
    Ok(n)
}

/// Run one check to its end; wall time, the finished check, platd's peak RSS.
async fn timed_check(p: &Platd, mode: CheckMode) -> anyhow::Result<(Duration, Check, f64)> {
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample_peak_rss(p.child.id(), stop.clone());
    let started = Instant::now();
    let created =
        p.admin.create_check(&CreateCheck { target: Some("profiles".into()), mode, ..CreateCheck::default() }).await?;
    let check = loop {
        let check = p.admin.get_check(&created.id, 0).await?;
        if check.status != CheckStatus::Running {
            break check;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let peak = sampler.await?;
    if check.status != CheckStatus::Succeeded {
        bail!("check failed: {:?}", check.error);
    }
    Ok((took, check, peak))
}

async fn check(report: &mut Report, p: &Platd, size: usize) -> anyhow::Result<()> {
    let label = if size >= 1_000_000 { format!("{}M", size / 1_000_000) } else { format!("{}k", size / 1000) };
    p.admin.create_tenant(&CreateTenant { slug: "chk".into(), name: None, quotas: None }).await?;
    for from in (0..size).step_by(20_000) {
        import(p, "chk", from, 20_000.min(size - from)).await?;
    }
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("profiles.db");
    let ids = seed_profiles(&p.database_url, &file).await?;
    let binary = sibling_binary("profile-service", None)?;
    let (service_url, mut service) = start_profile_service_on(&binary, &file).await?;
    p.admin
        .create_target(&CreateTarget {
            name: "profiles".into(),
            kind: TargetKind::Http,
            url: format!("{service_url}/hooks/plat"),
            events: vec!["user.*".into()],
            secret: Some(SYNC_SECRET.into()),
            timeout: None,
            max_attempts: None,
            concurrency: None,
            options: serde_json::Map::new(),
            read_back: Some(ReadBack { supported: true, base_url: None }),
        })
        .await?;
    // The limit: plat reading and hashing its own records (best of three).
    let mut limit = f64::MAX;
    for _ in 0..3 {
        limit = limit.min(read_and_hash(&p.database_url, 16_384).await?.as_secs_f64());
    }
    let goal_clean = if size >= 1_000_000 { 15.0 } else { 2.0 };
    let mut clean_digest = 0.0;
    for (drifted, fraction) in [("clean", 0.0), ("0.1% drift", 0.001), ("10% drift", 0.1)] {
        let injected = if fraction > 0.0 { drift(&file, &ids, fraction, (fraction * 1e4) as usize).await? } else { 0 };
        for mode in [CheckMode::Auto, CheckMode::Paging] {
            let (took, check, peak) = timed_check(p, mode).await?;
            let t = &check.targets[0];
            let found = t.counts.missing + t.counts.orphan + t.counts.stale;
            let used = t.mode.map(|m| m.as_str()).unwrap_or("?");
            let secs = took.as_secs_f64();
            let name = format!("{label} {drifted}, {} ({used})", mode.as_str());
            let goal = match (fraction > 0.0, mode) {
                (false, CheckMode::Auto) => {
                    clean_digest = secs;
                    format!("<= {goal_clean} s")
                }
                (true, CheckMode::Auto) if fraction < 0.01 => format!("<= 2x clean ({:.1} s)", 2.0 * clean_digest),
                _ => "informational".into(),
            };
            report.add(
                "check",
                format!("{name}: seconds"),
                secs,
                "s",
                "plat read+hash own records".into(),
                limit,
                &goal,
            );
            report.add(
                "check",
                "  bytes from the target".into(),
                t.bytes as f64 / 1024.0,
                "KiB",
                "-".into(),
                0.0,
                "O(buckets) when clean",
            );
            report.add("check", "  platd peak RSS".into(), peak, "MB", "-".into(), 0.0, "flat in users");
            if found < injected as u64 * 9 / 10 || (fraction == 0.0 && found > 0) {
                eprintln!("warning: {name} found {found} differences, {injected} were injected");
            }
        }
    }
    let _ = service.kill();
    Ok(())
}

/// Concurrency of the registry scenario's throughput figures.
const REGISTRY_CONCURRENCY: usize = 64;
/// Instances of the probe round (the prober's default concurrency is 256).
const PROBE_INSTANCES: usize = 1000;
const PROBE_CONCURRENCY: usize = 256;
const WATCHERS: usize = 1000;
/// Nacos 2.x's published registration rate on 3 servers of 8 cores.
const NACOS_REGISTRATIONS: f64 = 26_800.0;

/// `count` operations `op(i)` from `concurrency` tasks: (successes per second, failures).
async fn fixed<F, Fut>(count: usize, concurrency: usize, op: F) -> (f64, usize)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let ok = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (op, next, ok) = (op.clone(), next.clone(), ok.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    if op(i).await {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    let ok = ok.load(Ordering::Relaxed);
    (ok as f64 / started.elapsed().as_secs_f64(), count - ok)
}

/// The registry endpoints over plain reqwest, with the admin's token.
#[derive(Clone)]
struct RegistryApi {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl RegistryApi {
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}/api/v1{path}", self.base)).bearer_auth(&self.token)
    }

    async fn ok(builder: reqwest::RequestBuilder) -> bool {
        builder.send().await.is_ok_and(|r| r.status().is_success())
    }

    async fn put(&self, name: &str, body: &serde_json::Value) -> anyhow::Result<()> {
        let r = self.request(reqwest::Method::PUT, &format!("/services/bench/{name}")).json(body).send().await?;
        if !r.status().is_success() {
            bail!("PUT /services/bench/{name}: {} {}", r.status(), r.text().await.unwrap_or_default());
        }
        Ok(())
    }

    async fn delete(&self, name: &str) -> anyhow::Result<()> {
        let r = self.request(reqwest::Method::DELETE, &format!("/services/bench/{name}")).send().await?;
        if !r.status().is_success() {
            bail!("DELETE /services/bench/{name}: {}", r.status());
        }
        Ok(())
    }

    /// `GET /healthz`, `count` times from `concurrency` tasks: round trips per second.
    async fn healthz(&self, count: usize, concurrency: usize) -> f64 {
        let (http, url) = (self.http.clone(), format!("{}/healthz", self.base));
        fixed(count, concurrency, move |_| {
            let (http, url) = (http.clone(), url.clone());
            async move { http.get(&url).send().await.is_ok_and(|r| r.status().is_success()) }
        })
        .await
        .0
    }
}

const ROUNDS: usize = 3;

/// Health checks answered by the bench's instances, counted per instance;
/// round k is every instance's (k+1)-th hit, timed from its first to its last.
struct Hits {
    base: Instant,
    per: Vec<AtomicU32>,
    reached: [AtomicUsize; ROUNDS],
    first: [AtomicU64; ROUNDS],
    last: [AtomicU64; ROUNDS],
}

impl Hits {
    fn new(n: usize) -> Hits {
        Hits {
            base: Instant::now(),
            per: (0..n).map(|_| AtomicU32::new(0)).collect(),
            reached: std::array::from_fn(|_| AtomicUsize::new(0)),
            first: std::array::from_fn(|_| AtomicU64::new(u64::MAX)),
            last: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    fn reset(&self) {
        for n in &self.per {
            n.store(0, Ordering::SeqCst);
        }
        for k in 0..ROUNDS {
            self.reached[k].store(0, Ordering::SeqCst);
            self.first[k].store(u64::MAX, Ordering::SeqCst);
            self.last[k].store(0, Ordering::SeqCst);
        }
    }

    fn hit(&self, i: usize) {
        let k = self.per[i].fetch_add(1, Ordering::SeqCst) as usize;
        if k < ROUNDS {
            let t = self.base.elapsed().as_nanos() as u64;
            self.first[k].fetch_min(t, Ordering::SeqCst);
            self.last[k].fetch_max(t, Ordering::SeqCst);
            self.reached[k].fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Wait until round `k` is complete: its span, first hit to last.
    async fn round(&self, k: usize, timeout: Duration) -> anyhow::Result<Duration> {
        let deadline = Instant::now() + timeout;
        while self.reached[k].load(Ordering::SeqCst) < self.per.len() {
            if Instant::now() > deadline {
                bail!(
                    "probe round {}: {} of {} instances hit in {timeout:?}",
                    k + 1,
                    self.reached[k].load(Ordering::SeqCst),
                    self.per.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let (first, last) = (self.first[k].load(Ordering::SeqCst), self.last[k].load(Ordering::SeqCst));
        Ok(Duration::from_nanos(last.saturating_sub(first)))
    }
}

/// `n` instances, each its own HTTP server on a loopback port answering
/// `GET /health`: their base URLs.
async fn instance_servers(n: usize, hits: Arc<Hits>) -> anyhow::Result<Vec<String>> {
    let mut urls = Vec::with_capacity(n);
    for i in 0..n {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        urls.push(format!("http://{}", listener.local_addr()?));
        let hits = hits.clone();
        let app = axum::Router::new().route(
            "/health",
            axum::routing::get(move || {
                let hits = hits.clone();
                async move {
                    hits.hit(i);
                    "ok"
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
    }
    Ok(urls)
}

/// One HTTP server answering 200 to everything (the endpoints of the
/// registrations whose probes are not measured).
async fn ok_server() -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let app = axum::Router::new().fallback(|| async { "ok" });
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

/// The limit of a probe round: a plain reqwest client (configured as the
/// prober's) probing `urls` with `concurrency` spawned probes in flight.
async fn plain_probes(client: &reqwest::Client, urls: &[String], concurrency: usize) -> usize {
    use futures_util::StreamExt;
    futures_util::stream::iter(urls.iter().cloned())
        .map(|url| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .get(format!("{url}/health"))
                    .timeout(Duration::from_millis(900))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            })
        })
        .buffer_unordered(concurrency)
        .filter(|ok| std::future::ready(!matches!(ok, Ok(true))))
        .count()
        .await
}

/// Resources reconciled in the controller scenario, and reconciles at once
/// (the controller's default `kubernetes.concurrency`).
const RESOURCES: usize = 1_000;
const RECONCILE_CONCURRENCY: usize = 8;

/// Reconciles/s of the Kubernetes controller through the mock API server
/// (plat_controller::fake) and plat's registry API; the limit is the same
/// registrations PUT straight to plat at the same concurrency, since each
/// reconcile makes one such PUT besides its Kubernetes calls.
async fn controller(report: &mut Report, p: &Platd) -> anyhow::Result<()> {
    use futures_util::StreamExt;
    use plat_controller::fake::FakeApi;
    const S: &str = "controller";
    let n = RESOURCES;
    let body = |i: usize| RegisterService {
        version: Some("1".into()),
        endpoints: vec![Endpoint { url: format!("http://10.1.{}.{}:8080", i / 250, i % 250) }],
        layer: Some("core".into()),
        source: RegistrationSource::Kubernetes,
        ..RegisterService::default()
    };
    let direct = p.admin.clone();
    let started = Instant::now();
    futures_util::stream::iter(0..n)
        .map(|i| {
            let direct = direct.clone();
            async move { direct.register_service("direct", &format!("svc-{i}"), &body(i), false).await }
        })
        .buffer_unordered(RECONCILE_CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let plain = n as f64 / started.elapsed().as_secs_f64();

    let (kube, fake) = FakeApi::start();
    let (_keep, plat) = tokio::sync::watch::channel(p.admin.clone());
    let ctx = plat_controller::Context::new(
        kube,
        plat,
        &p.base,
        Duration::from_secs(60),
        plat_controller::Metrics::default(),
    );
    for i in 0..n {
        fake.put(serde_json::json!({
            "apiVersion": "plat.dev/v1alpha1", "kind": "ServiceRegistration",
            "metadata": {"name": format!("svc-{i}"), "namespace": "bench", "finalizers": ["plat.dev/deregister"]},
            "spec": {"version": "1", "endpoints": [{"url": format!("http://10.1.{}.{}:8080", i / 250, i % 250)}],
                     "layer": "core"},
        }));
    }
    let round = || {
        let ctx = ctx.clone();
        let fake = fake.clone();
        async move {
            let started = Instant::now();
            let results = futures_util::stream::iter(0..n)
                .map(|i| {
                    let (ctx, fake) = (ctx.clone(), fake.clone());
                    async move {
                        let path = format!("/apis/plat.dev/v1alpha1/namespaces/bench/serviceregistrations/svc-{i}");
                        let object = fake.get(&path).context("resource")?;
                        let obj: plat_k8s_types::ServiceRegistration = serde_json::from_value(object)?;
                        plat_controller::reconcile(Arc::new(obj), ctx).await?;
                        anyhow::Ok(())
                    }
                })
                .buffer_unordered(RECONCILE_CONCURRENCY)
                .collect::<Vec<_>>()
                .await;
            results.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
            anyhow::Ok(n as f64 / started.elapsed().as_secs_f64())
        }
    };
    let created = round().await?;
    let writes = fake.calls().iter().filter(|c| c.method != reqwest::Method::GET).count();
    fake.clear_calls();
    let unchanged = round().await?;
    let idle_writes = fake.calls().iter().filter(|c| c.method != reqwest::Method::GET).count();
    let limit = format!("direct PUT /services c={RECONCILE_CONCURRENCY}");
    report.add(
        S,
        format!("reconciles/s, {n} new resources"),
        created,
        "/s",
        limit.clone(),
        plain,
        ">= 0.5 (informational)",
    );
    report.add(S, format!("reconciles/s, {n} unchanged"), unchanged, "/s", limit, plain, ">= 0.5 (informational)");
    report.add(
        S,
        "  Kubernetes writes, new round".into(),
        writes as f64,
        "",
        "resources".into(),
        n as f64,
        "1 status apply each",
    );
    report.add(
        S,
        "  Kubernetes writes, unchanged round".into(),
        idle_writes as f64,
        "",
        "resources".into(),
        n as f64,
        "0",
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn registry(report: &mut Report, p: &Platd) -> anyhow::Result<()> {
    const S: &str = "registry";
    let c = REGISTRY_CONCURRENCY;
    let api = RegistryApi {
        http: reqwest::Client::builder().no_proxy().build()?,
        base: p.base.clone(),
        token: p.admin.token().context("admin token")?.to_owned(),
    };
    let ok_url = ok_server().await?;

    // A probe round of 1,000 instances, first, on an empty registry.
    let hits = Arc::new(Hits::new(PROBE_INSTANCES));
    let urls = instance_servers(PROBE_INSTANCES, hits.clone()).await?;
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).no_proxy().build()?;
    let plain_failed = plain_probes(&plain, &urls, PROBE_CONCURRENCY).await;
    let plain_cold = hits.round(0, Duration::from_secs(10)).await?;
    let plain_failed = plain_failed + plain_probes(&plain, &urls, PROBE_CONCURRENCY).await;
    let plain_warm = hits.round(1, Duration::from_secs(10)).await?;
    if plain_failed > 0 {
        eprintln!("warning: the plain client's probes failed {plain_failed} times");
    }
    drop(plain);
    hits.reset();
    let chunks: Vec<Vec<String>> = urls.chunks(MAX_ENDPOINTS.min(250)).map(<[String]>::to_vec).collect();
    let started = Instant::now();
    let puts = chunks.iter().enumerate().map(|(k, chunk)| {
        let body = serde_json::json!({
            "version": "1",
            "endpoints": chunk.iter().map(|u| serde_json::json!({"url": u})).collect::<Vec<_>>(),
            "health_check": {"path": "/health", "interval": "1s", "timeout": "900ms"},
            "layer": "core",
        });
        let api = api.clone();
        async move { api.put(&format!("probed-{k}"), &body).await }
    });
    for put in futures_util::future::join_all(puts).await {
        put?;
    }
    let registered = started.elapsed();
    let first_round = hits.round(0, Duration::from_secs(10)).await?;
    let scheduled_round = hits.round(1, Duration::from_secs(10)).await?;
    for k in 0..chunks.len() {
        api.delete(&format!("probed-{k}")).await?;
    }
    let n = PROBE_INSTANCES;
    let limit = format!("plain reqwest c={PROBE_CONCURRENCY}, cold");
    report.add(
        S,
        format!("probe round of {n}, at registration (cold)"),
        ms(first_round),
        "ms",
        limit,
        ms(plain_cold),
        "informational (first hit to last)",
    );
    report.add(
        S,
        format!("  the {} registrations took", chunks.len()),
        ms(registered),
        "ms",
        "-".into(),
        0.0,
        "(inside the round above)",
    );
    let limit = format!("plain reqwest c={PROBE_CONCURRENCY}, warm");
    report.add(
        S,
        format!("probe round of {n}, scheduled 1 s later"),
        ms(scheduled_round),
        "ms",
        limit.clone(),
        ms(plain_warm),
        "small multiple",
    );
    report.add(
        S,
        "  prober overhead per round (minus plain)".into(),
        ms(scheduled_round.saturating_sub(plain_warm)),
        "ms",
        limit,
        ms(plain_warm),
        "informational",
    );

    // Registrations: unique services, 2 endpoints each (a 200 server, probed hourly).
    let count = 2000;
    let sink = ok_url.clone();
    let body = move |i: usize| {
        let ok_url = &sink;
        serde_json::json!({
            "version": "1.0.0",
            "endpoints": [{"url": format!("{ok_url}/r/{i}/a")}, {"url": format!("{ok_url}/r/{i}/b")}],
            "health_check": {"interval": "1h"},
            "layer": "core",
        })
    };
    let floor = api.healthz(count, c).await;
    let (registrations, failed) = {
        let api = api.clone();
        fixed(count, c, move |i| {
            let (api, body) = (api.clone(), body(i));
            async move { api.put(&format!("svc-{i}"), &body).await.is_ok() }
        })
        .await
    };
    let limit = format!("/healthz c={c}, {count} calls");
    report.add(
        S,
        format!("registrations/s ({count}, c={c}, {failed} failed)"),
        registrations,
        "/s",
        limit.clone(),
        floor,
        "informational",
    );
    report.add(
        S,
        "  against Nacos 2.x (3x8 cores, quoted)".into(),
        registrations,
        "/s",
        "Nacos 2.x anchor".into(),
        NACOS_REGISTRATIONS,
        "informational (other hardware)",
    );

    // Heartbeats: 1,000 instances, first beats (inserts), then steady state (one UPDATE each).
    let instances = 1000;
    api.put("hb", &serde_json::json!({"version": "1", "layer": "core"})).await?;
    let beat = {
        let api = api.clone();
        move |i: usize| {
            let api = api.clone();
            let id = i % instances;
            async move {
                let body = serde_json::json!({
                    "instance_id": format!("hb-{id}"),
                    "url": format!("http://10.1.{}.{}:8080", id / 256, id % 256),
                    "ttl": "30s",
                });
                RegistryApi::ok(api.request(reqwest::Method::POST, "/services/bench/hb/heartbeat").json(&body)).await
            }
        }
    };
    let (first_beats, first_failed) = fixed(instances, c, beat.clone()).await;
    let floor = api.healthz(instances, c).await;
    report.add(
        S,
        format!("first heartbeats/s ({instances} new, {first_failed} failed)"),
        first_beats,
        "/s",
        format!("/healthz c={c}, {instances} calls"),
        floor,
        "informational (insert + discovery rebuild)",
    );
    let beats = 5 * instances;
    let floor = api.healthz(beats, c).await;
    let (steady, failed) = fixed(beats, c, beat).await;
    report.add(
        S,
        format!("heartbeats/s ({instances} instances x5, {failed} failed)"),
        steady,
        "/s",
        format!("/healthz c={c}, {beats} calls"),
        floor,
        "informational",
    );

    // Discovery answers, from memory.
    api.put(
        "svc",
        &serde_json::json!({
            "version": "1",
            "endpoints": (0..3).map(|k| serde_json::json!({"url": format!("{ok_url}/svc/{k}")})).collect::<Vec<_>>(),
            "health_check": {"interval": "1h"},
            "layer": "core",
        }),
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let answers = 20_000;
    let floor = api.healthz(answers, c).await;
    let (discovered, failed) = {
        let api = api.clone();
        fixed(answers, c, move |_| {
            let api = api.clone();
            async move { RegistryApi::ok(api.request(reqwest::Method::GET, "/discovery/svc?healthy=true")).await }
        })
        .await
    };
    report.add(
        S,
        format!("discovery answers/s (c={c}, {failed} failed)"),
        discovered,
        "/s",
        format!("/healthz c={c}, {answers} calls"),
        floor,
        ">= 0.5",
    );

    // 1,000 blocked watchers, woken by one change.
    api.put("watched", &serde_json::json!({"version": "1", "layer": "core"})).await?;
    let r = api.request(reqwest::Method::GET, "/discovery/watched").send().await?;
    let index: u64 = r
        .headers()
        .get("x-plat-index")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .context("discovery answered no X-Plat-Index")?;
    let watcher_api = RegistryApi { http: reqwest::Client::builder().no_proxy().build()?, ..api.clone() };
    let watchers: Vec<_> = (0..WATCHERS)
        .map(|_| {
            let api = watcher_api.clone();
            tokio::spawn(async move {
                let path = format!("/discovery/watched?index={index}&wait=60s");
                let r = api.request(reqwest::Method::GET, &path).timeout(Duration::from_secs(70)).send().await.ok()?;
                let at = Instant::now();
                let woke = r.headers().get("x-plat-index").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
                (r.status().is_success() && woke.is_some_and(|w: u64| w > index)).then_some(at)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let sent = Instant::now();
    api.put("watched", &serde_json::json!({"version": "2", "layer": "core"})).await?;
    let answered = Instant::now();
    let (mut latencies, mut early, mut before_change, mut failed) = (Vec::with_capacity(WATCHERS), 0, 0, 0);
    for w in watchers {
        match tokio::time::timeout(Duration::from_secs(30), w).await {
            Ok(Ok(Some(at))) if at < sent => before_change += 1,
            Ok(Ok(Some(at))) => {
                if at < answered {
                    early += 1;
                }
                latencies.push(ms(at.saturating_duration_since(answered)));
            }
            _ => failed += 1,
        }
    }
    latencies.sort_by(f64::total_cmp);
    let woken = latencies.len();
    for (q, name) in [(0.5, "p50"), (0.99, "p99"), (1.0, "max")] {
        report.add(
            S,
            format!("watch wake-up {name}, {woken} of {WATCHERS} watchers"),
            quantile(&latencies, q),
            "ms",
            "goal 100 ms".into(),
            100.0,
            "<= 1.0",
        );
    }
    report.add(
        S,
        format!("  PUT round trip ({early} woke before its answer)"),
        ms(answered - sent),
        "ms",
        "-".into(),
        0.0,
        "wake-up is measured from the PUT's answer",
    );
    if before_change + failed > 0 {
        eprintln!("warning: {before_change} watchers answered before the change, {failed} failed or timed out");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let binary = sibling_binary("platd", args.platd.as_deref())?;
    let mut report = Report { json: args.json, figures: Vec::new() };
    let wanted = |s: Scenario| args.scenario == s || args.scenario == Scenario::All;
    if !args.json {
        let backend = if args.database_url.is_some() { "postgres" } else { "sqlite" };
        println!(
            "plat-bench on {backend}, {} cores, {} s per figure",
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            args.seconds
        );
    }
    let url = args.database_url.as_deref();
    // Generous IP limits: the bench makes no failed attempts, but never let one throttle it.
    let env = [("PLATD_AUTH__IP_LIMIT__MAX_FAILURES", "1000000")];
    let scenarios = [
        Scenario::Tokens,
        Scenario::Login,
        Scenario::VerifyFlood,
        Scenario::Users,
        Scenario::Rss,
        Scenario::Cli,
        Scenario::Sync,
        Scenario::Check,
        Scenario::Registry,
        Scenario::Controller,
    ];
    for scenario in scenarios {
        if !wanted(scenario) {
            continue;
        }
        // A fresh platd per scenario, so one scenario's data never skews another.
        let p = start_platd(&binary, url, &env).await?;
        match scenario {
            Scenario::Tokens => tokens(&mut report, &p, args.seconds).await?,
            Scenario::Login => login(&mut report, &p, args.seconds).await?,
            Scenario::VerifyFlood => verify_flood(&mut report, &p, args.seconds).await?,
            Scenario::Users => users(&mut report, &p, args.seconds).await?,
            Scenario::Rss => rss(&mut report, &p).await?,
            Scenario::Cli => cli(&mut report, &p).await?,
            Scenario::Sync => sync(&mut report, &p, args.seconds).await?,
            Scenario::Registry => registry(&mut report, &p).await?,
            Scenario::Controller => controller(&mut report, &p).await?,
            Scenario::Check => {
                drop(p);
                for &size in &args.check_sizes {
                    // A fresh platd per size, without grace: the users were just imported.
                    let env = [env[0], ("PLATD_CHECKS__GRACE", "0s")];
                    let p = start_platd(&binary, url, &env).await?;
                    check(&mut report, &p, size).await?;
                }
            }
            Scenario::All => {}
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "figures": report.figures }))?);
    }
    Ok(())
}
