//! `sync`: deliveries/s to a null sink and to the profile service against a plain keep-alive client; commit-to-delivery latency at half load.

use super::*;

/// A null webhook receiver: answers 200 to every POST and counts them.
pub(crate) async fn null_sink() -> anyhow::Result<(String, Arc<AtomicU64>)> {
    null_receiver("/hook").await
}

/// Answers 200 to every POST to `path` and counts the events (a batch's
/// `x-plat-batch-size`, else one); returns its URL.
pub(crate) async fn null_receiver(path: &str) -> anyhow::Result<(String, Arc<AtomicU64>)> {
    let count = Arc::new(AtomicU64::new(0));
    let counter = count.clone();
    let app = axum::Router::new().route(
        path,
        axum::routing::post(move |headers: axum::http::HeaderMap, _body: axum::body::Bytes| {
            let counter = counter.clone();
            async move {
                let events = headers
                    .get("x-plat-batch-size")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1);
                counter.fetch_add(events, Ordering::Relaxed);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}{path}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, count))
}

pub(crate) const SYNC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

pub(crate) const SYNC_CONCURRENCY: u32 = 64;

/// Events per request of the batched scenarios.
const BATCH: u32 = 500;

/// Pause `target`, import `n` users (one event each), resume, and time until
/// `delivered()` reaches `n`: deliveries per second.
pub(crate) async fn drain_rate(
    p: &Platd,
    target: &str,
    tenant: &str,
    n: usize,
    delivered: impl Fn() -> u64,
) -> anyhow::Result<f64> {
    Ok(drain_and_import_rates(p, target, tenant, n, delivered).await?.0)
}

/// [`drain_rate`], and the import's users per second (events written with
/// their tasks: the fan-out's cost shows here).
pub(crate) async fn drain_and_import_rates(
    p: &Platd,
    target: &str,
    tenant: &str,
    n: usize,
    delivered: impl Fn() -> u64,
) -> anyhow::Result<(f64, f64)> {
    p.admin.pause_target(target).await?;
    p.admin.create_tenant(&CreateTenant { slug: tenant.into(), name: None, quotas: None }).await?;
    let client = p.admin.clone().with_tenant(tenant);
    let body: String = (0..n).map(|i| format!("{{\"username\":\"s{i}\",\"email\":\"s{i}@bench.test\"}}\n")).collect();
    let importing = Instant::now();
    client.import_users(body, false).await?;
    let import_rate = n as f64 / importing.elapsed().as_secs_f64();
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
    Ok((rate, import_rate))
}

/// Events a service publishes per second (docs/events.md): one per request,
/// and in batches of 100, against `/healthz` at the same concurrency. No
/// target subscribes, so this is the publish path alone.
pub(crate) async fn publish(report: &mut Report, p: &Platd, seconds: u64) -> anyhow::Result<()> {
    p.admin
        .create_role(&CreateRole {
            name: "bench-publisher".into(),
            description: None,
            permissions: vec!["events:publish".into()],
            conditions: vec![],
        })
        .await?;
    let sa = p
        .admin
        .create_service_account(&CreateServiceAccount {
            name: "bench-files".into(),
            roles: vec!["bench-publisher".into()],
            publishes: vec!["file.*".into()],
            ..Default::default()
        })
        .await?;
    let caller = Client::new(&p.base)?;
    let grant = caller.client_credentials(&sa.account.client_id, &sa.client_secret, None).await?;
    let files = caller.with_token(grant.access_token);
    const C: usize = 8;
    let healthz = healthz_rate(p, C, seconds).await;
    let next = Arc::new(AtomicU64::new(0));
    let event = |i: u64| PublishEvent {
        event_type: "file.uploaded".into(),
        aggregate: Some(PublishAggregate { kind: "file".into(), id: format!("f_{}", i % 1000) }),
        data: serde_json::json!({"name": format!("file-{i}.pdf"), "size": i}),
        ..Default::default()
    };
    let (f, n) = (files.clone(), next.clone());
    let single = rate(C, seconds, move || {
        let (f, i) = (f.clone(), n.fetch_add(1, Ordering::Relaxed));
        async move { f.publish_event(&event(i)).await.is_ok() }
    })
    .await;
    let (f, n) = (files.clone(), next.clone());
    let batches = rate(C, seconds, move || {
        let f = f.clone();
        let batch = PublishBatch { events: (0..100).map(|_| event(n.fetch_add(1, Ordering::Relaxed))).collect() };
        async move { f.publish_events(&batch).await.is_ok() }
    })
    .await;
    let limit = format!("/healthz c={C}");
    report.add("publish", format!("events/s, one per request, c={C}"), single, "/s", limit.clone(), healthz, "report");
    report.add("publish", format!("events/s, batches of 100, c={C}"), batches * 100.0, "/s", limit, healthz, "report");
    Ok(())
}

/// Keep `applied` at the profile service's applied + stale events.
fn poll_applied(http: reqwest::Client, stats_url: String, applied: Arc<AtomicU64>) -> tokio::task::JoinHandle<()> {
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
}

