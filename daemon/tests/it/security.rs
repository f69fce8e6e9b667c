//! Authentication and isolation: lockout, refresh reuse, JWT attacks, tenant
//! walls, revocation, rate limits, bootstrap.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use plat_proto::*;

use crate::api::{code, new_user, tenant};
use crate::both;

both!(lockout_after_five_failures_and_unlock, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    acme.create_user(&new_user("dave")).await.expect("user");
    for _ in 0..5 {
        assert_eq!(code(p.client.login("acme", "dave", "wrong-password").await), ErrorCode::InvalidCredentials);
    }
    assert_eq!(code(p.client.login("acme", "dave", "dave-password").await), ErrorCode::AccountLocked);
    assert_eq!(acme.get_user("dave").await.expect("get").status, "locked");
    let locked =
        acme.list_users(&UserListQuery { status: Some("locked".into()), ..Default::default() }).await.expect("list");
    assert_eq!(locked.total, 1);
    acme.unlock_user("dave").await.expect("unlock");
    let pair = p.client.login("acme", "dave@example.test", "dave-password").await.expect("login by email");
    assert!(pair.expires_in > 0);
    let dave = acme.get_user("dave").await.expect("get");
    assert_eq!((dave.status.as_str(), dave.stats.login_count), ("active", 1));
    let audit = p
        .admin
        .list_audit(&AuditQuery { action: Some("auth.lockout".into()), ..Default::default() })
        .await
        .expect("audit");
    assert_eq!(audit.total, 1);
});

both!(refresh_rotation_and_reuse_revokes_the_family, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    acme.create_user(&new_user("erin")).await.expect("user");
    let first = p.client.login("acme", "erin", "erin-password").await.expect("login");
    let second = p.client.refresh(&first.refresh_token).await.expect("refresh");
    assert_ne!(second.refresh_token, first.refresh_token);
    // Replaying the spent token revokes the whole family, including `second`.
    assert_eq!(code(p.client.refresh(&first.refresh_token).await), ErrorCode::InvalidToken);
    assert_eq!(code(p.client.refresh(&second.refresh_token).await), ErrorCode::InvalidToken);
    // Logout ends one session; logout-all ends every session and access token.
    let a = p.client.login("acme", "erin", "erin-password").await.expect("login a");
    let b = p.client.login("acme", "erin", "erin-password").await.expect("login b");
    let as_erin = p.client.clone().with_token(a.access_token.clone());
    as_erin.logout(&a.refresh_token).await.expect("logout");
    assert_eq!(code(p.client.refresh(&a.refresh_token).await), ErrorCode::InvalidToken);
    let b2 = p.client.refresh(&b.refresh_token).await.expect("other session lives");
    let as_erin_b = p.client.clone().with_token(b2.access_token.clone());
    as_erin_b.logout_all().await.expect("logout-all");
    assert_eq!(code(p.client.refresh(&b2.refresh_token).await), ErrorCode::InvalidToken);
    assert_eq!(code(as_erin_b.whoami().await), ErrorCode::InvalidToken);
    // A fresh login right after still works.
    p.login("acme", "erin", "erin-password").await.whoami().await.expect("fresh login");
});

fn forge(header: serde_json::Value, claims: &serde_json::Value, signature: &[u8]) -> String {
    format!("{}.{}.{}", B64.encode(header.to_string()), B64.encode(claims.to_string()), B64.encode(signature))
}

