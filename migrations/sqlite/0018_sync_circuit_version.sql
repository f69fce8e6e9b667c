-- Each write to a target's stored circuit raises its version, so a replica
-- holding two copies (one it read, one a completion just wrote) keeps the
-- newer one (crates/sync: `Runtime::install`).
ALTER TABLE sync_targets ADD COLUMN circuit_version BIGINT NOT NULL DEFAULT 0;
