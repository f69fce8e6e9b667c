//! `users` and `rss`: creation one by one and by import, GET latency at a fixed rate; resident memory.

use super::*;

pub(crate) async fn users(report: &mut Report, p: &Platd, seconds: u64) -> anyhow::Result<()> {
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
    get_user_latency(report, "users", &client, &["u123".to_owned()], seconds).await;
    Ok(())
}

/// GET-user latency under an open-loop 1000 req/s, cycling through
/// `usernames` (spread over the table, so the cache does not answer).
pub(crate) async fn get_user_latency(
    report: &mut Report,
    section: &'static str,
    client: &Client,
    usernames: &[String],
    seconds: u64,
) {
    let usernames = Arc::new(usernames.to_vec());
    let mut latencies = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let started = Instant::now();
    let mut sent = 0u64;
    while started.elapsed() < Duration::from_secs(seconds) {
        tick.tick().await;
        let (c, names, tx) = (client.clone(), usernames.clone(), tx.clone());
        let i = (sent as usize).wrapping_mul(7919) % names.len().max(1);
        sent += 1;
        tokio::spawn(async move {
            let s = Instant::now();
            let ok = c.get_user(&names[i]).await.is_ok();
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
        section,
        format!("GET user p50 at {achieved:.0} req/s ({failed} failed)"),
        pct(0.50),
        "ms",
        "goal 5 ms".into(),
        5.0,
        "informational",
    );
    report.add(
        section,
        format!("GET user p99 at {achieved:.0} req/s"),
        pct(0.99),
        "ms",
        "goal 5 ms".into(),
        5.0,
        "<= 1.0",
    );
}

pub(crate) async fn rss(report: &mut Report, p: &Platd) -> anyhow::Result<()> {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = rss_mb(p.child.id());
    report.add("rss", "platd RSS idle after start".into(), idle, "MB", "goal 40 MB".into(), 40.0, "<= 1.0");
    p.admin.create_tenant(&CreateTenant { slug: "rss".into(), name: None, quotas: None }).await?;
    for batch in 0..10 {
        import(p, "rss", batch * 10_000, 10_000).await?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let loaded = rss_mb(p.child.id());
    report.add("rss", "platd RSS after 100k users".into(), loaded, "MB", "goal 60 MB".into(), 60.0, "<= 1.0");
    Ok(())
}
