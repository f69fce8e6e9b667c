-- A target's circuit is stored whole, and every replica acts on the stored
-- one: the consecutive failures that count towards opening it, and while it
-- is open, when a probe may go (unix ms). Completions update it under the
-- target row's lock (plat_domain::retry::Circuit).
ALTER TABLE sync_targets ADD COLUMN circuit_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_targets ADD COLUMN circuit_open_until BIGINT;
