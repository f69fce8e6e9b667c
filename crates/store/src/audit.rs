//! The audit log: [`record_audit`] writes a record inside the transaction
//! of the change it describes (or alone, [`Store::audit`]); `GET /audit`
//! reads them back. It writes no events: `outbox::record_change` writes an
//! event with its audit record.

use plat_proto::{AuditQuery, AuditRecord, Page};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::sql::{Filter, format_ms, get_i64, get_opt_str, get_str, now_ms, parse_since, push_placeholders};
use crate::{Ctx, PageRequest, Result, Store, StoreError};

/// What an audit record says; [`record_audit`] adds id, time and context.
pub struct AuditDraft<'a> {
    pub action: &'a str,
    pub target: String,
    pub tenant: Option<&'a str>,
    pub outcome: &'a str,
    pub details: serde_json::Value,
}

/// Where a change's audit record points, and what it adds.
pub(crate) struct AuditOf<'a> {
    /// The action, when the change is not the event type's own (a role
    /// grant announces `user.roles_changed`; a repair, any user event).
    pub action: Option<&'a str>,
    pub target: String,
    pub tenant: Option<&'a str>,
    pub details: serde_json::Value,
}

/// Append an audit record on `conn` (inside the change's transaction).
/// Audited actions that are activity, not a change of an account, a role
/// or a tenant: they leave the daemon's account cache alone
/// (`plat_store::Changes`).
const ACTIVITY: &[&str] = &["event.publish"];

pub async fn record_audit(conn: &mut AnyConnection, ctx: &Ctx, draft: AuditDraft<'_>) -> Result<()> {
    record_audits(conn, ctx, vec![draft]).await
}

/// Append many audit records of one actor's, many to a statement.
pub(crate) async fn record_audits(conn: &mut AnyConnection, ctx: &Ctx, drafts: Vec<AuditDraft<'_>>) -> Result<()> {
    if drafts.iter().any(|d| !ACTIVITY.contains(&d.action)) {
        note_change(|changes| changes.audited = true);
    }
    let now = now_ms();
    let mut drafts = drafts.into_iter().peekable();
    while drafts.peek().is_some() {
        let chunk: Vec<AuditDraft<'_>> = drafts.by_ref().take(500).collect();
        let mut sql = String::from(
            "INSERT INTO audit_log (id, created_at, actor, action, target, tenant, outcome, request_id, details) VALUES ",
        );
        push_placeholders(conn, &mut sql, chunk.len(), 9);
        let mut query = sqlx::query(&sql);
        for draft in chunk {
            query = query
                .bind(format!("aud_{}", uuid::Uuid::now_v7().simple()))
                .bind(now)
                .bind(ctx.actor.clone())
                .bind(draft.action.to_owned())
                .bind(draft.target)
                .bind(draft.tenant.map(str::to_owned))
                .bind(draft.outcome.to_owned())
                .bind(ctx.request_id.clone())
                .bind(draft.details.to_string());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

impl Store {
    /// Write one audit record on its own (actions that change no row, such as failed logins).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.audit", skip_all)]
    pub async fn audit(&self, ctx: &Ctx, draft: AuditDraft<'_>) -> Result<()> {
        let mut conn = self.write.acquire().await?;
        record_audit(&mut conn, ctx, draft).await
    }

    /// Audit records, newest first, optionally of one tenant.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.list_audit", skip_all)]
    pub async fn list_audit(&self, tenant: Option<&str>, query: &AuditQuery) -> Result<Page<AuditRecord>> {
        let page = PageRequest::new(query.page, query.page_size, query.cursor.as_deref(), query.limit)?;
        let mut filter = Filter::default();
        if let Some(t) = tenant {
            filter.eq("tenant", t.to_owned());
        }
        if let Some(actor) = &query.actor {
            filter.eq("actor", actor.clone());
        }
        if let Some(action) = &query.action {
            filter.like("action", "action", action)?;
        }
        if let Some(target) = &query.target {
            filter.eq("target", target.clone());
        }
        if let Some(since) = &query.since {
            filter.gte_int("created_at", parse_since("since", since)?);
        }
        if let Some(until) = &query.until {
            filter.lt_int("created_at", parse_since("until", until)?);
        }
        let rows = self
            .page_query(
                "audit_log",
                "seq, id, created_at, actor, action, target, tenant, outcome, request_id, details",
                &filter,
                &page,
            )
            .await?;
        let total = self.count_query("audit_log", &filter).await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            items.push((get_i64(&row, "seq")?.to_string(), audit_from_row(&row)?));
        }
        Ok(page.finish(items, total))
    }
}

fn audit_from_row(row: &AnyRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        id: get_str(row, "id")?,
        timestamp: format_ms(get_i64(row, "created_at")?),
        actor: get_str(row, "actor")?,
        action: get_str(row, "action")?,
        target: get_str(row, "target")?,
        tenant: get_opt_str(row, "tenant")?,
        outcome: get_str(row, "outcome")?,
        request_id: get_opt_str(row, "request_id")?,
        details: serde_json::from_str(&get_str(row, "details")?)
            .map_err(|_| StoreError::Corrupt("audit details".into()))?,
    })
}

/// What a task inside [`watch_changes`] recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changes {
    /// A change of what a permission check reads: an event whose catalog
    /// row says `authority` (the authority generation moved with it).
    pub authority: bool,
    /// A change worth an audit record (anything an actor changes: accounts,
    /// passwords, sessions, secrets, roles, tenants, ...).
    pub audited: bool,
}

tokio::task_local! {
    static CHANGES: std::cell::Cell<Changes>;
}

/// Run `work` and say what it recorded: the daemon runs each request so,
/// and drops what it cached of accounts and decisions once the request is
/// done (its transaction committed) when the request changed them. Other
/// replicas see a change of authority through `Store::authority_generation`.
pub async fn watch_changes<F: std::future::Future>(work: F) -> (F::Output, Changes) {
    CHANGES
        .scope(std::cell::Cell::new(Changes::default()), async move {
            let out = work.await;
            (out, CHANGES.with(|changes| changes.get()))
        })
        .await
}

/// Note a change for a [`watch_changes`] around the task, if any.
pub(crate) fn note_change(change: impl FnOnce(&mut Changes)) {
    let _ = CHANGES.try_with(|cell| {
        let mut changes = cell.get();
        change(&mut changes);
        cell.set(changes);
    });
}
