//! The sync engine's tables: targets and their subscriptions, tasks (one per
//! event and subscribed target, created with the event by [`fan_out`]), and
//! every delivery attempt.
//!
//! A task is claimed only when it is the head (oldest open task) of its
//! aggregate for its target, so one target sees an aggregate's versions in
//! order while other aggregates proceed; `sync_heads` keeps one row per such
//! aggregate, so claims never walk the backlog ([`queue`] states the
//! invariants). Claims lease the task to one replica (`FOR UPDATE SKIP
//! LOCKED` on PostgreSQL; SQLite has one writer); a lease that runs out makes
//! the task claimable again, so a crashed replica's work is taken over.
//!
//! - [`targets`]: targets and subscriptions, and the users a target should
//!   hold ([`UserScope`])
//! - [`queue`]: heads, claims, outcomes
//! - [`tasks`]: tasks one by one, the dead-letter queue, retention
//! - [`stats`]: per-target statistics
//! - [`backfill`]: a new target's snapshot of the existing users

mod backfill;
mod queue;
mod stats;
mod targets;
mod tasks;

pub use backfill::BackfillRecord;
pub use queue::CircuitChange;
pub(crate) use queue::{OFFER_COLUMNS, offer_heads, offers_of};
use queue::{lock_heads, refresh_heads, requeue};
pub use stats::QueueGauges;
pub use targets::UserScope;
use targets::target_by_name;

use std::collections::HashMap;

use plat_domain::retry::{Circuit, CircuitPolicy, is_circuit_failure};
use plat_domain::rules::Rules;
use plat_domain::{glob_matches, like_pattern};
use plat_proto::{
    AggregateRef, CircuitState, Event, Page, ReadBack, SyncTarget, SyncTask, TargetBatch, TargetKind, TargetRules,
    TargetState, TargetStats, TaskAttempt, TaskQuery, TaskStatus,
};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::audit::{AuditDraft, record_audit};
use crate::envelope::{EventDraft, build_event};
use crate::rows::users_by_ids;
use crate::sql::{
    Filter, Params, decode_json, format_ms, get_i64, get_opt_i64, get_opt_str, get_str, is_unique_violation, json_text,
    json_value, new_id, now_ms,
};
use crate::{Backend, Ctx, PageRequest, Result, Store, StoreError};

/// Woken when tasks are created or made due again, so an idle dispatcher
/// claims them at once. Raised before the creating transaction commits:
/// on SQLite the claim waits for the single writer, so it sees the commit;
/// on PostgreSQL `NOTIFY plat_sync` (sent on commit) wakes every replica.
pub static TASKS_ADDED: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// The PostgreSQL channel that announces new tasks to every replica.
pub const NOTIFY_CHANNEL: &str = "plat_sync";

const OPEN: &str = "('pending', 'failed', 'in_flight')";

