//! Second factors (docs/mfa.md): TOTP enrolment read by an authenticator
//! plat did not write (pyotp, when `PLAT_TEST_PYOTP` names a Python that
//! has it, as `.ci/run` sets up), recovery codes, the login's second step
//! with its replay guard and lockout, removal and an admin's reset.

use plat_client::ClientError;
use plat_proto::*;
use serde_json::json;

use crate::api::{code, new_user, tenant};
use crate::both;

/// The code an authenticator app shows `offset` seconds from now for an
/// `otpauth://` URI: pyotp's (which parses the URI itself) when
/// `PLAT_TEST_PYOTP` is set, else totp-rs's.
fn code_at(uri: &str, offset: i64) -> String {
    if let Ok(python) = std::env::var("PLAT_TEST_PYOTP") {
        let script = "import pyotp, sys, time\nprint(pyotp.parse_uri(sys.argv[1]).at(time.time() + int(sys.argv[2])))";
        let out = std::process::Command::new(python)
            .args(["-c", script, uri, &offset.to_string()])
            .output()
            .expect("run pyotp");
        assert!(out.status.success(), "pyotp: {}", String::from_utf8_lossy(&out.stderr));
        return String::from_utf8_lossy(&out.stdout).trim().to_owned();
    }
    let totp = totp_rs::Totp::from_url(uri).expect("an otpauth URI");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
    totp.generate((now + offset) as u64).to_string()
}

/// The error of a failed call, with its details.
fn error(result: Result<impl std::fmt::Debug, ClientError>) -> ApiError {
    match result {
        Err(ClientError::Api { error, .. }) => error,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// The second step over plain HTTP (the client's `login` stops at the first).
async fn second_step(base: &str, mfa_token: &str, code: &str) -> (u16, serde_json::Value) {
    let answer = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login/mfa"))
        .json(&json!({"mfa_token": mfa_token, "code": code}))
        .send()
        .await
        .expect("second step");
    (answer.status().as_u16(), answer.json().await.expect("json"))
}

both!(totp_guards_the_login_and_recovery_codes_stand_in, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    acme.create_user(&new_user("alice")).await.expect("alice");
    let pair = p.client.login("acme", "alice", "alice-password").await.expect("login");
    let alice = p.client.clone().with_token(pair.access_token);

    // Enrol: the URI is one an authenticator app reads.
    let enrollment = alice.enroll_totp().await.expect("enrol");
    assert!(enrollment.otpauth_uri.starts_with("otpauth://totp/"), "{}", enrollment.otpauth_uri);
    assert!(enrollment.otpauth_uri.contains("issuer=plat"));
    assert_eq!(enrollment.secret.len(), 32, "160 bits in base32");
    assert!(alice.mfa().await.expect("status").factors.is_empty(), "pending until confirmed");
    let wrong = error(alice.confirm_totp("000000").await);
    assert_eq!((wrong.code, wrong.field.as_deref()), (ErrorCode::ValidationError, Some("code")));
    let codes = alice.confirm_totp(&code_at(&enrollment.otpauth_uri, 0)).await.expect("confirm").recovery_codes;
    // A token an admin issued for alice may not change her factors.
    let issued = IssueTokenRequest { user: Some("alice".into()), ttl: Some("5m".into()), ..Default::default() };
    let issued = acme.issue_token(&issued).await.expect("issue").access_token;
    let as_alice = p.client.clone().with_token(issued);
    assert_eq!(code(as_alice.remove_mfa(&codes[9]).await), ErrorCode::InvalidRequest);
    assert_eq!(code(as_alice.sessions().await), ErrorCode::InvalidRequest);
    assert_eq!(codes.len(), 10);
    let status = alice.mfa().await.expect("status");
    assert_eq!((status.factors.len(), status.recovery_codes_left), (1, 10));
    assert_eq!(code(alice.enroll_totp().await), ErrorCode::Conflict, "remove it first");

    // A password alone no longer signs in.
    let first = error(p.client.login("acme", "alice", "alice-password").await);
    assert_eq!(first.code, ErrorCode::MfaRequired);
    let token = first.details["mfa_token"].as_str().expect("mfa_token").to_owned();
    assert_eq!(first.details["factors"], json!(["totp", "recovery_code"]));

    // The code of the next step (an app running ahead) signs in once.
    let next = code_at(&enrollment.otpauth_uri, 30);
    let (status, body) = second_step(&p.base, &token, &next).await;
    assert_eq!(status, 200, "{body}");
    let access = body["data"]["access_token"].as_str().expect("access").to_owned();
    let claims = p.admin.verify(&access).await.expect("verify").claims.expect("active");
    assert_eq!(claims.amr, Some(vec!["pwd".to_owned(), "otp".to_owned(), "mfa".to_owned()]));
    let sessions = p.client.clone().with_token(access).sessions().await.expect("sessions").items;
    assert!(sessions.iter().any(|s| s.current && s.amr.contains(&"mfa".to_owned())));
    // A role can grant a permission only to sessions begun with a second factor.
    let role = CreateRole {
        name: "careful".into(),
        description: None,
        permissions: vec![],
        conditions: vec![ConditionalPermission {
            permission: "files:delete".into(),
            when: "\"mfa\" in principal.amr".into(),
        }],
    };
    acme.create_role(&role).await.expect("role");
    acme.grant_role("alice", "careful").await.expect("grant");
    let ask = AuthzCheck { permission: "files:delete".into(), ..Default::default() };
    let strong = p.client.clone().with_token(body["data"]["access_token"].as_str().expect("access").to_owned());
    assert!(strong.authz_check(&ask).await.expect("check").allowed, "a session with mfa");
    assert!(!alice.authz_check(&ask).await.expect("check").allowed, "a password-only session");

    // The challenge is spent, and so is the code: neither works again.
    let (status, body) = second_step(&p.base, &token, &next).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("mfa_token")), "{body}");
    let again = error(p.client.login("acme", "alice", "alice-password").await).details["mfa_token"].clone();
    let again = again.as_str().expect("token").to_owned();
    let (status, body) = second_step(&p.base, &again, &next).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("INVALID_CREDENTIALS")), "a replayed code");
    assert_eq!(body["error"]["details"]["attempts_left"], json!(4));

    // A recovery code stands in once, typed loosely.
    let loose = codes[0].to_uppercase().replace('-', " ");
    let (status, body) = second_step(&p.base, &again, &loose).await;
    assert_eq!(status, 200, "{body}");
    let third = error(p.client.login("acme", "alice", "alice-password").await).details["mfa_token"].clone();
    let third = third.as_str().expect("token").to_owned();
    let (status, _) = second_step(&p.base, &third, &codes[0]).await;
    assert_eq!(status, 401, "a recovery code spends once");
    assert_eq!(alice.mfa().await.expect("status").recovery_codes_left, 9);

    // Removing the factor takes a fresh code; the password alone works again.
    let stale = error(alice.remove_mfa(&next).await);
    assert_eq!((stale.code, stale.field.as_deref()), (ErrorCode::ValidationError, Some("code")));
    alice.remove_mfa(&codes[1]).await.expect("remove with a recovery code");
    assert_eq!(alice.mfa().await.expect("status"), MfaStatus { factors: vec![], recovery_codes_left: 0 });
    p.client.login("acme", "alice", "alice-password").await.expect("a password alone");

    // Enrolment and removal are events and audited.
    let events = |t: &str| EventQuery { event_type: Some(t.into()), ..Default::default() };
    let enrolled = acme.list_events(&events("user.mfa_enrolled")).await.expect("events").items;
    assert_eq!(enrolled.len(), 1);
    assert_eq!(enrolled[0].metadata["factor"], json!("totp"));
    assert_eq!(acme.list_events(&events("user.mfa_removed")).await.expect("events").total, 1);
    let logins = acme.list_events(&events("user.login")).await.expect("events").items;
    assert!(logins.iter().any(|e| e.metadata.get("factor") == Some(&json!("recovery_code"))));
});

