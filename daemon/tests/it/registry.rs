//! The service registry against real HTTP servers that the tests start and
//! stop: probing and thresholds, discovery and its blocking queries, the
//! protection threshold, heartbeats, the layering rule, and one prober
//! across replicas.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::both;
use crate::harness::Platd;

/// What a test health endpoint answers.
const UP: u32 = 0;
const DOWN: u32 = 1;
const FLAP: u32 = 2;

/// A real HTTP server with a `/health` the test controls; `stop` closes it.
struct Endpoint {
    url: String,
    mode: Arc<AtomicU32>,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Endpoint {
    async fn start() -> Endpoint {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let mode = Arc::new(AtomicU32::new(UP));
        let hits = Arc::new(AtomicUsize::new(0));
        let (m, h) = (mode.clone(), hits.clone());
        let app = axum::Router::new().route(
            "/health",
            axum::routing::get(move || {
                let (m, h) = (m.clone(), h.clone());
                async move {
                    let n = h.fetch_add(1, Ordering::SeqCst);
                    match m.load(Ordering::SeqCst) {
                        UP => axum::http::StatusCode::OK,
                        FLAP if n % 2 == 0 => axum::http::StatusCode::OK,
                        _ => axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    }
                }
            }),
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Endpoint { url, mode, hits, task }
    }

    /// Fail every probe from now on: connections already open (a pooled
    /// keep-alive may outlive the listener) answer 503, new ones are refused.
    fn stop(&self) {
        self.mode.store(DOWN, Ordering::SeqCst);
        self.task.abort();
    }
}

async fn api(p: &Platd, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let token = p.admin.token().expect("token").to_owned();
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = reqwest::Client::new().request(method, format!("{}/api/v1{path}", p.base)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("send");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn spec(endpoints: &[&str], extra: Value) -> Value {
    let mut spec = json!({
        "version": "1.0.0",
        "endpoints": endpoints.iter().map(|u| json!({"url": u})).collect::<Vec<_>>(),
        "health_check": {"path": "/health", "interval": "1s", "timeout": "300ms",
                         "success_before_passing": 1, "failures_before_critical": 2},
        "layer": "business",
    });
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        spec.extend(extra.clone());
    }
    spec
}

/// The healthy instance URLs discovery answers, and whether protection holds.
async fn healthy(p: &Platd, name: &str) -> (Vec<String>, bool) {
    let (status, body) = api(p, "GET", &format!("/discovery/{name}?healthy=true"), None).await;
    assert_eq!(status, 200, "{body}");
    let mut urls: Vec<String> = body["data"]["instances"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["url"].as_str().map(str::to_owned))
        .collect();
    urls.sort();
    (urls, body["data"]["protected"].as_bool().unwrap_or(false))
}

/// Wait for `check` to hold, polling the API; panics after `limit`.
async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < limit, "{what} did not happen within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    start.elapsed()
}

both!(a_dead_instance_leaves_discovery_within_interval_times_failures, &[], |p| {
    let (a, b) = (Endpoint::start().await, Endpoint::start().await);
    let (status, body) = api(&p, "PUT", "/services/shop/orders", Some(spec(&[&a.url, &b.url], json!({})))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["revision"], 1);
    let both_up = {
        let mut urls = vec![a.url.clone(), b.url.clone()];
        urls.sort();
        urls
    };
    eventually(Duration::from_secs(5), "both instances healthy", || async { healthy(&p, "orders").await.0 == both_up })
        .await;
    b.stop();
    let stopped = Instant::now();
    eventually(Duration::from_secs(5), "the dead instance gone from discovery", || async {
        healthy(&p, "orders").await == (vec![a.url.clone()], false)
    })
    .await;
    // interval (1 s) × failures (2), plus one probe's timeout and the batch flush.
    assert!(stopped.elapsed() < Duration::from_millis(2600), "took {:?}", stopped.elapsed());
    let (_, instances) = api(&p, "GET", "/services/shop/orders/instances", None).await;
    let dead = instances["data"].as_array().expect("list").iter().find(|i| i["url"] == b.url.as_str()).cloned();
    assert_eq!(dead.expect("listed")["status"], "critical");
    // Health and metrics say so.
    let (_, health) = api(&p, "GET", "/health", None).await;
    let components = health["data"]["components"].as_array().expect("components");
    let orders = components.iter().find(|c| c["name"] == "service:shop/orders").expect("service component");
    assert_eq!((orders["status"].as_str(), orders["details"]["healthy"].as_u64()), (Some("degraded"), Some(1)));
    let registry = components.iter().find(|c| c["name"] == "registry").expect("registry component");
    assert_eq!(registry["details"]["prober"], "this replica");
    let metrics = reqwest::get(format!("{}/metrics", p.base)).await.expect("metrics").text().await.expect("text");
    assert!(metrics.contains("plat_registry_instances{service=\"shop/orders\",status=\"critical\"} 1"), "{metrics}");
    assert!(metrics.contains("plat_registry_prober_leader 1"), "{metrics}");
    // The change was announced once, as an event a sync target can subscribe to.
    let (_, events) = api(&p, "GET", "/events?type=service.*", None).await;
    let types: Vec<&str> =
        events["data"]["items"].as_array().expect("events").iter().filter_map(|e| e["type"].as_str()).collect();
    assert!(types.contains(&"service.registered") && types.contains(&"service.health_changed"), "{types:?}");
    a.stop();
});

both!(the_same_spec_again_changes_nothing, &[], |p| {
    let a = Endpoint::start().await;
    let body = spec(&[&a.url], json!({"tags": {"team": "shop"}}));
    api(&p, "PUT", "/services/shop/orders", Some(body.clone())).await;
    let (_, before) = api(&p, "GET", "/events?type=service.*", None).await;
    let (status, again) = api(&p, "PUT", "/services/shop/orders", Some(body)).await;
    assert_eq!((status, again["data"]["revision"].clone()), (200, json!(1)));
    let (_, after) = api(&p, "GET", "/events?type=service.registered", None).await;
    assert_eq!(after["data"]["total"], 1);
    let (_, all_after) = api(&p, "GET", "/events?type=service.*", None).await;
    let count = |v: &Value| {
        v["data"]["items"].as_array().map(|i| i.iter().filter(|e| e["type"] != "service.health_changed").count())
    };
    assert_eq!(count(&before), count(&all_after));
    a.stop();
});

both!(a_flapping_instance_does_not_flap_in_discovery, &[], |p| {
    let a = Endpoint::start().await;
    let mut body = spec(&[&a.url], json!({}));
    body["health_check"]["success_before_passing"] = json!(2);
    body["health_check"]["failures_before_critical"] = json!(2);
    api(&p, "PUT", "/services/shop/flappy", Some(body)).await;
    eventually(Duration::from_secs(6), "healthy", || async { healthy(&p, "flappy").await.0.len() == 1 }).await;
    let (_, first) = api(&p, "GET", "/discovery/flappy", None).await;
    let index = first["data"]["index"].as_u64().expect("index");
    a.mode.store(FLAP, Ordering::SeqCst);
    let hits = a.hits.load(Ordering::SeqCst);
    eventually(Duration::from_secs(10), "six flapping probes", || async { a.hits.load(Ordering::SeqCst) >= hits + 6 })
        .await;
    let (_, later) = api(&p, "GET", "/discovery/flappy?healthy=true", None).await;
    assert_eq!(later["data"]["index"].as_u64(), Some(index), "no change was announced: {later}");
    assert_eq!(later["data"]["instances"].as_array().map(Vec::len), Some(1));
    a.stop();
});

both!(a_blocked_discovery_call_returns_within_100ms_of_a_change, &[], |p| {
    let a = Endpoint::start().await;
    api(&p, "PUT", "/services/shop/watched", Some(spec(&[&a.url], json!({})))).await;
    // Let the first probe settle (it is a change of its own).
    eventually(Duration::from_secs(5), "healthy", || async { healthy(&p, "watched").await.0.len() == 1 }).await;
    let (_, first) = api(&p, "GET", "/discovery/watched", None).await;
    let index = first["data"]["index"].as_u64().expect("index");
    let token = p.admin.token().expect("token").to_owned();
    let url = format!("{}/api/v1/discovery/watched?index={index}&wait=30s", p.base);
    let watcher = tokio::spawn(async move {
        let answer: Value =
            reqwest::Client::new().get(url).bearer_auth(token).send().await.expect("watch").json().await.expect("json");
        (Instant::now(), answer)
    });
    // Probes that change nothing (and changes of other services) wake nobody.
    api(&p, "PUT", "/services/shop/other", Some(spec(&[], json!({})))).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!watcher.is_finished(), "the watcher returned without a change");
    let (status, _) =
        api(&p, "PUT", "/services/shop/watched", Some(spec(&[&a.url], json!({"version": "2.0.0"})))).await;
    let changed = Instant::now();
    assert_eq!(status, 200);
    let (woke, answer) = watcher.await.expect("join");
    assert!(answer["data"]["index"].as_u64() > Some(index), "{answer}");
    let late = woke.saturating_duration_since(changed);
    assert!(late < Duration::from_millis(100), "woke {late:?} after the change");
    a.stop();
});

both!(protection_keeps_the_last_healthy_set_when_most_fail, &[], |p| {
    let (a, b) = (Endpoint::start().await, Endpoint::start().await);
    api(&p, "PUT", "/services/shop/guarded", Some(spec(&[&a.url, &b.url], json!({})))).await;
    eventually(Duration::from_secs(5), "healthy", || async { healthy(&p, "guarded").await.0.len() == 2 }).await;
    a.stop();
    b.stop();
    // Probes a second apart must fail first; the margin is for a loaded 2-core CI
    // (6 s was once not enough with the whole suite running).
    eventually(Duration::from_secs(10), "protection", || async { healthy(&p, "guarded").await.1 }).await;
    assert_eq!(healthy(&p, "guarded").await.0.len(), 2, "the last healthy set is answered");
    let (_, service) = api(&p, "GET", "/services/shop/guarded", None).await;
    assert_eq!(service["data"]["status"]["protected"], true);
});

both!(a_heartbeat_instance_expires, &[("PLATD_REGISTRY__REMOVE_AFTER", "2s")], |p| {
    api(&p, "PUT", "/services/legacy/billing", Some(spec(&[], json!({"layer": "core"})))).await;
    let (status, beat) = api(
        &p,
        "POST",
        "/services/legacy/billing/heartbeat",
        Some(json!({"url": "http://10.1.2.3:8080", "ttl": "1s"})),
    )
    .await;
    assert_eq!((status, beat["data"]["status"].clone()), (200, json!("passing")), "{beat}");
    assert_eq!(healthy(&p, "billing").await.0, vec!["http://10.1.2.3:8080".to_owned()]);
    // Beats keep it alive; silence turns it critical, then removes it.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        api(
            &p,
            "POST",
            "/services/legacy/billing/heartbeat",
            Some(json!({"url": "http://10.1.2.3:8080", "ttl": "1s"})),
        )
        .await;
    }
    let (_, listed) = api(&p, "GET", "/services/legacy/billing/instances", None).await;
    assert_eq!(listed["data"][0]["status"], "passing");
    eventually(Duration::from_secs(4), "critical", || async {
        api(&p, "GET", "/services/legacy/billing/instances", None).await.1["data"][0]["status"] == "critical"
    })
    .await;
    eventually(Duration::from_secs(6), "removed", || async {
        api(&p, "GET", "/services/legacy/billing/instances", None).await.1["data"].as_array().is_some_and(Vec::is_empty)
    })
    .await;
    // The first beat of an instance names its URL.
    let (status, _) = api(&p, "POST", "/services/legacy/billing/heartbeat", Some(json!({"instance_id": "x1"}))).await;
    assert_eq!(status, 422);
});

