//! Sessions (docs/sessions.md): listed with the one asking marked, ended one
//! by one, all but this one, or all of a user's by an admin; an ended
//! session's refresh token fails at once and its access tokens turn
//! inactive, on every replica within the revocation poll; lifetimes per
//! tenant; events.

use std::time::{Duration, Instant};

use plat_client::Client;
use plat_proto::*;
use plat_store::parse_rfc3339_ms;

use crate::api::{code, new_user, tenant};
use crate::both;

/// A logged-in client of `alice@acme` with its pair.
async fn alice(p: &crate::harness::Platd) -> (Client, TokenPair) {
    let pair = p.client.login("acme", "alice", "alice-password").await.expect("alice login");
    (p.client.clone().with_token(pair.access_token.clone()), pair)
}

async fn claims(admin: &Client, token: &str) -> VerifyResponse {
    admin.verify(token).await.expect("verify")
}

fn ms(text: &str) -> i64 {
    parse_rfc3339_ms(text).expect("an RFC 3339 time")
}

both!(sessions_are_listed_and_ended, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    let user = acme.create_user(&new_user("alice")).await.expect("alice");
    let (first, first_pair) = alice(&p).await;
    let (_, second_pair) = alice(&p).await;

    // Tokens name their session and how it began.
    let first_claims = claims(&p.admin, &first_pair.access_token).await.claims.expect("active");
    let sid = first_claims.sid.clone().expect("a sid");
    assert_eq!(first_claims.amr.as_deref(), Some(&["pwd".to_owned()][..]));
    let second_sid = claims(&p.admin, &second_pair.access_token).await.claims.and_then(|c| c.sid).expect("sid");
    assert_ne!(sid, second_sid);

    let listed = first.sessions().await.expect("list").items;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].id, second_sid, "newest first");
    let current: Vec<&Session> = listed.iter().filter(|s| s.current).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].id, sid);
    assert_eq!(current[0].user_id, user.id);
    assert_eq!(current[0].ip.as_deref(), Some("127.0.0.1"));
    assert!(current[0].user_agent.as_deref().is_some_and(|ua| ua.starts_with("plat-client/")));

    // Ending the other one: its refresh token fails, its access token is inactive.
    let ended = first.end_session(&second_sid).await.expect("end");
    assert_eq!(ended.ended_reason.as_deref(), Some("ended"));
    assert_eq!(code(p.client.refresh(&second_pair.refresh_token).await), ErrorCode::InvalidToken);
    let answer = claims(&p.admin, &second_pair.access_token).await;
    assert!(!answer.active);
    assert!(answer.reason.as_deref().is_some_and(|r| r.contains("session")), "{answer:?}");
    // The caller's own session goes on; ending the ended one again is 404.
    assert!(claims(&p.admin, &first_pair.access_token).await.active);
    assert_eq!(code(first.end_session(&second_sid).await), ErrorCode::NotFound);
    assert_eq!(first.sessions().await.expect("list").items.len(), 1);

    // All but this one.
    alice(&p).await;
    alice(&p).await;
    assert_eq!(first.end_other_sessions().await.expect("others").revoked, 2);
    let left = first.sessions().await.expect("list").items;
    assert_eq!(left.iter().map(|s| (s.id.as_str(), s.current)).collect::<Vec<_>>(), vec![(sid.as_str(), true)]);

    // Another person's session is not the caller's to end.
    acme.create_user(&new_user("bob")).await.expect("bob");
    let bob_pair = p.client.login("acme", "bob", "bob-password").await.expect("bob login");
    let bob = p.client.clone().with_token(bob_pair.access_token);
    assert_eq!(code(bob.end_session(&sid).await), ErrorCode::NotFound);
    assert_eq!(code(bob.user_sessions("alice").await), ErrorCode::PermissionDenied);

    // An admin sees and ends a user's sessions.
    let seen = acme.user_sessions("alice").await.expect("admin list").items;
    assert_eq!(seen.len(), 1);
    assert!(!seen[0].current, "not the admin's session");
    assert_eq!(acme.end_user_sessions("alice").await.expect("admin end").revoked, 1);
    assert!(!claims(&p.admin, &first_pair.access_token).await.active);
    assert_eq!(code(p.client.refresh(&first_pair.refresh_token).await), ErrorCode::InvalidToken);

    // Purging forgets ended sessions and keeps live ones.
    p.state().store.purge_expired().await.expect("purge");
    assert_eq!(bob.sessions().await.expect("bob's").items.len(), 1);

    // Service tokens have no sessions.
    let sa = acme
        .create_service_account(&CreateServiceAccount { name: "svc".into(), ..Default::default() })
        .await
        .expect("account");
    let token = p.client.client_credentials(&sa.account.client_id, &sa.client_secret, None).await.expect("sa token");
    let service = p.client.clone().with_token(token.access_token);
    assert_eq!(code(service.sessions().await), ErrorCode::InvalidRequest);

    // Each session began and ended as an event of its own.
    let events = |t: &str| EventQuery { event_type: Some(t.into()), ..Default::default() };
    let started = acme.list_events(&events("session.started")).await.expect("events");
    assert_eq!(started.total, 5, "alice's four logins and bob's");
    let ended = acme.list_events(&events("session.ended")).await.expect("events").items;
    assert_eq!(ended.len(), 4);
    let reasons: Vec<&str> = ended.iter().filter_map(|e| e.data["ended_reason"].as_str()).collect();
    assert!(reasons.contains(&"admin") && reasons.contains(&"ended"), "{reasons:?}");
    assert!(ended.iter().all(|e| e.aggregate.kind == "session" && e.aggregate.version == 2));
});

