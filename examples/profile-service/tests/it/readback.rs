//! The read-back protocol: digests and record listings, checked against the
//! vectors of docs/read-back.md, and only for requests signed with the
//! webhook secret.

use axum::http::StatusCode;
use plat_domain::delivery;
use serde_json::{Value, json};

use crate::{SECRET, Service, now, user_event};

/// The four records of docs/read-back.md.
const RECORDS: &[(&str, u64)] = &[
    ("0193a7c2-7e1a-7c3e-9f00-000000000001", 1),
    ("0193a7c2-7e1a-7c3e-9f00-000000000002", 7),
    ("0193a7c2-7e1a-7c3e-9f00-000000000003", 2),
    ("alice", 3),
];

async fn with_documented_records() -> Service {
    let service = Service::start().await;
    for (id, version) in RECORDS {
        let (status, body) = service.deliver(&user_event("user.created", id, *version, id)).await;
        assert_eq!((status, body), (StatusCode::OK, json!({"applied": true})), "{id}");
    }
    service
}

fn records(ids: &[usize]) -> Value {
    ids.iter().map(|i| json!({"id": RECORDS[*i].0, "version": RECORDS[*i].1})).collect()
}

#[tokio::test]
async fn the_digest_matches_the_documented_table() {
    let service = with_documented_records().await;
    let (status, digest) = service.read_back("/sync/digest?kind=user&buckets=4").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        digest,
        json!({"kind": "user", "buckets": [
            {"bucket": 0, "count": 1, "hash": "b4e73aedec5136e861b7e370596c9fae2e01a2b6bafd6544bdb783a88717a252"},
            {"bucket": 1, "count": 1, "hash": "6c65b63ee1b889da2df03a220ca1488ba98ceaf8d51e6441119c10c206f05542"},
            {"bucket": 2, "count": 0, "hash": "0000000000000000000000000000000000000000000000000000000000000000"},
            {"bucket": 3, "count": 2, "hash": "ee50a0e368c27fe6de4de8f517d48c1269d84cdcb62bc6f331d26153fbe28cf7"},
        ]})
    );
    let (_, wide) = service.read_back("/sync/digest?kind=user&buckets=1024").await;
    let buckets = wide["buckets"].as_array().expect("buckets");
    assert_eq!(buckets.len(), 1024);
    assert_eq!(buckets[444]["count"], 1);
    assert_eq!(buckets[444]["hash"], "b4e73aedec5136e861b7e370596c9fae2e01a2b6bafd6544bdb783a88717a252");
}

#[tokio::test]
async fn a_hand_edit_of_the_file_shows_in_the_digest() {
    let service = with_documented_records().await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", service.database().display())).await.expect("open");
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&pool).await.expect("pragma");
    assert_eq!(mode, "wal");
    sqlx::query("UPDATE users SET version = 4 WHERE id = 'alice'").execute(&pool).await.expect("edit");
    sqlx::query("INSERT INTO users (id, version) VALUES ('orphan', 1)").execute(&pool).await.expect("insert");
    pool.close().await;

    let (_, digest) = service.read_back("/sync/digest?kind=user&buckets=4").await;
    let counts: Vec<&Value> = digest["buckets"].as_array().expect("buckets").iter().map(|b| &b["count"]).collect();
    assert_eq!(counts.iter().map(|c| c.as_u64().unwrap_or(99)).sum::<u64>(), 5);
    assert_ne!(digest["buckets"][3]["hash"], "ee50a0e368c27fe6de4de8f517d48c1269d84cdcb62bc6f331d26153fbe28cf7");
    let (status, orphan) = service.get("/users/orphan").await;
    assert_eq!((status, &orphan["roles"], &orphan["username"]), (StatusCode::OK, &json!([]), &json!("")));
}

#[tokio::test]
async fn records_are_listed_by_bucket() {
    let service = with_documented_records().await;
    let expected = [(0, records(&[0])), (1, records(&[1])), (2, records(&[])), (3, records(&[2, 3]))];
    for (bucket, items) in expected {
        let (status, body) = service.read_back(&format!("/sync/records?kind=user&bucket={bucket}&buckets=4")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, json!({"items": items, "next_cursor": null}), "bucket {bucket}");
    }
}