both!(enforce_refuses_a_violating_edge_and_names_it, &[("PLATD_REGISTRY__LAYERING", "enforce")], |p| {
    let core = spec(&[], json!({"layer": "core"}));
    assert_eq!(api(&p, "PUT", "/services/shop/users", Some(core)).await.0, 200);
    // infrastructure → core points upward.
    let upward = spec(&[], json!({"layer": "infrastructure", "depends_on": ["users"]}));
    let (status, dry) = api(&p, "PUT", "/services/shop/db-proxy?dry_run=true", Some(upward.clone())).await;
    assert_eq!(status, 422, "{dry}");
    let (status, refused) = api(&p, "PUT", "/services/shop/db-proxy", Some(upward)).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (422, Some("LAYER_VIOLATION")), "{refused}");
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("db-proxy") && message.contains("users"), "the edge is named: {message}");
    assert_eq!(api(&p, "GET", "/services/shop/db-proxy", None).await.0, 404, "nothing was stored");
    // A downward edge is fine; the graph shows it.
    let downward = spec(&[], json!({"layer": "application", "depends_on": ["users"]}));
    assert_eq!(api(&p, "PUT", "/services/shop/gateway", Some(downward)).await.0, 200);
    let (_, graph) = api(&p, "GET", "/services/graph", None).await;
    let edges = graph["data"]["edges"].as_array().expect("edges");
    assert!(
        edges.iter().any(|e| e["violation"] == false && e["to"].as_str().is_some_and(|t| t.ends_with("users"))),
        "{graph}"
    );
});

