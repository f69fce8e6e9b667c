-- Services publish their own events (docs/events.md, "Publishing events").
-- A service account names the event types it may publish (a JSON list of
-- patterns such as "file.*").
ALTER TABLE service_accounts ADD COLUMN publishes TEXT NOT NULL DEFAULT '[]';

-- A published event remembers who published it and the caller's
-- idempotency key: a retry with the same key finds the first event instead
-- of publishing twice. Partial: plat's own events (no key) cost it nothing.
ALTER TABLE events ADD COLUMN publisher TEXT;
ALTER TABLE events ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX events_idempotency ON events (publisher, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
