//! Consistency checks against real copies: the example profile service
//! (in process, with its own SQLite file that the tests edit behind its back)
//! and the machine's Redis.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use plat_client::Client;
use plat_proto::*;
use sqlx::{Connection, Row};

use crate::api::{code, new_user, tenant};
use crate::both;
use crate::sync::http_target;

/// Fast sync, and no grace: every difference counts unless a task is open.
const ENV: &[(&str, &str)] = &[
    ("PLATD_SYNC__POLL_INTERVAL", "50ms"),
    ("PLATD_SYNC__BACKOFF_BASE", "20ms"),
    ("PLATD_SYNC__BACKOFF_CAP", "200ms"),
    ("PLATD_CHECKS__GRACE", "0s"),
];

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The profile service on a loopback port with its database file.
struct Profiles {
    url: String,
    db: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Profiles {
    async fn start() -> Profiles {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("profiles.db");
        let store = profile_service::store::Store::open(&db).await.expect("open profile db");
        let key = plat_domain::delivery::parse_secret("secret", SECRET).expect("secret");
        let state =
            profile_service::AppState::new(store, profile_service::Config { webhook_key: key, tolerance_secs: 300 });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, profile_service::app(state)).await });
        Profiles { url, db, _dir: dir }
    }

    /// Run statements on the service's own database, as a careless operator would.
    async fn sql(&self, statements: &[String]) {
        let url = format!("sqlite://{}", self.db.display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("connect profile db");
        for statement in statements {
            sqlx::query(statement).execute(&mut conn).await.expect(statement);
        }
    }

    async fn versions(&self) -> Vec<(String, i64)> {
        let url = format!("sqlite://{}", self.db.display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("connect profile db");
        sqlx::query("SELECT id, version FROM users ORDER BY id")
            .fetch_all(&mut conn)
            .await
            .expect("rows")
            .iter()
            .map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1)))
            .collect()
    }
}

fn profiles_target(url: &str) -> CreateTarget {
    let mut target = http_target("profiles", &format!("{url}/hooks/plat"), &["user.*"]);
    target.secret = Some(SECRET.into());
    target.read_back = Some(ReadBack { supported: true, base_url: None });
    target
}

