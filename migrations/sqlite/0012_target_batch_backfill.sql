-- How many events (and bytes) one request to a target may carry; 1 sends
-- each event alone, as before.
ALTER TABLE sync_targets ADD COLUMN batch_events BIGINT NOT NULL DEFAULT 1;
ALTER TABLE sync_targets ADD COLUMN batch_bytes BIGINT NOT NULL DEFAULT 1048576;
-- A new target's backfill as JSON ({state, cursor, queued, started_at,
-- finished_at}); NULL when it has none. The backfiller resumes from
-- `cursor` (the last user id queued) after a restart.
ALTER TABLE sync_targets ADD COLUMN backfill TEXT;
