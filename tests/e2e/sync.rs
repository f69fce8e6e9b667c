//! Delivery across process boundaries: `kill -9` in the middle of a backlog,
//! and two replicas sharing one PostgreSQL database.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use crate::harness::{ADMIN_PASSWORD, Ctl, PgDatabase, Platd};
use crate::sink::{Delivery, Sink};

const QUICK: &[(&str, &str)] = &[
    ("PLATD_SYNC__POLL_INTERVAL", "100ms"),
    ("PLATD_SYNC__LEASE_GRACE", "500ms"),
    ("PLATD_SYNC__BACKOFF_BASE", "50ms"),
    ("PLATD_SYNC__BACKOFF_CAP", "500ms"),
];

fn add_target(admin: &Ctl, url: &str, concurrency: &str) {
    admin.ok(&[
        "sync",
        "target",
        "add",
        "sink",
        "--kind",
        "http",
        "--url",
        url,
        // The changes only: `user.*` would also take the admin's
        // `user.login` events, which repeat the admin's version.
        "--event",
        "user.created",
        "--event",
        "user.updated",
        "--timeout",
        "1s",
        "--concurrency",
        concurrency,
        "--max-attempts",
        "50",
        // Counts below are of the changes made here, not of the admin's snapshot.
        "--no-backfill",
    ]);
}

/// Import `n` users into tenant `acme` (one `user.created` each).
fn import_users(admin: &Ctl, n: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("users.ndjson");
    let lines: String =
        (0..n).map(|i| format!("{{\"username\":\"user{i}\",\"email\":\"user{i}@acme.test\"}}\n")).collect();
    std::fs::write(&file, lines).expect("write users");
    admin.ok(&["--tenant", "acme", "user", "import", file.to_str().expect("path")]);
}

/// `rounds` profile updates of every user of `acme`, 16 at a time, through the API.
fn update_users(url: &str, rounds: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let client = plat_client::Client::new(url).expect("client");
        let pair = client.login("system", "admin", ADMIN_PASSWORD).await.expect("login");
        let acme = client.with_token(pair.access_token).with_tenant("acme");
        let query = plat_proto::UserListQuery { page_size: Some(500), ..Default::default() };
        let mut ids = Vec::new();
        let mut page = 1;
        loop {
            let got =
                acme.list_users(&plat_proto::UserListQuery { page: Some(page), ..query.clone() }).await.expect("users");
            ids.extend(got.items.into_iter().map(|u| u.id));
            if page >= got.total_pages {
                break;
            }
            page += 1;
        }
        for round in 0..rounds {
            futures_util::stream::iter(ids.iter())
                .map(|id| {
                    let acme = acme.clone();
                    async move {
                        let patch = plat_proto::UpdateUser {
                            profile: Some(plat_proto::ProfilePatch {
                                bio: Some(format!("round {round}")),
                                ..Default::default()
                            }),
                            ..Default::default()
                        };
                        acme.update_user(id, &patch).await.expect("update");
                    }
                })
                .buffer_unordered(16)
                .collect::<Vec<()>>()
                .await;
        }
    });
}