/// Wait until no task of any target is open.
async fn drained(admin: &Client) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let stats = admin.sync_stats().await.expect("stats");
        if stats.iter().all(|s| s.backlog == 0 && s.in_flight == 0) {
            return;
        }
        assert!(Instant::now() < deadline, "sync did not drain: {stats:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Run a check to its end.
async fn run_check(admin: &Client, request: CreateCheck) -> Check {
    let started = admin.create_check(&request).await.expect("create check");
    assert_eq!(started.status, CheckStatus::Running);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let check = admin.get_check(&started.id, 1000).await.expect("get check");
        if check.status != CheckStatus::Running {
            return check;
        }
        assert!(Instant::now() < deadline, "check did not finish: {check:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn check_of(target: &str, mode: CheckMode, repair: bool, dry_run: bool) -> CreateCheck {
    CreateCheck { target: Some(target.into()), repair, dry_run, mode, ..CreateCheck::default() }
}

/// The findings as comparable tuples.
fn found(check: &Check) -> BTreeSet<(FindingKind, String, Option<u64>, Option<u64>)> {
    check
        .findings
        .as_ref()
        .expect("findings")
        .iter()
        .map(|f| (f.kind, f.aggregate_id.clone(), f.plat_version, f.target_version))
        .collect()
}

/// `n` users in tenant acme, delivered to the targets; and the admin's client in acme.
async fn users(p: &crate::harness::Platd, n: usize) -> (Client, Vec<User>) {
    let acme = tenant(&p.admin, "acme", None).await;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        out.push(acme.create_user(&new_user(&format!("user{i:03}"))).await.expect("user"));
    }
    drained(&p.admin).await;
    (acme, out)
}

both!(drift_in_an_http_copy_is_found_exactly_and_repaired, ENV, |p| {
    let profiles = Profiles::start().await;
    p.admin.create_target(&profiles_target(&profiles.url)).await.expect("target");
    let (_, created) = users(&p, 120).await;

    // The admin was created before the target existed: a check finds it
    // missing, and a repair backfills it.
    let admin_id = p.admin.whoami().await.expect("whoami").subject;
    let first = run_check(&p.admin, check_of("profiles", CheckMode::Auto, false, false)).await;
    assert_eq!(first.status, CheckStatus::Succeeded, "{first:?}");
    assert_eq!(found(&first), BTreeSet::from([(FindingKind::Missing, admin_id.clone(), Some(1), None)]));
    let report = &first.targets[0];
    assert_eq!(report.mode, Some(CheckMode::Digest));
    assert_eq!((report.plat_records, report.target_records), (121, 120));
    assert_eq!(report.mismatched_buckets, 1);
    let backfill = run_check(&p.admin, check_of("profiles", CheckMode::Auto, true, false)).await;
    assert_eq!(backfill.summary.repaired, 1);
    drained(&p.admin).await;
    let clean = run_check(&p.admin, check_of("profiles", CheckMode::Auto, false, false)).await;
    assert!(!clean.drifted(), "{clean:?}");
    assert_eq!(clean.targets[0].mismatched_buckets, 0);
    let digest_bytes = clean.targets[0].bytes;
    assert!(digest_bytes > 0 && digest_bytes < 20_000, "a clean check reads only bucket sums: {digest_bytes} bytes");

    // Drift behind plat's back: rows deleted, a whole bucket wiped, orphans,
    // versions edited up and down.
    let buckets = clean.targets[0].buckets;
    let ids: Vec<&str> = created.iter().map(|u| u.id.as_str()).collect();
    let wiped_bucket = plat_domain::readback::bucket_of(ids[0], buckets);
    let copy = profiles.versions().await;
    let in_wiped: Vec<&str> = copy
        .iter()
        .map(|(id, _)| id.as_str())
        .filter(|id| plat_domain::readback::bucket_of(id, buckets) == wiped_bucket)
        .collect();
    let others: Vec<&str> =
        ids.iter().copied().filter(|id| plat_domain::readback::bucket_of(id, buckets) != wiped_bucket).collect();
    let (deleted, stale_up, stale_down) = (&others[0..2], others[2], others[3]);
    let orphans = ["0193a7c2-0000-7000-8000-00000000dead", "0193a7c2-0000-7000-8000-00000000beef"];
    let mut statements: Vec<String> =
        in_wiped.iter().chain(deleted).map(|id| format!("DELETE FROM users WHERE id = '{id}'")).collect();
    statements.extend(orphans.iter().map(|id| format!("INSERT INTO users (id, version) VALUES ('{id}', 3)")));
    statements.push(format!("UPDATE users SET version = 9, nickname = 'hand edit' WHERE id = '{stale_up}'"));
    statements.push(format!("UPDATE users SET version = 0 WHERE id = '{stale_down}'"));
    profiles.sql(&statements).await;
    let before_repair = profiles.versions().await;

    let mut expected = BTreeSet::new();
    for id in in_wiped.iter().chain(deleted) {
        expected.insert((FindingKind::Missing, id.to_string(), Some(1), None));
    }
    for id in orphans {
        expected.insert((FindingKind::Orphan, id.to_string(), None, Some(3)));
    }
    expected.insert((FindingKind::Stale, stale_up.to_string(), Some(1), Some(9)));
    expected.insert((FindingKind::Stale, stale_down.to_string(), Some(1), Some(0)));

    let digest = run_check(&p.admin, check_of("profiles", CheckMode::Auto, false, false)).await;
    assert_eq!(found(&digest), expected, "digest mode finds exactly the drift");
    assert_eq!(digest.targets[0].mode, Some(CheckMode::Digest));
    assert!(digest.drifted());
    assert_eq!(
        (digest.summary.missing, digest.summary.orphan, digest.summary.stale),
        (in_wiped.len() as u64 + 2, 2, 2)
    );
    let paged = run_check(&p.admin, check_of("profiles", CheckMode::Paging, false, false)).await;
    assert_eq!(paged.targets[0].mode, Some(CheckMode::Paging));
    assert_eq!(found(&paged), expected, "paging finds the same as digests");
    assert_eq!(paged.targets[0].target_records, before_repair.len() as u64);

    // A dry run says what it would repair and changes nothing.
    let dry = run_check(&p.admin, check_of("profiles", CheckMode::Auto, true, true)).await;
    assert_eq!(found(&dry), expected);
    assert_eq!(dry.summary.repaired, expected.len() as u64);
    assert!(dry.findings.as_ref().expect("findings").iter().all(|f| f.repair_task.is_none()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(profiles.versions().await, before_repair, "a dry run changes nothing");

    // Repair: priority tasks for exactly the findings, then a clean copy.
    let repaired = run_check(&p.admin, check_of("profiles", CheckMode::Auto, true, false)).await;
    assert_eq!(found(&repaired), expected);
    let tasks: Vec<u64> = repaired.findings.as_ref().expect("findings").iter().filter_map(|f| f.repair_task).collect();
    assert_eq!(tasks.len(), expected.len());
    let metrics = String::from_utf8_lossy(&p.client.get_raw("/metrics").await.expect("metrics").1).into_owned();
    let line = format!("plat_check_repaired{{target=\"profiles\"}} {}", expected.len());
    assert!(metrics.contains(&line), "{line} in {metrics}");
    let task = p.admin.get_task(tasks[0]).await.expect("repair task");
    assert!(task.repair);
    drained(&p.admin).await;
    let after = run_check(&p.admin, check_of("profiles", CheckMode::Auto, false, false)).await;
    assert!(!after.drifted(), "repair converges: {:?}", after.findings);
    let now = profiles.versions().await;
    assert!(now.iter().all(|(id, _)| !orphans.contains(&id.as_str())), "orphans are deleted");
    assert!(now.contains(&(stale_up.to_owned(), 1)), "a repair overwrites a higher hand-edited version");
    let list = p.admin.list_checks(&CheckQuery { target: Some("profiles".into()), ..CheckQuery::default() }).await;
    assert_eq!(list.expect("list").total, 8);
});

both!(no_false_positives_while_writes_flow, ENV, |p| {
    let profiles = Profiles::start().await;
    p.admin.create_target(&profiles_target(&profiles.url)).await.expect("target");
    let (acme, created) = users(&p, 60).await;
    let backfill = run_check(&p.admin, check_of("profiles", CheckMode::Auto, true, false)).await;
    assert_eq!(backfill.summary.repaired, 1, "the admin");
    drained(&p.admin).await;

    let writer = {
        let acme = acme.clone();
        let ids: Vec<String> = created.iter().map(|u| u.id.clone()).collect();
        tokio::spawn(async move {
            for round in 0.. {
                let id = &ids[round % ids.len()];
                let patch = UpdateUser {
                    profile: Some(ProfilePatch { nickname: Some(format!("n{round}")), ..ProfilePatch::default() }),
                    ..UpdateUser::default()
                };
                if acme.update_user(id, &patch).await.is_err() {
                    break;
                }
            }
        })
    };
    for mode in [CheckMode::Auto, CheckMode::Paging, CheckMode::Auto] {
        let check = run_check(&p.admin, check_of("profiles", mode, false, false)).await;
        assert_eq!(check.status, CheckStatus::Succeeded);
        assert!(!check.drifted(), "moving records are not findings ({mode:?}): {:?}", check.findings);
    }
    writer.abort();
});

/// Read-back requests are signed with the target's secret: a copy that
/// verifies with another secret refuses them, and the check says so without
/// the URL's password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_read_back_signature_fails_the_check_clearly() {
    let Some(p) = crate::harness::start(crate::harness::Db::Sqlite, ENV).await else { return };
    let profiles = Profiles::start().await;
    let mut target = profiles_target(&profiles.url.replacen("http://", "http://reader:hunter2@", 1));
    target.secret = Some(plat_domain::delivery::format_secret(&[7u8; 32]));
    p.admin.create_target(&target).await.expect("target");
    for mode in [CheckMode::Auto, CheckMode::Paging] {
        let check = run_check(&p.admin, check_of("profiles", mode, false, false)).await;
        assert_eq!(check.status, CheckStatus::Failed, "{mode:?}");
        let error = check.targets[0].error.clone().unwrap_or_default();
        assert!(error.contains("the target refused the read-back signature (HTTP 401)"), "{error}");
        assert!(error.contains("http://reader:***@127.0.0.1:"), "{error}");
        assert!(!format!("{check:?}").contains("hunter2"), "{check:?}");
    }
    // With the secret the service verifies with, the same copy is read.
    let fixed = UpdateTarget { secret: Some(SECRET.into()), ..UpdateTarget::default() };
    p.admin.update_target("profiles", &fixed).await.expect("secret");
    let check = run_check(&p.admin, check_of("profiles", CheckMode::Auto, false, false)).await;
    assert_eq!(check.status, CheckStatus::Succeeded, "{check:?}");
    p.stop().await;
}

both!(drift_in_redis_is_found_and_repaired, ENV, |p| {
    let Ok(redis_url) = std::env::var("PLAT_TEST_REDIS_URL") else {
        eprintln!("skipped: PLAT_TEST_REDIS_URL is not set");
        return;
    };
    let prefix = format!("plat_it_{}:user:", std::process::id() as u128 * 1000 + rand_suffix());
    let mut options = serde_json::Map::new();
    options.insert("key_prefix".into(), prefix.clone().into());
    let target = CreateTarget {
        name: "cache".into(),
        kind: TargetKind::Redis,
        url: redis_url.clone(),
        events: vec!["user.*".into()],
        secret: None,
        timeout: Some("2s".into()),
        max_attempts: Some(6),
        concurrency: None,
        options,
        read_back: None,
        rules: None,
        batch: None,
        // Exact counts below: no snapshot of the users before the target.
        backfill: Some(false),
    };
    p.admin.create_target(&target).await.expect("redis target");
    let (acme, created) = users(&p, 40).await;
    // A deleted user leaves a tombstone key, which is not a record.
    acme.delete_user(&created[39].id, false).await.expect("delete");
    drained(&p.admin).await;
    let backfill = run_check(&p.admin, check_of("cache", CheckMode::Auto, true, false)).await;
    assert_eq!(backfill.targets[0].mode, Some(CheckMode::Redis));
    assert_eq!(backfill.summary.missing, 1, "the admin: {:?}", backfill.findings);
    drained(&p.admin).await;
    let clean = run_check(&p.admin, check_of("cache", CheckMode::Auto, false, false)).await;
    assert!(!clean.drifted(), "{:?}", clean.findings);
    assert_eq!(clean.targets[0].target_records, 40);

    let client = redis::Client::open(redis_url.as_str()).expect("redis client");
    let mut conn = client.get_multiplexed_async_connection().await.expect("redis");
    let key = |id: &str| format!("{prefix}{id}");
    let orphan = "0193a7c2-0000-7000-8000-00000000cafe";
    let _: () = redis::cmd("DEL").arg(key(&created[0].id)).query_async(&mut conn).await.expect("del");
    let _: () =
        redis::cmd("SET").arg(key(orphan)).arg(r#"{"id":"x","version":2}"#).query_async(&mut conn).await.expect("set");
    let _: () = redis::cmd("SET").arg(key(&created[1].id)).arg("not json").query_async(&mut conn).await.expect("set");
    let drift = run_check(&p.admin, check_of("cache", CheckMode::Auto, true, false)).await;
    assert_eq!(
        found(&drift),
        BTreeSet::from([
            (FindingKind::Missing, created[0].id.clone(), Some(1), None),
            (FindingKind::Orphan, orphan.to_owned(), None, Some(2)),
            (FindingKind::Stale, created[1].id.clone(), Some(1), Some(0)),
        ])
    );
    drained(&p.admin).await;
    let after = run_check(&p.admin, check_of("cache", CheckMode::Auto, false, false)).await;
    assert!(!after.drifted(), "{:?}", after.findings);
    let gone: Option<String> = redis::cmd("GET").arg(key(orphan)).query_async(&mut conn).await.expect("get");
    assert_eq!(gone, None);
    // Clean up this test's keys.
    let keys: Vec<String> = redis::cmd("KEYS").arg(format!("*{prefix}*")).query_async(&mut conn).await.expect("keys");
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL").arg(keys).query_async(&mut conn).await.expect("cleanup");
    }
});

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() % 1_000_000).unwrap_or(0)
}

