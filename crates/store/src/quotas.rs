//! Quotas (`docs/quotas.md`): any number of named resources per tenant,
//! each with a limit and a usage, checked, reserved, committed and released
//! by the services that consume them.
//!
//! A reservation, and the commit of one, is first tried as one conditional
//! `UPDATE` of the quota's row that cannot pass the limit ([`Store::reserve_quota`],
//! [`Store::commit_quota`]): it applies only while no reservation is due to
//! expire (`next_expiry`, the earliest expiry held, a lower bound) and the
//! period has not rolled over, which is nearly always. Otherwise — and for
//! every other change — the change locks the quota's row (PostgreSQL `FOR
//! UPDATE`; SQLite has one writer), then works on the row in memory: the
//! period's reset and the release of expired reservations first, then the
//! change, then the threshold signal ([`signal`]), then one write. Either
//! way usage never passes the limit, however many replicas and callers race
//! for the last units (`docs/quotas.md`, "What a reservation costs").
//!
//! `users` is the quota plat keeps itself (`tenants.max_users` and
//! `user_count`, taken in the same transaction as the users); it is read,
//! checked and limited here, and signalled by the same [`signal`].

use plat_domain::quota::{self as rules, USERS};
use plat_proto::{Quota, QuotaDecision, QuotaPeriod, QuotaReservation, SetQuota, SettleQuota};
use std::sync::LazyLock;

use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::audit::{AuditDraft, record_audit};
use crate::envelope::EventDraft;
use crate::outbox::record_event;
use crate::rows::{TenantRow, tenant_by_slug};
use crate::sql::{format_ms, get_i64, get_opt_i64, get_str, is_unique_violation, json_value, now_ms, parse_rfc3339_ms};
use crate::{Ctx, Result, Store, StoreError};

const QUOTA_COLUMNS: &str =
    "resource, quota_limit, used, reserved, period, period_start, level, updated_at, next_expiry";

/// The condition that a declared quota's period has not rolled over at the
/// time bound to its three placeholders, numbered from `first`
/// ([`bind_unrolled`] binds them): the start of the current hour, day and month.
fn unrolled(first: usize) -> String {
    format!(
        "(period = 'none' OR period_start >= CASE period WHEN 'hour' THEN ${} WHEN 'day' THEN ${} ELSE ${} END)",
        first,
        first + 1,
        first + 2
    )
}

fn bind_unrolled<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    now: i64,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let start = |period| rules::period_bounds(period, now).map_or(i64::MAX, |(start, _)| start);
    query.bind(start(QuotaPeriod::Hour)).bind(start(QuotaPeriod::Day)).bind(start(QuotaPeriod::Month))
}

/// A declared quota's row, as the change in hand sees it.
#[derive(Debug, Clone)]
struct Row {
    resource: String,
    limit: Option<u64>,
    used: u64,
    reserved: u64,
    period: QuotaPeriod,
    period_start: i64,
    level: u8,
    updated_at: i64,
    /// The earliest expiry among its reservations (a lower bound), if any.
    next_expiry: Option<i64>,
}

fn unsigned(value: i64) -> u64 {
    value.max(0) as u64
}

/// Amounts and limits are stored as BIGINT.
fn stored(field: &str, value: u64) -> Result<i64> {
    i64::try_from(value)
        .map_err(|_| StoreError::Invalid { field: field.into(), message: format!("must be at most {}", i64::MAX) })
}

fn row_from(row: &AnyRow) -> Result<Row> {
    let period = get_str(row, "period")?;
    Ok(Row {
        resource: get_str(row, "resource")?,
        limit: get_opt_i64(row, "quota_limit")?.map(unsigned),
        used: unsigned(get_i64(row, "used")?),
        reserved: unsigned(get_i64(row, "reserved")?),
        period: QuotaPeriod::parse(&period).ok_or_else(|| StoreError::Corrupt(format!("quota period {period:?}")))?,
        period_start: get_i64(row, "period_start")?,
        level: get_i64(row, "level")?.clamp(0, 100) as u8,
        updated_at: get_i64(row, "updated_at")?,
        next_expiry: get_opt_i64(row, "next_expiry")?,
    })
}