both!(warn_records_a_violation_and_dry_run_stores_nothing, &[], |p| {
    let upward = spec(&[], json!({"layer": "core", "depends_on": ["gateway"]}));
    let (status, dry) = api(&p, "PUT", "/services/shop/auth?dry_run=true", Some(upward.clone())).await;
    assert_eq!(status, 200);
    assert!(dry["data"]["status"]["layering"].as_str().unwrap_or_default().starts_with("violation"), "{dry}");
    assert_eq!(api(&p, "GET", "/services/shop/auth", None).await.0, 404);
    let (status, stored) = api(&p, "PUT", "/services/shop/auth", Some(upward)).await;
    assert_eq!(status, 200);
    assert_eq!(stored["data"]["status"]["violations"][0]["kind"], "unknown_service", "{stored}");
    // Warn shows it in health, in an event and in a metric.
    let (_, health) = api(&p, "GET", "/health", None).await;
    let auth = health["data"]["components"]
        .as_array()
        .expect("components")
        .iter()
        .find(|c| c["name"] == "service:shop/auth")
        .cloned();
    let auth = auth.expect("component");
    assert_eq!(auth["status"], "degraded", "{auth}");
    assert!(auth["message"].as_str().unwrap_or_default().starts_with("layering:"), "{auth}");
    let metrics = reqwest::get(format!("{}/metrics", p.base)).await.expect("metrics").text().await.expect("text");
    assert!(metrics.contains("plat_registry_layering_violations{service=\"shop/auth\"} 1"), "{metrics}");
    let (_, events) = api(&p, "GET", "/events?type=service.registered", None).await;
    assert_eq!(
        events["data"]["items"][0]["data"]["status"]["violations"][0]["to"],
        stored["data"]["status"]["violations"][0]["to"]
    );
});