both!(the_internal_check_finds_and_repairs_broken_invariants, ENV, |p| {
    let sink = crate::sync::Sink::start(|_, _| crate::sync::Reply::Status(200)).await;
    p.admin.create_target(&http_target("sink", &sink.url, &["user.*"])).await.expect("target");
    let (acme, created) = users(&p, 5).await;
    let clean = run_check(&p.admin, CreateCheck { internal: true, ..CreateCheck::default() }).await;
    assert!(!clean.drifted(), "{:?}", clean.findings);

    let mut conn = sqlx::AnyConnection::connect(&p.database_url).await.expect("plat db");
    for statement in [
        format!("DELETE FROM user_profiles WHERE user_id = '{}'", created[0].id),
        format!("DELETE FROM user_stats WHERE user_id = '{}'", created[1].id),
        format!("INSERT INTO user_roles (user_id, role) VALUES ('{}', 'ghost')", created[2].id),
        "UPDATE tenants SET user_count = user_count + 5 WHERE slug = 'acme'".to_owned(),
        format!(
            "DELETE FROM sync_tasks WHERE seq = (SELECT MIN(seq) FROM sync_tasks WHERE aggregate_id = '{}')",
            created[3].id
        ),
    ] {
        sqlx::query(&statement).execute(&mut conn).await.expect(&statement);
    }
    let broken = run_check(&p.admin, CreateCheck { internal: true, repair: true, ..CreateCheck::default() }).await;
    let kinds: BTreeSet<(FindingKind, String)> =
        broken.findings.as_ref().expect("findings").iter().map(|f| (f.kind, f.aggregate_id.clone())).collect();
    let event_id = kinds.iter().find(|(k, _)| *k == FindingKind::EventWithoutTask).map(|(_, id)| id.clone());
    assert_eq!(
        kinds,
        BTreeSet::from([
            (FindingKind::MissingProfile, created[0].id.clone()),
            (FindingKind::MissingStats, created[1].id.clone()),
            (FindingKind::DanglingGrant, format!("{}:ghost", created[2].id)),
            (FindingKind::UsageMismatch, "acme".to_owned()),
            (FindingKind::EventWithoutTask, event_id.clone().expect("an event without its task")),
        ])
    );
    assert_eq!(broken.summary.internal, 5);
    assert_eq!(broken.summary.repaired, 4, "all but the event, which a target check repairs");
    assert!(broken.drifted());
    let again = run_check(&p.admin, CreateCheck { internal: true, ..CreateCheck::default() }).await;
    let left: Vec<FindingKind> = again.findings.as_ref().expect("findings").iter().map(|f| f.kind).collect();
    assert_eq!(left, [FindingKind::EventWithoutTask]);
    // The repaired users are whole again, with a new version announced.
    let fixed = acme.get_user(&created[2].id).await.expect("user");
    assert_eq!(fixed.roles, ["member"]);
    assert_eq!(fixed.version, 2);
    assert_eq!(acme.get_user(&created[0].id).await.expect("user").version, 2);
    let tenant = p.admin.get_tenant("acme").await.expect("tenant");
    assert_eq!(tenant.usage.users, 5);
});