both!(wrong_second_steps_lock_and_admins_reset, &[("PLATD_AUTH__LOCKOUT__MAX_FAILURES", "3")], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    acme.create_user(&new_user("bob")).await.expect("bob");
    let pair = p.client.login("acme", "bob", "bob-password").await.expect("login");
    let pair_access = pair.access_token.clone();
    let bob = p.client.clone().with_token(pair.access_token);
    let enrollment = bob.enroll_totp().await.expect("enrol");
    bob.confirm_totp(&code_at(&enrollment.otpauth_uri, 0)).await.expect("confirm");

    // Admins see the factor, never the secret.
    let seen = acme.user_mfa("bob").await.expect("admin status");
    assert_eq!(seen.factors[0].kind, "totp");
    assert!(!serde_json::to_string(&seen).expect("json").contains(&enrollment.secret));
    // Another member may not look.
    acme.create_user(&new_user("carol")).await.expect("carol");
    let carol = p.client.login("acme", "carol", "carol-password").await.expect("carol").access_token;
    assert_eq!(code(p.client.clone().with_token(carol).user_mfa("bob").await), ErrorCode::PermissionDenied);

    // A password change closes a login waiting for its second step.
    let first = error(p.client.login("acme", "bob", "bob-password").await);
    let token = first.details["mfa_token"].as_str().expect("token").to_owned();
    acme.set_password("bob", "bob-password").await.expect("password set");
    let (status, body) = second_step(&p.base, &token, &code_at(&enrollment.otpauth_uri, 30)).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("mfa_token")), "{body}");

    // A burst of wrong codes on one challenge gets five checked, no more,
    // and every one counts toward the account's lockout (three here).
    let first = error(p.client.login("acme", "bob", "bob-password").await);
    let token = first.details["mfa_token"].as_str().expect("token").to_owned();
    let burst: Vec<_> = (0..12)
        .map(|i| {
            let (base, token) = (p.base.clone(), token.clone());
            tokio::spawn(async move { second_step(&base, &token, &format!("{:06}", 100_000 + i)).await })
        })
        .collect();
    let mut checked = 0;
    for call in burst {
        let (status, body) = call.await.expect("join");
        match status {
            401 | 403 => checked += 1,
            422 => assert_eq!(body["error"]["field"].as_str(), Some("mfa_token"), "{body}"),
            other => panic!("{other}: {body}"),
        }
    }
    assert!(checked <= 5, "{checked} codes checked against one challenge");
    assert_eq!(code(p.client.login("acme", "bob", "bob-password").await), ErrorCode::AccountLocked);
    let failed = acme
        .list_events(&EventQuery { event_type: Some("user.login_failed".into()), ..Default::default() })
        .await
        .expect("events")
        .items;
    assert!(failed.iter().all(|e| e.metadata["reason"] == json!("invalid_second_factor")));
    assert!(failed.iter().all(|e| e.metadata["factor"] == json!("totp")), "what was tried");

    // An admin unlocks and resets: the password alone signs in again.
    acme.unlock_user("bob").await.expect("unlock");
    let session = p.client.login("acme", "bob", "bob-password").await;
    assert_eq!(code(session), ErrorCode::MfaRequired, "unlocked, still asked");
    assert!(acme.reset_user_mfa("bob", true).await.expect("reset").done);
    assert!(!p.admin.verify(&pair_access).await.expect("verify").active, "its sessions ended with the reset");
    assert!(!acme.reset_user_mfa("bob", false).await.expect("reset again").done, "nothing left to reset");
    p.client.login("acme", "bob", "bob-password").await.expect("a password alone");
    let audit = acme.list_audit(&AuditQuery { action: Some("mfa.reset".into()), ..Default::default() }).await;
    assert_eq!(audit.expect("audit").total, 1);
});

