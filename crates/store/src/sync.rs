//! The sync engine's tables: targets and their subscriptions, tasks (one per
//! event and subscribed target, created with the event by [`fan_out`]), and
//! every delivery attempt.
//!
//! A task is claimed only when it is the oldest open task of its aggregate
//! for its target, so one target sees an aggregate's versions in order while
//! other aggregates proceed. Claims lease the task to one replica
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer); a lease
//! that runs out makes the task claimable again, so a crashed replica's work
//! is taken over.

use std::collections::HashMap;

use plat_domain::like_pattern;
use plat_proto::{
    AggregateRef, CircuitState, Page, ReadBack, SyncTarget, SyncTask, TargetKind, TargetState, TargetStats,
    TaskAttempt, TaskQuery, TaskStatus,
};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::outbox::{AuditDraft, Filter, Params, record_audit};
use crate::{
    Backend, Ctx, PageRequest, Result, Store, StoreError, format_ms, get_i64, get_opt_i64, get_opt_str, get_str,
    is_unique_violation, new_id, now_ms,
};

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
    pub circuit: CircuitState,
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
            circuit: self.circuit,
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

/// What became of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Try again at this time (unix ms).
    Retry(i64),
    /// Into the dead-letter queue.
    Dead,
    /// Into the dead-letter queue, and the target is disabled (HTTP 410).
    Gone,
}

impl Verdict {
    fn outcome(self) -> &'static str {
        match self {
            Verdict::Delivered => "delivered",
            Verdict::Retry(_) => "retry",
            Verdict::Dead => "dead",
            Verdict::Gone => "gone",
        }
    }
}

/// One finished attempt, recorded by [`Store::complete_tasks`].
#[derive(Debug, Clone)]
pub struct Completion {
    pub seq: i64,
    pub target_id: String,
    /// 1 for the first attempt.
    pub number: i64,
    pub started_at: i64,
    pub finished_at: i64,
    pub duration_us: i64,
    pub verdict: Verdict,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub response: Option<String>,
}

/// Create the tasks of the events with these ids: one per target (active or
/// paused) with a matching pattern, in event order. Runs in the events'
/// transaction, so an event and its tasks commit together.
pub(crate) async fn fan_out(conn: &mut AnyConnection, event_ids: &[&str]) -> Result<u64> {
    let mut p = Params::for_conn(conn);
    let ids = p.list(event_ids.len());
    let sql = format!(
        "INSERT INTO sync_tasks (target_id, event_seq, event_id, event_type, tenant, aggregate_kind, aggregate_id, \
         aggregate_version, status, priority, attempts, next_attempt_at, created_at, updated_at) \
         SELECT t.id, e.seq, e.id, e.type, e.tenant, e.aggregate_kind, e.aggregate_id, e.aggregate_version, \
         'pending', 1, 0, e.created_at, e.created_at, e.created_at \
         FROM events e JOIN sync_targets t ON t.state <> 'disabled' \
         WHERE e.id IN ({ids}) AND EXISTS (SELECT 1 FROM sync_subscriptions s \
         WHERE s.target_id = t.id AND e.type LIKE s.pattern ESCAPE '\\') \
         ORDER BY e.seq"
    );
    let mut query = sqlx::query(&sql);
    for id in event_ids {
        query = query.bind(*id);
    }
    let created = query.execute(&mut *conn).await?.rows_affected();
    if created > 0 {
        announce(conn).await?;
    }
    Ok(created)
}

/// Wake dispatchers: this process's at once, other replicas' on commit.
pub(crate) async fn announce(conn: &mut AnyConnection) -> Result<()> {
    TASKS_ADDED.notify_waiters();
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query(&format!("SELECT pg_notify('{NOTIFY_CHANNEL}', '')")).execute(&mut *conn).await?;
    }
    Ok(())
}

const TARGET_COLUMNS: &str = "id, name, kind, url, events, secret, secret_hint, state, disabled_reason, timeout_ms, \
     max_attempts, concurrency, options, read_back, circuit, last_success_at, last_error, created_at, updated_at";

