//! Behaviour of the API endpoints: tenants, users, roles, import, errors.

use plat_client::{Client, ClientError};
use plat_proto::*;

use crate::both;

pub fn code<T: std::fmt::Debug>(result: Result<T, ClientError>) -> ErrorCode {
    match result {
        Err(ClientError::Api { error, .. }) => error.code,
        other => panic!("expected an API error, got {other:?}"),
    }
}

pub fn new_user(name: &str) -> CreateUser {
    CreateUser {
        username: name.into(),
        email: format!("{name}@example.test"),
        password: Some(format!("{name}-password")),
        ..CreateUser::default()
    }
}

pub async fn tenant(admin: &Client, slug: &str, max_users: Option<u64>) -> Client {
    admin
        .create_tenant(&CreateTenant { slug: slug.into(), name: None, quotas: Some(Quotas { max_users }) })
        .await
        .expect("create tenant");
    admin.clone().with_tenant(slug)
}

both!(user_lifecycle_writes_events_and_versions, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    let mut req = new_user("alice");
    req.profile = Some(ProfilePatch { nickname: Some("Alice".into()), ..ProfilePatch::default() });
    let alice = acme.create_user(&req).await.expect("create");
    assert_eq!(alice.version, 1);
    assert_eq!(alice.roles, vec!["member"]);
    assert_eq!(alice.profile.nickname, "Alice");
    assert_eq!(alice.stats.login_count, 0);
    let by_name = acme.get_user("ALICE").await.expect("case-insensitive get");
    assert_eq!(by_name.id, alice.id);
    let updated = acme
        .update_user(
            "alice",
            &UpdateUser { email: None, profile: Some(ProfilePatch { bio: Some("hi".into()), ..Default::default() }) },
        )
        .await
        .expect("update");
    assert_eq!(updated.version, 2);
    let disabled = acme.disable_user("alice").await.expect("disable");
    assert_eq!((disabled.status.as_str(), disabled.version), ("disabled", 3));
    acme.enable_user(&alice.id).await.expect("enable");
    let granted = acme.grant_role("alice", "viewer").await.expect("grant");
    assert_eq!(granted.roles, vec!["member", "viewer"]);
    let revoked = acme.revoke_role("alice", "viewer").await.expect("revoke");
    assert_eq!(revoked.version, 6);
    let events = acme
        .list_events(&EventQuery {
            event_type: Some("user.*".into()),
            aggregate_id: Some(alice.id.clone()),
            limit: Some(50),
            ..Default::default()
        })
        .await
        .expect("events");
    let types: Vec<&str> = events.items.iter().rev().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "user.created",
            "user.updated",
            "user.suspended",
            "user.activated",
            "user.roles_changed",
            "user.roles_changed"
        ]
    );
    let versions: Vec<u64> = events.items.iter().rev().map(|e| e.aggregate.version).collect();
    assert_eq!(versions, [1, 2, 3, 4, 5, 6]);
    // Snapshots never carry secrets.
    for e in &events.items {
        let text = serde_json::to_string(&e.data).expect("json");
        assert!(!text.contains("argon2") && !text.contains("password"), "{text}");
    }
    let audit = acme
        .list_audit(&AuditQuery { action: Some("user.*".into()), limit: Some(50), ..Default::default() })
        .await
        .expect("audit");
    assert!(audit.items.iter().any(|a| a.action == "user.create" && a.actor == "admin@system"));
    // Soft delete hides the user but keeps its name; hard delete frees it.
    acme.delete_user("alice", false).await.expect("soft delete");
    assert_eq!(code(acme.get_user("alice").await), ErrorCode::UserNotFound);
    assert_eq!(code(acme.create_user(&new_user("alice")).await), ErrorCode::UserAlreadyExists);
    acme.delete_user("alice", true).await.expect("hard delete");
    acme.create_user(&new_user("alice")).await.expect("name is free again");
});

both!(usernames_are_unique_after_nfkc_and_case_folding, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    acme.create_user(&new_user("Alice")).await.expect("create");
    let mut dup = new_user("ＡＬＩＣＥ");
    dup.email = "other@example.test".into();
    assert_eq!(code(acme.create_user(&dup).await), ErrorCode::UserAlreadyExists);
    let mut dup_email = new_user("bob");
    dup_email.email = "ALICE@EXAMPLE.TEST".into();
    assert_eq!(code(acme.create_user(&dup_email).await), ErrorCode::UserAlreadyExists);
    // Another tenant may reuse both.
    let globex = tenant(&p.admin, "globex", None).await;
    globex.create_user(&new_user("alice")).await.expect("other tenant");
});