/// A target as stored, with its sealed secret and raw URL.
#[derive(Debug, Clone)]
pub struct TargetRow {
    pub id: String,
    pub name: String,
    pub kind: TargetKind,
    pub url: String,
    pub events: Vec<String>,
    /// The HMAC secret, sealed by the daemon's master key.
    pub secret: Option<String>,
    pub secret_hint: Option<String>,
    pub state: TargetState,
    pub disabled_reason: Option<String>,
    pub timeout_ms: i64,
    pub max_attempts: u32,
    pub concurrency: u32,
    pub options: serde_json::Map<String, serde_json::Value>,
    pub read_back: ReadBack,
    pub rules: TargetRules,
    /// `rules` compiled; `None` when there are none.
    pub compiled: Option<std::sync::Arc<Rules>>,
    pub batch: TargetBatch,
    pub backfill: Option<BackfillRecord>,
    /// As stored; every replica acts on this one.
    pub circuit: Circuit,
    /// Raised by every write of `circuit`: of two copies, the newer.
    pub circuit_version: i64,
    pub last_success_at: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TargetRow {
    pub fn to_proto(&self) -> SyncTarget {
        SyncTarget {
            name: self.name.clone(),
            kind: self.kind,
            url: plat_domain::redact_url(&self.url),
            events: self.events.clone(),
            enabled: self.state == TargetState::Active,
            state: self.state,
            disabled_reason: self.disabled_reason.clone(),
            secret_hint: self.secret_hint.clone(),
            timeout: plat_domain::format_duration(std::time::Duration::from_millis(self.timeout_ms as u64)),
            max_attempts: self.max_attempts,
            concurrency: self.concurrency,
            options: self.options.clone(),
            read_back: self.read_back.clone(),
            rules: self.rules.clone(),
            batch: self.batch,
            // `remaining` is counted by the caller that shows it (`Store::backfill_open`).
            backfill: self.backfill.as_ref().map(|b| b.to_proto(0)),
            circuit: self.circuit.state_at(now_ms()),
            created_at: format_ms(self.created_at),
            updated_at: format_ms(self.updated_at),
        }
    }
}

/// A validated new target (the daemon validates and seals the secret).
#[derive(Debug, Clone)]
pub struct NewTarget {
    pub name: String,
    pub kind: TargetKind,
    pub url: String,
    pub events: Vec<String>,
    pub secret: Option<String>,
    pub secret_hint: Option<String>,
    pub timeout_ms: i64,
    pub max_attempts: u32,
    pub concurrency: u32,
    pub options: serde_json::Map<String, serde_json::Value>,
    pub read_back: ReadBack,
    /// Validated (`plat_domain::rules::Rules::compile`).
    pub rules: TargetRules,
    pub batch: TargetBatch,
    /// Queue a snapshot of the existing users (docs/sync.md).
    pub backfill: bool,
}

/// A validated change to a target; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct TargetChange {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    /// Sealed secret and its hint.
    pub secret: Option<(String, String)>,
    pub timeout_ms: Option<i64>,
    pub max_attempts: Option<u32>,
    pub concurrency: Option<u32>,
    pub options: Option<serde_json::Map<String, serde_json::Value>>,
    pub read_back: Option<ReadBack>,
    pub rules: Option<TargetRules>,
    pub batch: Option<TargetBatch>,
}

/// A task handed to this replica for one delivery attempt.
#[derive(Debug, Clone)]
pub struct ClaimedTask {
    pub seq: i64,
    pub event_seq: i64,
    pub event_id: String,
    pub event_type: String,
    pub tenant: String,
    pub aggregate_kind: String,
    pub aggregate_id: String,
    pub aggregate_version: i64,
    /// Attempts made before this one.
    pub attempts: i64,
    pub retry_base: i64,
    pub repair: bool,
    /// Commit time of the event (unix ms).
    pub created_at: i64,
    /// The event JSON to deliver.
    pub payload: String,
}

pub use plat_domain::retry::Verdict;

/// One finished attempt, recorded by [`Store::complete_tasks`].
#[derive(Debug, Clone)]
pub struct Completion {
    pub seq: i64,
    pub target_id: String,
    pub aggregate_kind: String,
    pub aggregate_id: String,
    /// 1 for the first attempt.
    pub number: i64,
    pub started_at: i64,
    pub finished_at: i64,
    pub duration_us: i64,
    pub verdict: Verdict,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub response: Option<String>,
    /// Whether the outcome moves the target's circuit: one per request, so
    /// a failed batch of 100 events is one failure, not 100.
    pub counts_for_circuit: bool,
}

