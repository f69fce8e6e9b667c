//! Users: account, profile, statistics and role grants, always written
//! together, in one transaction with their event and audit record; ending a
//! user's sessions; bulk import and export. Reading users back
//! (`UserRecord`, `find_user`, `users_by_ids`) is in `rows`.

use plat_proto::catalog;
use std::collections::{HashMap, HashSet};

use plat_domain::{apply_profile_patch, like_escape, normalize_key};
use plat_proto::{Page, Profile, ProfilePatch, User, UserListQuery, UserStats};
use sqlx::{AnyConnection, Row};

use crate::audit::{AuditDraft, AuditOf, record_audit};
use crate::authority::{confer_roles, lock_reach, take_over};
use crate::envelope::{EventDraft, build_event};
use crate::outbox::{insert_events, record_change, record_event};
use crate::rows::{TenantRow, USER_SELECT, UserRecord, find_live_user, find_user, hydrate, tenant_by_slug};
use crate::sessions::{Ending, Which, end_sessions_where};
use crate::sql::{
    Bind, Filter, Params, format_ms, get_i64, get_str, is_unique_violation, json_value, new_id, now_ms,
    push_placeholders,
};
use crate::{Backend, Ctx, PageRequest, Result, Store, StoreError};
use plat_proto::catalog::EventType;

/// A user to create.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub password_hash: Option<String>,
    pub roles: Vec<String>,
    pub profile: Profile,
    /// Organizations (ids or paths) it joins as it is created.
    pub orgs: Vec<String>,
}