/// Two replicas on one PostgreSQL database: one probes, and the other takes
/// over when it stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_probes_and_hands_over() {
    let env = [("PLATD_REGISTRY__LEASE_TTL", "3s")];
    let Some(mut first) = crate::harness::start(crate::harness::Db::Postgres, &env).await else { return };
    let database = first.take_database();
    let second = crate::harness::join(&first).await;
    let a = Endpoint::start().await;
    api(&first, "PUT", "/services/shop/orders", Some(spec(&[&a.url], json!({})))).await;
    let leaders =
        |x: &Platd, y: &Platd| [x, y].iter().filter(|p| p.state().prober.stats.leader.load(Ordering::SeqCst)).count();
    eventually(Duration::from_secs(5), "a leader", || async { leaders(&first, &second) == 1 }).await;
    eventually(Duration::from_secs(5), "probes", || async { a.hits.load(Ordering::SeqCst) >= 3 }).await;
    let probes = |p: &Platd| p.state().prober.stats.probes.load(Ordering::SeqCst);
    assert_eq!(leaders(&first, &second), 1);
    assert!(probes(&first) == 0 || probes(&second) == 0, "only one replica probes");
    // The leader stops; the other takes over within the lease.
    let (leader, follower) =
        if first.state().prober.stats.leader.load(Ordering::SeqCst) { (first, second) } else { (second, first) };
    leader.stop().await;
    eventually(Duration::from_secs(8), "the follower probes", || async {
        follower.state().prober.stats.leader.load(Ordering::SeqCst) && probes(&follower) > 0
    })
    .await;
    // Discovery on the follower saw the registration made on the other replica.
    assert_eq!(healthy(&follower, "orders").await.0, vec![a.url.clone()]);
    a.stop();
    follower.stop().await;
    crate::harness::drop_database(database).await;
}

