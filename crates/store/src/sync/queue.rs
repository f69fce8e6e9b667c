//! The queue: claims, outcomes, and the heads that keep each aggregate in
//! order.
//!
//! Invariants (docs/sync.md, "How the queue works"):
//!
//! 1. Every (target, aggregate) with an open task (pending, failed or in
//!    flight) has one row in `sync_heads` naming its oldest open task; no
//!    other (target, aggregate) has one.
//! 2. A head's `ready_at` is when its task may be claimed: the next attempt
//!    while pending or failed, the end of the lease while in flight (so a
//!    lease that runs out makes it claimable again).
//! 3. Only head tasks are claimed, so a target receives an aggregate's
//!    versions in order while other aggregates proceed.
//!
//! A claim reads ready heads in index order (`sync_heads_ready`) and stops
//! after `limit`: its cost does not grow with the backlog. Every write that
//! opens a task calls [`offer_heads`]; every write that closes one or changes
//! when it is due calls [`refresh_heads`], in the same transaction.

use super::*;

/// A target's stored circuit before and after a batch of outcomes.
#[derive(Debug, Clone)]
pub struct CircuitChange {
    pub target_id: String,
    pub before: Circuit,
    pub after: Circuit,
    /// The stored circuit's version after the batch (`TargetRow::circuit_version`).
    pub version: i64,
}

/// A (target, aggregate) pair: the key of a head.
pub(crate) type HeadKey = (String, String, String);

/// A task just opened (created, retried or replayed), offered as its
/// aggregate's head.
#[derive(Debug, Clone)]
pub(crate) struct Offer {
    pub key: HeadKey,
    pub seq: i64,
    pub priority: i64,
    pub ready_at: i64,
}

/// When a task may be claimed, as a SQL expression over `sync_tasks t`.
const READY_AT: &str = "CASE WHEN t.status = 'in_flight' THEN COALESCE(t.lease_until, 0) ELSE t.next_attempt_at END";

