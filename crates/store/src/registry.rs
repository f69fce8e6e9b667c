//! The service registry's tables: registrations (the spec as sent, with its
//! layering verdict), their instances (probed endpoints and heart-beating
//! self-registrations), the registry clock every change advances (the
//! discovery index, which replicas poll to learn of each other's changes),
//! tombstones of deregistered services, the layering baseline, and leases.
//!
//! Every change of a registration or of an instance's health writes its
//! `service.*` event and audit record in the same transaction.

use plat_proto::catalog;
use std::collections::{BTreeMap, HashMap, HashSet};

use plat_proto::{
    Instance, InstanceSource, InstanceStatus, LayeringViolation, RegisterService, RegistrationStatus,
    ServiceRegistration,
};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::audit::{AuditDraft, AuditOf, record_audit};
use crate::envelope::EventDraft;
use crate::outbox::{record_change, record_changes};
use crate::rows::tenant_by_slug;
use crate::sql::{
    Params, decode_json, format_ms, get_i64, get_opt_i64, get_opt_str, get_str, json_value, new_id, now_ms,
};
use crate::{Ctx, Result, Store, StoreError};

/// A registration as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRow {
    pub id: String,
    pub namespace: String,
    pub name: String,
    pub spec: RegisterService,
    pub layering: Vec<LayeringViolation>,
    pub revision: u64,
    /// The registry clock at its last change: the discovery index.
    pub change_seq: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Client id of the service's own account, if it has one.
    pub service_account: Option<String>,
}

/// An instance as stored: the wire object plus what the prober and the
/// heartbeat sweep need.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceRow {
    pub service_id: String,
    pub instance: Instance,
    pub last_probe_at: Option<i64>,
    pub last_heartbeat_at: Option<i64>,
    pub ttl_ms: Option<i64>,
    /// The registry clock at its last change of state.
    pub change_seq: i64,
}

/// What a registration did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    Created,
    Updated,
    /// The same spec again: nothing changed, nothing was announced.
    Unchanged,
}

/// One probe's verdict on an instance, to be written with others.
#[derive(Debug, Clone)]
pub struct ProbeResult {
    pub service_id: String,
    pub instance_id: String,
    pub status: InstanceStatus,
    pub consecutive_successes: u32,
    pub consecutive_failures: u32,
    pub latency_ms: Option<f64>,
    pub at: i64,
    /// Whether the status changed (announced as `service.health_changed`).
    pub changed: bool,
}

/// The instances a change log read brings for one changed service.
#[derive(Debug, Clone, PartialEq)]
pub enum InstanceDelta {
    /// Every instance: a first read, or the service lost instances since.
    All(Vec<InstanceRow>),
    /// Only those that changed state since the read's starting point.
    Changed(Vec<InstanceRow>),
}

/// One self-registered instance's beat, as a replica buffered it.
#[derive(Debug, Clone, PartialEq)]
pub struct Beat {
    pub namespace: String,
    pub name: String,
    pub instance_id: String,
    /// Empty: keep the instance's URL (only a first beat must name one).
    pub url: String,
    pub ttl_ms: i64,
    pub at: i64,
    /// The replica saw the instance passing (its beat most likely keeps it).
    pub passing: bool,
}

/// What writing a beat did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeatOutcome {
    /// A passing instance's beat: its time and TTL were written.
    Kept,
    /// A new instance, or one back from critical: announced.
    Passing,
}

/// What a registry change log read returns: changed services with their
/// instances, deregistered ones, and the clock read with them.
#[derive(Debug, Default)]
pub struct RegistryChanges {
    pub services: Vec<(ServiceRow, InstanceDelta)>,
    pub removed: Vec<(String, String, i64)>,
    pub seq: i64,
}

const SERVICE_COLUMNS: &str =
    "id, namespace, name, spec, layering, revision, change_seq, created_at, updated_at, service_account";
const INSTANCE_COLUMNS: &str = "service_id, instance_id, url, source, status, consecutive_successes, \
     consecutive_failures, latency_ms, last_probe_at, last_heartbeat_at, ttl_ms, change_seq";

fn service_from_row(row: &AnyRow) -> Result<ServiceRow> {
    Ok(ServiceRow {
        id: get_str(row, "id")?,
        namespace: get_str(row, "namespace")?,
        name: get_str(row, "name")?,
        spec: decode_json("services.spec", &get_str(row, "spec")?)?,
        layering: decode_json("services.layering", &get_str(row, "layering")?)?,
        revision: get_i64(row, "revision")?.max(0) as u64,
        change_seq: get_i64(row, "change_seq")?,
        created_at: get_i64(row, "created_at")?,
        updated_at: get_i64(row, "updated_at")?,
        service_account: get_opt_str(row, "service_account")?,
    })
}

fn instance_from_row(row: &AnyRow) -> Result<InstanceRow> {
    let status = get_str(row, "status")?;
    let status =
        InstanceStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("instance status {status:?}")))?;
    let source = get_str(row, "source")?;
    let source =
        InstanceSource::parse(&source).ok_or_else(|| StoreError::Corrupt(format!("instance source {source:?}")))?;
    let last_probe_at = get_opt_i64(row, "last_probe_at")?;
    let last_heartbeat_at = get_opt_i64(row, "last_heartbeat_at")?;
    Ok(InstanceRow {
        service_id: get_str(row, "service_id")?,
        instance: Instance {
            id: get_str(row, "instance_id")?,
            url: get_str(row, "url")?,
            healthy: status == InstanceStatus::Passing,
            status,
            source,
            last_probe_at: last_probe_at.map(format_ms),
            last_heartbeat_at: last_heartbeat_at.map(format_ms),
            latency_ms: row.try_get::<Option<f64>, _>("latency_ms")?,
            consecutive_successes: get_i64(row, "consecutive_successes")?.clamp(0, u32::MAX as i64) as u32,
            consecutive_failures: get_i64(row, "consecutive_failures")?.clamp(0, u32::MAX as i64) as u32,
        },
        last_probe_at,
        last_heartbeat_at,
        ttl_ms: get_opt_i64(row, "ttl_ms")?,
        change_seq: get_i64(row, "change_seq")?,
    })
}

