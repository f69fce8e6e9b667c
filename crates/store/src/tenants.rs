//! Tenants: creation, quota, suspend/resume, delete. The row and its lookup
//! by slug (`TenantRow`, `tenant_by_slug`) are in `rows`, for every module.

use plat_proto::catalog;
use plat_proto::{Page, PageParams, Tenant, TenantSecurity};
use sqlx::AnyConnection;

use crate::audit::AuditOf;
use crate::envelope::EventDraft;
use crate::outbox::record_change;
use crate::rows::{TENANT_COLUMNS, TenantRow, tenant_by_slug, tenant_from_row};
use crate::sql::{is_unique_violation, json_text, json_value, new_id, now_ms};
use crate::{Ctx, PageRequest, Result, Store, StoreError};

async fn tenant_changed(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    slug: &str,
    event_type: &'static plat_proto::catalog::EventType,
) -> Result<Tenant> {
    let row = tenant_by_slug(conn, slug).await?;
    let draft = EventDraft {
        event_type,
        tenant: slug,
        aggregate_id: &row.id,
        aggregate_version: row.version as u64,
        data: json_value(&row.tenant)?,
        extra_metadata: None,
    };
    let audit =
        AuditOf { action: None, target: format!("tenant:{slug}"), tenant: Some(slug), details: serde_json::json!({}) };
    record_change(conn, ctx, draft, audit).await?;
    Ok(row.tenant)
}