fn target_from_row(row: &AnyRow) -> Result<TargetRow> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("sync target {what}"));
    Ok(TargetRow {
        id: get_str(row, "id")?,
        name: get_str(row, "name")?,
        kind: TargetKind::parse(&get_str(row, "kind")?).ok_or_else(|| corrupt("kind"))?,
        url: get_str(row, "url")?,
        events: serde_json::from_str(&get_str(row, "events")?).map_err(|_| corrupt("events"))?,
        secret: get_opt_str(row, "secret")?,
        secret_hint: get_opt_str(row, "secret_hint")?,
        state: TargetState::parse(&get_str(row, "state")?).ok_or_else(|| corrupt("state"))?,
        disabled_reason: get_opt_str(row, "disabled_reason")?,
        timeout_ms: get_i64(row, "timeout_ms")?,
        max_attempts: get_i64(row, "max_attempts")? as u32,
        concurrency: get_i64(row, "concurrency")? as u32,
        options: serde_json::from_str(&get_str(row, "options")?).map_err(|_| corrupt("options"))?,
        read_back: serde_json::from_str(&get_str(row, "read_back")?).map_err(|_| corrupt("read_back"))?,
        circuit: CircuitState::parse(&get_str(row, "circuit")?).unwrap_or(CircuitState::Closed),
        last_success_at: get_opt_i64(row, "last_success_at")?,
        last_error: get_opt_str(row, "last_error")?,
        created_at: get_i64(row, "created_at")?,
        updated_at: get_i64(row, "updated_at")?,
    })
}

async fn target_by_name(conn: &mut AnyConnection, name: &str) -> Result<TargetRow> {
    let row = sqlx::query(&format!("SELECT {TARGET_COLUMNS} FROM sync_targets WHERE name = $1"))
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| not_found_target(name))?;
    target_from_row(&row)
}

fn not_found_target(name: &str) -> StoreError {
    StoreError::NotFound { kind: "sync target", name: name.to_owned() }
}

fn not_found_task(seq: i64) -> StoreError {
    StoreError::NotFound { kind: "sync task", name: seq.to_string() }
}

