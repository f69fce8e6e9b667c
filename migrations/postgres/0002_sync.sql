-- The sync engine: targets, their subscriptions, one task per (event, target),
-- and every delivery attempt. Tasks are created in the transaction of their
-- event (outbox fan-out), so none can be skipped.

CREATE TABLE sync_targets (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL,
    url              TEXT NOT NULL,
    events           TEXT NOT NULL,
    secret           TEXT,
    secret_hint      TEXT,
    state            TEXT NOT NULL,
    disabled_reason  TEXT,
    timeout_ms       BIGINT NOT NULL,
    max_attempts     BIGINT NOT NULL,
    concurrency      BIGINT NOT NULL,
    options          TEXT NOT NULL,
    read_back        TEXT NOT NULL,
    circuit          TEXT NOT NULL DEFAULT 'closed',
    last_success_at  BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

-- One row per event pattern of a target, as a LIKE pattern (`user.%`).
CREATE TABLE sync_subscriptions (
    target_id TEXT NOT NULL REFERENCES sync_targets (id) ON DELETE CASCADE,
    pattern   TEXT NOT NULL,
    PRIMARY KEY (target_id, pattern)
);

CREATE TABLE sync_tasks (
    seq               BIGSERIAL PRIMARY KEY,
    target_id         TEXT NOT NULL REFERENCES sync_targets (id) ON DELETE CASCADE,
    event_seq         BIGINT NOT NULL,
    event_id          TEXT NOT NULL,
    event_type        TEXT NOT NULL,
    tenant            TEXT NOT NULL,
    aggregate_kind    TEXT NOT NULL,
    aggregate_id      TEXT NOT NULL,
    aggregate_version BIGINT NOT NULL,
    status            TEXT NOT NULL,
    -- Lower runs first: 0 for a check's repairs, 1 for ordinary events.
    priority          BIGINT NOT NULL DEFAULT 1,
    payload           TEXT,
    attempts          BIGINT NOT NULL DEFAULT 0,
    -- Attempts made before the last manual retry or replay: the budget of
    -- max_attempts counts from here.
    retry_base        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at   BIGINT NOT NULL,
    lease_owner       TEXT,
    lease_until       BIGINT,
    last_status       BIGINT,
    last_error        TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    delivered_at      BIGINT
);
-- Claims walk a target's open tasks by priority and age ...
CREATE INDEX sync_tasks_due ON sync_tasks (target_id, priority, seq)
    WHERE status IN ('pending', 'failed', 'in_flight');
-- ... and take only the oldest open task of each aggregate.
CREATE INDEX sync_tasks_aggregate ON sync_tasks (target_id, aggregate_kind, aggregate_id, seq)
    WHERE status IN ('pending', 'failed', 'in_flight');
-- Listing, statistics, the dead-letter queue and retention.
CREATE INDEX sync_tasks_status ON sync_tasks (target_id, status, seq);
CREATE INDEX sync_tasks_updated ON sync_tasks (status, updated_at);

CREATE TABLE sync_attempts (
    task_seq    BIGINT NOT NULL REFERENCES sync_tasks (seq) ON DELETE CASCADE,
    number      BIGINT NOT NULL,
    started_at  BIGINT NOT NULL,
    duration_us BIGINT NOT NULL,
    outcome     TEXT NOT NULL,
    status_code BIGINT,
    error       TEXT,
    response    TEXT,
    PRIMARY KEY (task_seq, number)
);
