-- The service registry: registrations, their instances (probed endpoints and
-- self-registered heartbeat instances), accepted layering violations, and
-- leases (one holder at a time across replicas, e.g. the prober's leader).

CREATE TABLE services (
    seq         BIGSERIAL PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    namespace   TEXT NOT NULL,
    name        TEXT NOT NULL,
    tenant      TEXT,
    spec        TEXT NOT NULL,
    source      TEXT NOT NULL,
    layering    TEXT NOT NULL,
    revision    BIGINT NOT NULL,
    change_seq  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (namespace, name)
);
CREATE INDEX services_change ON services (change_seq);

CREATE TABLE service_instances (
    service_id            TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    instance_id           TEXT NOT NULL,
    url                   TEXT NOT NULL,
    source                TEXT NOT NULL,
    status                TEXT NOT NULL,
    consecutive_successes BIGINT NOT NULL,
    consecutive_failures  BIGINT NOT NULL,
    latency_ms            DOUBLE PRECISION,
    last_probe_at         BIGINT,
    last_heartbeat_at     BIGINT,
    ttl_ms                BIGINT,
    updated_at            BIGINT NOT NULL,
    PRIMARY KEY (service_id, instance_id)
);

-- Deregistered services leave a row here so that replicas and watchers see
-- the change (the discovery index moves on) and then forget it.
CREATE TABLE service_tombstones (
    namespace  TEXT NOT NULL,
    name       TEXT NOT NULL,
    change_seq BIGINT NOT NULL,
    deleted_at BIGINT NOT NULL,
    PRIMARY KEY (namespace, name)
);

-- The registry's logical clock: every change takes the next value, which is
-- the discovery index; replicas poll it to learn of others' changes.
CREATE TABLE registry_clock (
    id  BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL
);
INSERT INTO registry_clock (id, seq) VALUES (1, 0);

CREATE TABLE layering_baseline (
    from_service TEXT NOT NULL,
    to_service   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (from_service, to_service)
);

CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    acquired_at BIGINT NOT NULL
);
