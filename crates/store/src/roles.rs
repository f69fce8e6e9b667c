//! Custom roles per tenant beside the built-in ones. What roles grant, and
//! who may hand them out, is `authority`'s.

use plat_domain::{BUILTIN_ROLES, ConditionalGrant, Conferral, builtin_role};
use plat_proto::catalog;
use plat_proto::{ConditionalPermission, Role, UpdateRole};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::audit::AuditOf;
use crate::authority::{confer, lock_reach};
use crate::envelope::EventDraft;
use crate::outbox::record_change;
use crate::rows::tenant_by_slug;
use crate::sql::{decode_json, get_i64, get_str, is_unique_violation, json_text, json_value, new_id, now_ms};
use crate::{Ctx, Result, Store, StoreError};

fn builtin_as_role(name: &str) -> Option<Role> {
    builtin_role(name).map(|b| Role {
        name: b.name.to_owned(),
        description: b.description.to_owned(),
        permissions: b.permissions.iter().map(|p| p.to_string()).collect(),
        builtin: true,
        tenant: None,
        conditions: Vec::new(),
    })
}

/// What [`role_from_row`] reads.
const ROLE_COLUMNS: &str = "name, description, permissions, conditions";

fn role_from_row(row: &AnyRow, tenant: &str) -> Result<Role> {
    Ok(Role {
        name: get_str(row, "name")?,
        description: get_str(row, "description")?,
        permissions: decode_json("roles.permissions", &get_str(row, "permissions")?)?,
        builtin: false,
        tenant: Some(tenant.to_owned()),
        conditions: decode_json("roles.conditions", &get_str(row, "conditions")?)?,
    })
}

fn validate_permissions(permissions: &[String]) -> Result<()> {
    for p in permissions {
        plat_domain::validate_permission("permissions", p)?;
    }
    Ok(())
}

/// Each conditional permission's form and condition, errors naming the entry.
fn validate_conditions(role: &str, conditions: &[ConditionalPermission]) -> Result<()> {
    for (i, c) in conditions.iter().enumerate() {
        plat_domain::validate_permission(&format!("conditions[{i}].permission"), &c.permission)?;
        ConditionalGrant::parse(&format!("conditions[{i}].when"), role, &c.permission, &c.when)?;
    }
    Ok(())
}

/// The permissions a role's holders gain: outright and on condition alike
/// (the conferral rule weighs both).
fn granted(permissions: &[String], conditions: &[ConditionalPermission]) -> Vec<String> {
    permissions.iter().cloned().chain(conditions.iter().map(|c| c.permission.clone())).collect()
}

async fn role_changed(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    tenant: &str,
    (role, id, version): (&Role, &str, i64),
    event_type: &'static catalog::EventType,
) -> Result<()> {
    let draft = EventDraft {
        event_type,
        tenant,
        aggregate_id: id,
        aggregate_version: version as u64,
        data: json_value(role)?,
        extra_metadata: None,
    };
    let target = format!("role:{}", role.name);
    let audit = AuditOf { action: None, target, tenant: Some(tenant), details: serde_json::json!({}) };
    record_change(conn, ctx, draft, audit).await?;
    Ok(())
}