/// The wire object of a registration with its instances.
pub fn registration_of(row: &ServiceRow, instances: &[InstanceRow], protected: bool) -> ServiceRegistration {
    let healthy = instances.iter().filter(|i| i.instance.healthy).count();
    registration_counted(row, (healthy, instances.len()), protected)
}

/// The wire object of a registration with `(healthy, total)` instances.
pub fn registration_counted(
    row: &ServiceRow,
    (healthy, total): (usize, usize),
    protected: bool,
) -> ServiceRegistration {
    let new: Vec<&LayeringViolation> = row.layering.iter().filter(|v| !v.accepted).collect();
    let layering = match new.as_slice() {
        [] => "ok".to_owned(),
        edges => format!("violation: {}", edges.iter().map(|v| v.reason.as_str()).collect::<Vec<_>>().join("; ")),
    };
    ServiceRegistration {
        namespace: row.namespace.clone(),
        name: row.name.clone(),
        version: row.spec.version.clone(),
        endpoints: row.spec.endpoints.clone(),
        health_check: row.spec.health_check.clone(),
        layer: row.spec.layer.clone(),
        depends_on: row.spec.depends_on.clone(),
        tags: row.spec.tags.clone(),
        source: row.spec.source,
        status: RegistrationStatus {
            healthy_endpoints: healthy as u32,
            total_endpoints: total as u32,
            layering,
            violations: row.layering.clone(),
            protected,
        },
        created_at: format_ms(row.created_at),
        updated_at: format_ms(row.updated_at),
        revision: row.revision,
        service_account: row.service_account.clone(),
        tenant: row.spec.tenant.clone(),
    }
}

/// Advance the registry clock; the new value stamps the change.
async fn tick(conn: &mut AnyConnection) -> Result<i64> {
    let row =
        sqlx::query("UPDATE registry_clock SET seq = seq + 1 WHERE id = 1 RETURNING seq").fetch_one(&mut *conn).await?;
    get_i64(&row, "seq")
}

async fn service_by_key(conn: &mut AnyConnection, namespace: &str, name: &str) -> Result<ServiceRow> {
    let sql = format!("SELECT {SERVICE_COLUMNS} FROM services WHERE namespace = $1 AND name = $2");
    let row = sqlx::query(&sql).bind(namespace).bind(name).fetch_optional(&mut *conn).await?;
    match row {
        Some(row) => service_from_row(&row),
        None => Err(StoreError::NotFound { kind: "service", name: format!("{namespace}/{name}") }),
    }
}

async fn instances_of(conn: &mut AnyConnection, service_id: &str) -> Result<Vec<InstanceRow>> {
    let sql = format!("SELECT {INSTANCE_COLUMNS} FROM service_instances WHERE service_id = $1 ORDER BY instance_id");
    sqlx::query(&sql).bind(service_id).fetch_all(&mut *conn).await?.iter().map(instance_from_row).collect()
}

/// `(healthy, total)` instances of each of `service_ids` (those with any),
/// counted where they are kept: the one rule for the counts announced.
async fn count_instances(conn: &mut AnyConnection, service_ids: &[&str]) -> Result<HashMap<String, (usize, usize)>> {
    let mut counts = HashMap::new();
    for chunk in service_ids.chunks(500) {
        let sql = format!(
            "SELECT service_id, COUNT(*) AS total, COALESCE(SUM(CASE WHEN status = 'passing' THEN 1 ELSE 0 END), 0) AS healthy \
             FROM service_instances WHERE service_id IN ({}) GROUP BY service_id",
            Params::for_conn(conn).list(chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let n = |c: &str| get_i64(&row, c).map(|n| n.max(0) as usize);
            counts.insert(get_str(&row, "service_id")?, (n("healthy")?, n("total")?));
        }
    }
    Ok(counts)
}

/// Announce a registration change (`service.*`) with its current snapshot
/// (`counts` of its instances when known, else counted).
async fn announce(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    (row, counts): (&ServiceRow, Option<(usize, usize)>),
    event_type: &'static catalog::EventType,
    details: serde_json::Value,
) -> Result<()> {
    let counts = match counts {
        Some(counts) => counts,
        None => count_instances(conn, &[&row.id]).await?.remove(&row.id).unwrap_or((0, 0)),
    };
    let registration = registration_counted(row, counts, false);
    let draft = EventDraft {
        event_type,
        tenant: plat_proto::SYSTEM_TENANT,
        aggregate_id: &row.id,
        aggregate_version: row.change_seq.max(0) as u64,
        data: json_value(&registration)?,
        extra_metadata: None,
    };
    let target = format!("service:{}/{}", row.namespace, row.name);
    record_change(conn, ctx, draft, AuditOf { action: None, target, tenant: None, details }).await?;
    Ok(())
}

/// What changed among a service's instances.
enum InstancesChange<'a> {
    /// These instances changed state (or are new).
    States(&'a [&'a str]),
    /// Some were removed: replicas reload all of them.
    Lost,
}

/// A change of the instances of one service, to be announced.
struct HealthChange<'a> {
    service_id: &'a str,
    change: InstancesChange<'a>,
    details: serde_json::Value,
}

