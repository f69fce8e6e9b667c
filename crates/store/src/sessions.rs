//! Sessions (docs/sessions.md): a person's login and the refresh-token
//! family that continues it (`refresh_tokens.family_id` = `sessions.id`).
//! A session is live while it is not ended, not past its absolute end and
//! refreshed within its idle lifetime. Ending one revokes its refresh
//! tokens and, through `revoked_tokens` (`sid:` + its id), the access tokens
//! that carry it as `sid`; every replica pulls those within seconds.

use plat_proto::{Session, catalog};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::audit::AuditOf;
use crate::envelope::EventDraft;
use crate::outbox::{record_changes, record_event};
use crate::sql::{
    Params, decode_json, format_ms, get_i64, get_opt_i64, get_opt_str, get_str, json_text, json_value, now_ms,
};
use crate::{Ctx, Result, Store, StoreError};

/// A session to begin with a login.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Its id: the refresh-token family's, the tokens' `sid`.
    pub id: String,
    /// How the person authenticated (RFC 8176).
    pub amr: Vec<String>,
    /// Its idle lifetime, in milliseconds.
    pub idle_ms: i64,
    /// Its absolute lifetime from its start, in milliseconds.
    pub lifetime_ms: i64,
}

/// Which sessions to end.
#[derive(Debug, Clone, Copy)]
pub enum Which<'a> {
    /// One of a user's, by id.
    One { user_id: &'a str, id: &'a str },
    /// Every live session of a user but `except` (the caller's own).
    AllOf { user_id: &'a str, except: Option<&'a str> },
}

/// Why sessions end, and what is written about it.
#[derive(Debug, Clone, Copy)]
pub struct Ending<'a> {
    /// `ended_reason`: `logout`, `ended`, `admin`, `reuse`, `password`, ...
    pub reason: &'a str,
    /// Until when (unix ms) the access tokens of an ended session must be
    /// refused by `sid`: the latest expiry of one issued now. `None` when
    /// the change also moves the user's `tokens_valid_after`, which refuses
    /// them already.
    pub revoke_until: Option<i64>,
    /// Whether ending them is the change itself (audited as `session.end`)
    /// or part of another one that is audited (a password change).
    pub audited: bool,
}

/// Live sessions only: the SQL condition over `s` at `$1` (now).
const LIVE: &str = "s.ended_at IS NULL AND s.expires_at > $1 AND s.last_active_at + s.idle_ms > $1";

const SELECT: &str = "SELECT s.id, s.user_id, s.created_at, s.last_active_at, s.idle_ms, s.expires_at, s.ip, s.user_agent, \
    s.amr, s.ended_at, s.ended_reason, t.slug AS tenant_slug FROM sessions s JOIN users u ON u.id = s.user_id \
    JOIN tenants t ON t.id = u.tenant_id";

/// A session as stored, with its tenant's slug.
fn session_from_row(row: &AnyRow) -> Result<(Session, String)> {
    let last_active = get_i64(row, "last_active_at")?;
    let expires_at = get_i64(row, "expires_at")?;
    let idle_end = plat_domain::session::refresh_until(last_active, get_i64(row, "idle_ms")?, expires_at);
    let session = Session {
        id: get_str(row, "id")?,
        user_id: get_str(row, "user_id")?,
        created_at: format_ms(get_i64(row, "created_at")?),
        last_active_at: format_ms(last_active),
        idle_expires_at: format_ms(idle_end),
        expires_at: format_ms(expires_at),
        ip: get_opt_str(row, "ip")?,
        user_agent: get_opt_str(row, "user_agent")?,
        amr: decode_json("sessions.amr", &get_str(row, "amr")?)?,
        current: false,
        ended_at: get_opt_i64(row, "ended_at")?.map(format_ms),
        ended_reason: get_opt_str(row, "ended_reason")?,
    };
    Ok((session, get_str(row, "tenant_slug")?))
}

/// Begin a session with a login, in the login's transaction, and announce
/// it (`session.started`).
pub(crate) async fn start_session(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    user_id: &str,
    new: &NewSession,
    (ip, user_agent): (Option<&str>, Option<&str>),
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id, user_id, created_at, last_active_at, idle_ms, expires_at, ip, user_agent, amr) \
         VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&new.id)
    .bind(user_id)
    .bind(now)
    .bind(new.idle_ms)
    .bind(now.saturating_add(new.lifetime_ms))
    .bind(ip.map(str::to_owned))
    .bind(user_agent.map(str::to_owned))
    .bind(json_text(&new.amr)?)
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query(&format!("{SELECT} WHERE s.id = $1")).bind(&new.id).fetch_one(&mut *conn).await?;
    let (session, tenant) = session_from_row(&row)?;
    let draft = EventDraft {
        event_type: catalog::SESSION_STARTED,
        tenant: &tenant,
        aggregate_id: &session.id,
        aggregate_version: 1,
        data: json_value(&session)?,
        extra_metadata: None,
    };
    record_event(conn, ctx, draft).await?;
    Ok(())
}

/// What a refresh found of its session: live, and until when its next
/// refresh token may live.
pub(crate) struct Continued {
    pub amr: Vec<String>,
    pub refresh_until: i64,
}

/// Mark a session active at `now` if it is live; `None` when it is not
/// (ended, idle too long, past its end).
pub(crate) async fn continue_session(conn: &mut AnyConnection, id: &str, now: i64) -> Result<Option<Continued>> {
    let row = sqlx::query(&format!(
        "UPDATE sessions AS s SET last_active_at = $1 WHERE s.id = $2 AND {LIVE} RETURNING amr, idle_ms, expires_at"
    ))
    .bind(now)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let expires_at = get_i64(&row, "expires_at")?;
    Ok(Some(Continued {
        amr: decode_json("sessions.amr", &get_str(&row, "amr")?)?,
        refresh_until: plat_domain::session::refresh_until(now, get_i64(&row, "idle_ms")?, expires_at),
    }))
}