both!(lifetimes_are_the_tenants_and_refresh_keeps_the_session, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    acme.create_user(&new_user("alice")).await.expect("alice");
    // Bounded settings, named by field.
    let bad = UpdateTenant {
        security: Some(TenantSecurity {
            session_idle: Some("10s".into()),
            session_lifetime: None,
            ..Default::default()
        }),
        ..UpdateTenant::default()
    };
    assert_eq!(code(acme.update_tenant("acme", &bad).await), ErrorCode::ValidationError);
    let set = UpdateTenant {
        security: Some(TenantSecurity {
            session_idle: Some("2h".into()),
            session_lifetime: Some("1d".into()),
            ..Default::default()
        }),
        ..UpdateTenant::default()
    };
    let updated = acme.update_tenant("acme", &set).await.expect("security");
    assert_eq!(updated.security.session_idle.as_deref(), Some("2h"));
    // A patch changes only what it names; "" restores the default.
    let patch = UpdateTenant {
        security: Some(TenantSecurity {
            session_idle: None,
            session_lifetime: Some(String::new()),
            ..Default::default()
        }),
        ..UpdateTenant::default()
    };
    let patched = acme.update_tenant("acme", &patch).await.expect("patch");
    assert_eq!(
        patched.security,
        TenantSecurity { session_idle: Some("2h".into()), session_lifetime: None, ..Default::default() }
    );
    acme.update_tenant("acme", &set).await.expect("security");

    let (client, pair) = alice(&p).await;
    let session = client.sessions().await.expect("list").items.remove(0);
    let created = ms(&session.created_at);
    assert_eq!(ms(&session.expires_at) - created, 86_400_000);
    assert_eq!(ms(&session.idle_expires_at) - ms(&session.last_active_at), 7_200_000);

    // A refresh continues the session: same sid, one session, still current.
    let next = p.client.refresh(&pair.refresh_token).await.expect("refresh");
    let sid = claims(&p.admin, &next.access_token).await.claims.and_then(|c| c.sid);
    assert_eq!(sid.as_deref(), Some(session.id.as_str()));
    let again = p.client.clone().with_token(next.access_token.clone()).sessions().await.expect("list").items;
    assert_eq!(again.len(), 1);
    assert!(again[0].current);
    assert!(ms(&again[0].last_active_at) >= ms(&session.last_active_at));

    // Spending a refresh token twice ends its session: every token of it stops.
    assert_eq!(code(p.client.refresh(&pair.refresh_token).await), ErrorCode::InvalidToken);
    assert!(!claims(&p.admin, &next.access_token).await.active);
    assert_eq!(code(p.client.refresh(&next.refresh_token).await), ErrorCode::InvalidToken);
    assert!(client.clone().with_token(next.access_token).sessions().await.is_err());

    // Logging out ends the session too.
    let (client, pair) = alice(&p).await;
    client.logout(&pair.refresh_token).await.expect("logout");
    assert!(!claims(&p.admin, &pair.access_token).await.active);
    let ended = p
        .admin
        .list_events(&EventQuery { event_type: Some("session.ended".into()), ..Default::default() })
        .await
        .expect("events")
        .items;
    let reasons: Vec<&str> = ended.iter().filter_map(|e| e.data["ended_reason"].as_str()).collect();
    assert!(reasons.contains(&"reuse") && reasons.contains(&"logout"), "{reasons:?}");
});

