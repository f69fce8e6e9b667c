//! The service registry through `platctl service`: a registration probed by
//! the real prober against an HTTP server of the test, listing, the graph
//! with a layering violation (text and DOT), `instances --watch` following a
//! failure and a recovery through blocking discovery queries, deregistering,
//! and the enforced layering policy refusing an edge.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::harness::{Ctl, Platd, redact, snapshot};

/// A service's health endpoint: `GET .../health` answers 200 while `up`,
/// 503 otherwise; any other path 404.
struct HealthServer {
    base: String,
    up: Arc<AtomicBool>,
}

impl HealthServer {
    fn start() -> HealthServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind health server");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let up = Arc::new(AtomicBool::new(true));
        let shared = up.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let up = shared.clone();
                std::thread::spawn(move || answer(stream, &up));
            }
        });
        HealthServer { base, up }
    }

    fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }
}

/// Requests on one connection (probes may keep it alive); bodies are not expected.
fn answer(stream: TcpStream, up: &AtomicBool) {
    let mut writer = stream.try_clone().expect("clone stream");
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        match reader.read_line(&mut request_line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        loop {
            let mut header = String::new();
            match reader.read_line(&mut header) {
                Ok(0) | Err(_) => return,
                Ok(_) if header.trim_end().is_empty() => break,
                Ok(_) => {}
            }
        }
        let path = request_line.split(' ').nth(1).unwrap_or("");
        let response: &[u8] = match (path.ends_with("/health"), up.load(Ordering::SeqCst)) {
            (true, true) => b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
            (true, false) => b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\n\r\ndown",
            (false, _) => b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
        };
        if writer.write_all(response).is_err() {
            return;
        }
    }
}