/// End the live sessions `which` names, on `conn` in the caller's
/// transaction: their refresh tokens revoked, their `sid` refused until
/// `ending.revoke_until`, one `session.ended` each. Returns them as ended.
pub(crate) async fn end_sessions_where(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    which: Which<'_>,
    ending: Ending<'_>,
) -> Result<Vec<Session>> {
    let now = now_ms();
    let rows = match which {
        Which::One { user_id, id } => {
            sqlx::query(&format!("{SELECT} WHERE {LIVE} AND s.user_id = $2 AND s.id = $3"))
                .bind(now)
                .bind(user_id)
                .bind(id)
                .fetch_all(&mut *conn)
                .await?
        }
        Which::AllOf { user_id, except } => {
            sqlx::query(&format!("{SELECT} WHERE {LIVE} AND s.user_id = $2 AND s.id <> $3 ORDER BY s.created_at"))
                .bind(now)
                .bind(user_id)
                .bind(except.unwrap_or(""))
                .fetch_all(&mut *conn)
                .await?
        }
    };
    let mut ended = Vec::with_capacity(rows.len());
    for row in &rows {
        ended.push(session_from_row(row)?);
    }
    for chunk in ended.chunks(500) {
        let mut p = Params::for_conn(conn);
        let (at, reason) = (p.next(), p.next());
        let list = p.list(chunk.len());
        let end_sql = format!(
            "UPDATE sessions SET ended_at = {at}, ended_reason = {reason} WHERE ended_at IS NULL AND id IN ({list})"
        );
        let mut end = sqlx::query(&end_sql).bind(now).bind(ending.reason);
        let mut p = Params::for_conn(conn);
        let at = p.next();
        let list = p.list(chunk.len());
        let revoke_sql =
            format!("UPDATE refresh_tokens SET revoked_at = {at} WHERE revoked_at IS NULL AND family_id IN ({list})");
        let mut revoke = sqlx::query(&revoke_sql).bind(now);
        for (session, _) in chunk {
            end = end.bind(session.id.clone());
            revoke = revoke.bind(session.id.clone());
        }
        end.execute(&mut *conn).await?;
        revoke.execute(&mut *conn).await?;
        if let Some(until) = ending.revoke_until {
            let rows = Params::for_conn(conn).rows(chunk.len(), 3);
            let refuse_sql = format!(
                "INSERT INTO revoked_tokens (jti, expires_at, revoked_at) VALUES {rows} ON CONFLICT (jti) DO NOTHING"
            );
            let mut refuse = sqlx::query(&refuse_sql);
            for (session, _) in chunk {
                refuse = refuse.bind(format!("{SID_PREFIX}{}", session.id)).bind(until).bind(now);
            }
            refuse.execute(&mut *conn).await?;
        }
    }
    let mut drafts = Vec::with_capacity(ended.len());
    for (session, tenant) in &mut ended {
        session.ended_at = Some(format_ms(now));
        session.ended_reason = Some(ending.reason.to_owned());
        let draft = EventDraft {
            event_type: catalog::SESSION_ENDED,
            tenant,
            aggregate_id: &session.id,
            aggregate_version: 2,
            data: json_value(&*session)?,
            extra_metadata: None,
        };
        let audit = AuditOf {
            action: None,
            target: format!("user:{}", session.user_id),
            tenant: Some(tenant.as_str()),
            details: serde_json::json!({"session": session.id, "reason": ending.reason}),
        };
        drafts.push((draft, audit));
    }
    if ending.audited {
        record_changes(conn, ctx, drafts).await?;
    } else {
        for (draft, _) in drafts {
            record_event(conn, ctx, draft).await?;
        }
    }
    Ok(ended.into_iter().map(|(s, _)| s).collect())
}

/// Forget sessions no longer live at `now`; their events and audit records remain.
pub(crate) async fn purge_sessions(pool: &sqlx::AnyPool, now: i64) -> Result<u64> {
    let done = sqlx::query(&format!("DELETE FROM sessions AS s WHERE NOT ({LIVE})")).bind(now).execute(pool).await?;
    Ok(done.rows_affected())
}

/// How a session's id is kept among revoked jtis (`revoked_tokens`).
pub const SID_PREFIX: &str = "sid:";

impl Store {
    /// A user's live sessions, newest first.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.list_sessions", skip_all)]
    pub async fn list_sessions(&self, user_id: &str) -> Result<Vec<Session>> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE {LIVE} AND s.user_id = $2 ORDER BY s.created_at DESC LIMIT {}",
            plat_proto::limits::SESSIONS
        ))
        .bind(now_ms())
        .bind(user_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(|r| session_from_row(r).map(|(s, _)| s)).collect()
    }

    /// End sessions of a user (`Which`), as one change. Ending one that is
    /// not live, or not the user's, is `NotFound`.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.end_sessions", skip_all)]
    pub async fn end_sessions(&self, ctx: &Ctx, which: Which<'_>, ending: Ending<'_>) -> Result<Vec<Session>> {
        let mut tx = self.begin(ctx).await?;
        let ended = end_sessions_where(&mut tx, ctx, which, ending).await?;
        if let (Which::One { id, .. }, true) = (which, ended.is_empty()) {
            return Err(StoreError::NotFound { kind: "session", name: id.to_owned() });
        }
        tx.commit().await?;
        Ok(ended)
    }
}
