-- The next version of a published aggregate is read from here, an index of
-- published events only (plat's own events pay nothing). Without it SQLite
-- chose events_tenant and scanned the tenant's whole history per event
-- (docs/events.md, "Measured").
CREATE INDEX events_published_aggregate ON events (tenant, aggregate_kind, aggregate_id, aggregate_version)
    WHERE publisher IS NOT NULL;