both!(jwt_attacks_are_rejected, &[], |p| {
    let state = p.state();
    let token = p.admin.token().expect("token").to_owned();
    let parts: Vec<&str> = token.split('.').collect();
    let header: serde_json::Value = serde_json::from_slice(&B64.decode(parts[0]).expect("b64")).expect("json");
    let claims: serde_json::Value = serde_json::from_slice(&B64.decode(parts[1]).expect("b64")).expect("json");
    let kid = header["kid"].as_str().expect("kid").to_owned();
    let attempt = |t: String| {
        let c = p.client.clone().with_token(t);
        async move { code(c.whoami().await) }
    };
    // alg none, no signature.
    assert_eq!(
        attempt(forge(serde_json::json!({"alg": "none", "typ": "JWT", "kid": kid}), &claims, b"")).await,
        ErrorCode::InvalidToken
    );
    // HS256 keyed with the public key (algorithm confusion).
    let public = state.auth.keys.jwks().keys[0].x.clone();
    let hs_header = serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": kid});
    let signing_input = format!("{}.{}", B64.encode(hs_header.to_string()), B64.encode(claims.to_string()));
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, public.as_bytes());
    let tag = aws_lc_rs::hmac::sign(&key, signing_input.as_bytes());
    assert_eq!(attempt(format!("{signing_input}.{}", B64.encode(tag.as_ref()))).await, ErrorCode::InvalidToken);
    // Unknown kid.
    let other_header = serde_json::json!({"alg": "EdDSA", "typ": "JWT", "kid": "nope"});
    assert_eq!(
        attempt(format!("{}.{}.{}", B64.encode(other_header.to_string()), parts[1], parts[2])).await,
        ErrorCode::InvalidToken
    );
    // Tampered payload: make ourselves someone else.
    let mut evil = claims.clone();
    evil["tenant"] = "acme".into();
    assert_eq!(
        attempt(format!("{}.{}.{}", parts[0], B64.encode(evil.to_string()), parts[2])).await,
        ErrorCode::InvalidToken
    );
    // Expired, wrong audience, wrong issuer: genuinely signed by our key.
    let mut base: Claims = serde_json::from_value(claims.clone()).expect("claims");
    let now = plat_store::now_ms() / 1000;
    let mut expired = base.clone();
    (expired.iat, expired.nbf, expired.exp) = (now - 7200, now - 7200, now - 3600);
    assert_eq!(attempt(state.auth.keys.sign(&expired).expect("sign")).await, ErrorCode::TokenExpired);
    let mut wrong_aud = base.clone();
    wrong_aud.aud = "someone-else".into();
    assert_eq!(attempt(state.auth.keys.sign(&wrong_aud).expect("sign")).await, ErrorCode::InvalidToken);
    base.iss = "evil".into();
    assert_eq!(attempt(state.auth.keys.sign(&base).expect("sign")).await, ErrorCode::InvalidToken);
    // Garbage.
    assert_eq!(attempt("not.a.jwt".into()).await, ErrorCode::InvalidToken);
    assert_eq!(attempt("".into()).await, ErrorCode::Unauthorized);
});

both!(tenant_admins_never_see_other_tenants, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    let globex = tenant(&p.admin, "globex", None).await;
    let mut boss = new_user("boss");
    boss.roles = Some(vec!["tenant-admin".into()]);
    acme.create_user(&boss).await.expect("acme admin");
    let hidden = globex.create_user(&new_user("gina")).await.expect("globex user");
    globex
        .create_role(&CreateRole {
            name: "secret".into(),
            description: None,
            permissions: vec!["x:y".into()],
            conditions: vec![],
        })
        .await
        .expect("role");
    let boss = p.login("acme", "boss", "boss-password").await;
    // Own tenant works.
    boss.create_user(&new_user("alice")).await.expect("own tenant");
    assert_eq!(boss.list_users(&UserListQuery::default()).await.expect("list").total, 2);
    // Other tenants look missing, never forbidden.
    let cross = boss.clone().with_tenant("globex");
    assert_eq!(code(cross.list_users(&UserListQuery::default()).await), ErrorCode::TenantNotFound);
    assert_eq!(code(cross.get_user("gina").await), ErrorCode::TenantNotFound);
    assert_eq!(code(cross.create_user(&new_user("mole")).await), ErrorCode::TenantNotFound);
    assert_eq!(code(cross.list_roles().await), ErrorCode::TenantNotFound);
    assert_eq!(code(boss.get_tenant("globex").await), ErrorCode::TenantNotFound);
    assert_eq!(code(boss.get_user(&hidden.id).await), ErrorCode::UserNotFound);
    assert_eq!(code(boss.get_role("secret").await), ErrorCode::RoleNotFound);
    let tenants = boss.list_tenants(None, None).await.expect("tenants");
    assert_eq!(tenants.items.iter().map(|t| t.slug.as_str()).collect::<Vec<_>>(), ["acme"]);
    let events = boss.list_events(&EventQuery { limit: Some(500), ..Default::default() }).await.expect("events");
    assert!(events.items.iter().all(|e| e.tenant == "acme"));
    let audit = boss.list_audit(&AuditQuery { limit: Some(500), ..Default::default() }).await.expect("audit");
    assert!(audit.items.iter().all(|a| a.tenant.as_deref() == Some("acme")));
    // Platform-wide actions are refused.
    assert_eq!(
        code(boss.create_tenant(&CreateTenant { slug: "mine".into(), name: None, quotas: None }).await),
        ErrorCode::PermissionDenied
    );
    assert_eq!(code(boss.suspend_tenant("acme").await), ErrorCode::PermissionDenied);
    assert_eq!(
        code(
            boss.update_tenant(
                "acme",
                &UpdateTenant { name: None, quotas: Some(Quotas { max_users: None }), security: None }
            )
            .await
        ),
        ErrorCode::PermissionDenied
    );
    assert_eq!(code(boss.rotate_keys().await), ErrorCode::PermissionDenied);
    assert_eq!(code(boss.grant_role("alice", "platform-admin").await), ErrorCode::PermissionDenied);
    assert!(boss.health().await.expect("health").counts.is_empty());
});

