//! What every scenario uses: a real `platd` process on a fresh database, rate and latency helpers, the profile service.

use super::*;

/// A platd process on a temp database.
pub(crate) struct Platd {
    pub(crate) child: Child,
    pub(crate) base: String,
    pub(crate) database_url: String,
    pub(crate) admin: Client,
    pub(crate) _dir: tempfile::TempDir,
    pub(crate) pg: Option<(String, String)>,
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
pub(crate) fn sibling_binary(name: &str, explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
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

pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

pub(crate) const ADMIN_PASSWORD: &str = "bench-admin-password";

pub(crate) async fn start_platd(
    binary: &Path,
    database_url: Option<&str>,
    extra_env: &[(&str, &str)],
) -> anyhow::Result<Platd> {
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

pub(crate) async fn create_pg(server: &str, name: &str) -> anyhow::Result<String> {
    let status = Command::new("psql").args([server, "-qc", &format!("CREATE DATABASE {name}")]).status();
    match status {
        Ok(s) if s.success() => {}
        _ => bail!("cannot create database {name} on {server} (psql)"),
    }
    let prefix =
        server.split('?').next().unwrap_or(server).rsplit_once('/').map(|(p, _)| p.to_owned()).unwrap_or_default();
    Ok(format!("{prefix}/{name}"))
}

/// What autovacuum would have done by now (this machine's PostgreSQL runs
/// without it, and a table never analysed gets plans for an empty one).
pub(crate) fn analyze(p: &Platd) {
    if p.pg.is_some() {
        let _ = Command::new("psql").args([p.database_url.as_str(), "-qc", "ANALYZE"]).status();
    }
}

pub(crate) fn drop_pg(server: &str, name: &str) {
    let _ = Command::new("psql")
        .args([server, "-qc", &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")])
        .stderr(Stdio::null())
        .status();
}

/// `GET /healthz` round trips per second from `concurrency` tasks: the
/// floor most scenarios' figures are a ratio to.
pub(crate) async fn healthz_rate(p: &Platd, concurrency: usize, seconds: u64) -> f64 {
    let (http, url) = (reqwest::Client::new(), format!("{}/healthz", p.base));
    rate(concurrency, seconds, move || {
        let (http, url) = (http.clone(), url.clone());
        async move { http.get(&url).send().await.is_ok_and(|r| r.status().is_success()) }
    })
    .await
}

/// Run `op` from `concurrency` tasks for `seconds`; successful operations per second.
pub(crate) async fn rate<F, Fut>(concurrency: usize, seconds: u64, op: F) -> f64
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

pub(crate) fn rss_mb(pid: u32) -> f64 {
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

/// The value at quantile `q` of sorted `values`; NaN when empty.
pub(crate) fn quantile(values: &[f64], q: f64) -> f64 {
    values.get(((values.len() as f64 * q) as usize).min(values.len().saturating_sub(1))).copied().unwrap_or(f64::NAN)
}

/// An argon2id hash to import with (importing pre-hashed users costs no hashing).
pub(crate) const PREHASHED: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2gtc2FsdC0xNmJ5dA$6mG3p8Vq1xT8m3J3q0z4cQ6c1n2HqkqgEo7XG7b0r2Q";

pub(crate) async fn import(p: &Platd, tenant: &str, from: usize, count: usize) -> anyhow::Result<Duration> {
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

/// Median wall time of `runs` runs of `platctl args`, in ms.
pub(crate) fn median_ms(platctl: &Path, env: &[(&str, &str)], args: &[&str], runs: usize) -> anyhow::Result<f64> {
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

pub(crate) async fn start_profile_service(binary: &Path) -> anyhow::Result<(String, Child)> {
    let dir = tempfile::tempdir()?.keep();
    start_profile_service_on(binary, &dir.join("profile.db")).await
}

pub(crate) async fn start_profile_service_on(binary: &Path, database: &Path) -> anyhow::Result<(String, Child)> {
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
pub(crate) fn sample_peak_rss(pid: u32, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<f64> {
    tokio::spawn(async move {
        let mut peak: f64 = 0.0;
        while !stop.load(Ordering::Relaxed) {
            peak = peak.max(rss_mb(pid));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        peak.max(rss_mb(pid))
    })
}

/// `count` operations `op(i)` from `concurrency` tasks: (successes per second, failures).
pub(crate) async fn fixed<F, Fut>(count: usize, concurrency: usize, op: F) -> (f64, usize)
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

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
