//! `orgs`: a tree of 10,000 organizations with 100,000 memberships
//! (docs/organizations.md), built through the API; then the latency of
//! member listings (recursive from the root, a department and a team; one
//! team's own members) against the 20 ms p99 goal, and the build rates.
//! On PostgreSQL the tables are analysed between the steps, as autovacuum
//! would (without statistics, adding members ran at 59/s, with them 498/s).

use super::*;

const DEPARTMENTS: usize = 20;
const TEAMS: usize = 20;
const SQUADS: usize = 24;
const USERS: usize = 50_000;
const MEMBERSHIPS_PER_USER: usize = 2;

fn squad(i: usize) -> String {
    let (d, rest) = (i / (TEAMS * SQUADS), i % (TEAMS * SQUADS));
    format!("corp/d{d}/t{}/s{}", rest / SQUADS, rest % SQUADS)
}

pub(crate) async fn orgs(report: &mut Report, p: &Platd) -> anyhow::Result<()> {
    p.admin.create_tenant(&CreateTenant { slug: "bench-orgs".into(), name: None, quotas: None }).await?;
    let acme = p.admin.clone().with_tenant("bench-orgs");
    import(p, "bench-orgs", 0, USERS).await?;
    let create = |name: String, parent: Option<String>| CreateOrganization { name, parent, ..Default::default() };
    acme.create_org(&create("corp".into(), None)).await?;
    for d in 0..DEPARTMENTS {
        acme.create_org(&create(format!("d{d}"), Some("corp".into()))).await?;
    }
    let a = acme.clone();
    let (_, failed) = fixed(DEPARTMENTS * TEAMS, 8, move |i| {
        let a = a.clone();
        let req = create(format!("t{}", i % TEAMS), Some(format!("corp/d{}", i / TEAMS)));
        async move { a.create_org(&req).await.is_ok() }
    })
    .await;
    anyhow::ensure!(failed == 0, "{failed} teams not created");
    analyze(p);
    let squads = DEPARTMENTS * TEAMS * SQUADS;
    let a = acme.clone();
    let (orgs_rate, failed) = fixed(squads, 8, move |i| {
        let a = a.clone();
        let path = squad(i);
        let (parent, name) = path.rsplit_once('/').map(|(p, n)| (p.to_owned(), n.to_owned())).unwrap_or_default();
        async move { a.create_org(&create(name, Some(parent))).await.is_ok() }
    })
    .await;
    anyhow::ensure!(failed == 0, "{failed} squads not created");
    analyze(p);
    let total_orgs = 1 + DEPARTMENTS + DEPARTMENTS * TEAMS + squads;
    // Each user joins two squads, spread over the whole tree.
    let a = acme.clone();
    let (members_rate, failed) = fixed(USERS * MEMBERSHIPS_PER_USER, 8, move |i| {
        let a = a.clone();
        let user = format!("u{}", i % USERS);
        let org = squad((i * 7919 + i / USERS * 4099) % squads);
        async move { a.add_org_member(&org, &user).await.is_ok() }
    })
    .await;
    anyhow::ensure!(failed == 0, "{failed} memberships not added");
    analyze(p);
    report.add(
        "orgs",
        format!("organizations created/s ({total_orgs} in the tree)"),
        orgs_rate,
        "/s",
        "report".into(),
        1.0,
        "report",
    );
    report.add(
        "orgs",
        format!("members added/s ({} memberships)", USERS * MEMBERSHIPS_PER_USER),
        members_rate,
        "/s",
        "report".into(),
        1.0,
        "report",
    );

    for (what, org, recursive) in [
        ("recursive, the root (every user)", "corp".to_owned(), true),
        ("recursive, a department", "corp/d7".to_owned(), true),
        ("recursive, a team", "corp/d7/t3".to_owned(), true),
        ("direct, a squad", squad(4321), false),
    ] {
        let mut latencies = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..300 {
            let started = Instant::now();
            let page = acme.org_members(&org, recursive, cursor.as_deref(), 100).await?;
            latencies.push(ms(started.elapsed()));
            anyhow::ensure!(!page.items.is_empty(), "{org}: no members");
            // Page on, and start again at the end.
            cursor = page.next_cursor;
        }
        latencies.sort_by(f64::total_cmp);
        report.add(
            "orgs",
            format!("member page of 100, {what}, p50"),
            quantile(&latencies, 0.50),
            "ms",
            "goal 20 ms".into(),
            20.0,
            "informational",
        );
        report.add(
            "orgs",
            format!("member page of 100, {what}, p99"),
            quantile(&latencies, 0.99),
            "ms",
            "goal 20 ms".into(),
            20.0,
            "<= 1.0",
        );
    }
    let started = Instant::now();
    let tree = acme.org_tree("corp/d7").await?;
    report.add(
        "orgs",
        format!("subtree of a department ({} organizations)", tree.items.len()),
        ms(started.elapsed()),
        "ms",
        "goal 20 ms".into(),
        20.0,
        "informational",
    );
    Ok(())
}
