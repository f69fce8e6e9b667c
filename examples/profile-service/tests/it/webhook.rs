//! `POST /hooks/plat`: signatures, versions, repairs, deletes.

use axum::http::StatusCode;
use plat_domain::delivery;
use serde_json::json;

use crate::{SECRET, Service, now, repair, user_event};

const ID: &str = "0193a7c2-7e1a-7c3e-9f00-000000000001";

#[tokio::test]
async fn a_signed_event_is_stored() {
    let service = Service::start().await;
    let (status, body) = service.deliver(&user_event("user.created", ID, 1, "alice")).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"applied": true})));

    let (status, user) = service.get(&format!("/users/{ID}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["id"], ID);
    assert_eq!(user["tenant"], "acme");
    assert_eq!(user["username"], "alice");
    assert_eq!(user["email"], "alice@example.com");
    assert_eq!(user["status"], "active");
    assert_eq!(user["nickname"], "ALICE");
    assert_eq!(user["bio"], "hello");
    assert_eq!(user["roles"], json!(["member"]));
    assert_eq!(user["version"], 1);
    assert_eq!(user["updated_at"], "2025-01-01T00:00:00Z");
    assert!(user["received_at"].as_str().is_some_and(|t| !t.is_empty()));

    let (status, users) = service.get("/users?limit=10").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(users.as_array().map(Vec::len), Some(1));
    assert_eq!(service.get("/users/nobody").await.0, StatusCode::NOT_FOUND);
    assert_eq!(service.get("/healthz").await, (StatusCode::OK, json!("ok")));
    let (_, stats) = service.get("/stats").await;
    assert_eq!(stats, json!({"received": 1, "applied": 1, "stale": 0, "rejected_signature": 0}));
}

#[tokio::test]
async fn a_bad_or_missing_signature_is_refused() {
    let service = Service::start().await;
    let body = serde_json::to_vec(&user_event("user.created", ID, 1, "alice")).expect("json");
    let ts = now().to_string();

    let other_key = delivery::parse_secret("s", &delivery::format_secret(&[9u8; 32])).expect("secret");
    let forged = delivery::sign(&other_key, "msg_1", now(), &body);
    let (status, error) = service.post_hook(&body, [Some("msg_1"), Some(&ts), Some(&forged)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["error"], "invalid_signature");

    let key = delivery::parse_secret("s", SECRET).expect("secret");
    let tampered = delivery::sign(&key, "msg_1", now(), b"{}");
    assert_eq!(service.post_hook(&body, [Some("msg_1"), Some(&ts), Some(&tampered)]).await.0, StatusCode::UNAUTHORIZED);

    let (status, error) = service.post_hook(&body, [Some("msg_1"), Some(&ts), None]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["message"], "missing webhook-signature header");

    assert_eq!(service.get(&format!("/users/{ID}")).await.0, StatusCode::NOT_FOUND);
    let (_, stats) = service.get("/stats").await;
    assert_eq!(stats, json!({"received": 0, "applied": 0, "stale": 0, "rejected_signature": 3}));
}

#[tokio::test]
async fn an_old_timestamp_is_refused() {
    let service = Service::start().await;
    let event = user_event("user.created", ID, 1, "alice");
    let (status, error) = service.deliver_at(&event, now() - 301).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["error"], "invalid_timestamp");
    assert_eq!(service.deliver_at(&event, now() - 200).await.0, StatusCode::OK);
}

#[tokio::test]
async fn stale_versions_are_acknowledged_and_ignored() {
    let service = Service::start().await;
    assert_eq!(service.deliver(&user_event("user.created", ID, 3, "new")).await.1, json!({"applied": true}));
    for stale in [user_event("user.updated", ID, 2, "old"), user_event("user.roles_changed", ID, 3, "same")] {
        assert_eq!(service.deliver(&stale).await, (StatusCode::OK, json!({"applied": false})));
    }
    let (_, user) = service.get(&format!("/users/{ID}")).await;
    assert_eq!((&user["username"], &user["version"]), (&json!("new"), &json!(3)));

    for (event_type, version) in [("user.status_changed", 4), ("user.password_changed", 5), ("user.roles_changed", 6)] {
        assert_eq!(service.deliver(&user_event(event_type, ID, version, "newer")).await.1, json!({"applied": true}));
    }
    let (_, stats) = service.get("/stats").await;
    assert_eq!(stats, json!({"received": 6, "applied": 4, "stale": 2, "rejected_signature": 0}));
}

#[tokio::test]
async fn a_repair_overwrites_a_newer_copy() {
    let service = Service::start().await;
    service.deliver(&user_event("user.updated", ID, 9, "hand-edited")).await;
    let (status, body) = service.deliver(&repair(user_event("user.updated", ID, 4, "plat's"))).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"applied": true})));
    let (_, user) = service.get(&format!("/users/{ID}")).await;
    assert_eq!((&user["username"], &user["version"]), (&json!("plat's"), &json!(4)));
}

