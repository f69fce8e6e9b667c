//! Second factors (docs/mfa.md): a user's TOTP factor (its secret sealed by
//! the daemon), recovery codes (keyed hashes), and the challenges of logins
//! waiting for their second step. Codes are checked by the daemon; what is
//! spent is spent here, atomically: a TOTP time step at most once and never
//! an older one, a recovery code once, a challenge once.

use sqlx::AnyConnection;

use plat_proto::{MfaFactor, MfaStatus, Session, catalog};

use crate::audit::{AuditDraft, record_audit};
use crate::sessions::{Ending, Which, end_sessions_where};
use crate::sql::{Params, format_ms, get_i64, get_opt_i64, get_opt_str, get_str, is_unique_violation, new_id, now_ms};
use crate::users::{Activity, user_activity};
use crate::{Ctx, Result, Store, StoreError};

/// The kind of the TOTP factor.
pub const TOTP: &str = "totp";
/// The kind of a passkey (WebAuthn) factor.
pub const PASSKEY: &str = "passkey";

/// Open challenges of one purpose a person may hold at once.
pub const MAX_OPEN_CHALLENGES: i64 = 16;

/// What a challenge is for (`mfa_challenges.purpose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A login's second step, after its password.
    Login,
    /// A login by passkey alone.
    PasskeyLogin,
    /// A passkey's registration.
    Register,
    /// A passkey's proof, for a change to its owner's factors.
    Proof,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Login => "login",
            Purpose::PasskeyLogin => "passkey_login",
            Purpose::Register => "register",
            Purpose::Proof => "proof",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "login" => Purpose::Login,
            "passkey_login" => Purpose::PasskeyLogin,
            "register" => Purpose::Register,
            "proof" => Purpose::Proof,
            other => return Err(StoreError::Corrupt(format!("unknown challenge purpose {other:?}"))),
        })
    }
}

/// A challenge of a login waiting for its second step.
#[derive(Debug, Clone)]
pub struct MfaChallenge {
    pub user_id: String,
    pub attempts: u32,
    pub purpose: Purpose,
    /// The WebAuthn ceremony's state (sealed), when a passkey may answer.
    pub ceremony: Option<String>,
}

/// A new challenge.
#[derive(Debug, Clone, Copy)]
pub struct NewChallenge<'a> {
    pub token_hash: &'a str,
    pub user_id: &'a str,
    pub purpose: Purpose,
    pub expires_at: i64,
    /// The password's re-hash a login's first step left.
    pub rehash: Option<&'a str>,
    pub ceremony: Option<&'a str>,
}

/// A passkey as stored: its factor id and its credential, sealed.
#[derive(Debug, Clone)]
pub struct StoredPasskey {
    pub id: String,
    pub sealed: String,
}

/// A passkey to add.
#[derive(Debug, Clone, Copy)]
pub struct NewPasskey<'a> {
    pub name: &'a str,
    /// base64url, unique across every account.
    pub credential_id: &'a str,
    pub sealed: &'a str,
}