/// End every session of a user, in the change's transaction (`reason`:
/// `ended_reason`, docs/sessions.md): its refresh tokens and sessions, and
/// every access token issued until now. Returns the number of sessions.
pub(crate) async fn end_sessions(conn: &mut AnyConnection, ctx: &Ctx, user_id: &str, reason: &str) -> Result<u64> {
    let now = now_ms();
    let which = Which::AllOf { user_id, except: None };
    let ended = end_sessions_where(conn, ctx, which, Ending { reason, revoke_until: None, audited: false }).await?;
    // Families without a live session (idle, past their end) hold no live
    // refresh token; any other is revoked with its session above.
    sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    // A login waiting for its second step would begin a session after this.
    sqlx::query("DELETE FROM mfa_challenges WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?;
    // Tokens minted up to and including this millisecond are revoked; new
    // ones are stamped at or after `now + 1` (see the daemon's mint).
    sqlx::query("UPDATE users SET tokens_valid_after = $1 WHERE id = $2")
        .bind(now + 1)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(ended.len() as u64)
}

/// Raise the user's version, then write `event_type` with the new snapshot
/// and an audit record: the type's own action, or `action` when the change
/// is another's (a role grant, a repair).
pub(crate) async fn user_changed(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    user_id: &str,
    (event_type, action): (&'static EventType, Option<&str>),
    details: serde_json::Value,
) -> Result<User> {
    sqlx::query("UPDATE users SET version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    let record = {
        let row = sqlx::query(&format!("{USER_SELECT} WHERE u.id = $1")).bind(user_id).fetch_one(&mut *conn).await?;
        hydrate(conn, vec![row]).await?.remove(0)
    };
    announce(conn, ctx, &record.user, (event_type, action), details).await?;
    Ok(record.user)
}

/// Who did something to an account, from where: the `metadata` of the
/// activity events (`user.login`, `user.logout`, `user.login_failed`,
/// `user.locked`), as seed 004's event format has them.
#[derive(Debug, Clone, Default)]
pub struct Activity {
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    /// The session (refresh-token family) begun or ended.
    pub session_id: Option<String>,
    /// Anything else the event says (`reason`, `failures`).
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// Record an activity event of a user: the current snapshot as `data` at
/// the current version (an activity is not a change, so a snapshot receiver
/// stores nothing new), the activity in `metadata`.
pub(crate) async fn user_activity(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    user_id: &str,
    event_type: &'static EventType,
    activity: &Activity,
) -> Result<()> {
    let row = sqlx::query(&format!("{USER_SELECT} WHERE u.id = $1")).bind(user_id).fetch_one(&mut *conn).await?;
    let user = hydrate(conn, vec![row]).await?.remove(0).user;
    let mut metadata = activity.details.clone();
    for (key, value) in
        [("source_ip", &activity.source_ip), ("user_agent", &activity.user_agent), ("session_id", &activity.session_id)]
    {
        if let Some(value) = value {
            metadata.insert(key.into(), value.clone().into());
        }
    }
    record_event(
        conn,
        ctx,
        EventDraft {
            event_type,
            tenant: &user.tenant,
            aggregate_id: &user.id,
            aggregate_version: user.version,
            data: json_value(&user)?,
            extra_metadata: Some(metadata),
        },
    )
    .await?;
    Ok(())
}

async fn announce(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    user: &User,
    (event_type, action): (&'static EventType, Option<&str>),
    details: serde_json::Value,
) -> Result<()> {
    let draft = EventDraft {
        event_type,
        tenant: &user.tenant,
        aggregate_id: &user.id,
        aggregate_version: user.version,
        data: json_value(user)?,
        extra_metadata: None,
    };
    let audit = AuditOf { action, target: format!("user:{}", user.id), tenant: Some(&user.tenant), details };
    record_change(conn, ctx, draft, audit).await?;
    Ok(())
}

/// Write `user.deleted` (the last snapshot, status `deleted`, next version)
/// for every user of a tenant that is about to be removed with it.
pub(crate) async fn announce_tenant_users_deleted(conn: &mut AnyConnection, ctx: &Ctx, tenant_id: &str) -> Result<u64> {
    let rows = sqlx::query(&format!("{USER_SELECT} WHERE u.tenant_id = $1 AND u.status <> 'deleted'"))
        .bind(tenant_id)
        .fetch_all(&mut *conn)
        .await?;
    let now = now_ms();
    let mut events = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(500) {
        for record in hydrate(conn, chunk.to_vec()).await? {
            let mut user = record.user;
            user.status = "deleted".into();
            user.version += 1;
            events.push(build_event(
                ctx,
                EventDraft {
                    event_type: catalog::USER_DELETED,
                    tenant: &user.tenant,
                    aggregate_id: &user.id,
                    aggregate_version: user.version,
                    data: json_value(&user)?,
                    extra_metadata: None,
                },
                now,
            ));
        }
    }
    insert_events(conn, &events, now).await?;
    Ok(events.len() as u64)
}

/// Take `n` places of the tenant's `users` quota atomically; fails when
/// fewer are left. Signals the quota's thresholds in the same transaction.
async fn take_quota(conn: &mut AnyConnection, ctx: &Ctx, tenant: &TenantRow, n: i64) -> Result<()> {
    let taken = sqlx::query(
        "UPDATE tenants SET user_count = user_count + $1 WHERE id = $2 AND (max_users IS NULL OR user_count + $1 <= max_users)",
    )
    .bind(n)
    .bind(&tenant.id)
    .execute(&mut *conn)
    .await?;
    if taken.rows_affected() == 0 {
        return Err(users_quota_exceeded(tenant));
    }
    crate::quotas::users_changed(conn, ctx, &tenant.tenant.slug, n as u64, false).await
}

fn users_quota_exceeded(tenant: &TenantRow) -> StoreError {
    let limit = tenant.tenant.quotas.max_users.unwrap_or(0);
    StoreError::QuotaExceeded {
        tenant: tenant.tenant.slug.clone(),
        resource: plat_domain::quota::USERS.into(),
        limit,
        remaining: limit.saturating_sub(tenant.tenant.usage.users),
    }
}

fn validate_new_user(user: &NewUser) -> Result<(String, String)> {
    let username = plat_domain::validate_username(&user.username)?;
    let email = plat_domain::validate_email(&user.email)?;
    for role in &user.roles {
        plat_domain::validate_name("roles", role)?;
    }
    Ok((username, email))
}

impl Store {
    /// Create a user; a refusal for quota signals the `users` quota
    /// (`tenant.quota_exceeded`, once per crossing).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.create_user", skip_all)]
    pub async fn create_user(&self, ctx: &Ctx, tenant: &str, new: NewUser) -> Result<User> {
        let created = self.insert_user(ctx, tenant, new).await;
        if let Err(StoreError::QuotaExceeded { .. }) = &created {
            self.users_refused(ctx, tenant, 1).await;
        }
        created
    }

    async fn insert_user(&self, ctx: &Ctx, tenant: &str, new: NewUser) -> Result<User> {
        let (username, email) = validate_new_user(&new)?;
        let mut tx = self.begin(ctx).await?;
        let tenant_row = tenant_by_slug(&mut tx, tenant).await?;
        confer_roles(&mut tx, ctx, &tenant_row, &new.roles).await?;
        for (field, column, value) in [("username", "username_key", &username), ("email", "email_key", &email)] {
            let taken: Option<String> =
                sqlx::query_scalar(&format!("SELECT id FROM users WHERE tenant_id = $1 AND {column} = $2"))
                    .bind(&tenant_row.id)
                    .bind(normalize_key(value))
                    .fetch_optional(&mut *tx)
                    .await?;
            if taken.is_some() {
                return Err(StoreError::AlreadyExists { kind: "user", name: value.clone(), field });
            }
        }
        take_quota(&mut tx, ctx, &tenant_row, 1).await?;
        let id = new_id();
        let now = now_ms();
        let inserted = sqlx::query(
            "INSERT INTO users (id, tenant_id, username, username_key, email, email_key, status, password_hash, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, 0, $8, $8)",
        )
        .bind(&id)
        .bind(&tenant_row.id)
        .bind(&username)
        .bind(normalize_key(&username))
        .bind(&email)
        .bind(normalize_key(&email))
        .bind(new.password_hash.clone())
        .bind(now)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::AlreadyExists { kind: "user", name: username, field: "username" });
            }
            other => other?,
        };
        sqlx::query("INSERT INTO user_profiles (user_id, nickname, avatar_url, bio) VALUES ($1, $2, $3, $4)")
            .bind(&id)
            .bind(&new.profile.nickname)
            .bind(&new.profile.avatar_url)
            .bind(&new.profile.bio)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO user_stats (user_id, login_count) VALUES ($1, 0)").bind(&id).execute(&mut *tx).await?;
        for role in dedup(&new.roles) {
            sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                .bind(&id)
                .bind(role)
                .execute(&mut *tx)
                .await?;
        }
        let user = user_changed(&mut tx, ctx, &id, (catalog::USER_CREATED, None), serde_json::json!({})).await?;
        for (i, org) in new.orgs.iter().enumerate() {
            crate::orgs::join(&mut tx, ctx, &tenant_row, (&format!("orgs[{i}]"), org), (&id, &user.username)).await?;
        }
        tx.commit().await?;
        Ok(user)
    }

    /// A live user by id or username.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.get_user", skip_all)]
    pub async fn get_user(&self, tenant: &str, id_or_name: &str) -> Result<UserRecord> {
        let mut conn = self.read.acquire().await?;
        let tenant_row = tenant_by_slug(&mut conn, tenant).await?;
        find_live_user(&mut conn, &tenant_row.id, id_or_name).await
    }

    /// A user by id across tenants (token subjects), deleted users included.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.get_user_by_id", skip_all)]
    pub async fn get_user_by_id(&self, id: &str) -> Result<UserRecord> {
        let mut conn = self.read.acquire().await?;
        let row = sqlx::query(&format!("{USER_SELECT} WHERE u.id = $1"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| StoreError::NotFound { kind: "user", name: id.to_owned() })?;
        Ok(hydrate(&mut conn, vec![row]).await?.remove(0))
    }

    /// The user a login names: by username, or by email when it contains `@`.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.find_login", skip_all)]
    pub async fn find_login(&self, tenant: &str, login: &str) -> Result<UserRecord> {
        let mut conn = self.read.acquire().await?;
        let tenant_row = tenant_by_slug(&mut conn, tenant).await?;
        let column = if login.contains('@') { "email_key" } else { "username_key" };
        let row = sqlx::query(&format!("{USER_SELECT} WHERE u.tenant_id = $1 AND u.{column} = $2"))
            .bind(&tenant_row.id)
            .bind(normalize_key(login.trim()))
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| StoreError::NotFound { kind: "user", name: login.to_owned() })?;
        Ok(hydrate(&mut conn, vec![row]).await?.remove(0))
    }

    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.list_users", skip_all)]
    pub async fn list_users(&self, tenant: &str, query: &UserListQuery) -> Result<Page<User>> {
        let page = PageRequest::new(query.page, query.page_size, query.cursor.as_deref(), query.limit)?;
        let mut conn = self.read.acquire().await?;
        let tenant_row = tenant_by_slug(&mut conn, tenant).await?;
        let mut filter = Filter::default();
        filter.eq("u.tenant_id", tenant_row.id.clone());
        match query.status.as_deref() {
            None => filter.fixed("u.status <> 'deleted'"),
            Some("locked") => filter.raw(|n| format!("u.locked_until > ${n}"), Bind::Int(now_ms())),
            Some(s @ ("active" | "disabled" | "deleted")) => filter.eq("u.status", s.to_owned()),
            Some(other) => {
                return Err(StoreError::Invalid {
                    field: "status".into(),
                    message: format!("{other:?} is not one of active, disabled, locked, deleted"),
                });
            }
        }
        if let Some(role) = &query.role {
            filter.raw(
                |n| format!("EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = ${n})"),
                Bind::Text(role.clone()),
            );
        }
        if let Some(search) = query.search.as_deref().filter(|s| !s.is_empty()) {
            let pattern = format!("%{}%", like_escape(&normalize_key(search)));
            filter.raw(
                |n| format!("(u.username_key LIKE ${n} ESCAPE '\\' OR u.email_key LIKE ${n} ESCAPE '\\')"),
                Bind::Text(pattern),
            );
        }
        let count_sql = format!("SELECT COUNT(*) FROM users u{}", filter.where_clause());
        let total: i64 = filter.bind_all(sqlx::query(&count_sql)).fetch_one(&mut *conn).await?.try_get(0)?;
        if let Some(after) = &page.after {
            // The cursor is the last id seen; UUIDv7 ids sort by creation time.
            filter.raw(|n| format!("u.id > ${n}"), Bind::Text(after.clone()));
        }
        let n = filter.len();
        let sql = format!("{USER_SELECT}{} ORDER BY u.id LIMIT ${} OFFSET ${}", filter.where_clause(), n + 1, n + 2);
        let rows = filter
            .bind_all(sqlx::query(&sql))
            .bind(page.page_size as i64 + 1)
            .bind(page.offset())
            .fetch_all(&mut *conn)
            .await?;
        let users = hydrate(&mut conn, rows).await?;
        let items = users.into_iter().map(|u| (u.user.id.clone(), u.user)).collect();
        Ok(page.finish(items, total as u64))
    }

    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.update_user", skip_all)]
    pub async fn update_user(
        &self,
        ctx: &Ctx,
        tenant: &str,
        id_or_name: &str,
        email: Option<&str>,
        profile: Option<&ProfilePatch>,
    ) -> Result<User> {
        let mut tx = self.begin(ctx).await?;
        let tenant_row = tenant_by_slug(&mut tx, tenant).await?;
        let current = find_live_user(&mut tx, &tenant_row.id, id_or_name).await?;
        if let Some(email) = email {
            let email = plat_domain::validate_email(email)?;
            let taken: Option<String> =
                sqlx::query_scalar("SELECT id FROM users WHERE tenant_id = $1 AND email_key = $2 AND id <> $3")
                    .bind(&tenant_row.id)
                    .bind(normalize_key(&email))
                    .bind(&current.user.id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if taken.is_some() {
                return Err(StoreError::AlreadyExists { kind: "user", name: email, field: "email" });
            }
            sqlx::query("UPDATE users SET email = $1, email_key = $2 WHERE id = $3")
                .bind(&email)
                .bind(normalize_key(&email))
                .bind(&current.user.id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(patch) = profile {
            let mut new_profile = current.user.profile.clone();
            apply_profile_patch(&mut new_profile, patch)?;
            sqlx::query("UPDATE user_profiles SET nickname = $1, avatar_url = $2, bio = $3 WHERE user_id = $4")
                .bind(&new_profile.nickname)
                .bind(&new_profile.avatar_url)
                .bind(&new_profile.bio)
                .bind(&current.user.id)
                .execute(&mut *tx)
                .await?;
        }
        let user =
            user_changed(&mut tx, ctx, &current.user.id, (catalog::USER_UPDATED, None), serde_json::json!({})).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Disable or enable a user. Disabling also ends its sessions.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.set_user_enabled", skip_all)]
    pub async fn set_user_enabled(&self, ctx: &Ctx, tenant: &str, id_or_name: &str, enabled: bool) -> Result<User> {
        let mut tx = self.begin(ctx).await?;
        let tenant_row = tenant_by_slug(&mut tx, tenant).await?;
        let current = find_live_user(&mut tx, &tenant_row.id, id_or_name).await?;
        let status = if enabled { "active" } else { "disabled" };
        if current.stored_status == status {
            return Ok(current.user);
        }
        sqlx::query("UPDATE users SET status = $1 WHERE id = $2")
            .bind(status)
            .bind(&current.user.id)
            .execute(&mut *tx)
            .await?;
        if !enabled {
            end_sessions(&mut tx, ctx, &current.user.id, "disabled").await?;
        }
        let event_type = if enabled { catalog::USER_ACTIVATED } else { catalog::USER_SUSPENDED };
        let user =
            user_changed(&mut tx, ctx, &current.user.id, (event_type, None), serde_json::json!({"status": status}))
                .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Clear a lockout and the failure counters.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.unlock_user", skip_all)]
    pub async fn unlock_user(&self, ctx: &Ctx, tenant: &str, id_or_name: &str) -> Result<User> {
        let mut tx = self.begin(ctx).await?;
        let tenant_row = tenant_by_slug(&mut tx, tenant).await?;
        let current = find_live_user(&mut tx, &tenant_row.id, id_or_name).await?;
        sqlx::query("UPDATE users SET failed_logins = 0, first_failed_at = NULL, locked_until = NULL WHERE id = $1")
            .bind(&current.user.id)
            .execute(&mut *tx)
            .await?;
        let user =
            user_changed(&mut tx, ctx, &current.user.id, (catalog::USER_UNLOCKED, None), serde_json::json!({})).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Set a new password hash; ends every session of the user.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.set_password", skip_all)]
    /// Set a user's password, ending every session of the user; or, with
    /// `keep` (the caller's own session and how the others end), the
    /// caller's own password with every session but that one ended.
    /// Returns the user and, with `keep`, the sessions ended.
    pub async fn set_password(
        &self,
        ctx: &Ctx,
        (tenant, id_or_name): (&str, &str),
        hash: &str,
        keep: Option<(&str, crate::sessions::Ending<'_>)>,
    ) -> Result<(User, Vec<plat_proto::Session>)> {
        let mut tx = self.begin(ctx).await?;
        let tenant_row = tenant_by_slug(&mut tx, tenant).await?;
        let current = find_live_user(&mut tx, &tenant_row.id, id_or_name).await?;
        let own = ctx.subject_id.as_deref() == Some(current.user.id.as_str());
        // Whoever sets a password can log in as the user.
        if !own {
            if keep.is_some() {
                return Err(StoreError::Invalid {
                    field: "keep_session".into(),
                    message: "keeps the caller's own session: only for your own password".into(),
                });
            }
            take_over(&mut tx, ctx, &tenant_row, &current).await?;
        }
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(&current.user.id)
            .execute(&mut *tx)
            .await?;
        let ended = match keep {
            Some((sid, ending)) => {
                let which = Which::AllOf { user_id: &current.user.id, except: Some(sid) };
                let ended = end_sessions_where(&mut tx, ctx, which, ending).await?;
                // A login waiting for its second step began with the old password.
                sqlx::query("DELETE FROM mfa_challenges WHERE user_id = $1")
                    .bind(&current.user.id)
                    .execute(&mut *tx)
                    .await?;
                ended
            }
            None => {
                end_sessions(&mut tx, ctx, &current.user.id, "password").await?;
                Vec::new()
            }
        };
        let user =
            user_changed(&mut tx, ctx, &current.user.id, (catalog::USER_PASSWORD_CHANGED, None), serde_json::json!({}))
                .await?;
        tx.commit().await?;
        Ok((user, ended))
    }

    /// Soft delete (status `deleted`, keeps name, email and quota place) or
    /// hard delete (removes the rows and frees them).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.delete_user", skip_all)]
    pub async fn delete_user(&self, ctx: &Ctx, tenant: &str, id_or_name: &str, hard: bool) -> Result<()> {
        let mut tx = self.begin(ctx).await?;
        let tenant_row = tenant_by_slug(&mut tx, tenant).await?;
        lock_reach(&mut tx, &tenant_row).await?;
        let current = find_user(&mut tx, &tenant_row.id, id_or_name).await?;
        if current.stored_status == "deleted" && !hard {
            return Err(StoreError::NotFound { kind: "user", name: id_or_name.to_owned() });
        }
        end_sessions(&mut tx, ctx, &current.user.id, "deleted").await?;
        if hard {
            sqlx::query("DELETE FROM users WHERE id = $1").bind(&current.user.id).execute(&mut *tx).await?;
            sqlx::query("UPDATE tenants SET user_count = user_count - 1 WHERE id = $1")
                .bind(&tenant_row.id)
                .execute(&mut *tx)
                .await?;
            crate::quotas::users_changed(&mut tx, ctx, &tenant_row.tenant.slug, 0, false).await?;
            let mut snapshot = current.user.clone();
            snapshot.status = "deleted".into();
            snapshot.version += 1;
            announce(&mut tx, ctx, &snapshot, (catalog::USER_DELETED, None), serde_json::json!({"hard": true})).await?;
        } else {
            sqlx::query("UPDATE users SET status = 'deleted' WHERE id = $1")
                .bind(&current.user.id)
                .execute(&mut *tx)
                .await?;
            user_changed(
                &mut tx,
                ctx,
                &current.user.id,
                (catalog::USER_DELETED, None),
                serde_json::json!({"hard": false}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Grant (`grant = true`) or revoke a role.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.change_role", skip_all)]
    pub async fn change_role(
        &self,
        ctx: &Ctx,
        tenant: &str,
        id_or_name: &str,
        role: &str,
        grant: bool,
    ) -> Result<User> {
        let mut tx = self.begin(ctx).await?;
        let tenant_row = tenant_by_slug(&mut tx, tenant).await?;
        lock_reach(&mut tx, &tenant_row).await?;
        let current = find_live_user(&mut tx, &tenant_row.id, id_or_name).await?;
        let has = current.user.roles.iter().any(|r| r == role);
        // Taking a role away is handing out no power, but taking it from
        // someone the caller could not have given it to is not theirs to do.
        confer_roles(&mut tx, ctx, &tenant_row, &[role.to_owned()]).await?;
        if grant {
            if has {
                return Ok(current.user);
            }
            sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                .bind(&current.user.id)
                .bind(role)
                .execute(&mut *tx)
                .await?;
        } else {
            if !has {
                return Err(StoreError::NotFound { kind: "role grant", name: role.to_owned() });
            }
            sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND role = $2")
                .bind(&current.user.id)
                .bind(role)
                .execute(&mut *tx)
                .await?;
        }
        let action = if grant { "role.grant" } else { "role.revoke" };
        let user = user_changed(
            &mut tx,
            ctx,
            &current.user.id,
            (catalog::USER_ROLES_CHANGED, Some(action)),
            serde_json::json!({"role": role}),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Import users in one transaction: every line either creates its user
    /// (with profile, stats, roles and `user.created` event) or is reported
    /// with its error; one bad line never affects another. With `dry_run`
    /// everything is checked and nothing is written.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.import_users", skip_all)]
    pub async fn import_users(
        &self,
        ctx: &Ctx,
        tenant: &str,
        lines: Vec<(u64, NewUser)>,
        dry_run: bool,
    ) -> Result<Vec<(u64, Option<String>, StoreError)>> {
        let errors = self.import_lines(ctx, tenant, lines, dry_run).await?;
        let refused = errors.iter().filter(|(_, _, e)| matches!(e, StoreError::QuotaExceeded { .. })).count();
        if !dry_run && refused > 0 {
            self.users_refused(ctx, tenant, refused as u64).await;
        }
        Ok(errors)
    }

    async fn import_lines(
        &self,
        ctx: &Ctx,
        tenant: &str,
        lines: Vec<(u64, NewUser)>,
        dry_run: bool,
    ) -> Result<Vec<(u64, Option<String>, StoreError)>> {
        let mut errors = Vec::new();
        let mut tx = self.begin(ctx).await?;
        if self.backend == Backend::Postgres {
            // The duplicate checks run once per chunk with a different IN
            // list; a generic plan built while the table was small scanned
            // every user of the tenant per chunk (1.8 s each at 100k users,
            // so a 20k-line import passed the request timeout). Plan each
            // statement with its own values.
            sqlx::query("SET LOCAL plan_cache_mode = force_custom_plan").execute(&mut *tx).await?;
        }
        let tenant_row = tenant_by_slug(&mut tx, tenant).await?;
        // Validate each line alone.
        let mut valid = Vec::with_capacity(lines.len());
        for (line, new) in lines {
            match validate_new_user(&new) {
                Ok((username, email)) => valid.push((line, username, email, new)),
                Err(e) => errors.push((line, Some(new.username.clone()), e)),
            }
        }
        // Roles must exist and be the caller's to hand out: each distinct
        // name is checked once (the rule is per role, so per line alike).
        let mut role_refused: HashMap<String, Option<StoreError>> = HashMap::new();
        for (_, _, _, new) in &valid {
            for role in &new.roles {
                if !role_refused.contains_key(role) {
                    let refused = confer_roles(&mut tx, ctx, &tenant_row, std::slice::from_ref(role)).await.err();
                    if let Some(e @ StoreError::Database(_)) = refused {
                        return Err(e);
                    }
                    role_refused.insert(role.clone(), refused);
                }
            }
        }
        // Uniqueness within the file and against the tenant.
        let keys: Vec<String> = valid.iter().flat_map(|(_, u, e, _)| [normalize_key(u), normalize_key(e)]).collect();
        let mut taken: HashSet<String> = HashSet::new();
        for column in ["username_key", "email_key"] {
            for chunk in keys.chunks(1000) {
                let mut params = Params::for_conn(&tx);
                let tenant_param = params.next();
                let sql = format!(
                    "SELECT {column} FROM users WHERE tenant_id = {tenant_param} AND {column} IN ({})",
                    params.list(chunk.len())
                );
                let mut query = sqlx::query(&sql).bind(&tenant_row.id);
                for key in chunk {
                    query = query.bind(key.clone());
                }
                for row in query.fetch_all(&mut *tx).await? {
                    taken.insert(get_str(&row, column)?);
                }
            }
        }
        let mut accepted = Vec::with_capacity(valid.len());
        for (line, username, email, new) in valid {
            let (ukey, ekey) = (normalize_key(&username), normalize_key(&email));
            if let Some(refused) = new.roles.iter().find_map(|r| role_refused.get(r).and_then(Option::as_ref)) {
                errors.push((line, Some(username), refused.clone_for_report()));
            } else if taken.contains(&ukey) {
                errors.push((
                    line,
                    Some(username.clone()),
                    StoreError::AlreadyExists { kind: "user", name: username, field: "username" },
                ));
            } else if taken.contains(&ekey) {
                errors.push((
                    line,
                    Some(username),
                    StoreError::AlreadyExists { kind: "user", name: email, field: "email" },
                ));
            } else {
                taken.insert(ukey);
                taken.insert(ekey);
                accepted.push((line, username, email, new));
            }
        }
        // Quota: lines past the last free place are refused, in file order.
        if let Some(max) = tenant_row.tenant.quotas.max_users {
            let free = max.saturating_sub(tenant_row.tenant.usage.users) as usize;
            if accepted.len() > free {
                for (line, username, _, _) in accepted.drain(free..) {
                    errors.push((line, Some(username), users_quota_exceeded(&tenant_row)));
                }
            }
        }
        if dry_run || accepted.is_empty() {
            tx.rollback().await?;
            errors.sort_by_key(|(line, _, _)| *line);
            return Ok(errors);
        }
        take_quota(&mut tx, ctx, &tenant_row, accepted.len() as i64).await?;
        let now = now_ms();
        let mut users = Vec::with_capacity(accepted.len());
        for chunk in accepted.chunks(400) {
            let mut sql = String::from(
                "INSERT INTO users (id, tenant_id, username, username_key, email, email_key, status, password_hash, version, created_at, updated_at) VALUES ",
            );
            push_placeholders(&tx, &mut sql, chunk.len(), 11);
            let mut query = sqlx::query(&sql);
            let mut profiles_sql =
                String::from("INSERT INTO user_profiles (user_id, nickname, avatar_url, bio) VALUES ");
            push_placeholders(&tx, &mut profiles_sql, chunk.len(), 4);
            let mut profiles = sqlx::query(&profiles_sql);
            let mut stats_sql = String::from("INSERT INTO user_stats (user_id, login_count) VALUES ");
            push_placeholders(&tx, &mut stats_sql, chunk.len(), 2);
            let mut stats = sqlx::query(&stats_sql);
            let mut grants: Vec<(String, String)> = Vec::new();
            for (_, username, email, new) in chunk {
                let id = new_id();
                query = query
                    .bind(id.clone())
                    .bind(tenant_row.id.clone())
                    .bind(username.clone())
                    .bind(normalize_key(username))
                    .bind(email.clone())
                    .bind(normalize_key(email))
                    .bind("active")
                    .bind(new.password_hash.clone())
                    .bind(1i64)
                    .bind(now)
                    .bind(now);
                profiles = profiles
                    .bind(id.clone())
                    .bind(new.profile.nickname.clone())
                    .bind(new.profile.avatar_url.clone())
                    .bind(new.profile.bio.clone());
                stats = stats.bind(id.clone()).bind(0i64);
                for role in dedup(&new.roles) {
                    grants.push((id.clone(), role.to_owned()));
                }
                let mut roles: Vec<String> = dedup(&new.roles).into_iter().map(str::to_owned).collect();
                roles.sort();
                users.push(User {
                    id,
                    tenant: tenant.to_owned(),
                    username: username.clone(),
                    email: email.clone(),
                    status: "active".into(),
                    roles,
                    profile: new.profile.clone(),
                    stats: UserStats::default(),
                    version: 1,
                    created_at: format_ms(now),
                    updated_at: format_ms(now),
                });
            }
            query.execute(&mut *tx).await?;
            profiles.execute(&mut *tx).await?;
            stats.execute(&mut *tx).await?;
            for grant_chunk in grants.chunks(1000) {
                let mut grants_sql = String::from("INSERT INTO user_roles (user_id, role) VALUES ");
                push_placeholders(&tx, &mut grants_sql, grant_chunk.len(), 2);
                let mut q = sqlx::query(&grants_sql);
                for (id, role) in grant_chunk {
                    q = q.bind(id.clone()).bind(role.clone());
                }
                q.execute(&mut *tx).await?;
            }
        }
        let events: Vec<_> = users
            .iter()
            .map(|user| {
                Ok(build_event(
                    ctx,
                    EventDraft {
                        event_type: catalog::USER_CREATED,
                        tenant,
                        aggregate_id: &user.id,
                        aggregate_version: 1,
                        data: json_value(user)?,
                        extra_metadata: None,
                    },
                    now,
                ))
            })
            .collect::<Result<_>>()?;
        insert_events(&mut tx, &events, now).await?;
        record_audit(
            &mut tx,
            ctx,
            AuditDraft {
                action: "user.import",
                target: format!("tenant:{tenant}"),
                tenant: Some(tenant),
                outcome: "success",
                details: serde_json::json!({"created": users.len(), "failed": errors.len()}),
            },
        )
        .await?;
        tx.commit().await?;
        if self.backend == Backend::Postgres {
            self.refresh_user_statistics().await?;
        }
        errors.sort_by_key(|(line, _, _)| *line);
        Ok(errors)
    }

    /// After a bulk import, bring the planner's statistics of `users` up to
    /// date when a tenth of it changed since they were gathered — the rule
    /// autovacuum applies, applied now instead of up to a minute later (or
    /// never, where autovacuum is off, as on the CI machine). Without it the
    /// next batch's duplicate checks are planned as if the tenant still had
    /// its old size: a scan of every user of the tenant per 1,000 keys,
    /// 180 ms each at 500k users, where the index answers in 2 ms.
    async fn refresh_user_statistics(&self) -> Result<()> {
        let row = sqlx::query(
            "SELECT n_mod_since_analyze, n_live_tup FROM pg_stat_user_tables \
             WHERE relid = 'users'::regclass",
        )
        .fetch_optional(&self.write)
        .await?;
        let Some(row) = row else { return Ok(()) };
        let (changed, live) = (get_i64(&row, "n_mod_since_analyze")?, get_i64(&row, "n_live_tup")?);
        if changed > 1000 && changed * 10 > live {
            sqlx::query("ANALYZE users").execute(&self.write).await?;
        }
        Ok(())
    }

    /// Live users of a tenant with ids after `after`, in id (creation) order.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.export_users_after", skip_all)]
    pub async fn export_users_after(&self, tenant: &str, after: &str, limit: u64) -> Result<Vec<User>> {
        let mut conn = self.read.acquire().await?;
        let tenant_row = tenant_by_slug(&mut conn, tenant).await?;
        let rows = sqlx::query(&format!(
            "{USER_SELECT} WHERE u.tenant_id = $1 AND u.status <> 'deleted' AND u.id > $2 ORDER BY u.id LIMIT $3"
        ))
        .bind(&tenant_row.id)
        .bind(after)
        .bind(limit as i64)
        .fetch_all(&mut *conn)
        .await?;
        Ok(hydrate(&mut conn, rows).await?.into_iter().map(|u| u.user).collect())
    }
}

fn dedup(roles: &[String]) -> Vec<&str> {
    let mut seen = HashSet::new();
    roles.iter().map(String::as_str).filter(|r| seen.insert(*r)).collect()
}
