//! `check`: consistency checks of 100k and 1M users against the profile service.

use super::*;

/// plat's own side alone: stream `(id, version)` of live users from its
/// database and compute the read-back digest, as a check does.
pub(crate) async fn read_and_hash(database_url: &str, buckets: u32) -> anyhow::Result<Duration> {
    use futures_util::TryStreamExt;
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(database_url).await?;
    let started = Instant::now();
    let mut digest = plat_domain::readback::Digest::new(buckets);
    let mut rows = sqlx::query("SELECT id, version FROM users WHERE status <> 'deleted'").fetch(&mut conn);
    while let Some(row) = rows.try_next().await? {
        let id: String = row.try_get(0)?;
        let version: i64 = row.try_get(1)?;
        digest.add(&id, version as u64);
    }
    Ok(started.elapsed())
}

/// Copy plat's `(id, version)` pairs into a fresh profile-service database
/// (as if every event had been delivered), in one transaction.
pub(crate) async fn seed_profiles(database_url: &str, file: &Path) -> anyhow::Result<Vec<String>> {
    use futures_util::TryStreamExt;
    use sqlx::{Connection, Row};
    sqlx::any::install_default_drivers();
    let mut plat = <sqlx::AnyConnection as Connection>::connect(database_url).await?;
    let mut pairs: Vec<(String, i64)> = Vec::new();
    let mut rows = sqlx::query("SELECT id, version FROM users WHERE status <> 'deleted'").fetch(&mut plat);
    while let Some(row) = rows.try_next().await? {
        pairs.push((row.try_get(0)?, row.try_get(1)?));
    }
    drop(rows);
    // The service's own code creates its schema.
    profile_service::store::Store::open(file).await?.close().await;
    let url = format!("sqlite://{}", file.display());
    let mut copy = sqlx::SqliteConnection::connect(&url).await?;
    let mut tx = copy.begin().await?;
    for chunk in pairs.chunks(400) {
        let mut sql = String::from("INSERT INTO users (id, version) VALUES ");
        sql.push_str(&vec!["(?, ?)"; chunk.len()].join(", "));
        let mut query = sqlx::query(&sql);
        for (id, version) in chunk {
            query = query.bind(id).bind(version);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(pairs.into_iter().map(|(id, _)| id).collect())
}

/// Drift `fraction` of the copy: a third deleted, a third at another
/// version, a third of orphans added. Returns the number of records drifted.
pub(crate) async fn drift(file: &Path, ids: &[String], fraction: f64, seed: usize) -> anyhow::Result<usize> {
    use sqlx::Connection;
    let url = format!("sqlite://{}", file.display());
    let mut copy = sqlx::SqliteConnection::connect(&url).await?;
    let n = ((ids.len() as f64 * fraction) as usize).max(3);
    let step = ids.len() / n;
    let mut tx = copy.begin().await?;
    for k in 0..n {
        let id = &ids[(k * step + seed) % ids.len()];
        match k % 3 {
            0 => sqlx::query("DELETE FROM users WHERE id = ?").bind(id).execute(&mut *tx).await?,
            1 => sqlx::query("UPDATE users SET version = version + 7 WHERE id = ?").bind(id).execute(&mut *tx).await?,
            _ => {
                sqlx::query("INSERT INTO users (id, version) VALUES (?, 1)")
                    .bind(format!("ffffffff-orphan-{seed}-{k}"))
                    .execute(&mut *tx)
                    .await?
            }
        };
    }
    tx.commit().await?;
    Ok(n)
}

/// Run one check to its end; wall time, the finished check, platd's peak RSS.
pub(crate) async fn timed_check(p: &Platd, mode: CheckMode) -> anyhow::Result<(Duration, Check, f64)> {
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample_peak_rss(p.child.id(), stop.clone());
    let started = Instant::now();
    let created =
        p.admin.create_check(&CreateCheck { target: Some("profiles".into()), mode, ..CreateCheck::default() }).await?;
    let check = loop {
        let check = p.admin.get_check(&created.id, 0).await?;
        if check.status != CheckStatus::Running {
            break check;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let peak = sampler.await?;
    if check.status != CheckStatus::Succeeded {
        bail!("check failed: {:?}", check.error);
    }
    Ok((took, check, peak))
}

pub(crate) async fn check(report: &mut Report, p: &Platd, size: usize) -> anyhow::Result<()> {
    let label = if size >= 1_000_000 { format!("{}M", size / 1_000_000) } else { format!("{}k", size / 1000) };
    p.admin.create_tenant(&CreateTenant { slug: "chk".into(), name: None, quotas: None }).await?;
    let started = Instant::now();
    for from in (0..size).step_by(20_000) {
        import(p, "chk", from, 20_000.min(size - from)).await?;
    }
    let imported = size as f64 / started.elapsed().as_secs_f64();
    report.add(
        "check",
        format!("{label} users imported, pre-hashed, 20k per request"),
        imported,
        "/s",
        "goal 10,000/s".into(),
        10_000.0,
        ">= 1.0",
    );
    let client = p.admin.clone().with_tenant("chk");
    let spread: Vec<String> = (0..size).step_by((size / 10_000).max(1)).map(|i| format!("u{i}")).collect();
    get_user_latency(report, "check", &client, &spread, 3).await;
    report.add(
        "check",
        format!("{label} users: database size"),
        database_mb(&p.database_url).await?,
        "MB",
        "-".into(),
        0.0,
        "informational",
    );
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("profiles.db");
    let ids = seed_profiles(&p.database_url, &file).await?;
    let binary = sibling_binary("profile-service", None)?;
    let (service_url, mut service) = start_profile_service_on(&binary, &file).await?;
    p.admin
        .create_target(&CreateTarget {
            name: "profiles".into(),
            kind: TargetKind::Http,
            url: format!("{service_url}/hooks/plat"),
            events: vec!["user.*".into()],
            secret: Some(SYNC_SECRET.into()),
            timeout: None,
            max_attempts: None,
            concurrency: None,
            options: serde_json::Map::new(),
            read_back: Some(ReadBack { supported: true, base_url: None }),
            rules: None,
            batch: None,
            // The copy is seeded above; the check, not a backfill, measures it.
            backfill: Some(false),
        })
        .await?;
    // The limit: plat reading and hashing its own records (best of three).
    let mut limit = f64::MAX;
    for _ in 0..3 {
        limit = limit.min(read_and_hash(&p.database_url, 16_384).await?.as_secs_f64());
    }
    let goal_clean = if size >= 1_000_000 { 15.0 } else { 2.0 };
    let mut clean_digest = 0.0;
    for (drifted, fraction) in [("clean", 0.0), ("0.1% drift", 0.001), ("10% drift", 0.1)] {
        let injected = if fraction > 0.0 { drift(&file, &ids, fraction, (fraction * 1e4) as usize).await? } else { 0 };
        for mode in [CheckMode::Auto, CheckMode::Paging] {
            let (took, check, peak) = timed_check(p, mode).await?;
            let t = &check.targets[0];
            let found = t.counts.missing + t.counts.orphan + t.counts.stale;
            let used = t.mode.map(|m| m.as_str()).unwrap_or("?");
            let secs = took.as_secs_f64();
            let name = format!("{label} {drifted}, {} ({used})", mode.as_str());
            let goal = match (fraction > 0.0, mode) {
                (false, CheckMode::Auto) => {
                    clean_digest = secs;
                    format!("<= {goal_clean} s")
                }
                (true, CheckMode::Auto) if fraction < 0.01 => format!("<= 2x clean ({:.1} s)", 2.0 * clean_digest),
                _ => "informational".into(),
            };
            report.add(
                "check",
                format!("{name}: seconds"),
                secs,
                "s",
                "plat read+hash own records".into(),
                limit,
                &goal,
            );
            report.add(
                "check",
                "  bytes from the target".into(),
                t.bytes as f64 / 1024.0,
                "KiB",
                "-".into(),
                0.0,
                "O(buckets) when clean",
            );
            report.add("check", "  platd peak RSS".into(), peak, "MB", "-".into(), 0.0, "flat in users");
            if found < injected as u64 * 9 / 10 || (fraction == 0.0 && found > 0) {
                eprintln!("warning: {name} found {found} differences, {injected} were injected");
            }
        }
    }
    let _ = service.kill();
    Ok(())
}

/// The database's size on disk: PostgreSQL's `pg_database_size`, or the
/// SQLite file with its WAL.
async fn database_mb(database_url: &str) -> anyhow::Result<f64> {
    if database_url.starts_with("postgres") {
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(database_url).await?;
        let bytes: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())").fetch_one(&mut conn).await?;
        return Ok(bytes as f64 / 1e6);
    }
    let path = database_url.trim_start_matches("sqlite://").split('?').next().unwrap_or_default().to_owned();
    let size = |p: &str| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    Ok((size(&path) + size(&format!("{path}-wal"))) as f64 / 1e6)
}