/// The stored state of instance `id` of `legacy/billing`: (status, last beat).
async fn stored_beat(p: &Platd, id: &str) -> Option<(String, i64)> {
    let (_, instances) = p.state().store.get_service("legacy", "billing").await.ok()?;
    instances
        .iter()
        .find(|i| i.instance.id == id)
        .map(|i| (i.instance.status.as_str().to_owned(), i.last_heartbeat_at.unwrap_or(0)))
}

/// Heartbeats are answered from memory on the replica that takes them and
/// written in batches: a first beat is stored when answered and seen by the
/// other replica; steady beats reach the database within
/// `registry.heartbeat_flush`, and the sweep allows that much beyond each
/// TTL, so an instance that keeps beating through the other replica never
/// turns critical, and one that stops does within TTL + flush (+ the
/// sweep's second). A beat of an instance another replica turned critical
/// brings it back, whatever that replica's memory said.
#[tokio::test]
async fn heartbeats_taken_by_one_replica_are_seen_and_swept_by_another() {
    let env = [("PLATD_REGISTRY__HEARTBEAT_FLUSH", "900ms")];
    let Some(mut first) = crate::harness::start(crate::harness::Db::Postgres, &env).await else { return };
    let database = first.take_database();
    let second = crate::harness::join(&first).await;
    api(&first, "PUT", "/services/legacy/billing", Some(spec(&[], json!({"layer": "core"})))).await;
    eventually(Duration::from_secs(2), "the second replica sees the service", || async {
        api(&second, "GET", "/services/legacy/billing", None).await.0 == 200
    })
    .await;
    let beat = json!({"instance_id": "b1", "url": "http://10.1.2.3:8080", "ttl": "1s"});
    let (status, body) = api(&second, "POST", "/services/legacy/billing/heartbeat", Some(beat.clone())).await;
    assert_eq!((status, body["data"]["status"].as_str()), (200, Some("passing")), "{body}");
    // Stored when answered; the other replica's discovery follows.
    assert_eq!(stored_beat(&first, "b1").await.map(|b| b.0), Some("passing".to_owned()));
    eventually(Duration::from_secs(2), "the first replica discovers it", || async {
        healthy(&first, "billing").await.0 == vec!["http://10.1.2.3:8080".to_owned()]
    })
    .await;
    // Steady beats every 400 ms through the second replica for 4 s: each
    // is answered at once; none reaches the database later than the flush;
    // the instance never turns critical although each write lags.
    let steady = json!({"instance_id": "b1", "ttl": "1s"});
    let started = Instant::now();
    let mut last_sent = 0;
    while started.elapsed() < Duration::from_secs(4) {
        let (status, body) = api(&second, "POST", "/services/legacy/billing/heartbeat", Some(steady.clone())).await;
        assert_eq!((status, body["data"]["status"].as_str()), (200, Some("passing")), "{body}");
        last_sent = plat_store::now_ms();
        let (state, _) = stored_beat(&first, "b1").await.expect("stored");
        assert_eq!(state, "passing", "a live instance turned critical");
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    eventually(Duration::from_millis(1500), "the last steady beat is written", || async {
        stored_beat(&first, "b1").await.is_some_and(|(_, at)| at >= last_sent - 50)
    })
    .await;
    // Silence: critical within TTL + flush + the sweep's second (+ margin).
    let waited = eventually(Duration::from_secs(5), "critical", || async {
        stored_beat(&first, "b1").await.is_some_and(|(state, _)| state == "critical")
    })
    .await;
    assert!(waited >= Duration::from_millis(900), "not before TTL + flush: {waited:?}");
    // A beat through the replica that took the steady ones brings it back.
    let (status, body) = api(&second, "POST", "/services/legacy/billing/heartbeat", Some(steady.clone())).await;
    assert_eq!(status, 200, "{body}");
    eventually(Duration::from_secs(3), "passing again, on both replicas", || async {
        stored_beat(&first, "b1").await.is_some_and(|(state, _)| state == "passing")
            && healthy(&first, "billing").await.0.len() == 1
            && healthy(&second, "billing").await.0.len() == 1
    })
    .await;
    // A graceful stop writes what the replica still holds.
    api(&second, "POST", "/services/legacy/billing/heartbeat", Some(steady)).await;
    let sent = plat_store::now_ms();
    second.stop().await;
    let (_, at) = stored_beat(&first, "b1").await.expect("stored");
    assert!(at >= sent - 50, "the stop wrote the buffered beat ({at} < {sent})");
    first.stop().await;
    crate::harness::drop_database(database).await;
}

both!(a_burst_of_new_instances_is_written_together_and_each_is_answered, &[], |p| {
    api(&p, "PUT", "/services/legacy/billing", Some(spec(&[], json!({"layer": "core"})))).await;
    let platd = &p;
    let beats = (0..64).map(|i| {
        let body = json!({"instance_id": format!("n{i}"), "url": format!("http://10.2.0.{i}:8080"), "ttl": "30s"});
        async move { api(platd, "POST", "/services/legacy/billing/heartbeat", Some(body)).await }
    });
    for (status, body) in futures_util::future::join_all(beats).await {
        assert_eq!((status, body["data"]["status"].as_str()), (200, Some("passing")), "{body}");
    }
    // Each is in discovery when its answer comes, and stored.
    assert_eq!(healthy(&p, "billing").await.0.len(), 64);
    let (_, stored) = p.state().store.get_service("legacy", "billing").await.expect("stored");
    assert_eq!(stored.len(), 64);
    // A probed endpoint's id cannot be taken by a heartbeat, and that fails alone.
    api(&p, "PUT", "/services/legacy/billing", Some(spec(&["http://10.3.0.1:9"], json!({"layer": "core"})))).await;
    let probed = plat_domain::registry::instance_id("http://10.3.0.1:9");
    let clash = json!({"instance_id": probed, "url": "http://10.3.0.1:9"});
    let fine = json!({"instance_id": "n64", "url": "http://10.2.0.64:8080"});
    let (clashed, ok) = tokio::join!(
        api(&p, "POST", "/services/legacy/billing/heartbeat", Some(clash)),
        api(&p, "POST", "/services/legacy/billing/heartbeat", Some(fine)),
    );
    assert_eq!(clashed.0, 409, "{}", clashed.1);
    assert_eq!(ok.0, 200, "{}", ok.1);
    // An instance that comes back at another URL under the same id moves there at once.
    let moved = json!({"instance_id": "n0", "url": "http://10.4.0.1:8080"});
    let (status, body) = api(&p, "POST", "/services/legacy/billing/heartbeat", Some(moved)).await;
    assert_eq!((status, body["data"]["url"].as_str()), (200, Some("http://10.4.0.1:8080")), "{body}");
    let urls = healthy(&p, "billing").await.0;
    assert!(urls.contains(&"http://10.4.0.1:8080".to_owned()) && !urls.contains(&"http://10.2.0.0:8080".to_owned()));
});

both!(a_name_alone_finds_the_one_service_of_that_name_or_asks_for_a_namespace, &[], |p| {
    api(&p, "PUT", "/services/shop/users", Some(spec(&["http://10.9.0.1:1"], json!({})))).await;
    assert_eq!(api(&p, "GET", "/discovery/users", None).await.0, 200);
    api(&p, "PUT", "/services/billing/users", Some(spec(&["http://10.9.0.2:1"], json!({})))).await;
    let (status, body) = api(&p, "GET", "/discovery/users", None).await;
    assert_eq!(status, 409, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("billing, shop"), "names both namespaces: {message}");
    let (status, body) = api(&p, "GET", "/discovery/users?namespace=billing", None).await;
    assert_eq!((status, body["data"]["namespace"].as_str()), (200, Some("billing")), "{body}");
    // Once one is gone, the name alone finds the other again; an unknown name is 404.
    assert_eq!(api(&p, "DELETE", "/services/shop/users", None).await.0, 200);
    let (status, body) = api(&p, "GET", "/discovery/users", None).await;
    assert_eq!((status, body["data"]["namespace"].as_str()), (200, Some("billing")), "{body}");
    assert_eq!(api(&p, "GET", "/discovery/nobody", None).await.0, 404);
});

both!(a_service_gets_its_own_account_and_tokens_for_its_dependencies, &[], |p| {
    api(&p, "PUT", "/services/shop/users", Some(spec(&[], json!({"layer": "core"})))).await;
    api(&p, "PUT", "/services/shop/orders", Some(spec(&[], json!({"depends_on": ["users"]})))).await;
    let (status, first) = api(&p, "POST", "/services/shop/orders/credentials", Some(json!({"roles": []}))).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (first["data"]["created"].clone(), first["data"]["audiences"].clone()),
        (json!(true), json!(["shop/users"]))
    );
    let client_id = first["data"]["client_id"].as_str().expect("client id").to_owned();
    let (_, service) = api(&p, "GET", "/services/shop/orders", None).await;
    assert_eq!(service["data"]["service_account"], client_id.as_str());
    let grant = |secret: String, audience: Option<&'static str>| {
        let (base, client_id) = (p.base.clone(), client_id.clone());
        async move {
            let mut body = json!({"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret});
            if let Some(audience) = audience {
                body["audience"] = json!(audience);
            }
            let response = reqwest::Client::new()
                .post(format!("{base}/api/v1/auth/token"))
                .json(&body)
                .send()
                .await
                .expect("send");
            (response.status().as_u16(), response.json::<Value>().await.expect("json"))
        }
    };
    let secret = first["data"]["client_secret"].as_str().expect("secret").to_owned();
    let (status, token) = grant(secret.clone(), Some("users")).await;
    assert_eq!(status, 200, "{token}");
    let token = token["data"]["access_token"].as_str().expect("token").to_owned();
    let verify = |audience: &'static str| {
        let token = token.clone();
        let p = &p;
        async move { api(p, "POST", "/auth/verify", Some(json!({"token": token, "audience": audience}))).await.1 }
    };
    assert_eq!(verify("shop/users").await["data"]["active"], true);
    assert_eq!(verify("shop/payments").await["data"]["active"], false, "a token for users is not one for payments");
    let (status, refused) = grant(secret.clone(), Some("payments")).await;
    assert_eq!((status, refused["error"]["field"].as_str()), (422, Some("audience")), "{refused}");
    // Again: the secret rotates, the account stays.
    let (_, second) = api(&p, "POST", "/services/shop/orders/credentials", Some(json!({}))).await;
    assert_eq!(
        (second["data"]["created"].clone(), second["data"]["client_id"].as_str()),
        (json!(false), Some(client_id.as_str()))
    );
    assert_eq!(grant(secret, None).await.0, 401, "the old secret is spent");
    let fresh = second["data"]["client_secret"].as_str().expect("secret").to_owned();
    assert_eq!(grant(fresh.clone(), None).await.0, 200);
    // Deregistering the service deletes its account.
    assert_eq!(api(&p, "DELETE", "/services/shop/orders", None).await.0, 200);
    eventually(Duration::from_secs(3), "the account is gone", || {
        let fresh = fresh.clone();
        let grant = &grant;
        async move { grant(fresh, None).await.0 == 401 }
    })
    .await;
});