both!(quota_race_admits_exactly_the_free_places, &[], |p| {
    let acme = tenant(&p.admin, "acme", Some(3)).await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let c = acme.clone();
        tasks.push(tokio::spawn(async move {
            let mut u = new_user(&format!("racer{i}"));
            u.password = None;
            c.create_user(&u).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.expect("join") {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(e.code(), Some(ErrorCode::TenantQuotaExceeded), "{e}"),
        }
    }
    assert_eq!(ok, 3);
    let t = p.admin.get_tenant("acme").await.expect("tenant");
    assert_eq!(t.usage.users, 3);
});

both!(tenant_lifecycle, &[], |p| {
    let acme = tenant(&p.admin, "acme", Some(10)).await;
    assert_eq!(
        code(p.admin.create_tenant(&CreateTenant { slug: "acme".into(), name: None, quotas: None }).await),
        ErrorCode::TenantAlreadyExists
    );
    assert_eq!(
        code(p.admin.create_tenant(&CreateTenant { slug: "Bad_Slug".into(), name: None, quotas: None }).await),
        ErrorCode::ValidationError
    );
    acme.create_user(&new_user("alice")).await.expect("user");
    let renamed = p
        .admin
        .update_tenant("acme", &UpdateTenant { name: Some("Acme Inc".into()), quotas: None, security: None })
        .await
        .expect("rename");
    assert_eq!(renamed.name, "Acme Inc");
    assert_eq!(renamed.quotas.max_users, Some(10));
    let suspended = p.admin.suspend_tenant("acme").await.expect("suspend");
    assert_eq!(suspended.status, "suspended");
    assert_eq!(code(p.client.login("acme", "alice", "alice-password").await), ErrorCode::TenantSuspended);
    p.admin.resume_tenant("acme").await.expect("resume");
    p.client.login("acme", "alice", "alice-password").await.expect("login after resume");
    assert_eq!(code(p.admin.delete_tenant("acme", false).await), ErrorCode::Conflict);
    let alice = acme.get_user("alice").await.expect("alice");
    p.admin.delete_tenant("acme", true).await.expect("cascade");
    let gone = p
        .admin
        .list_events(&EventQuery {
            event_type: Some("user.deleted".into()),
            aggregate_id: Some(alice.id.clone()),
            ..Default::default()
        })
        .await
        .expect("events");
    assert_eq!(gone.items.len(), 1, "cascade announces each removed user");
    assert_eq!(
        (gone.items[0].aggregate.version, gone.items[0].data["status"].as_str()),
        (alice.version + 1, Some("deleted"))
    );
    assert_eq!(code(p.admin.get_tenant("acme").await), ErrorCode::TenantNotFound);
    let list = p.admin.list_tenants(None, None).await.expect("list");
    assert_eq!(list.items.iter().map(|t| t.slug.as_str()).collect::<Vec<_>>(), ["system"]);
});

both!(roles_and_authz, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    let role = acme
        .create_role(&CreateRole {
            name: "auditor".into(),
            description: None,
            permissions: vec!["audit:read".into(), "events:*".into()],
            conditions: vec![],
        })
        .await
        .expect("role");
    assert!(!role.builtin);
    assert_eq!(
        code(
            acme.create_role(&CreateRole {
                name: "auditor".into(),
                description: None,
                permissions: vec![],
                conditions: vec![]
            })
            .await
        ),
        ErrorCode::RoleAlreadyExists
    );
    assert_eq!(
        code(
            acme.create_role(&CreateRole {
                name: "member".into(),
                description: None,
                permissions: vec![],
                conditions: vec![]
            })
            .await
        ),
        ErrorCode::RoleAlreadyExists
    );
    assert_eq!(
        code(
            acme.create_role(&CreateRole {
                name: "x".into(),
                description: None,
                permissions: vec!["nocolon".into()],
                conditions: vec![]
            })
            .await
        ),
        ErrorCode::ValidationError
    );
    acme.create_user(&new_user("carol")).await.expect("user");
    acme.grant_role("carol", "auditor").await.expect("grant");
    assert_eq!(code(acme.grant_role("carol", "ghost").await), ErrorCode::RoleNotFound);
    let check =
        |perm: &str| AuthzCheck { user: Some("carol".into()), permission: perm.into(), ..AuthzCheck::default() };
    assert!(acme.authz_check(&check("events:read")).await.expect("check").allowed);
    assert!(acme.authz_check(&check("audit:read")).await.expect("check").allowed);
    assert!(!acme.authz_check(&check("users:delete")).await.expect("check").allowed);
    let updated = acme
        .update_role("auditor", &UpdateRole { add_permissions: vec!["users:delete".into()], ..Default::default() })
        .await
        .expect("update role");
    assert!(updated.permissions.contains(&"users:delete".to_owned()));
    assert!(acme.authz_check(&check("users:delete")).await.expect("check").allowed);
    // Carol herself sees the effect at once.
    let carol = p.login("acme", "carol", "carol-password").await;
    assert!(carol.whoami().await.expect("whoami").permissions.contains(&"users:delete".to_owned()));
    assert!(
        carol
            .authz_check(&AuthzCheck { permission: "users:delete".into(), ..Default::default() })
            .await
            .expect("self")
            .allowed
    );
    assert_eq!(code(acme.delete_role("auditor").await), ErrorCode::Conflict);
    acme.revoke_role("carol", "auditor").await.expect("revoke");
    acme.delete_role("auditor").await.expect("delete role");
    assert_eq!(code(acme.get_role("auditor").await), ErrorCode::RoleNotFound);
    assert_eq!(code(acme.update_role("member", &UpdateRole::default()).await), ErrorCode::Conflict);
    let roles = acme.list_roles().await.expect("roles");
    let builtin: Vec<&str> = roles.iter().filter(|r| r.builtin).map(|r| r.name.as_str()).collect();
    assert_eq!(builtin, ["platform-admin", "tenant-admin", "member", "viewer", "org-admin"]);
});

both!(import_reports_bad_lines_and_keeps_the_rest, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    acme.create_user(&new_user("existing")).await.expect("user");
    let bcrypt_hash = bcrypt::hash("legacy-password", 4).expect("bcrypt");
    let body = [
        r#"{"username":"u1","email":"u1@example.test","password":"password-one"}"#.to_owned(),
        r#"{"username":"u2","email":"u2@example.test" BROKEN"#.to_owned(),
        r#"{"username":"u3","email":"not-an-email"}"#.to_owned(),
        String::new(),
        r#"{"username":"existing","email":"e2@example.test"}"#.to_owned(),
        format!(r#"{{"username":"legacy","email":"legacy@example.test","password_hash":"{bcrypt_hash}"}}"#),
        r#"{"username":"u1","email":"u1b@example.test"}"#.to_owned(),
        r#"{"username":"u7","email":"u7@example.test","shoe_size":44}"#.to_owned(),
        r#"{"username":"u8","email":"u8@example.test","roles":["ghost"]}"#.to_owned(),
        r#"{"username":"u9","email":"u9@example.test","roles":["viewer"],"profile":{"nickname":"Nine"}}"#.to_owned(),
    ]
    .join("\n");
    let dry = acme.import_users(body.clone(), true).await.expect("dry run");
    assert!(dry.dry_run);
    assert_eq!(acme.list_users(&UserListQuery::default()).await.expect("list").total, 1, "dry run writes nothing");
    let report = acme.import_users(body, false).await.expect("import");
    assert_eq!((report.total, report.created, report.failed), (9, 3, 6), "{report:#?}");
    assert_eq!(dry.errors, report.errors);
    let lines: Vec<(u64, ErrorCode)> = report.errors.iter().map(|e| (e.line, e.code)).collect();
    assert_eq!(
        lines,
        [
            (2, ErrorCode::InvalidRequest),
            (3, ErrorCode::ValidationError),
            (5, ErrorCode::UserAlreadyExists),
            (7, ErrorCode::UserAlreadyExists),
            (8, ErrorCode::ValidationError),
            (9, ErrorCode::RoleNotFound),
        ]
    );
    assert_eq!(report.errors[4].field.as_deref(), Some("shoe_size"));
    let nine = acme.get_user("u9").await.expect("u9");
    assert_eq!((nine.roles, nine.profile.nickname.as_str(), nine.version), (vec!["viewer".to_owned()], "Nine", 1));
    // Imported users get their user.created event like any other.
    assert_eq!(
        acme.list_events(&EventQuery {
            event_type: Some("user.created".into()),
            aggregate_id: Some(nine.id.clone()),
            ..Default::default()
        })
        .await
        .expect("events")
        .total,
        1
    );
    // Plain and bcrypt passwords both log in; bcrypt is re-hashed to argon2id.
    p.client.login("acme", "u1", "password-one").await.expect("plain");
    p.client.login("acme", "legacy", "legacy-password").await.expect("bcrypt");
    p.client.login("acme", "legacy", "legacy-password").await.expect("after rehash");
    // Export streams every live user.
    let export = acme.export_users().await.expect("export").text().await.expect("text");
    let names: Vec<String> =
        export.lines().map(|l| serde_json::from_str::<User>(l).expect("user line").username).collect();
    assert_eq!(names.len(), 4, "{names:?}");
});

both!(errors_speak_the_contract, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    // Unknown field, named.
    let raw = reqwest::Client::new();
    let response = raw
        .post(format!("{}/api/v1/users", p.base))
        .bearer_auth(p.admin.token().expect("token"))
        .header("X-Tenant-ID", "acme")
        .json(&serde_json::json!({"username": "x", "email": "x@example.test", "nickname": "oops"}))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
    assert_eq!(body["error"]["field"], "nickname");
    assert!(body["meta"]["request_id"].as_str().expect("request id").starts_with("req_"));
    // Malformed JSON.
    let response = raw
        .post(format!("{}/api/v1/tenants", p.base))
        .bearer_auth(p.admin.token().expect("token"))
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 400);
    // Too large.
    let huge = "x".repeat(1_100_000);
    let response = raw
        .post(format!("{}/api/v1/tenants", p.base))
        .bearer_auth(p.admin.token().expect("token"))
        .json(&serde_json::json!({"slug": "big", "name": huge}))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE");
    // Request ids are echoed.
    let response = raw
        .get(format!("{}/api/v1/auth/whoami", p.base))
        .header("X-Request-ID", "req-from-client")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["x-request-id"], "req-from-client");
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "UNAUTHORIZED");
    assert_eq!(body["meta"]["request_id"], "req-from-client");
    // Unknown endpoint and unknown query parameter.
    assert_eq!(raw.get(format!("{}/api/v1/nothing", p.base)).send().await.expect("send").status(), 404);
    let q = raw
        .get(format!("{}/api/v1/users?colour=red", p.base))
        .bearer_auth(p.admin.token().expect("t"))
        .send()
        .await
        .expect("send");
    assert_eq!(q.status(), 422);
    assert_eq!(
        code(acme.list_users(&UserListQuery { page_size: Some(501), ..Default::default() }).await),
        ErrorCode::ValidationError
    );
    assert_eq!(code(acme.get_user("nobody").await), ErrorCode::UserNotFound);
    assert_eq!(
        code(
            acme.create_user(&CreateUser {
                username: "bad name".into(),
                email: "b@example.test".into(),
                ..Default::default()
            })
            .await
        ),
        ErrorCode::ValidationError
    );
    let mut weak = new_user("weak");
    weak.password = Some("short".into());
    assert_eq!(code(acme.create_user(&weak).await), ErrorCode::ValidationError);
});