both!(members_read_and_update_only_themselves, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    acme.create_user(&new_user("mia")).await.expect("mia");
    acme.create_user(&new_user("ned")).await.expect("ned");
    let mia = p.login("acme", "mia", "mia-password").await;
    assert_eq!(mia.list_users(&UserListQuery::default()).await.expect("directory").total, 2);
    let me = mia
        .update_user(
            "mia",
            &UpdateUser { email: None, profile: Some(ProfilePatch { bio: Some("me".into()), ..Default::default() }) },
        )
        .await
        .expect("self update");
    assert_eq!(me.profile.bio, "me");
    assert_eq!(code(mia.update_user("ned", &UpdateUser::default()).await), ErrorCode::PermissionDenied);
    assert_eq!(code(mia.create_user(&new_user("x")).await), ErrorCode::PermissionDenied);
    assert_eq!(code(mia.delete_user("ned", false).await), ErrorCode::PermissionDenied);
    assert_eq!(code(mia.list_audit(&AuditQuery::default()).await), ErrorCode::PermissionDenied);
    mia.set_password("mia", "new-mia-password").await.expect("own password");
    // Changing the password ended her sessions.
    assert_eq!(code(mia.whoami().await), ErrorCode::InvalidToken);
    p.login("acme", "mia", "new-mia-password").await;
});

both!(service_accounts_grant_verify_and_revoke, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    let created = acme
        .create_service_account(&CreateServiceAccount {
            name: "billing".into(),
            description: None,
            roles: vec!["viewer".into()],
            ..Default::default()
        })
        .await
        .expect("service account");
    assert!(created.client_secret.starts_with("plsk_"));
    assert_eq!(
        code(
            acme.create_service_account(&CreateServiceAccount {
                name: "billing".into(),
                description: None,
                roles: vec![],
                ..Default::default()
            })
            .await
        ),
        ErrorCode::Conflict
    );
    assert!(acme.list_service_accounts().await.expect("list").iter().all(|a| a.client_id == created.account.client_id));
    let grant =
        p.client.client_credentials(&created.account.client_id, &created.client_secret, None).await.expect("grant");
    assert_eq!(
        code(p.client.client_credentials(&created.account.client_id, "plsk_wrong", None).await),
        ErrorCode::InvalidCredentials
    );
    let service = p.client.clone().with_token(grant.access_token.clone());
    let me = service.whoami().await.expect("whoami");
    assert_eq!((me.typ, me.username.as_str(), me.tenant.as_str()), (TokenType::Service, "billing", "acme"));
    service.list_users(&UserListQuery::default()).await.expect("viewer reads");
    assert_eq!(code(service.create_user(&new_user("x")).await), ErrorCode::PermissionDenied);
    let verified = service.verify(&grant.access_token).await.expect("verify");
    assert!(verified.active);
    assert_eq!(verified.claims.expect("claims").typ, TokenType::Service);
    // Scoped tokens are narrower than their roles.
    let scoped = p
        .client
        .client_credentials(&created.account.client_id, &created.client_secret, Some("events:read"))
        .await
        .expect("scoped");
    let scoped = p.client.clone().with_token(scoped.access_token);
    scoped.list_events(&EventQuery::default()).await.expect("in scope");
    assert_eq!(code(scoped.list_users(&UserListQuery::default()).await), ErrorCode::PermissionDenied);
    // Revocation, suspension and deletion all make tokens inactive.
    acme.revoke(&RevokeRequest { token: Some(grant.access_token.clone()), ..Default::default() })
        .await
        .expect("revoke");
    let after = p.admin.verify(&grant.access_token).await.expect("verify");
    assert!(!after.active);
    assert!(after.reason.expect("reason").contains("revoked"));
    let second =
        p.client.client_credentials(&created.account.client_id, &created.client_secret, None).await.expect("grant 2");
    p.admin.suspend_tenant("acme").await.expect("suspend");
    assert!(!p.admin.verify(&second.access_token).await.expect("verify").active);
    p.admin.resume_tenant("acme").await.expect("resume");
    let rotated = acme.rotate_service_account_secret("billing").await.expect("rotate");
    assert_eq!(
        code(p.client.client_credentials(&created.account.client_id, &created.client_secret, None).await),
        ErrorCode::InvalidCredentials
    );
    p.client.client_credentials(&created.account.client_id, &rotated.client_secret, None).await.expect("new secret");
    acme.delete_service_account("billing").await.expect("delete");
    assert!(!p.admin.verify(&second.access_token).await.expect("verify").active);
});