/// Create the tasks of `events`: one per target (active or paused) with a
/// matching pattern and whose rules take the event, in event order. Runs in
/// the events' transaction, so an event and its tasks commit together.
///
/// Targets without rules are served by one statement; each target with rules
/// (few, and read here so every replica sees their latest form) gets the ids
/// its rules admit, judged by `plat_domain::rules`.
pub(crate) async fn fan_out(conn: &mut AnyConnection, events: &[Event]) -> Result<u64> {
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    let mut created = insert_tasks(conn, None, &ids).await?;
    let ruled = sqlx::query("SELECT id, rules FROM sync_targets WHERE state <> 'disabled' AND rules IS NOT NULL")
        .fetch_all(&mut *conn)
        .await?;
    if !ruled.is_empty() {
        let docs: Vec<serde_json::Value> = events
            .iter()
            .map(serde_json::to_value)
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| StoreError::Corrupt(format!("event: {e}")))?;
        for row in &ruled {
            let target_id = get_str(row, "id")?;
            let Some(rules) = targets::compile_rules(get_opt_str(row, "rules")?.as_deref())? else { continue };
            let admitted: Vec<&str> =
                ids.iter().zip(&docs).filter(|(_, doc)| rules.admits(doc).is_ok()).map(|(id, _)| *id).collect();
            if !admitted.is_empty() {
                created += insert_tasks(conn, Some(&target_id), &admitted).await?;
            }
        }
    }
    if created > 0 {
        announce(conn).await?;
    }
    Ok(created)
}

/// Insert the tasks of the events `ids` for the targets without rules
/// (`None`) or for one target, whatever its rules; and offer their heads.
pub(super) async fn insert_tasks(conn: &mut AnyConnection, target: Option<&str>, ids: &[&str]) -> Result<u64> {
    let mut p = Params::for_conn(conn);
    let targets = match target {
        None => "t.rules IS NULL".to_owned(),
        Some(_) => format!("t.id = {}", p.next()),
    };
    let list = p.list(ids.len());
    let sql = format!(
        "INSERT INTO sync_tasks (target_id, event_seq, event_id, event_type, tenant, aggregate_kind, aggregate_id, \
         aggregate_version, status, priority, attempts, next_attempt_at, created_at, updated_at) \
         SELECT t.id, e.seq, e.id, e.type, e.tenant, e.aggregate_kind, e.aggregate_id, e.aggregate_version, \
         'pending', 1, 0, e.created_at, e.created_at, e.created_at \
         FROM events e JOIN sync_targets t ON t.state <> 'disabled' AND {targets} \
         WHERE e.id IN ({list}) AND EXISTS (SELECT 1 FROM sync_subscriptions s \
         WHERE s.target_id = t.id AND e.type LIKE s.pattern ESCAPE '\\') \
         ORDER BY e.seq RETURNING {OFFER_COLUMNS}"
    );
    let mut query = sqlx::query(&sql);
    if let Some(id) = target {
        query = query.bind(id);
    }
    for id in ids {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    if !rows.is_empty() {
        offer_heads(conn, &offers_of(&rows)?).await?;
    }
    Ok(rows.len() as u64)
}

/// Wake dispatchers: this process's at once, other replicas' on commit.
pub(crate) async fn announce(conn: &mut AnyConnection) -> Result<()> {
    TASKS_ADDED.notify_waiters();
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query(&format!("SELECT pg_notify('{NOTIFY_CHANNEL}', '')")).execute(&mut *conn).await?;
    }
    Ok(())
}

pub(super) fn not_found_target(name: &str) -> StoreError {
    StoreError::NotFound { kind: "sync target", name: name.to_owned() }
}

pub(super) fn not_found_task(seq: i64) -> StoreError {
    StoreError::NotFound { kind: "sync task", name: seq.to_string() }
}

/// Claims and outcomes need not wait for the WAL flush on PostgreSQL: if the
/// server crashes before the flush, a claim is simply lost (the task is due
/// again) and an outcome is redelivered, which at-least-once delivery allows.
/// It spares every delivery batch a disk sync.
pub(super) async fn relax_commit(conn: &mut AnyConnection) -> Result<()> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_become_escaped_like_patterns() {
        assert_eq!(like_pattern("user.*"), "user.%");
        assert_eq!(like_pattern("*"), "%");
        assert_eq!(like_pattern("user.status_changed"), "user.status\\_changed");
    }
}