impl Row {
    /// `users`, as `tenants` keeps it.
    fn users(tenant: &TenantRow) -> Row {
        Row {
            resource: USERS.into(),
            limit: tenant.tenant.quotas.max_users,
            used: tenant.tenant.usage.users,
            reserved: 0,
            period: QuotaPeriod::None,
            period_start: 0,
            level: tenant.users_level,
            updated_at: parse_rfc3339_ms(&tenant.tenant.updated_at).unwrap_or(0),
            next_expiry: None,
        }
    }

    /// A new period starts usage from zero (and re-arms the thresholds).
    /// Whether anything changed.
    fn roll(&mut self, now: i64) -> bool {
        match rules::period_bounds(self.period, now) {
            Some((start, _)) if start > self.period_start => {
                self.period_start = start;
                self.used = 0;
                self.level = 0;
                true
            }
            _ => false,
        }
    }

    fn remaining(&self) -> Option<u64> {
        self.limit.map(|limit| limit.saturating_sub(self.used.saturating_add(self.reserved)))
    }

    /// Whether `amount` more fits beside what is used and held.
    fn fits(&self, amount: u64) -> bool {
        self.remaining().is_none_or(|left| amount <= left)
    }

    fn view(&self, now: i64) -> Quota {
        Quota {
            resource: self.resource.clone(),
            limit: self.limit,
            used: self.used,
            reserved: self.reserved,
            remaining: self.remaining(),
            period: self.period,
            resets_at: rules::period_bounds(self.period, now).map(|(_, next)| format_ms(next)),
            level: self.level,
            updated_at: format_ms(self.updated_at),
        }
    }
}

/// Move `row`'s signalled level after a change, announcing a threshold
/// crossed (`tenant.quota_warning`, `tenant.quota_exceeded`) in the change's
/// transaction. `refused`: the amount a refused request asked for. The
/// caller stores the new `row.level`.
async fn signal(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    tenant: &TenantRow,
    row: &mut Row,
    changed_by: u64,
    refused: bool,
) -> Result<()> {
    let (level, announce) = rules::next_level(row.level, row.used, row.limit, refused);
    row.level = level;
    let Some(threshold) = announce else { return Ok(()) };
    let mut metadata = serde_json::Map::new();
    metadata.insert("resource".into(), row.resource.clone().into());
    metadata.insert("limit".into(), row.limit.into());
    metadata.insert("used".into(), row.used.into());
    metadata.insert("reserved".into(), row.reserved.into());
    metadata.insert("requested".into(), changed_by.into());
    metadata.insert("threshold".into(), threshold.into());
    record_event(
        conn,
        ctx,
        EventDraft {
            event_type: rules::level_event(threshold),
            tenant: &tenant.tenant.slug,
            aggregate_id: &tenant.id,
            aggregate_version: tenant.version as u64,
            data: json_value(&tenant.tenant)?,
            extra_metadata: Some(metadata),
        },
    )
    .await?;
    Ok(())
}