/// Ask `check` again (a short pause between tries) until it holds; fail after `within`.
#[track_caller]
fn eventually(what: &str, within: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether every instance of the service is passing (and there is one).
fn all_healthy(admin: &Ctl, service: &str) -> bool {
    let instances = admin.json(&["service", "instances", service]);
    let list = instances.as_array().cloned().unwrap_or_default();
    !list.is_empty() && list.iter().all(|i| i["healthy"] == true && i["status"] == "passing")
}

#[test]
fn services_are_probed_listed_graphed_watched_and_deregistered() {
    let health = HealthServer::start();
    let p = Platd::start();
    let admin = p.admin();

    let api_url = format!("{}/api", health.base);
    let register_api = [
        "service",
        "register",
        "api",
        "--endpoint",
        &api_url,
        "--interval",
        "1s",
        "--timeout",
        "500ms",
        "--layer",
        "business",
        "--version",
        "1.4.2",
        "--tag",
        "team=shop",
    ];
    let out = admin.run(&register_api);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("default/api") && out.stdout.contains("http GET /health every 1s"), "{out:?}");
    assert!(!out.stderr.contains("warning"), "no violation yet: {out:?}");
    eventually("api's instance is passing", Duration::from_secs(30), || all_healthy(&admin, "api"));
    let instances = admin.json(&["service", "instances", "api"]);
    assert_eq!(instances[0]["url"], api_url.as_str());
    assert_eq!(instances[0]["source"], "probe");

    // A lower layer depending on a higher one: stored under `warn`, with a warning naming the edge.
    let db_url = format!("{}/db", health.base);
    let out = admin.run(&[
        "service",
        "register",
        "db",
        "--endpoint",
        &db_url,
        "--interval",
        "1s",
        "--timeout",
        "500ms",
        "--layer",
        "core",
        "--depends-on",
        "api",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains("warning: layering violation: db (core) → api (business)"),
        "the violation is a warning on stderr: {out:?}"
    );
    eventually("db's instance is passing", Duration::from_secs(30), || all_healthy(&admin, "db"));
    // Registering is idempotent: the same flags again change nothing.
    let revision = admin.json(&["service", "get", "api"])["revision"].clone();
    admin.ok(&register_api);
    assert_eq!(admin.json(&["service", "get", "default/api"])["revision"], revision);
    // A dry run answers the verdict and stores nothing.
    let out = admin.run(&["service", "register", "cache", "--layer", "infrastructure", "--dry-run"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("Dry run: nothing was stored."), "{out:?}");
    admin.fails(&["service", "get", "cache"], 1);

    let r = |text: String| redact(&text, &p.url);
    snapshot("service-list", &r(admin.ok(&["service", "list"])));
    assert_eq!(admin.ok(&["service", "list", "-o", "name"]), "default/api\ndefault/db\n");
    let wide = admin.ok(&["service", "list", "-o", "wide"]);
    assert!(wide.contains(&api_url) && wide.contains("DEPENDS ON"), "{wide}");
    let graph = admin.ok(&["service", "graph"]);
    snapshot("service-graph", &r(graph.clone()));
    assert!(
        graph.lines().any(|l| l.starts_with("default/db (core) -> default/api (business)")
            && l.contains("✗ VIOLATION: db (core) → api (business)")),
        "{graph}"
    );
    let dot = admin.ok(&["service", "graph", "-o", "dot"]);
    assert!(dot.starts_with("digraph"), "{dot}");
    assert!(dot.contains("\"default/db\" -> \"default/api\" [color=red"), "{dot}");
    snapshot("service-graph-dot", &dot);
    assert_eq!(admin.json(&["service", "graph"])["edges"][0]["violation"], true);
    // `-o dot` belongs to the graph alone.
    let out = admin.fails(&["service", "list", "-o", "dot"], 2);
    assert!(out.stderr.contains("-o dot is only for `platctl service graph`"), "{out:?}");
    // `ns/name` and --namespace must agree.
    admin.fails(&["service", "get", "default/api", "--namespace", "shop"], 2);

    // --watch: one blocking discovery call after another, printing each change.
    let mut watch = admin
        .command(&["service", "instances", "api", "--watch", "-o", "json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn platctl --watch");
    let stdout = watch.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for value in serde_json::Deserializer::from_reader(stdout).into_iter::<serde_json::Value>() {
            if tx.send(value).is_err() {
                return;
            }
        }
    });
    // Each print is the instance list at a new index; wait for the one with `status`.
    let deadline = Instant::now() + Duration::from_secs(30);
    let printed_status = |status: &str| loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let printed = rx.recv_timeout(left).unwrap_or_else(|e| panic!("--watch never printed {status}: {e}"));
        if printed.expect("JSON")[0]["status"] == status {
            return;
        }
    };
    printed_status("passing");
    health.set_up(false);
    printed_status("critical");
    health.set_up(true);
    printed_status("passing");
    let interrupted =
        std::process::Command::new("kill").args(["-INT", &watch.id().to_string()]).status().expect("kill -INT");
    assert!(interrupted.success());
    let status = watch.wait().expect("platctl --watch exits");
    assert_eq!(status.code(), Some(0), "Ctrl-C ends the watch");

    // Deregistering is destructive: --yes off a terminal.
    let out = admin.fails(&["service", "deregister", "db"], 2);
    assert!(out.stderr.contains("refusing to deregister service default/db"), "{out:?}");
    admin.ok(&["service", "deregister", "db", "--yes"]);
    admin.fails(&["service", "get", "db"], 1);
    assert_eq!(admin.ok(&["service", "list", "-o", "name"]), "default/api\n");
    let graph = admin.ok(&["service", "graph"]);
    assert!(!graph.contains("VIOLATION"), "{graph}");
}

#[test]
fn service_layer_violations_are_refused_when_enforced() {
    let p = Platd::start_with(&[("PLATD_REGISTRY__LAYERING", "enforce")]);
    let admin = p.admin();
    admin.ok(&["service", "register", "api", "--layer", "business"]);
    for extra in [&[][..], &["--dry-run"][..]] {
        let args = [&["service", "register", "db", "--layer", "core", "--depends-on", "api"][..], extra].concat();
        let out = admin.fails(&args, 1);
        assert!(
            out.stderr.starts_with("error: LAYER_VIOLATION: violation: db (core) → api (business)"),
            "the error names the edge: {out:?}"
        );
        assert!(out.stderr.contains("hint: the server enforces the layering rule"), "{out:?}");
    }
    admin.fails(&["service", "get", "db"], 1);
    // Downwards is fine.
    admin.ok(&["service", "register", "web", "--layer", "application", "--depends-on", "api"]);
    assert!(!admin.ok(&["service", "graph"]).contains("VIOLATION"));
}
