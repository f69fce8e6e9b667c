//! Abuse stays bounded: imports (lines, line length, reported errors) and
//! glob patterns whose matching cost grows with every wildcard.

use plat_client::ClientError;
use plat_proto::*;

use crate::api::tenant;
use crate::both;

pub fn field(result: Result<impl std::fmt::Debug, ClientError>) -> (ErrorCode, Option<String>) {
    match result {
        Err(ClientError::Api { error, .. }) => (error.code, error.field),
        other => panic!("expected an API error, got {other:?}"),
    }
}

both!(imports_are_bounded, &[("PLATD_HTTP__IMPORT_MAX_LINES", "1500")], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    // 1,200 bad lines: all counted, the first 1,000 reported.
    let bad: String = (0..1200).map(|i| format!("{{\"username\":\"u{i}\",\"email\":\"not-an-email\"}}\n")).collect();
    let report = acme.import_users(bad, false).await.expect("import");
    assert_eq!((report.total, report.failed, report.created), (1200, 1200, 0));
    assert_eq!(report.errors.len(), 1000);
    // More lines than allowed.
    let many: String =
        (0..1501).map(|i| format!("{{\"username\":\"m{i}\",\"email\":\"m{i}@example.test\"}}\n")).collect();
    let (code, _) = field(acme.import_users(many, true).await);
    assert_eq!(code, ErrorCode::PayloadTooLarge);
    // One endless line is refused without buffering the whole body.
    let endless = format!("{{\"username\":\"{}\"", "x".repeat(200_000));
    let (code, _) = field(acme.import_users(endless, true).await);
    assert_eq!(code, ErrorCode::PayloadTooLarge);
    // Nothing was created by the refused imports.
    assert_eq!(acme.list_users(&UserListQuery::default()).await.expect("list").total, 0);
});

both!(globs_are_bounded, &[], |p| {
    let pathological = "*a*a*a*a*a*a*a*a*a*a*b";
    let (code, name) =
        field(p.admin.list_events(&EventQuery { event_type: Some(pathological.into()), ..Default::default() }).await);
    assert_eq!((code, name.as_deref()), (ErrorCode::ValidationError, Some("type")));
    let (code, name) =
        field(p.admin.list_audit(&AuditQuery { action: Some(pathological.into()), ..Default::default() }).await);
    assert_eq!((code, name.as_deref()), (ErrorCode::ValidationError, Some("action")));
    let target: CreateTarget = serde_json::from_value(serde_json::json!({
        "name": "greedy", "kind": "http", "url": "http://127.0.0.1:9/hook", "events": [pathological]
    }))
    .expect("target");
    assert_eq!(field(p.admin.create_target(&target).await).0, ErrorCode::ValidationError);
    // Four wildcards are still fine.
    p.admin
        .list_events(&EventQuery { event_type: Some("*.*e*d".into()), ..Default::default() })
        .await
        .expect("bounded glob");
});

both!(globs_match_the_same_on_every_backend, &[], |p| {
    tenant(&p.admin, "acme", None).await;
    let exact = |action: &str| AuditQuery { action: Some(action.into()), ..Default::default() };
    let found = p.admin.list_audit(&exact("tenant.*")).await.expect("audit");
    assert!(found.total >= 1, "tenant.create is audited");
    // Case matters, on SQLite as on PostgreSQL (a LIKE there ignores case by default).
    assert_eq!(p.admin.list_audit(&exact("TENANT.*")).await.expect("audit").total, 0);
});
