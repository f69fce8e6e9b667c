//! `registry`: registrations, heartbeats, a probe round, discovery answers and watcher wake-ups.

use super::*;

/// Concurrency of the registry scenario's throughput figures.
pub(crate) const REGISTRY_CONCURRENCY: usize = 64;

/// Instances of the probe round (the prober's default concurrency is 256).
pub(crate) const PROBE_INSTANCES: usize = 1000;

pub(crate) const PROBE_CONCURRENCY: usize = 256;

pub(crate) const WATCHERS: usize = 1000;

/// Nacos 2.x's published registration rate on 3 servers of 8 cores.
pub(crate) const NACOS_REGISTRATIONS: f64 = 26_800.0;

/// The registry endpoints over plain reqwest, with the admin's token.
#[derive(Clone)]
pub(crate) struct RegistryApi {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    pub(crate) token: String,
}

impl RegistryApi {
    pub(crate) fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}/api/v1{path}", self.base)).bearer_auth(&self.token)
    }

    pub(crate) async fn ok(builder: reqwest::RequestBuilder) -> bool {
        builder.send().await.is_ok_and(|r| r.status().is_success())
    }

    pub(crate) async fn put(&self, name: &str, body: &serde_json::Value) -> anyhow::Result<()> {
        let r = self.request(reqwest::Method::PUT, &format!("/services/bench/{name}")).json(body).send().await?;
        if !r.status().is_success() {
            bail!("PUT /services/bench/{name}: {} {}", r.status(), r.text().await.unwrap_or_default());
        }
        Ok(())
    }

    pub(crate) async fn delete(&self, name: &str) -> anyhow::Result<()> {
        let r = self.request(reqwest::Method::DELETE, &format!("/services/bench/{name}")).send().await?;
        if !r.status().is_success() {
            bail!("DELETE /services/bench/{name}: {}", r.status());
        }
        Ok(())
    }

    /// `GET /healthz`, `count` times from `concurrency` tasks: round trips per second.
    pub(crate) async fn healthz(&self, count: usize, concurrency: usize) -> f64 {
        let (http, url) = (self.http.clone(), format!("{}/healthz", self.base));
        fixed(count, concurrency, move |_| {
            let (http, url) = (http.clone(), url.clone());
            async move { http.get(&url).send().await.is_ok_and(|r| r.status().is_success()) }
        })
        .await
        .0
    }
}

pub(crate) const ROUNDS: usize = 3;

/// Health checks answered by the bench's instances, counted per instance;
/// round k is every instance's (k+1)-th hit, timed from its first to its last.
pub(crate) struct Hits {
    pub(crate) base: Instant,
    pub(crate) per: Vec<AtomicU32>,
    pub(crate) reached: [AtomicUsize; ROUNDS],
    pub(crate) first: [AtomicU64; ROUNDS],
    pub(crate) last: [AtomicU64; ROUNDS],
}

impl Hits {
    pub(crate) fn new(n: usize) -> Hits {
        Hits {
            base: Instant::now(),
            per: (0..n).map(|_| AtomicU32::new(0)).collect(),
            reached: std::array::from_fn(|_| AtomicUsize::new(0)),
            first: std::array::from_fn(|_| AtomicU64::new(u64::MAX)),
            last: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    pub(crate) fn reset(&self) {
        for n in &self.per {
            n.store(0, Ordering::SeqCst);
        }
        for k in 0..ROUNDS {
            self.reached[k].store(0, Ordering::SeqCst);
            self.first[k].store(u64::MAX, Ordering::SeqCst);
            self.last[k].store(0, Ordering::SeqCst);
        }
    }

    pub(crate) fn hit(&self, i: usize) {
        let k = self.per[i].fetch_add(1, Ordering::SeqCst) as usize;
        if k < ROUNDS {
            let t = self.base.elapsed().as_nanos() as u64;
            self.first[k].fetch_min(t, Ordering::SeqCst);
            self.last[k].fetch_max(t, Ordering::SeqCst);
            self.reached[k].fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Wait until round `k` is complete: its span, first hit to last.
    pub(crate) async fn round(&self, k: usize, timeout: Duration) -> anyhow::Result<Duration> {
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
pub(crate) async fn instance_servers(n: usize, hits: Arc<Hits>) -> anyhow::Result<Vec<String>> {
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
pub(crate) async fn ok_server() -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let app = axum::Router::new().fallback(|| async { "ok" });
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

/// The limit of a probe round: a plain reqwest client (configured as the
/// prober's) probing `urls` with `concurrency` spawned probes in flight.
pub(crate) async fn plain_probes(client: &reqwest::Client, urls: &[String], concurrency: usize) -> usize {
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

pub(crate) async fn registry(report: &mut Report, p: &Platd) -> anyhow::Result<()> {
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
    report.add(S, "  against the 5,000/s goal".into(), registrations, "/s", "goal".into(), 5000.0, ">= 1.0");

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
        "informational (stored before answered)",
    );
    report.add(S, "  against the 3,000/s goal".into(), first_beats, "/s", "goal".into(), 3000.0, ">= 1.0");
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
        ">= 0.30",
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
