//! Organizations (docs/organizations.md): the tree, its moves and deletes,
//! memberships and the reads services need.

use plat_client::Client;
use plat_proto::*;

use crate::api::{code, new_user, tenant};
use crate::both;

async fn org(client: &Client, name: &str, parent: Option<&str>, kind: &str) -> Organization {
    let req = CreateOrganization {
        name: name.into(),
        parent: parent.map(str::to_owned),
        kind: Some(kind.into()),
        ..Default::default()
    };
    client.create_org(&req).await.unwrap_or_else(|e| panic!("create {name}: {e}"))
}

fn paths(list: &OrganizationList) -> Vec<&str> {
    list.items.iter().map(|o| o.path.as_str()).collect()
}

async fn members(client: &Client, org: &str, recursive: bool, page: u64) -> Vec<String> {
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let got = client.org_members(org, recursive, cursor.as_deref(), page).await.expect("members");
        assert!(got.items.len() as u64 <= page);
        names.extend(got.items.into_iter().map(|m| m.username));
        match got.next_cursor {
            Some(next) => cursor = Some(next),
            None => return names,
        }
    }
}

both!(a_tree_is_built_moved_renamed_and_deleted_atomically, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    let root = org(&acme, "acme", None, "company").await;
    assert_eq!((root.path.as_str(), root.depth, root.parent.as_deref()), ("acme", 1, None));
    assert!(root.id.starts_with("org_"), "{root:?}");
    let engineering = org(&acme, "engineering", Some("acme"), "department").await;
    org(&acme, "platform", Some("acme/engineering"), "team").await;
    org(&acme, "mobile", Some(&engineering.id), "team").await;
    org(&acme, "sales", Some("acme"), "department").await;
    org(&acme, "labs", None, "company").await;

    let all = acme.list_orgs(None).await.expect("list");
    assert_eq!(
        paths(&all),
        ["acme", "acme/engineering", "acme/engineering/mobile", "acme/engineering/platform", "acme/sales", "labs"]
    );
    let children = acme.list_orgs(Some("acme")).await.expect("children");
    assert_eq!(paths(&children), ["acme/engineering", "acme/sales"]);
    let tree = acme.org_tree("acme/engineering").await.expect("tree");
    assert_eq!(paths(&tree), ["acme/engineering", "acme/engineering/mobile", "acme/engineering/platform"]);

    // Names are unique among siblings only.
    assert_eq!(
        code(
            acme.create_org(&CreateOrganization {
                name: "sales".into(),
                parent: Some("acme".into()),
                ..Default::default()
            })
            .await
        ),
        ErrorCode::Conflict
    );
    org(&acme, "sales", Some("labs"), "team").await;

    // A move takes the subtree along; a cycle or an unknown parent is refused.
    let moved = acme.move_org("acme/engineering", Some("labs")).await.expect("move");
    assert_eq!((moved.path.as_str(), moved.depth, moved.id.as_str()), ("labs/engineering", 2, engineering.id.as_str()));
    let platform = acme.get_org("labs/engineering/platform").await.expect("moved child");
    assert_eq!(platform.depth, 3);
    assert_eq!(code(acme.get_org("acme/engineering/platform").await), ErrorCode::NotFound);
    assert_eq!(code(acme.move_org("labs", Some("labs/engineering/mobile")).await), ErrorCode::ValidationError);
    assert_eq!(code(acme.move_org("labs", Some("labs")).await), ErrorCode::ValidationError);
    assert_eq!(code(acme.move_org("labs/engineering", Some("nowhere")).await), ErrorCode::NotFound);
    // Back to a root and under acme again.
    assert_eq!(acme.move_org("labs/engineering", None).await.expect("to root").path, "engineering");
    assert_eq!(acme.move_org("engineering", Some("acme")).await.expect("home").path, "acme/engineering");

    // Depth is bounded: ten levels, and no move past them.
    let mut parent = "acme/engineering/platform".to_owned();
    for level in 4..=10 {
        org(&acme, &format!("l{level}"), Some(&parent), "team").await;
        parent = format!("{parent}/l{level}");
    }
    let too_deep = CreateOrganization { name: "l11".into(), parent: Some(parent.clone()), ..Default::default() };
    assert_eq!(code(acme.create_org(&too_deep).await), ErrorCode::ValidationError);
    assert_eq!(code(acme.move_org("acme", Some("labs")).await), ErrorCode::ValidationError);

    // A rename changes the paths below it and nothing else.
    let renamed = acme
        .update_org("acme/engineering", &UpdateOrganization { name: Some("eng".into()), ..Default::default() })
        .await
        .expect("rename");
    assert_eq!((renamed.path.as_str(), renamed.version), ("acme/eng", 5));
    assert_eq!(acme.get_org(&platform.id).await.expect("by id").path, "acme/eng/platform");

    // Deleting: refused with children or members, unless cascade.
    let ann = acme.create_user(&new_user("ann")).await.expect("ann");
    acme.add_org_member("acme/sales", "ann").await.expect("member");
    assert_eq!(code(acme.delete_org("acme/eng", false).await), ErrorCode::Conflict);
    assert_eq!(code(acme.delete_org("acme/sales", false).await), ErrorCode::Conflict);
    acme.remove_org_member("acme/sales", &ann.id).await.expect("remove");
    assert_eq!(acme.delete_org("acme/sales", false).await.expect("empty").count, 1);
    assert_eq!(acme.delete_org("acme/eng", true).await.expect("cascade").count, 10);
    assert_eq!(paths(&acme.list_orgs(None).await.expect("list")), ["acme", "labs", "labs/sales"]);

    // Every change is an event of the organization, in version order.
    let query = EventQuery {
        event_type: Some("organization.*".into()),
        aggregate_id: Some(engineering.id.clone()),
        ..Default::default()
    };
    let mut events: Vec<(String, u64)> = acme
        .list_events(&query)
        .await
        .expect("events")
        .items
        .into_iter()
        .map(|e| (e.event_type, e.aggregate.version))
        .collect();
    events.reverse();
    let expected = [
        ("organization.created", 1),
        ("organization.moved", 2),
        ("organization.moved", 3),
        ("organization.moved", 4),
        ("organization.updated", 5),
        ("organization.deleted", 6),
    ];
    let expected: Vec<(String, u64)> = expected.iter().map(|(t, v)| (t.to_string(), *v)).collect();
    assert_eq!(events, expected);
});

