-- A replica follows the registry by the instances that changed, not by
-- reloading every instance of a changed service: each instance carries the
-- registry clock of its last change of state, and a service the clock at
-- which it last lost an instance (only then does a replica reload all of
-- its instances). `updated_at` finds the details (latency, last beat) that
-- change without a change of state (crates/registry/src/hub.rs).
ALTER TABLE service_instances ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE services ADD COLUMN instances_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX service_instances_change ON service_instances (change_seq);
CREATE INDEX service_instances_updated ON service_instances (updated_at);