fn wait_for(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Per aggregate, versions arrive in order: each delivery repeats the last
/// version (a redelivery) or is the next one. Returns the number of repeats.
fn check_order(received: &[Delivery], versions: u64) -> usize {
    let mut last: HashMap<&str, u64> = HashMap::new();
    let mut repeats = 0;
    for d in received {
        let previous = last.insert(&d.aggregate, d.version).unwrap_or(0);
        assert!(
            d.version == previous + 1 || d.version == previous,
            "user {} received version {} after {previous}",
            d.aggregate,
            d.version
        );
        repeats += usize::from(d.version == previous);
    }
    assert!(last.values().all(|v| *v == versions), "every user reached version {versions}");
    repeats
}

#[test]
fn a_kill_9_loses_no_delivery_and_breaks_no_order() {
    let sink = Sink::start(Duration::from_micros(300));
    let mut platd = Platd::start_with(QUICK);
    let admin = platd.admin();
    add_target(&admin, &sink.url, "16");
    // Collect the whole backlog first: 1,000 users × 10 versions.
    admin.ok(&["sync", "target", "pause", "sink"]);
    admin.ok(&["tenant", "create", "acme"]);
    import_users(&admin, 1000);
    update_users(&platd.url, 9);
    admin.ok(&["sync", "target", "resume", "sink"]);
    wait_for("a third of the deliveries", Duration::from_secs(120), || sink.count() >= 3000);
    platd.crash_and_restart();
    let unique = || sink.received().iter().map(|d| (d.aggregate.clone(), d.version)).collect::<HashSet<_>>().len();
    wait_for("every delivery after the restart", Duration::from_secs(180), || unique() == 10_000);
    let received = sink.received();
    let repeats = check_order(&received, 10);
    // In flight at the kill: 16 requests, and up to 32 claimed tasks whose
    // outcome was not yet committed (delivered, waiting for the completer).
    assert!(repeats <= 32, "{repeats} redeliveries; at most the 32 unrecorded at the kill may repeat");
    let stats = admin.json(&["sync", "stats"]);
    assert_eq!(stats[0]["backlog"], 0, "{stats}");
    assert_eq!(stats[0]["dead"], 0, "{stats}");
    assert_eq!(stats[0]["delivered"], 10_000, "{stats}");
}

/// The number after `plat_sync_attempts_total{target="sink",outcome="delivered"}`.
fn delivered_by(url: &str) -> u64 {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (_, body) = runtime
        .block_on(async { plat_client::Client::new(url).expect("client").get_raw("/metrics").await })
        .expect("metrics");
    String::from_utf8_lossy(&body)
        .lines()
        .find(|l| {
            l.starts_with("plat_sync_attempts_total{") && l.contains("target=\"sink\"") && l.contains("delivered")
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn two_replicas_share_the_work_and_never_deliver_a_task_twice() {
    let Some(db) = PgDatabase::create("two_replicas") else { return };
    let mut env = QUICK.to_vec();
    env.push(("PLATD_DATABASE_URL", db.url.as_str()));
    let sink = Sink::start(Duration::from_millis(2));
    let a = Platd::start_with(&env);
    let b = a.replica();
    let admin = a.admin();
    add_target(&admin, &sink.url, "8");
    admin.ok(&["tenant", "create", "acme"]);
    import_users(&admin, 2000);
    wait_for("2,000 deliveries", Duration::from_secs(120), || sink.count() >= 2000);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sink.overlaps(), Vec::<String>::new(), "no task is delivered by both replicas at once");
    let received = sink.received();
    assert_eq!(received.len(), 2000, "each task delivered exactly once");
    let ids: HashSet<&str> = received.iter().map(|d| d.webhook_id.as_str()).collect();
    assert_eq!(ids.len(), 2000);
    let (by_a, by_b) = (delivered_by(&a.url), delivered_by(&b.url));
    assert_eq!(by_a + by_b, 2000);
    assert!(by_a > 0 && by_b > 0, "both replicas delivered: {by_a} and {by_b}");
}

#[test]
fn three_replicas_deliver_50k_in_order_through_a_kill_9() {
    let Some(db) = PgDatabase::create("three_replicas") else { return };
    let mut env = QUICK.to_vec();
    env.push(("PLATD_DATABASE_URL", db.url.as_str()));
    let sink = Sink::start(Duration::from_micros(300));
    let a = Platd::start_with(&env);
    let mut b = a.replica();
    let c = a.replica();
    let admin = a.admin();
    add_target(&admin, &sink.url, "16");
    // 5,000 users × 10 versions, queued while the target is paused.
    admin.ok(&["sync", "target", "pause", "sink"]);
    admin.ok(&["tenant", "create", "acme"]);
    import_users(&admin, 5000);
    update_users(&a.url, 9);
    admin.ok(&["sync", "target", "resume", "sink"]);
    wait_for("a third of the deliveries", Duration::from_secs(120), || sink.count() >= 16_000);
    b.crash_and_restart();
    let unique = || sink.received().iter().map(|d| (d.aggregate.clone(), d.version)).collect::<HashSet<_>>().len();
    wait_for("every delivery after the restart", Duration::from_secs(240), || unique() == 50_000);
    std::thread::sleep(Duration::from_millis(300));
    let received = sink.received();
    let repeats = check_order(&received, 10);
    // What the killed replica had claimed and not recorded: at most twice
    // the target's concurrency (16 requests, 32 outcomes unrecorded).
    assert!(repeats <= 32, "{repeats} redeliveries; at most the 32 unrecorded at the kill may repeat");
    assert_eq!(sink.overlaps(), Vec::<String>::new(), "no task is delivered by two replicas at once");
    let by: Vec<u64> = [&a, &b, &c].iter().map(|p| delivered_by(&p.url)).collect();
    eprintln!("three replicas: {repeats} redeliveries; delivered by a, b (after its restart), c: {by:?}");
    assert!(by[0] > 0 && by[2] > 0, "the replicas that lived delivered: {by:?}");
    let stats = admin.json(&["sync", "stats"]);
    assert_eq!(stats[0]["backlog"], 0, "{stats}");
    assert_eq!(stats[0]["dead"], 0, "{stats}");
}

/// Whether the replica behind `admin` leads scheduled work, by its health.
fn leads(admin: &Ctl) -> bool {
    let out = admin.run(&["health", "-o", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_default();
    let components = report["components"].as_array().cloned().unwrap_or_default();
    let leader = components.iter().find(|c| c["name"] == "leader").cloned().unwrap_or_default();
    leader["details"]["scheduler"]["this_replica"] == serde_json::Value::Bool(true)
}

#[test]
fn one_replica_leads_and_another_takes_over_after_a_kill_9() {
    let Some(db) = PgDatabase::create("leader_handover") else { return };
    let mut env = QUICK.to_vec();
    env.push(("PLATD_DATABASE_URL", db.url.as_str()));
    env.push(("PLATD_LEADER__LEASE_TTL", "3s"));
    let a = Platd::start_with(&env);
    let admin_a = a.admin();
    wait_for("the first replica to lead", Duration::from_secs(10), || leads(&admin_a));
    let b = a.replica();
    let admin_b = b.admin();
    // Two renewal rounds: b stays a follower while a lives.
    std::thread::sleep(Duration::from_secs(3));
    assert!(leads(&admin_a) && !leads(&admin_b), "exactly one leader while both live");
    let killed = Instant::now();
    a.kill();
    wait_for("the second replica to take over", Duration::from_secs(8), || leads(&admin_b));
    let handover = killed.elapsed();
    assert!(handover <= Duration::from_secs(6), "handover took {handover:?} with a 3 s lease");
}

/// `examples/profile-service` as a real process on a free port.
struct ProfileService {
    child: std::process::Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for ProfileService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ProfileService {
    fn start(secret: &str) -> ProfileService {
        use std::io::BufRead;
        let dir = tempfile::tempdir().expect("tempdir");
        let mut child = std::process::Command::new(crate::harness::bin_dir().join("profile-service"))
            .args(["--listen", "127.0.0.1:0", "--database"])
            .arg(dir.path().join("profile.db"))
            .env("PROFILE_WEBHOOK_SECRET", secret)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("profile-service");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("address line");
        let url = line.trim().strip_prefix("listening on ").expect("listening on ...").to_owned();
        ProfileService { child, url, _dir: dir }
    }

    /// `GET path` on the service: status and JSON body.
    fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let (status, body) = runtime
            .block_on(async { plat_client::Client::new(&self.url).expect("client").get_raw(path).await })
            .expect("GET profile-service");
        (status, serde_json::from_slice(&body).unwrap_or_default())
    }
}

#[test]
fn the_profile_service_receives_what_platctl_changes() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let service = ProfileService::start(secret);
    let platd = Platd::start_with(QUICK);
    let admin = platd.admin();
    let hook = format!("{}/hooks/plat", service.url);
    admin.ok_stdin(
        &["sync", "target", "add", "profiles", "--kind", "http", "--url", &hook, "--event", "user.*", "--secret-stdin"]
            .into_iter()
            .chain(["--no-backfill"])
            .collect::<Vec<_>>(),
        &format!("{secret}\n"),
    );
    let tested = admin.ok(&["sync", "target", "test", "profiles"]);
    assert!(tested.starts_with("delivered: HTTP 200"), "{tested}");
    admin.ok(&["tenant", "create", "acme"]);
    admin.ok(&["--tenant", "acme", "user", "create", "alice", "--email", "alice@acme.test"]);
    admin.ok(&["--tenant", "acme", "user", "update", "alice", "--nickname", "Ally"]);
    let id = admin.json(&["--tenant", "acme", "user", "get", "alice"])["id"].as_str().expect("id").to_owned();
    let mut copy = serde_json::Value::Null;
    wait_for("alice at version 2 in the profile service", Duration::from_secs(10), || {
        let (status, body) = service.get(&format!("/users/{id}"));
        copy = body;
        status == 200 && copy["version"] == 2
    });
    assert_eq!(copy["nickname"], "Ally", "{copy}");
    assert_eq!(copy["username"], "alice");

    // A target with the wrong secret is refused by the service: 401 goes to the DLQ.
    admin.ok(&["sync", "target", "update", "profiles", "--generate-secret"]);
    admin.ok(&["--tenant", "acme", "user", "update", "alice", "--nickname", "Al"]);
    wait_for("the refused delivery in the DLQ", Duration::from_secs(10), || {
        admin.json(&["sync", "dlq", "list"]).as_array().is_some_and(|a| a.len() == 1)
    });
    let dead = admin.json(&["sync", "dlq", "list"]);
    assert_eq!(dead[0]["last_status_code"], 401, "{dead}");
    assert_eq!(service.get(&format!("/users/{id}")).1["version"], 2, "the unsigned change was not applied");
    let stats = admin.json(&["sync", "stats"]);
    assert_eq!(stats[0]["delivered"], 2, "{stats}");
    assert_eq!(stats[0]["dead"], 1, "{stats}");
}

#[test]
fn platctl_check_finds_drift_exits_3_and_repair_converges() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let service = ProfileService::start(secret);
    let env: Vec<(&str, &str)> = QUICK.iter().copied().chain([("PLATD_CHECKS__GRACE", "0s")]).collect();
    let platd = Platd::start_with(&env);
    let admin = platd.admin();
    let hook = format!("{}/hooks/plat", service.url);
    admin.ok_stdin(
        &["sync", "target", "add", "profiles", "--kind", "http", "--url", &hook, "--event", "user.*"]
            .into_iter()
            // Without a backfill the admin user is missing: the drift below.
            .chain(["--secret-stdin", "--read-back", "--no-backfill"])
            .collect::<Vec<_>>(),
        &format!("{secret}\n"),
    );
    admin.ok(&["tenant", "create", "acme"]);
    admin.ok(&["--tenant", "acme", "user", "create", "alice", "--email", "alice@acme.test"]);
    let id = admin.json(&["--tenant", "acme", "user", "get", "alice"])["id"].as_str().expect("id").to_owned();
    wait_for("alice in the profile service", Duration::from_secs(10), || service.get(&format!("/users/{id}")).0 == 200);

    // The admin user predates the target: drift, so exit 3 (cron notices).
    let found = admin.fails(&["check", "run", "--target", "profiles"], 3);
    assert!(found.stdout.contains("1 missing"), "{found:#?}");
    assert!(found.stdout.contains("profiles"), "{found:#?}");
    // Repair still exits 3: drift was found.
    let repaired = admin.fails(&["check", "run", "--target", "profiles", "--repair", "-o", "json"], 3);
    let check: serde_json::Value = serde_json::from_str(&repaired.stdout).expect("check JSON");
    assert_eq!(check["summary"]["repaired"], 1, "{check}");
    let check_id = check["id"].as_str().expect("id").to_owned();
    wait_for("the repair delivered", Duration::from_secs(10), || {
        admin.json(&["sync", "stats"])[0]["backlog"] == 0
            && service.get("/users").1.as_array().is_some_and(|a| a.len() == 2)
    });
    let clean = admin.ok(&["check", "run", "--target", "profiles"]);
    assert!(clean.contains("no drift"), "{clean}");
    let findings = admin.json(&["check", "get", &check_id, "--findings"]);
    assert_eq!(findings.as_array().map(Vec::len), Some(1), "{findings}");
    assert_eq!(findings[0]["kind"], "missing");
    assert!(findings[0]["repair_task"].as_u64().is_some(), "{findings}");
    let list = admin.json(&["check", "list"]);
    assert_eq!(list.as_array().map(Vec::len), Some(3), "{list}");
    // Flags the contract rules out are usage errors.
    admin.fails(&["check", "run"], 2);
    admin.fails(&["check", "run", "--target", "profiles", "--all"], 2);
    admin.fails(&["check", "run", "--target", "profiles", "--dry-run"], 2);
}

/// Issue 15: with an OTLP endpoint, one `platctl user update` is one trace
/// in the collector — the API call, its store calls and the delivery — and
/// the sink receives the delivery's span as its parent.
#[test]
fn one_user_update_is_one_exported_trace_from_the_api_call_to_the_sink() {
    let collector = crate::otlp::Collector::start();
    let sink = Sink::start(Duration::ZERO);
    let mut env = QUICK.to_vec();
    env.extend([("PLATD_TRACE__OTLP_ENDPOINT", collector.url.as_str()), ("OTEL_BSP_SCHEDULE_DELAY", "100")]);
    let platd = Platd::start_with(&env);
    let admin = platd.admin();
    add_target(&admin, &sink.url, "1");
    let created = admin.json(&["user", "create", "tracy", "--email", "tracy@system.test"]);
    let id = created["id"].as_str().expect("user id").to_owned();
    admin.ok(&["user", "update", "tracy", "--nickname", "Trace"]);

    let update = || sink.received().into_iter().find(|d| d.aggregate == id && d.version == 2);
    wait_for("the update's delivery", Duration::from_secs(20), || update().is_some());
    let traceparent = update().and_then(|d| d.traceparent).expect("the delivery carries a traceparent");
    let parts: Vec<&str> = traceparent.split('-').collect();
    let (trace_id, parent_of_sink) = (parts[1].to_owned(), parts[2].to_owned());

    let in_trace = || collector.spans().into_iter().filter(|s| s.trace_id == trace_id).collect::<Vec<_>>();
    wait_for("the delivery span at the collector", Duration::from_secs(20), || {
        in_trace().iter().any(|s| s.name == "sync.deliver")
    });
    let spans = in_trace();
    let names = spans.iter().map(|s| s.name.as_str()).collect::<Vec<_>>();
    let request = spans
        .iter()
        .find(|s| s.name == "PATCH /api/v1/users/{user}")
        .unwrap_or_else(|| panic!("the API call's span is in the trace: {names:?}; all: {:?}", collector.spans()));
    assert_eq!(request.parent, "", "platctl sent no traceparent: the API call starts the trace");
    assert_eq!(request.service, "platd");
    assert_eq!(request.attribute("http.response.status_code"), Some("200"));
    assert!(
        spans.iter().any(|s| s.name.starts_with("store.") && s.parent == request.span_id),
        "the store calls are children of the API call: {names:?}"
    );
    let deliver = spans.iter().find(|s| s.name == "sync.deliver").expect("delivery span");
    assert_eq!(deliver.parent, request.span_id, "the delivery continues the API call");
    assert_eq!(deliver.span_id, parent_of_sink, "the sink's parent span is the delivery");
    assert_eq!(deliver.attribute("sync.target"), Some("sink"));
    // Background loops (claims, leases) never start traces of their own.
    assert!(
        collector.spans().iter().all(|s| !(s.name.starts_with("store.") && s.parent.is_empty())),
        "a store call was exported as a root span"
    );
}