both!(members_are_listed_once_across_a_subtree_and_by_user, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    org(&acme, "acme", None, "company").await;
    org(&acme, "eng", Some("acme"), "department").await;
    org(&acme, "platform", Some("acme/eng"), "team").await;
    org(&acme, "sales", Some("acme"), "department").await;
    for name in ["ann", "bob", "cat", "dan", "eve"] {
        acme.create_user(&new_user(name)).await.expect("user");
    }
    for (o, users) in [
        ("acme", &["ann"][..]),
        ("acme/eng", &["bob", "cat"][..]),
        ("acme/eng/platform", &["cat", "dan"][..]),
        ("acme/sales", &["eve", "ann"][..]),
    ] {
        for user in users {
            acme.add_org_member(o, user).await.expect("add");
        }
    }
    // Adding twice changes nothing.
    let again = acme.add_org_member("acme/eng", "bob").await.expect("again");
    assert_eq!(again.members, 2);

    let mut direct = members(&acme, "acme/eng", false, 1).await;
    direct.sort();
    assert_eq!(direct, ["bob", "cat"]);
    for page in [1, 2, 50] {
        let mut all = members(&acme, "acme", true, page).await;
        all.sort();
        assert_eq!(all, ["ann", "bob", "cat", "dan", "eve"], "each user once, page size {page}");
    }
    let mut eng = members(&acme, "acme/eng", true, 1).await;
    eng.sort();
    assert_eq!(eng, ["bob", "cat", "dan"]);

    let ann = acme.user_orgs("ann").await.expect("ann's orgs");
    assert_eq!(paths(&ann), ["acme", "acme/sales"]);
    assert_eq!(code(acme.org_members("acme", true, Some("garbage!"), 10).await), ErrorCode::ValidationError);
    assert_eq!(code(acme.add_org_member("acme", "nobody").await), ErrorCode::UserNotFound);
    assert_eq!(code(acme.remove_org_member("acme", "bob").await), ErrorCode::NotFound);
    assert_eq!(code(acme.get_org("Not A Path").await), ErrorCode::ValidationError);

    // A hard-deleted user leaves every organization.
    acme.delete_user("cat", true).await.expect("hard delete");
    let mut left = members(&acme, "acme", true, 10).await;
    left.sort();
    assert_eq!(left, ["ann", "bob", "dan", "eve"]);

    // Another tenant sees none of it.
    let globex = tenant(&p.admin, "globex", None).await;
    assert_eq!(code(globex.get_org("acme").await), ErrorCode::NotFound);
    assert!(globex.list_orgs(None).await.expect("list").items.is_empty());
});

