//! Bootstrap, login bookkeeping, refresh-token families, revoked tokens,
//! signing keys and service accounts.

use plat_domain::FailureState;
use plat_proto::ServiceAccount;
use plat_proto::catalog;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::audit::{AuditDraft, AuditOf, record_audit};
use crate::authority::confer_roles;
use crate::envelope::EventDraft;
use crate::outbox::record_change;
use crate::rows::tenant_by_slug;
use crate::sessions::{Ending, NewSession, Which, continue_session, end_sessions_where, start_session};
use crate::sql::{
    decode_json, format_ms, get_i64, get_opt_i64, get_opt_str, get_str, is_unique_violation, json_text, json_value,
    new_id, now_ms,
};
use crate::users::{Activity, end_sessions, user_activity};
use crate::{Ctx, NewUser, Result, Store, StoreError};

/// What presenting a refresh token led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// Spent now; its successor is stored. `amr`: how the session began.
    Rotated { user_id: String, family_id: String, amr: Vec<String> },
    /// Already spent: the whole family has just been revoked.
    Reused { user_id: String, family_id: String },
    /// Unknown, expired or revoked.
    Invalid,
}

/// A signing key as stored: the private part is sealed by the daemon.
#[derive(Debug, Clone)]
pub struct StoredKey {
    pub kid: String,
    pub algorithm: String,
    pub sealed_private_key: String,
    pub public_key: String,
    pub status: String,
    pub created_at: i64,
    pub retire_at: Option<i64>,
}

/// A service account with what never leaves plat.
#[derive(Debug, Clone)]
pub struct ServiceAccountRecord {
    pub account: ServiceAccount,
    pub id: String,
    pub tenant_id: String,
    pub tenant_status: String,
    pub secret_hash: String,
}

/// A service account's OAuth settings (`docs/oauth.md`): the audiences its
/// tokens may carry and the public keys it authenticates with.
#[derive(Debug, Clone, Default)]
pub struct OAuthSettings {
    pub audiences: Vec<String>,
    pub jwks: Option<plat_proto::ClientJwks>,
    /// Event types it may publish (docs/events.md).
    pub publishes: Vec<String>,
}

impl OAuthSettings {
    fn validate(&self) -> Result<()> {
        plat_domain::publish::validate_publish_patterns(&self.publishes)?;
        for audience in &self.audiences {
            if audience.is_empty() || audience.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(StoreError::Invalid {
                    field: "audiences".into(),
                    message: format!("{audience:?} must be non-empty, without spaces or control characters"),
                });
            }
        }
        Ok(())
    }

    fn jwks_text(&self) -> Result<Option<String>> {
        self.jwks.as_ref().filter(|j| !j.keys.is_empty()).map(json_text).transpose()
    }
}

const SA_SELECT: &str = "SELECT a.id, a.tenant_id, a.name, a.client_id, a.secret_hash, a.description, a.roles, a.created_at, \
    a.secret_rotated_at, a.audiences, a.jwks, a.publishes, t.slug AS tenant_slug, t.status AS tenant_status FROM service_accounts a JOIN tenants t ON t.id = a.tenant_id";

fn sa_from_row(row: &AnyRow) -> Result<ServiceAccountRecord> {
    Ok(ServiceAccountRecord {
        id: get_str(row, "id")?,
        tenant_id: get_str(row, "tenant_id")?,
        tenant_status: get_str(row, "tenant_status")?,
        secret_hash: get_str(row, "secret_hash")?,
        account: ServiceAccount {
            name: get_str(row, "name")?,
            client_id: get_str(row, "client_id")?,
            tenant: get_str(row, "tenant_slug")?,
            description: get_str(row, "description")?,
            roles: decode_json("service_accounts.roles", &get_str(row, "roles")?)?,
            created_at: format_ms(get_i64(row, "created_at")?),
            secret_rotated_at: format_ms(get_i64(row, "secret_rotated_at")?),
            audiences: decode_json("service_accounts.audiences", &get_str(row, "audiences")?)?,
            jwks: get_opt_str(row, "jwks")?.map(|j| decode_json("service_accounts.jwks", &j)).transpose()?,
            publishes: decode_json("service_accounts.publishes", &get_str(row, "publishes")?)?,
        },
    })
}