both!(admin_issued_tokens_and_disabled_users, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    acme.create_user(&new_user("olga")).await.expect("user");
    let issued = acme
        .issue_token(&IssueTokenRequest {
            user: Some("olga".into()),
            ttl: Some("5m".into()),
            scopes: vec!["self:*".into()],
            ..Default::default()
        })
        .await
        .expect("issue");
    assert_eq!(issued.expires_in, 300);
    let olga = p.client.clone().with_token(issued.access_token.clone());
    assert_eq!(olga.whoami().await.expect("whoami").username, "olga");
    assert_eq!(
        code(
            acme.issue_token(&IssueTokenRequest {
                user: Some("olga".into()),
                ttl: Some("400d".into()),
                ..Default::default()
            })
            .await
        ),
        ErrorCode::ValidationError
    );
    assert_eq!(code(acme.issue_token(&IssueTokenRequest::default()).await), ErrorCode::ValidationError);
    acme.disable_user("olga").await.expect("disable");
    let verdict = p.admin.verify(&issued.access_token).await.expect("verify");
    assert!(!verdict.active);
    assert_eq!(code(olga.whoami().await), ErrorCode::UserInactive);
    assert_eq!(code(p.client.login("acme", "olga", "olga-password").await), ErrorCode::UserInactive);
    assert!(
        p.admin
            .list_audit(&AuditQuery { action: Some("token.issue".into()), ..Default::default() })
            .await
            .expect("audit")
            .total
            >= 1
    );
});

both!(key_rotation_keeps_old_tokens_valid, &[], |p| {
    let before = p.admin.keys().await.expect("keys");
    assert_eq!(before.len(), 1);
    let old_token = p.admin.clone();
    let rotated = p.admin.rotate_keys().await.expect("rotate");
    assert_ne!(rotated.kid, before[0].kid);
    let jwks = p.client.jwks().await.expect("jwks");
    assert_eq!(jwks.keys.len(), 2);
    assert!(jwks.keys.iter().all(|k| k.kty == "OKP" && k.crv == "Ed25519" && k.alg == "EdDSA"));
    old_token.whoami().await.expect("old token still verifies");
    let fresh = p.login("system", "admin", crate::harness::ADMIN_PASSWORD).await;
    let token = fresh.token().expect("token");
    let header: serde_json::Value =
        serde_json::from_slice(&B64.decode(token.split('.').next().expect("header")).expect("b64")).expect("json");
    assert_eq!(header["kid"], rotated.kid.as_str());
    assert_eq!(header["alg"], "EdDSA");
});

