//! The sync engine against real receivers: an in-process HTTP sink whose
//! answers each test scripts, and the machine's Redis.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use plat_client::Client;
use plat_proto::*;

use crate::api::{code, new_user, tenant};
use crate::both;

/// Fast retries so tests finish in seconds.
const FAST: &[(&str, &str)] = &[
    ("PLATD_SYNC__POLL_INTERVAL", "50ms"),
    ("PLATD_SYNC__BACKOFF_BASE", "20ms"),
    ("PLATD_SYNC__BACKOFF_CAP", "200ms"),
    ("PLATD_SYNC__CIRCUIT_FAILURES", "1000"),
];

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// What the sink answers to one request.
#[derive(Clone, Copy, Debug)]
pub enum Reply {
    Status(u16),
    RetryAfter(u16, u64),
    Hang,
}

/// One request the sink received.
#[derive(Clone, Debug)]
pub struct Received {
    pub webhook_id: String,
    pub event: Event,
    pub status: u16,
    pub at: Instant,
    pub signed: bool,
    /// The delivery's `traceparent` header ("" when absent).
    pub traceparent: String,
    /// Which HTTP request brought it (0, 1, ...), and how many events that
    /// request carried (0: a single event, not an array).
    pub request: usize,
    pub batch: usize,
}

type Script = Box<dyn FnMut(&Event, usize) -> Reply + Send>;

/// An HTTP receiver on a loopback port that verifies signatures and answers
/// as its script says (given the event and how often its id came before).
pub struct Sink {
    pub url: String,
    log: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<Script>>,
}