impl Store {
    /// Store a new pending TOTP secret for a user, replacing a pending one.
    /// A user with a confirmed TOTP factor must remove it first (`Conflict`).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.begin_totp", skip_all)]
    pub async fn begin_totp(&self, user_id: &str, sealed_secret: &str) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM mfa_factors WHERE user_id = $1 AND kind = $2 AND confirmed_at IS NULL")
            .bind(user_id)
            .bind(TOTP)
            .execute(&mut *tx)
            .await?;
        let inserted =
            sqlx::query("INSERT INTO mfa_factors (id, user_id, kind, secret, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(new_id())
                .bind(user_id)
                .bind(TOTP)
                .bind(sealed_secret)
                .bind(now_ms())
                .execute(&mut *tx)
                .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict("a TOTP factor is enrolled already; remove it first".into()));
            }
            other => other?,
        };
        tx.commit().await?;
        Ok(())
    }

    /// A user's TOTP secret (sealed) and the last step it accepted:
    /// `confirmed` picks the working factor or the pending one.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.totp_secret", skip_all)]
    pub async fn totp_secret(&self, user_id: &str, confirmed: bool) -> Result<Option<(String, i64)>> {
        let state = if confirmed { "IS NOT NULL" } else { "IS NULL" };
        let row = sqlx::query(&format!(
            "SELECT secret, last_step FROM mfa_factors WHERE user_id = $1 AND kind = $2 AND confirmed_at {state}"
        ))
        .bind(user_id)
        .bind(TOTP)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| Ok((get_str(&r, "secret")?, get_i64(&r, "last_step")?))).transpose()
    }

    /// Confirm the pending TOTP factor with the step its first code was for,
    /// and replace the user's recovery codes with these (keyed hashes); one
    /// change, announced as `user.mfa_enrolled`. `false` when nothing was
    /// pending (another request confirmed it first).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.confirm_totp", skip_all)]
    pub async fn confirm_totp(
        &self,
        ctx: &Ctx,
        (user_id, tenant): (&str, &str),
        (sealed_secret, step): (&str, i64),
        recovery_hashes: &[String],
    ) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.begin(ctx).await?;
        // The secret the code was checked against, not one enrolled since.
        let confirmed = sqlx::query(
            "UPDATE mfa_factors SET confirmed_at = $1, last_step = $2 WHERE user_id = $3 AND kind = $4 \
             AND confirmed_at IS NULL AND secret = $5",
        )
        .bind(now)
        .bind(step)
        .bind(user_id)
        .bind(TOTP)
        .bind(sealed_secret)
        .execute(&mut *tx)
        .await?;
        if confirmed.rows_affected() == 0 {
            return Ok(false);
        }
        replace_recovery_codes(&mut tx, user_id, recovery_hashes).await?;
        let details = serde_json::json!({"factor": TOTP, "recovery_codes": recovery_hashes.len()});
        record_audit(&mut tx, ctx, audit("mfa.enroll", user_id, tenant, details)).await?;
        let mut activity = Activity::default();
        activity.details.insert("factor".into(), TOTP.into());
        user_activity(&mut tx, ctx, user_id, catalog::USER_MFA_ENROLLED, &activity).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A user's confirmed factors and unspent recovery codes.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.mfa_status", skip_all)]
    pub async fn mfa_status(&self, user_id: &str) -> Result<MfaStatus> {
        let rows = sqlx::query(
            "SELECT id, kind, name, confirmed_at, last_used_at FROM mfa_factors WHERE user_id = $1 \
             AND confirmed_at IS NOT NULL ORDER BY kind, confirmed_at, id",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await?;
        let factors = rows
            .iter()
            .map(|r| {
                Ok(MfaFactor {
                    id: get_str(r, "id")?,
                    kind: get_str(r, "kind")?,
                    name: get_opt_str(r, "name")?,
                    created_at: format_ms(get_i64(r, "confirmed_at")?),
                    last_used_at: get_opt_i64(r, "last_used_at")?.map(format_ms),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let left = sqlx::query("SELECT COUNT(*) AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL")
            .bind(user_id)
            .fetch_one(&self.read)
            .await?;
        Ok(MfaStatus { factors, recovery_codes_left: get_i64(&left, "n")?.clamp(0, u32::MAX as i64) as u32 })
    }

    /// Spend a TOTP time step: accepted when it is newer than the last one
    /// accepted (so a code is never accepted twice, RFC 6238 §5.2).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.spend_totp_step", skip_all)]
    pub async fn spend_totp_step(&self, user_id: &str, step: i64) -> Result<bool> {
        let spent = sqlx::query(
            "UPDATE mfa_factors SET last_step = $1, last_used_at = $2 WHERE user_id = $3 AND kind = $4 \
             AND confirmed_at IS NOT NULL AND last_step < $1",
        )
        .bind(step)
        .bind(now_ms())
        .bind(user_id)
        .bind(TOTP)
        .execute(&self.write)
        .await?;
        Ok(spent.rows_affected() == 1)
    }

    /// Spend a recovery code by its keyed hash, once.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.spend_recovery_code", skip_all)]
    pub async fn spend_recovery_code(&self, user_id: &str, code_hash: &str) -> Result<bool> {
        let spent = sqlx::query(
            "UPDATE mfa_recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
        )
        .bind(now_ms())
        .bind(user_id)
        .bind(code_hash)
        .execute(&self.write)
        .await?;
        Ok(spent.rows_affected() == 1)
    }

    /// A user's passkeys, sealed.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.passkeys", skip_all)]
    pub async fn passkeys(&self, user_id: &str) -> Result<Vec<StoredPasskey>> {
        let rows = sqlx::query(
            "SELECT id, secret FROM mfa_factors WHERE user_id = $1 AND kind = $2 AND confirmed_at IS NOT NULL ORDER BY id",
        )
        .bind(user_id)
        .bind(PASSKEY)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(|r| Ok(StoredPasskey { id: get_str(r, "id")?, sealed: get_str(r, "secret")? })).collect()
    }

    /// Add a registered passkey and, with `recovery_hashes`, replace the
    /// user's recovery codes; one change, announced as `user.mfa_enrolled`.
    /// A credential registered already (to anyone) is a `Conflict`.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.add_passkey", skip_all)]
    pub async fn add_passkey(
        &self,
        ctx: &Ctx,
        (user_id, tenant): (&str, &str),
        passkey: NewPasskey<'_>,
        recovery_hashes: &[String],
    ) -> Result<String> {
        let now = now_ms();
        let id = new_id();
        let mut tx = self.begin(ctx).await?;
        let inserted = sqlx::query(
            "INSERT INTO mfa_factors (id, user_id, kind, secret, name, credential_id, confirmed_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(PASSKEY)
        .bind(passkey.sealed)
        .bind(passkey.name)
        .bind(passkey.credential_id)
        .bind(now)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict("this passkey is registered already".into()));
            }
            other => other?,
        };
        if !recovery_hashes.is_empty() {
            replace_recovery_codes(&mut tx, user_id, recovery_hashes).await?;
        }
        let details = serde_json::json!({"factor": PASSKEY, "id": id, "name": passkey.name,
            "recovery_codes": recovery_hashes.len()});
        record_audit(&mut tx, ctx, audit("mfa.enroll", user_id, tenant, details)).await?;
        let mut activity = Activity::default();
        activity.details.insert("factor".into(), PASSKEY.into());
        user_activity(&mut tx, ctx, user_id, catalog::USER_MFA_ENROLLED, &activity).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Store a passkey's credential after a use moved its counter.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.use_passkey", skip_all)]
    pub async fn use_passkey(&self, id: &str, sealed: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE mfa_factors SET secret = COALESCE($1, secret), last_used_at = $2 WHERE id = $3")
            .bind(sealed.map(str::to_owned))
            .bind(now_ms())
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Remove one confirmed factor of a user; the recovery codes go with
    /// the last one. Announced as `user.mfa_removed`. `false` when the user
    /// has no such factor.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.remove_factor", skip_all)]
    pub async fn remove_factor(&self, ctx: &Ctx, (user_id, tenant): (&str, &str), factor_id: &str) -> Result<bool> {
        let mut tx = self.begin(ctx).await?;
        let removed = sqlx::query(
            "DELETE FROM mfa_factors WHERE id = $1 AND user_id = $2 AND confirmed_at IS NOT NULL RETURNING kind",
        )
        .bind(factor_id)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(kind) = removed.map(|r| get_str(&r, "kind")).transpose()? else { return Ok(false) };
        let left = sqlx::query("SELECT COUNT(*) AS n FROM mfa_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL")
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await?;
        if get_i64(&left, "n")? == 0 {
            sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM mfa_challenges WHERE user_id = $1 AND purpose = $2")
                .bind(user_id)
                .bind(Purpose::Login.as_str())
                .execute(&mut *tx)
                .await?;
        }
        let details = serde_json::json!({"factor": kind, "id": factor_id});
        record_audit(&mut tx, ctx, audit("mfa.remove", user_id, tenant, details)).await?;
        let mut activity = Activity::default();
        activity.details.insert("factor".into(), kind.into());
        activity.details.insert("by_admin".into(), false.into());
        user_activity(&mut tx, ctx, user_id, catalog::USER_MFA_REMOVED, &activity).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Remove every second factor of a user and its recovery codes, as one
    /// change announced as `user.mfa_removed` (`by_admin`: an admin's reset),
    /// and with `end_sessions` every session of the user in the same change.
    /// Returns whether there was a factor, and the sessions ended.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.remove_mfa", skip_all)]
    pub async fn remove_mfa(
        &self,
        ctx: &Ctx,
        (user_id, tenant): (&str, &str),
        by_admin: bool,
        end_sessions: Option<Ending<'_>>,
    ) -> Result<(bool, Vec<Session>)> {
        let mut tx = self.begin(ctx).await?;
        let ended = match end_sessions {
            Some(ending) => end_sessions_where(&mut tx, ctx, Which::AllOf { user_id, except: None }, ending).await?,
            None => Vec::new(),
        };
        let removed = sqlx::query("DELETE FROM mfa_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL")
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM mfa_factors WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM mfa_challenges WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        if removed == 0 {
            tx.commit().await?;
            return Ok((false, ended));
        }
        let action = if by_admin { "mfa.reset" } else { "mfa.remove" };
        let details = serde_json::json!({"factor": "all"});
        record_audit(&mut tx, ctx, audit(action, user_id, tenant, details)).await?;
        let mut activity = Activity::default();
        activity.details.insert("factor".into(), "all".into());
        activity.details.insert("by_admin".into(), by_admin.into());
        user_activity(&mut tx, ctx, user_id, catalog::USER_MFA_REMOVED, &activity).await?;
        tx.commit().await?;
        Ok((true, ended))
    }

    /// Open a challenge. A person holds at most [`MAX_OPEN_CHALLENGES`] of
    /// one purpose: opening another closes the oldest, so a flood of logins
    /// by passkey naming one person cannot grow the table without bound.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.open_mfa_challenge", skip_all)]
    pub async fn open_mfa_challenge(&self, new: NewChallenge<'_>) -> Result<()> {
        let now = now_ms();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO mfa_challenges (token_hash, user_id, created_at, expires_at, password_hash, purpose, ceremony) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new.token_hash)
        .bind(new.user_id)
        .bind(now)
        .bind(new.expires_at)
        .bind(new.rehash.map(str::to_owned))
        .bind(new.purpose.as_str())
        .bind(new.ceremony.map(str::to_owned))
        .execute(&mut *tx)
        .await?;
        // Oldest first out; ties in a millisecond broken by the hash, so
        // exactly the newest MAX_OPEN_CHALLENGES stay.
        sqlx::query(
            "DELETE FROM mfa_challenges WHERE token_hash IN (SELECT token_hash FROM mfa_challenges \
             WHERE user_id = $1 AND purpose = $2 ORDER BY created_at DESC, token_hash DESC LIMIT $3 OFFSET $4)",
        )
        .bind(new.user_id)
        .bind(new.purpose.as_str())
        .bind(i64::from(u32::MAX))
        .bind(MAX_OPEN_CHALLENGES)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Close a passkey ceremony of `user_id` for `purpose` (registration or
    /// proof) for good, answering its state: each ceremony is answered once.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.take_ceremony", skip_all)]
    pub async fn take_ceremony(&self, token_hash: &str, user_id: &str, purpose: Purpose) -> Result<Option<String>> {
        let taken = sqlx::query(
            "DELETE FROM mfa_challenges WHERE token_hash = $1 AND user_id = $2 AND purpose = $3 AND expires_at > $4 \
             RETURNING ceremony",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(purpose.as_str())
        .bind(now_ms())
        .fetch_optional(&self.write)
        .await?;
        Ok(taken.map(|row| get_opt_str(&row, "ceremony")).transpose()?.flatten())
    }

    /// Take one attempt of a challenge still open, before its code is
    /// checked: at most `max_attempts` codes are ever checked against one
    /// challenge, however many requests arrive at once. `None` when it is
    /// unknown, expired, spent or out of attempts.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.attempt_mfa_challenge", skip_all)]
    pub async fn attempt_mfa_challenge(&self, token_hash: &str, max_attempts: u32) -> Result<Option<MfaChallenge>> {
        let row = sqlx::query(
            "UPDATE mfa_challenges SET attempts = attempts + 1 WHERE token_hash = $1 AND expires_at > $2 \
             AND attempts < $3 AND purpose IN ('login', 'passkey_login') RETURNING user_id, attempts, purpose, ceremony",
        )
        .bind(token_hash)
        .bind(now_ms())
        .bind(i64::from(max_attempts))
        .fetch_optional(&self.write)
        .await?;
        row.map(|r| {
            Ok(MfaChallenge {
                user_id: get_str(&r, "user_id")?,
                attempts: get_i64(&r, "attempts")?.clamp(0, u32::MAX as i64) as u32,
                purpose: Purpose::parse(&get_str(&r, "purpose")?)?,
                ceremony: get_opt_str(&r, "ceremony")?,
            })
        })
        .transpose()
    }

    /// Close a challenge for good. The one caller that closed it gets
    /// `Some`, with the password's re-hash the first step left, if any.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.take_mfa_challenge", skip_all)]
    pub async fn take_mfa_challenge(&self, token_hash: &str) -> Result<Option<Option<String>>> {
        let taken =
            sqlx::query("DELETE FROM mfa_challenges WHERE token_hash = $1 AND expires_at > $2 RETURNING password_hash")
                .bind(token_hash)
                .bind(now_ms())
                .fetch_optional(&self.write)
                .await?;
        taken.map(|row| get_opt_str(&row, "password_hash")).transpose()
    }
}

/// Replace a user's recovery codes with these keyed hashes.
async fn replace_recovery_codes(conn: &mut AnyConnection, user_id: &str, hashes: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?;
    if hashes.is_empty() {
        return Ok(());
    }
    let rows = Params::for_conn(conn).rows(hashes.len(), 2);
    let sql = format!("INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES {rows}");
    let mut insert = sqlx::query(&sql);
    for hash in hashes {
        insert = insert.bind(user_id).bind(hash.as_str());
    }
    insert.execute(&mut *conn).await?;
    Ok(())
}

fn audit<'a>(action: &'a str, user_id: &str, tenant: &'a str, details: serde_json::Value) -> AuditDraft<'a> {
    AuditDraft { action, target: format!("user:{user_id}"), tenant: Some(tenant), outcome: "success", details }
}
