//! `authz`: permission checks with a context (docs/permissions.md), one per
//! call and 100 per call, against `/healthz` at the same concurrency.

use super::*;

pub(crate) async fn authz(report: &mut Report, p: &Platd, seconds: u64) -> anyhow::Result<()> {
    p.admin.create_tenant(&CreateTenant { slug: "bench-authz".into(), name: None, quotas: None }).await?;
    let acme = p.admin.clone().with_tenant("bench-authz");
    acme.create_role(&CreateRole {
        name: "uploader".into(),
        description: None,
        permissions: vec!["files:read".into()],
        conditions: vec![ConditionalPermission {
            permission: "files:upload".into(),
            when: "context.file_size <= 10485760 || starts_with(context.folder, principal.id)".into(),
        }],
    })
    .await?;
    acme.create_user(&CreateUser {
        username: "carol".into(),
        email: "carol@bench.test".into(),
        roles: Some(vec!["uploader".into()]),
        ..CreateUser::default()
    })
    .await?;
    // Half the checks pass on the size, half fail on both clauses.
    let check = |i: u64| AuthzCheck {
        user: Some("carol".into()),
        resource: Some("files".into()),
        action: Some("upload".into()),
        context: Some(
            serde_json::json!({"file_size": if i.is_multiple_of(2) { 1024 } else { 1 << 30 }, "folder": "shared"}),
        ),
        ..AuthzCheck::default()
    };
    const C: usize = 8;
    let healthz = healthz_rate(p, C, seconds).await;
    let next = Arc::new(AtomicU64::new(0));
    let (a, n) = (acme.clone(), next.clone());
    let single = rate(C, seconds, move || {
        let (a, i) = (a.clone(), n.fetch_add(1, Ordering::Relaxed));
        async move { a.authz_check(&check(i)).await.is_ok_and(|d| d.allowed == (i.is_multiple_of(2))) }
    })
    .await;
    let (a, n) = (acme.clone(), next.clone());
    let batches = rate(C, seconds, move || {
        let a = a.clone();
        let batch = AuthzBatch { checks: (0..100).map(|_| check(n.fetch_add(1, Ordering::Relaxed))).collect() };
        async move { a.authz_check_batch(&batch).await.is_ok_and(|r| r.results.len() == 100) }
    })
    .await;
    let limit = format!("/healthz c={C}");
    report.add(
        "authz",
        format!("checks/s with context, one per call, c={C}"),
        single,
        "/s",
        limit.clone(),
        healthz,
        "report",
    );
    report.add(
        "authz",
        format!("checks/s with context, 100 per call, c={C}"),
        batches * 100.0,
        "/s",
        limit,
        healthz,
        "report",
    );
    Ok(())
}
