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