impl Sink {
    pub async fn start(script: impl FnMut(&Event, usize) -> Reply + Send + 'static) -> Sink {
        let log: Arc<Mutex<Vec<Received>>> = Arc::default();
        let script: Arc<Mutex<Script>> = Arc::new(Mutex::new(Box::new(script)));
        let (l, s) = (log.clone(), script.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let (log, script) = (l.clone(), s.clone());
                async move { receive(&log, &script, &headers, &body).await }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Sink { url, log, script }
    }

    pub fn set(&self, script: impl FnMut(&Event, usize) -> Reply + Send + 'static) {
        *self.script.lock().expect("script") = Box::new(script);
    }

    pub fn received(&self) -> Vec<Received> {
        self.log.lock().expect("log").clone()
    }

    /// Accepted (2xx) events, in arrival order.
    pub fn accepted(&self) -> Vec<Received> {
        self.received().into_iter().filter(|r| (200..300).contains(&r.status)).collect()
    }

    pub async fn wait_accepted(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.accepted();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn receive(log: &Mutex<Vec<Received>>, script: &Mutex<Script>, headers: &HeaderMap, body: &[u8]) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let key = plat_domain::delivery::parse_secret("s", SECRET).expect("secret");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let signed = plat_domain::delivery::verify(
        &key,
        &header("webhook-id"),
        &header("webhook-timestamp"),
        &header("webhook-signature"),
        body,
        now,
        300,
    )
    .is_ok();
    // A batched target's request is an array of events; the script answers for the first.
    let (events, batch) = match body.first() {
        Some(b'[') => match serde_json::from_slice::<Vec<Event>>(body) {
            Ok(events) if !events.is_empty() => {
                let n = events.len();
                (events, n)
            }
            _ => return StatusCode::BAD_REQUEST.into_response(),
        },
        _ => match serde_json::from_slice::<Event>(body) {
            Ok(event) => (vec![event], 0),
            Err(_) => return StatusCode::BAD_REQUEST.into_response(),
        },
    };
    let reply = {
        let log = log.lock().expect("log");
        let seen = log.iter().filter(|r| r.webhook_id == header("webhook-id")).count() / events.len();
        (script.lock().expect("script"))(&events[0], seen)
    };
    let status = match reply {
        Reply::Status(s) | Reply::RetryAfter(s, _) => s,
        Reply::Hang => 0,
    };
    {
        let mut log = log.lock().expect("log");
        let request = log.last().map_or(0, |r| r.request + 1);
        for event in events {
            log.push(Received {
                webhook_id: header("webhook-id"),
                event,
                status,
                at: Instant::now(),
                signed,
                traceparent: header("traceparent"),
                request,
                batch,
            });
        }
    }
    match reply {
        Reply::Status(s) => (StatusCode::from_u16(s).expect("status"), "sink says hi").into_response(),
        Reply::RetryAfter(s, secs) => {
            (StatusCode::from_u16(s).expect("status"), [("retry-after", secs.to_string())], "slow down").into_response()
        }
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            StatusCode::OK.into_response()
        }
    }
}

pub fn http_target(name: &str, url: &str, events: &[&str]) -> CreateTarget {
    CreateTarget {
        name: name.into(),
        kind: TargetKind::Http,
        url: url.into(),
        events: events.iter().map(|e| e.to_string()).collect(),
        secret: Some(SECRET.into()),
        timeout: Some("2s".into()),
        max_attempts: Some(6),
        concurrency: None,
        options: serde_json::Map::new(),
        read_back: None,
        rules: None,
        batch: None,
        // Exact counts below: no snapshot of the users before the target.
        backfill: Some(false),
    }
}

/// Wait until `check` holds for the target's tasks.
async fn wait_tasks(
    admin: &Client,
    target: &str,
    within: Duration,
    check: impl Fn(&[SyncTask]) -> bool,
) -> Vec<SyncTask> {
    let deadline = Instant::now() + within;
    loop {
        let query = TaskQuery { target: Some(target.into()), page_size: Some(500), ..TaskQuery::default() };
        let tasks = admin.list_tasks(&query).await.expect("tasks").items;
        if check(&tasks) || Instant::now() > deadline {
            return tasks;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

both!(http_deliveries_are_signed_ordered_and_recorded, FAST, |p| {
    let sink = Sink::start(|_, _| Reply::Status(200)).await;
    let created = p.admin.create_target(&http_target("profiles", &sink.url, &["user.*"])).await.expect("target");
    assert_eq!(created.secret.as_deref(), Some(SECRET), "the secret is answered once, on create");
    assert_eq!(created.target.secret_hint.as_deref(), Some("whsec_…LaSw"));
    let fetched = p.admin.get_target("profiles").await.expect("get");
    assert_eq!(fetched.secret_hint.as_deref(), Some("whsec_…LaSw"));

    let acme = tenant(&p.admin, "acme", None).await;
    let alice = acme.create_user(&new_user("alice")).await.expect("alice");
    for nick in ["A", "Al"] {
        let patch = UpdateUser {
            profile: Some(ProfilePatch { nickname: Some(nick.into()), ..ProfilePatch::default() }),
            ..UpdateUser::default()
        };
        acme.update_user(&alice.id, &patch).await.expect("update");
    }
    let got = sink.wait_accepted(3, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 3, "tenant.created is not subscribed; three user events are");
    assert!(got.iter().all(|r| r.signed), "every delivery carries a valid Standard Webhooks signature");
    let versions: Vec<u64> = got.iter().map(|r| r.event.aggregate.version).collect();
    assert_eq!(versions, vec![1, 2, 3]);
    assert_eq!(got[0].event.event_type, "user.created");
    assert_eq!(got[2].event.data["profile"]["nickname"], "Al");
    assert!(got.iter().all(|r| r.webhook_id == r.event.id));

    let tasks = wait_tasks(&p.admin, "profiles", Duration::from_secs(5), |t| {
        t.len() == 3 && t.iter().all(|t| t.status == TaskStatus::Delivered)
    })
    .await;
    assert!(tasks.iter().all(|t| t.status == TaskStatus::Delivered), "{tasks:?}");
    let one = p.admin.get_task(tasks[0].id).await.expect("task");
    let log = one.attempt_log.expect("attempts");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].outcome, "delivered");
    assert_eq!(log[0].status_code, Some(200));
    assert_eq!(log[0].response.as_deref(), Some("sink says hi"));

    let stats = p.admin.sync_stats().await.expect("stats");
    let s = stats.iter().find(|s| s.target == "profiles").expect("stats of profiles");
    assert_eq!((s.delivered, s.failed, s.dead, s.backlog), (3, 0, 0, 0));
    assert_eq!(s.success_rate, Some(1.0));
    assert!(s.latency_p99_ms.is_some());
    let health = p.admin.health().await.expect("health");
    let c = health.components.iter().find(|c| c.name == "sync:profiles").expect("sync component");
    assert_eq!(c.status, HealthStatus::Healthy);
    assert_eq!(c.details["backlog"], 0);
    let (_, metrics) = p.admin.get_raw("/metrics").await.expect("metrics");
    let metrics = String::from_utf8_lossy(&metrics);
    assert!(metrics.contains("plat_sync_delivery_latency_seconds_count{target=\"profiles\"} 3"), "{metrics}");
});

both!(failures_are_retried_then_delivered, FAST, |p| {
    // Every event fails three times (503, 500, connection-level 502) before a 200.
    let sink = Sink::start(|_, seen| match seen {
        0 => Reply::Status(503),
        1 => Reply::Status(500),
        2 => Reply::Status(502),
        _ => Reply::Status(200),
    })
    .await;
    p.admin.create_target(&http_target("flaky", &sink.url, &["tenant.*"])).await.expect("target");
    tenant(&p.admin, "acme", None).await;
    let got = sink.wait_accepted(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(sink.received().len(), 4);
    let tasks =
        wait_tasks(&p.admin, "flaky", Duration::from_secs(5), |t| t.iter().all(|t| t.status == TaskStatus::Delivered))
            .await;
    let task = p.admin.get_task(tasks[0].id).await.expect("task");
    assert_eq!(task.attempts, 4);
    let outcomes: Vec<String> = task.attempt_log.expect("log").iter().map(|a| a.outcome.clone()).collect();
    assert_eq!(outcomes, ["retry", "retry", "retry", "delivered"]);
    let s = p.admin.sync_stats().await.expect("stats").remove(0);
    assert_eq!((s.delivered, s.failed), (1, 3));
    assert_eq!(s.success_rate, Some(0.25));
});

both!(retry_after_is_honoured, FAST, |p| {
    let sink = Sink::start(|_, seen| if seen == 0 { Reply::RetryAfter(429, 1) } else { Reply::Status(200) }).await;
    p.admin.create_target(&http_target("limited", &sink.url, &["tenant.created"])).await.expect("target");
    tenant(&p.admin, "acme", None).await;
    sink.wait_accepted(1, Duration::from_secs(10)).await;
    let all = sink.received();
    assert_eq!(all.len(), 2);
    let waited = all[1].at - all[0].at;
    assert!(waited >= Duration::from_millis(950), "the retry came {waited:?} after a Retry-After: 1");
});

both!(permanent_failures_go_to_the_dlq_and_replay_delivers, FAST, |p| {
    let sink = Sink::start(|_, _| Reply::Status(400)).await;
    p.admin.create_target(&http_target("strict", &sink.url, &["tenant.*"])).await.expect("target");
    tenant(&p.admin, "acme", None).await;
    tenant(&p.admin, "beta", None).await;
    let tasks = wait_tasks(&p.admin, "strict", Duration::from_secs(5), |t| {
        t.len() == 2 && t.iter().all(|t| t.status == TaskStatus::Dead)
    })
    .await;
    assert!(tasks.iter().all(|t| t.status == TaskStatus::Dead && t.attempts == 1), "400 is final: {tasks:?}");
    assert_eq!(tasks[0].last_status_code, Some(400));
    let dlq = p.admin.list_dlq(&TaskQuery::default()).await.expect("dlq");
    assert_eq!(dlq.total, 2);

    sink.set(|_, _| Reply::Status(200));
    let replayed = p.admin.replay_dlq(&DlqReplay { target: Some("strict".into()), ids: vec![] }).await.expect("replay");
    assert_eq!(replayed.count, 2);
    assert_eq!(sink.wait_accepted(2, Duration::from_secs(10)).await.len(), 2);
    let tasks =
        wait_tasks(&p.admin, "strict", Duration::from_secs(5), |t| t.iter().all(|t| t.status == TaskStatus::Delivered))
            .await;
    assert!(tasks.iter().all(|t| t.status == TaskStatus::Delivered && t.attempts == 2));

    // Purge empties the queue; retry and cancel refuse tasks in the wrong state.
    sink.set(|_, _| Reply::Status(422));
    tenant(&p.admin, "gamma", None).await;
    wait_tasks(&p.admin, "strict", Duration::from_secs(5), |t| t.iter().any(|t| t.status == TaskStatus::Dead)).await;
    assert_eq!(code(p.admin.cancel_task(tasks[0].id).await), ErrorCode::Conflict);
    assert_eq!(code(p.admin.retry_task(tasks[0].id).await), ErrorCode::Conflict);
    assert_eq!(code(p.admin.get_task(999_999).await), ErrorCode::TaskNotFound);
    let purged = p.admin.purge_dlq(&DlqPurge::default()).await.expect("purge");
    assert_eq!(purged.count, 1);
    assert_eq!(p.admin.list_dlq(&TaskQuery::default()).await.expect("dlq").total, 0);
});

both!(a_hanging_target_times_out_and_is_retried, FAST, |p| {
    let sink = Sink::start(|_, seen| if seen == 0 { Reply::Hang } else { Reply::Status(200) }).await;
    let mut target = http_target("slow", &sink.url, &["tenant.created"]);
    target.timeout = Some("300ms".into());
    p.admin.create_target(&target).await.expect("target");
    tenant(&p.admin, "acme", None).await;
    assert_eq!(sink.wait_accepted(1, Duration::from_secs(10)).await.len(), 1);
    let tasks =
        wait_tasks(&p.admin, "slow", Duration::from_secs(5), |t| t.iter().all(|t| t.status == TaskStatus::Delivered))
            .await;
    let log = p.admin.get_task(tasks[0].id).await.expect("task").attempt_log.expect("log");
    assert_eq!(log[0].outcome, "retry");
    assert!(log[0].error.as_deref().unwrap_or("").contains("no answer within 300ms"), "{log:?}");
    assert!(log[0].duration_ms >= 290.0 && log[0].duration_ms < 2000.0, "{log:?}");
});

both!(gone_disables_the_target_until_resumed, FAST, |p| {
    let sink = Sink::start(|_, _| Reply::Status(410)).await;
    p.admin.create_target(&http_target("gone", &sink.url, &["tenant.*"])).await.expect("target");
    tenant(&p.admin, "acme", None).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let target = loop {
        let t = p.admin.get_target("gone").await.expect("target");
        if t.state == TargetState::Disabled || Instant::now() > deadline {
            break t;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert_eq!(target.state, TargetState::Disabled);
    assert!(!target.enabled);
    assert!(target.disabled_reason.as_deref().unwrap_or("").contains("410"));
    let health = p.admin.health().await.expect("health");
    assert_eq!(health.status, HealthStatus::Unhealthy);
    // A disabled target collects nothing new; resuming makes it deliver again.
    tenant(&p.admin, "beta", None).await;
    let tasks = wait_tasks(&p.admin, "gone", Duration::from_millis(200), |_| false).await;
    assert_eq!(tasks.len(), 1, "no task for an event while disabled");
    sink.set(|_, _| Reply::Status(200));
    let resumed = p.admin.resume_target("gone").await.expect("resume");
    assert_eq!(resumed.state, TargetState::Active);
    tenant(&p.admin, "gamma", None).await;
    assert_eq!(sink.wait_accepted(1, Duration::from_secs(10)).await[0].event.tenant, "gamma");
});

both!(versions_stay_ordered_per_user_through_a_flaky_target, FAST, |p| {
    // 50 users × 20 updates; one answer in five fails.
    let mut n: u64 = 0;
    let sink = Sink::start(move |_, _| {
        n = n.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        if (n >> 33).is_multiple_of(5) { Reply::Status(503) } else { Reply::Status(200) }
    })
    .await;
    let mut target = http_target("ordered", &sink.url, &["user.*"]);
    target.max_attempts = Some(50);
    target.concurrency = Some(16);
    p.admin.create_target(&target).await.expect("target");
    let acme = tenant(&p.admin, "acme", None).await;
    let mut ids = Vec::new();
    for i in 0..50 {
        ids.push(acme.create_user(&new_user(&format!("user{i}"))).await.expect("user").id);
    }
    let writes: Vec<_> = ids
        .iter()
        .map(|id| {
            let (acme, id) = (acme.clone(), id.clone());
            tokio::spawn(async move {
                for round in 0..19 {
                    let patch = UpdateUser {
                        profile: Some(ProfilePatch { bio: Some(format!("round {round}")), ..ProfilePatch::default() }),
                        ..UpdateUser::default()
                    };
                    acme.update_user(&id, &patch).await.expect("update");
                }
            })
        })
        .collect();
    for w in writes {
        w.await.expect("writer");
    }
    let got = sink.wait_accepted(1000, Duration::from_secs(60)).await;
    assert_eq!(got.len(), 1000, "every version arrives");
    let mut last: HashMap<String, u64> = HashMap::new();
    for r in &got {
        let previous = last.insert(r.event.aggregate.id.clone(), r.event.aggregate.version).unwrap_or(0);
        assert_eq!(r.event.aggregate.version, previous + 1, "user {} went from {previous}", r.event.aggregate.id);
    }
    assert!(last.values().all(|v| *v == 20));
});

both!(targets_are_validated_and_platform_scoped, FAST, |p| {
    let sink = Sink::start(|_, _| Reply::Status(200)).await;
    let mut bad = http_target("Bad Name", &sink.url, &["user.*"]);
    assert_eq!(code(p.admin.create_target(&bad).await), ErrorCode::ValidationError);
    bad.name = "ok".into();
    bad.url = "redis://127.0.0.1".into();
    assert_eq!(code(p.admin.create_target(&bad).await), ErrorCode::ValidationError);
    let mut bad = http_target("ok", &sink.url, &["User.*"]);
    assert_eq!(code(p.admin.create_target(&bad).await), ErrorCode::ValidationError);
    bad.events = vec!["user.*".into()];
    bad.options.insert("stream".into(), "x".into());
    assert_eq!(code(p.admin.create_target(&bad).await), ErrorCode::ValidationError);
    bad.options.clear();
    bad.secret = Some("not-a-secret".into());
    assert_eq!(code(p.admin.create_target(&bad).await), ErrorCode::ValidationError);
    bad.secret = None;
    bad.timeout = Some("1h".into());
    assert_eq!(code(p.admin.create_target(&bad).await), ErrorCode::ValidationError);
    bad.timeout = None;
    let made = p.admin.create_target(&bad).await.expect("generated secret");
    let secret = made.secret.expect("generated secret shown once");
    assert!(plat_domain::delivery::parse_secret("s", &secret).is_ok());
    assert_eq!(code(p.admin.create_target(&bad).await), ErrorCode::Conflict);
    assert_eq!(code(p.admin.get_target("nope").await), ErrorCode::TargetNotFound);

    let tested = p.admin.test_target("ok").await.expect("test");
    assert!(tested.delivered, "{tested:?}");
    assert_eq!(tested.status_code, Some(200));
    assert_eq!(sink.received()[0].event.event_type, "sync.ping");

    let paused = p.admin.pause_target("ok").await.expect("pause");
    assert_eq!((paused.state, paused.enabled), (TargetState::Paused, false));
    let updated = p
        .admin
        .update_target("ok", &UpdateTarget { generate_secret: true, max_attempts: Some(3), ..UpdateTarget::default() })
        .await
        .expect("update");
    assert_ne!(updated.secret.as_deref(), Some(secret.as_str()));
    assert_eq!(updated.target.max_attempts, 3);
    // A paused target keeps collecting, but delivers nothing.
    let acme = tenant(&p.admin, "acme", None).await;
    acme.create_user(&new_user("carol")).await.expect("carol");
    let waited = wait_tasks(&p.admin, "ok", Duration::from_millis(300), |_| false).await;
    assert_eq!(waited.len(), 1, "{waited:?}");
    assert_eq!(waited[0].status, TaskStatus::Pending);
    assert_eq!(sink.received().len(), 1, "only the ping reached the sink");

    // Tenant admins have no say over platform-wide targets.
    let mut boss = new_user("boss");
    boss.roles = Some(vec!["tenant-admin".into()]);
    acme.create_user(&boss).await.expect("boss");
    let boss = p.login("acme", "boss", "boss-password").await;
    assert_eq!(code(boss.list_targets().await), ErrorCode::PermissionDenied);
    assert_eq!(code(boss.delete_target("ok").await), ErrorCode::PermissionDenied);
    p.admin.delete_target("ok").await.expect("delete");
    assert!(p.admin.list_targets().await.expect("list").is_empty());
});

/// A Redis connection and a key prefix of this test, or None when Redis is not configured.
async fn redis() -> Option<(redis::aio::MultiplexedConnection, String, String)> {
    let Ok(url) = std::env::var("PLAT_TEST_REDIS_URL") else {
        eprintln!("skipped: PLAT_TEST_REDIS_URL is not set, Redis targets not tested");
        return None;
    };
    let client = redis::Client::open(url.as_str()).expect("redis url");
    let conn = client.get_multiplexed_async_connection().await.expect("redis");
    let prefix = format!("plat-test:{}:", uuid::Uuid::now_v7().simple());
    Some((conn, url, prefix))
}

both!(redis_targets_keep_the_newest_version, FAST, |p| {
    let Some((mut conn, url, prefix)) = redis().await else { return };
    let mut options = serde_json::Map::new();
    options.insert("key_prefix".into(), format!("{prefix}user:").into());
    options.insert("ttl".into(), "1h".into());
    let target = CreateTarget {
        name: "cache".into(),
        kind: TargetKind::Redis,
        url: url.clone(),
        events: vec!["user.*".into()],
        secret: None,
        timeout: None,
        max_attempts: Some(5),
        concurrency: None,
        options,
        read_back: None,
        rules: None,
        batch: None,
        // Exact counts below: no snapshot of the users before the target.
        backfill: Some(false),
    };
    let made = p.admin.create_target(&target).await.expect("redis target");
    assert!(made.secret.is_none() && made.target.read_back.supported);
    let mut stream_options = serde_json::Map::new();
    stream_options.insert("stream".into(), format!("{prefix}events").into());
    stream_options.insert("maxlen".into(), 1000.into());
    let stream = CreateTarget {
        name: "stream".into(),
        kind: TargetKind::RedisStream,
        options: stream_options,
        ..target.clone()
    };
    p.admin.create_target(&stream).await.expect("stream target");
    assert!(p.admin.test_target("cache").await.expect("ping").delivered);

    let acme = tenant(&p.admin, "acme", None).await;
    let alice = acme.create_user(&new_user("alice")).await.expect("alice");
    let key = format!("{prefix}user:{}", alice.id);
    let patch = UpdateUser { email: Some("alice@new.test".into()), ..UpdateUser::default() };
    acme.update_user(&alice.id, &patch).await.expect("update");
    wait_tasks(&p.admin, "cache", Duration::from_secs(10), |t| {
        t.len() == 2 && t.iter().all(|t| t.status == TaskStatus::Delivered)
    })
    .await;
    let value: Option<String> = redis::cmd("GET").arg(&key).query_async(&mut conn).await.expect("get");
    let value: serde_json::Value = serde_json::from_str(&value.expect("key written")).expect("json");
    assert_eq!(value["version"], 2);
    assert_eq!(value["email"], "alice@new.test");
    let ttl: i64 = redis::cmd("PTTL").arg(&key).query_async(&mut conn).await.expect("ttl");
    assert!(ttl > 3_000_000, "ttl {ttl}");

    // A newer copy (version 99) is never overwritten by version 3.
    let newer = serde_json::json!({"id": alice.id, "version": 99}).to_string();
    let _: () = redis::cmd("SET").arg(&key).arg(&newer).query_async(&mut conn).await.expect("set");
    let patch = UpdateUser { email: Some("alice@third.test".into()), ..UpdateUser::default() };
    acme.update_user(&alice.id, &patch).await.expect("update");
    wait_tasks(&p.admin, "cache", Duration::from_secs(10), |t| {
        t.len() == 3 && t.iter().all(|t| t.status == TaskStatus::Delivered)
    })
    .await;
    let value: String = redis::cmd("GET").arg(&key).query_async(&mut conn).await.expect("get");
    assert_eq!(value, newer);

    // Deleting removes an older copy and leaves a tombstone that stops stale versions.
    let older = serde_json::json!({"id": alice.id, "version": 1}).to_string();
    let _: () = redis::cmd("SET").arg(&key).arg(&older).query_async(&mut conn).await.expect("set");
    acme.delete_user(&alice.id, true).await.expect("delete");
    wait_tasks(&p.admin, "cache", Duration::from_secs(10), |t| {
        t.len() == 4 && t.iter().all(|t| t.status == TaskStatus::Delivered)
    })
    .await;
    let exists: i64 = redis::cmd("EXISTS").arg(&key).query_async(&mut conn).await.expect("exists");
    assert_eq!(exists, 0);
    let tombstone: Option<String> =
        redis::cmd("GET").arg(format!("plat:tombstone:{key}")).query_async(&mut conn).await.expect("tomb");
    assert!(tombstone.is_some());
    let _: () = redis::cmd("DEL").arg(format!("plat:tombstone:{key}")).query_async(&mut conn).await.expect("del");

    // The stream got every event, with its type.
    wait_tasks(&p.admin, "stream", Duration::from_secs(10), |t| {
        t.len() == 4 && t.iter().all(|t| t.status == TaskStatus::Delivered)
    })
    .await;
    let len: i64 = redis::cmd("XLEN").arg(format!("{prefix}events")).query_async(&mut conn).await.expect("xlen");
    assert_eq!(len, 4);
    let entries: redis::Value = redis::cmd("XRANGE")
        .arg(format!("{prefix}events"))
        .arg("-")
        .arg("+")
        .query_async(&mut conn)
        .await
        .expect("xrange");
    let text = format!("{entries:?}");
    assert!(text.contains("user.created") && text.contains("user.deleted"), "{text}");
    let _: () = redis::cmd("DEL").arg(format!("{prefix}events")).query_async(&mut conn).await.expect("del");
});

both!(
    an_unreachable_target_opens_its_circuit,
    &[
        ("PLATD_SYNC__POLL_INTERVAL", "50ms"),
        ("PLATD_SYNC__BACKOFF_BASE", "10ms"),
        ("PLATD_SYNC__BACKOFF_CAP", "20ms"),
        ("PLATD_SYNC__CIRCUIT_FAILURES", "3"),
        ("PLATD_SYNC__CIRCUIT_COOLDOWN", "1h"),
    ],
    |p| {
        // Nothing listens on this port.
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/hook", closed.local_addr().expect("addr"));
        drop(closed);
        let mut target = http_target("down", &url, &["tenant.*"]);
        target.max_attempts = Some(100);
        p.admin.create_target(&target).await.expect("target");
        tenant(&p.admin, "acme", None).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let t = p.admin.get_target("down").await.expect("target");
            if t.circuit == CircuitState::Open || Instant::now() > deadline {
                assert_eq!(t.circuit, CircuitState::Open);
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        // Open: no more attempts during the cool-down.
        let before = p.admin.list_tasks(&TaskQuery::default()).await.expect("tasks").items[0].attempts;
        assert_eq!(before, 3);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let after = p.admin.list_tasks(&TaskQuery::default()).await.expect("tasks").items[0].clone();
        assert_eq!(after.attempts, 3);
        assert!(after.last_error.as_deref().unwrap_or("").contains("cannot connect"), "{after:?}");
        let health = p.admin.health().await.expect("health");
        let c = health.components.iter().find(|c| c.name == "sync:down").expect("component");
        assert_eq!(c.status, HealthStatus::Degraded);
        assert_eq!(p.admin.sync_stats().await.expect("stats")[0].circuit, CircuitState::Open);
    }
);

both!(an_operator_sees_backlog_age_state_and_circuit_in_metrics, FAST, |p| {
    // One refused token, by its reason.
    let refused = reqwest::Client::new()
        .get(format!("{}/api/v1/users", p.base))
        .bearer_auth("not.a.token")
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), 401);
    // A paused target keeps its tasks due and unclaimed: the age grows.
    p.admin.create_target(&http_target("paused", "http://127.0.0.1:9/hooks", &["tenant.*"])).await.expect("target");
    p.admin.pause_target("paused").await.expect("pause");
    tenant(&p.admin, "acme", None).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let scrape = |accept: &'static str| {
        let url = format!("{}/metrics", p.base);
        async move {
            let response = reqwest::Client::new().get(url).header("accept", accept).send().await.expect("scrape");
            let kind = response.headers()["content-type"].to_str().expect("type").to_owned();
            (kind, response.text().await.expect("text"))
        }
    };
    let (kind, text) = scrape("text/plain").await;
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    let value = |name: &str| -> f64 {
        let line = text.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("no {name} in\n{text}"));
        line.rsplit(' ').next().and_then(|v| v.parse().ok()).expect("a number")
    };
    assert_eq!(value("plat_sync_backlog_tasks{target=\"paused\"}"), 1.0);
    assert_eq!(value("plat_sync_dead_letter_tasks{target=\"paused\"}"), 0.0);
    let age = value("plat_sync_oldest_due_task_age_seconds{target=\"paused\"}");
    assert!((1.0..60.0).contains(&age), "the due task waited {age} s");
    assert_eq!(value("plat_sync_target_state{target=\"paused\",state=\"paused\"}"), 1.0);
    assert_eq!(value("plat_sync_circuit_state{target=\"paused\"}"), 0.0);
    assert_eq!(value("plat_database_up"), 1.0);
    assert!(value("plat_logins_total{outcome=\"success\"}") >= 1.0, "the harness logged in");
    assert!(value("plat_token_checks_total{outcome=\"active\"}") >= 1.0, "the admin's calls");
    assert_eq!(value("plat_token_checks_total{outcome=\"invalid\"}"), 1.0);
    assert_eq!(value("plat_token_checks_total{outcome=\"expired\"}"), 0.0, "every outcome is exposed from the start");
    assert_eq!(value("plat_leader{lease=\"scheduler\"}"), 1.0);
    assert!(value("process_resident_memory_bytes") > 1e6);
    assert!(value("process_open_fds") > 0.0);
    assert!(text.contains("# TYPE plat_http_requests_total counter"), "classic counters carry _total");
    assert!(!text.contains("# EOF"));
    let (kind, text) = scrape("application/openmetrics-text; version=1.0.0").await;
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    assert!(text.ends_with("# EOF\n") && text.matches("# EOF").count() == 1, "one exposition");
    assert!(text.contains("# TYPE plat_http_requests counter"));
});

both!(a_delivery_continues_the_trace_of_the_change, FAST, |p| {
    let sink = Sink::start(|_, _| Reply::Status(200)).await;
    p.admin.create_target(&http_target("traced", &sink.url, &["tenant.*"])).await.expect("target");
    // A caller in a trace: the change's event and its delivery stay in it.
    let caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/tenants", p.base))
        .bearer_auth(p.admin.token().expect("token"))
        .header("traceparent", caller)
        .header("tracestate", "vendor=abc")
        .json(&serde_json::json!({"slug": "acme"}))
        .send()
        .await
        .expect("create tenant");
    assert_eq!(response.status().as_u16(), 201);
    // A caller without one starts a trace of its own.
    tenant(&p.admin, "globex", None).await;
    let got = sink.wait_accepted(2, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 2);
    let by_tenant = |slug: &str| got.iter().find(|r| r.event.tenant == slug).expect("delivered").clone();
    let acme = by_tenant("acme");
    let parts: Vec<&str> = acme.traceparent.split('-').collect();
    assert_eq!(parts.len(), 4, "{}", acme.traceparent);
    assert_eq!(parts[1], "4bf92f3577b34da6a3ce929d0e0e4736", "the caller's trace");
    assert_ne!(parts[2], "00f067aa0ba902b7", "a span of its own");
    let recorded = acme.event.metadata["traceparent"].as_str().expect("the event carries its trace");
    assert!(recorded.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"), "{recorded}");
    assert_ne!(recorded, acme.traceparent, "the delivery is a child of the request span");
    assert_eq!(acme.event.metadata["tracestate"], "vendor=abc");
    let globex = by_tenant("globex");
    let trace = plat_domain::trace::TraceContext::parse(&globex.traceparent).expect("a valid traceparent");
    assert_ne!(trace.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
});

/// A service account of `acme` that may publish `file.*`; its client.
async fn publisher(p: &crate::harness::Platd) -> Client {
    let acme = tenant(&p.admin, "acme", None).await;
    let role = CreateRole {
        name: "publisher".into(),
        description: None,
        permissions: vec!["events:publish".into()],
        conditions: vec![],
    };
    acme.create_role(&role).await.expect("role");
    let account = |publishes: &[&str]| CreateServiceAccount {
        name: "files".into(),
        roles: vec!["publisher".into()],
        publishes: publishes.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    // A type plat emits is never granted.
    let refused = acme.create_service_account(&account(&["user.*"])).await;
    match refused {
        Err(plat_client::ClientError::Api { error, .. }) => {
            assert_eq!(error.code, ErrorCode::ValidationError);
            assert!(error.message.contains("only plat emits"), "{}", error.message);
        }
        other => panic!("granted user.*: {other:?}"),
    }
    let created = acme.create_service_account(&account(&["file.*"])).await.expect("account");
    let client = Client::new(&p.base).expect("client");
    let token = client
        .client_credentials(&created.account.client_id, &created.client_secret, None)
        .await
        .expect("client credentials");
    client.with_token(token.access_token)
}

// plat's own events cannot be forged: not by a service (whatever it was
// granted), not by a tenant admin (who may publish without a grant), not
// under a type or an aggregate kind of plat's catalog. `organization.*` was
// once left out of a hand-written list: a forged `organization.deleted`
// reached every subscriber in the real organization's order.
both!(plats_own_events_cannot_be_forged_by_services_or_people, &[], |p| {
    let files = publisher(&p).await;
    let acme = p.admin.clone().with_tenant("acme");
    let org = acme.create_org(&CreateOrganization { name: "eng".into(), ..Default::default() }).await.expect("org");
    let mut boss = new_user("boss");
    boss.roles = Some(vec!["tenant-admin".into()]);
    acme.create_user(&boss).await.expect("acme admin");
    let boss = p.login("acme", "boss", "boss-password").await;

    // No account is granted a pattern reaching a type of plat's.
    for pattern in ["organization.*", "organization.deleted", "org*", "*.deleted", "service.updated"] {
        let update = UpdateServiceAccount { publishes: Some(vec![pattern.into()]), ..Default::default() };
        assert_eq!(code(acme.update_service_account("files", &update).await), ErrorCode::ValidationError, "{pattern}");
    }
    // Neither the service nor the tenant admin publishes one, whatever the aggregate.
    for publisher in [&files, &boss] {
        for t in plat_proto::catalog::ALL {
            let forged = PublishEvent {
                event_type: t.name.into(),
                aggregate: Some(PublishAggregate { kind: t.aggregate.into(), id: org.id.clone() }),
                ..Default::default()
            };
            assert_eq!(code(publisher.publish_event(&forged).await), ErrorCode::PermissionDenied, "{}", t.name);
            let alone = PublishEvent { event_type: t.name.into(), ..Default::default() };
            assert_eq!(code(publisher.publish_event(&alone).await), ErrorCode::PermissionDenied, "{}", t.name);
        }
        // A type of its own, on an aggregate of plat's: refused by kind.
        let mut joined = file_event("file.uploaded", None, serde_json::json!({}));
        joined.aggregate = Some(PublishAggregate { kind: "organization".into(), id: org.id.clone() });
        assert_eq!(code(publisher.publish_event(&joined).await), ErrorCode::ValidationError);
    }
    // Nothing forged reached the outbox: the organization's only event is its creation.
    let query = EventQuery { aggregate_id: Some(org.id.clone()), ..Default::default() };
    let events = acme.list_events(&query).await.expect("events");
    let types: Vec<&str> = events.items.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["organization.created"]);
});

fn file_event(event_type: &str, key: Option<&str>, data: serde_json::Value) -> PublishEvent {
    PublishEvent {
        event_type: event_type.into(),
        aggregate: Some(PublishAggregate { kind: "file".into(), id: "f_1".into() }),
        idempotency_key: key.map(str::to_owned),
        data,
        ..Default::default()
    }
}

both!(a_service_publishes_its_own_events_and_a_subscriber_gets_each_once_in_order, FAST, |p| {
    let sink = Sink::start(|_, _| Reply::Status(200)).await;
    p.admin.create_target(&http_target("files", &sink.url, &["file.*"])).await.expect("target");
    let files = publisher(&p).await;

    let upload = file_event("file.uploaded", Some("upload-f_1"), serde_json::json!({"name": "a.pdf", "size": 1024}));
    let first = files.publish_event(&upload).await.expect("publish");
    assert_eq!((first.source.as_str(), first.tenant.as_str(), first.aggregate.version), ("files", "acme", 1));
    assert_eq!(first.metadata["actor"], "service:files@acme");
    // A retry after a timeout returns the first event; nothing is published twice.
    let again = files.publish_event(&upload).await.expect("retry");
    assert_eq!(again.id, first.id);
    let raw = reqwest::Client::new()
        .post(format!("{}/api/v1/events", p.base))
        .bearer_auth(files.token().expect("token"))
        .json(&upload)
        .send()
        .await
        .expect("send");
    assert_eq!((raw.status().as_u16(), raw.headers()["idempotent-replayed"].to_str().ok()), (201, Some("true")));

    // Refused: a type it was not granted, a type plat emits, another tenant,
    // too much data (named), and a user's token.
    for refused in ["report.done", "user.created"] {
        let result = files.publish_event(&file_event(refused, None, serde_json::json!({}))).await;
        assert_eq!(code(result), ErrorCode::PermissionDenied, "{refused}");
    }
    let elsewhere =
        PublishEvent { tenant: Some("system".into()), ..file_event("file.uploaded", None, serde_json::json!({})) };
    assert!(matches!(
        code(files.publish_event(&elsewhere).await),
        ErrorCode::PermissionDenied | ErrorCode::TenantNotFound
    ));
    let mut as_user = file_event("file.uploaded", None, serde_json::json!({}));
    as_user.aggregate = Some(PublishAggregate { kind: "user".into(), id: "0193".into() });
    match files.publish_event(&as_user).await {
        Err(plat_client::ClientError::Api { error, .. }) => {
            assert_eq!(error.field.as_deref(), Some("aggregate.kind"), "{error:?}")
        }
        other => panic!("a publisher joined a user's delivery order: {other:?}"),
    }
    let blob: serde_json::Map<String, serde_json::Value> =
        (0..10).map(|i| (format!("part{i}"), "x".repeat(8000).into())).collect();
    let big = file_event("file.uploaded", None, serde_json::Value::Object(blob));
    match files.publish_event(&big).await {
        Err(plat_client::ClientError::Api { error, .. }) => {
            assert_eq!(error.code, ErrorCode::ValidationError);
            assert_eq!(error.field.as_deref(), Some("data"), "{error:?}");
        }
        other => panic!("80 kB of data was published: {other:?}"),
    }
    // A person with the permission publishes any type a service could be granted, never plat's.
    let by_admin = p.admin.publish_event(&file_event("file.uploaded", Some("upload-f_1"), serde_json::json!({}))).await;
    let by_admin = by_admin.expect("an admin publishes");
    assert_eq!((by_admin.tenant.as_str(), by_admin.source.as_str()), ("system", "admin@system"));
    assert_ne!(by_admin.id, first.id, "idempotency keys are the publisher's own");
    let forged = p.admin.publish_event(&file_event("user.deleted", None, serde_json::json!({}))).await;
    assert_eq!(code(forged), ErrorCode::PermissionDenied);

    // A batch, in one transaction: versions follow on.
    let batch = PublishBatch {
        events: (2..=4).map(|i| file_event("file.updated", None, serde_json::json!({"rev": i}))).collect(),
    };
    let published = files.publish_events(&batch).await.expect("batch");
    assert_eq!(published.items.iter().map(|e| e.aggregate.version).collect::<Vec<_>>(), vec![2, 3, 4]);
    assert_eq!(published.replayed, 0);
    // A batch with one bad event publishes nothing, and names it.
    let mut bad = batch.clone();
    bad.events[1].event_type = "user.updated".into();
    match files.publish_events(&bad).await {
        Err(plat_client::ClientError::Api { error, .. }) => {
            assert!(error.message.starts_with("events[1]:"), "{error:?}")
        }
        other => panic!("a batch with a forbidden event: {other:?}"),
    }

    // The subscriber gets each once, signed, in version order.
    let got = sink.wait_accepted(5, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got_all: Vec<Received> = sink.accepted().into_iter().filter(|r| r.event.tenant == "acme").collect();
    assert_eq!(got_all.len(), 4, "{got:?}");
    assert_eq!(got_all.iter().map(|r| r.event.aggregate.version).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    assert!(got_all.iter().all(|r| r.signed && r.event.source == "files"));
    assert_eq!(got_all[0].event.id, first.id);
    let listed = p
        .admin
        .list_events(&EventQuery { event_type: Some("file.*".into()), ..Default::default() })
        .await
        .expect("events");
    assert_eq!(listed.items.len(), 5, "four of acme's, one of the admin's");
});

fn rules(tenants: &[&str], filter: Option<&str>, omit: &[&str]) -> TargetRules {
    TargetRules {
        tenants: Selection { include: tenants.iter().map(|t| t.to_string()).collect(), exclude: Vec::new() },
        filter: filter.map(str::to_owned),
        fields: Selection { include: Vec::new(), exclude: omit.iter().map(|f| f.to_string()).collect() },
    }
}

fn refused_field<T: std::fmt::Debug>(result: Result<T, plat_client::ClientError>) -> String {
    match result {
        Err(plat_client::ClientError::Api { error, .. }) => {
            assert_eq!(error.code, ErrorCode::ValidationError, "{error:?}");
            error.field.unwrap_or_default()
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}

both!(a_targets_rules_choose_tenants_events_and_fields, FAST, |p| {
    let (acme_sink, disabled_sink) =
        (Sink::start(|_, _| Reply::Status(200)).await, Sink::start(|_, _| Reply::Status(200)).await);
    let mut acme_target = http_target("acme-profiles", &acme_sink.url, &["user.*"]);
    acme_target.rules = Some(rules(&["acme"], None, &["email", "profile.nickname"]));
    let made = p.admin.create_target(&acme_target).await.expect("acme target");
    assert_eq!(made.target.rules.tenants.include, vec!["acme".to_owned()]);
    let mut disabled_target = http_target("disabled-users", &disabled_sink.url, &["user.*"]);
    disabled_target.rules = Some(rules(&[], Some(r#"data.status == "disabled""#), &[]));
    p.admin.create_target(&disabled_target).await.expect("filtered target");

    // Rules are validated on write, naming the field.
    let mut typo = http_target("typo", &acme_sink.url, &["user.*"]);
    typo.rules = Some(rules(&[], Some(r#"dta.status == "disabled""#), &[]));
    assert_eq!(refused_field(p.admin.create_target(&typo).await), "rules.filter");
    typo.rules = Some(TargetRules {
        tenants: Selection { include: vec!["acme".into()], exclude: vec!["globex".into()] },
        ..TargetRules::default()
    });
    assert_eq!(refused_field(p.admin.create_target(&typo).await), "rules.tenants");
    let bad_path = UpdateTarget { rules: Some(rules(&[], None, &["a..b"])), ..UpdateTarget::default() };
    assert_eq!(refused_field(p.admin.update_target("acme-profiles", &bad_path).await), "rules.fields.exclude");

    let acme = tenant(&p.admin, "acme", None).await;
    let globex = tenant(&p.admin, "globex", None).await;
    let mut alice = new_user("alice");
    alice.profile = Some(ProfilePatch { nickname: Some("Al".into()), ..ProfilePatch::default() });
    let alice = acme.create_user(&alice).await.expect("alice");
    let bob = acme.create_user(&new_user("bob")).await.expect("bob");
    let carol = globex.create_user(&new_user("carol")).await.expect("carol");
    acme.disable_user(&bob.id).await.expect("disable bob");
    globex.disable_user(&carol.id).await.expect("disable carol");

    // acme's target: acme's three events, without the omitted fields.
    acme_sink.wait_accepted(3, Duration::from_secs(10)).await;
    disabled_sink.wait_accepted(2, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = acme_sink.accepted();
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got.iter().all(|r| r.event.tenant == "acme" && r.signed));
    for r in &got {
        assert!(r.event.data.get("email").is_none(), "an omitted field was delivered: {:?}", r.event.data);
        assert!(r.event.data["profile"].get("nickname").is_none(), "{:?}", r.event.data);
        assert!(r.event.data.get("username").is_some(), "the rest of data is kept");
    }
    assert!(got.iter().any(|r| r.event.aggregate.id == alice.id));
    // The filtered target: only the two disabling events, of both tenants, whole.
    let got_disabled = disabled_sink.accepted();
    assert_eq!(got_disabled.len(), 2, "{got_disabled:?}");
    assert!(got_disabled.iter().all(|r| r.event.data["status"] == "disabled" && r.event.data.get("email").is_some()));
    // No task was made for what the rules leave out.
    let tasks = p
        .admin
        .list_tasks(&TaskQuery { target: Some("acme-profiles".into()), ..Default::default() })
        .await
        .expect("tasks");
    assert_eq!(tasks.items.len(), 3);

    // A preview shows what an event would become, and why not.
    let events = p.admin.list_events(&EventQuery::default()).await.expect("events");
    let carols = events.items.iter().find(|e| e.aggregate.id == carol.id).expect("carol's event");
    let preview = PreviewEvent { event: serde_json::to_value(carols).expect("json") };
    let answer = p.admin.preview_target("acme-profiles", &preview).await.expect("preview");
    assert!(!answer.delivered && answer.reason.as_deref().is_some_and(|r| r.contains("tenants")), "{answer:?}");
    let alices = events.items.iter().find(|e| e.aggregate.id == alice.id).expect("alice's event");
    let preview = PreviewEvent { event: serde_json::to_value(alices).expect("json") };
    let answer = p.admin.preview_target("acme-profiles", &preview).await.expect("preview");
    let body = answer.body.expect("a body");
    assert!(answer.delivered && body["data"].get("email").is_none() && body["data"]["username"] == "alice");
    let answer = p.admin.preview_target("disabled-users", &preview).await.expect("preview");
    assert!(answer.reason.as_deref().is_some_and(|r| r.contains("rules.filter")), "{answer:?}");
    let not_json_event = PreviewEvent { event: serde_json::json!(["x"]) };
    assert_eq!(refused_field(p.admin.preview_target("acme-profiles", &not_json_event).await), "event");

    // Clearing the rules: the next event reaches the target whole.
    let clear = UpdateTarget { rules: Some(TargetRules::default()), ..UpdateTarget::default() };
    let cleared = p.admin.update_target("acme-profiles", &clear).await.expect("clear");
    assert!(cleared.target.rules.is_empty());
    globex.enable_user(&carol.id).await.expect("enable carol");
    let got = acme_sink.wait_accepted(4, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 4);
    assert_eq!(
        (got[3].event.tenant.as_str(), got[3].event.data["email"].as_str()),
        ("globex", Some("carol@example.test"))
    );
});

both!(a_window_of_events_is_replayed_to_one_target_in_order, FAST, |p| {
    let sink = Sink::start(|_, _| Reply::Status(200)).await;
    let other = Sink::start(|_, _| Reply::Status(200)).await;
    // acme's only: the window also holds the bootstrap admin's events.
    let mut lost = http_target("lost-data", &sink.url, &["user.*"]);
    lost.rules = Some(rules(&["acme"], None, &[]));
    p.admin.create_target(&lost).await.expect("target");
    p.admin.create_target(&http_target("fine", &other.url, &["user.*"])).await.expect("target");
    let acme = tenant(&p.admin, "acme", None).await;
    let alice = acme.create_user(&new_user("alice")).await.expect("alice");
    let patch = UpdateUser {
        profile: Some(ProfilePatch { nickname: Some("A".into()), ..Default::default() }),
        ..Default::default()
    };
    acme.update_user(&alice.id, &patch).await.expect("update");
    acme.create_user(&new_user("bob")).await.expect("bob");
    assert_eq!(sink.wait_accepted(3, Duration::from_secs(10)).await.len(), 3);
    other.wait_accepted(3, Duration::from_secs(10)).await;

    // Everything of the last hour, to one target: the three again, alice's in order.
    let all = ReplayEvents { since: "1h".into(), ..ReplayEvents::default() };
    assert_eq!(p.admin.replay_target("lost-data", &all).await.expect("replay").count, 3);
    let got = sink.wait_accepted(6, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 6, "{got:?}");
    let alices: Vec<u64> =
        got[3..].iter().filter(|r| r.event.aggregate.id == alice.id).map(|r| r.event.aggregate.version).collect();
    assert_eq!(alices, vec![1, 2]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(other.accepted().len(), 3, "only the named target gets the replay");

    // Narrowed by type; a window with nothing in it; mistakes named.
    let created = ReplayEvents { since: "1h".into(), types: vec!["user.created".into()], ..ReplayEvents::default() };
    assert_eq!(p.admin.replay_target("lost-data", &created).await.expect("replay").count, 2);
    let old = ReplayEvents { since: "2h".into(), until: Some("1h".into()), ..ReplayEvents::default() };
    assert_eq!(p.admin.replay_target("lost-data", &old).await.expect("replay").count, 0);
    let bad = ReplayEvents { since: "yesterday".into(), ..ReplayEvents::default() };
    assert_eq!(refused_field(p.admin.replay_target("lost-data", &bad).await), "since");
    let bad = ReplayEvents { since: "1h".into(), types: vec!["User.*".into()], ..ReplayEvents::default() };
    assert_eq!(refused_field(p.admin.replay_target("lost-data", &bad).await), "types");
    let backwards = ReplayEvents { since: "1h".into(), until: Some("2h".into()), ..ReplayEvents::default() };
    assert_eq!(refused_field(p.admin.replay_target("lost-data", &backwards).await), "until");
    assert_eq!(code(p.admin.replay_target("nope", &all).await), ErrorCode::TargetNotFound);
});

/// `n` users named `{prefix}{i}`, imported into `tenant` in pieces of 50,000.
async fn import(tenant: &Client, prefix: &str, n: usize) {
    for start in (0..n).step_by(50_000) {
        let lines: String = (start..(start + 50_000).min(n))
            .map(|i| format!("{{\"username\":\"{prefix}{i}\",\"email\":\"{prefix}{i}@example.test\"}}\n"))
            .collect();
        let report = tenant.import_users(lines, false).await.expect("import");
        assert!(report.errors.is_empty(), "{:?}", report.errors);
    }
}

/// A target's stats once its backlog is empty: a receiver's answer is
/// recorded a moment after the receiver saw the request.
async fn settled(admin: &Client, target: &str) -> TargetStats {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let stats = admin.sync_stats().await.expect("stats");
        let stats = stats.into_iter().find(|s| s.target == target).expect("the target's stats");
        if stats.backlog == 0 || Instant::now() > deadline {
            return stats;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Each aggregate's versions arrive in ascending order (repeats allowed),
/// and no request carries two events of one aggregate.
fn assert_ordered(got: &[Received]) {
    let mut last: HashMap<&str, u64> = HashMap::new();
    let mut in_request: std::collections::HashSet<(usize, &str)> = std::collections::HashSet::new();
    for r in got {
        let id = r.event.aggregate.id.as_str();
        let version = r.event.aggregate.version;
        let previous = last.insert(id, version).unwrap_or(0);
        assert!(version >= previous, "{id}: version {version} after {previous}");
        assert!(in_request.insert((r.request, id)), "request {} carried {id} twice", r.request);
    }
}

both!(a_batched_target_gets_an_import_in_few_requests_in_order_per_user, FAST, |p| {
    let sink = Sink::start(|_, _| Reply::Status(200)).await;
    let mut target = http_target("bulk", &sink.url, &["user.created", "user.updated"]);
    target.concurrency = Some(4);
    target.batch = Some(TargetBatch { max_events: 1000, max_bytes: 1 << 20 });
    let made = p.admin.create_target(&target).await.expect("batched target");
    assert_eq!((made.target.batch.max_events, made.target.batch.max_bytes), (1000, 1 << 20));
    // Settings out of range are refused, naming the field.
    let mut bad = http_target("bad", &sink.url, &["user.*"]);
    bad.batch = Some(TargetBatch { max_events: 1001, max_bytes: 1 << 20 });
    assert_eq!(refused_field(p.admin.create_target(&bad).await), "batch.max_events");
    let small = UpdateTarget { batch: Some(TargetBatch { max_events: 10, max_bytes: 100 }), ..UpdateTarget::default() };
    assert_eq!(refused_field(p.admin.update_target("bulk", &small).await), "batch.max_bytes");
    // A ping to a batched target is an array too.
    assert!(p.admin.test_target("bulk").await.expect("ping").delivered);
    assert_eq!(sink.received()[0].batch, 1);

    // 100,000 imported users, and a second version of the first 500, queued
    // while paused; then delivered in batches.
    let n = 100_000;
    p.admin.pause_target("bulk").await.expect("pause");
    let acme = tenant(&p.admin, "acme", None).await;
    import(&acme, "u", n).await;
    let firsts = acme.list_users(&UserListQuery { page_size: Some(500), ..Default::default() }).await.expect("users");
    for user in &firsts.items {
        let patch = UpdateUser { email: Some(format!("{}@new.test", user.username)), ..UpdateUser::default() };
        acme.update_user(&user.id, &patch).await.expect("update");
    }
    let started = Instant::now();
    p.admin.resume_target("bulk").await.expect("resume");
    // Delivery is at least once: a request that outlives its timeout (a
    // starved machine) is retried though the sink took it. Wait for every
    // event, then count what came twice against the attempts that failed.
    let deadline = Instant::now() + Duration::from_secs(300);
    let unique =
        |got: &[Received]| got.iter().map(|r| r.event.id.as_str()).collect::<std::collections::HashSet<_>>().len();
    let mut got = sink.accepted();
    while unique(&got) < 1 + n + 500 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        got = sink.accepted();
    }
    let took = started.elapsed();
    assert_eq!(unique(&got), 1 + n + 500, "every event delivered");
    let got = &got[1..];
    assert_ordered(got);
    let requests = got.iter().map(|r| r.request).collect::<std::collections::HashSet<_>>().len();
    eprintln!("{} events in {requests} requests in {took:?}", got.len());
    assert!(got.iter().all(|r| r.signed && r.batch >= 1), "signed arrays");
    assert!(requests <= got.len() / 100, "{requests} requests for {} events", got.len());
    let updated: Vec<&Received> = got.iter().filter(|r| r.event.aggregate.version == 2).collect();
    let updated_ids: std::collections::HashSet<&str> = updated.iter().map(|r| r.event.id.as_str()).collect();
    assert_eq!(updated_ids.len(), 500);
    assert!(updated.iter().all(|r| r.event.data["email"].as_str().is_some_and(|e| e.ends_with("@new.test"))));
    let bulk = settled(&p.admin, "bulk").await;
    // Only a failed attempt sends an event again: never a second claim of a
    // task whose first delivery is still in flight or unrecorded.
    let again = (got.len() - unique(got)) as u64;
    assert!(again <= bulk.failed, "{again} events came twice, but only {} attempts failed: {bulk:?}", bulk.failed);
    assert_eq!((bulk.delivered, bulk.backlog, bulk.dead), (n as u64 + 500, 0, 0), "{bulk:?}");
});

/// As [`FAST`], with a circuit that opens after 3 consecutive failures.
const TRIPPY: &[(&str, &str)] = &[
    ("PLATD_SYNC__POLL_INTERVAL", "50ms"),
    ("PLATD_SYNC__BACKOFF_BASE", "20ms"),
    ("PLATD_SYNC__BACKOFF_CAP", "200ms"),
    ("PLATD_SYNC__CIRCUIT_FAILURES", "3"),
];

both!(a_batch_that_fails_is_retried_whole_and_counts_once_for_the_circuit, TRIPPY, |p| {
    // The first two requests fail: two failures for the circuit (of 3), not 100.
    let mut calls = 0;
    let sink = Sink::start(move |_, _| {
        calls += 1;
        if calls <= 2 { Reply::Status(503) } else { Reply::Status(200) }
    })
    .await;
    let mut target = http_target("flaky", &sink.url, &["user.created"]);
    target.batch = Some(TargetBatch { max_events: 50, max_bytes: 1 << 20 });
    target.concurrency = Some(1);
    p.admin.create_target(&target).await.expect("target");
    p.admin.pause_target("flaky").await.expect("pause");
    let acme = tenant(&p.admin, "acme", None).await;
    import(&acme, "f", 100).await;
    p.admin.resume_target("flaky").await.expect("resume");
    let got = sink.wait_accepted(100, Duration::from_secs(20)).await;
    assert_eq!(got.len(), 100);
    assert!(sink.received().iter().any(|r| r.status == 503), "batches failed first");
    let ids: std::collections::HashSet<&str> = got.iter().map(|r| r.event.aggregate.id.as_str()).collect();
    assert_eq!(ids.len(), 100, "each user once");
    assert_eq!(sink.received().iter().filter(|r| r.status == 503).count(), 100, "two batches of 50 failed");
    let flaky = p.admin.get_target("flaky").await.expect("target");
    assert_eq!(flaky.circuit, CircuitState::Closed);
    let stats = settled(&p.admin, "flaky").await;
    assert_eq!((stats.delivered, stats.failed, stats.dead), (100, 100, 0), "{stats:?}");
});

both!(a_batched_redis_target_writes_in_one_pipeline, FAST, |p| {
    let Some((mut conn, url, prefix)) = redis().await else { return };
    let mut options = serde_json::Map::new();
    options.insert("key_prefix".into(), format!("{prefix}user:").into());
    let cache = CreateTarget {
        name: "cache".into(),
        kind: TargetKind::Redis,
        url: url.clone(),
        events: vec!["user.*".into()],
        secret: None,
        timeout: None,
        max_attempts: Some(5),
        concurrency: Some(2),
        options,
        read_back: None,
        rules: Some(rules(&["acme"], None, &[])),
        batch: Some(TargetBatch { max_events: 100, max_bytes: 1 << 20 }),
        backfill: Some(false),
    };
    p.admin.create_target(&cache).await.expect("redis target");
    let mut stream_options = serde_json::Map::new();
    stream_options.insert("stream".into(), format!("{prefix}events").into());
    let stream =
        CreateTarget { name: "stream".into(), kind: TargetKind::RedisStream, options: stream_options, ..cache };
    p.admin.create_target(&stream).await.expect("stream target");
    // Flush the scripts, so the pipeline must load them itself.
    let _: () = redis::cmd("SCRIPT").arg("FLUSH").query_async(&mut conn).await.expect("flush");
    let acme = tenant(&p.admin, "acme", None).await;
    import(&acme, "r", 250).await;
    let gone = acme.get_user("r7").await.expect("r7");
    acme.delete_user(&gone.id, false).await.expect("delete r7");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let stats = p.admin.sync_stats().await.expect("stats");
        if stats.iter().all(|s| s.delivered == 251 && s.backlog == 0) {
            break;
        }
        assert!(Instant::now() < deadline, "not delivered: {stats:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let keys: Vec<String> =
        redis::cmd("KEYS").arg(format!("{prefix}user:*")).query_async(&mut conn).await.expect("keys");
    assert_eq!(keys.len(), 249, "250 users, one deleted");
    let value: Option<String> =
        redis::cmd("GET").arg(format!("{prefix}user:{}", gone.id)).query_async(&mut conn).await.expect("get");
    assert_eq!(value, None);
    let length: u64 = redis::cmd("XLEN").arg(format!("{prefix}events")).query_async(&mut conn).await.expect("xlen");
    assert_eq!(length, 251);
    let requests = metric_sum(&p.admin, "plat_sync_requests_total").await;
    assert!(requests <= 2.0 * 251.0 / 10.0, "{requests} requests for 502 writes");
});

/// The sum of a counter's series in `/metrics`.
async fn metric_sum(client: &Client, name: &str) -> f64 {
    let (_, body) = client.get_raw("/metrics").await.expect("metrics");
    String::from_utf8_lossy(&body)
        .lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

both!(a_new_target_backfills_every_existing_user_once, FAST, |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    let globex = tenant(&p.admin, "globex", None).await;
    import(&acme, "a", 1200).await;
    import(&globex, "g", 30).await;
    let gone = acme.get_user("a5").await.expect("a5");
    acme.delete_user(&gone.id, false).await.expect("delete a5");
    let sink = Sink::start(|_, _| Reply::Status(200)).await;
    let quiet = Sink::start(|_, _| Reply::Status(200)).await;

    // A backfill sends user.updated snapshots: a target without them cannot ask for one.
    let mut tenants_only = http_target("tenants", &quiet.url, &["tenant.*"]);
    tenants_only.backfill = Some(true);
    assert_eq!(refused_field(p.admin.create_target(&tenants_only).await), "backfill");
    tenants_only.backfill = None;
    let made = p.admin.create_target(&tenants_only).await.expect("tenant target");
    assert_eq!(made.target.backfill, None, "no backfill by default without user.updated");
    let mut skip = http_target("skip", &quiet.url, &["user.*"]);
    skip.backfill = Some(false);
    p.admin.create_target(&skip).await.expect("no backfill");

    // By default, a user.* target gets every live user of its tenants once.
    let mut late = http_target("late", &sink.url, &["user.*"]);
    late.backfill = None;
    late.rules = Some(rules(&["acme"], None, &["email"]));
    let made = p.admin.create_target(&late).await.expect("late target");
    assert!(made.target.backfill.is_some(), "{:?}", made.target);
    let deadline = Instant::now() + Duration::from_secs(60);
    let backfill = loop {
        let target = p.admin.get_target("late").await.expect("target");
        let backfill = target.backfill.expect("backfill");
        if backfill.state == BackfillState::Done && backfill.remaining == 0 {
            break backfill;
        }
        assert!(Instant::now() < deadline, "backfill not done: {backfill:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(backfill.queued, 1199, "{backfill:?}");
    assert!(backfill.finished_at.is_some());
    let got = sink.wait_accepted(1199, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1199);
    let ids: std::collections::HashSet<&str> = got.iter().map(|r| r.event.aggregate.id.as_str()).collect();
    assert_eq!(ids.len(), 1199, "each user once");
    assert!(!ids.contains(gone.id.as_str()), "a deleted user is not backfilled");
    for r in &got {
        assert_eq!((r.event.event_type.as_str(), r.event.tenant.as_str()), ("user.updated", "acme"));
        assert_eq!(r.event.metadata.get("backfill"), Some(&serde_json::Value::Bool(true)));
        assert!(r.event.data.get("email").is_none() && r.event.data.get("username").is_some(), "rules apply");
    }
    let stats = p.admin.sync_stats().await.expect("stats");
    let shown = stats.iter().find(|s| s.target == "late").and_then(|s| s.backfill.clone()).expect("stats backfill");
    assert_eq!((shown.queued, shown.remaining), (1199, 0));

    // Live changes follow their user's snapshot.
    let a1 = acme.get_user("a1").await.expect("a1");
    let patch = UpdateUser { email: Some("a1@new.test".into()), ..UpdateUser::default() };
    acme.update_user(&a1.id, &patch).await.expect("update");
    let got = sink.wait_accepted(1200, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1200);
    assert_ordered(&got);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(quiet.accepted().len(), 1, "only a1's update reached the targets without backfill");
});
