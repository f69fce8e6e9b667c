//! A new target's backfill: a snapshot of every existing user it would
//! receive, queued at low priority (2, after live changes at 1 and repairs
//! at 0) in steps that resume from a cursor after a restart.
//!
//! Order per user holds as for repairs: each step locks its users on
//! PostgreSQL (SQLite has one writer) and reads them, so a change that
//! commits before the step is in the snapshot and one that commits after
//! it gets a later task. A user's backfill snapshot is never delivered after
//! a newer version of it.

use plat_proto::catalog;
use serde::{Deserialize, Serialize};

use super::*;

/// The priority of backfill tasks: after repairs (0) and live changes (1).
pub const BACKFILL_PRIORITY: i64 = 2;

/// A target's backfill as stored (`sync_targets.backfill`, JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackfillRecord {
    pub state: plat_proto::BackfillState,
    /// The last user id queued (in `users.id` order); `None` before the first step.
    pub cursor: Option<String>,
    pub queued: u64,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

impl BackfillRecord {
    pub(crate) fn start(now: i64) -> BackfillRecord {
        BackfillRecord {
            state: plat_proto::BackfillState::Running,
            cursor: None,
            queued: 0,
            started_at: now,
            finished_at: None,
        }
    }

    pub fn running(&self) -> bool {
        self.state == plat_proto::BackfillState::Running
    }

    pub fn to_proto(&self, remaining: u64) -> plat_proto::Backfill {
        plat_proto::Backfill {
            state: self.state,
            queued: self.queued,
            remaining,
            started_at: format_ms(self.started_at),
            finished_at: self.finished_at.map(format_ms),
        }
    }
}

