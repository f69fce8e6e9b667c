//! Consistency checks as stored: the check, one report per target (the
//! partial unique index `check_targets_open` lets one check at a time hold a
//! target, across replicas), and the findings. Also what a check reads from
//! plat: users' `(id, version)` streamed, the records that are excluded
//! because they are still moving, repair tasks, and the internal invariants.
//!
//! - `mod.rs`: checks, reports and findings
//! - [`reads`]: what a check reads from plat
//! - [`repair`]: repair tasks
//! - [`internal`]: plat's own invariants

mod internal;
mod reads;
mod repair;

use reads::records_with_tasks;

use std::collections::{HashMap, HashSet};

use plat_proto::{
    Check, CheckCounts, CheckQuery, CheckStatus, CheckTarget, CheckTargetStatus, CreateCheck, Finding, FindingKind,
    FindingQuery, Page,
};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use tokio::sync::mpsc;

use crate::audit::{AuditDraft, record_audit};
use crate::envelope::{EventDraft, build_event};
use crate::rows::{UserRecord, users_by_ids};
use crate::sql::{
    Bind, Filter, Params, format_ms, get_i64, get_opt_i64, get_opt_str, get_str, is_unique_violation, json_text,
    json_value, now_ms,
};
use crate::sync::UserScope;
use crate::users::user_changed;
use crate::{Ctx, PageRequest, Result, Store, StoreError};

/// Statuses in which a report holds its target.
const OPEN: &str = "('pending', 'running')";

/// One `(id, version)` pair of a user plat holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct VersionedId {
    pub id: String,
    pub version: u64,
}

/// What to send a target for one finding.
#[derive(Debug, Clone)]
pub struct RepairRequest {
    pub id: String,
    /// The version the target holds, if it holds the record.
    pub target_version: Option<u64>,
}

/// The enqueued repair of one request: its task, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum RepairOutcome {
    Task(u64),
    /// A task for the record is open now: it will bring the copy up to date.
    Moving,
}

fn check_status(text: &str) -> Result<CheckStatus> {
    CheckStatus::parse(text).ok_or_else(|| StoreError::Corrupt(format!("check status {text:?}")))
}

fn finding_from_row(row: &AnyRow) -> Result<Finding> {
    let kind = get_str(row, "kind")?;
    Ok(Finding {
        target: get_str(row, "target")?,
        kind: FindingKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("finding kind {kind:?}")))?,
        aggregate_kind: get_str(row, "aggregate_kind")?,
        aggregate_id: get_str(row, "aggregate_id")?,
        plat_version: get_opt_i64(row, "plat_version")?.map(|v| v as u64),
        target_version: get_opt_i64(row, "target_version")?.map(|v| v as u64),
        detail: get_opt_str(row, "detail")?,
        repair_task: get_opt_i64(row, "repair_task")?.map(|v| v as u64),
        repaired: get_i64(row, "repaired")? != 0,
    })
}

const CHECK_COLUMNS: &str = "seq, id, status, repair, dry_run, requested_by, error, created_at, finished_at";
const FINDING_COLUMNS: &str =
    "seq, target, kind, aggregate_kind, aggregate_id, plat_version, target_version, detail, repair_task, repaired";

impl Store {
    /// Mark checks whose runner stopped renewing its lease (its replica
    /// exited) as failed, releasing their targets.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.sweep_checks", skip_all)]
    pub async fn sweep_checks(&self) -> Result<u64> {
        let now = now_ms();
        let mut tx = self.write.begin().await?;
        let expired: Vec<String> = sqlx::query("SELECT id FROM checks WHERE status = 'running' AND lease_until < $1")
            .bind(now)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| get_str(r, "id"))
            .collect::<Result<_>>()?;
        for id in &expired {
            sqlx::query(
                "UPDATE checks SET status = 'failed', error = 'the replica running it stopped', finished_at = $1 \
                 WHERE id = $2",
            )
            .bind(now)
            .bind(id.clone())
            .execute(&mut *tx)
            .await?;
            sqlx::query(&format!(
                "UPDATE check_targets SET status = 'failed', updated_at = $1 WHERE check_id = $2 AND status IN {OPEN}"
            ))
            .bind(now)
            .bind(id.clone())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(expired.len() as u64)
    }

