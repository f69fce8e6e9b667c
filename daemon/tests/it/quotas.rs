//! Quotas (docs/quotas.md): declared resources checked, reserved,
//! committed and released; the race for the last units; thresholds.

use std::time::Duration;

use plat_client::Client;
use plat_proto::*;

use crate::abuse::field;
use crate::api::{code, tenant};
use crate::both;

fn set(limit: u64) -> SetQuota {
    SetQuota { limit: Some(limit), ..Default::default() }
}

fn amount(n: u64) -> SettleQuota {
    SettleQuota { reservation: None, amount: Some(n) }
}

/// The field a `VALIDATION_ERROR` names.
fn invalid(result: Result<impl std::fmt::Debug, plat_client::ClientError>) -> String {
    let (code, field) = field(result);
    assert_eq!(code, ErrorCode::ValidationError);
    field.unwrap_or_default()
}

fn reservation(id: &str) -> SettleQuota {
    SettleQuota { reservation: Some(id.into()), amount: None }
}

async fn quota_events(client: &Client) -> Vec<(String, u64, u64)> {
    let query = EventQuery { event_type: Some("tenant.quota_*".into()), ..Default::default() };
    let mut events: Vec<(String, u64, u64)> = client
        .list_events(&query)
        .await
        .expect("events")
        .items
        .into_iter()
        .filter(|e| e.metadata["resource"] == "storage_bytes")
        .map(|e| {
            let figure = |k: &str| e.metadata[k].as_u64().unwrap_or(u64::MAX);
            (e.event_type.clone(), figure("threshold"), figure("used"))
        })
        .collect();
    events.reverse();
    events
}

both!(fifty_reserves_race_for_the_last_ten_units, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    p.admin.set_quota("acme", "storage_bytes", &set(100)).await.expect("declare");
    let used = acme.commit_quota("acme", "storage_bytes", &amount(90)).await.expect("use 90");
    assert_eq!((used.used, used.remaining, used.level), (90, Some(10), 80));

    let racers = (0..50).map(|_| {
        let acme = acme.clone();
        tokio::spawn(async move {
            acme.reserve_quota("acme", "storage_bytes", &ReserveQuota { amount: 1, ttl: None }).await
        })
    });
    let (mut held, mut refused) = (Vec::new(), 0);
    for racer in racers {
        match racer.await.expect("join") {
            Ok(reservation) => held.push(reservation.id),
            Err(e) => {
                assert_eq!(code::<()>(Err(e)), ErrorCode::TenantQuotaExceeded);
                refused += 1;
            }
        }
    }
    assert_eq!((held.len(), refused), (10, 40), "exactly the last ten units are held");
    let quota = acme.get_quota("acme", "storage_bytes").await.expect("get");
    assert_eq!((quota.used, quota.reserved, quota.remaining), (90, 10, Some(0)));
    for id in &held {
        acme.commit_quota("acme", "storage_bytes", &reservation(id)).await.expect("commit");
    }
    let quota = acme.get_quota("acme", "storage_bytes").await.expect("get");
    assert_eq!((quota.used, quota.reserved, quota.remaining, quota.level), (100, 0, Some(0), 100));
    // A reservation is settled once.
    assert_eq!(code(acme.commit_quota("acme", "storage_bytes", &reservation(&held[0])).await), ErrorCode::NotFound);

    // 80% once, then the limit once (at the first refusal), whatever the
    // forty refusals and ten commits after it.
    assert_eq!(
        quota_events(&acme).await,
        vec![("tenant.quota_warning".to_owned(), 80, 90), ("tenant.quota_exceeded".to_owned(), 100, 90)]
    );
    // Below 80% re-arms: the next crossings announce again.
    acme.release_quota("acme", "storage_bytes", &amount(30)).await.expect("give back 30");
    acme.commit_quota("acme", "storage_bytes", &amount(30)).await.expect("use 30 again");
    let events = quota_events(&acme).await;
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[2], ("tenant.quota_exceeded".to_owned(), 100, 100), "a jump to the limit skips the warning");
});

