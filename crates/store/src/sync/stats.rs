//! Per-target statistics.

use super::*;

/// Percentile of sorted values (nearest rank).
fn percentile(sorted: &[i64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1] as f64)
}

impl Store {
    /// Per-target counts, success rate and latency percentiles.
    ///
    /// Delivered and attempted are counters kept with the outcomes; backlog,
    /// in flight and dead are counted over the open and dead tasks only
    /// (through `sync_tasks_updated`, whose first column is the status), so
    /// the cost follows the queue and the dead-letter queue, never the
    /// retained history.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.sync_stats", skip_all)]
    pub async fn sync_stats(&self) -> Result<Vec<TargetStats>> {
        let targets = self.list_targets().await?;
        let counts = self.open_task_counts().await?;
        let backfills = self.backfill_open().await?;
        let totals: HashMap<String, (i64, i64)> =
            sqlx::query("SELECT id, delivered_total, attempts_total FROM sync_targets")
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(|r| Ok((get_str(r, "id")?, (get_i64(r, "delivered_total")?, get_i64(r, "attempts_total")?))))
                .collect::<Result<_>>()?;
        let mut out = Vec::with_capacity(targets.len());
        for target in targets {
            let n = |s: &str| counts.get(&(target.id.clone(), s.to_owned())).copied().unwrap_or(0);
            let (delivered, attempts) = totals.get(&target.id).copied().unwrap_or((0, 0));
            let (delivered, attempts) = (delivered.max(0) as u64, attempts.max(0) as u64);
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
                circuit: target.circuit.state_at(now_ms()),
                delivered,
                failed: attempts.saturating_sub(delivered),
                dead: n("dead"),
                backlog: n("pending") + n("failed") + n("in_flight"),
                in_flight: n("in_flight"),
                success_rate: (attempts > 0).then(|| delivered as f64 / attempts as f64),
                latency_p50_ms: percentile(&latencies, 50.0),
                latency_p99_ms: percentile(&latencies, 99.0),
                last_success_at: target.last_success_at.map(format_ms),
                last_error: target.last_error.clone(),
                backfill: target.backfill.as_ref().map(|b| b.to_proto(backfills.get(&target.id).copied().unwrap_or(0))),
            });
        }
        Ok(out)
    }

    /// Open and dead tasks by (target id, status), counted through
    /// `sync_tasks_updated` (status first): the cost follows the queue and
    /// the dead-letter queue, never the retained history.
    async fn open_task_counts(&self) -> Result<HashMap<(String, String), u64>> {
        let rows = sqlx::query(
            "SELECT target_id, status, COUNT(*) AS n FROM sync_tasks \
             WHERE status IN ('pending', 'failed', 'in_flight', 'dead') GROUP BY target_id, status",
        )
        .fetch_all(&self.read)
        .await?;
        let mut counts: HashMap<(String, String), u64> = HashMap::new();
        for row in rows {
            counts.insert((get_str(&row, "target_id")?, get_str(&row, "status")?), get_i64(&row, "n")? as u64);
        }
        Ok(counts)
    }

    /// What an on-call watches per target, cheap enough for every scrape:
    /// the backlog, what is in flight, the dead letters, the stored circuit,
    /// and since when the oldest due task has waited (its head's `ready_at`,
    /// the first entry of `sync_heads_ready` per priority).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.queue_gauges", skip_all)]
    pub async fn queue_gauges(&self) -> Result<Vec<QueueGauges>> {
        let targets = self.list_targets().await?;
        let counts = self.open_task_counts().await?;
        let now = now_ms();
        let mut out = Vec::with_capacity(targets.len());
        for target in targets {
            let n = |s: &str| counts.get(&(target.id.clone(), s.to_owned())).copied().unwrap_or(0);
            let mut oldest_due_at = None;
            for priority in [0i64, 1] {
                let first: Option<i64> =
                    sqlx::query_scalar("SELECT MIN(ready_at) FROM sync_heads WHERE target_id = $1 AND priority = $2")
                        .bind(target.id.clone())
                        .bind(priority)
                        .fetch_one(&self.read)
                        .await?;
                if let Some(at) = first.filter(|at| *at <= now) {
                    oldest_due_at = Some(oldest_due_at.map_or(at, |o: i64| o.min(at)));
                }
            }
            out.push(QueueGauges {
                target: target.name.clone(),
                state: target.state,
                circuit: target.circuit.state_at(now),
                backlog: n("pending") + n("failed") + n("in_flight"),
                in_flight: n("in_flight"),
                dead: n("dead"),
                oldest_due_ms: oldest_due_at.map_or(0, |at| now - at),
            });
        }
        Ok(out)
    }
}

/// A target's queue as [`Store::queue_gauges`] reads it.
#[derive(Debug, Clone)]
pub struct QueueGauges {
    pub target: String,
    pub state: plat_proto::TargetState,
    pub circuit: plat_proto::CircuitState,
    pub backlog: u64,
    pub in_flight: u64,
    pub dead: u64,
    /// How long the oldest due task has waited to be claimed (0: none due).
    pub oldest_due_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&[7], 99.0), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
    }
}