async fn replace_subscriptions(conn: &mut AnyConnection, target_id: &str, events: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM sync_subscriptions WHERE target_id = $1").bind(target_id).execute(&mut *conn).await?;
    let mut patterns: Vec<String> = events.iter().map(|e| like_pattern(e)).collect();
    patterns.sort();
    patterns.dedup();
    for pattern in patterns {
        sqlx::query("INSERT INTO sync_subscriptions (target_id, pattern) VALUES ($1, $2)")
            .bind(target_id)
            .bind(pattern)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn audit_target(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    action: &str,
    name: &str,
    details: serde_json::Value,
) -> Result<()> {
    record_audit(
        conn,
        ctx,
        AuditDraft { action, target: format!("sync-target:{name}"), tenant: None, outcome: "success", details },
    )
    .await
}

fn task_status(text: &str) -> Result<TaskStatus> {
    TaskStatus::parse(text).ok_or_else(|| StoreError::Corrupt(format!("task status {text:?}")))
}

const TASK_COLUMNS: &str = "seq, target_id, event_id, event_type, tenant, aggregate_kind, aggregate_id, \
     aggregate_version, status, priority, attempts, next_attempt_at, last_status, last_error, created_at, \
     updated_at, delivered_at";

fn task_from_row(row: &AnyRow, names: &HashMap<String, String>) -> Result<SyncTask> {
    let status = task_status(&get_str(row, "status")?)?;
    let target_id = get_str(row, "target_id")?;
    let created_at = get_i64(row, "created_at")?;
    let delivered_at = get_opt_i64(row, "delivered_at")?;
    let next = get_i64(row, "next_attempt_at")?;
    Ok(SyncTask {
        id: get_i64(row, "seq")? as u64,
        target: names.get(&target_id).cloned().unwrap_or(target_id),
        event_id: get_str(row, "event_id")?,
        event_type: get_str(row, "event_type")?,
        tenant: get_str(row, "tenant")?,
        aggregate: AggregateRef {
            kind: get_str(row, "aggregate_kind")?,
            id: get_str(row, "aggregate_id")?,
            version: get_i64(row, "aggregate_version")? as u64,
        },
        status,
        repair: get_i64(row, "priority")? == 0,
        attempts: get_i64(row, "attempts")? as u32,
        next_attempt_at: matches!(status, TaskStatus::Pending | TaskStatus::Failed).then(|| format_ms(next)),
        last_status_code: get_opt_i64(row, "last_status")?.map(|c| c as u16),
        last_error: get_opt_str(row, "last_error")?,
        created_at: format_ms(created_at),
        updated_at: format_ms(get_i64(row, "updated_at")?),
        delivered_at: delivered_at.map(format_ms),
        latency_ms: delivered_at.map(|d| (d - created_at).max(0) as f64),
        attempt_log: None,
    })
}

/// Percentile of sorted values (nearest rank).
fn percentile(sorted: &[i64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1] as f64)
}

impl Store {
    pub async fn create_target(&self, ctx: &Ctx, new: NewTarget) -> Result<TargetRow> {
        let now = now_ms();
        let id = new_id();
        let mut tx = self.write.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO sync_targets (id, name, kind, url, events, secret, secret_hint, state, timeout_ms, \
             max_attempts, concurrency, options, read_back, circuit, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10, $11, $12, 'closed', $13, $13)",
        )
        .bind(id.clone())
        .bind(new.name.clone())
        .bind(new.kind.as_str())
        .bind(new.url.clone())
        .bind(serde_json::to_string(&new.events).unwrap_or_default())
        .bind(new.secret.clone())
        .bind(new.secret_hint.clone())
        .bind(new.timeout_ms)
        .bind(i64::from(new.max_attempts))
        .bind(i64::from(new.concurrency))
        .bind(serde_json::Value::Object(new.options.clone()).to_string())
        .bind(serde_json::to_string(&new.read_back).unwrap_or_default())
        .bind(now)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::AlreadyExists { kind: "sync target", name: new.name, field: "name" });
            }
            other => {
                other?;
            }
        }
        replace_subscriptions(&mut tx, &id, &new.events).await?;
        audit_target(
            &mut tx,
            ctx,
            "sync.target.create",
            &new.name,
            serde_json::json!({"kind": new.kind.as_str(), "url": plat_domain::redact_url(&new.url), "events": new.events}),
        )
        .await?;
        let row = target_by_name(&mut tx, &new.name).await?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn list_targets(&self) -> Result<Vec<TargetRow>> {
        let rows = sqlx::query(&format!("SELECT {TARGET_COLUMNS} FROM sync_targets ORDER BY name"))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(target_from_row).collect()
    }

    pub async fn get_target(&self, name: &str) -> Result<TargetRow> {
        let mut conn = self.read.acquire().await?;
        target_by_name(&mut conn, name).await
    }

    pub async fn update_target(&self, ctx: &Ctx, name: &str, change: TargetChange) -> Result<TargetRow> {
        let mut tx = self.write.begin().await?;
        let mut row = target_by_name(&mut tx, name).await?;
        let mut changed = Vec::new();
        if let Some(url) = change.url {
            row.url = url;
            changed.push("url");
        }
        if let Some(events) = change.events {
            replace_subscriptions(&mut tx, &row.id, &events).await?;
            row.events = events;
            changed.push("events");
        }
        if let Some((secret, hint)) = change.secret {
            row.secret = Some(secret);
            row.secret_hint = Some(hint);
            changed.push("secret");
        }
        if let Some(ms) = change.timeout_ms {
            row.timeout_ms = ms;
            changed.push("timeout");
        }
        if let Some(n) = change.max_attempts {
            row.max_attempts = n;
            changed.push("max_attempts");
        }
        if let Some(n) = change.concurrency {
            row.concurrency = n;
            changed.push("concurrency");
        }
        if let Some(options) = change.options {
            row.options = options;
            changed.push("options");
        }
        if let Some(read_back) = change.read_back {
            row.read_back = read_back;
            changed.push("read_back");
        }
        row.updated_at = now_ms();
        sqlx::query(
            "UPDATE sync_targets SET url = $1, events = $2, secret = $3, secret_hint = $4, timeout_ms = $5, \
             max_attempts = $6, concurrency = $7, options = $8, read_back = $9, updated_at = $10 WHERE id = $11",
        )
        .bind(row.url.clone())
        .bind(serde_json::to_string(&row.events).unwrap_or_default())
        .bind(row.secret.clone())
        .bind(row.secret_hint.clone())
        .bind(row.timeout_ms)
        .bind(i64::from(row.max_attempts))
        .bind(i64::from(row.concurrency))
        .bind(serde_json::Value::Object(row.options.clone()).to_string())
        .bind(serde_json::to_string(&row.read_back).unwrap_or_default())
        .bind(row.updated_at)
        .bind(row.id.clone())
        .execute(&mut *tx)
        .await?;
        audit_target(&mut tx, ctx, "sync.target.update", name, serde_json::json!({"changed": changed})).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Delete a target with all its tasks and attempts.
    pub async fn delete_target(&self, ctx: &Ctx, name: &str) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let row = target_by_name(&mut tx, name).await?;
        // Attempts and tasks go by cascade; delete them explicitly so SQLite
        // does not depend on the foreign-key pragma.
        sqlx::query("DELETE FROM sync_attempts WHERE task_seq IN (SELECT seq FROM sync_tasks WHERE target_id = $1)")
            .bind(row.id.clone())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sync_tasks WHERE target_id = $1").bind(row.id.clone()).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM sync_subscriptions WHERE target_id = $1")
            .bind(row.id.clone())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sync_targets WHERE id = $1").bind(row.id.clone()).execute(&mut *tx).await?;
        audit_target(&mut tx, ctx, "sync.target.delete", name, serde_json::json!({})).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Pause, resume or disable a target. Resuming closes its circuit.
    pub async fn set_target_state(&self, ctx: &Ctx, name: &str, state: TargetState) -> Result<TargetRow> {
        let now = now_ms();
        let mut tx = self.write.begin().await?;
        let row = target_by_name(&mut tx, name).await?;
        sqlx::query(
            "UPDATE sync_targets SET state = $1, disabled_reason = NULL, \
             circuit = CASE WHEN $1 = 'active' THEN 'closed' ELSE circuit END, updated_at = $2 WHERE id = $3",
        )
        .bind(state.as_str())
        .bind(now)
        .bind(row.id.clone())
        .execute(&mut *tx)
        .await?;
        let action = match state {
            TargetState::Active => "sync.target.resume",
            TargetState::Paused => "sync.target.pause",
            TargetState::Disabled => "sync.target.disable",
        };
        audit_target(&mut tx, ctx, action, name, serde_json::json!({})).await?;
        let row = target_by_name(&mut tx, name).await?;
        if state == TargetState::Active {
            announce(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(row)
    }

    /// Record a target's circuit state (for display; each replica keeps its own).
    pub async fn set_circuit(&self, target_id: &str, circuit: CircuitState) -> Result<()> {
        sqlx::query("UPDATE sync_targets SET circuit = $1 WHERE id = $2")
            .bind(circuit.as_str())
            .bind(target_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Lease up to `limit` due tasks of one target to `owner` until
    /// `lease_until`: each the oldest open task of its aggregate.
    ///
    /// "The oldest" is a correlated scalar `min(seq)`, not `NOT EXISTS`:
    /// PostgreSQL never flattens it into a join, so every candidate costs one
    /// probe of `sync_tasks_aggregate`. With `NOT EXISTS`, a generic plan
    /// built on stale statistics (a queue that grew since the last ANALYZE)
    /// turned it into an anti-join whose inner scan read every open task of
    /// the target for each candidate: 105 ms per claim at a 20k backlog
    /// (docs/sync.md, "How the queue works").
    pub async fn claim_tasks(
        &self,
        target_id: &str,
        owner: &str,
        limit: u32,
        lease_until: i64,
    ) -> Result<Vec<ClaimedTask>> {
        let now = now_ms();
        let lock = if self.backend == Backend::Postgres { " FOR UPDATE OF t SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE sync_tasks SET status = 'in_flight', lease_owner = $1, lease_until = $2, updated_at = $3 \
             WHERE seq IN (SELECT t.seq FROM sync_tasks t \
               WHERE t.target_id = $4 AND t.status IN {OPEN} \
               AND ((t.status <> 'in_flight' AND t.next_attempt_at <= $3) \
                    OR (t.status = 'in_flight' AND t.lease_until < $3)) \
               AND t.seq = (SELECT min(o.seq) FROM sync_tasks o WHERE o.target_id = t.target_id \
                    AND o.aggregate_kind = t.aggregate_kind AND o.aggregate_id = t.aggregate_id \
                    AND o.status IN {OPEN}) \
               ORDER BY t.priority, t.seq LIMIT $5{lock}) \
             RETURNING seq, event_seq, event_id, event_type, tenant, aggregate_kind, aggregate_id, \
               aggregate_version, attempts, retry_base, priority, created_at, payload"
        );
        let mut tx = self.write.begin().await?;
        relax_commit(&mut tx).await?;
        let rows = sqlx::query(&sql)
            .bind(owner)
            .bind(lease_until)
            .bind(now)
            .bind(target_id)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut tasks = Vec::with_capacity(rows.len());
        let mut missing = Vec::new();
        for row in &rows {
            let payload = get_opt_str(row, "payload")?;
            if payload.is_none() {
                missing.push(get_i64(row, "event_seq")?);
            }
            tasks.push(ClaimedTask {
                seq: get_i64(row, "seq")?,
                event_seq: get_i64(row, "event_seq")?,
                event_id: get_str(row, "event_id")?,
                event_type: get_str(row, "event_type")?,
                tenant: get_str(row, "tenant")?,
                aggregate_kind: get_str(row, "aggregate_kind")?,
                aggregate_id: get_str(row, "aggregate_id")?,
                aggregate_version: get_i64(row, "aggregate_version")?,
                attempts: get_i64(row, "attempts")?,
                retry_base: get_i64(row, "retry_base")?,
                repair: get_i64(row, "priority")? == 0,
                created_at: get_i64(row, "created_at")?,
                payload: payload.unwrap_or_default(),
            });
        }
        if !missing.is_empty() {
            let payloads = self.event_payloads(&missing).await?;
            for task in tasks.iter_mut().filter(|t| t.payload.is_empty()) {
                task.payload = payloads.get(&task.event_seq).cloned().unwrap_or_default();
            }
        }
        tasks.sort_by_key(|t| t.seq);
        Ok(tasks)
    }

    async fn event_payloads(&self, seqs: &[i64]) -> Result<HashMap<i64, String>> {
        let mut out = HashMap::with_capacity(seqs.len());
        for chunk in seqs.chunks(500) {
            let mut conn = self.read.acquire().await?;
            let list = Params::for_conn(&conn).list(chunk.len());
            let sql = format!("SELECT seq, payload FROM events WHERE seq IN ({list})");
            let mut query = sqlx::query(&sql);
            for seq in chunk {
                query = query.bind(*seq);
            }
            for row in query.fetch_all(&mut *conn).await? {
                out.insert(get_i64(&row, "seq")?, get_str(&row, "payload")?);
            }
        }
        Ok(out)
    }

    /// Record finished attempts of tasks leased to `owner`, in one transaction.
    /// A task whose lease another replica took over is left to that replica.
    pub async fn complete_tasks(&self, owner: &str, done: &[Completion]) -> Result<()> {
        if done.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let mut tx = self.write.begin().await?;
        relax_commit(&mut tx).await?;
        let delivered: Vec<&Completion> = done.iter().filter(|c| c.verdict == Verdict::Delivered).collect();
        for chunk in delivered.chunks(300) {
            let mut p = Params::for_conn(&tx);
            let rows = p.rows(chunk.len(), 3);
            let now_p = p.next();
            let owner_p = p.next();
            let sql = format!(
                "WITH v (seq, at, code) AS (VALUES {rows}) \
                 UPDATE sync_tasks SET status = 'delivered', attempts = attempts + 1, \
                 delivered_at = (SELECT v.at FROM v WHERE v.seq = sync_tasks.seq), \
                 last_status = (SELECT v.code FROM v WHERE v.seq = sync_tasks.seq), \
                 last_error = NULL, lease_owner = NULL, lease_until = NULL, updated_at = {now_p} \
                 WHERE seq IN (SELECT v.seq FROM v) AND lease_owner = {owner_p}"
            );
            let mut query = sqlx::query(&sql);
            for c in chunk {
                query = query.bind(c.seq).bind(c.finished_at).bind(c.status_code.map(i64::from));
            }
            query.bind(now).bind(owner).execute(&mut *tx).await?;
        }
        for c in done.iter().filter(|c| c.verdict != Verdict::Delivered) {
            let (status, next) = match c.verdict {
                Verdict::Retry(at) => ("failed", at),
                _ => ("dead", now),
            };
            sqlx::query(
                "UPDATE sync_tasks SET status = $1, attempts = attempts + 1, next_attempt_at = $2, \
                 last_status = $3, last_error = $4, lease_owner = NULL, lease_until = NULL, updated_at = $5 \
                 WHERE seq = $6 AND lease_owner = $7",
            )
            .bind(status)
            .bind(next)
            .bind(c.status_code.map(i64::from))
            .bind(c.error.clone())
            .bind(now)
            .bind(c.seq)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        }
        for chunk in done.chunks(300) {
            let mut p = Params::for_conn(&tx);
            let rows = p.rows(chunk.len(), 8);
            let sql = format!(
                "INSERT INTO sync_attempts (task_seq, number, started_at, duration_us, outcome, status_code, error, \
                 response) VALUES {rows} ON CONFLICT DO NOTHING"
            );
            let mut query = sqlx::query(&sql);
            for c in chunk {
                query = query
                    .bind(c.seq)
                    .bind(c.number)
                    .bind(c.started_at)
                    .bind(c.duration_us)
                    .bind(c.verdict.outcome())
                    .bind(c.status_code.map(i64::from))
                    .bind(c.error.clone())
                    .bind(c.response.clone());
            }
            query.execute(&mut *tx).await?;
        }
        // The target's last success and last error.
        let mut last: HashMap<&str, (Option<i64>, Option<&str>)> = HashMap::new();
        for c in done {
            let entry = last.entry(c.target_id.as_str()).or_default();
            match c.verdict {
                Verdict::Delivered => entry.0 = Some(c.finished_at),
                _ => entry.1 = c.error.as_deref().or(Some("failed")),
            }
        }
        for (target_id, (success, error)) in last {
            sqlx::query(
                "UPDATE sync_targets SET last_success_at = COALESCE($1, last_success_at), \
                 last_error = COALESCE($2, last_error) WHERE id = $3",
            )
            .bind(success)
            .bind(error.map(str::to_owned))
            .bind(target_id)
            .execute(&mut *tx)
            .await?;
        }
        for c in done.iter().filter(|c| c.verdict == Verdict::Gone) {
            sqlx::query(
                "UPDATE sync_targets SET state = 'disabled', disabled_reason = $1, updated_at = $2 \
                 WHERE id = $3 AND state <> 'disabled'",
            )
            .bind(format!("the target answered 410 Gone at {}", format_ms(c.finished_at)))
            .bind(now)
            .bind(c.target_id.clone())
            .execute(&mut *tx)
            .await?;
            record_audit(
                &mut tx,
                &Ctx::system(),
                AuditDraft {
                    action: "sync.target.disable",
                    target: format!("sync-target-id:{}", c.target_id),
                    tenant: None,
                    outcome: "success",
                    details: serde_json::json!({"reason": "410 Gone", "task": c.seq}),
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn target_names(&self) -> Result<HashMap<String, String>> {
        let rows = sqlx::query("SELECT id, name FROM sync_targets").fetch_all(&self.read).await?;
        rows.iter().map(|r| Ok((get_str(r, "id")?, get_str(r, "name")?))).collect()
    }

    /// Tasks, newest first. `dead_only` is the dead-letter queue.
    pub async fn list_tasks(&self, query: &TaskQuery, dead_only: bool) -> Result<Page<SyncTask>> {
        let page = PageRequest::new(query.page, query.page_size, query.cursor.as_deref(), query.limit)?;
        let names = self.target_names().await?;
        let mut filter = Filter::default();
        if let Some(target) = &query.target {
            let id = names.iter().find(|(_, n)| *n == target).map(|(id, _)| id.clone());
            filter.eq("target_id", id.ok_or_else(|| not_found_target(target))?);
        }
        let status = if dead_only { Some(TaskStatus::Dead) } else { query.status };
        if let Some(status) = status {
            filter.eq("status", status.as_str().to_owned());
        }
        if let Some(agg) = &query.aggregate_id {
            filter.eq("aggregate_id", agg.clone());
        }
        let rows = self.page_query("sync_tasks", TASK_COLUMNS, &filter, &page).await?;
        let total = self.count_query("sync_tasks", &filter).await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            items.push((get_i64(&row, "seq")?.to_string(), task_from_row(&row, &names)?));
        }
        Ok(page.finish(items, total))
    }

    /// One task with every attempt.
    pub async fn get_task(&self, seq: i64) -> Result<SyncTask> {
        let names = self.target_names().await?;
        let row = sqlx::query(&format!("SELECT {TASK_COLUMNS} FROM sync_tasks WHERE seq = $1"))
            .bind(seq)
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| not_found_task(seq))?;
        let mut task = task_from_row(&row, &names)?;
        let attempts = sqlx::query(
            "SELECT number, started_at, duration_us, outcome, status_code, error, response FROM sync_attempts \
             WHERE task_seq = $1 ORDER BY number",
        )
        .bind(seq)
        .fetch_all(&self.read)
        .await?;
        let mut log = Vec::with_capacity(attempts.len());
        for a in attempts {
            log.push(TaskAttempt {
                number: get_i64(&a, "number")? as u32,
                started_at: format_ms(get_i64(&a, "started_at")?),
                duration_ms: get_i64(&a, "duration_us")? as f64 / 1000.0,
                outcome: get_str(&a, "outcome")?,
                status_code: get_opt_i64(&a, "status_code")?.map(|c| c as u16),
                error: get_opt_str(&a, "error")?,
                response: get_opt_str(&a, "response")?,
            });
        }
        task.attempt_log = Some(log);
        Ok(task)
    }

    /// Make a failed, dead or cancelled task due now with a fresh attempt budget.
    pub async fn retry_task(&self, ctx: &Ctx, seq: i64) -> Result<SyncTask> {
        let allowed = [TaskStatus::Failed, TaskStatus::Dead, TaskStatus::Cancelled];
        self.change_task(ctx, seq, "retry", &allowed, async |tx| requeue(tx, &[seq]).await).await
    }

    /// Cancel a task that is not in flight or finished.
    pub async fn cancel_task(&self, ctx: &Ctx, seq: i64) -> Result<SyncTask> {
        let allowed = [TaskStatus::Pending, TaskStatus::Failed, TaskStatus::Dead];
        self.change_task(ctx, seq, "cancel", &allowed, async |tx| {
            sqlx::query("UPDATE sync_tasks SET status = 'cancelled', updated_at = $1 WHERE seq = $2")
                .bind(now_ms())
                .bind(seq)
                .execute(&mut *tx)
                .await?;
            Ok(())
        })
        .await
    }

    /// Apply `change` to a task in one of the `allowed` states, audited as
    /// `sync.task.{verb}`; the task afterwards.
    async fn change_task(
        &self,
        ctx: &Ctx,
        seq: i64,
        verb: &str,
        allowed: &[TaskStatus],
        change: impl AsyncFnOnce(&mut AnyConnection) -> Result<()>,
    ) -> Result<SyncTask> {
        let mut tx = self.write.begin().await?;
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM sync_tasks WHERE seq = $1")
            .bind(seq)
            .fetch_optional(&mut *tx)
            .await?;
        let status = task_status(&status.ok_or_else(|| not_found_task(seq))?)?;
        if !allowed.contains(&status) {
            let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
            return Err(StoreError::Conflict(format!(
                "task {seq} is {}; {verb} takes a task that is {}",
                status.as_str(),
                names.join(", ")
            )));
        }
        change(&mut *tx).await?;
        record_audit(
            &mut tx,
            ctx,
            AuditDraft {
                action: &format!("sync.task.{verb}"),
                target: format!("sync-task:{seq}"),
                tenant: None,
                outcome: "success",
                details: serde_json::json!({"from": status.as_str()}),
            },
        )
        .await?;
        tx.commit().await?;
        self.get_task(seq).await
    }

    /// The dead tasks a replay or purge selects: of one target, the given
    /// ids (at most `limits::DLQ_IDS`, looked up 500 at a time), or all;
    /// oldest first.
    async fn select_dead(
        &self,
        conn: &mut AnyConnection,
        target: Option<&str>,
        ids: &[u64],
        dead_before: Option<i64>,
    ) -> Result<Vec<i64>> {
        let target_id = match target {
            Some(name) => Some(target_by_name(conn, name).await?.id),
            None => None,
        };
        // No ids is one query for every dead task; ids go 500 to a query.
        let chunks: Vec<&[u64]> = if ids.is_empty() { vec![&[]] } else { ids.chunks(500).collect() };
        let mut seqs = Vec::new();
        for chunk in chunks {
            let mut filter = Filter::default();
            filter.fixed("status = 'dead'");
            if let Some(id) = &target_id {
                filter.eq("target_id", id.clone());
            }
            if let Some(before) = dead_before {
                filter.lt_int("updated_at", before);
            }
            if !chunk.is_empty() {
                // An id beyond i64 names no task.
                filter.in_ints("seq", chunk.iter().map(|id| i64::try_from(*id).unwrap_or(-1)));
            }
            let sql = format!("SELECT seq FROM sync_tasks{}", filter.where_clause());
            let rows = filter.bind_all(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
            for row in rows {
                seqs.push(row.try_get::<i64, _>(0)?);
            }
        }
        seqs.sort_unstable();
        seqs.dedup();
        Ok(seqs)
    }

    /// Put dead tasks back in the queue.
    pub async fn replay_dlq(&self, ctx: &Ctx, target: Option<&str>, ids: &[u64]) -> Result<u64> {
        let mut tx = self.write.begin().await?;
        let seqs = self.select_dead(&mut tx, target, ids, None).await?;
        for chunk in seqs.chunks(500) {
            requeue(&mut tx, chunk).await?;
        }
        record_audit(
            &mut tx,
            ctx,
            AuditDraft {
                action: "sync.dlq.replay",
                target: format!("sync-target:{}", target.unwrap_or("*")),
                tenant: None,
                outcome: "success",
                details: serde_json::json!({"count": seqs.len(), "ids": ids}),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(seqs.len() as u64)
    }

    /// Delete dead tasks (and their attempts).
    pub async fn purge_dlq(
        &self,
        ctx: &Ctx,
        target: Option<&str>,
        ids: &[u64],
        older_than: Option<&str>,
    ) -> Result<u64> {
        let before = older_than
            .map(|d| {
                let d = plat_domain::parse_duration("older_than", d)?;
                Ok::<_, StoreError>(plat_domain::millis_before(now_ms(), d))
            })
            .transpose()?;
        let mut tx = self.write.begin().await?;
        let seqs = self.select_dead(&mut tx, target, ids, before).await?;
        for chunk in seqs.chunks(500) {
            delete_tasks(&mut tx, chunk).await?;
        }
        record_audit(
            &mut tx,
            ctx,
            AuditDraft {
                action: "sync.dlq.purge",
                target: format!("sync-target:{}", target.unwrap_or("*")),
                tenant: None,
                outcome: "success",
                details: serde_json::json!({"count": seqs.len(), "ids": ids, "older_than": older_than}),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(seqs.len() as u64)
    }

    /// Per-target counts, success rate and latency percentiles.
    pub async fn sync_stats(&self) -> Result<Vec<TargetStats>> {
        let targets = self.list_targets().await?;
        let rows = sqlx::query(
            "SELECT target_id, status, COUNT(*) AS n, CAST(COALESCE(SUM(attempts), 0) AS BIGINT) AS a FROM sync_tasks \
             GROUP BY target_id, status",
        )
        .fetch_all(&self.read)
        .await?;
        let mut counts: HashMap<String, HashMap<String, (i64, i64)>> = HashMap::new();
        for row in rows {
            counts
                .entry(get_str(&row, "target_id")?)
                .or_default()
                .insert(get_str(&row, "status")?, (get_i64(&row, "n")?, get_i64(&row, "a")?));
        }
        let mut out = Vec::with_capacity(targets.len());
        for target in targets {
            let by_status = counts.remove(&target.id).unwrap_or_default();
            let n = |s: &str| by_status.get(s).map(|c| c.0).unwrap_or(0) as u64;
            let attempts: i64 = by_status.values().map(|c| c.1).sum();
            let delivered = n("delivered");
            let mut latencies: Vec<i64> = sqlx::query_scalar(
                "SELECT delivered_at - created_at FROM sync_tasks WHERE target_id = $1 AND status = 'delivered' \
                 ORDER BY seq DESC LIMIT 1000",
            )
            .bind(target.id.clone())
            .fetch_all(&self.read)
            .await?;
            latencies.sort_unstable();
            out.push(TargetStats {
                target: target.name.clone(),
                state: target.state,
                circuit: target.circuit,
                delivered,
                failed: (attempts as u64).saturating_sub(delivered),
                dead: n("dead"),
                backlog: n("pending") + n("failed") + n("in_flight"),
                in_flight: n("in_flight"),
                success_rate: (attempts > 0).then(|| delivered as f64 / attempts as f64),
                latency_p50_ms: percentile(&latencies, 50.0),
                latency_p99_ms: percentile(&latencies, 99.0),
                last_success_at: target.last_success_at.map(format_ms),
                last_error: target.last_error.clone(),
            });
        }
        Ok(out)
    }

    /// Delete delivered and cancelled tasks last changed before `before`
    /// (unix ms), in batches; returns how many went.
    pub async fn purge_finished_tasks(&self, before: i64) -> Result<u64> {
        let mut total = 0;
        loop {
            let mut tx = self.write.begin().await?;
            let seqs: Vec<i64> = sqlx::query_scalar(
                "SELECT seq FROM sync_tasks WHERE status IN ('delivered', 'cancelled') AND updated_at < $1 LIMIT 2000",
            )
            .bind(before)
            .fetch_all(&mut *tx)
            .await?;
            if seqs.is_empty() {
                return Ok(total);
            }
            for chunk in seqs.chunks(500) {
                delete_tasks(&mut tx, chunk).await?;
            }
            tx.commit().await?;
            total += seqs.len() as u64;
        }
    }
}

/// Claims and outcomes need not wait for the WAL flush on PostgreSQL: if the
/// server crashes before the flush, a claim is simply lost (the task is due
/// again) and an outcome is redelivered, which at-least-once delivery allows.
/// It spares every delivery batch a disk sync.
async fn relax_commit(conn: &mut AnyConnection) -> Result<()> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *conn).await?;
    }
    Ok(())
}

/// Make tasks due now with a fresh attempt budget.
async fn requeue(conn: &mut AnyConnection, seqs: &[i64]) -> Result<()> {
    let mut p = Params::for_conn(conn);
    let (due_p, updated_p) = (p.next(), p.next());
    let list = p.list(seqs.len());
    let sql = format!(
        "UPDATE sync_tasks SET status = 'pending', retry_base = attempts, next_attempt_at = {due_p}, \
         lease_owner = NULL, lease_until = NULL, updated_at = {updated_p} WHERE seq IN ({list})"
    );
    let now = now_ms();
    let mut query = sqlx::query(&sql).bind(now).bind(now);
    for seq in seqs {
        query = query.bind(*seq);
    }
    query.execute(&mut *conn).await?;
    announce(conn).await
}

async fn delete_tasks(conn: &mut AnyConnection, seqs: &[i64]) -> Result<()> {
    let list = Params::for_conn(conn).list(seqs.len());
    for table_sql in [
        format!("DELETE FROM sync_attempts WHERE task_seq IN ({list})"),
        format!("DELETE FROM sync_tasks WHERE seq IN ({list})"),
    ] {
        let mut query = sqlx::query(&table_sql);
        for seq in seqs {
            query = query.bind(*seq);
        }
        query.execute(&mut *conn).await?;
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

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&[7], 99.0), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
    }
}