pub(crate) async fn sync(report: &mut Report, p: &Platd, seconds: u64) -> anyhow::Result<()> {
    publish(report, p, seconds).await?;
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
        rules: None,
        batch: None,
        // The scenarios count their own events only.
        backfill: Some(false),
    };
    p.admin.create_target(&target("null", &url)).await?;
    let n = 20_000;
    let (null_rate, plain_import) =
        drain_and_import_rates(p, "null", "sync-null", n, || count.load(Ordering::Relaxed)).await?;
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

    // The same drain to a target with every kind of rule (docs/sync.md,
    // "Rules"): the fan-out judges each event, the dispatcher projects each body.
    let (ruled_url, ruled_count) = null_sink().await?;
    let mut ruled = target("ruled", &ruled_url);
    ruled.rules = Some(TargetRules {
        tenants: Selection { include: vec!["sync-ruled".into()], exclude: vec![] },
        filter: Some(r#"data.status == "active" && ends_with(data.email, "@bench.test")"#.into()),
        fields: Selection { include: vec![], exclude: vec!["email".into(), "profile".into()] },
    });
    p.admin.create_target(&ruled).await?;
    let (ruled_rate, ruled_import) =
        drain_and_import_rates(p, "ruled", "sync-ruled", n, || ruled_count.load(Ordering::Relaxed)).await?;
    report.add(
        "sync",
        format!("deliveries/s with rules (tenant, filter, projection; {n} events)"),
        ruled_rate,
        "/s",
        "without rules, same run".into(),
        null_rate,
        ">= 0.80",
    );
    report.add(
        "sync",
        "  users imported/s, a target with rules subscribed".into(),
        ruled_import,
        "/s",
        "without".into(),
        plain_import,
        ">= 0.80",
    );

    // Batches (docs/sync.md, "Batches"): an import of 100,000 users to a
    // target taking 500 events per request, against the unbatched drain.
    let (batched_url, batched_count) = null_sink().await?;
    let mut batched = target("batched", &batched_url);
    batched.batch = Some(TargetBatch { max_events: BATCH, max_bytes: 1 << 20 });
    batched.concurrency = Some(8);
    p.admin.create_target(&batched).await?;
    let big = 100_000;
    let batched_rate = drain_rate(p, "batched", "sync-batched", big, || batched_count.load(Ordering::Relaxed)).await?;
    let requests = p.admin.get_raw("/metrics").await.map(|(_, body)| {
        String::from_utf8_lossy(&body)
            .lines()
            .find(|l| l.starts_with("plat_sync_requests_total{") && l.contains("target=\"batched\""))
            .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    })?;
    report.add(
        "sync",
        format!("deliveries/s batched ({big} imported users, {BATCH} per request, c=8)"),
        batched_rate,
        "/s",
        "unbatched, same run".into(),
        null_rate,
        ">= 2.0",
    );
    report.add("sync", "  requests for those events".into(), requests, "", "events".into(), big as f64, "<= 0.01");

    // The profile service: a real receiver that verifies and stores each event.
    match sibling_binary("profile-service", None) {
        Ok(binary) => {
            let (service_url, mut child) = start_profile_service(&binary).await?;
            let stats_url = format!("{service_url}/stats");
            let http = http.clone();
            p.admin.create_target(&target("profiles", &format!("{service_url}/hooks/plat"))).await?;
            let applied = Arc::new(AtomicU64::new(0));
            let poller = poll_applied(http.clone(), stats_url.clone(), applied.clone());
            let n = 10_000;
            let profile_rate =
                drain_rate(p, "profiles", "sync-profiles", n, || applied.load(Ordering::Relaxed)).await?;
            poller.abort();
            report.add(
                "sync",
                format!("deliveries/s to profile-service ({n} events)"),
                profile_rate,
                "/s",
                format!("plain keep-alive client c={SYNC_CONCURRENCY}"),
                plain,
                "(the service stores each in SQLite)",
            );
            // The same service taking batches: one transaction per request.
            let mut batched = target("profiles-batched", &format!("{service_url}/hooks/plat"));
            batched.batch = Some(TargetBatch { max_events: BATCH, max_bytes: 1 << 20 });
            batched.concurrency = Some(4);
            p.admin.create_target(&batched).await?;
            let poller = poll_applied(http.clone(), stats_url.clone(), applied.clone());
            let n = 50_000;
            let batched_profile_rate =
                drain_rate(p, "profiles-batched", "sync-profiles-b", n, || applied.load(Ordering::Relaxed)).await?;
            poller.abort();
            report.add(
                "sync",
                format!("deliveries/s to profile-service batched ({n} events, {BATCH} per request)"),
                batched_profile_rate,
                "/s",
                "unbatched, same run".into(),
                profile_rate,
                ">= 2.0",
            );
            let _ = child.kill();
        }
        Err(e) => eprintln!("profile-service not measured: {e}"),
    }
    Ok(())
}