fn audit<'a>(action: &'a str, target: String, tenant: Option<&'a str>, details: serde_json::Value) -> AuditDraft<'a> {
    AuditDraft { action, target, tenant, outcome: "success", details }
}

impl Store {
    /// Create the `system` tenant and its first `platform-admin`. Refused once done.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.bootstrap", skip_all)]
    pub async fn bootstrap(&self, ctx: &Ctx, admin: NewUser) -> Result<plat_proto::User> {
        if self.meta("bootstrapped_at").await?.is_some() {
            return Err(StoreError::AlreadyBootstrapped);
        }
        {
            let mut tx = self.begin(ctx).await?;
            let claimed = sqlx::query("INSERT INTO meta (key, value) VALUES ('bootstrapped_at', $1)")
                .bind(now_ms().to_string())
                .execute(&mut *tx)
                .await;
            match claimed {
                Err(e) if is_unique_violation(&e) => return Err(StoreError::AlreadyBootstrapped),
                other => other?,
            };
            tx.commit().await?;
        }
        match self.get_tenant(plat_proto::SYSTEM_TENANT).await {
            Ok(_) => {}
            Err(StoreError::NotFound { .. }) => {
                self.create_tenant(ctx, plat_proto::SYSTEM_TENANT, "System", None).await?;
            }
            Err(e) => return Err(e),
        }
        self.create_user(ctx, plat_proto::SYSTEM_TENANT, admin).await
    }

    /// Count one failed login (a wrong password or second-factor code) under
    /// `policy`; returns whether it locked the account. The count is read
    /// and written under the user row's lock, so concurrent failures each
    /// count. A lock closes the user's open second-step challenges.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.record_login_failure", skip_all)]
    pub async fn record_login_failure(
        &self,
        ctx: &Ctx,
        (user_id, tenant): (&str, &str),
        policy: &plat_domain::LockoutPolicy,
        activity: &Activity,
    ) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.begin(ctx).await?;
        let lock = if tx.backend_name() == "PostgreSQL" { " FOR UPDATE" } else { "" };
        let row =
            sqlx::query(&format!("SELECT failed_logins, first_failed_at, locked_until FROM users WHERE id = $1{lock}"))
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
        let current = FailureState {
            failures: get_i64(&row, "failed_logins")?.clamp(0, u32::MAX as i64) as u32,
            first_failure_at: get_opt_i64(&row, "first_failed_at")?,
            locked_until: get_opt_i64(&row, "locked_until")?,
        };
        let state = policy.record_failure(&current, now);
        let locked_now = policy.is_locked(&state, now);
        if locked_now {
            sqlx::query("DELETE FROM mfa_challenges WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE users SET failed_logins = $1, first_failed_at = $2, locked_until = $3 WHERE id = $4")
            .bind(state.failures as i64)
            .bind(state.first_failure_at)
            .bind(state.locked_until)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let action = if locked_now { "auth.lockout" } else { "auth.login" };
        record_audit(
            &mut tx,
            ctx,
            AuditDraft {
                action,
                target: format!("user:{user_id}"),
                tenant: Some(tenant),
                outcome: "failure",
                details: serde_json::json!({"failures": state.failures, "locked": locked_now}),
            },
        )
        .await?;
        let mut activity = activity.clone();
        activity.details.entry("reason").or_insert_with(|| "invalid_credentials".into());
        // Failures in a row, this one included (a lock resets the stored count).
        let in_a_row = if locked_now { policy.max_failures } else { state.failures };
        activity.details.insert("failures".into(), in_a_row.into());
        user_activity(&mut tx, ctx, user_id, catalog::USER_LOGIN_FAILED, &activity).await?;
        if locked_now {
            activity.details.insert("locked_until".into(), state.locked_until.map(format_ms).into());
            user_activity(&mut tx, ctx, user_id, catalog::USER_LOCKED, &activity).await?;
        }
        tx.commit().await?;
        Ok(locked_now)
    }