impl Store {
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.create_role", skip_all)]
    pub async fn create_role(
        &self,
        ctx: &Ctx,
        tenant: &str,
        name: &str,
        description: &str,
        (permissions, conditions): (&[String], &[ConditionalPermission]),
    ) -> Result<Role> {
        plat_domain::validate_name("name", name)?;
        plat_domain::validate_text("description", description, plat_proto::limits::DESCRIPTION)?;
        validate_permissions(permissions)?;
        validate_conditions(name, conditions)?;
        if builtin_role(name).is_some() {
            return Err(StoreError::AlreadyExists { kind: "role", name: name.to_owned(), field: "name" });
        }
        let mut tx = self.begin(ctx).await?;
        let tenant_row = tenant_by_slug(&mut tx, tenant).await?;
        let conferred = granted(permissions, conditions);
        confer(ctx, &Conferral { tenant, platform_admin: false, permissions: &conferred, at: None })?;
        let id = new_id();
        let now = now_ms();
        let inserted = sqlx::query(
            "INSERT INTO roles (id, tenant_id, name, description, permissions, version, created_at, updated_at, conditions) \
             VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $7)",
        )
        .bind(&id)
        .bind(&tenant_row.id)
        .bind(name)
        .bind(description)
        .bind(json_text(permissions)?)
        .bind(now)
        .bind(json_text(conditions)?)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::AlreadyExists { kind: "role", name: name.to_owned(), field: "name" });
            }
            other => other?,
        };
        let role = Role {
            name: name.to_owned(),
            description: description.to_owned(),
            permissions: permissions.to_vec(),
            builtin: false,
            tenant: Some(tenant.to_owned()),
            conditions: conditions.to_vec(),
        };
        role_changed(&mut tx, ctx, tenant, (&role, &id, 1), catalog::ROLE_CREATED).await?;
        tx.commit().await?;
        Ok(role)
    }

    /// Built-in roles, then the tenant's own, by name.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.list_roles", skip_all)]
    pub async fn list_roles(&self, tenant: &str) -> Result<Vec<Role>> {
        let mut conn = self.read.acquire().await?;
        let tenant_row = tenant_by_slug(&mut conn, tenant).await?;
        let mut roles: Vec<Role> = BUILTIN_ROLES.iter().filter_map(|b| builtin_as_role(b.name)).collect();
        let rows = sqlx::query(&format!("SELECT {ROLE_COLUMNS} FROM roles WHERE tenant_id = $1 ORDER BY name"))
            .bind(&tenant_row.id)
            .fetch_all(&mut *conn)
            .await?;
        for row in rows {
            roles.push(role_from_row(&row, tenant)?);
        }
        Ok(roles)
    }

    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.get_role", skip_all)]
    pub async fn get_role(&self, tenant: &str, name: &str) -> Result<Role> {
        if let Some(role) = builtin_as_role(name) {
            return Ok(role);
        }
        let mut conn = self.read.acquire().await?;
        let tenant_row = tenant_by_slug(&mut conn, tenant).await?;
        let row = sqlx::query(&format!("SELECT {ROLE_COLUMNS} FROM roles WHERE tenant_id = $1 AND name = $2"))
            .bind(&tenant_row.id)
            .bind(name)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| StoreError::NotFound { kind: "role", name: name.to_owned() })?;
        role_from_row(&row, tenant)
    }

    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.update_role", skip_all)]
    pub async fn update_role(&self, ctx: &Ctx, tenant: &str, name: &str, update: &UpdateRole) -> Result<Role> {
        if builtin_role(name).is_some() {
            return Err(StoreError::Conflict(format!("built-in role {name:?} cannot be changed")));
        }
        let mut tx = self.begin(ctx).await?;
        let tenant_row = tenant_by_slug(&mut tx, tenant).await?;
        lock_reach(&mut tx, &tenant_row).await?;
        let row =
            sqlx::query(&format!("SELECT id, version, {ROLE_COLUMNS} FROM roles WHERE tenant_id = $1 AND name = $2"))
                .bind(&tenant_row.id)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound { kind: "role", name: name.to_owned() })?;
        let mut role = role_from_row(&row, tenant)?;
        let id = get_str(&row, "id")?;
        let version = get_i64(&row, "version")? + 1;
        if let Some(description) = &update.description {
            plat_domain::validate_text("description", description, plat_proto::limits::DESCRIPTION)?;
            role.description = description.clone();
        }
        if let Some(permissions) = &update.permissions {
            role.permissions = permissions.clone();
        }
        for p in &update.add_permissions {
            if !role.permissions.contains(p) {
                role.permissions.push(p.clone());
            }
        }
        role.permissions.retain(|p| !update.remove_permissions.contains(p));
        validate_permissions(&role.permissions)?;
        if let Some(conditions) = &update.conditions {
            validate_conditions(name, conditions)?;
            role.conditions = conditions.clone();
        }
        // Holders gain what is added, outright or on condition: the caller must hold it.
        let before = role_from_row(&row, tenant)?;
        let before = granted(&before.permissions, &before.conditions);
        let added: Vec<String> =
            granted(&role.permissions, &role.conditions).into_iter().filter(|p| !before.contains(p)).collect();
        confer(ctx, &Conferral { tenant, platform_admin: false, permissions: &added, at: None })?;
        sqlx::query(
            "UPDATE roles SET description = $1, permissions = $2, version = $3, updated_at = $4, conditions = $6 \
             WHERE id = $5",
        )
        .bind(&role.description)
        .bind(json_text(&role.permissions)?)
        .bind(version)
        .bind(now_ms())
        .bind(&id)
        .bind(json_text(&role.conditions)?)
        .execute(&mut *tx)
        .await?;
        role_changed(&mut tx, ctx, tenant, (&role, &id, version), catalog::ROLE_UPDATED).await?;
        tx.commit().await?;
        Ok(role)
    }

    /// Delete a custom role; refused while anyone holds it (on an
    /// organization too).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.delete_role", skip_all)]
    pub async fn delete_role(&self, ctx: &Ctx, tenant: &str, name: &str) -> Result<()> {
        if builtin_role(name).is_some() {
            return Err(StoreError::Conflict(format!("built-in role {name:?} cannot be deleted")));
        }
        let mut tx = self.begin(ctx).await?;
        let tenant_row = tenant_by_slug(&mut tx, tenant).await?;
        lock_reach(&mut tx, &tenant_row).await?;
        let row =
            sqlx::query(&format!("SELECT id, version, {ROLE_COLUMNS} FROM roles WHERE tenant_id = $1 AND name = $2"))
                .bind(&tenant_row.id)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound { kind: "role", name: name.to_owned() })?;
        let holders: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM user_roles r JOIN users u ON u.id = r.user_id WHERE u.tenant_id = $1 AND r.role = $2",
        )
        .bind(&tenant_row.id)
        .bind(name)
        .fetch_one(&mut *tx)
        .await?;
        let accounts: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM service_accounts WHERE tenant_id = $1 AND roles LIKE $2")
                .bind(&tenant_row.id)
                .bind(format!("%\"{name}\"%"))
                .fetch_one(&mut *tx)
                .await?;
        let on_orgs: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM organization_roles r JOIN organizations o ON o.id = r.org_id \
             WHERE o.tenant_id = $1 AND r.role = $2",
        )
        .bind(&tenant_row.id)
        .bind(name)
        .fetch_one(&mut *tx)
        .await?;
        let holders = holders + accounts + on_orgs;
        if holders > 0 {
            return Err(StoreError::Conflict(format!(
                "role {name:?} is held by {holders} users or service accounts; revoke it first"
            )));
        }
        let role = role_from_row(&row, tenant)?;
        let id = get_str(&row, "id")?;
        sqlx::query("DELETE FROM roles WHERE id = $1").bind(&id).execute(&mut *tx).await?;
        let version = get_i64(&row, "version")? + 1;
        role_changed(&mut tx, ctx, tenant, (&role, &id, version), catalog::ROLE_DELETED).await?;
        tx.commit().await?;
        Ok(())
    }
}