both!(paging_by_page_and_by_cursor, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    let lines: Vec<String> =
        (0..25).map(|i| format!(r#"{{"username":"user{i:02}","email":"user{i:02}@example.test"}}"#)).collect();
    acme.import_users(lines.join("\n"), false).await.expect("import");
    let page2 = acme
        .list_users(&UserListQuery { page: Some(2), page_size: Some(10), ..Default::default() })
        .await
        .expect("page");
    assert_eq!((page2.total, page2.total_pages, page2.items.len()), (25, 3, 10));
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = acme
            .list_users(&UserListQuery { limit: Some(7), cursor: cursor.clone(), ..Default::default() })
            .await
            .expect("cursor page");
        seen.extend(page.items.into_iter().map(|u| u.username));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 25);
    let found =
        acme.list_users(&UserListQuery { search: Some("USER1".into()), ..Default::default() }).await.expect("search");
    assert_eq!(found.total, 10);
});

both!(health_metrics_and_probes, &[], |p| {
    let report = p.admin.health().await.expect("health");
    assert_eq!(report.status, HealthStatus::Healthy);
    assert_eq!(report.components[0].name, "database");
    assert!(report.counts.contains_key("users"));
    let (status, body) = p.client.get_raw("/healthz").await.expect("healthz");
    assert_eq!((status, &body[..]), (200, &b"ok\n"[..]));
    assert_eq!(p.client.get_raw("/readyz").await.expect("readyz").0, 200);
    let (_, metrics) = p.client.get_raw("/metrics").await.expect("metrics");
    let text = String::from_utf8_lossy(&metrics);
    assert!(text.contains("plat_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/api/v1/auth/login\""), "{text}");
});