impl Store {
    /// Queue the next `limit` users of a target's running backfill, in one
    /// transaction that also moves its cursor. Returns the backfill as it
    /// stands after the step (`None`: the target has none running, or is
    /// gone or disabled). Replicas may call it at once: the target row's
    /// lock (PostgreSQL) or the single writer (SQLite) orders the steps.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.backfill_step", skip_all)]
    pub async fn backfill_step(&self, target_id: &str, limit: usize) -> Result<Option<BackfillRecord>> {
        let now = now_ms();
        let mut tx = self.write.begin().await?;
        let lock = if self.backend == Backend::Postgres { " FOR UPDATE" } else { "" };
        let row = sqlx::query(&format!(
            "SELECT {} FROM sync_targets WHERE id = $1 AND state <> 'disabled'{lock}",
            targets::TARGET_COLUMNS
        ))
        .bind(target_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(target) = row.as_ref().map(targets::target_from_row).transpose()? else { return Ok(None) };
        let Some(mut backfill) = target.backfill.clone().filter(BackfillRecord::running) else { return Ok(None) };
        let scope = UserScope::of(&target);
        let sql = format!(
            "SELECT id FROM users WHERE status <> 'deleted' AND id > $1{} ORDER BY id LIMIT $2",
            scope.clause()
        );
        let ids: Vec<String> = sqlx::query_scalar(&sql)
            .bind(backfill.cursor.clone().unwrap_or_default())
            .bind(limit as i64)
            .fetch_all(&mut *tx)
            .await?;
        let mut users = users_by_ids(&mut tx, &ids, true).await?;
        users.retain(|u| u.stored_status != "deleted");
        users.sort_by(|a, b| a.user.id.cmp(&b.user.id));
        let mut metadata = serde_json::Map::new();
        metadata.insert("backfill".into(), true.into());
        let ctx = Ctx::system();
        let mut drafts = Vec::with_capacity(users.len());
        for record in &users {
            let event = build_event(
                &ctx,
                EventDraft {
                    event_type: catalog::USER_UPDATED,
                    tenant: &record.user.tenant,
                    aggregate_id: &record.user.id,
                    aggregate_version: record.user.version,
                    data: json_value(&record.user)?,
                    extra_metadata: Some(metadata.clone()),
                },
                now,
            );
            let doc = json_value(&event)?;
            if target.compiled.as_ref().is_some_and(|rules| rules.admits(&doc).is_err()) {
                continue;
            }
            drafts.push((event, doc.to_string()));
        }
        let mut offers = Vec::with_capacity(drafts.len());
        for chunk in drafts.chunks(100) {
            let rows = Params::for_conn(&tx).rows(chunk.len(), 7);
            let sql = format!(
                "WITH v (target_id, event_id, tenant, aggregate_id, version, payload, at) AS (VALUES {rows}) \
                 INSERT INTO sync_tasks (target_id, event_seq, event_id, event_type, tenant, aggregate_kind, \
                 aggregate_id, aggregate_version, status, priority, payload, attempts, next_attempt_at, created_at, \
                 updated_at) SELECT v.target_id, 0, v.event_id, 'user.updated', v.tenant, 'user', v.aggregate_id, \
                 CAST(v.version AS BIGINT), 'pending', {BACKFILL_PRIORITY}, v.payload, 0, CAST(v.at AS BIGINT), \
                 CAST(v.at AS BIGINT), CAST(v.at AS BIGINT) FROM v RETURNING {OFFER_COLUMNS}"
            );
            let mut query = sqlx::query(&sql);
            for (event, payload) in chunk {
                query = query
                    .bind(target_id.to_owned())
                    .bind(event.id.clone())
                    .bind(event.tenant.clone())
                    .bind(event.aggregate.id.clone())
                    .bind(event.aggregate.version as i64)
                    .bind(payload.clone())
                    .bind(now);
            }
            offers.extend(offers_of(&query.fetch_all(&mut *tx).await?)?);
        }
        if !offers.is_empty() {
            offer_heads(&mut tx, &offers).await?;
            announce(&mut tx).await?;
        }
        backfill.queued += offers.len() as u64;
        if let Some(last) = ids.last() {
            backfill.cursor = Some(last.clone());
        }
        if ids.len() < limit {
            backfill.state = plat_proto::BackfillState::Done;
            backfill.finished_at = Some(now);
            record_audit(
                &mut tx,
                &ctx,
                AuditDraft {
                    action: "sync.target.backfill",
                    target: format!("sync-target:{}", target.name),
                    tenant: None,
                    outcome: "success",
                    details: serde_json::json!({"queued": backfill.queued}),
                },
            )
            .await?;
        }
        sqlx::query("UPDATE sync_targets SET backfill = $1 WHERE id = $2")
            .bind(json_text(&backfill)?)
            .bind(target_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(backfill))
    }

    /// Backfill tasks not yet delivered (pending, failed or in flight), per target id.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.backfill_open", skip_all)]
    pub async fn backfill_open(&self) -> Result<HashMap<String, u64>> {
        let rows = sqlx::query(&format!(
            "SELECT target_id, COUNT(*) AS n FROM sync_tasks WHERE status IN {OPEN} AND priority = {BACKFILL_PRIORITY} \
             GROUP BY target_id"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(|r| Ok((get_str(r, "target_id")?, get_i64(r, "n")?.max(0) as u64))).collect()
    }

    /// Targets as the API shows them: with their backfills' remaining tasks counted.
    pub async fn target_views(&self, rows: &[TargetRow]) -> Result<Vec<SyncTarget>> {
        let open = if rows.iter().any(|r| r.backfill.is_some()) { self.backfill_open().await? } else { HashMap::new() };
        Ok(rows
            .iter()
            .map(|row| {
                let mut target = row.to_proto();
                target.backfill = row.backfill.as_ref().map(|b| b.to_proto(open.get(&row.id).copied().unwrap_or(0)));
                target
            })
            .collect())
    }

    /// One target as the API shows it ([`Store::target_views`]).
    pub async fn target_view(&self, row: &TargetRow) -> Result<SyncTarget> {
        let mut views = self.target_views(std::slice::from_ref(row)).await?;
        views.pop().ok_or_else(|| StoreError::Corrupt("no view of a target".into()))
    }
}