impl Store {
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.create_tenant", skip_all)]
    pub async fn create_tenant(&self, ctx: &Ctx, slug: &str, name: &str, max_users: Option<u64>) -> Result<Tenant> {
        plat_domain::validate_slug("slug", slug)?;
        plat_domain::validate_text("name", name, plat_proto::limits::TENANT_NAME)?;
        let mut tx = self.begin(ctx).await?;
        let now = now_ms();
        let inserted = sqlx::query(
            "INSERT INTO tenants (id, slug, name, status, max_users, user_count, version, created_at, updated_at) \
             VALUES ($1, $2, $3, 'active', $4, 0, 1, $5, $5)",
        )
        .bind(new_id())
        .bind(slug)
        .bind(name)
        .bind(max_users.map(|v| v as i64))
        .bind(now)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::AlreadyExists { kind: "tenant", name: slug.to_owned(), field: "slug" });
            }
            other => other?,
        };
        let tenant = tenant_changed(&mut tx, ctx, slug, catalog::TENANT_CREATED).await?;
        tx.commit().await?;
        Ok(tenant)
    }

    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.get_tenant", skip_all)]
    pub async fn get_tenant(&self, slug: &str) -> Result<TenantRow> {
        let mut conn = self.read.acquire().await?;
        tenant_by_slug(&mut conn, slug).await
    }

    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.list_tenants", skip_all)]
    pub async fn list_tenants(&self, params: &PageParams) -> Result<Page<Tenant>> {
        let page = PageRequest::new(params.page, params.page_size, params.cursor.as_deref(), params.limit)?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tenants").fetch_one(&self.read).await?;
        let rows = sqlx::query(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenants WHERE slug > $1 ORDER BY slug LIMIT $2 OFFSET $3"
        ))
        .bind(page.after.clone().unwrap_or_default())
        .bind(page.page_size as i64 + 1)
        .bind(page.offset())
        .fetch_all(&self.read)
        .await?;
        let mut items = Vec::new();
        for row in &rows {
            let tenant = tenant_from_row(row)?.tenant;
            items.push((tenant.slug.clone(), tenant));
        }
        Ok(page.finish(items, total as u64))
    }

    /// Change name and/or quota. `max_users: Some(None)` removes the quota.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.update_tenant", skip_all)]
    pub async fn update_tenant(
        &self,
        ctx: &Ctx,
        slug: &str,
        name: Option<&str>,
        max_users: Option<Option<u64>>,
        security: Option<&TenantSecurity>,
    ) -> Result<Tenant> {
        if let Some(name) = name {
            plat_domain::validate_text("name", name, plat_proto::limits::TENANT_NAME)?;
        }
        let mut tx = self.begin(ctx).await?;
        let current = tenant_by_slug(&mut tx, slug).await?;
        let security = security.map(|patch| current.tenant.security.patched(patch));
        if let Some(security) = &security {
            plat_domain::session::validate_security(security)?;
        }
        let new_max = match max_users {
            Some(v) => v.map(|v| v as i64),
            None => current.tenant.quotas.max_users.map(|v| v as i64),
        };
        let security = security.as_ref().unwrap_or(&current.tenant.security);
        let security = (*security != TenantSecurity::default()).then(|| json_text(security)).transpose()?;
        sqlx::query(
            "UPDATE tenants SET name = $1, max_users = $2, security = $3, version = version + 1, updated_at = $4 WHERE id = $5",
        )
        .bind(name.unwrap_or(&current.tenant.name).to_owned())
        .bind(new_max)
        .bind(security)
        .bind(now_ms())
        .bind(&current.id)
        .execute(&mut *tx)
        .await?;
        if max_users.is_some() {
            crate::quotas::users_changed(&mut tx, ctx, slug, 0, false).await?;
        }
        let tenant = tenant_changed(&mut tx, ctx, slug, catalog::TENANT_UPDATED).await?;
        tx.commit().await?;
        Ok(tenant)
    }

    /// Suspend (`suspended`) or resume (`active`) a tenant.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.set_tenant_status", skip_all)]
    pub async fn set_tenant_status(&self, ctx: &Ctx, slug: &str, suspend: bool) -> Result<Tenant> {
        let mut tx = self.begin(ctx).await?;
        let current = tenant_by_slug(&mut tx, slug).await?;
        let status = if suspend { "suspended" } else { "active" };
        if current.tenant.status == status {
            return Ok(current.tenant);
        }
        sqlx::query("UPDATE tenants SET status = $1, version = version + 1, updated_at = $2 WHERE id = $3")
            .bind(status)
            .bind(now_ms())
            .bind(&current.id)
            .execute(&mut *tx)
            .await?;
        let event = if suspend { catalog::TENANT_SUSPENDED } else { catalog::TENANT_RESUMED };
        let tenant = tenant_changed(&mut tx, ctx, slug, event).await?;
        tx.commit().await?;
        Ok(tenant)
    }

    /// Delete a tenant. Refused while it has users that are not deleted,
    /// unless `cascade`, which removes users, roles and service accounts too.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.delete_tenant", skip_all)]
    pub async fn delete_tenant(&self, ctx: &Ctx, slug: &str, cascade: bool) -> Result<()> {
        if slug == plat_proto::SYSTEM_TENANT {
            return Err(StoreError::Conflict("the system tenant cannot be deleted".into()));
        }
        let mut tx = self.begin(ctx).await?;
        let current = tenant_by_slug(&mut tx, slug).await?;
        let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND status <> 'deleted'")
            .bind(&current.id)
            .fetch_one(&mut *tx)
            .await?;
        if live > 0 && !cascade {
            return Err(StoreError::Conflict(format!(
                "tenant {slug:?} still has {live} users; delete them first or pass cascade=true"
            )));
        }
        if cascade {
            // Downstream copies must learn that every one of these users is gone.
            crate::users::announce_tenant_users_deleted(&mut tx, ctx, &current.id).await?;
        }
        sqlx::query("DELETE FROM tenants WHERE id = $1").bind(&current.id).execute(&mut *tx).await?;
        let mut snapshot = current.tenant.clone();
        snapshot.status = "deleted".into();
        let draft = EventDraft {
            event_type: catalog::TENANT_DELETED,
            tenant: slug,
            aggregate_id: &current.id,
            aggregate_version: current.version as u64 + 1,
            data: json_value(&snapshot)?,
            extra_metadata: None,
        };
        let details = serde_json::json!({"cascade": cascade, "users": live});
        let audit = AuditOf { action: None, target: format!("tenant:{slug}"), tenant: Some(slug), details };
        record_change(&mut tx, ctx, draft, audit).await?;
        tx.commit().await?;
        Ok(())
    }
}