#[test]
fn openapi_document_is_committed_and_fresh() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
    let fresh = platd::openapi::document_json();
    if std::env::var("UPDATE_EXPECT").is_ok() {
        std::fs::write(&path, &fresh).expect("write");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == fresh, "docs/openapi.json is stale: run UPDATE_EXPECT=1 cargo test -p platd openapi");
}

#[test]
fn permission_table_is_committed_and_fresh() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/permissions.md");
    let text = std::fs::read_to_string(&path).expect("docs/permissions.md");
    let begin = text.find("<!-- routes:begin").expect("routes:begin marker");
    let begin = begin + text[begin..].find("-->\n").expect("end of marker") + 4;
    let end = text.find("<!-- routes:end -->").expect("routes:end marker");
    let fresh = platd::openapi::permission_table();
    if std::env::var("UPDATE_EXPECT").is_ok() {
        std::fs::write(&path, format!("{}{fresh}{}", &text[..begin], &text[end..])).expect("write");
        return;
    }
    assert!(
        text[begin..end] == fresh,
        "docs/permissions.md is stale: run UPDATE_EXPECT=1 cargo test -p platd permission_table"
    );
}

both!(every_documented_route_is_served, &[], |p| {
    let raw = reqwest::Client::new();
    for route in platd::api::ROUTES {
        let path = route
            .path
            .replace("{slug}", "system")
            .replace("{user}", "admin")
            .replace("{name}", "x")
            .replace("{role}", "x");
        let method = reqwest::Method::from_bytes(route.http_method().as_bytes()).expect("method");
        let response = raw.request(method, format!("{}/api/v1{path}", p.base)).send().await.expect("send");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(
            !text.contains("no such endpoint") && status != 405,
            "{} {} is not routed: {status} {text}",
            route.method,
            route.path
        );
    }
});

