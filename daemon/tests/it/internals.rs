//! Nothing internal in an answer: panics, corrupt rows and an unreachable
//! database answer in words a user can act on, with the request id, while
//! the cause goes to the log.

use axum::body::Body;
use axum::http::Request;
use plat_client::ClientError;
use plat_proto::*;
use tower::ServiceExt;

use crate::api::tenant;
use crate::both;

both!(a_panicking_handler_answers_500_with_its_request_id, &[], |p| {
    let state = p.state().clone();
    let routes = axum::Router::new().route(
        "/boom",
        axum::routing::get(|| async {
            panic!("a bug");
            #[allow(unreachable_code)]
            ""
        }),
    );
    let app = platd::api::with_request_layers(routes, &state).with_state(state.clone());
    let request = Request::get("/boom").header("x-request-id", "req_panic_test").body(Body::empty()).expect("request");
    let response = app.oneshot(request).await.expect("answer");
    assert_eq!(response.status(), 500);
    assert_eq!(response.headers()["x-request-id"], "req_panic_test");
    let body = http_body_util::BodyExt::collect(response.into_body()).await.expect("body").to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(body["error"]["code"], "INTERNAL_ERROR");
    assert_eq!(body["meta"]["request_id"], "req_panic_test");
    assert!(!body.to_string().contains("a bug"), "the panic message stays in the log: {body}");
    let metrics = state.metrics.render().expect("metrics");
    assert!(
        metrics.lines().any(|l| l.contains("route=\"/boom\"") && l.contains("status=\"500\"") && l.ends_with(" 1")),
        "the panic is counted: {metrics}"
    );
});

both!(corrupt_rows_are_internal_errors_not_conflicts, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    acme.create_role(&CreateRole {
        name: "broken".into(),
        description: None,
        permissions: vec!["users:read".into()],
        conditions: vec![],
    })
    .await
    .expect("role");
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&p.database_url).await.expect("plat db");
    sqlx::query("UPDATE roles SET permissions = 'not json' WHERE name = 'broken'")
        .execute(&mut conn)
        .await
        .expect("break the row");
    match acme.get_role("broken").await {
        Err(ClientError::Api { status, error, request_id, .. }) => {
            assert_eq!((status, error.code), (500, ErrorCode::InternalError));
            assert!(!error.message.contains("json") && !error.message.contains("roles"), "{}", error.message);
            assert!(request_id.starts_with("req_"), "{request_id}");
        }
        other => panic!("expected an internal error, got {other:?}"),
    }
});

both!(database_failures_say_what_not_how, &[("PLATD_AUTH__SUBJECT_CACHE_TTL", "1h")], |p| {
    // The admin's subject is cached; another user's is not.
    p.admin.whoami().await.expect("cache the admin");
    let acme = tenant(&p.admin, "acme", None).await;
    let mut bob = crate::api::new_user("bob");
    bob.roles = Some(vec!["viewer".into()]);
    acme.create_user(&bob).await.expect("bob");
    let bob = p.login("acme", "bob", "bob-password").await;
    p.admin.whoami().await.expect("cache the admin again (the create cleared the cache)");
    p.state().store.close().await;
    let health = p.admin.health().await.expect("health from the cached subject");
    let database = health.components.iter().find(|c| c.name == "database").expect("database component");
    assert_eq!(database.status, HealthStatus::Unhealthy);
    assert_eq!(
        database.message.as_deref(),
        Some("the database is unreachable (the daemon's log has the cause)"),
        "no driver text: {database:?}"
    );
    match bob.whoami().await {
        Err(ClientError::Api { status, error, .. }) => {
            assert_eq!((status, error.code), (503, ErrorCode::ServiceUnavailable));
            assert_eq!(error.message, "cannot check the token now: the database is unreachable; retry shortly");
        }
        other => panic!("expected 503, got {other:?}"),
    }
});