/// Changes of the instances of services (those that still exist), in one
/// go: they take the next clock value together (their discovery indexes
/// move on, their watchers wake; replicas read just the instances that
/// changed) and each is announced as `service.health_changed` with its
/// details. A handful of statements whatever the number of services.
async fn health_changed(conn: &mut AnyConnection, ctx: &Ctx, changes: Vec<HealthChange<'_>>) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let seq = tick(conn).await?;
    let ids: Vec<&str> = changes.iter().map(|c| c.service_id).collect();
    let lost: Vec<&str> =
        changes.iter().filter(|c| matches!(c.change, InstancesChange::Lost)).map(|c| c.service_id).collect();
    let mut rows: HashMap<String, ServiceRow> = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut params = Params::for_conn(conn);
        let list = params.list(chunk.len());
        let sql = format!("SELECT {SERVICE_COLUMNS} FROM services WHERE id IN ({list})");
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let mut row = service_from_row(&row)?;
            row.change_seq = seq;
            rows.insert(row.id.clone(), row);
        }
        for (column, of) in [("change_seq", chunk), ("instances_seq", &lost[..])] {
            let of: Vec<&str> = of.iter().filter(|id| chunk.contains(id)).copied().collect();
            if of.is_empty() {
                continue;
            }
            let mut params = Params::for_conn(conn);
            let at = params.next();
            let sql = format!("UPDATE services SET {column} = {at} WHERE id IN ({})", params.list(of.len()));
            let mut query = sqlx::query(&sql).bind(seq);
            for id in &of {
                query = query.bind(*id);
            }
            query.execute(&mut *conn).await?;
        }
    }
    let counts = count_instances(conn, &ids).await?;
    let stamped: Vec<(&str, &str)> = changes
        .iter()
        .filter_map(|c| match c.change {
            InstancesChange::States(instances) => Some(instances.iter().map(move |i| (c.service_id, *i))),
            InstancesChange::Lost => None,
        })
        .flatten()
        .collect();
    stamp_instances(conn, &stamped, seq).await?;
    let mut announced = Vec::with_capacity(changes.len());
    for change in changes {
        let Some(row) = rows.get(change.service_id) else { continue };
        let registration = registration_counted(row, counts.get(&row.id).copied().unwrap_or((0, 0)), false);
        let draft = EventDraft {
            event_type: catalog::SERVICE_HEALTH_CHANGED,
            tenant: plat_proto::SYSTEM_TENANT,
            aggregate_id: &row.id,
            aggregate_version: seq.max(0) as u64,
            data: json_value(&registration)?,
            extra_metadata: None,
        };
        let target = format!("service:{}/{}", row.namespace, row.name);
        announced.push((draft, AuditOf { action: None, target, tenant: None, details: change.details }));
    }
    record_changes(conn, ctx, announced).await?;
    Ok(())
}