both!(an_ended_session_is_refused_by_every_replica, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    acme.create_user(&new_user("alice")).await.expect("alice");
    let other = crate::harness::join(&p).await;
    let (client, pair) = alice(&p).await;
    let on_other = other.client.clone().with_token(pair.access_token.clone());
    on_other.whoami().await.expect("the other replica takes the token");
    let sid = claims(&p.admin, &pair.access_token).await.claims.and_then(|c| c.sid).expect("sid");
    client.end_session(&sid).await.expect("end");
    // The other replica pulls revocations every 2 s (`spawn_upkeep`).
    let start = Instant::now();
    while on_other.whoami().await.is_ok() {
        assert!(start.elapsed() < Duration::from_secs(6), "the other replica still honours an ended session");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(code(on_other.whoami().await), ErrorCode::InvalidToken);
    other.stop().await;
});

both!(a_password_change_may_keep_the_session_it_came_from, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    acme.create_user(&new_user("alice")).await.expect("alice");
    let (here, here_pair) = alice(&p).await;
    let (_, there_pair) = alice(&p).await;
    assert_eq!(claims(&p.admin, &here_pair.access_token).await.claims.and_then(|c| c.acr).as_deref(), Some("1"));

    // An admin cannot keep a session of someone else's.
    let keep = |password: &str| SetPassword { password: password.into(), keep_session: Some(true) };
    let refused = acme.set_password_with("alice", &keep("admin-chose-1")).await;
    assert_eq!(code(refused), ErrorCode::ValidationError);
    assert!(claims(&p.admin, &there_pair.access_token).await.active, "a refused change ends nothing");

    // Alice changes hers from one session: that one goes on, the other ends.
    here.set_password_with("alice", &keep("alice-new-password")).await.expect("own password");
    assert!(claims(&p.admin, &here_pair.access_token).await.active, "this session's token");
    here.sessions().await.expect("still signed in");
    p.client.refresh(&here_pair.refresh_token).await.expect("this session refreshes");
    assert!(!claims(&p.admin, &there_pair.access_token).await.active, "the other session's token");
    assert_eq!(code(p.client.refresh(&there_pair.refresh_token).await), ErrorCode::InvalidToken);
    assert_eq!(code(p.client.login("acme", "alice", "alice-password").await), ErrorCode::InvalidCredentials);
    p.client.login("acme", "alice", "alice-new-password").await.expect("the new password");

    // Without the flag, every session ends, the caller's too.
    let (here, here_pair) = {
        let pair = p.client.login("acme", "alice", "alice-new-password").await.expect("login");
        (p.client.clone().with_token(pair.access_token.clone()), pair)
    };
    here.set_password("alice", "alice-third-password").await.expect("own password");
    assert!(!claims(&p.admin, &here_pair.access_token).await.active);
});