/// Make opened tasks their aggregates' heads where they are older than the
/// current head (or there is none).
///
/// `ON CONFLICT DO UPDATE … WHERE` (not `DO NOTHING`) matters on PostgreSQL:
/// it locks a conflicting head, so if a completion is deleting that head at
/// this moment, this insert waits for it and then inserts afresh instead of
/// trusting a row that is about to vanish.
pub(crate) async fn offer_heads(conn: &mut AnyConnection, offers: &[Offer]) -> Result<()> {
    // The oldest offer of each key, keys in a fixed order (no lock-order deadlocks).
    let mut oldest: std::collections::BTreeMap<&HeadKey, &Offer> = std::collections::BTreeMap::new();
    for offer in offers {
        let entry = oldest.entry(&offer.key).or_insert(offer);
        if offer.seq < entry.seq {
            *entry = offer;
        }
    }
    let offers: Vec<&Offer> = oldest.into_values().collect();
    for chunk in offers.chunks(200) {
        let rows = Params::for_conn(conn).rows(chunk.len(), 6);
        let sql = format!(
            "INSERT INTO sync_heads (target_id, aggregate_kind, aggregate_id, head_seq, priority, ready_at) \
             VALUES {rows} ON CONFLICT (target_id, aggregate_kind, aggregate_id) DO UPDATE \
             SET head_seq = excluded.head_seq, priority = excluded.priority, ready_at = excluded.ready_at \
             WHERE excluded.head_seq < sync_heads.head_seq"
        );
        let mut query = sqlx::query(&sql);
        for o in chunk {
            query = query
                .bind(o.key.0.clone())
                .bind(o.key.1.clone())
                .bind(o.key.2.clone())
                .bind(o.seq)
                .bind(o.priority)
                .bind(o.ready_at);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

fn sorted(keys: &[HeadKey]) -> Vec<&HeadKey> {
    let mut keys: Vec<&HeadKey> = keys.iter().collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Lock the existing heads of `keys` (on PostgreSQL; SQLite has one
/// writer) and return their `head_seq`s.
///
/// Every transaction that changes both takes a head's lock before its
/// tasks' row locks, as a claim does (heads `FOR UPDATE SKIP LOCKED`, then
/// tasks), so the two never wait for each other in a cycle. The statements
/// after the lock read a snapshot taken after any concurrent change of the
/// same aggregates committed, so none of their tasks is missed.
pub(crate) async fn lock_heads(conn: &mut AnyConnection, keys: &[HeadKey]) -> Result<Vec<i64>> {
    let lock = if conn.backend_name() == "PostgreSQL" { " FOR UPDATE OF h" } else { "" };
    let mut seqs = Vec::with_capacity(keys.len());
    for chunk in sorted(keys).chunks(200) {
        let rows = Params::for_conn(conn).rows(chunk.len(), 3);
        // A join with the keys, not an OR of them: one primary-key probe
        // per key (an OR of 200 keys cost 12 ms to plan and run).
        let sql = format!(
            "WITH k (target_id, aggregate_kind, aggregate_id) AS (VALUES {rows}) \
             SELECT h.head_seq FROM k JOIN sync_heads h ON h.target_id = k.target_id \
             AND h.aggregate_kind = k.aggregate_kind AND h.aggregate_id = k.aggregate_id \
             ORDER BY h.target_id, h.aggregate_kind, h.aggregate_id{lock}"
        );
        for row in bind_keys(&sql, chunk).fetch_all(&mut *conn).await? {
            seqs.push(get_i64(&row, "head_seq")?);
        }
    }
    Ok(seqs)
}

/// Recompute the heads of `keys` from their tasks: the oldest open task
/// becomes the head, and a key without open tasks loses its head. `locked`
/// is what [`lock_heads`] returned for them before the tasks changed.
///
/// Each statement probes an index per key (the oldest open task through
/// `sync_tasks_aggregate`, then the task by its primary key; heads by
/// `head_seq`), so its cost follows the batch, never the queue.
pub(crate) async fn refresh_heads(conn: &mut AnyConnection, keys: &[HeadKey], locked: &[i64]) -> Result<()> {
    for chunk in sorted(keys).chunks(200) {
        let rows = Params::for_conn(conn).rows(chunk.len(), 3);
        let upsert = format!(
            "WITH k (target_id, aggregate_kind, aggregate_id) AS (VALUES {rows}), \
             m AS MATERIALIZED (SELECT (SELECT MIN(o.seq) FROM sync_tasks o \
               WHERE o.target_id = k.target_id AND o.aggregate_kind = k.aggregate_kind \
               AND o.aggregate_id = k.aggregate_id AND o.status IN {OPEN}) AS seq FROM k) \
             INSERT INTO sync_heads (target_id, aggregate_kind, aggregate_id, head_seq, priority, ready_at) \
             SELECT t.target_id, t.aggregate_kind, t.aggregate_id, t.seq, t.priority, {READY_AT} \
             FROM m JOIN sync_tasks t ON t.seq = m.seq \
             WHERE true ON CONFLICT (target_id, aggregate_kind, aggregate_id) DO UPDATE \
             SET head_seq = excluded.head_seq, priority = excluded.priority, ready_at = excluded.ready_at"
        );
        bind_keys(&upsert, chunk).execute(&mut *conn).await?;
    }
    // A head left without open tasks was not moved by the upsert: it still
    // names the task it named when locked.
    for chunk in locked.chunks(500) {
        let list = Params::for_conn(conn).list(chunk.len());
        let delete = format!(
            "DELETE FROM sync_heads WHERE head_seq IN ({list}) AND NOT EXISTS (SELECT 1 FROM sync_tasks o \
             WHERE o.target_id = sync_heads.target_id AND o.aggregate_kind = sync_heads.aggregate_kind \
             AND o.aggregate_id = sync_heads.aggregate_id AND o.status IN {OPEN})"
        );
        let mut query = sqlx::query(&delete);
        for seq in chunk {
            query = query.bind(*seq);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

fn bind_keys<'q>(sql: &'q str, keys: &[&HeadKey]) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let mut query = sqlx::query(sql);
    for k in keys {
        query = query.bind(k.0.clone()).bind(k.1.clone()).bind(k.2.clone());
    }
    query
}

fn key_of(row: &AnyRow) -> Result<HeadKey> {
    Ok((get_str(row, "target_id")?, get_str(row, "aggregate_kind")?, get_str(row, "aggregate_id")?))
}

/// The offers of tasks returned by a statement with `RETURNING seq,
/// target_id, aggregate_kind, aggregate_id, priority, next_attempt_at`.
pub(crate) fn offers_of(rows: &[AnyRow]) -> Result<Vec<Offer>> {
    rows.iter()
        .map(|row| {
            Ok(Offer {
                key: key_of(row)?,
                seq: get_i64(row, "seq")?,
                priority: get_i64(row, "priority")?,
                ready_at: get_i64(row, "next_attempt_at")?,
            })
        })
        .collect()
}

/// What an opening statement returns for [`offers_of`].
pub(crate) const OFFER_COLUMNS: &str = "seq, target_id, aggregate_kind, aggregate_id, priority, next_attempt_at";

impl Store {
    /// Lease up to `limit` ready tasks of one target to `owner` until
    /// `lease_until`: each the head (oldest open task) of its aggregate, by
    /// priority and readiness.
    ///
    /// Three statements in one transaction: pick ready heads (`FOR UPDATE
    /// SKIP LOCKED` on PostgreSQL, so replicas claim disjoint heads; SQLite
    /// has one writer), push their `ready_at` to the lease's end, and lease
    /// their tasks. A head whose task is gone or closed (the history was
    /// edited by hand) is recomputed instead of being leased forever.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.claim_tasks", skip_all)]
    pub async fn claim_tasks(
        &self,
        target_id: &str,
        owner: &str,
        limit: u32,
        lease_until: i64,
    ) -> Result<Vec<ClaimedTask>> {
        let now = now_ms();
        let lock = if self.backend == Backend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
        let mut tx = self.write.begin().await?;
        relax_commit(&mut tx).await?;
        let heads = sqlx::query(&format!(
            "SELECT head_seq, aggregate_kind, aggregate_id FROM sync_heads \
             WHERE target_id = $1 AND ready_at <= $2 ORDER BY priority, ready_at, head_seq LIMIT $3{lock}"
        ))
        .bind(target_id)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        if heads.is_empty() {
            tx.commit().await?;
            return Ok(Vec::new());
        }
        // The stored circuit decides, read after the heads in the claim's
        // transaction: an outcome that made a head ready committed the
        // circuit it moved with it, so no claim acts on a circuit older than
        // the outcomes it sees (the engine's copy may lag a commit by a
        // scheduling delay: a fourth attempt went out once).
        if stored_circuit(&mut tx, target_id).await?.is_some_and(|c| c.state_at(now) == CircuitState::Open) {
            tx.commit().await?;
            return Ok(Vec::new());
        }
        let mut picked = HashMap::with_capacity(heads.len());
        for row in &heads {
            picked.insert(
                get_i64(row, "head_seq")?,
                (target_id.to_owned(), get_str(row, "aggregate_kind")?, get_str(row, "aggregate_id")?),
            );
        }
        let seqs: Vec<i64> = picked.keys().copied().collect();
        let mut p = Params::for_conn(&tx);
        let (until_p, list) = (p.next(), p.list(seqs.len()));
        let sql = format!("UPDATE sync_heads SET ready_at = {until_p} WHERE head_seq IN ({list})");
        let mut query = sqlx::query(&sql).bind(lease_until);
        for seq in &seqs {
            query = query.bind(*seq);
        }
        query.execute(&mut *tx).await?;
        let mut p = Params::for_conn(&tx);
        let (owner_p, until_p, now_p, list) = (p.next(), p.next(), p.next(), p.list(seqs.len()));
        let sql = format!(
            "UPDATE sync_tasks SET status = 'in_flight', lease_owner = {owner_p}, lease_until = {until_p}, \
             updated_at = {now_p} WHERE seq IN ({list}) AND status IN {OPEN} \
             RETURNING seq, event_seq, event_id, event_type, tenant, aggregate_kind, aggregate_id, \
               aggregate_version, attempts, retry_base, priority, created_at, payload"
        );
        let mut query = sqlx::query(&sql).bind(owner).bind(lease_until).bind(now);
        for seq in &seqs {
            query = query.bind(*seq);
        }
        let rows = query.fetch_all(&mut *tx).await?;
        if rows.len() < seqs.len() {
            for row in &rows {
                picked.remove(&get_i64(row, "seq")?);
            }
            let stale: Vec<HeadKey> = picked.into_values().collect();
            tracing::warn!(count = stale.len(), "sync heads named missing or closed tasks; recomputed");
            let locked = lock_heads(&mut tx, &stale).await?;
            refresh_heads(&mut tx, &stale, &locked).await?;
        }
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
                task.payload = payloads.get(&task.event_seq).cloned().ok_or_else(|| {
                    StoreError::Corrupt(format!("sync task {} names event {} that is gone", task.seq, task.event_seq))
                })?;
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

    /// Record finished attempts of tasks leased to `owner`, in one
    /// transaction of a few statements whatever the batch size: the tasks'
    /// new states, the attempt rows, the targets' counters, the heads.
    /// A task whose lease another replica took over is left to that replica,
    /// and an outcome is recorded only for the attempt it reports: a
    /// completion that arrives after its lease ran out and the task was
    /// claimed (and maybe finished) again is dropped, so one task's
    /// outcome is counted once even when it was sent twice.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.complete_tasks", skip_all)]
    pub async fn complete_tasks(
        &self,
        owner: &str,
        done: &[Completion],
        circuit_policy: &CircuitPolicy,
    ) -> Result<Vec<CircuitChange>> {
        if done.is_empty() {
            return Ok(Vec::new());
        }
        let now = now_ms();
        let mut tx = self.write.begin().await?;
        relax_commit(&mut tx).await?;
        let keys: Vec<HeadKey> =
            done.iter().map(|c| (c.target_id.clone(), c.aggregate_kind.clone(), c.aggregate_id.clone())).collect();
        let locked = lock_heads(&mut tx, &keys).await?;
        let mut applied = std::collections::HashSet::with_capacity(done.len());
        for chunk in done.chunks(200) {
            let mut p = Params::for_conn(&tx);
            let rows = p.rows(chunk.len(), 7);
            let (now_p, owner_p) = (p.next(), p.next());
            // CASTs give PostgreSQL the VALUES columns' types when a
            // column's first rows are NULL.
            let sql = format!(
                "WITH v (seq, status, next_at, delivered_at, code, error, tried) AS (VALUES {rows}) \
                 UPDATE sync_tasks SET status = v.status, attempts = attempts + 1, \
                 next_attempt_at = CAST(v.next_at AS BIGINT), \
                 delivered_at = CAST(v.delivered_at AS BIGINT), last_status = CAST(v.code AS BIGINT), \
                 last_error = CAST(v.error AS TEXT), lease_owner = NULL, lease_until = NULL, updated_at = {now_p} \
                 FROM v WHERE sync_tasks.seq = v.seq AND sync_tasks.lease_owner = {owner_p} \
                 AND sync_tasks.attempts = CAST(v.tried AS BIGINT) RETURNING sync_tasks.seq"
            );
            let mut query = sqlx::query(&sql);
            for c in chunk {
                let (status, next, delivered) = match c.verdict {
                    Verdict::Delivered => ("delivered", now, Some(c.finished_at)),
                    Verdict::Retry(at) => ("failed", at, None),
                    Verdict::Dead | Verdict::Gone => ("dead", now, None),
                };
                query = query
                    .bind(c.seq)
                    .bind(status)
                    .bind(next)
                    .bind(delivered)
                    .bind(c.status_code.map(i64::from))
                    .bind(c.error.clone())
                    .bind(c.number - 1);
            }
            for row in query.bind(now).bind(owner).fetch_all(&mut *tx).await? {
                applied.insert(get_i64(&row, "seq")?);
            }
        }
        let done: Vec<&Completion> = done.iter().filter(|c| applied.contains(&c.seq)).collect();
        for chunk in done.chunks(200) {
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
                    .bind(c.verdict.as_str())
                    .bind(c.status_code.map(i64::from))
                    .bind(c.error.clone())
                    .bind(c.response.clone());
            }
            query.execute(&mut *tx).await?;
        }
        // Per target, under its row's lock: the counters, the last success
        // and error, and the circuit every replica acts on.
        #[derive(Default)]
        struct Tally<'a> {
            delivered: i64,
            attempts: i64,
            success: Option<i64>,
            error: Option<&'a str>,
            /// Circuit failures in order (true) and successes (false).
            outcomes: Vec<bool>,
        }
        let mut tallies: std::collections::BTreeMap<&str, Tally> = std::collections::BTreeMap::new();
        for c in &done {
            let tally = tallies.entry(c.target_id.as_str()).or_default();
            tally.attempts += 1;
            if c.counts_for_circuit {
                tally.outcomes.push(is_circuit_failure(c.verdict, c.status_code));
            }
            match c.verdict {
                Verdict::Delivered => {
                    tally.delivered += 1;
                    tally.success = Some(c.finished_at);
                }
                _ => tally.error = c.error.as_deref().or(Some("failed")),
            }
        }
        let mut circuits = Vec::with_capacity(tallies.len());
        for (target_id, tally) in tallies {
            let row = sqlx::query(
                "UPDATE sync_targets SET delivered_total = delivered_total + $1, attempts_total = attempts_total + $2, \
                 last_success_at = COALESCE($3, last_success_at), last_error = COALESCE($4, last_error) WHERE id = $5 \
                 RETURNING circuit, circuit_failures, circuit_open_until, circuit_version",
            )
            .bind(tally.delivered)
            .bind(tally.attempts)
            .bind(tally.success)
            .bind(tally.error.map(str::to_owned))
            .bind(target_id)
            .fetch_optional(&mut *tx)
            .await?;
            // A target deleted meanwhile has nothing left to record.
            let Some(row) = row else { continue };
            let stored = Circuit {
                state: CircuitState::parse(&get_str(&row, "circuit")?)
                    .ok_or_else(|| StoreError::Corrupt("sync target circuit".into()))?,
                failures: get_i64(&row, "circuit_failures")?.clamp(0, i64::from(u32::MAX)) as u32,
                open_until: get_opt_i64(&row, "circuit_open_until")?,
            };
            let mut version = get_i64(&row, "circuit_version")?;
            let mut circuit = stored;
            for failure in tally.outcomes {
                circuit.record(failure, circuit_policy, now);
            }
            if circuit != stored {
                version += 1;
                sqlx::query(
                    "UPDATE sync_targets SET circuit = $1, circuit_failures = $2, circuit_open_until = $3, \
                     circuit_version = $4 WHERE id = $5",
                )
                .bind(circuit.state.as_str())
                .bind(i64::from(circuit.failures))
                .bind(circuit.open_until)
                .bind(version)
                .bind(target_id)
                .execute(&mut *tx)
                .await?;
            }
            circuits.push(CircuitChange { target_id: target_id.to_owned(), before: stored, after: circuit, version });
        }
        refresh_heads(&mut tx, &keys, &locked).await?;
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
        Ok(circuits)
    }
}

/// Make tasks due now with a fresh attempt budget, and offer them as heads.
pub(super) async fn requeue(conn: &mut AnyConnection, seqs: &[i64]) -> Result<()> {
    let mut p = Params::for_conn(conn);
    let (due_p, updated_p) = (p.next(), p.next());
    let list = p.list(seqs.len());
    let sql = format!(
        "UPDATE sync_tasks SET status = 'pending', retry_base = attempts, next_attempt_at = {due_p}, \
         lease_owner = NULL, lease_until = NULL, updated_at = {updated_p} WHERE seq IN ({list}) \
         RETURNING {OFFER_COLUMNS}"
    );
    let now = now_ms();
    let mut query = sqlx::query(&sql).bind(now).bind(now);
    for seq in seqs {
        query = query.bind(*seq);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    offer_heads(conn, &offers_of(&rows)?).await?;
    announce(conn).await
}

/// A target's stored circuit (`None`: the target is gone).
async fn stored_circuit(conn: &mut AnyConnection, target_id: &str) -> Result<Option<Circuit>> {
    let row = sqlx::query("SELECT circuit, circuit_failures, circuit_open_until FROM sync_targets WHERE id = $1")
        .bind(target_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Circuit {
        state: CircuitState::parse(&get_str(&row, "circuit")?)
            .ok_or_else(|| StoreError::Corrupt("sync target circuit".into()))?,
        failures: get_i64(&row, "circuit_failures")?.clamp(0, i64::from(u32::MAX)) as u32,
        open_until: get_opt_i64(&row, "circuit_open_until")?,
    }))
}