both!(logins_logouts_and_failures_are_events_with_where_they_came_from, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    let alice = acme.create_user(&new_user("alice")).await.expect("alice");
    let pair = p.client.login("acme", "alice", "alice-password").await.expect("login");
    assert!(p.client.login("acme", "alice", "wrong").await.is_err());
    let own = p.client.clone().with_token(pair.access_token.clone());
    own.logout(&pair.refresh_token).await.expect("logout");
    // A second logout of the ended session announces nothing.
    let _ = own.logout(&pair.refresh_token).await;
    for _ in 0..5 {
        assert!(p.client.login("acme", "alice", "wrong again").await.is_err());
    }
    let events = acme
        .list_events(&EventQuery { aggregate_id: Some(alice.id.clone()), limit: Some(50), ..Default::default() })
        .await
        .expect("events");
    let events: Vec<&Event> = events.items.iter().rev().collect();
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    let mut expected = vec!["user.created", "user.login", "user.login_failed", "user.logout"];
    // The fifth failure in a row locks (auth.lockout.max_failures); the
    // attempt after it is refused before any password check, and says nothing.
    expected.extend(["user.login_failed"; 4]);
    expected.push("user.locked");
    assert_eq!(types, expected);
    let login = events[1];
    assert_eq!(login.metadata["source_ip"], "127.0.0.1");
    assert!(login.metadata["user_agent"].as_str().is_some_and(|ua| ua.starts_with("plat")), "{:?}", login.metadata);
    let session = login.metadata["session_id"].as_str().expect("a session id");
    assert_eq!(events[3].metadata["session_id"].as_str(), Some(session), "logout names the session it ended");
    assert_eq!(events[2].metadata["reason"], "invalid_credentials");
    assert_eq!(events[7].metadata["failures"], 5);
    assert!(events[8].metadata["locked_until"].is_string());
    // An activity is not a change: the version stays, the data is the user.
    assert!(events.iter().all(|e| e.aggregate.version == 1 && e.data["username"] == "alice"));
    assert!(!login.data.to_string().contains("password"), "no secret in the snapshot");
});

