//! Consistency checks as stored: the check, one report per target (the
//! partial unique index `check_targets_open` lets one check at a time hold a
//! target, across replicas), and the findings. Also what a check reads from
//! plat: users' `(id, version)` streamed, the records that are excluded
//! because they are still moving, repair tasks, and the internal invariants.

use std::collections::{HashMap, HashSet};

use plat_proto::{
    Check, CheckCounts, CheckQuery, CheckStatus, CheckTarget, CheckTargetStatus, CreateCheck, Finding, FindingKind,
    FindingQuery, Page,
};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use tokio::sync::mpsc;

use crate::outbox::{AuditDraft, Bind, EventDraft, Filter, Params, build_event, record_audit};
use crate::users::{user_changed, users_by_ids};
use crate::{
    Ctx, PageRequest, Result, Store, StoreError, format_ms, get_i64, get_opt_i64, get_opt_str, get_str,
    is_unique_violation, now_ms,
};

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
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO checks (id, status, repair, dry_run, request, requested_by, runner, lease_until, created_at) \
             VALUES ($1, 'running', $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.clone())
        .bind(i64::from(request.repair))
        .bind(i64::from(request.dry_run))
        .bind(crate::json_text(request)?)
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
            .bind(crate::json_text(report)?)
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
    pub async fn save_check_target(&self, id: &str, report: &CheckTarget) -> Result<()> {
        sqlx::query(
            "UPDATE check_targets SET status = $1, report = $2, updated_at = $3 WHERE check_id = $4 AND target = $5",
        )
        .bind(report.status.as_str())
        .bind(crate::json_text(report)?)
        .bind(now_ms())
        .bind(id)
        .bind(report.target.clone())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Append findings.
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

    /// How many users are live (not deleted): the records a target should hold.
    pub async fn count_live_users(&self) -> Result<u64> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n FROM users WHERE status <> 'deleted'").fetch_one(&self.read).await?;
        Ok(get_i64(&row, "n")?.max(0) as u64)
    }

    /// Stream the `(id, version)` of every live (not deleted) user, in
    /// batches, through a bounded channel so memory stays flat. `ordered`
    /// sorts by id in byte order (the order of read-back pages).
    pub fn stream_user_versions(&self, ordered: bool) -> mpsc::Receiver<Result<Vec<VersionedId>>> {
        let (tx, rx) = mpsc::channel(4);
        let pool = self.read.clone();
        let order = match (ordered, self.backend) {
            (false, _) => "",
            (true, crate::Backend::Postgres) => " ORDER BY id COLLATE \"C\"",
            (true, crate::Backend::Sqlite) => " ORDER BY id",
        };
        let sql = format!("SELECT id, version FROM users WHERE status <> 'deleted'{order}");
        tokio::spawn(async move {
            use futures_util::TryStreamExt;
            let mut rows = sqlx::query(&sql).fetch(&pool);
            let mut batch = Vec::with_capacity(2048);
            loop {
                match rows.try_next().await {
                    Ok(Some(row)) => {
                        let id: std::result::Result<String, _> = row.try_get(0);
                        let version: std::result::Result<i64, _> = row.try_get(1);
                        match (id, version) {
                            (Ok(id), Ok(version)) => batch.push(VersionedId { id, version: version.max(0) as u64 }),
                            (Err(e), _) | (_, Err(e)) => {
                                let _ = tx.send(Err(e.into())).await;
                                return;
                            }
                        }
                        if batch.len() == 2048 && tx.send(Ok(std::mem::take(&mut batch))).await.is_err() {
                            return;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        let _ = tx.send(Err(e.into())).await;
                        return;
                    }
                }
            }
            if !batch.is_empty() {
                let _ = tx.send(Ok(batch)).await;
            }
        });
        rx
    }

    /// Of `ids`, those that are still moving for `target_id`: a task for the
    /// target that is open or changed state after `since` (unix ms), or a
    /// change of the user (an event) after `since`.
    pub async fn moving_records(&self, target_id: Option<&str>, ids: &[String], since: i64) -> Result<HashSet<String>> {
        let mut out = HashSet::new();
        for chunk in ids.chunks(500) {
            let mut conn = self.read.acquire().await?;
            let mut p = Params::for_conn(&conn);
            let list = p.list(chunk.len());
            let since_p = p.next();
            let sql = format!(
                "SELECT aggregate_id FROM events WHERE aggregate_kind = 'user' AND aggregate_id IN ({list}) \
                 AND created_at > {since_p}"
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id.clone());
            }
            for row in query.bind(since).fetch_all(&mut *conn).await? {
                out.insert(get_str(&row, "aggregate_id")?);
            }
            if let Some(target_id) = target_id {
                // Open now, or settled after `since`: delivered while the
                // check read the two sides, so either may have seen it.
                out.extend(records_with_tasks(&mut conn, target_id, chunk, Some(since)).await?);
            }
        }
        Ok(out)
    }

    /// Enqueue a repair task for each request: the current snapshot as
    /// `user.updated` when plat has the user, else `user.deleted`; priority 0,
    /// metadata `{repair: true, check_id}`. A record with an open task for
    /// the target gets none (that task brings the copy up to date, and a
    /// repair must not overtake it). On PostgreSQL the users are locked
    /// first, so no change of theirs can commit between snapshot and task.
    pub async fn enqueue_repairs(
        &self,
        ctx: &Ctx,
        check_id: &str,
        target_id: &str,
        requests: &[RepairRequest],
    ) -> Result<Vec<RepairOutcome>> {
        let mut outcomes = Vec::with_capacity(requests.len());
        for chunk in requests.chunks(200) {
            let now = now_ms();
            let mut tx = self.write.begin().await?;
            let ids: Vec<String> = chunk.iter().map(|r| r.id.clone()).collect();
            let users: HashMap<String, crate::UserRecord> =
                users_by_ids(&mut tx, &ids, true).await?.into_iter().map(|u| (u.user.id.clone(), u)).collect();
            let open = records_with_tasks(&mut tx, target_id, &ids, None).await?;
            let mut metadata = serde_json::Map::new();
            metadata.insert("repair".into(), true.into());
            metadata.insert("check_id".into(), check_id.into());
            let mut offers = Vec::new();
            for request in chunk {
                if open.contains(&request.id) {
                    outcomes.push(RepairOutcome::Moving);
                    continue;
                }
                let live = users.get(&request.id).filter(|u| u.stored_status != "deleted");
                let (event_type, tenant, version, data) = match (live, users.get(&request.id)) {
                    (Some(record), _) => (
                        "user.updated",
                        record.user.tenant.clone(),
                        record.user.version,
                        crate::json_value(&record.user)?,
                    ),
                    (None, Some(deleted)) => {
                        let mut user = deleted.user.clone();
                        user.status = "deleted".into();
                        user.version = user.version.max(request.target_version.unwrap_or(0));
                        ("user.deleted", user.tenant.clone(), user.version, crate::json_value(&user)?)
                    }
                    (None, None) => (
                        "user.deleted",
                        String::new(),
                        request.target_version.unwrap_or(0),
                        serde_json::json!({"id": request.id, "status": "deleted"}),
                    ),
                };
                let event = build_event(
                    ctx,
                    EventDraft {
                        event_type,
                        tenant: &tenant,
                        aggregate_kind: "user",
                        aggregate_id: &request.id,
                        aggregate_version: version,
                        data,
                        extra_metadata: Some(metadata.clone()),
                    },
                    now,
                );
                let payload = serde_json::to_string(&event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let sql = format!(
                    "INSERT INTO sync_tasks (target_id, event_seq, event_id, event_type, tenant, aggregate_kind, \
                     aggregate_id, aggregate_version, status, priority, payload, attempts, next_attempt_at, \
                     created_at, updated_at) \
                     VALUES ($1, 0, $2, $3, $4, 'user', $5, $6, 'pending', 0, $7, 0, $8, $8, $8) \
                     RETURNING {}",
                    crate::sync::OFFER_COLUMNS
                );
                let row = sqlx::query(&sql)
                    .bind(target_id.to_owned())
                    .bind(event.id.clone())
                    .bind(event_type)
                    .bind(tenant.clone())
                    .bind(request.id.clone())
                    .bind(version as i64)
                    .bind(payload)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                outcomes.push(RepairOutcome::Task(get_i64(&row, "seq")? as u64));
                offers.extend(crate::sync::offers_of(std::slice::from_ref(&row))?);
            }
            if !offers.is_empty() {
                crate::sync::offer_heads(&mut tx, &offers).await?;
                crate::sync::announce(&mut tx).await?;
            }
            tx.commit().await?;
        }
        Ok(outcomes)
    }

    /// plat's own invariants, up to `limit` findings of each kind (target
    /// `plat:internal`). With `repair`, fixes what plat can fix itself.
    pub async fn internal_findings(
        &self,
        ctx: &Ctx,
        limit: u64,
        repair: bool,
        events_since: i64,
    ) -> Result<Vec<Finding>> {
        let mut findings = Vec::new();
        let finding = |kind: FindingKind, aggregate_kind: &str, id: String, detail: String| Finding {
            target: plat_proto::INTERNAL_TARGET.into(),
            kind,
            aggregate_kind: aggregate_kind.into(),
            aggregate_id: id,
            plat_version: None,
            target_version: None,
            detail: Some(detail),
            repair_task: None,
            repaired: false,
        };
        let limit = limit as i64;
        // Users without their profile or stats row.
        for (kind, table) in [(FindingKind::MissingProfile, "user_profiles"), (FindingKind::MissingStats, "user_stats")]
        {
            let rows = sqlx::query(&format!(
                "SELECT u.id, t.slug FROM users u JOIN tenants t ON t.id = u.tenant_id \
                 WHERE NOT EXISTS (SELECT 1 FROM {table} x WHERE x.user_id = u.id) ORDER BY u.id LIMIT $1"
            ))
            .bind(limit)
            .fetch_all(&self.read)
            .await?;
            for row in rows {
                findings.push(finding(
                    kind,
                    "user",
                    get_str(&row, "id")?,
                    format!("tenant {}: no {table} row", get_str(&row, "slug")?),
                ));
            }
        }
        // Grants of roles that are neither built in nor defined in the user's tenant.
        let builtin: Vec<&str> = plat_domain::BUILTIN_ROLES.iter().map(|b| b.name).collect();
        {
            let mut conn = self.read.acquire().await?;
            let mut p = Params::for_conn(&conn);
            let list = p.list(builtin.len());
            let limit_p = p.next();
            let sql = format!(
                "SELECT r.user_id, r.role, t.slug FROM user_roles r JOIN users u ON u.id = r.user_id \
                 JOIN tenants t ON t.id = u.tenant_id WHERE r.role NOT IN ({list}) \
                 AND NOT EXISTS (SELECT 1 FROM roles x WHERE x.tenant_id = u.tenant_id AND x.name = r.role) \
                 ORDER BY r.user_id, r.role LIMIT {limit_p}"
            );
            let mut query = sqlx::query(&sql);
            for name in &builtin {
                query = query.bind(*name);
            }
            for row in query.bind(limit).fetch_all(&mut *conn).await? {
                let role = get_str(&row, "role")?;
                findings.push(finding(
                    FindingKind::DanglingGrant,
                    "role_grant",
                    format!("{}:{role}", get_str(&row, "user_id")?),
                    format!("tenant {}: grant of role {role:?}, which does not exist", get_str(&row, "slug")?),
                ));
            }
        }
        // Tenant user counters.
        let rows = sqlx::query(
            "SELECT t.id, t.slug, t.user_count, (SELECT COUNT(*) FROM users u WHERE u.tenant_id = t.id) AS actual \
             FROM tenants t WHERE t.user_count <> (SELECT COUNT(*) FROM users u WHERE u.tenant_id = t.id) \
             ORDER BY t.slug LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        for row in rows {
            let (count, actual) = (get_i64(&row, "user_count")?, get_i64(&row, "actual")?);
            let mut f = finding(
                FindingKind::UsageMismatch,
                "tenant",
                get_str(&row, "slug")?,
                format!("usage.users is {count}, the tenant has {actual} users"),
            );
            f.plat_version = Some(actual.max(0) as u64);
            f.target_version = Some(count.max(0) as u64);
            findings.push(f);
        }
        // Events within the task retention that a subscribed target never got a task for.
        let rows = sqlx::query(
            "SELECT e.seq, e.id, e.type, e.aggregate_id, t.name FROM events e \
             JOIN sync_targets t ON t.state <> 'disabled' AND e.created_at >= t.created_at \
             WHERE e.created_at > $1 AND EXISTS (SELECT 1 FROM sync_subscriptions s \
               WHERE s.target_id = t.id AND e.type LIKE s.pattern ESCAPE '\\') \
             AND NOT EXISTS (SELECT 1 FROM sync_tasks k WHERE k.target_id = t.id AND k.event_seq = e.seq) \
             ORDER BY e.seq LIMIT $2",
        )
        .bind(events_since)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        for row in rows {
            findings.push(finding(
                FindingKind::EventWithoutTask,
                "event",
                get_str(&row, "id")?,
                format!(
                    "{} of {} has no task for target {}",
                    get_str(&row, "type")?,
                    get_str(&row, "aggregate_id")?,
                    get_str(&row, "name")?
                ),
            ));
        }
        if repair {
            self.repair_internal(ctx, &mut findings).await?;
        }
        Ok(findings)
    }

    /// Fix what plat can fix in itself: missing profile and stats rows (a new
    /// version and `user.updated`, so copies get the user), dangling grants
    /// (revoked, `user.roles_changed`), and user counters. Events without
    /// tasks are left to a check of their target.
    async fn repair_internal(&self, ctx: &Ctx, findings: &mut [Finding]) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let mut users_changed: Vec<(String, &'static str)> = Vec::new();
        for f in findings.iter_mut() {
            match f.kind {
                FindingKind::MissingProfile | FindingKind::MissingStats => {
                    users_changed.push((f.aggregate_id.clone(), "user.updated"));
                    f.repaired = true;
                }
                FindingKind::DanglingGrant => {
                    if let Some((user_id, role)) = f.aggregate_id.split_once(':') {
                        sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND role = $2")
                            .bind(user_id.to_owned())
                            .bind(role.to_owned())
                            .execute(&mut *tx)
                            .await?;
                        users_changed.push((user_id.to_owned(), "user.roles_changed"));
                        f.repaired = true;
                    }
                }
                FindingKind::UsageMismatch => {
                    sqlx::query(
                        "UPDATE tenants SET user_count = (SELECT COUNT(*) FROM users u WHERE u.tenant_id = tenants.id) \
                         WHERE slug = $1",
                    )
                    .bind(f.aggregate_id.clone())
                    .execute(&mut *tx)
                    .await?;
                    f.repaired = true;
                }
                _ => {}
            }
        }
        users_changed.sort();
        users_changed.dedup_by(|a, b| a.0 == b.0);
        for (user_id, event_type) in users_changed {
            // Both rows must exist before the user can be read whole.
            for (table, columns) in [
                ("user_profiles", "user_id, nickname, avatar_url, bio) VALUES ($1, '', '', ''"),
                ("user_stats", "user_id, login_count) VALUES ($1, 0"),
            ] {
                let exists = sqlx::query(&format!("SELECT 1 FROM {table} WHERE user_id = $1"))
                    .bind(user_id.clone())
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some();
                if !exists {
                    sqlx::query(&format!("INSERT INTO {table} ({columns})"))
                        .bind(user_id.clone())
                        .execute(&mut *tx)
                        .await?;
                }
            }
            user_changed(&mut tx, ctx, &user_id, event_type, "check.repair", serde_json::json!({"internal": true}))
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Of `ids`, those with a task for the target that is open, or (with
/// `settled_since`) changed state after that time.
async fn records_with_tasks(
    conn: &mut AnyConnection,
    target_id: &str,
    ids: &[String],
    settled_since: Option<i64>,
) -> Result<HashSet<String>> {
    let mut p = Params::for_conn(conn);
    let (target_p, list) = (p.next(), p.list(ids.len()));
    let settled = match settled_since {
        Some(_) => format!(" OR updated_at > {}", p.next()),
        None => String::new(),
    };
    let sql = format!(
        "SELECT aggregate_id FROM sync_tasks WHERE target_id = {target_p} AND aggregate_kind = 'user' \
         AND aggregate_id IN ({list}) AND (status IN ('pending', 'failed', 'in_flight'){settled})"
    );
    let mut query = sqlx::query(&sql).bind(target_id.to_owned());
    for id in ids {
        query = query.bind(id.clone());
    }
    if let Some(since) = settled_since {
        query = query.bind(since);
    }
    query.fetch_all(&mut *conn).await?.iter().map(|r| get_str(r, "aggregate_id")).collect()
}