    /// Create a running check holding `targets` (reports in order), leased to
    /// `runner` until `lease_until`. Fails with `Conflict` when another check
    /// holds one of the targets.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.create_check", skip_all)]
    pub async fn create_check(
        &self,
        ctx: &Ctx,
        request: &CreateCheck,
        targets: &[CheckTarget],
        runner: &str,
        lease_until: i64,
    ) -> Result<Check> {
        self.sweep_checks().await?;
        let now = now_ms();
        let id = format!("chk_{}", uuid::Uuid::now_v7().simple());
        let mut tx = self.begin(ctx).await?;
        sqlx::query(
            "INSERT INTO checks (id, status, repair, dry_run, request, requested_by, runner, lease_until, created_at) \
             VALUES ($1, 'running', $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.clone())
        .bind(i64::from(request.repair))
        .bind(i64::from(request.dry_run))
        .bind(json_text(request)?)
        .bind(ctx.actor.clone())
        .bind(runner)
        .bind(lease_until)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        for (position, report) in targets.iter().enumerate() {
            let inserted = sqlx::query(
                "INSERT INTO check_targets (check_id, target, position, status, report, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id.clone())
            .bind(report.target.clone())
            .bind(position as i64)
            .bind(report.status.as_str())
            .bind(json_text(report)?)
            .bind(now)
            .execute(&mut *tx)
            .await;
            match inserted {
                Err(e) if is_unique_violation(&e) => {
                    drop(tx);
                    let holder = sqlx::query(&format!(
                        "SELECT check_id FROM check_targets WHERE target = $1 AND status IN {OPEN}"
                    ))
                    .bind(report.target.clone())
                    .fetch_optional(&self.read)
                    .await?
                    .map(|r| get_str(&r, "check_id"))
                    .transpose()?
                    .unwrap_or_default();
                    return Err(StoreError::Conflict(format!(
                        "{} is already being checked by {holder}; wait for it or look at it with `platctl check get {holder}`",
                        report.target
                    )));
                }
                other => {
                    other?;
                }
            }
        }
        let names: Vec<&str> = targets.iter().map(|t| t.target.as_str()).collect();
        record_audit(
            &mut tx,
            ctx,
            AuditDraft {
                action: "check.create",
                target: format!("check:{id}"),
                tenant: None,
                outcome: "success",
                details: serde_json::json!({"targets": names, "repair": request.repair, "dry_run": request.dry_run}),
            },
        )
        .await?;
        tx.commit().await?;
        self.get_check(&id, 0).await
    }

    /// Renew the runner's lease.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.renew_check", skip_all)]
    pub async fn renew_check(&self, id: &str, runner: &str, lease_until: i64) -> Result<bool> {
        let done =
            sqlx::query("UPDATE checks SET lease_until = $1 WHERE id = $2 AND runner = $3 AND status = 'running'")
                .bind(lease_until)
                .bind(id)
                .bind(runner)
                .execute(&self.write)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Store a target's report (progress while running, the result at the end).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.save_check_target", skip_all)]
    pub async fn save_check_target(&self, id: &str, report: &CheckTarget) -> Result<()> {
        sqlx::query(
            "UPDATE check_targets SET status = $1, report = $2, updated_at = $3 WHERE check_id = $4 AND target = $5",
        )
        .bind(report.status.as_str())
        .bind(json_text(report)?)
        .bind(now_ms())
        .bind(id)
        .bind(report.target.clone())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Append findings.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.add_findings", skip_all)]
    pub async fn add_findings(&self, id: &str, findings: &[Finding]) -> Result<()> {
        let mut tx = self.write.begin().await?;
        for chunk in findings.chunks(200) {
            let mut p = Params::for_conn(&tx);
            let rows = p.rows(chunk.len(), 10);
            let sql = format!(
                "INSERT INTO check_findings (check_id, target, kind, aggregate_kind, aggregate_id, plat_version, \
                 target_version, detail, repair_task, repaired) VALUES {rows}"
            );
            let mut query = sqlx::query(&sql);
            for f in chunk {
                query = query
                    .bind(id.to_owned())
                    .bind(f.target.clone())
                    .bind(f.kind.as_str())
                    .bind(f.aggregate_kind.clone())
                    .bind(f.aggregate_id.clone())
                    .bind(f.plat_version.map(|v| v as i64))
                    .bind(f.target_version.map(|v| v as i64))
                    .bind(f.detail.clone())
                    .bind(f.repair_task.map(|v| v as i64))
                    .bind(i64::from(f.repaired));
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// End a check, audited with its summary.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.finish_check", skip_all)]
    pub async fn finish_check(&self, id: &str, status: CheckStatus, error: Option<&str>) -> Result<Check> {
        let now = now_ms();
        let mut tx = self.write.begin().await?;
        sqlx::query("UPDATE checks SET status = $1, error = $2, finished_at = $3, lease_until = NULL WHERE id = $4")
            .bind(status.as_str())
            .bind(error.map(str::to_owned))
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        // A report still open here was never reached (the check failed before it).
        sqlx::query(&format!(
            "UPDATE check_targets SET status = 'failed', updated_at = $1 WHERE check_id = $2 AND status IN {OPEN}"
        ))
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let check = self.get_check(id, 0).await?;
        let mut conn = self.write.acquire().await?;
        record_audit(
            &mut conn,
            &Ctx { actor: check.requested_by.clone(), ..Ctx::system() },
            AuditDraft {
                action: "check.finish",
                target: format!("check:{id}"),
                tenant: None,
                outcome: if status == CheckStatus::Succeeded { "success" } else { "failure" },
                details: serde_json::json!({"summary": check.summary, "error": error}),
            },
        )
        .await?;
        Ok(check)
    }

    async fn check_reports(&self, ids: &[String]) -> Result<HashMap<String, Vec<CheckTarget>>> {
        let mut out: HashMap<String, Vec<CheckTarget>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut conn = self.read.acquire().await?;
        let list = Params::for_conn(&conn).list(ids.len());
        let sql = format!(
            "SELECT check_id, status, report FROM check_targets WHERE check_id IN ({list}) ORDER BY check_id, position"
        );
        let mut query = sqlx::query(&sql);
        for id in ids {
            query = query.bind(id.clone());
        }
        for row in query.fetch_all(&mut *conn).await? {
            let mut report: CheckTarget = serde_json::from_str(&get_str(&row, "report")?)
                .map_err(|e| StoreError::Corrupt(format!("check report: {e}")))?;
            // The status column is authoritative (a sweep may have failed it).
            if let Some(status) = CheckTargetStatus::parse(&get_str(&row, "status")?) {
                report.status = status;
            }
            out.entry(get_str(&row, "check_id")?).or_default().push(report);
        }
        Ok(out)
    }

    fn check_from_row(row: &AnyRow, targets: Vec<CheckTarget>) -> Result<Check> {
        let created = get_i64(row, "created_at")?;
        let finished = get_opt_i64(row, "finished_at")?;
        let mut summary = CheckCounts::default();
        for t in &targets {
            summary.add(&t.counts);
        }
        Ok(Check {
            id: get_str(row, "id")?,
            status: check_status(&get_str(row, "status")?)?,
            repair: get_i64(row, "repair")? != 0,
            dry_run: get_i64(row, "dry_run")? != 0,
            requested_by: get_str(row, "requested_by")?,
            created_at: format_ms(created),
            finished_at: finished.map(format_ms),
            duration_ms: finished.map(|f| (f - created).max(0) as u64),
            error: get_opt_str(row, "error")?,
            summary,
            targets,
            findings: None,
        })
    }

    /// A check with its reports and up to `findings` findings.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.get_check", skip_all)]
    pub async fn get_check(&self, id: &str, findings: u64) -> Result<Check> {
        let row = sqlx::query(&format!("SELECT {CHECK_COLUMNS} FROM checks WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| StoreError::NotFound { kind: "check", name: id.to_owned() })?;
        let mut reports = self.check_reports(&[id.to_owned()]).await?;
        let mut check = Self::check_from_row(&row, reports.remove(id).unwrap_or_default())?;
        if findings > 0 {
            let rows = sqlx::query(&format!(
                "SELECT {FINDING_COLUMNS} FROM check_findings WHERE check_id = $1 ORDER BY seq LIMIT $2"
            ))
            .bind(id)
            .bind(findings as i64)
            .fetch_all(&self.read)
            .await?;
            check.findings = Some(rows.iter().map(finding_from_row).collect::<Result<_>>()?);
        }
        Ok(check)
    }

    /// Checks, newest first.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.list_checks", skip_all)]
    pub async fn list_checks(&self, query: &CheckQuery) -> Result<Page<Check>> {
        let page = PageRequest::new(query.page, query.page_size, query.cursor.as_deref(), query.limit)?;
        let mut filter = Filter::default();
        if let Some(status) = query.status {
            filter.eq("status", status.as_str().to_owned());
        }
        if let Some(target) = &query.target {
            filter.raw(
                |n| format!("id IN (SELECT check_id FROM check_targets WHERE target = ${n})"),
                Bind::Text(target.clone()),
            );
        }
        let rows = self.page_query("checks", CHECK_COLUMNS, &filter, &page).await?;
        let total = self.count_query("checks", &filter).await?;
        let ids: Vec<String> = rows.iter().map(|r| get_str(r, "id")).collect::<Result<_>>()?;
        let mut reports = self.check_reports(&ids).await?;
        let mut items = Vec::with_capacity(rows.len());
        for (row, id) in rows.iter().zip(&ids) {
            items.push((
                get_i64(row, "seq")?.to_string(),
                Self::check_from_row(row, reports.remove(id).unwrap_or_default())?,
            ));
        }
        Ok(page.finish(items, total))
    }

    /// A check's findings, newest first.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.list_findings", skip_all)]
    pub async fn list_findings(&self, id: &str, query: &FindingQuery) -> Result<Page<Finding>> {
        self.get_check(id, 0).await?;
        let page = PageRequest::new(query.page, query.page_size, query.cursor.as_deref(), query.limit)?;
        let mut filter = Filter::default();
        filter.eq("check_id", id.to_owned());
        if let Some(target) = &query.target {
            filter.eq("target", target.clone());
        }
        if let Some(kind) = query.kind {
            filter.eq("kind", kind.as_str().to_owned());
        }
        let rows = self.page_query("check_findings", FINDING_COLUMNS, &filter, &page).await?;
        let total = self.count_query("check_findings", &filter).await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            items.push((get_i64(row, "seq")?.to_string(), finding_from_row(row)?));
        }
        Ok(page.finish(items, total))
    }

    /// The last finished report of every target checked, with when it ended.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.latest_check_reports", skip_all)]
    pub async fn latest_check_reports(&self) -> Result<Vec<(CheckTarget, i64)>> {
        let rows = sqlx::query(
            "SELECT c.status, c.report, c.updated_at FROM check_targets c WHERE c.status IN ('succeeded', 'failed') \
             AND c.updated_at = (SELECT MAX(d.updated_at) FROM check_targets d WHERE d.target = c.target \
             AND d.status IN ('succeeded', 'failed'))",
        )
        .fetch_all(&self.read)
        .await?;
        let mut out: Vec<(CheckTarget, i64)> = Vec::with_capacity(rows.len());
        for row in rows {
            let Ok(mut report) = serde_json::from_str::<CheckTarget>(&get_str(&row, "report")?) else { continue };
            if let Some(status) = CheckTargetStatus::parse(&get_str(&row, "status")?) {
                report.status = status;
            }
            if !out.iter().any(|(r, _)| r.target == report.target) {
                out.push((report, get_i64(&row, "updated_at")?));
            }
        }
        Ok(out)
    }

    /// Delete finished checks (with reports and findings) that ended before `before`.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.purge_checks", skip_all)]
    pub async fn purge_checks(&self, before: i64) -> Result<u64> {
        let mut tx = self.write.begin().await?;
        let old = "SELECT id FROM checks WHERE status <> 'running' AND finished_at < $1";
        sqlx::query(&format!("DELETE FROM check_findings WHERE check_id IN ({old})"))
            .bind(before)
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("DELETE FROM check_targets WHERE check_id IN ({old})"))
            .bind(before)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM checks WHERE status <> 'running' AND finished_at < $1")
            .bind(before)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Take the scheduler's turn: true for exactly one caller (across
    /// replicas) per `interval_ms`.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.take_schedule_turn", skip_all)]
    pub async fn take_schedule_turn(&self, key: &str, interval_ms: i64) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.write.begin().await?;
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, '0') ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .execute(&mut *tx)
            .await?;
        let taken = sqlx::query("UPDATE meta SET value = $1 WHERE key = $2 AND CAST(value AS BIGINT) <= $3")
            .bind(now.to_string())
            .bind(key)
            .bind(now - interval_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(taken.rows_affected() == 1)
    }
}