/// A target whose read-back answers slowly, to hold a check open.
async fn slow_target() -> String {
    let app = axum::Router::new().route(
        "/hooks/sync/digest",
        axum::routing::get(|| async {
            tokio::time::sleep(Duration::from_secs(2)).await;
            axum::http::StatusCode::SERVICE_UNAVAILABLE
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hooks/plat", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

both!(checks_are_validated_exclusive_and_scheduled, ENV, |p| {
    let mut slow = http_target("slow", &slow_target().await, &["user.*"]);
    slow.read_back = Some(ReadBack { supported: true, base_url: None });
    p.admin.create_target(&slow).await.expect("slow target");
    p.admin.create_target(&http_target("plain", "http://127.0.0.1:9/hook", &["user.*"])).await.expect("plain");
    p.admin.create_target(&http_target("roles-only", "http://127.0.0.1:9/hook", &["role.*"])).await.expect("roles");

    let bad = |request: CreateCheck| {
        let admin = p.admin.clone();
        async move { code(admin.create_check(&request).await) }
    };
    assert_eq!(bad(CreateCheck::default()).await, ErrorCode::ValidationError);
    assert_eq!(
        bad(CreateCheck { target: Some("slow".into()), all: true, ..CreateCheck::default() }).await,
        ErrorCode::ValidationError
    );
    assert_eq!(
        bad(CreateCheck { dry_run: true, all: true, ..CreateCheck::default() }).await,
        ErrorCode::ValidationError
    );
    assert_eq!(bad(check_of("nope", CheckMode::Auto, false, false)).await, ErrorCode::TargetNotFound);
    assert_eq!(bad(check_of("plain", CheckMode::Auto, false, false)).await, ErrorCode::ValidationError);
    assert_eq!(code(p.admin.get_check("chk_nope", 0).await), ErrorCode::CheckNotFound);
    // Targets hold every tenant's users: a tenant admin may not check them.
    let acme = tenant(&p.admin, "acme", None).await;
    let mut boss = new_user("boss");
    boss.roles = Some(vec!["tenant-admin".into()]);
    acme.create_user(&boss).await.expect("acme admin");
    let boss = p.login("acme", "boss", "boss-password").await;
    let denied = ErrorCode::PermissionDenied;
    assert_eq!(code(boss.create_check(&check_of("slow", CheckMode::Auto, false, false)).await), denied);
    assert_eq!(code(boss.list_checks(&CheckQuery::default()).await), denied);

    // One check per target at a time.
    let first = p.admin.create_check(&CreateCheck { all: true, ..CreateCheck::default() }).await.expect("first");
    let statuses: Vec<(&str, CheckTargetStatus)> =
        first.targets.iter().map(|t| (t.target.as_str(), t.status)).collect();
    assert_eq!(
        statuses,
        [
            ("plain", CheckTargetStatus::Skipped),
            ("roles-only", CheckTargetStatus::Skipped),
            ("slow", CheckTargetStatus::Pending)
        ]
    );
    assert_eq!(code(p.admin.create_check(&check_of("slow", CheckMode::Auto, false, false)).await), ErrorCode::Conflict);
    let done = loop {
        let check = p.admin.get_check(&first.id, 10).await.expect("get");
        if check.status != CheckStatus::Running {
            break check;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(done.status, CheckStatus::Failed, "a target that cannot be read fails the check");
    assert!(done.error.as_deref().unwrap_or_default().contains("HTTP 503"), "{:?}", done.error);
    let health = p.admin.health().await.expect("health");
    let slow_health = health.components.iter().find(|c| c.name == "sync:slow").expect("component");
    assert_eq!(slow_health.status, HealthStatus::Degraded);
    assert_eq!(slow_health.details["last_check"]["status"], "failed");
    let metrics = p.client.get_raw("/metrics").await.expect("metrics").1;
    let metrics = String::from_utf8_lossy(&metrics);
    assert!(metrics.contains("plat_check_runs_total{target=\"slow\",status=\"failed\"} 1"), "{metrics}");
    // Now free: a second check of the same target may start.
    let second = run_check(&p.admin, check_of("slow", CheckMode::Auto, false, false)).await;
    assert_eq!(second.status, CheckStatus::Failed);
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_checks_run_on_their_interval() {
    let env = [("PLATD_CHECKS__INTERVAL", "1s"), ("PLATD_CHECKS__GRACE", "0s")];
    let Some(p) = crate::harness::start(crate::harness::Db::Sqlite, &env).await else { return };
    let deadline = Instant::now() + Duration::from_secs(15);
    let scheduled = loop {
        let page = p.admin.list_checks(&CheckQuery::default()).await.expect("list");
        if let Some(check) = page.items.into_iter().find(|c| c.status != CheckStatus::Running) {
            break check;
        }
        assert!(Instant::now() < deadline, "no scheduled check ran");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(scheduled.requested_by, "scheduler");
    let names: Vec<&str> = scheduled.targets.iter().map(|t| t.target.as_str()).collect();
    assert_eq!(names, [INTERNAL_TARGET], "no targets yet: the internal check alone");
    assert_eq!(scheduled.status, CheckStatus::Succeeded, "{scheduled:?}");
    p.stop().await;
}

both!(a_check_compares_only_the_tenants_a_targets_rules_take, ENV, |p| {
    let profiles = Profiles::start().await;
    let mut target = profiles_target(&profiles.url);
    target.rules = Some(TargetRules {
        tenants: Selection { include: vec!["acme".into()], exclude: vec![] },
        ..TargetRules::default()
    });
    p.admin.create_target(&target).await.expect("target");
    let globex = tenant(&p.admin, "globex", None).await;
    for name in ["gina", "gus"] {
        globex.create_user(&new_user(name)).await.expect("globex user");
    }
    let (_acme, created) = users(&p, 3).await;
    let check = run_check(&p.admin, check_of("profiles", CheckMode::Auto, false, false)).await;
    assert!(!check.drifted(), "another tenant's users are not drift: {:?}", check.findings);
    assert_eq!((check.targets[0].plat_records, check.targets[0].target_records), (3, 3));
    assert_eq!(created.len(), 3);

    // A target that chooses events by content cannot be checked.
    let filtered = UpdateTarget {
        rules: Some(TargetRules { filter: Some("data.status == \"active\"".into()), ..TargetRules::default() }),
        ..UpdateTarget::default()
    };
    p.admin.update_target("profiles", &filtered).await.expect("filter");
    match p.admin.create_check(&check_of("profiles", CheckMode::Auto, false, false)).await {
        Err(plat_client::ClientError::Api { error, .. }) => {
            assert!(error.message.contains("rules.filter"), "{error:?}")
        }
        other => panic!("a filtered target was checked: {other:?}"),
    }
});
