//! `quotas`: quota checks/s and reserve+commit pairs/s (docs/quotas.md),
//! all on one resource (the worst case: every change locks its row),
//! against `/healthz` at the same concurrency.

use super::*;

pub(crate) async fn quotas(report: &mut Report, p: &Platd, seconds: u64) -> anyhow::Result<()> {
    p.admin.create_tenant(&CreateTenant { slug: "bench-quotas".into(), name: None, quotas: None }).await?;
    let acme = p.admin.clone().with_tenant("bench-quotas");
    let limit = SetQuota { limit: Some(1 << 50), ..Default::default() };
    p.admin.set_quota("bench-quotas", "storage_bytes", &limit).await?;
    const C: usize = 8;
    let healthz = healthz_rate(p, C, seconds).await;
    let a = acme.clone();
    let checks = rate(C, seconds, move || {
        let a = a.clone();
        async move { a.check_quota("bench-quotas", "storage_bytes", 4096).await.is_ok_and(|d| d.allowed) }
    })
    .await;
    let pair = |a: plat_client::Client| async move {
        let held = a.reserve_quota("bench-quotas", "storage_bytes", &ReserveQuota { amount: 4096, ttl: None }).await;
        let Ok(held) = held else { return false };
        let commit = SettleQuota { reservation: Some(held.id), amount: None };
        a.commit_quota("bench-quotas", "storage_bytes", &commit).await.is_ok()
    };
    let a = acme.clone();
    let pairs = rate(C, seconds, move || pair(a.clone())).await;
    // One client: what a pair costs when nothing waits for the writer.
    let alone = healthz_rate(p, 1, seconds).await;
    let a = acme.clone();
    let single = rate(1, seconds, move || pair(a.clone())).await;
    let quota = acme.get_quota("bench-quotas", "storage_bytes").await?;
    anyhow::ensure!(quota.reserved == 0, "every reservation was committed: {quota:?}");
    let limit = format!("/healthz c={C}");
    report.add("quotas", format!("checks/s, one resource, c={C}"), checks, "/s", limit.clone(), healthz, ">= 0.50");
    report.add(
        "quotas",
        format!("reserve+commit pairs/s, one resource, c={C}"),
        pairs,
        "/s",
        limit,
        healthz,
        ">= 0.20",
    );
    report.add(
        "quotas",
        "reserve+commit pairs/s, c=1".into(),
        single,
        "/s",
        "/healthz c=1".into(),
        alone,
        "informational",
    );
    Ok(())
}
