//! Real processes: a `platd` on a temp SQLite database, and `platctl` run as
//! a user would, each test with its own config file.

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const ADMIN_PASSWORD: &str = "e2e-admin-password";

/// The folder holding `platd` and `platctl`, built once per test run (a
/// no-op when `cargo test --workspace` already built them).
pub fn bin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("test binary path");
        let dir = exe.parent().and_then(Path::parent).expect("target dir").to_path_buf();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.args(["build", "--quiet", "-p", "platd", "-p", "platctl", "-p", "profile-service", "--bins"]);
        if dir.ends_with("release") {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build");
        assert!(status.success(), "cargo build -p platd -p platctl failed");
        dir
    })
}

pub struct Platd {
    child: Child,
    pub url: String,
    port: u16,
    env: Vec<(String, String)>,
    dir: std::sync::Arc<tempfile::TempDir>,
}

impl Drop for Platd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

impl Platd {
    pub fn start() -> Platd {
        Platd::start_with(&[])
    }

    /// A bootstrapped platd (admin `admin` in `system`) with extra `PLATD_*` settings.
    pub fn start_with(env: &[(&str, &str)]) -> Platd {
        let dir = std::sync::Arc::new(tempfile::tempdir().expect("tempdir"));
        let mut all: Vec<(String, String)> = vec![
            ("PLATD_DATA_DIR".into(), dir.path().display().to_string()),
            ("PLATD_DATABASE_URL".into(), format!("sqlite://{}?mode=rwc", dir.path().join("plat.db").display())),
            ("PLATD_LOG__LEVEL".into(), "warn".into()),
        ];
        all.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut boot = Command::new(bin_dir().join("platd"));
        boot.args(["bootstrap", "--admin", "admin", "--password-stdin"])
            .current_dir(dir.path())
            .envs(all.iter().cloned())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = boot.spawn().expect("platd bootstrap");
        child.stdin.take().expect("stdin").write_all(ADMIN_PASSWORD.as_bytes()).expect("password");
        assert!(child.wait().expect("bootstrap").success(), "platd bootstrap failed");
        let port = free_port();
        // Every replica names the first one's URL as the issuer.
        if !all.iter().any(|(k, _)| k == "PLATD_AUTH__ISSUER") {
            all.push(("PLATD_AUTH__ISSUER".into(), format!("http://127.0.0.1:{port}")));
        }
        Platd::serve(dir, all, port)
    }

    fn serve(dir: std::sync::Arc<tempfile::TempDir>, env: Vec<(String, String)>, port: u16) -> Platd {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.path().join(format!("platd-{port}.log")))
            .expect("log file");
        let child = Command::new(bin_dir().join("platd"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .current_dir(dir.path())
            .envs(env.iter().cloned())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("platd serve");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "platd did not start listening");
            std::thread::sleep(Duration::from_millis(20));
        }
        Platd { child, url: format!("http://127.0.0.1:{port}"), port, env, dir }
    }

    /// A second platd on the same database and master key (another replica).
    pub fn replica(&self) -> Platd {
        Platd::serve(self.dir.clone(), self.env.clone(), free_port())
    }

    /// `kill -9`, then start again on the same port, database and settings.
    pub fn crash_and_restart(&mut self) {
        self.child.kill().expect("SIGKILL platd");
        self.child.wait().expect("reap platd");
        let restarted = Platd::serve(self.dir.clone(), self.env.clone(), self.port);
        drop(std::mem::replace(self, restarted));
    }

    /// Send a signal (`USR1`, `TERM`, ...) with kill(1).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill").args([format!("-{name}"), self.child.id().to_string()]).status();
        assert!(status.expect("run kill").success(), "kill -{name} platd");
    }

    /// What this platd has logged (stderr) so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("platd-{}.log", self.port))).unwrap_or_default()
    }

    /// `kill -9`, and no restart.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL platd");
        self.child.wait().expect("reap platd");
    }

    /// A platctl user with its own empty config, pointed at this server.
    pub fn ctl(&self) -> Ctl {
        let mut ctl = Ctl::new();
        ctl.env.push(("PLATCTL_SERVER".into(), self.url.clone()));
        ctl
    }

    /// A platctl logged in as the platform admin.
    pub fn admin(&self) -> Ctl {
        let ctl = self.ctl();
        ctl.ok_stdin(&["login", "--username", "admin", "--password-stdin"], ADMIN_PASSWORD);
        ctl
    }
}