both!(quota_refusals_and_service_account_changes_are_events, &[], |p| {
    let acme = tenant(&p.admin, "acme", Some(2)).await;
    let events_of = |event_type: &str| EventQuery { event_type: Some(event_type.into()), ..Default::default() };
    // The second user reaches the limit: one event, whatever the refusals after it.
    acme.create_user(&new_user("a")).await.expect("a");
    acme.create_user(&new_user("b")).await.expect("b");
    assert_eq!(code(acme.create_user(&new_user("c")).await), ErrorCode::TenantQuotaExceeded);
    assert_eq!(code(acme.create_user(&new_user("d")).await), ErrorCode::TenantQuotaExceeded);
    let report = acme.import_users("{\"username\":\"e\",\"email\":\"e@x.test\"}\n", false).await.expect("import");
    assert_eq!(report.errors.len(), 1);
    let refused = acme.list_events(&events_of("tenant.quota_exceeded")).await.expect("events").items;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].tenant, "acme");
    assert_eq!(refused[0].aggregate.kind, "tenant");
    assert_eq!(refused[0].metadata["resource"], "users");
    assert_eq!((refused[0].metadata["limit"].as_u64(), refused[0].metadata["requested"].as_u64()), (Some(2), Some(1)));
    assert_eq!(refused[0].data["slug"], "acme");

    // Every change of a service account, with its version, never its secret.
    let created = acme
        .create_service_account(&CreateServiceAccount {
            name: "files".into(),
            roles: vec!["member".into()],
            ..Default::default()
        })
        .await
        .expect("account");
    acme.update_service_account(
        "files",
        &UpdateServiceAccount { description: Some("Files".into()), ..Default::default() },
    )
    .await
    .expect("update");
    acme.rotate_service_account_secret("files").await.expect("rotate");
    acme.delete_service_account("files").await.expect("delete");
    let events = acme.list_events(&events_of("service_account.*")).await.expect("events").items;
    let mut seen: Vec<(&str, u64)> = events.iter().map(|e| (e.event_type.as_str(), e.aggregate.version)).collect();
    seen.reverse();
    assert_eq!(
        seen,
        vec![
            ("service_account.created", 1),
            ("service_account.updated", 2),
            ("service_account.secret_rotated", 3),
            ("service_account.deleted", 4),
        ]
    );
    for e in &events {
        assert_eq!((e.aggregate.kind.as_str(), e.tenant.as_str()), ("service_account", "acme"));
        assert_eq!(e.data["client_id"].as_str(), Some(created.account.client_id.as_str()));
        let text = e.data.to_string();
        assert!(!text.contains(&created.client_secret) && !text.contains("secret_hash"), "{text}");
    }
    assert_eq!(events[0].data["description"], "Files", "the deleted account as it was");
});

