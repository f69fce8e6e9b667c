//! `authz`: permission checks with a context (docs/permissions.md), one per
//! call and 100 per call, against `/healthz` at the same concurrency; then
//! what a role on an organization costs (docs/organizations.md): checks at
//! an organization two levels below the grant, and the same reads and
//! writes made by an organization admin (through the organization) and by a
//! tenant admin (tenant-wide, no extra read).

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
        ">= 0.50",
    );
    report.add(
        "authz",
        format!("checks/s with context, 100 per call, c={C}"),
        batches * 100.0,
        "/s",
        limit.clone(),
        healthz,
        "report",
    );
    org_scoped(report, p, &acme, seconds, (C, healthz, limit)).await
}

async fn org_scoped(
    report: &mut Report,
    p: &Platd,
    acme: &Client,
    seconds: u64,
    (c, healthz, limit): (usize, f64, String),
) -> anyhow::Result<()> {
    for (name, parent) in [("co", None), ("eng", Some("co")), ("team", Some("co/eng"))] {
        let req = CreateOrganization { name: name.into(), parent: parent.map(str::to_owned), ..Default::default() };
        acme.create_org(&req).await?;
    }
    for (username, roles, orgs) in [
        ("lead", "member", vec![]),
        ("boss", "tenant-admin", vec![]),
        ("dev", "member", vec!["co/eng/team".to_owned()]),
    ] {
        acme.create_user(&CreateUser {
            username: username.into(),
            email: format!("{username}@bench.test"),
            password: Some("bench-password-1".into()),
            roles: Some(vec![roles.into()]),
            orgs: Some(orgs),
            ..CreateUser::default()
        })
        .await?;
    }
    acme.grant_org_role("co/eng", "lead", "org-admin").await?;
    let login = async |username: &str| -> anyhow::Result<Client> {
        let client = Client::new(&p.base)?;
        let pair = client.login("bench-authz", username, "bench-password-1").await?;
        Ok(client.with_token(pair.access_token))
    };
    let (lead, boss) = (login("lead").await?, login("boss").await?);
    let at_team =
        AuthzCheck { permission: "users:update".into(), org: Some("co/eng/team".into()), ..AuthzCheck::default() };
    let l = lead.clone();
    let checks = rate(c, seconds, move || {
        let (l, req) = (l.clone(), at_team.clone());
        async move { l.authz_check(&req).await.is_ok_and(|d| d.allowed) }
    })
    .await;
    report.add(
        "authz",
        format!("org-scoped checks/s (the caller, at a team below its grant), c={c}"),
        checks,
        "/s",
        limit,
        healthz,
        ">= 0.40",
    );
    // The same calls as the organization admin and as the tenant admin.
    let mut pair = |what: &str, org_admin: f64, tenant_admin: f64| {
        report.add(
            "authz",
            format!("{what} as an organization admin, c={c}"),
            org_admin,
            "/s",
            format!("the same as a tenant admin c={c}"),
            tenant_admin,
            "report",
        );
    };
    let mut reads = Vec::new();
    let mut writes = Vec::new();
    for client in [&lead, &boss] {
        let cl = client.clone();
        reads.push(
            rate(c, seconds, move || {
                let cl = cl.clone();
                async move { cl.get_org("co/eng/team").await.is_ok() }
            })
            .await,
        );
        let cl = client.clone();
        writes.push(
            rate(c, seconds, move || {
                let cl = cl.clone();
                async move { cl.unlock_user("dev").await.is_ok() }
            })
            .await,
        );
    }
    pair("GET /orgs/{org} (a team below the grant)/s", reads[0], reads[1]);
    pair("POST /users/{user}/unlock (a member of that team)/s", writes[0], writes[1]);
    Ok(())
}