/// A client logged in as `username` of acme (password as `new_user` sets it).
async fn as_user(p: &crate::harness::Platd, username: &str) -> Client {
    let pair = p.client.login("acme", username, &format!("{username}-password")).await.expect("login");
    p.client.clone().with_token(pair.access_token)
}

fn with_roles(name: &str, roles: &[&str]) -> CreateUser {
    CreateUser { roles: Some(roles.iter().map(|r| r.to_string()).collect()), ..new_user(name) }
}

both!(an_org_admin_manages_its_subtree_and_nothing_else, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    org(&acme, "acme", None, "company").await;
    let eng = org(&acme, "eng", Some("acme"), "department").await;
    org(&acme, "backend", Some("acme/eng"), "team").await;
    org(&acme, "frontend", Some("acme/eng"), "team").await;
    org(&acme, "sales", Some("acme"), "department").await;
    for (name, roles, orgs) in [
        ("lead", &["member"][..], &[][..]),
        ("dev", &["member"][..], &["acme/eng/backend"][..]),
        ("bob", &["member"][..], &["acme/sales"][..]),
        ("boss", &["tenant-admin"][..], &["acme/eng/backend"][..]),
    ] {
        let req = CreateUser { orgs: Some(orgs.iter().map(|o| o.to_string()).collect()), ..with_roles(name, roles) };
        acme.create_user(&req).await.expect("user");
    }
    assert_eq!(paths(&acme.user_orgs("dev").await.expect("dev's orgs")), ["acme/eng/backend"], "joined as created");

    // Granting: the role holds on eng and below; twice is once; never platform-admin.
    let granted = acme.grant_org_role("acme/eng", "lead", "org-admin").await.expect("grant");
    assert_eq!((granted.org_id.as_str(), granted.organization.as_str()), (eng.id.as_str(), "acme/eng"));
    assert_eq!(acme.grant_org_role(&eng.id, "lead", "org-admin").await.expect("again"), granted);
    assert_eq!(code(acme.grant_org_role("acme/eng", "lead", "platform-admin").await), ErrorCode::ValidationError);
    assert_eq!(code(acme.grant_org_role("acme/eng", "lead", "no-such-role").await), ErrorCode::RoleNotFound);
    let reach = acme.org_roles("acme/eng/backend").await.expect("roles reaching backend");
    let seen: Vec<(&str, &str, &str)> =
        reach.items.iter().map(|r| (r.organization.as_str(), r.username.as_str(), r.role.as_str())).collect();
    assert_eq!(seen, [("acme/eng", "lead", "org-admin")]);
    assert!(acme.org_roles("acme/sales").await.expect("sales").items.is_empty());

    let lead = as_user(&p, "lead").await;
    let denied = |r: Result<User, plat_client::ClientError>| code(r) == ErrorCode::PermissionDenied;
    // Users of the subtree: managed. Users elsewhere, or holding more: not.
    let patch = UpdateUser {
        profile: Some(ProfilePatch { nickname: Some("D".into()), ..Default::default() }),
        ..Default::default()
    };
    lead.update_user("dev", &patch).await.expect("update a member below");
    lead.disable_user("dev").await.expect("disable a member below");
    lead.enable_user("dev").await.expect("enable");
    lead.set_password("dev", "dev-password").await.expect("reset a member's password");
    assert!(denied(lead.disable_user("bob").await), "outside the subtree");
    lead.get_user("bob").await.expect("reading the directory is the member role's");
    // A user's memberships, read through an organization: only those in reach.
    acme.add_org_member("acme/sales", "dev").await.expect("dev joins sales too");
    assert_eq!(paths(&lead.user_orgs("dev").await.expect("dev's orgs")), ["acme/eng/backend"], "not sales");
    assert_eq!(paths(&acme.user_orgs("dev").await.expect("all")), ["acme/eng/backend", "acme/sales"]);
    acme.remove_org_member("acme/sales", "dev").await.expect("dev leaves sales");
    let boss = code(lead.disable_user("boss").await);
    assert_eq!(boss, ErrorCode::PermissionDenied, "a tenant admin in a team stays out of reach");
    assert!(denied(lead.set_password("boss", "taken-over-1").await));
    // New users: only into the subtree.
    let mut hire = new_user("hire");
    assert_eq!(code(lead.create_user(&hire).await), ErrorCode::PermissionDenied);
    hire.orgs = Some(vec!["acme/sales".into()]);
    assert_eq!(code(lead.create_user(&hire).await), ErrorCode::PermissionDenied);
    hire.orgs = Some(vec!["acme/eng/frontend".into()]);
    lead.create_user(&hire).await.expect("a hire into frontend");
    // Members: only users already in reach.
    assert_eq!(code(lead.add_org_member("acme/eng/frontend", "bob").await), ErrorCode::PermissionDenied);
    assert_eq!(code(lead.add_org_member("acme/eng/frontend", "boss").await), ErrorCode::PermissionDenied);
    lead.add_org_member("acme/eng/frontend", "dev").await.expect("move people around inside");
    lead.remove_org_member("acme/eng/frontend", "dev").await.expect("and back");
    // Organizations: below eng only; eng itself stays where the tenant put it.
    let squad =
        CreateOrganization { name: "squad".into(), parent: Some("acme/eng/backend".into()), ..Default::default() };
    lead.create_org(&squad).await.expect("a sub-team");
    let rogue = CreateOrganization { name: "rogue".into(), ..Default::default() };
    assert_eq!(code(lead.create_org(&rogue).await), ErrorCode::PermissionDenied);
    let elsewhere = CreateOrganization { parent: Some("acme/sales".into()), ..rogue.clone() };
    assert_eq!(code(lead.create_org(&elsewhere).await), ErrorCode::PermissionDenied);
    lead.move_org("acme/eng/backend/squad", Some("acme/eng/frontend")).await.expect("move inside");
    assert_eq!(code(lead.move_org("acme/eng/frontend/squad", Some("acme/sales")).await), ErrorCode::PermissionDenied);
    assert_eq!(code(lead.move_org("acme/eng", None).await), ErrorCode::PermissionDenied);
    assert_eq!(code(lead.delete_org("acme/eng", true).await), ErrorCode::PermissionDenied);
    let rename = UpdateOrganization { display_name: Some("Engineering".into()), ..Default::default() };
    lead.update_org("acme/eng", &rename).await.expect("rename its own organization");
    assert_eq!(code(lead.update_org("acme/sales", &rename).await), ErrorCode::PermissionDenied);
    assert_eq!(lead.delete_org("acme/eng/frontend/squad", false).await.expect("delete below").count, 1);
    assert_eq!(code(lead.get_org("acme/sales").await), ErrorCode::PermissionDenied);
    assert_eq!(paths(&lead.org_tree("acme/eng").await.expect("its tree")).len(), 3);

    // Delegation: only what it holds, only below.
    assert_eq!(code(lead.grant_org_role("acme/eng", "dev", "tenant-admin").await), ErrorCode::PermissionDenied);
    assert_eq!(code(lead.grant_org_role("acme/sales", "dev", "org-admin").await), ErrorCode::PermissionDenied);
    lead.grant_org_role("acme/eng/backend", "dev", "org-admin").await.expect("delegate backend");
    let dev = as_user(&p, "dev").await;
    assert!(denied(dev.disable_user("hire").await), "hire is in frontend, not backend");
    // ... and the tenant admin is still out of the delegate's reach too.
    assert!(denied(dev.disable_user("boss").await));

    // Services ask the same question, naming the organization.
    let ask = |user: &str, org: Option<&str>| AuthzCheck {
        user: Some(user.into()),
        permission: "users:update".into(),
        org: org.map(str::to_owned),
        ..Default::default()
    };
    for (org, allowed) in [(Some("acme/eng/backend"), true), (Some("acme/sales"), false), (None, false)] {
        let decision = acme.authz_check(&ask("lead", org)).await.expect("check");
        assert_eq!(decision.allowed, allowed, "{org:?}: {decision:?}");
    }
    let own = AuthzCheck { permission: "orgs:create".into(), org: Some(eng.id.clone()), ..Default::default() };
    assert!(lead.authz_check(&own).await.expect("own check").allowed);
    assert_eq!(code(acme.authz_check(&ask("lead", Some("acme/nowhere"))).await), ErrorCode::NotFound);

    // A custom role held on an organization is held: it cannot be deleted.
    let squad_lead = CreateRole {
        name: "squad-lead".into(),
        description: None,
        permissions: vec!["users:read".into()],
        conditions: vec![],
    };
    acme.create_role(&squad_lead).await.expect("role");
    acme.grant_org_role("acme/sales", "bob", "squad-lead").await.expect("grant custom");
    assert_eq!(code(acme.delete_role("squad-lead").await), ErrorCode::Conflict);

    // Revoking, moving a team away, deleting a user: the reach follows at once.
    acme.move_org("acme/eng/backend", Some("acme/sales")).await.expect("tenant admin moves backend");
    assert!(denied(lead.disable_user("dev").await), "backend left eng");
    acme.move_org("acme/sales/backend", Some("acme/eng")).await.expect("and back");
    lead.disable_user("dev").await.expect("in reach again");
    let revoked = acme.revoke_org_role("acme/eng", "lead", "org-admin").await.expect("revoke");
    assert_eq!(revoked.role, "org-admin");
    assert!(denied(lead.enable_user("dev").await), "the same token, revoked role");
    assert_eq!(code(acme.revoke_org_role("acme/eng", "lead", "org-admin").await), ErrorCode::NotFound);
    acme.delete_user("dev", true).await.expect("hard delete");
    assert!(acme.org_roles("acme/eng/backend").await.expect("roles").items.is_empty(), "its grants went with it");

    // Every grant is an event of the organization.
    let query = EventQuery {
        event_type: Some("organization.role_*".into()),
        aggregate_id: Some(eng.id.clone()),
        ..Default::default()
    };
    let mut events: Vec<String> =
        acme.list_events(&query).await.expect("events").items.into_iter().map(|e| e.event_type).collect();
    events.reverse();
    assert_eq!(events, ["organization.role_granted", "organization.role_revoked"]);
});