#[tokio::test]
async fn records_are_paged_by_cursor_in_id_order() {
    let service = with_documented_records().await;
    let (_, first) = service.read_back("/sync/records?kind=user&limit=3").await;
    assert_eq!(first, json!({"items": records(&[0, 1, 2]), "next_cursor": RECORDS[2].0}));
    let (_, last) = service.read_back(&format!("/sync/records?kind=user&limit=3&cursor={}", RECORDS[2].0)).await;
    assert_eq!(last, json!({"items": records(&[3]), "next_cursor": null}));

    let (_, exact) = service.read_back(&format!("/sync/records?kind=user&limit=2&cursor={}", RECORDS[1].0)).await;
    assert_eq!(exact, json!({"items": records(&[2, 3]), "next_cursor": null}));
    let (_, all) = service.read_back("/sync/records?kind=user").await;
    assert_eq!(all, json!({"items": records(&[0, 1, 2, 3]), "next_cursor": null}));
}

#[tokio::test]
async fn bad_read_back_queries_are_refused() {
    let service = Service::start().await;
    for uri in [
        "/sync/digest?kind=user&buckets=0",
        "/sync/digest?kind=user&buckets=65537",
        "/sync/digest?kind=user&buckets=many",
        "/sync/digest?kind=user",
        "/sync/digest?kind=tenant&buckets=4",
        "/sync/digest?buckets=4",
        "/sync/records?kind=user&bucket=4&buckets=4",
        "/sync/records?kind=user&bucket=1",
        "/sync/records?kind=user&bucket=1&buckets=4&cursor=a",
        "/sync/records?kind=user&limit=0",
        "/sync/records?kind=role",
    ] {
        let (status, body) = service.read_back(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(body["error"], "bad_request", "{uri}");
    }
    let (status, digest) = service.read_back("/sync/digest?kind=user&buckets=65536").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(digest["buckets"].as_array().map(Vec::len), Some(65536));
}

#[tokio::test]
async fn a_signed_read_back_request_is_answered_on_both_paths() {
    let service = with_documented_records().await;
    for uri in ["/sync/digest?kind=user&buckets=4", "/hooks/sync/digest?kind=user&buckets=4"] {
        let (status, digest) = service.read_back(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {digest}");
        assert_eq!(digest["buckets"][3]["count"], 2, "{uri}");
    }
    for uri in ["/sync/records?kind=user&limit=2", "/hooks/sync/records?kind=user&bucket=3&buckets=4"] {
        let (status, records) = service.read_back(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {records}");
        assert_eq!(records["items"].as_array().map(Vec::len), Some(2), "{uri}");
    }
    // A signature a little old (or from a clock a little ahead) is within tolerance.
    assert_eq!(service.read_back_at("/sync/digest?kind=user&buckets=4", now() - 200).await.0, StatusCode::OK);
    assert_eq!(service.read_back_at("/sync/digest?kind=user&buckets=4", now() + 200).await.0, StatusCode::OK);
}

#[tokio::test]
async fn an_unsigned_read_back_request_is_refused() {
    let service = with_documented_records().await;
    for uri in [
        "/sync/digest?kind=user&buckets=4",
        "/sync/records?kind=user&limit=10",
        "/hooks/sync/digest?kind=user&buckets=4",
        "/hooks/sync/records?kind=user&bucket=0&buckets=4",
        // Refused before the query is looked at.
        "/sync/digest?kind=tenant",
    ] {
        let (status, error) = service.get(uri).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(error, json!({"error": "invalid_signature", "message": "missing webhook-id header"}), "{uri}");
    }
    let ts = now().to_string();
    let (status, error) = service.get_with("/sync/digest?kind=user&buckets=4", [Some("rb_1"), Some(&ts), None]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["message"], "missing webhook-signature header");
}

#[tokio::test]
async fn a_wrongly_signed_read_back_request_is_refused() {
    let service = with_documented_records().await;
    let uri = "/sync/records?kind=user&limit=10";
    let ts = now();
    let key = delivery::parse_secret("s", SECRET).expect("secret");
    let other_key = delivery::parse_secret("s", &delivery::format_secret(&[9u8; 32])).expect("secret");
    let wrong = [
        ("another secret", delivery::sign(&other_key, "rb_1", ts, &delivery::read_back_payload("GET", uri))),
        (
            "another query",
            delivery::sign(&key, "rb_1", ts, &delivery::read_back_payload("GET", "/sync/records?kind=user&limit=11")),
        ),
        ("another path", delivery::sign(&key, "rb_1", ts, &delivery::read_back_payload("GET", "/hooks/sync/records"))),
        ("another method", delivery::sign(&key, "rb_1", ts, &delivery::read_back_payload("POST", uri))),
        ("another id", delivery::sign(&key, "rb_2", ts, &delivery::read_back_payload("GET", uri))),
        ("an empty body", delivery::sign(&key, "rb_1", ts, b"")),
        ("not base64", "v1,!!!".to_owned()),
    ];
    for (what, signature) in wrong {
        let (status, error) = service.get_with(uri, [Some("rb_1"), Some(&ts.to_string()), Some(&signature)]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(error, json!({"error": "invalid_signature", "message": "no webhook-signature matches"}), "{what}");
    }
    // The right signature at another timestamp does not match either.
    let signature = delivery::sign(&key, "rb_1", ts, &delivery::read_back_payload("GET", uri));
    let (status, _) = service.get_with(uri, [Some("rb_1"), Some(&(ts - 1).to_string()), Some(&signature)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = service.get_with(uri, [Some("rb_1"), Some(&ts.to_string()), Some(&signature)]).await;
    assert_eq!(status, StatusCode::OK, "the same headers, right");
}

#[tokio::test]
async fn a_stale_read_back_request_is_refused() {
    let service = with_documented_records().await;
    let uri = "/hooks/sync/digest?kind=user&buckets=4";
    for timestamp in [now() - 301, now() + 301, now() - 86_400] {
        let (status, error) = service.read_back_at(uri, timestamp).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{timestamp}");
        assert_eq!(
            error,
            json!({"error": "invalid_timestamp", "message": "webhook-timestamp is too far from now"}),
            "{timestamp}"
        );
    }
    let (status, error) = service.get_with(uri, [Some("rb_1"), Some("yesterday"), Some("v1,AAAA")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["error"], "invalid_timestamp");
}

/// The digest streams a large table quickly. Run with
/// `cargo test -p profile-service --release -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "a timing run over a million rows"]
async fn digest_of_a_million_users() {
    let service = Service::start().await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", service.database().display())).await.expect("open");
    let started = std::time::Instant::now();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
         INSERT INTO users (id, tenant, username, email, status, bio, version)
         SELECT printf('0193a7c2-7e1a-7c3e-9f00-%012d', i), 'acme', 'user' || i, 'user' || i || '@example.com',
                'active', 'a bio of some length, as profiles have', i % 17 + 1 FROM n",
    )
    .execute(&pool)
    .await
    .expect("fill");
    let plan: Vec<(i64, i64, i64, String)> =
        sqlx::query_as("EXPLAIN QUERY PLAN SELECT id, version FROM users").fetch_all(&pool).await.expect("plan");
    pool.close().await;
    println!("filled in {:?}; plan {plan:?}", started.elapsed());

    for buckets in [1024, 65536] {
        let started = std::time::Instant::now();
        let (status, digest) = service.read_back(&format!("/sync/digest?kind=user&buckets={buckets}")).await;
        assert_eq!(status, axum::http::StatusCode::OK);
        let total: u64 =
            digest["buckets"].as_array().expect("buckets").iter().filter_map(|b| b["count"].as_u64()).sum();
        assert_eq!(total, 1_000_000);
        println!("digest of 1M users over {buckets} buckets in {:?}", started.elapsed());
    }
    let started = std::time::Instant::now();
    let (_, bucket) = service.read_back("/sync/records?kind=user&bucket=7&buckets=1024").await;
    println!("{} records of one bucket in {:?}", bucket["items"].as_array().map_or(0, Vec::len), started.elapsed());
}
