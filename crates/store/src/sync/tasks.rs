//! Tasks one by one: listing, retry, cancel, the dead-letter queue, retention.

use super::*;

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

impl Store {
    async fn target_names(&self) -> Result<HashMap<String, String>> {
        let rows = sqlx::query("SELECT id, name FROM sync_targets").fetch_all(&self.read).await?;
        rows.iter().map(|r| Ok((get_str(r, "id")?, get_str(r, "name")?))).collect()
    }

    /// Tasks, newest first. `dead_only` is the dead-letter queue.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.list_tasks", skip_all)]
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
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.get_task", skip_all)]
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
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.retry_task", skip_all)]
    pub async fn retry_task(&self, ctx: &Ctx, seq: i64) -> Result<SyncTask> {
        let allowed = [TaskStatus::Failed, TaskStatus::Dead, TaskStatus::Cancelled];
        self.change_task(ctx, seq, "retry", &allowed, async |tx| requeue(tx, &[seq]).await).await
    }

    /// Cancel a task that is not in flight or finished.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.cancel_task", skip_all)]
    pub async fn cancel_task(&self, ctx: &Ctx, seq: i64) -> Result<SyncTask> {
        let allowed = [TaskStatus::Pending, TaskStatus::Failed, TaskStatus::Dead];
        self.change_task(ctx, seq, "cancel", &allowed, async |tx| {
            let row = sqlx::query("SELECT target_id, aggregate_kind, aggregate_id FROM sync_tasks WHERE seq = $1")
                .bind(seq)
                .fetch_one(&mut *tx)
                .await?;
            let key = [(get_str(&row, "target_id")?, get_str(&row, "aggregate_kind")?, get_str(&row, "aggregate_id")?)];
            let locked = lock_heads(tx, &key).await?;
            sqlx::query("UPDATE sync_tasks SET status = 'cancelled', updated_at = $1 WHERE seq = $2")
                .bind(now_ms())
                .bind(seq)
                .execute(&mut *tx)
                .await?;
            refresh_heads(tx, &key, &locked).await
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
        let mut tx = self.begin(ctx).await?;
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
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.replay_dlq", skip_all)]
    pub async fn replay_dlq(&self, ctx: &Ctx, target: Option<&str>, ids: &[u64]) -> Result<u64> {
        let mut tx = self.begin(ctx).await?;
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

    /// Deliver again to one target the events written in `[since, until)`
    /// (unix ms) whose type matches `types` (all when empty) and the
    /// target's patterns and rules: a new task each, after any task open
    /// now, so each aggregate's versions still arrive in order. Events
    /// written after the call began are not included. Pages of 500 events,
    /// one transaction each; returns the tasks made.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.replay_events", skip_all)]
    pub async fn replay_events(
        &self,
        ctx: &Ctx,
        name: &str,
        (since, until): (i64, i64),
        types: &[String],
    ) -> Result<u64> {
        let target = self.get_target(name).await?;
        if target.state == TargetState::Disabled {
            return Err(StoreError::Conflict(format!(
                "sync target {name} is disabled; resume it before replaying events to it"
            )));
        }
        // Event ids are `evt_` + a UUIDv7, whose first 12 hex digits are the
        // creation time in ms: the unique index on id finds the window's
        // first event without an index on created_at.
        let bound = format!("evt_{:012x}", since.max(0));
        let mut conn = self.read.acquire().await?;
        let first: Option<i64> =
            sqlx::query_scalar("SELECT MIN(seq) FROM events WHERE id >= $1").bind(bound).fetch_one(&mut *conn).await?;
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM events").fetch_one(&mut *conn).await?;
        drop(conn);
        let (Some(mut cursor), Some(last)) = (first, last) else { return Ok(0) };
        let mut made = 0u64;
        loop {
            let mut tx = self.begin(ctx).await?;
            let rows = sqlx::query(
                "SELECT seq, id, type, created_at, payload FROM events WHERE seq >= $1 AND seq <= $2 \
                 ORDER BY seq LIMIT 500",
            )
            .bind(cursor)
            .bind(last)
            .fetch_all(&mut *tx)
            .await?;
            let Some(tail) = rows.last() else { break };
            cursor = get_i64(tail, "seq")? + 1;
            let mut ids = Vec::with_capacity(rows.len());
            let mut past_window = false;
            for row in &rows {
                let at = get_i64(row, "created_at")?;
                past_window |= at >= until;
                let event_type = get_str(row, "type")?;
                if at < since
                    || at >= until
                    || !(types.is_empty() || types.iter().any(|t| glob_matches(t, &event_type)))
                {
                    continue;
                }
                if let Some(rules) = &target.compiled {
                    let event: serde_json::Value = decode_json("events.payload", &get_str(row, "payload")?)?;
                    if rules.admits(&event).is_err() {
                        continue;
                    }
                }
                ids.push(get_str(row, "id")?);
            }
            if !ids.is_empty() {
                let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                made += insert_tasks(&mut tx, Some(&target.id), &ids).await?;
                announce(&mut tx).await?;
            }
            tx.commit().await?;
            if past_window || cursor > last {
                break;
            }
        }
        let mut tx = self.begin(ctx).await?;
        record_audit(
            &mut tx,
            ctx,
            AuditDraft {
                action: "sync.target.replay",
                target: format!("sync-target:{name}"),
                tenant: None,
                outcome: "success",
                details: serde_json::json!({"count": made, "since": format_ms(since), "until": format_ms(until),
                    "types": types}),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(made)
    }

    /// Delete dead tasks (and their attempts).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.purge_dlq", skip_all)]
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
        let mut tx = self.begin(ctx).await?;
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

    /// Delete delivered and cancelled tasks last changed before `before`
    /// (unix ms), in batches; returns how many went.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.purge_finished_tasks", skip_all)]
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