both!(answers_show_the_latest_probe_without_waking_watchers, &[], |p| {
    let a = Endpoint::start().await;
    api(&p, "PUT", "/services/shop/fresh", Some(spec(&[&a.url], json!({})))).await;
    eventually(Duration::from_secs(5), "healthy", || async { healthy(&p, "fresh").await.0.len() == 1 }).await;
    let (_, first) = api(&p, "GET", "/discovery/fresh", None).await;
    let probed = |v: &Value| v["data"]["instances"][0]["last_probe_at"].as_str().map(str::to_owned);
    let (index, at) = (first["data"]["index"].clone(), probed(&first));
    eventually(Duration::from_secs(5), "a later probe shown", || async {
        probed(&api(&p, "GET", "/discovery/fresh", None).await.1) != at
    })
    .await;
    assert_eq!(api(&p, "GET", "/discovery/fresh", None).await.1["data"]["index"], index, "no change announced");
    a.stop();
});

both!(a_blocking_call_may_wait_longer_than_the_request_timeout, &[("PLATD_HTTP__REQUEST_TIMEOUT", "1s")], |p| {
    api(&p, "PUT", "/services/shop/quiet", Some(spec(&[], json!({})))).await;
    let (_, first) = api(&p, "GET", "/discovery/quiet", None).await;
    let index = first["data"]["index"].as_u64().expect("index");
    let started = Instant::now();
    let (status, same) = api(&p, "GET", &format!("/discovery/quiet?index={index}&wait=2s"), None).await;
    assert_eq!((status, same["data"]["index"].as_u64()), (200, Some(index)), "{same}");
    assert!(started.elapsed() >= Duration::from_millis(1900), "it waited: {:?}", started.elapsed());
});

