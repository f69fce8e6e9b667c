-- A service account's version: the aggregate version of its
-- `service_account.*` events, raised by every change.
ALTER TABLE service_accounts ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