both!(reservations_are_committed_released_and_expire, &[], |p| {
    let acme = tenant(&p.admin, "acme", Some(10)).await;
    let role = CreateRole {
        name: "quota-user".into(),
        description: None,
        permissions: vec!["quotas:use".into(), "quotas:read".into()],
        conditions: vec![],
    };
    acme.create_role(&role).await.expect("role");
    let account = acme
        .create_service_account(&CreateServiceAccount {
            name: "files".into(),
            roles: vec!["quota-user".into()],
            ..Default::default()
        })
        .await
        .expect("account");
    let token = p
        .client
        .client_credentials(&account.account.client_id, &account.client_secret, None)
        .await
        .expect("token")
        .access_token;
    let files = p.client.clone().with_token(token);
    let declared = p
        .admin
        .set_quota("acme", "storage_bytes", &SetQuota { limit: Some(1000), ..Default::default() })
        .await
        .expect("declare");
    assert_eq!((declared.limit, declared.used, declared.period), (Some(1000), 0, QuotaPeriod::None));

    // Check, reserve, upload, commit what was really written.
    let check = files.check_quota("acme", "storage_bytes", 600).await.expect("check");
    assert!(check.allowed && check.remaining == Some(1000), "{check:?}");
    let held = files
        .reserve_quota("acme", "storage_bytes", &ReserveQuota { amount: 600, ttl: Some("1m".into()) })
        .await
        .expect("reserve");
    assert!(held.id.starts_with("rsv_"), "{held:?}");
    assert_eq!((held.quota.reserved, held.quota.remaining), (600, Some(400)));
    let check = files.check_quota("acme", "storage_bytes", 500).await.expect("check");
    assert!(!check.allowed && check.remaining == Some(400), "{check:?}");
    assert_eq!(
        code(files.reserve_quota("acme", "storage_bytes", &ReserveQuota { amount: 401, ttl: None }).await),
        ErrorCode::TenantQuotaExceeded
    );
    let partial = SettleQuota { reservation: Some(held.id.clone()), amount: Some(500) };
    let committed = files.commit_quota("acme", "storage_bytes", &partial).await.expect("commit 500 of 600");
    assert_eq!((committed.used, committed.reserved, committed.remaining), (500, 0, Some(500)));

    // An unsettled reservation expires and holds nothing after.
    let short = files
        .reserve_quota("acme", "storage_bytes", &ReserveQuota { amount: 400, ttl: Some("1s".into()) })
        .await
        .expect("reserve");
    assert_eq!(files.get_quota("acme", "storage_bytes").await.expect("get").reserved, 400);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let quota = files.get_quota("acme", "storage_bytes").await.expect("get");
    assert_eq!((quota.reserved, quota.remaining), (0, Some(500)), "expired");
    assert_eq!(code(files.commit_quota("acme", "storage_bytes", &reservation(&short.id)).await), ErrorCode::NotFound);
    assert_eq!(files.get_quota("acme", "storage_bytes").await.expect("get").reserved, 0, "released once");

    // Usage given back (a file deleted); never below zero.
    let freed = files.release_quota("acme", "storage_bytes", &amount(200)).await.expect("release");
    assert_eq!(freed.used, 300);
    assert_eq!(code(files.release_quota("acme", "storage_bytes", &amount(301)).await), ErrorCode::Conflict);
    let held =
        files.reserve_quota("acme", "storage_bytes", &ReserveQuota { amount: 10, ttl: None }).await.expect("reserve");
    let released = files.release_quota("acme", "storage_bytes", &reservation(&held.id)).await.expect("release");
    assert_eq!((released.used, released.reserved), (300, 0));

    // Bad input names its field; nothing changes.
    assert_eq!(invalid(files.check_quota("acme", "storage_bytes", 0).await), "amount");
    assert_eq!(invalid(files.check_quota("acme", "Bad Name", 1).await), "resource");
    assert_eq!(
        invalid(
            files.reserve_quota("acme", "storage_bytes", &ReserveQuota { amount: 1, ttl: Some("2d".into()) }).await
        ),
        "ttl"
    );
    assert_eq!(invalid(files.commit_quota("acme", "storage_bytes", &SettleQuota::default()).await), "reservation");
    let both = SettleQuota { reservation: Some("rsv_x".into()), amount: Some(1) };
    assert_eq!(invalid(files.release_quota("acme", "storage_bytes", &both).await), "amount");
    assert_eq!(invalid(p.admin.set_quota("acme", "storage_bytes", &set(u64::MAX)).await), "limit");
    assert_eq!(code(files.check_quota("acme", "undeclared", 1).await), ErrorCode::NotFound);
    assert_eq!(files.get_quota("acme", "storage_bytes").await.expect("get").used, 300);

    // Limits are the platform's; other tenants see nothing.
    assert_eq!(code(files.set_quota("acme", "storage_bytes", &set(5000)).await), ErrorCode::PermissionDenied);
    let globex = tenant(&p.admin, "globex", None).await;
    let boss = CreateUser { roles: Some(vec!["tenant-admin".into()]), ..crate::api::new_user("boss") };
    globex.create_user(&boss).await.expect("globex admin");
    let pair = p.client.login("globex", "boss", "boss-password").await.expect("login");
    let globex_admin = p.client.clone().with_token(pair.access_token);
    assert_eq!(code(files.get_quota("globex", "storage_bytes").await), ErrorCode::TenantNotFound);
    assert_eq!(code(globex_admin.list_quotas("acme").await), ErrorCode::TenantNotFound);
    assert_eq!(code(globex_admin.set_quota("globex", "storage_bytes", &set(1)).await), ErrorCode::PermissionDenied);

    // `users` is plat's own count: listed first, limited here, never reserved.
    acme.create_user(&crate::api::new_user("ann")).await.expect("user");
    let users = p.admin.set_quota("acme", "users", &set(3)).await.expect("users limit");
    assert_eq!((users.limit, users.used, users.remaining), (Some(3), 1, Some(2)));
    assert_eq!(p.admin.get_tenant("acme").await.expect("tenant").quotas.max_users, Some(3));
    assert_eq!(
        code(files.reserve_quota("acme", "users", &ReserveQuota { amount: 1, ttl: None }).await),
        ErrorCode::Conflict
    );
    let used_too = SetQuota { limit: Some(3), used: Some(0), ..Default::default() };
    assert_eq!(invalid(p.admin.set_quota("acme", "users", &used_too).await), "used");
    let list = files.list_quotas("acme").await.expect("list").items;
    let names: Vec<&str> = list.iter().map(|q| q.resource.as_str()).collect();
    assert_eq!(names, vec!["users", "storage_bytes"]);

    // A daily quota says when it starts again; a correction sets usage.
    let daily = SetQuota { limit: Some(5), period: Some(QuotaPeriod::Day), used: None };
    let calls = p.admin.set_quota("acme", "api_calls", &daily).await.expect("daily");
    assert!(calls.resets_at.as_deref().is_some_and(|t| t.ends_with("T00:00:00.000Z")), "{calls:?}");
    files.commit_quota("acme", "api_calls", &amount(5)).await.expect("five calls");
    assert_eq!(code(files.commit_quota("acme", "api_calls", &amount(1)).await), ErrorCode::TenantQuotaExceeded);
    let reset = SetQuota { limit: Some(5), period: None, used: Some(0) };
    assert_eq!(p.admin.set_quota("acme", "api_calls", &reset).await.expect("reset").used, 0);
    p.admin.delete_quota("acme", "api_calls").await.expect("delete");
    assert_eq!(code(files.get_quota("acme", "api_calls").await), ErrorCode::NotFound);
    assert_eq!(code(p.admin.delete_quota("acme", "users").await), ErrorCode::Conflict);
});