both!(a_tenants_service_is_seen_by_that_tenant_only, &[], |p| {
    let acme = crate::api::tenant(&p.admin, "acme", None).await;
    let globex = crate::api::tenant(&p.admin, "globex", None).await;
    for (client, user) in [(&acme, "ann"), (&globex, "gus")] {
        let mut new = crate::api::new_user(user);
        new.roles = Some(vec!["tenant-admin".into()]);
        client.create_user(&new).await.expect("user");
    }
    let (status, stored) =
        api(&p, "PUT", "/services/shop/private", Some(spec(&[], json!({"tenant": "acme", "layer": "core"})))).await;
    assert_eq!((status, stored["data"]["tenant"].as_str()), (200, Some("acme")), "{stored}");
    api(&p, "PUT", "/services/shop/shared", Some(spec(&[], json!({"layer": "core"})))).await;
    let (status, _) = api(&p, "PUT", "/services/shop/lost", Some(spec(&[], json!({"tenant": "nowhere"})))).await;
    assert_eq!(status, 404, "an unknown tenant is refused");
    let call = |tenant: &'static str, user: &'static str, path: &'static str| {
        let p = &p;
        async move {
            let token = p.client.login(tenant, user, &format!("{user}-password")).await.expect("login").access_token;
            let response = reqwest::Client::new()
                .get(format!("{}/api/v1{path}", p.base))
                .bearer_auth(token)
                .send()
                .await
                .expect("send");
            (response.status().as_u16(), response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let names = |v: &Value| -> Vec<String> {
        v["data"].as_array().into_iter().flatten().filter_map(|s| s["name"].as_str().map(str::to_owned)).collect()
    };
    assert_eq!(names(&call("acme", "ann", "/services").await.1), vec!["private", "shared"]);
    assert_eq!(call("acme", "ann", "/discovery/private").await.0, 200);
    assert_eq!(names(&call("globex", "gus", "/services").await.1), vec!["shared"]);
    for path in ["/services/shop/private", "/services/shop/private/instances", "/discovery/private"] {
        let (status, body) = call("globex", "gus", path).await;
        assert_eq!((status, body["error"]["code"].as_str()), (404, Some("SERVICE_NOT_FOUND")), "{path}: {body}");
        assert!(body.get("data").is_none());
    }
    let (_, graph) = call("globex", "gus", "/services/graph").await;
    assert!(!graph.to_string().contains("private"), "{graph}");
});
