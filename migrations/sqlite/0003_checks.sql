-- Consistency checks: one row per check, one per (check, target) with the
-- target's report as JSON, and the findings. At most one open report per
-- target, across replicas: the partial unique index is the lock.

CREATE TABLE checks (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    status       TEXT NOT NULL,
    repair       BIGINT NOT NULL,
    dry_run      BIGINT NOT NULL,
    request      TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    runner       TEXT,
    lease_until  BIGINT,
    error        TEXT,
    created_at   BIGINT NOT NULL,
    finished_at  BIGINT
);
CREATE INDEX checks_open ON checks (status, lease_until);
CREATE INDEX checks_finished ON checks (finished_at);

CREATE TABLE check_targets (
    check_id   TEXT NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
    target     TEXT NOT NULL,
    position   BIGINT NOT NULL,
    status     TEXT NOT NULL,
    report     TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (check_id, target)
);
CREATE UNIQUE INDEX check_targets_open ON check_targets (target) WHERE status IN ('pending', 'running');

CREATE TABLE check_findings (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    check_id       TEXT NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
    target         TEXT NOT NULL,
    kind           TEXT NOT NULL,
    aggregate_kind TEXT NOT NULL,
    aggregate_id   TEXT NOT NULL,
    plat_version   BIGINT,
    target_version BIGINT,
    detail         TEXT,
    repair_task    BIGINT,
    repaired       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX check_findings_check ON check_findings (check_id, seq);

-- A check leaves out records whose task is open or settled during the check.
CREATE INDEX sync_tasks_record ON sync_tasks (target_id, aggregate_id, updated_at);
-- The internal check looks for events without their tasks.
CREATE INDEX sync_tasks_event ON sync_tasks (target_id, event_seq);
-- Checks stream (id, version) of live users in id order.
CREATE INDEX users_readback ON users (id, version, status);