both!(a_new_period_starts_usage_from_zero_and_rearms_the_thresholds, &[], |p| {
    use sqlx::Connection;
    let acme = tenant(&p.admin, "acme", None).await;
    let daily = SetQuota { limit: Some(10), period: Some(QuotaPeriod::Day), used: None };
    p.admin.set_quota("acme", "storage_bytes", &daily).await.expect("daily");
    acme.commit_quota("acme", "storage_bytes", &amount(10)).await.expect("the day's ten");
    assert_eq!(code(acme.commit_quota("acme", "storage_bytes", &amount(1)).await), ErrorCode::TenantQuotaExceeded);
    assert_eq!(
        code(acme.reserve_quota("acme", "storage_bytes", &ReserveQuota { amount: 1, ttl: None }).await),
        ErrorCode::TenantQuotaExceeded
    );
    // The day ends: move the stored period one day back.
    let mut conn = sqlx::AnyConnection::connect(&p.database_url).await.expect("plat db");
    sqlx::query("UPDATE tenant_quotas SET period_start = period_start - 86400000 WHERE resource = 'storage_bytes'")
        .execute(&mut conn)
        .await
        .expect("yesterday");
    let read = acme.get_quota("acme", "storage_bytes").await.expect("get");
    assert_eq!((read.used, read.remaining, read.level), (0, Some(10), 0), "a read sees the new day");
    let used = acme.commit_quota("acme", "storage_bytes", &amount(9)).await.expect("a new day's nine");
    assert_eq!((used.used, used.level), (9, 80));
    let events = quota_events(&acme).await;
    let kinds: Vec<&str> = events.iter().map(|(kind, _, _)| kind.as_str()).collect();
    assert_eq!(kinds, ["tenant.quota_exceeded", "tenant.quota_warning"], "the new day re-armed: {events:?}");
});