    /// A successful login: reset failures, count it, store a new hash when the
    /// old one is re-hashed (bcrypt → argon2id), and begin the session with
    /// its refresh token. `valid_after`: the user's `tokens_valid_after` as
    /// the login read it.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.record_login_success", skip_all)]
    pub async fn record_login_success(
        &self,
        ctx: &Ctx,
        (user_id, tenant, valid_after): (&str, &str, i64),
        new_hash: Option<&str>,
        (refresh_hash, session): (&str, &NewSession),
        activity: &Activity,
    ) -> Result<()> {
        let now = now_ms();
        let mut tx = self.begin(ctx).await?;
        // Only if nothing ended the user's sessions since the login read it
        // (`valid_after`: a password change, a disable): else the re-hash
        // would overwrite a new password and the session outlive the change.
        let done = sqlx::query(
            "UPDATE users SET failed_logins = 0, first_failed_at = NULL, locked_until = NULL, \
             password_hash = COALESCE($1, password_hash) WHERE id = $2 AND tokens_valid_after = $3",
        )
        .bind(new_hash.map(str::to_owned))
        .bind(user_id)
        .bind(valid_after)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("the account changed during the login: log in again".into()));
        }
        sqlx::query("UPDATE user_stats SET login_count = login_count + 1, last_login_at = $1 WHERE user_id = $2")
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let ends = now.saturating_add(session.lifetime_ms);
        let refresh_until = plat_domain::session::refresh_until(now, session.idle_ms, ends);
        insert_refresh(&mut tx, refresh_hash, &session.id, user_id, refresh_until, now).await?;
        let from = (activity.source_ip.as_deref(), activity.user_agent.as_deref());
        start_session(&mut tx, ctx, user_id, session, from, now).await?;
        record_audit(
            &mut tx,
            ctx,
            audit(
                "auth.login",
                format!("user:{user_id}"),
                Some(tenant),
                serde_json::json!({"rehashed": new_hash.is_some()}),
            ),
        )
        .await?;
        let activity = Activity { session_id: Some(session.id.clone()), ..activity.clone() };
        user_activity(&mut tx, ctx, user_id, catalog::USER_LOGIN, &activity).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Spend a refresh token and, when its session is live, store its
    /// successor in the same transaction (living until the session's idle
    /// or absolute end, whichever comes first). A spent token presented
    /// again ends its session: its family revoked, its `sid` refused until
    /// `revoke_until`.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.rotate_refresh", skip_all)]
    pub async fn rotate_refresh(
        &self,
        token_hash: &str,
        successor_hash: &str,
        revoke_until: i64,
    ) -> Result<RefreshOutcome> {
        let now = now_ms();
        let mut tx = self.write.begin().await?;
        let spent = sqlx::query(
            "UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(token_hash)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query("SELECT family_id, user_id, used_at FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Ok(RefreshOutcome::Invalid);
        };
        let family_id = get_str(&row, "family_id")?;
        let user_id = get_str(&row, "user_id")?;
        if spent.rows_affected() == 1 {
            // Not committed unless the session goes on: the token stays unspent.
            let Some(session) = continue_session(&mut tx, &family_id, now).await? else {
                return Ok(RefreshOutcome::Invalid);
            };
            insert_refresh(&mut tx, successor_hash, &family_id, &user_id, session.refresh_until, now).await?;
            tx.commit().await?;
            return Ok(RefreshOutcome::Rotated { user_id, family_id, amr: session.amr });
        }
        if get_opt_i64(&row, "used_at")?.is_some() {
            sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(&family_id)
                .execute(&mut *tx)
                .await?;
            record_audit(
                &mut tx,
                &Ctx::system(),
                AuditDraft {
                    action: "auth.refresh_reuse",
                    target: format!("user:{user_id}"),
                    tenant: None,
                    outcome: "failure",
                    details: serde_json::json!({"family_id": family_id}),
                },
            )
            .await?;
            let which = Which::One { user_id: &user_id, id: &family_id };
            let ending = Ending { reason: "reuse", revoke_until: Some(revoke_until), audited: false };
            end_sessions_where(&mut tx, &Ctx::system(), which, ending).await?;
            tx.commit().await?;
            return Ok(RefreshOutcome::Reused { user_id, family_id });
        }
        Ok(RefreshOutcome::Invalid)
    }

    /// End the session a refresh token belongs to, if it is `owner`'s (any
    /// owner's for `None`: holding a refresh token is enough to end its
    /// session, RFC 7009); its access tokens are refused until
    /// `revoke_until`. Returns the user's id and the session's.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.revoke_refresh_family", skip_all)]
    pub async fn revoke_refresh_family(
        &self,
        ctx: &Ctx,
        token_hash: &str,
        owner: Option<&str>,
        (activity, revoke_until): (&Activity, i64),
    ) -> Result<Option<(String, String)>> {
        let mut tx = self.begin(ctx).await?;
        let row = sqlx::query("SELECT family_id, user_id FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row.filter(|r| owner.is_none_or(|o| get_str(r, "user_id").is_ok_and(|u| u == o))) else {
            return Ok(None);
        };
        let user_id = get_str(&row, "user_id")?;
        let family = get_str(&row, "family_id")?;
        let ended =
            sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL")
                .bind(now_ms())
                .bind(family.clone())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        record_audit(&mut tx, ctx, audit("auth.logout", format!("user:{user_id}"), None, serde_json::json!({})))
            .await?;
        // One event per session ended, not per call: a second logout of the
        // same session says nothing new.
        if ended > 0 {
            let which = Which::One { user_id: &user_id, id: &family };
            let ending = Ending { reason: "logout", revoke_until: Some(revoke_until), audited: false };
            end_sessions_where(&mut tx, ctx, which, ending).await?;
            let activity = Activity { session_id: Some(family.clone()), ..activity.clone() };
            user_activity(&mut tx, ctx, &user_id, catalog::USER_LOGOUT, &activity).await?;
        }
        tx.commit().await?;
        Ok(Some((user_id, family)))
    }

    /// End every session of a user (logout-all, revoke --user).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.revoke_user_sessions", skip_all)]
    pub async fn revoke_user_sessions(&self, ctx: &Ctx, user_id: &str, tenant: &str) -> Result<u64> {
        let mut tx = self.begin(ctx).await?;
        let n = end_sessions(&mut tx, ctx, user_id, "sessions_revoked").await?;
        record_audit(
            &mut tx,
            ctx,
            audit("auth.revoke_sessions", format!("user:{user_id}"), Some(tenant), serde_json::json!({"sessions": n})),
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Revoke one access token by its jti until it expires.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.revoke_jti", skip_all)]
    pub async fn revoke_jti(&self, ctx: &Ctx, jti: &str, expires_at: i64, tenant: Option<&str>) -> Result<bool> {
        let mut tx = self.begin(ctx).await?;
        let inserted = sqlx::query("INSERT INTO revoked_tokens (jti, expires_at, revoked_at) VALUES ($1, $2, $3)")
            .bind(jti)
            .bind(expires_at)
            .bind(now_ms())
            .execute(&mut *tx)
            .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => return Ok(false),
            other => other?,
        };
        record_audit(&mut tx, ctx, audit("token.revoke", format!("jti:{jti}"), tenant, serde_json::json!({}))).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Revoked jtis (with their revocation time) revoked at or after `since`, not yet expired.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.revoked_since", skip_all)]
    pub async fn revoked_since(&self, since: i64) -> Result<Vec<(String, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT jti, expires_at, revoked_at FROM revoked_tokens WHERE revoked_at >= $1 AND expires_at > $2",
        )
        .bind(since)
        .bind(now_ms())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(|r| Ok((get_str(r, "jti")?, get_i64(r, "expires_at")?, get_i64(r, "revoked_at")?))).collect()
    }

    /// Drop bookkeeping that can no longer matter: expired revocations and refresh tokens.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.purge_expired", skip_all)]
    pub async fn purge_expired(&self) -> Result<u64> {
        let now = now_ms();
        let a = sqlx::query("DELETE FROM revoked_tokens WHERE expires_at < $1").bind(now).execute(&self.write).await?;
        let b = sqlx::query("DELETE FROM refresh_tokens WHERE expires_at < $1").bind(now).execute(&self.write).await?;
        let c =
            sqlx::query("DELETE FROM client_assertions WHERE expires_at < $1").bind(now).execute(&self.write).await?;
        let d = crate::sessions::purge_sessions(&self.write, now).await?;
        let e = sqlx::query("DELETE FROM mfa_challenges WHERE expires_at <= $1").bind(now).execute(&self.write).await?;
        Ok(a.rows_affected() + b.rows_affected() + c.rows_affected() + d + e.rows_affected())
    }

    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.insert_key", skip_all)]
    pub async fn insert_key(&self, ctx: &Ctx, key: &StoredKey) -> Result<()> {
        let mut tx = self.begin(ctx).await?;
        // The newest key signs; the others keep verifying until their tokens expire.
        sqlx::query("UPDATE signing_keys SET status = 'retiring', retire_at = $1 WHERE status = 'active'")
            .bind(key.retire_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO signing_keys (kid, algorithm, private_key, public_key, status, created_at, retire_at) VALUES ($1, $2, $3, $4, 'active', $5, NULL)",
        )
        .bind(&key.kid)
        .bind(&key.algorithm)
        .bind(&key.sealed_private_key)
        .bind(&key.public_key)
        .bind(key.created_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM signing_keys WHERE status = 'retiring' AND retire_at < $1")
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        record_audit(&mut tx, ctx, audit("keys.rotate", format!("key:{}", key.kid), None, serde_json::json!({})))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Keys that still sign or verify, newest first.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.list_keys", skip_all)]
    pub async fn list_keys(&self) -> Result<Vec<StoredKey>> {
        let rows = sqlx::query(
            "SELECT kid, algorithm, private_key, public_key, status, created_at, retire_at FROM signing_keys \
             WHERE status = 'active' OR retire_at >= $1 ORDER BY created_at DESC",
        )
        .bind(now_ms())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredKey {
                    kid: get_str(r, "kid")?,
                    algorithm: get_str(r, "algorithm")?,
                    sealed_private_key: get_str(r, "private_key")?,
                    public_key: get_str(r, "public_key")?,
                    status: get_str(r, "status")?,
                    created_at: get_i64(r, "created_at")?,
                    retire_at: get_opt_i64(r, "retire_at")?,
                })
            })
            .collect()
    }

    /// `account` = (name, description, roles); `credentials` = (client id, secret hash).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.create_service_account", skip_all)]
    pub async fn create_service_account(
        &self,
        ctx: &Ctx,
        tenant: &str,
        account: (&str, &str, &[String]),
        credentials: (&str, &str),
        oauth: &OAuthSettings,
    ) -> Result<ServiceAccount> {
        let mut tx = self.begin(ctx).await?;
        insert_service_account(&mut tx, ctx, tenant, account, credentials, oauth).await?;
        tx.commit().await?;
        Ok(self.get_service_account(tenant, account.0).await?.account)
    }

    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.get_service_account", skip_all)]
    pub async fn get_service_account(&self, tenant: &str, name: &str) -> Result<ServiceAccountRecord> {
        let row = sqlx::query(&format!("{SA_SELECT} WHERE t.slug = $1 AND a.name = $2"))
            .bind(tenant)
            .bind(name)
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| StoreError::NotFound { kind: "service account", name: name.to_owned() })?;
        sa_from_row(&row)
    }

    #[tracing::instrument(
        target = "plat::span",
        level = "trace",
        name = "store.service_account_by_client_id",
        skip_all
    )]
    pub async fn service_account_by_client_id(&self, client_id: &str) -> Result<ServiceAccountRecord> {
        let row = sqlx::query(&format!("{SA_SELECT} WHERE a.client_id = $1"))
            .bind(client_id)
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| StoreError::NotFound { kind: "service account", name: client_id.to_owned() })?;
        sa_from_row(&row)
    }

    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.list_service_accounts", skip_all)]
    pub async fn list_service_accounts(&self, tenant: &str) -> Result<Vec<ServiceAccount>> {
        let rows = sqlx::query(&format!("{SA_SELECT} WHERE t.slug = $1 ORDER BY a.name"))
            .bind(tenant)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(|r| Ok(sa_from_row(r)?.account)).collect()
    }

    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.delete_service_account", skip_all)]
    pub async fn delete_service_account(&self, ctx: &Ctx, tenant: &str, name: &str) -> Result<()> {
        let record = self.get_service_account(tenant, name).await?;
        let mut tx = self.begin(ctx).await?;
        let deleted = (catalog::SERVICE_ACCOUNT_DELETED, serde_json::json!({}));
        account_changed(&mut tx, ctx, &record.id, deleted, true).await?;
        sqlx::query("DELETE FROM service_accounts WHERE id = $1").bind(&record.id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Change a service account's description or OAuth settings (`None`
    /// keeps what is stored). Registering keys lets whoever holds the
    /// private key wield the account's roles, so it is under the conferral
    /// rule like a new secret.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.update_service_account", skip_all)]
    pub async fn update_service_account(
        &self,
        ctx: &Ctx,
        tenant: &str,
        name: &str,
        change: &plat_proto::UpdateServiceAccount,
    ) -> Result<ServiceAccount> {
        let plat_proto::UpdateServiceAccount { description, audiences, jwks, publishes } = change;
        let (description, jwks) = (description.as_deref(), jwks.as_ref());
        let record = self.get_service_account(tenant, name).await?;
        if let Some(description) = description {
            plat_domain::validate_text("description", description, plat_proto::limits::DESCRIPTION)?;
        }
        let oauth = OAuthSettings {
            audiences: audiences.clone().unwrap_or(record.account.audiences.clone()),
            jwks: jwks.cloned().or(record.account.jwks.clone()),
            publishes: publishes.clone().unwrap_or(record.account.publishes.clone()),
        };
        oauth.validate()?;
        let mut tx = self.begin(ctx).await?;
        if jwks.is_some_and(|j| !j.keys.is_empty()) {
            let tenant_row = tenant_by_slug(&mut tx, tenant).await?;
            confer_roles(&mut tx, ctx, &tenant_row, &record.account.roles).await?;
        }
        sqlx::query(
            "UPDATE service_accounts SET description = $1, audiences = $2, jwks = $3, publishes = $4 WHERE id = $5",
        )
        .bind(description.unwrap_or(&record.account.description))
        .bind(json_text(&oauth.audiences)?)
        .bind(oauth.jwks_text()?)
        .bind(json_text(&oauth.publishes)?)
        .bind(&record.id)
        .execute(&mut *tx)
        .await?;
        let details = serde_json::json!({
            "audiences": oauth.audiences,
            "keys": oauth.jwks.as_ref().map_or(0, |j| j.keys.len()),
            "publishes": oauth.publishes,
        });
        account_changed(&mut tx, ctx, &record.id, (catalog::SERVICE_ACCOUNT_UPDATED, details), true).await?;
        tx.commit().await?;
        Ok(self.get_service_account(tenant, name).await?.account)
    }

    /// Spend a client assertion's `jti` (RFC 7523): true the first time,
    /// false on a replay, on any replica.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.spend_client_assertion", skip_all)]
    pub async fn spend_client_assertion(&self, client_id: &str, jti: &str, expires_at: i64) -> Result<bool> {
        let inserted = sqlx::query("INSERT INTO client_assertions (client_id, jti, expires_at) VALUES ($1, $2, $3)")
            .bind(client_id)
            .bind(jti)
            .bind(expires_at)
            .execute(&self.write)
            .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    #[tracing::instrument(
        target = "plat::span",
        level = "trace",
        name = "store.rotate_service_account_secret",
        skip_all
    )]
    pub async fn rotate_service_account_secret(
        &self,
        ctx: &Ctx,
        tenant: &str,
        name: &str,
        secret_hash: &str,
    ) -> Result<ServiceAccount> {
        let record = self.get_service_account(tenant, name).await?;
        let mut tx = self.begin(ctx).await?;
        // Whoever holds the new secret wields the account's roles.
        let tenant_row = tenant_by_slug(&mut tx, tenant).await?;
        confer_roles(&mut tx, ctx, &tenant_row, &record.account.roles).await?;
        sqlx::query("UPDATE service_accounts SET secret_hash = $1, secret_rotated_at = $2 WHERE id = $3")
            .bind(secret_hash)
            .bind(now_ms())
            .bind(&record.id)
            .execute(&mut *tx)
            .await?;
        let rotated = (catalog::SERVICE_ACCOUNT_SECRET_ROTATED, serde_json::json!({}));
        account_changed(&mut tx, ctx, &record.id, rotated, true).await?;
        tx.commit().await?;
        Ok(self.get_service_account(tenant, name).await?.account)
    }
}