#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub struct Ctl {
    pub home: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Ctl {
    pub fn new() -> Ctl {
        Ctl { home: tempfile::tempdir().expect("tempdir"), env: Vec::new() }
    }

    pub fn config_path(&self) -> PathBuf {
        self.home.path().join("platctl.toml")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(bin_dir().join("platctl"));
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("PLATCTL_CONFIG", self.config_path())
            .env("LANG", "C.UTF-8");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Out {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn platctl");
        let mut input = child.stdin.take().expect("stdin");
        let text = stdin.to_owned();
        let writer = std::thread::spawn(move || {
            let _ = input.write_all(text.as_bytes());
        });
        let output = child.wait_with_output().expect("platctl output");
        let _ = writer.join();
        Out {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    pub fn run(&self, args: &[&str]) -> Out {
        self.run_stdin(args, "")
    }

    /// Run and require exit 0; stdout.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> String {
        self.ok_stdin(args, "")
    }

    #[track_caller]
    pub fn ok_stdin(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run_stdin(args, stdin);
        assert_eq!(out.code, 0, "platctl {args:?} failed: {out:#?}");
        out.stdout
    }

    /// Run and require `code`; the output.
    #[track_caller]
    pub fn fails(&self, args: &[&str], code: i32) -> Out {
        let out = self.run(args);
        assert_eq!(out.code, code, "platctl {args:?}: expected exit {code}: {out:#?}");
        out
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        serde_json::from_str(&self.ok(&all)).expect("JSON output")
    }
}

/// Replace what changes from run to run (ids, times, ports, tokens, secrets)
/// with placeholders, and collapse column padding, so output can be compared
/// with a committed snapshot.
pub fn redact(text: &str, server: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.replace(server, "http://SERVER").lines() {
        let words: Vec<String> =
            line.split(' ').map(|w| w.split('/').map(redact_word).collect::<Vec<_>>().join("/")).collect();
        let line = words.join(" ");
        // Tables: inner runs of blanks become two, so widths of redacted cells
        // do not matter; indentation stays.
        let indent = line.len() - line.trim_start().len();
        let (lead, line) = line.split_at(indent);
        let mut collapsed = lead.to_owned();
        let mut blanks = 0;
        for c in line.chars() {
            if c == ' ' {
                blanks += 1;
            } else {
                if blanks > 0 {
                    collapsed.push_str(if blanks > 1 { "  " } else { " " });
                }
                blanks = 0;
                collapsed.push(c);
            }
        }
        out.push_str(&collapsed);
        out.push('\n');
    }
    out
}

fn redact_word(word: &str) -> String {
    let trimmed = word.trim_matches(|c: char| "\",:()[]{}".contains(c));
    if trimmed.is_empty() {
        return word.to_owned();
    }
    let replacement = if is_uuid(trimmed) {
        Some("[uuid]")
    } else if is_time(trimmed) {
        Some("[time]")
    } else if trimmed.starts_with("req_") {
        Some("[request-id]")
    } else if trimmed.starts_with("eyJ") && trimmed.matches('.').count() == 2 {
        Some("[jwt]")
    } else if trimmed.starts_with("evt_") || trimmed.starts_with("aud_") {
        Some("[id]")
    } else if trimmed.starts_with("plsk_") {
        Some("[secret]")
    } else if trimmed.starts_with("sa_") && trimmed.len() == 35 {
        Some("[client-id]")
    } else if trimmed.len() == 17 && trimmed.starts_with('k') && trimmed[1..].bytes().all(|b| b.is_ascii_hexdigit()) {
        Some("[kid]")
    } else if is_age(trimmed) {
        Some("[age]")
    } else {
        None
    };
    match replacement {
        Some(r) => word.replace(trimmed, r),
        None => word.to_owned(),
    }
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes()
            .enumerate()
            .all(|(i, b)| if [8, 13, 18, 23].contains(&i) { b == b'-' } else { b.is_ascii_hexdigit() })
}

/// `0s`, `3m`, `2h`, `5d`, `1mo`, `2y`, and `12.3ms` latencies.
fn is_age(s: &str) -> bool {
    let digits = s.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.').count();
    digits > 0 && ["s", "m", "h", "d", "mo", "y", "ms"].contains(&&s[digits..])
}

fn is_time(s: &str) -> bool {
    s.len() >= 20 && s.as_bytes()[4] == b'-' && s.as_bytes()[10] == b'T' && s.ends_with('Z')
}

/// Compare `actual` with `tests/e2e/snapshots/{name}.txt`; `UPDATE_EXPECT=1` writes it.
#[track_caller]
pub fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("e2e/snapshots").join(format!("{name}.txt"));
    expect_file(&path, actual);
}

/// Compare a generated file with its committed copy; `UPDATE_EXPECT=1` rewrites it.
#[track_caller]
pub fn expect_file(path: &Path, actual: &str) {
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        expected == actual,
        "{} is stale; rerun with UPDATE_EXPECT=1 to refresh it.\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

/// A fresh PostgreSQL database on `PLAT_TEST_DATABASE_URL`'s server, dropped
/// on drop; `None` (the test says it was skipped) when the variable is unset.
pub struct PgDatabase {
    server: String,
    pub name: String,
    pub url: String,
}

impl PgDatabase {
    pub fn create(test: &str) -> Option<PgDatabase> {
        let Ok(server) = std::env::var("PLAT_TEST_DATABASE_URL") else {
            eprintln!("skipped {test}: PLAT_TEST_DATABASE_URL is not set");
            return None;
        };
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("plat_e2e_{}_{n}", std::process::id());
        let prefix = server.split('?').next().unwrap_or(&server).rsplit_once('/').map(|(p, _)| p.to_owned());
        let url = format!("{}/{name}", prefix.unwrap_or_default());
        let db = PgDatabase { url, name: name.clone(), server };
        db.psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        assert!(db.psql(&format!("CREATE DATABASE {name}")), "cannot create database {name} with psql");
        Some(db)
    }

    pub fn psql(&self, sql: &str) -> bool {
        Command::new("psql")
            .args([self.server.as_str(), "-qc", sql])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    pub fn drop_now(&self) {
        self.psql(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        self.drop_now();
    }
}