both!(roles_grant_on_conditions_over_the_checks_context, &[], |p| {
    use crate::abuse::field;
    let acme = tenant(&p.admin, "acme", None).await;
    let when = "context.file_size <= 10485760 || starts_with(context.folder, principal.id)";
    let uploader = CreateRole {
        name: "uploader".into(),
        description: None,
        permissions: vec!["files:read".into()],
        conditions: vec![ConditionalPermission { permission: "files:upload".into(), when: when.into() }],
    };
    let role = acme.create_role(&uploader).await.expect("role");
    assert_eq!(role.conditions.len(), 1);
    let mut carol = new_user("carol");
    carol.roles = Some(vec!["uploader".into()]);
    let carol = acme.create_user(&carol).await.expect("carol");

    let check = |context: serde_json::Value| AuthzCheck {
        user: Some("carol".into()),
        resource: Some("files".into()),
        action: Some("upload".into()),
        context: Some(context),
        ..AuthzCheck::default()
    };
    let small = acme.authz_check(&check(serde_json::json!({"file_size": 1024}))).await.expect("check");
    assert!(small.allowed && small.reason.contains("role uploader when"), "{small:?}");
    let own_folder = serde_json::json!({"file_size": 1e9, "folder": format!("{}/videos", carol.id)});
    assert!(acme.authz_check(&check(own_folder)).await.expect("check").allowed);
    let big = acme.authz_check(&check(serde_json::json!({"file_size": 1e9, "folder": "x"}))).await.expect("check");
    assert!(!big.allowed && big.reason.contains("only when"), "{big:?}");
    let bare = AuthzCheck { context: None, ..check(serde_json::Value::Null) };
    assert!(!acme.authz_check(&bare).await.expect("check").allowed, "no context, no conditional grant");
    // Outright grants need no context; the caller may ask about itself.
    let read = AuthzCheck { user: Some("carol".into()), permission: "files:read".into(), ..AuthzCheck::default() };
    assert!(acme.authz_check(&read).await.expect("check").allowed);
    let own = p.login("acme", "carol", "carol-password").await;
    let mine = AuthzCheck { user: None, ..check(serde_json::json!({"file_size": 1})) };
    assert!(own.authz_check(&mine).await.expect("own check").allowed);
    // Without a context, the condition has nothing to read: no.
    assert!(!own.authz_check(&AuthzCheck { context: None, ..mine.clone() }).await.expect("check").allowed);

    // A batch answers each in order; more than 100 is refused.
    acme.create_user(&new_user("dave")).await.expect("dave");
    let daves = AuthzCheck { user: Some("dave".into()), ..check(serde_json::json!({"file_size": 1})) };
    let batch = AuthzBatch {
        checks: vec![
            check(serde_json::json!({"file_size": 1})),
            daves,
            check(serde_json::json!({"file_size": 1e12})),
            read.clone(),
        ],
    };
    let results = acme.authz_check_batch(&batch).await.expect("batch").results;
    assert_eq!(results.iter().map(|r| r.allowed).collect::<Vec<_>>(), vec![true, false, false, true]);
    let nobody = AuthzBatch { checks: vec![read.clone(), AuthzCheck { user: Some("nobody".into()), ..read.clone() }] };
    assert_eq!(field(acme.authz_check_batch(&nobody).await).1.as_deref(), Some("checks[1]"));
    let too_many = AuthzBatch { checks: vec![read.clone(); 101] };
    assert_eq!(field(acme.authz_check_batch(&too_many).await).1.as_deref(), Some("checks"));
    let bad = AuthzBatch { checks: vec![read.clone(), AuthzCheck::default()] };
    assert_eq!(field(acme.authz_check_batch(&bad).await).1.as_deref(), Some("checks[1].permission"));
    let both = AuthzCheck { permission: "files:read".into(), ..check(serde_json::Value::Null) };
    assert_eq!(field(acme.authz_check(&both).await).1.as_deref(), Some("permission"));
    // Past 8 KiB of context, or past the bounds every body has, refused naming it.
    let wide: serde_json::Map<String, serde_json::Value> =
        (0..400).map(|i| (format!("key{i}"), serde_json::json!("abcdefghijklmnop"))).collect();
    let huge = check(serde_json::Value::Object(wide));
    assert_eq!(field(acme.authz_check(&huge).await).1.as_deref(), Some("context"));
    let long = check(serde_json::json!({"pad": "x".repeat(9000)}));
    assert!(field(acme.authz_check(&long).await).1.is_some_and(|f| f.starts_with("context")));

    // Conditions are checked on write, naming the entry.
    let typo = UpdateRole {
        conditions: Some(vec![ConditionalPermission {
            permission: "files:upload".into(),
            when: "context.size <=".into(),
        }]),
        ..UpdateRole::default()
    };
    assert_eq!(field(acme.update_role("uploader", &typo).await).1.as_deref(), Some("conditions[0].when"));
    let foreign = UpdateRole {
        conditions: Some(vec![ConditionalPermission { permission: "files:upload".into(), when: "data.x == 1".into() }]),
        ..UpdateRole::default()
    };
    assert_eq!(field(acme.update_role("uploader", &foreign).await).1.as_deref(), Some("conditions[0].when"));
    let cleared = acme
        .update_role("uploader", &UpdateRole { conditions: Some(vec![]), ..UpdateRole::default() })
        .await
        .expect("clear");
    assert!(cleared.conditions.is_empty());
    assert!(!acme.authz_check(&check(serde_json::json!({"file_size": 1}))).await.expect("check").allowed);
});
