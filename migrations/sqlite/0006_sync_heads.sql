-- The queue's heads: one row per (target, aggregate) that has open tasks,
-- naming the oldest of them (`head_seq`) and when it may be claimed
-- (`ready_at`: its next attempt, or the end of its lease while in flight).
-- A claim reads only ready heads, so its cost does not grow with the
-- backlog; every change to a task's state moves its head on (docs/sync.md,
-- "How the queue works").
CREATE TABLE sync_heads (
    target_id      TEXT NOT NULL REFERENCES sync_targets (id) ON DELETE CASCADE,
    aggregate_kind TEXT NOT NULL,
    aggregate_id   TEXT NOT NULL,
    head_seq       BIGINT NOT NULL UNIQUE,
    priority       BIGINT NOT NULL,
    ready_at       BIGINT NOT NULL,
    PRIMARY KEY (target_id, aggregate_kind, aggregate_id)
);
CREATE INDEX sync_heads_ready ON sync_heads (target_id, priority, ready_at, head_seq);

INSERT INTO sync_heads (target_id, aggregate_kind, aggregate_id, head_seq, priority, ready_at)
SELECT t.target_id, t.aggregate_kind, t.aggregate_id, t.seq, t.priority,
       CASE WHEN t.status = 'in_flight' THEN COALESCE(t.lease_until, 0) ELSE t.next_attempt_at END
FROM sync_tasks t
WHERE t.status IN ('pending', 'failed', 'in_flight')
  AND t.seq = (SELECT MIN(o.seq) FROM sync_tasks o WHERE o.target_id = t.target_id
               AND o.aggregate_kind = t.aggregate_kind AND o.aggregate_id = t.aggregate_id
               AND o.status IN ('pending', 'failed', 'in_flight'));

-- Claims no longer walk the tasks.
DROP INDEX sync_tasks_due;

-- Cumulative per-target counters, kept with the outcomes, so statistics
-- never scan the retained history (retention deletes tasks, not counts).
ALTER TABLE sync_targets ADD COLUMN delivered_total BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_targets ADD COLUMN attempts_total BIGINT NOT NULL DEFAULT 0;
UPDATE sync_targets SET
    delivered_total = (SELECT COUNT(*) FROM sync_tasks t WHERE t.target_id = sync_targets.id AND t.status = 'delivered'),
    attempts_total = (SELECT COALESCE(SUM(t.attempts), 0) FROM sync_tasks t WHERE t.target_id = sync_targets.id);
