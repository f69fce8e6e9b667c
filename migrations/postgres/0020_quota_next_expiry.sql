-- The earliest expiry among a quota's reservations (a lower bound: a
-- reservation settled since may have held it), so a reservation or a
-- commit is one conditional statement while none is due, and the sweep of
-- expired reservations runs only once one is (crates/store/src/quotas.rs).
ALTER TABLE tenant_quotas ADD COLUMN next_expiry BIGINT;
UPDATE tenant_quotas SET next_expiry = (
    SELECT MIN(r.expires_at) FROM quota_reservations r
    WHERE r.tenant_id = tenant_quotas.tenant_id AND r.resource = tenant_quotas.resource
);