both!(a_tenant_can_require_a_second_factor, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    acme.create_user(&new_user("dave")).await.expect("dave");
    let mut boss = new_user("boss");
    boss.roles = Some(vec!["tenant-admin".into()]);
    acme.create_user(&boss).await.expect("boss");
    let policy = |mfa, roles: Option<Vec<String>>| UpdateTenant {
        security: Some(TenantSecurity { mfa, mfa_roles: roles, ..Default::default() }),
        ..UpdateTenant::default()
    };

    // Required of tenant admins only: the member signs in with a password.
    let admins = policy(None, Some(vec!["tenant-admin".into()]));
    assert_eq!(
        acme.update_tenant("acme", &admins).await.expect("policy").security.mfa_roles,
        admins.security.and_then(|s| s.mfa_roles)
    );
    p.client.login("acme", "dave", "dave-password").await.expect("a member needs none");
    let refused = error(p.client.login("acme", "boss", "boss-password").await);
    assert_eq!(refused.code, ErrorCode::MfaEnrollmentRequired);
    let enrol = refused.details["enroll_token"].as_str().expect("enroll_token").to_owned();

    // The enrolment token enrols and does nothing else.
    let verified = p.admin.verify(&enrol).await.expect("verify");
    assert!(!verified.active, "no service may take an enrolment token for a person's: {verified:?}");
    let enrolling = p.client.clone().with_token(enrol);
    assert_eq!(code(enrolling.whoami().await), ErrorCode::InvalidToken);
    assert_eq!(code(enrolling.list_users(&UserListQuery::default()).await), ErrorCode::InvalidToken);
    let enrollment = enrolling.enroll_totp().await.expect("enrol");
    enrolling.confirm_totp(&code_at(&enrollment.otpauth_uri, 0)).await.expect("confirm");
    let first = error(p.client.login("acme", "boss", "boss-password").await);
    assert_eq!(first.code, ErrorCode::MfaRequired);
    let token = first.details["mfa_token"].as_str().expect("mfa_token").to_owned();
    p.client.login_mfa(&token, &code_at(&enrollment.otpauth_uri, 30)).await.expect("second step");

    // Required of everyone.
    acme.update_tenant("acme", &policy(Some(MfaPolicy::Required), Some(vec![]))).await.expect("required");
    assert_eq!(code(p.client.login("acme", "dave", "dave-password").await), ErrorCode::MfaEnrollmentRequired);

    // Off: nobody may enrol.
    acme.update_tenant("acme", &policy(Some(MfaPolicy::Off), None)).await.expect("off");
    let pair = p.client.login("acme", "dave", "dave-password").await.expect("no factor asked");
    let dave = p.client.clone().with_token(pair.access_token);
    assert_eq!(code(dave.enroll_totp().await), ErrorCode::Forbidden);
    // Unknown policies and bad role names are refused.
    let bad = policy(None, Some(vec!["Not A Role".into()]));
    assert_eq!(code(acme.update_tenant("acme", &bad).await), ErrorCode::ValidationError);
});