#[tokio::test]
async fn deletes_remove_the_user_unless_older() {
    let service = Service::start().await;
    service.deliver(&user_event("user.created", ID, 2, "alice")).await;
    assert_eq!(service.deliver(&user_event("user.deleted", ID, 1, "alice")).await.1, json!({"applied": false}));
    assert_eq!(service.get(&format!("/users/{ID}")).await.0, StatusCode::OK);
    assert_eq!(service.deliver(&user_event("user.deleted", ID, 3, "alice")).await.1, json!({"applied": true}));
    assert_eq!(service.get(&format!("/users/{ID}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(service.deliver(&user_event("user.deleted", ID, 4, "alice")).await.1, json!({"applied": false}));

    // A repair deletes an orphan whatever its version.
    service.deliver(&user_event("user.created", "orphan", 50, "orphan")).await;
    let (status, body) = service.deliver(&repair(user_event("user.deleted", "orphan", 1, "orphan"))).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"applied": true})));
    assert_eq!(service.get("/users/orphan").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn other_events_are_acknowledged_and_malformed_ones_refused() {
    let service = Service::start().await;
    let mut tenant = user_event("tenant.updated", "acme", 2, "x");
    tenant["aggregate"]["kind"] = json!("tenant");
    assert_eq!(service.deliver(&tenant).await, (StatusCode::OK, json!({"applied": false})));
    let mut ping = user_event("sync.ping", "ping", 0, "x");
    ping["aggregate"]["kind"] = json!("sync");
    assert_eq!(service.deliver(&ping).await, (StatusCode::OK, json!({"applied": false})));

    // Signed, but not an event.
    let body = br#"{"type": "user.created"}"#;
    let key = delivery::parse_secret("s", SECRET).expect("secret");
    let signature = delivery::sign(&key, "msg_2", now(), body);
    let (status, error) = service.post_hook(body, [Some("msg_2"), Some(&now().to_string()), Some(&signature)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"], "bad_request");

    // Over the body limit (checked before the signature).
    let huge = vec![b' '; profile_service::MAX_BODY_BYTES + 1];
    assert_eq!(service.post_hook(&huge, [None, None, None]).await.0, StatusCode::PAYLOAD_TOO_LARGE);

    // A snapshot without profile fields still applies.
    let mut sparse = user_event("user.created", ID, 1, "sparse");
    sparse["data"] = json!({"username": "sparse"});
    assert_eq!(service.deliver(&sparse).await.1, json!({"applied": true}));
    let (_, user) = service.get(&format!("/users/{ID}")).await;
    assert_eq!((&user["username"], &user["tenant"], &user["nickname"]), (&json!("sparse"), &json!("acme"), &json!("")));
    assert_eq!(user["roles"], json!([]));
}

#[tokio::test]
async fn a_batch_is_applied_in_one_go_and_each_event_guarded_by_its_version() {
    let service = Service::start().await;
    const OTHER: &str = "0193a7c2-7e1a-7c3e-9f00-000000000002";
    service.deliver(&user_event("user.created", OTHER, 5, "bob")).await;
    // plat batches one event per user; an older bob is acknowledged and ignored.
    let mut ping = user_event("sync.ping", "t", 0, "t");
    ping["aggregate"]["kind"] = json!("sync-target");
    let batch = json!([
        user_event("user.created", ID, 1, "alice"),
        user_event("user.updated", OTHER, 4, "bobby"),
        user_event("user.login", ID, 1, "alice"),
        ping,
    ]);
    let (status, body) = service.deliver(&batch).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"applied": 1, "events": 4})));
    assert_eq!(service.get(&format!("/users/{ID}")).await.1["username"], "alice");
    assert_eq!(service.get(&format!("/users/{OTHER}")).await.1["username"], "bob");
    let (_, stats) = service.get("/stats").await;
    assert_eq!(stats, json!({"received": 2, "applied": 2, "stale": 1, "rejected_signature": 0}));
    // A batch that is not a list of events is refused whole.
    let (status, _) = service.deliver(&json!([user_event("user.created", ID, 2, "alice"), {"not": "an event"}])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(service.get(&format!("/users/{ID}")).await.1["version"], 1);
}