/// Announce a change of a service account: raise its version (`bump`; a new
/// account starts at 1), then write `event_type` with the account as `data`
/// (never its secret) and its audit record with `details`, in the change's
/// transaction.
async fn account_changed(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    id: &str,
    (event_type, details): (&'static catalog::EventType, serde_json::Value),
    bump: bool,
) -> Result<()> {
    if bump {
        sqlx::query("UPDATE service_accounts SET version = version + 1 WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    let row = sqlx::query(&format!("{SA_SELECT} WHERE a.id = $1")).bind(id).fetch_one(&mut *conn).await?;
    let account = sa_from_row(&row)?.account;
    let version: i64 =
        sqlx::query_scalar("SELECT version FROM service_accounts WHERE id = $1").bind(id).fetch_one(&mut *conn).await?;
    let draft = EventDraft {
        event_type,
        tenant: &account.tenant,
        aggregate_id: id,
        aggregate_version: version.max(1) as u64,
        data: json_value(&account)?,
        extra_metadata: None,
    };
    let target = format!("service_account:{}", account.name);
    record_change(conn, ctx, draft, AuditOf { action: None, target, tenant: Some(&account.tenant), details }).await?;
    Ok(())
}

async fn insert_refresh(
    conn: &mut AnyConnection,
    hash: &str,
    family: &str,
    user_id: &str,
    expires_at: i64,
    now: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(hash)
        .bind(family)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Create a service account in `tenant` on `conn` (the caller's
/// transaction): the one way plat makes one, for the API, a registered
/// service's own account and the Kubernetes controller's. Its roles pass
/// the conferral rule; `service_account.created` and its audit are written.
pub(crate) async fn insert_service_account(
    tx: &mut AnyConnection,
    ctx: &Ctx,
    tenant: &str,
    (name, description, roles): (&str, &str, &[String]),
    (client_id, secret_hash): (&str, &str),
    oauth: &OAuthSettings,
) -> Result<()> {
    plat_domain::validate_name("name", name)?;
    plat_domain::validate_text("description", description, plat_proto::limits::DESCRIPTION)?;
    oauth.validate()?;
    let tenant_row = tenant_by_slug(tx, tenant).await?;
    confer_roles(tx, ctx, &tenant_row, roles).await?;
    let now = now_ms();
    let id = new_id();
    let inserted = sqlx::query(
        "INSERT INTO service_accounts (id, tenant_id, name, client_id, secret_hash, description, roles, created_at, secret_rotated_at, audiences, jwks, publishes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11)",
    )
    .bind(&id)
    .bind(&tenant_row.id)
    .bind(name)
    .bind(client_id)
    .bind(secret_hash)
    .bind(description)
    .bind(json_text(roles)?)
    .bind(now)
    .bind(json_text(&oauth.audiences)?)
    .bind(oauth.jwks_text()?)
    .bind(json_text(&oauth.publishes)?)
    .execute(&mut *tx)
    .await;
    match inserted {
        Err(e) if is_unique_violation(&e) => {
            return Err(StoreError::AlreadyExists { kind: "service account", name: name.to_owned(), field: "name" });
        }
        other => other?,
    };
    let details = serde_json::json!({"roles": roles});
    account_changed(tx, ctx, &id, (catalog::SERVICE_ACCOUNT_CREATED, details), false).await?;
    Ok(())
}