/// Mark `(service id, instance id)`s as changed at clock `seq`.
async fn stamp_instances(conn: &mut AnyConnection, instances: &[(&str, &str)], seq: i64) -> Result<()> {
    for chunk in instances.chunks(500) {
        let mut params = Params::for_conn(conn);
        let at = params.next();
        let sql = format!(
            "UPDATE service_instances SET change_seq = {at} WHERE (service_id, instance_id) IN (VALUES {})",
            params.rows(chunk.len(), 2)
        );
        let mut query = sqlx::query(&sql).bind(seq);
        for (service, instance) in chunk {
            query = query.bind(*service).bind(*instance);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A passing heart-beating instance's beat: its time and TTL. Whether
/// there was one. A later beat another replica wrote first stays
/// (`last_heartbeat_at` never goes back).
async fn keep_beat(conn: &mut AnyConnection, service_id: &str, beat: &Beat) -> Result<bool> {
    update_beat(
        conn,
        "UPDATE service_instances SET last_heartbeat_at = CASE WHEN last_heartbeat_at > $1 THEN last_heartbeat_at ELSE $1 END, \
         ttl_ms = $2, updated_at = $5 \
         WHERE service_id = $3 AND instance_id = $4 AND source = 'heartbeat' AND status = 'passing'",
        service_id,
        beat,
    )
    .await
}

/// A new instance (when the beat names its URL), or a heart-beating one
/// that is not passing or moved to another URL, written passing. Whether it
/// was: not for a passing one at its URL, a probed endpoint, or an unknown
/// one without a URL.
async fn revive_beat(conn: &mut AnyConnection, service_id: &str, beat: &Beat) -> Result<bool> {
    if beat.url.is_empty() {
        return update_beat(
            conn,
            "UPDATE service_instances SET status = 'passing', consecutive_successes = 1, consecutive_failures = 0, \
             last_heartbeat_at = $1, ttl_ms = $2, updated_at = $5 \
             WHERE service_id = $3 AND instance_id = $4 AND source = 'heartbeat' AND status <> 'passing'",
            service_id,
            beat,
        )
        .await;
    }
    Ok(!write_passing(conn, &[(service_id, beat)]).await?.is_empty())
}

/// Run `sql` with a beat's (time, TTL, service, instance, time of writing)
/// as `$1`..`$5`. Whether it touched a row.
async fn update_beat(conn: &mut AnyConnection, sql: &str, service_id: &str, beat: &Beat) -> Result<bool> {
    let done = sqlx::query(sql)
        .bind(beat.at)
        .bind(beat.ttl_ms)
        .bind(service_id)
        .bind(&beat.instance_id)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Write instances passing from beats that name their URL, many to a
/// statement: new ones, and heart-beating ones that are not passing or
/// moved to another URL (never a probed endpoint, never a passing one at
/// its URL). Returns the `(service id, instance id)`s written. Rows must be
/// distinct. `updated_at` is when they are written (details are read by
/// it), not when the beats came.
async fn write_passing(conn: &mut AnyConnection, rows: &[(&str, &Beat)]) -> Result<HashSet<(String, String)>> {
    let mut written = HashSet::new();
    let now = now_ms();
    for chunk in rows.chunks(200) {
        let mut params = Params::for_conn(conn);
        let values: Vec<String> = chunk
            .iter()
            .map(|_| {
                let [a, b, c, d, e, f] = [(); 6].map(|_| params.next());
                format!("({a}, {b}, {c}, 'heartbeat', 'passing', 1, 0, {d}, {e}, {f})")
            })
            .collect();
        let sql = format!(
            "INSERT INTO service_instances (service_id, instance_id, url, source, status, consecutive_successes, consecutive_failures, last_heartbeat_at, ttl_ms, updated_at) \
             VALUES {} ON CONFLICT (service_id, instance_id) DO UPDATE SET url = excluded.url, status = 'passing', \
             consecutive_successes = 1, consecutive_failures = 0, last_heartbeat_at = excluded.last_heartbeat_at, \
             ttl_ms = excluded.ttl_ms, updated_at = excluded.updated_at \
             WHERE service_instances.source = 'heartbeat' \
             AND (service_instances.status <> 'passing' OR service_instances.url <> excluded.url) \
             RETURNING service_id, instance_id",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (service_id, beat) in chunk {
            query = query
                .bind(service_id.to_string())
                .bind(beat.instance_id.clone())
                .bind(beat.url.clone())
                .bind(beat.at)
                .bind(beat.ttl_ms)
                .bind(now);
        }
        for row in query.fetch_all(&mut *conn).await? {
            written.insert((get_str(&row, "service_id")?, get_str(&row, "instance_id")?));
        }
    }
    Ok(written)
}

impl Store {
    /// `(namespace, name) → layer` of every registration, and their
    /// dependencies: what the layering rule judges against.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.service_specs", skip_all)]
    pub async fn service_specs(&self) -> Result<Vec<ServiceRow>> {
        let sql = format!("SELECT {SERVICE_COLUMNS} FROM services ORDER BY namespace, name");
        sqlx::query(&sql).fetch_all(&self.read).await?.iter().map(service_from_row).collect()
    }

    /// Register or update a service (PUT semantics). The same spec again
    /// changes nothing and announces nothing. Probed instances follow the
    /// endpoints: new URLs are added (critical until probed), dropped ones
    /// removed; heart-beating instances are left alone.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.register_service", skip_all)]
    pub async fn register_service(
        &self,
        ctx: &Ctx,
        (namespace, name): (&str, &str),
        spec: &RegisterService,
        layering: &[LayeringViolation],
        endpoints: &[(String, String)],
    ) -> Result<(ServiceRow, Registered)> {
        let mut tx = self.begin(ctx).await?;
        if let Some(tenant) = &spec.tenant {
            tenant_by_slug(&mut tx, tenant).await?;
        }
        let existing = match service_by_key(&mut tx, namespace, name).await {
            Ok(row) => Some(row),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        if let Some(row) = &existing
            && row.spec == *spec
            && row.layering == layering
        {
            return Ok((row.clone(), Registered::Unchanged));
        }
        let now = now_ms();
        let seq = tick(&mut tx).await?;
        let spec_json = serde_json::to_string(spec).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let layering_json = serde_json::to_string(layering).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let (row, outcome) = match existing {
            Some(old) => {
                sqlx::query(
                    "UPDATE services SET spec = $1, layering = $2, source = $3, revision = revision + 1, change_seq = $4, updated_at = $5 WHERE id = $6",
                )
                .bind(&spec_json)
                .bind(&layering_json)
                .bind(spec.source.as_str())
                .bind(seq)
                .bind(now)
                .bind(&old.id)
                .execute(&mut *tx)
                .await?;
                let row = ServiceRow {
                    spec: spec.clone(),
                    layering: layering.to_vec(),
                    revision: old.revision + 1,
                    change_seq: seq,
                    updated_at: now,
                    ..old
                };
                (row, Registered::Updated)
            }
            None => {
                let id = new_id();
                sqlx::query(
                    "INSERT INTO services (id, namespace, name, spec, source, layering, revision, change_seq, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $8)",
                )
                .bind(&id)
                .bind(namespace)
                .bind(name)
                .bind(&spec_json)
                .bind(spec.source.as_str())
                .bind(&layering_json)
                .bind(seq)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM service_tombstones WHERE namespace = $1 AND name = $2")
                    .bind(namespace)
                    .bind(name)
                    .execute(&mut *tx)
                    .await?;
                let row = ServiceRow {
                    id,
                    namespace: namespace.to_owned(),
                    name: name.to_owned(),
                    spec: spec.clone(),
                    layering: layering.to_vec(),
                    revision: 1,
                    change_seq: seq,
                    created_at: now,
                    updated_at: now,
                    service_account: None,
                };
                (row, Registered::Created)
            }
        };
        // Probed instances follow the endpoints (a new service has none yet).
        let current: Vec<String> = if outcome == Registered::Created {
            Vec::new()
        } else {
            sqlx::query_scalar("SELECT instance_id FROM service_instances WHERE service_id = $1 AND source = 'probe'")
                .bind(&row.id)
                .fetch_all(&mut *tx)
                .await?
        };
        let mut lost = false;
        for stale in current.iter().filter(|id| !endpoints.iter().any(|(e, _)| e == *id)) {
            sqlx::query("DELETE FROM service_instances WHERE service_id = $1 AND instance_id = $2")
                .bind(&row.id)
                .bind(stale)
                .execute(&mut *tx)
                .await?;
            lost = true;
        }
        if lost {
            sqlx::query("UPDATE services SET instances_seq = $1 WHERE id = $2")
                .bind(seq)
                .bind(&row.id)
                .execute(&mut *tx)
                .await?;
        }
        let added: Vec<&(String, String)> = endpoints.iter().filter(|(id, _)| !current.contains(id)).collect();
        for chunk in added.chunks(200) {
            let mut params = Params::for_conn(&tx);
            let rows: Vec<String> = chunk
                .iter()
                .map(|_| {
                    let [service, instance, url, at, seq] = [(); 5].map(|_| params.next());
                    format!("({service}, {instance}, {url}, 'probe', 'critical', 0, 0, {at}, {seq})")
                })
                .collect();
            let sql = format!(
                "INSERT INTO service_instances (service_id, instance_id, url, source, status, consecutive_successes, consecutive_failures, updated_at, change_seq) \
                 VALUES {} ON CONFLICT (service_id, instance_id) DO UPDATE SET url = excluded.url, source = 'probe', ttl_ms = NULL, change_seq = excluded.change_seq",
                rows.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for (id, url) in chunk {
                query = query.bind(row.id.clone()).bind(id.clone()).bind(url.clone()).bind(now).bind(seq);
            }
            query.execute(&mut *tx).await?;
        }
        let event = if outcome == Registered::Created { catalog::SERVICE_REGISTERED } else { catalog::SERVICE_UPDATED };
        // A new service's instances are its endpoints, none passing yet.
        let counts = (outcome == Registered::Created).then_some((0, endpoints.len()));
        announce(&mut tx, ctx, (&row, counts), event, serde_json::json!({"revision": row.revision})).await?;
        tx.commit().await?;
        Ok((row, outcome))
    }

    /// Remove a registration and its instances, leaving a tombstone so that
    /// replicas and watchers learn of it.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.deregister_service", skip_all)]
    pub async fn deregister_service(&self, ctx: &Ctx, namespace: &str, name: &str) -> Result<()> {
        let mut tx = self.begin(ctx).await?;
        let mut row = service_by_key(&mut tx, namespace, name).await?;
        let seq = tick(&mut tx).await?;
        row.change_seq = seq;
        announce(&mut tx, ctx, (&row, None), catalog::SERVICE_DEREGISTERED, serde_json::json!({})).await?;
        sqlx::query("DELETE FROM services WHERE id = $1").bind(&row.id).execute(&mut *tx).await?;
        // The service's own account goes with it: its tokens stop working.
        if let Some(client_id) = &row.service_account {
            sqlx::query("DELETE FROM service_accounts WHERE client_id = $1").bind(client_id).execute(&mut *tx).await?;
            // Checks about the account must stop answering for it.
            crate::outbox::raise_authority(&mut tx).await?;
            record_audit(
                &mut tx,
                ctx,
                AuditDraft {
                    action: "service_account.delete",
                    target: format!("service_account:{client_id}"),
                    tenant: Some(plat_proto::SYSTEM_TENANT),
                    outcome: "success",
                    details: serde_json::json!({"service": format!("{namespace}/{name}")}),
                },
            )
            .await?;
        }
        sqlx::query(
            "INSERT INTO service_tombstones (namespace, name, change_seq, deleted_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (namespace, name) DO UPDATE SET change_seq = excluded.change_seq, deleted_at = excluded.deleted_at",
        )
        .bind(namespace)
        .bind(name)
        .bind(seq)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// One registration with its instances.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.get_service", skip_all)]
    pub async fn get_service(&self, namespace: &str, name: &str) -> Result<(ServiceRow, Vec<InstanceRow>)> {
        let mut conn = self.read.acquire().await?;
        let row = service_by_key(&mut conn, namespace, name).await?;
        let instances = instances_of(&mut conn, &row.id).await?;
        Ok((row, instances))
    }

    /// The registry clock: the index of the latest change.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.registry_seq", skip_all)]
    pub async fn registry_seq(&self) -> Result<i64> {
        let row = sqlx::query("SELECT seq FROM registry_clock WHERE id = 1").fetch_one(&self.read).await?;
        get_i64(&row, "seq")
    }

    /// Every change after `after` (all of it for 0): changed services with
    /// their instances (those that changed since `after`, or all of them
    /// after a first read or a loss) and deregistered ones, as of the clock
    /// it returns. One consistent snapshot: nothing past that clock, nothing
    /// before it missing.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.registry_changes", skip_all)]
    pub async fn registry_changes(&self, after: i64) -> Result<RegistryChanges> {
        let mut tx = self.read.begin().await?;
        if self.backend == crate::Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        }
        let seq =
            get_i64(&sqlx::query("SELECT seq FROM registry_clock WHERE id = 1").fetch_one(&mut *tx).await?, "seq")?;
        let sql =
            format!("SELECT {SERVICE_COLUMNS}, instances_seq FROM services WHERE change_seq > $1 AND change_seq <= $2");
        let mut whole: HashMap<String, bool> = HashMap::new();
        let mut rows: Vec<ServiceRow> = Vec::new();
        for r in sqlx::query(&sql).bind(after).bind(seq).fetch_all(&mut *tx).await? {
            let row = service_from_row(&r)?;
            whole.insert(row.id.clone(), after == 0 || get_i64(&r, "instances_seq")? > after);
            rows.push(row);
        }
        let mut by_service: HashMap<String, Vec<InstanceRow>> = HashMap::new();
        if !rows.is_empty() {
            // Every instance of the services read whole, and the instances
            // that changed of the others.
            let sql = format!(
                "SELECT {INSTANCE_COLUMNS} FROM service_instances WHERE service_id IN \
                 (SELECT id FROM services WHERE change_seq > $1 AND change_seq <= $2 AND ($1 = 0 OR instances_seq > $1)) \
                 UNION ALL SELECT {INSTANCE_COLUMNS} FROM service_instances WHERE change_seq > $1 AND change_seq <= $2 \
                 AND $1 > 0 AND service_id IN (SELECT id FROM services WHERE change_seq > $1 AND change_seq <= $2 AND instances_seq <= $1) \
                 ORDER BY instance_id"
            );
            for row in sqlx::query(&sql).bind(after).bind(seq).fetch_all(&mut *tx).await? {
                let instance = instance_from_row(&row)?;
                by_service.entry(instance.service_id.clone()).or_default().push(instance);
            }
        }
        let services = rows
            .into_iter()
            .map(|row| {
                let instances = by_service.remove(&row.id).unwrap_or_default();
                let delta = if whole.get(&row.id).copied().unwrap_or(true) {
                    InstanceDelta::All(instances)
                } else {
                    InstanceDelta::Changed(instances)
                };
                (row, delta)
            })
            .collect();
        let removed = sqlx::query(
            "SELECT namespace, name, change_seq FROM service_tombstones WHERE change_seq > $1 AND change_seq <= $2",
        )
        .bind(after)
        .bind(seq)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| Ok((get_str(r, "namespace")?, get_str(r, "name")?, get_i64(r, "change_seq")?)))
        .collect::<Result<_>>()?;
        tx.commit().await?;
        Ok(RegistryChanges { services, removed, seq })
    }

    /// Instances written at or after `since` (ms): the details (latency,
    /// last probe, last beat) that change without a change of state.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.instance_details", skip_all)]
    pub async fn instance_details(&self, since: i64) -> Result<Vec<InstanceRow>> {
        let sql = format!("SELECT {INSTANCE_COLUMNS} FROM service_instances WHERE updated_at >= $1");
        sqlx::query(&sql).bind(since).fetch_all(&self.read).await?.iter().map(instance_from_row).collect()
    }

    /// Write beats that a replica buffered, in one transaction. A passing
    /// instance's beat is one `UPDATE`; a new instance, or one back from
    /// critical, is written passing, and each service whose instances did
    /// so takes one clock value and one `service.health_changed` for all of
    /// them. Each beat has its own answer: a beat for a service that is gone,
    /// for a probed endpoint, or a first beat without a URL fails alone.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.record_beats", skip_all)]
    pub async fn record_beats(&self, ctx: &Ctx, beats: &[Beat]) -> Result<Vec<Result<BeatOutcome>>> {
        let mut answers: Vec<Option<Result<BeatOutcome>>> = beats.iter().map(|_| None).collect();
        if beats.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin(ctx).await?;
        let mut services: HashMap<(&str, &str), Option<String>> = HashMap::new();
        for beat in beats {
            let key = (beat.namespace.as_str(), beat.name.as_str());
            if let std::collections::hash_map::Entry::Vacant(slot) = services.entry(key) {
                let id = match service_by_key(&mut tx, key.0, key.1).await {
                    Ok(row) => Some(row.id),
                    Err(StoreError::NotFound { .. }) => None,
                    Err(e) => return Err(e),
                };
                slot.insert(id);
            }
        }
        let service_of = |beat: &Beat| services.get(&(beat.namespace.as_str(), beat.name.as_str())).cloned().flatten();
        // The instances each service sees come back, by service id.
        let mut revived: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        // New instances (and those back from critical) first, many to a
        // statement; what that does not settle is settled beat by beat.
        let mut seen = HashSet::new();
        // Rows are written in (service, instance) order everywhere, so that
        // two replicas' batches (and the sweep) lock them in one order.
        let mut order: Vec<(Option<String>, usize)> =
            beats.iter().enumerate().map(|(i, b)| (service_of(b), i)).collect();
        order.sort_by(|(a, i), (b, j)| (a, &beats[*i].instance_id).cmp(&(b, &beats[*j].instance_id)));
        let fresh: Vec<(usize, String)> = order
            .iter()
            .filter(|(_, i)| !beats[*i].passing && !beats[*i].url.is_empty())
            .filter_map(|(id, i)| id.clone().map(|id| (*i, id)))
            .filter(|(i, id)| seen.insert((id.clone(), beats[*i].instance_id.clone())))
            .collect();
        let rows: Vec<(&str, &Beat)> = fresh.iter().map(|(i, id)| (id.as_str(), &beats[*i])).collect();
        let passing = write_passing(&mut tx, &rows).await?;
        for (i, service_id) in &fresh {
            let beat = &beats[*i];
            if passing.contains(&(service_id.clone(), beat.instance_id.clone())) {
                revived.entry(service_id.clone()).or_default().push(&beat.instance_id);
                answers[*i] = Some(Ok(BeatOutcome::Passing));
            }
        }
        for (_, i) in &order {
            let (i, beat) = (*i, &beats[*i]);
            if answers[i].is_some() {
                continue;
            }
            let key = (beat.namespace.as_str(), beat.name.as_str());
            let Some(service_id) = service_of(beat) else {
                answers[i] = Some(Err(StoreError::NotFound { kind: "service", name: format!("{}/{}", key.0, key.1) }));
                continue;
            };
            // The statement that most likely applies goes first: the beat of
            // an instance the replica saw passing keeps it; any other is
            // written passing (unless it already is, or is a probed endpoint).
            let outcome = if beat.passing || beat.url.is_empty() {
                match keep_beat(&mut tx, &service_id, beat).await? {
                    true => Some(BeatOutcome::Kept),
                    false if revive_beat(&mut tx, &service_id, beat).await? => Some(BeatOutcome::Passing),
                    false => None,
                }
            } else {
                match revive_beat(&mut tx, &service_id, beat).await? {
                    true => Some(BeatOutcome::Passing),
                    false if keep_beat(&mut tx, &service_id, beat).await? => Some(BeatOutcome::Kept),
                    false => None,
                }
            };
            // Neither: a probed endpoint, or an unknown instance without a URL.
            let probed = outcome.is_none()
                && sqlx::query_scalar::<_, String>(
                    "SELECT source FROM service_instances WHERE service_id = $1 AND instance_id = $2",
                )
                .bind(&service_id)
                .bind(&beat.instance_id)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            answers[i] = Some(match outcome {
                Some(outcome) => {
                    if outcome == BeatOutcome::Passing {
                        revived.entry(service_id.clone()).or_default().push(&beat.instance_id);
                    }
                    Ok(outcome)
                }
                None if !probed => Err(StoreError::Invalid {
                    field: "url".into(),
                    message: "the first heartbeat of an instance must name its url".into(),
                }),
                None => Err(StoreError::Conflict(format!(
                    "instance {:?} of {}/{} is a probed endpoint, not a heart-beating one",
                    beat.instance_id, key.0, key.1
                ))),
            });
        }
        let announced = revived
            .iter()
            .map(|(service_id, instances)| {
                let details: Vec<serde_json::Value> =
                    instances.iter().map(|id| serde_json::json!({"instance": id, "status": "passing"})).collect();
                let details = match details.as_slice() {
                    [one] => one.clone(),
                    _ => serde_json::json!({"instances": details}),
                };
                HealthChange { service_id, change: InstancesChange::States(instances), details }
            })
            .collect();
        health_changed(&mut tx, ctx, announced).await?;
        tx.commit().await?;
        Ok(answers.into_iter().map(|a| a.unwrap_or(Ok(BeatOutcome::Kept))).collect())
    }

    /// Write a batch of probe verdicts in one transaction. Services whose
    /// instances changed status advance the clock and announce
    /// `service.health_changed` once per service.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.record_probes", skip_all)]
    pub async fn record_probes(&self, ctx: &Ctx, results: &[ProbeResult]) -> Result<()> {
        if results.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin(ctx).await?;
        let mut changed: BTreeMap<&str, Vec<&ProbeResult>> = BTreeMap::new();
        // In (service, instance) order, as every batch writes them; stamped
        // with the time of writing (details are read by it).
        let mut ordered: Vec<&ProbeResult> = results.iter().collect();
        ordered.sort_by(|a, b| (&a.service_id, &a.instance_id).cmp(&(&b.service_id, &b.instance_id)));
        let written = now_ms();
        for r in ordered {
            sqlx::query(
                "UPDATE service_instances SET status = $1, consecutive_successes = $2, consecutive_failures = $3, \
                 latency_ms = $4, last_probe_at = $5, updated_at = $8 WHERE service_id = $6 AND instance_id = $7",
            )
            .bind(r.status.as_str())
            .bind(i64::from(r.consecutive_successes))
            .bind(i64::from(r.consecutive_failures))
            .bind(r.latency_ms)
            .bind(r.at)
            .bind(&r.service_id)
            .bind(&r.instance_id)
            .bind(written)
            .execute(&mut *tx)
            .await?;
            if r.changed {
                changed.entry(r.service_id.as_str()).or_default().push(r);
            }
        }
        let instances: Vec<(&str, Vec<&str>)> = changed
            .iter()
            .map(|(service_id, verdicts)| (*service_id, verdicts.iter().map(|v| v.instance_id.as_str()).collect()))
            .collect();
        let announced = changed
            .values()
            .zip(&instances)
            .map(|(verdicts, (service_id, instances))| {
                let details: Vec<serde_json::Value> = verdicts
                    .iter()
                    .map(|v| serde_json::json!({"instance": v.instance_id, "status": v.status.as_str()}))
                    .collect();
                let details = serde_json::json!({"instances": details});
                HealthChange { service_id, change: InstancesChange::States(instances), details }
            })
            .collect();
        health_changed(&mut tx, ctx, announced).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Heart-beating instances past their TTL (and `grace`: how late a
    /// replica may write a beat it buffered) turn critical (announced);
    /// those silent for `remove_after` beyond it are removed (announced), at
    /// most `max_removals` per call, so a mass failure empties nothing at
    /// once. Returns (turned critical, removed).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.expire_heartbeats", skip_all)]
    pub async fn expire_heartbeats(
        &self,
        ctx: &Ctx,
        now: i64,
        (grace_ms, remove_after_ms): (i64, i64),
        max_removals: u64,
    ) -> Result<(u64, u64)> {
        let mut tx = self.begin(ctx).await?;
        let sql = format!(
            "SELECT {INSTANCE_COLUMNS} FROM service_instances WHERE source = 'heartbeat' \
             AND last_heartbeat_at + ttl_ms + $3 < $1 AND (status <> 'critical' OR last_heartbeat_at + ttl_ms + $2 < $1) \
             ORDER BY service_id, instance_id"
        );
        let due: Vec<InstanceRow> = sqlx::query(&sql)
            .bind(now)
            .bind(remove_after_ms)
            .bind(grace_ms)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(instance_from_row)
            .collect::<Result<_>>()?;
        if due.is_empty() {
            return Ok((0, 0));
        }
        let (mut critical, mut removed) = (0, 0);
        // Per service: what is announced, the instances turned critical, whether any went.
        let mut services: BTreeMap<String, (Vec<serde_json::Value>, Vec<&str>, bool)> = BTreeMap::new();
        for i in &due {
            let deadline = i.last_heartbeat_at.unwrap_or(0) + i.ttl_ms.unwrap_or(0);
            if deadline + remove_after_ms < now {
                if removed >= max_removals {
                    continue;
                }
                sqlx::query("DELETE FROM service_instances WHERE service_id = $1 AND instance_id = $2")
                    .bind(&i.service_id)
                    .bind(&i.instance.id)
                    .execute(&mut *tx)
                    .await?;
                removed += 1;
                let service = services.entry(i.service_id.clone()).or_default();
                service.0.push(serde_json::json!({"instance": i.instance.id, "removed": true}));
                service.2 = true;
            } else {
                sqlx::query(
                    "UPDATE service_instances SET status = 'critical', consecutive_successes = 0, \
                     consecutive_failures = consecutive_failures + 1, updated_at = $1 WHERE service_id = $2 AND instance_id = $3",
                )
                .bind(now)
                .bind(&i.service_id)
                .bind(&i.instance.id)
                .execute(&mut *tx)
                .await?;
                critical += 1;
                let service = services.entry(i.service_id.clone()).or_default();
                service.0.push(serde_json::json!({"instance": i.instance.id, "status": "critical"}));
                service.1.push(&i.instance.id);
            }
        }
        let announced = services
            .iter()
            .map(|(service_id, (details, turned, lost))| {
                let change = if *lost { InstancesChange::Lost } else { InstancesChange::States(turned) };
                HealthChange { service_id, change, details: serde_json::json!({"instances": details}) }
            })
            .collect();
        health_changed(&mut tx, ctx, announced).await?;
        tx.commit().await?;
        Ok((critical, removed))
    }

    /// Create a registered service's own account (in the `system` tenant)
    /// and link it to the registration, in one transaction: a failure
    /// leaves neither an account without its service nor the reverse.
    /// `account` = (name, description, roles); `credentials` = (client id,
    /// secret hash).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.create_service_credentials", skip_all)]
    pub async fn create_service_credentials(
        &self,
        ctx: &Ctx,
        (namespace, name): (&str, &str),
        account: (&str, &str, &[String]),
        credentials: (&str, &str),
    ) -> Result<()> {
        let mut tx = self.begin(ctx).await?;
        let row = service_by_key(&mut tx, namespace, name).await?;
        if row.service_account.is_some() {
            return Err(StoreError::Conflict(format!("service {namespace}/{name} has its account already")));
        }
        let system = plat_proto::SYSTEM_TENANT;
        crate::auth::insert_service_account(&mut tx, ctx, system, account, credentials, &Default::default()).await?;
        link_account(&mut tx, ctx, row, credentials.0).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The registration whose own account has `client_id`, if any.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.service_of_account", skip_all)]
    pub async fn service_of_account(&self, client_id: &str) -> Result<Option<ServiceRow>> {
        let sql = format!("SELECT {SERVICE_COLUMNS} FROM services WHERE service_account = $1");
        let row = sqlx::query(&sql).bind(client_id).fetch_optional(&self.read).await?;
        row.map(|r| service_from_row(&r)).transpose()
    }

    /// Forget deregistrations older than `before` (unix ms).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.purge_service_tombstones", skip_all)]
    pub async fn purge_service_tombstones(&self, before: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM service_tombstones WHERE deleted_at < $1")
            .bind(before)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected())
    }

    /// Take or renew the lease `name` for `holder` until `now + ttl_ms`:
    /// true when `holder` holds it afterwards. One holder at a time across
    /// replicas, on SQLite and PostgreSQL alike.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.try_lease", skip_all)]
    pub async fn try_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO leases (name, holder, expires_at, acquired_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(holder)
        .bind(now + ttl_ms)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let taken = sqlx::query(
            "UPDATE leases SET holder = $1, expires_at = $2, \
             acquired_at = CASE WHEN holder = $1 THEN acquired_at ELSE $3 END \
             WHERE name = $4 AND (holder = $1 OR expires_at < $3)",
        )
        .bind(holder)
        .bind(now + ttl_ms)
        .bind(now)
        .bind(name)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(taken.rows_affected() == 1)
    }

    /// Give the lease up at once (a clean shutdown hands over without waiting).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.release_lease", skip_all)]
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Who holds the lease `name`, and until when (unix ms), if anyone.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.lease_holder", skip_all)]
    pub async fn lease_holder(&self, name: &str) -> Result<Option<(String, i64)>> {
        let row = sqlx::query("SELECT holder, expires_at FROM leases WHERE name = $1 AND expires_at >= $2")
            .bind(name)
            .bind(now_ms())
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| Ok((get_str(&r, "holder")?, get_i64(&r, "expires_at")?))).transpose()
    }
}

/// Make `client_id` the service's own account: the service takes the next
/// clock value and `service.updated` is announced.
async fn link_account(conn: &mut AnyConnection, ctx: &Ctx, mut row: ServiceRow, client_id: &str) -> Result<()> {
    row.change_seq = tick(conn).await?;
    row.service_account = Some(client_id.to_owned());
    sqlx::query("UPDATE services SET service_account = $1, change_seq = $2 WHERE id = $3")
        .bind(client_id)
        .bind(row.change_seq)
        .bind(&row.id)
        .execute(&mut *conn)
        .await?;
    announce(conn, ctx, (&row, None), catalog::SERVICE_UPDATED, serde_json::json!({"service_account": client_id})).await
}