both!(failed_attempts_from_one_ip_are_rate_limited, &[("PLATD_AUTH__IP_LIMIT__MAX_FAILURES", "5")], |p| {
    for i in 0..5 {
        assert_eq!(
            code(p.client.login("system", &format!("ghost{i}"), "whatever-pass").await),
            ErrorCode::InvalidCredentials
        );
    }
    match p.client.login("system", "admin", crate::harness::ADMIN_PASSWORD).await {
        Err(plat_client::ClientError::Api { error, retry_after, .. }) => {
            assert_eq!(error.code, ErrorCode::RateLimited);
            assert!(retry_after.is_some_and(|s| s >= 1));
        }
        other => panic!("expected RATE_LIMITED, got {other:?}"),
    }
});

both!(bootstrap_twice_refuses, &[], |p| {
    let err = platd::bootstrap(p.state(), "root2", "another-password").await.expect_err("second bootstrap");
    assert!(err.to_string().contains("already bootstrapped"), "{err}");
});

// One hashing slot, logins dearer than production: 50 wrong-password logins
// queue for the slot while token checks, which hash nothing, answer at once;
// what queues past auth.hash_queue_timeout gets 503 with Retry-After.
both!(
    a_login_flood_does_not_starve_token_verification,
    &[
        ("PLATD_AUTH__MAX_CONCURRENT_HASHES", "1"),
        ("PLATD_AUTH__HASH_QUEUE_TIMEOUT", "1s"),
        ("PLATD_AUTH__ARGON2__MEMORY_KIB", "8192"),
        ("PLATD_AUTH__ARGON2__ITERATIONS", "16"),
        ("PLATD_AUTH__IP_LIMIT__MAX_FAILURES", "1000000")
    ],
    |p| {
        use std::time::{Duration, Instant};
        let token = p.admin.token().expect("token").to_owned();
        let mut idle = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            assert!(p.admin.verify(&token).await.expect("verify before the flood").active);
            idle.push(t.elapsed());
        }
        let passwords = &p.state().auth.passwords;
        assert_eq!(passwords.slots(), 1);
        let started = Instant::now();
        let logins: Vec<_> = (0..50)
            .map(|i| {
                let client = p.client.clone();
                tokio::spawn(async move {
                    let answer = client.login("system", &format!("ghost{i}"), "wrong-password-1").await;
                    (answer, Instant::now())
                })
            })
            .collect();
        // The backlog has formed once a good part of the flood queues for the slot.
        let deadline = Instant::now() + Duration::from_secs(30);
        while passwords.waiting() < 20 {
            assert!(Instant::now() < deadline, "the logins never queued ({} waiting)", passwords.waiting());
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let mut took = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            assert!(p.admin.verify(&token).await.expect("verify during the flood").active);
            took.push(t.elapsed());
        }
        let verified_at = Instant::now();
        let still_waiting = passwords.waiting();
        let (mut refused, mut shed, mut last) = (0, 0, started);
        for login in logins {
            let (answer, at) = login.await.expect("join");
            last = last.max(at);
            match answer {
                Err(plat_client::ClientError::Api { status: 503, error, retry_after, .. })
                    if error.code == ErrorCode::ServiceUnavailable =>
                {
                    assert_eq!(retry_after, Some(1), "a shed login says when to retry");
                    shed += 1;
                }
                Err(plat_client::ClientError::Api { status: 401, error, .. })
                    if error.code == ErrorCode::InvalidCredentials =>
                {
                    refused += 1
                }
                other => panic!("unexpected login answer: {other:?}"),
            }
        }
        let backlog = last - started;
        let slowest = took.iter().max().copied().unwrap_or_default();
        assert!(still_waiting > 0 && verified_at < last, "the verifies ran while logins queued");
        assert!(
            slowest * 5 < backlog,
            "slowest verify {slowest:?} is not well under the login backlog {backlog:?} ({took:?})"
        );
        // Nor much slower than with no flood at all (unbounded hashing on
        // every core makes the median tens of ms).
        idle.sort();
        took.sort();
        let (idle_median, median) = (idle[idle.len() / 2], took[took.len() / 2]);
        assert!(
            median < idle_median * 10 + Duration::from_millis(5),
            "median verify {median:?} under the flood, {idle_median:?} without ({took:?})"
        );
        assert!(refused >= 1, "the slot served logins");
        assert!(shed >= 1, "logins queued past the timeout are shed ({refused} answered 401)");
        assert_eq!(passwords.waiting(), 0);
        // The slot is free again: a real login works.
        p.login("system", "admin", crate::harness::ADMIN_PASSWORD).await;
    }
);