/// After the users of a tenant changed in this transaction (or a create was
/// refused, `refused`): signal the `users` quota's threshold. The tenant
/// row is read again, after the change, under the change's lock.
pub(crate) async fn users_changed(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    slug: &str,
    changed_by: u64,
    refused: bool,
) -> Result<()> {
    let tenant = tenant_by_slug(conn, slug).await?;
    let mut row = Row::users(&tenant);
    let before = row.level;
    signal(conn, ctx, &tenant, &mut row, changed_by, refused).await?;
    if row.level != before {
        sqlx::query("UPDATE tenants SET users_level = $1 WHERE id = $2")
            .bind(i64::from(row.level))
            .bind(&tenant.id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

fn undeclared(resource: &str) -> StoreError {
    StoreError::NotFound { kind: "quota", name: resource.to_owned() }
}

/// Lock a declared quota for a change (`FOR UPDATE` on PostgreSQL; SQLite
/// has one writer): its period rolled and its expired reservations released.
async fn lock(conn: &mut AnyConnection, tenant: &TenantRow, resource: &str, now: i64) -> Result<Row> {
    let suffix = if conn.backend_name() == "PostgreSQL" { " FOR UPDATE" } else { "" };
    let found = sqlx::query(&format!(
        "SELECT {QUOTA_COLUMNS} FROM tenant_quotas WHERE tenant_id = $1 AND resource = $2{suffix}"
    ))
    .bind(&tenant.id)
    .bind(resource)
    .fetch_optional(&mut *conn)
    .await?;
    let mut row = row_from(&found.ok_or_else(|| undeclared(resource))?)?;
    row.roll(now);
    let expired: Vec<i64> = sqlx::query_scalar(
        "DELETE FROM quota_reservations WHERE tenant_id = $1 AND resource = $2 AND expires_at <= $3 RETURNING amount",
    )
    .bind(&tenant.id)
    .bind(resource)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    let freed: u64 = expired.into_iter().map(unsigned).sum();
    row.reserved = row.reserved.saturating_sub(freed);
    if row.next_expiry.is_some_and(|at| at <= now) {
        row.next_expiry =
            sqlx::query_scalar("SELECT MIN(expires_at) FROM quota_reservations WHERE tenant_id = $1 AND resource = $2")
                .bind(&tenant.id)
                .bind(resource)
                .fetch_one(&mut *conn)
                .await?;
    }
    Ok(row)
}

async fn save(conn: &mut AnyConnection, tenant: &TenantRow, row: &mut Row, now: i64) -> Result<()> {
    row.updated_at = now;
    sqlx::query(
        "UPDATE tenant_quotas SET quota_limit = $1, used = $2, reserved = $3, period = $4, period_start = $5, \
         level = $6, updated_at = $7, next_expiry = $8 WHERE tenant_id = $9 AND resource = $10",
    )
    .bind(row.limit.map(|l| stored("limit", l)).transpose()?)
    .bind(stored("used", row.used)?)
    .bind(stored("reserved", row.reserved)?)
    .bind(row.period.as_str())
    .bind(row.period_start)
    .bind(i64::from(row.level))
    .bind(now)
    .bind(row.next_expiry)
    .bind(&tenant.id)
    .bind(&row.resource)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What a commit of a reservation holding `held` uses: all of it, or
/// `amount` of it (never more).
fn used_of(held: u64, amount: Option<u64>) -> Result<u64> {
    match amount {
        Some(amount) if amount > held => Err(StoreError::Invalid {
            field: "amount".into(),
            message: format!("{amount} is more than the {held} the reservation holds"),
        }),
        Some(amount) => Ok(amount),
        None => Ok(held),
    }
}

/// Store a reservation `(id, tenant id, resource)` of `amount` until `expires_at`.
async fn insert_reservation(
    conn: &mut AnyConnection,
    (id, tenant_id, resource): (&str, &str, &str),
    amount: u64,
    expires_at: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO quota_reservations (id, tenant_id, resource, amount, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(resource)
    .bind(stored("amount", amount)?)
    .bind(expires_at)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// After a change made in one statement (`row` as it returned): move the
/// signalled level when the change crossed a threshold (rare), as
/// [`signal`] does for the others.
async fn relevel(conn: &mut AnyConnection, ctx: &Ctx, slug: &str, row: &mut Row, changed_by: u64) -> Result<()> {
    if rules::next_level(row.level, row.used, row.limit, false).0 == row.level {
        return Ok(());
    }
    let tenant = tenant_by_slug(conn, slug).await?;
    signal(conn, ctx, &tenant, row, changed_by, false).await?;
    sqlx::query("UPDATE tenant_quotas SET level = $1 WHERE tenant_id = $2 AND resource = $3")
        .bind(i64::from(row.level))
        .bind(&tenant.id)
        .bind(&row.resource)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Refuse `amount` that does not fit: the refusal is signalled (the
/// level and its event committed; nothing else changed) and returned as the
/// caller's error.
async fn refuse(
    mut tx: sqlx::Transaction<'_, sqlx::Any>,
    ctx: &Ctx,
    tenant: &TenantRow,
    mut row: Row,
    amount: u64,
    now: i64,
) -> Result<StoreError> {
    let refusal = StoreError::QuotaExceeded {
        tenant: tenant.tenant.slug.clone(),
        resource: row.resource.clone(),
        limit: row.limit.unwrap_or(0),
        remaining: row.remaining().unwrap_or(0),
    };
    signal(&mut tx, ctx, tenant, &mut row, amount, true).await?;
    save(&mut tx, tenant, &mut row, now).await?;
    tx.commit().await?;
    Ok(refusal)
}

fn users_take_no_reservations() -> StoreError {
    StoreError::Conflict(
        "plat counts the users quota itself, as users are created and deleted: it takes no reservations or commits"
            .into(),
    )
}

fn validate(resource: &str) -> Result<()> {
    Ok(rules::validate_resource("resource", resource)?)
}

fn positive(amount: u64) -> Result<()> {
    if amount == 0 {
        return Err(StoreError::Invalid { field: "amount".into(), message: "must be at least 1".into() });
    }
    stored("amount", amount).map(|_| ())
}

async fn audit(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    (tenant, resource): (&str, &str),
    action: &str,
    details: serde_json::Value,
) -> Result<()> {
    record_audit(
        conn,
        ctx,
        AuditDraft {
            action,
            target: format!("quota:{tenant}/{resource}"),
            tenant: Some(tenant),
            outcome: "success",
            details,
        },
    )
    .await
}

impl Store {
    /// A create or import of users was refused for the `users` quota
    /// (`requested` places): signalled in a transaction of its own, as the
    /// refused one rolled back. A failure is logged, never the caller's error.
    pub(crate) async fn users_refused(&self, ctx: &Ctx, slug: &str, requested: u64) {
        let write = async {
            let mut tx = self.begin(ctx).await?;
            // Refusals racing on PostgreSQL announce the crossing once.
            let lock = if tx.backend_name() == "PostgreSQL" { " FOR UPDATE" } else { "" };
            sqlx::query(&format!("SELECT id FROM tenants WHERE slug = $1{lock}"))
                .bind(slug)
                .fetch_optional(&mut *tx)
                .await?;
            users_changed(&mut tx, ctx, slug, requested, true).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        };
        if let Err(e) = write.await {
            tracing::warn!(tenant = slug, error = %e, "cannot signal the users quota");
        }
    }

    /// Every quota of a tenant: `users` first, then the declared ones by name.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.list_quotas", skip_all)]
    pub async fn list_quotas(&self, slug: &str) -> Result<Vec<Quota>> {
        let mut conn = self.read.acquire().await?;
        let tenant = tenant_by_slug(&mut conn, slug).await?;
        let now = now_ms();
        let rows =
            sqlx::query(&format!("SELECT {QUOTA_COLUMNS} FROM tenant_quotas WHERE tenant_id = $1 ORDER BY resource"))
                .bind(&tenant.id)
                .fetch_all(&mut *conn)
                .await?;
        let mut items = vec![Row::users(&tenant).view(now)];
        for row in &rows {
            let mut row = row_from(row)?;
            row.roll(now);
            items.push(row.view(now));
        }
        Ok(items)
    }

    /// One quota, as a change would see it now (a period passed reads as
    /// zero usage; reservations past their time are not held).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.get_quota", skip_all)]
    pub async fn get_quota(&self, slug: &str, resource: &str) -> Result<Quota> {
        let now = now_ms();
        Ok(self.current(slug, resource, now).await?.view(now))
    }

    /// A quota as a change would see it at `now`, in one statement: the
    /// period rolled, and what is held less the reservations past their
    /// time (summed only while one is due, which the row's `next_expiry` says).
    async fn current(&self, slug: &str, resource: &str, now: i64) -> Result<Row> {
        validate(resource)?;
        let mut conn = self.read.acquire().await?;
        if resource == USERS {
            return Ok(Row::users(&tenant_by_slug(&mut conn, slug).await?));
        }
        static CURRENT: LazyLock<String> = LazyLock::new(|| {
            let columns = QUOTA_COLUMNS.split(", ").map(|c| format!("q.{c}")).collect::<Vec<_>>().join(", ");
            format!(
                "SELECT {columns}, CASE WHEN q.next_expiry <= $1 THEN (SELECT CAST(COALESCE(SUM(r.amount), 0) AS BIGINT) \
                 FROM quota_reservations r WHERE r.tenant_id = q.tenant_id AND r.resource = q.resource \
                 AND r.expires_at <= $2) ELSE 0 END AS expired \
                 FROM tenant_quotas q JOIN tenants t ON t.id = q.tenant_id WHERE t.slug = $3 AND q.resource = $4"
            )
        });
        let found = sqlx::query(CURRENT.as_str())
            .bind(now)
            .bind(now)
            .bind(slug)
            .bind(resource)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(found) = found else {
            // Which one is missing: the tenant, or its quota.
            tenant_by_slug(&mut conn, slug).await?;
            return Err(undeclared(resource));
        };
        let mut row = row_from(&found)?;
        row.roll(now);
        row.reserved = row.reserved.saturating_sub(unsigned(get_i64(&found, "expired")?));
        Ok(row)
    }

    /// Would `amount` more fit? Reads only: nothing is held.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.check_quota", skip_all)]
    pub async fn check_quota(&self, slug: &str, resource: &str, amount: u64) -> Result<QuotaDecision> {
        positive(amount)?;
        let now = now_ms();
        let row = self.current(slug, resource, now).await?;
        Ok(QuotaDecision { allowed: row.fits(amount), amount, remaining: row.remaining(), quota: row.view(now) })
    }

    /// Declare a quota or change its limit, period or usage. `users` takes
    /// only a limit (`tenants.max_users`, a `tenant.updated` event).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.set_quota", skip_all)]
    pub async fn set_quota(&self, ctx: &Ctx, slug: &str, resource: &str, req: &SetQuota) -> Result<Quota> {
        validate(resource)?;
        if let Some(limit) = req.limit {
            stored("limit", limit)?;
        }
        if let Some(used) = req.used {
            stored("used", used)?;
        }
        if resource == USERS {
            if req.used.is_some() || req.period.is_some_and(|p| p != QuotaPeriod::None) {
                return Err(StoreError::Invalid {
                    field: if req.used.is_some() { "used" } else { "period" }.into(),
                    message: "the users quota takes only a limit: plat counts its users".into(),
                });
            }
            self.update_tenant(ctx, slug, None, Some(req.limit), None).await?;
            return self.get_quota(slug, resource).await;
        }
        let mut tx = self.begin(ctx).await?;
        let tenant = tenant_by_slug(&mut tx, slug).await?;
        let now = now_ms();
        let mut row = match lock(&mut tx, &tenant, resource, now).await {
            Ok(row) => row,
            Err(StoreError::NotFound { .. }) => {
                let declared: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tenant_quotas WHERE tenant_id = $1")
                    .bind(&tenant.id)
                    .fetch_one(&mut *tx)
                    .await?;
                if declared as usize >= plat_proto::limits::QUOTAS {
                    return Err(StoreError::Conflict(format!(
                        "tenant {slug:?} has {} quotas, the most it may declare; delete one first",
                        plat_proto::limits::QUOTAS
                    )));
                }
                let period = req.period.unwrap_or_default();
                let start = rules::period_bounds(period, now).map_or(0, |(start, _)| start);
                // A racing declaration of the same resource loses on the primary key.
                sqlx::query(
                    "INSERT INTO tenant_quotas (tenant_id, resource, quota_limit, used, reserved, period, period_start, level, updated_at) \
                     VALUES ($1, $2, NULL, 0, 0, $3, $4, 0, $5)",
                )
                .bind(&tenant.id)
                .bind(resource)
                .bind(period.as_str())
                .bind(start)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        StoreError::Conflict(format!("quota {resource:?} was declared meanwhile; retry"))
                    } else {
                        e.into()
                    }
                })?;
                lock(&mut tx, &tenant, resource, now).await?
            }
            Err(e) => return Err(e),
        };
        row.limit = req.limit;
        if let Some(period) = req.period
            && period != row.period
        {
            row.period = period;
            row.period_start = rules::period_bounds(period, now).map_or(0, |(start, _)| start);
        }
        if let Some(used) = req.used {
            row.used = used;
        }
        signal(&mut tx, ctx, &tenant, &mut row, 0, false).await?;
        save(&mut tx, &tenant, &mut row, now).await?;
        let details =
            serde_json::json!({"resource": resource, "limit": row.limit, "period": row.period, "used": req.used});
        audit(&mut tx, ctx, (slug, resource), "quota.set", details).await?;
        tx.commit().await?;
        Ok(row.view(now))
    }

    /// Forget a declared quota with its reservations.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.delete_quota", skip_all)]
    pub async fn delete_quota(&self, ctx: &Ctx, slug: &str, resource: &str) -> Result<()> {
        validate(resource)?;
        if resource == USERS {
            return Err(StoreError::Conflict(
                "the users quota cannot be deleted; set its limit to null for no limit".into(),
            ));
        }
        let mut tx = self.begin(ctx).await?;
        let tenant = tenant_by_slug(&mut tx, slug).await?;
        let deleted = sqlx::query("DELETE FROM tenant_quotas WHERE tenant_id = $1 AND resource = $2")
            .bind(&tenant.id)
            .bind(resource)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(undeclared(resource));
        }
        sqlx::query("DELETE FROM quota_reservations WHERE tenant_id = $1 AND resource = $2")
            .bind(&tenant.id)
            .bind(resource)
            .execute(&mut *tx)
            .await?;
        audit(&mut tx, ctx, (slug, resource), "quota.delete", serde_json::json!({"resource": resource})).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Hold `amount` for `ttl`: refused (`QuotaExceeded`) when it does not
    /// fit beside what is used and held.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.reserve_quota", skip_all)]
    pub async fn reserve_quota(
        &self,
        ctx: &Ctx,
        slug: &str,
        resource: &str,
        amount: u64,
        ttl: std::time::Duration,
    ) -> Result<QuotaReservation> {
        validate(resource)?;
        positive(amount)?;
        if resource == USERS {
            return Err(users_take_no_reservations());
        }
        let now = now_ms();
        let id = format!("rsv_{}", uuid::Uuid::now_v7().simple());
        let expires_at = now.saturating_add(ttl.as_millis().min(i64::MAX as u128) as i64);
        let mut tx = self.begin(ctx).await?;
        // At once: one conditional update, while nothing is due and the period holds.
        static RESERVE: LazyLock<String> = LazyLock::new(|| {
            format!(
                "UPDATE tenant_quotas SET reserved = reserved + $1, \
                 next_expiry = CASE WHEN next_expiry IS NULL OR next_expiry > $2 THEN $3 ELSE next_expiry END, \
                 updated_at = $4 WHERE tenant_id = (SELECT id FROM tenants WHERE slug = $5) AND resource = $6 \
                 AND (quota_limit IS NULL OR $7 <= quota_limit - used - reserved) \
                 AND (next_expiry IS NULL OR next_expiry > $8) AND {} RETURNING tenant_id, {QUOTA_COLUMNS}",
                unrolled(9)
            )
        });
        let at_once = sqlx::query(RESERVE.as_str())
            .bind(stored("amount", amount)?)
            .bind(expires_at)
            .bind(expires_at)
            .bind(now)
            .bind(slug)
            .bind(resource)
            .bind(stored("amount", amount)?);
        if let Some(found) = bind_unrolled(at_once.bind(now), now).fetch_optional(&mut *tx).await? {
            let tenant_id = get_str(&found, "tenant_id")?;
            let row = row_from(&found)?;
            insert_reservation(&mut tx, (&id, &tenant_id, resource), amount, expires_at, now).await?;
            tx.commit().await?;
            let quota = row.view(now);
            return Ok(QuotaReservation {
                id,
                resource: resource.to_owned(),
                amount,
                expires_at: format_ms(expires_at),
                quota,
            });
        }
        let tenant = tenant_by_slug(&mut tx, slug).await?;
        let mut row = lock(&mut tx, &tenant, resource, now).await?;
        if !row.fits(amount) {
            return Err(refuse(tx, ctx, &tenant, row, amount, now).await?);
        }
        row.reserved += amount;
        row.next_expiry = Some(row.next_expiry.map_or(expires_at, |at| at.min(expires_at)));
        insert_reservation(&mut tx, (&id, &tenant.id, resource), amount, expires_at, now).await?;
        save(&mut tx, &tenant, &mut row, now).await?;
        tx.commit().await?;
        Ok(QuotaReservation {
            id,
            resource: resource.to_owned(),
            amount,
            expires_at: format_ms(expires_at),
            quota: row.view(now),
        })
    }

    /// Take a reservation out of the quota (its amount, or `None`: gone or expired).
    async fn settle(conn: &mut AnyConnection, tenant: &TenantRow, row: &mut Row, reservation: &str) -> Result<u64> {
        let held: Option<i64> = sqlx::query_scalar(
            "DELETE FROM quota_reservations WHERE id = $1 AND tenant_id = $2 AND resource = $3 RETURNING amount",
        )
        .bind(reservation)
        .bind(&tenant.id)
        .bind(&row.resource)
        .fetch_optional(&mut *conn)
        .await?;
        let held = held.map(unsigned).ok_or_else(|| StoreError::NotFound {
            kind: "reservation (settled or expired)",
            name: reservation.to_owned(),
        })?;
        row.reserved = row.reserved.saturating_sub(held);
        Ok(held)
    }

    /// Make usage of a reservation (all of it, or `amount` of it, giving
    /// the rest back), or of `amount` at once (refused past the limit).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.commit_quota", skip_all)]
    pub async fn commit_quota(&self, ctx: &Ctx, slug: &str, resource: &str, req: &SettleQuota) -> Result<Quota> {
        validate(resource)?;
        if req.reservation.is_none() && req.amount.is_none() {
            return Err(StoreError::Invalid {
                field: "reservation".into(),
                message: "give a reservation to commit, or an amount to use at once".into(),
            });
        }
        if let Some(amount) = req.amount {
            positive(amount)?;
        }
        if resource == USERS {
            return Err(users_take_no_reservations());
        }
        let now = now_ms();
        if let Some(reservation) = &req.reservation
            && let Some(quota) = self.commit_at_once(ctx, slug, resource, reservation, req.amount, now).await?
        {
            return Ok(quota);
        }
        let mut tx = self.begin(ctx).await?;
        let tenant = tenant_by_slug(&mut tx, slug).await?;
        let mut row = lock(&mut tx, &tenant, resource, now).await?;
        let used = match (&req.reservation, req.amount) {
            (Some(reservation), amount) => {
                let held = Self::settle(&mut tx, &tenant, &mut row, reservation).await?;
                used_of(held, amount)?
            }
            (None, Some(amount)) => {
                if !row.fits(amount) {
                    return Err(refuse(tx, ctx, &tenant, row, amount, now).await?);
                }
                amount
            }
            (None, None) => unreachable!("refused above"),
        };
        row.used = row.used.saturating_add(used);
        signal(&mut tx, ctx, &tenant, &mut row, used, false).await?;
        save(&mut tx, &tenant, &mut row, now).await?;
        tx.commit().await?;
        Ok(row.view(now))
    }

    /// Commit a reservation in two statements — take it out, then add what
    /// is used — while it is not due and the period holds; `None` when the
    /// locked path must decide (nothing changed then).
    async fn commit_at_once(
        &self,
        ctx: &Ctx,
        slug: &str,
        resource: &str,
        reservation: &str,
        amount: Option<u64>,
        now: i64,
    ) -> Result<Option<Quota>> {
        let mut tx = self.begin(ctx).await?;
        if tx.backend_name() == "PostgreSQL" {
            // The quota's row before its reservation's, as every other change
            // of a quota locks them: the other order could deadlock with a
            // release, a sweep or a delete of the quota.
            sqlx::query(
                "SELECT resource FROM tenant_quotas WHERE tenant_id = (SELECT id FROM tenants WHERE slug = $1) \
                 AND resource = $2 FOR UPDATE",
            )
            .bind(slug)
            .bind(resource)
            .fetch_optional(&mut *tx)
            .await?;
        }
        let held: Option<i64> = sqlx::query_scalar(
            "DELETE FROM quota_reservations WHERE id = $1 AND tenant_id = (SELECT id FROM tenants WHERE slug = $2) \
             AND resource = $3 AND expires_at > $4 RETURNING amount",
        )
        .bind(reservation)
        .bind(slug)
        .bind(resource)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(held) = held.map(unsigned) else { return Ok(None) };
        let used = used_of(held, amount)?;
        static COMMIT: LazyLock<String> = LazyLock::new(|| {
            format!(
                "UPDATE tenant_quotas SET used = used + $1, \
                 reserved = CASE WHEN reserved > $2 THEN reserved - $3 ELSE 0 END, updated_at = $4 \
                 WHERE tenant_id = (SELECT id FROM tenants WHERE slug = $5) AND resource = $6 AND {} \
                 RETURNING {QUOTA_COLUMNS}",
                unrolled(7)
            )
        });
        let update = sqlx::query(COMMIT.as_str())
            .bind(stored("amount", used)?)
            .bind(stored("amount", held)?)
            .bind(stored("amount", held)?)
            .bind(now)
            .bind(slug)
            .bind(resource);
        let Some(found) = bind_unrolled(update, now).fetch_optional(&mut *tx).await? else {
            return Ok(None);
        };
        let mut row = row_from(&found)?;
        relevel(&mut tx, ctx, slug, &mut row, used).await?;
        tx.commit().await?;
        Ok(Some(row.view(now)))
    }

    /// Give back a reservation's held amount, or `amount` of usage.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.release_quota", skip_all)]
    pub async fn release_quota(&self, ctx: &Ctx, slug: &str, resource: &str, req: &SettleQuota) -> Result<Quota> {
        validate(resource)?;
        match (&req.reservation, req.amount) {
            (Some(_), Some(_)) => {
                return Err(StoreError::Invalid {
                    field: "amount".into(),
                    message: "a reservation is released whole; give either reservation or amount".into(),
                });
            }
            (None, None) => {
                return Err(StoreError::Invalid {
                    field: "reservation".into(),
                    message: "give a reservation to release, or an amount of usage to give back".into(),
                });
            }
            (None, Some(amount)) => positive(amount)?,
            (Some(_), None) => {}
        }
        if resource == USERS {
            return Err(users_take_no_reservations());
        }
        let mut tx = self.begin(ctx).await?;
        let tenant = tenant_by_slug(&mut tx, slug).await?;
        let now = now_ms();
        let mut row = lock(&mut tx, &tenant, resource, now).await?;
        match (&req.reservation, req.amount) {
            (Some(reservation), _) => {
                Self::settle(&mut tx, &tenant, &mut row, reservation).await?;
            }
            (None, Some(amount)) => {
                if amount > row.used {
                    return Err(StoreError::Conflict(format!(
                        "cannot give back {amount} {resource}: only {} are used",
                        row.used
                    )));
                }
                row.used -= amount;
            }
            (None, None) => unreachable!("refused above"),
        }
        signal(&mut tx, ctx, &tenant, &mut row, 0, false).await?;
        save(&mut tx, &tenant, &mut row, now).await?;
        tx.commit().await?;
        Ok(row.view(now))
    }
}