/// The store context `lead` (an org admin of acme/eng) would act with, as
/// its cached subject says, carrying `reach`.
async fn lead_ctx(p: &crate::harness::Platd, reach: plat_store::Reach) -> plat_store::Ctx {
    let store = &p.state().store;
    let lead = store.get_user("acme", "lead").await.expect("lead");
    let subject = plat_domain::Subject {
        tenant: "acme".into(),
        roles: lead.user.roles.clone(),
        permissions: store.permissions_of(&lead.tenant_id, &lead.user.roles).await.expect("permissions"),
        scope: None,
        orgs: store.org_grants_of(&lead.tenant_id, &lead.user.id).await.expect("grants"),
    };
    assert!(!subject.orgs.is_empty(), "lead holds a role on an organization");
    plat_store::Ctx {
        actor: "lead@acme".into(),
        authority: plat_domain::Authority::Caller(subject),
        subject_id: Some(lead.user.id.clone()),
        reach: vec![reach],
        ..Default::default()
    }
}

// Reach is decided by the change's own transaction, not only before it: a
// membership removed, or the caller's own role revoked, after the caller
// was admitted on the read pool is seen by the write; on PostgreSQL a
// change of what reach reads that is still in flight holds the write back
// until it commits (the tenant's reach lock), and the write then decides
// on what it committed.
both!(a_change_decides_reach_in_its_own_transaction, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    org(&acme, "acme", None, "company").await;
    org(&acme, "eng", Some("acme"), "department").await;
    org(&acme, "backend", Some("acme/eng"), "team").await;
    acme.create_user(&with_roles("lead", &["member"])).await.expect("lead");
    let dev = CreateUser { orgs: Some(vec!["acme/eng/backend".into()]), ..with_roles("dev", &["member"]) };
    acme.create_user(&dev).await.expect("dev");
    acme.grant_org_role("acme/eng", "lead", "org-admin").await.expect("grant");
    let store = &p.state().store;
    let on_dev = plat_store::Reach {
        tenant: "acme".into(),
        permission: "users:update".into(),
        on: plat_store::On::User { user: "dev".into(), own: None },
    };
    let forbidden = |r: Result<User, plat_store::StoreError>| matches!(r, Err(plat_store::StoreError::Forbidden(_)));

    // In reach: admitted, and the write passes.
    let ctx = lead_ctx(&p, on_dev.clone()).await;
    store.admit(&ctx).await.expect("dev is in reach");
    store.set_user_enabled(&ctx, "acme", "dev", false).await.expect("disable dev");

    // Admitted, then dev leaves the subtree: the write refuses.
    store.admit(&ctx).await.expect("still in reach");
    acme.remove_org_member("acme/eng/backend", "dev").await.expect("dev leaves");
    assert!(forbidden(store.set_user_enabled(&ctx, "acme", "dev", true).await), "out of reach at the write");

    // Admitted, then the caller's own role is revoked: its cached subject
    // still holds it, the write reads what it holds now.
    acme.add_org_member("acme/eng/backend", "dev").await.expect("dev is back");
    let ctx = lead_ctx(&p, on_dev.clone()).await;
    store.admit(&ctx).await.expect("in reach again");
    acme.revoke_org_role("acme/eng", "lead", "org-admin").await.expect("revoke");
    assert!(forbidden(store.set_user_enabled(&ctx, "acme", "dev", true).await), "the revoked role is not honoured");
    assert_eq!(store.get_user("acme", "dev").await.expect("dev").user.status, "disabled");

    // PostgreSQL: a removal in flight holds the admitted write back; the write
    // then sees it.
    if p.database_url.starts_with("postgres") {
        acme.grant_org_role("acme/eng", "lead", "org-admin").await.expect("grant again");
        let ctx = lead_ctx(&p, on_dev.clone()).await;
        store.admit(&ctx).await.expect("in reach");
        use sqlx::Connection;
        let mut raw = sqlx::PgConnection::connect(&p.database_url).await.expect("connect");
        let mut tx = raw.begin().await.expect("begin");
        sqlx::query("SELECT id FROM tenants WHERE slug = 'acme' FOR UPDATE").execute(&mut *tx).await.expect("lock");
        sqlx::query(
            "DELETE FROM organization_members WHERE user_id = (SELECT id FROM users WHERE username = 'dev') \
             AND org_id IN (SELECT id FROM organizations WHERE name = 'backend')",
        )
        .execute(&mut *tx)
        .await
        .expect("remove dev");
        let write = {
            let (store, ctx) = (store.clone(), ctx.clone());
            tokio::spawn(async move { store.set_user_enabled(&ctx, "acme", "dev", true).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(!write.is_finished(), "the write waits for the change of what it reads");
        tx.commit().await.expect("commit the removal");
        assert!(forbidden(write.await.expect("join")), "decided on the committed removal");
    }
});

// `/authz/check` answers from what the replica cached (`auth::decisions`);
// a role revoked through another replica is never honoured past the bound
// (`auth.subject_cache_ttl`) after the revocation's commit, and a change
// through the replica itself at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_role_is_not_honoured_past_the_bound_on_another_replica() {
    let bound = std::time::Duration::from_millis(400);
    let env = [("PLATD_AUTH__SUBJECT_CACHE_TTL", "400ms")];
    let Some(mut first) = crate::harness::start(crate::harness::Db::Postgres, &env).await else { return };
    let database = first.take_database();
    let second = crate::harness::join(&first).await;
    let acme = tenant(&first.admin, "acme", None).await;
    org(&acme, "acme", None, "company").await;
    org(&acme, "eng", Some("acme"), "department").await;
    acme.create_user(&with_roles("lead", &["member"])).await.expect("lead");
    acme.grant_org_role("acme/eng", "lead", "org-admin").await.expect("grant");
    let ask = AuthzCheck {
        user: Some("lead".into()),
        permission: "users:update".into(),
        org: Some("acme/eng".into()),
        ..Default::default()
    };
    let there = second.admin.clone().with_tenant("acme");
    for _ in 0..3 {
        assert!(there.authz_check(&ask).await.expect("check").allowed, "granted, and cached");
    }
    acme.revoke_org_role("acme/eng", "lead", "org-admin").await.expect("revoke");
    let revoked = std::time::Instant::now();
    // Every check sent later than the bound after the revocation answered
    // says no (sent: it was decided later still); the first no may come earlier.
    loop {
        let sent = revoked.elapsed();
        if !there.authz_check(&ask).await.expect("check").allowed {
            break;
        }
        assert!(sent <= bound, "the revoked role was honoured in a check sent {sent:?} after its commit");
    }
    tokio::time::sleep(bound).await;
    assert!(!there.authz_check(&ask).await.expect("check").allowed);
    // Through the replica itself: at once.
    let here = second.admin.clone().with_tenant("acme");
    assert!(!here.authz_check(&ask).await.expect("check").allowed);
    here.grant_org_role("acme/eng", "lead", "org-admin").await.expect("grant there");
    assert!(here.authz_check(&ask).await.expect("check").allowed, "a change here is seen at once");
    first.stop().await;
    second.stop().await;
    crate::harness::drop_database(database).await;
}
