//! Custom roles per tenant beside the built-in ones, and permission lookup.

use plat_domain::{BUILTIN_ROLES, ConditionalGrant, Conferral, PLATFORM_ADMIN, Refusal, builtin_role};
use plat_proto::catalog;
use plat_proto::{ConditionalPermission, Role, UpdateRole};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::outbox::{AuditOf, EventDraft, record_change};
use crate::tenants::{TenantRow, tenant_by_slug};
use crate::{Ctx, Result, Store, StoreError, get_i64, get_str, is_unique_violation, new_id, now_ms};

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
        permissions: crate::decode_json("roles.permissions", &get_str(row, "permissions")?)?,
        builtin: false,
        tenant: Some(tenant.to_owned()),
        conditions: crate::decode_json("roles.conditions", &get_str(row, "conditions")?)?,
    })
}

/// Permission patterns granted by `names` in the tenant with id
/// `tenant_id`; `NotFound` for the first name that is neither built in nor a
/// role of the tenant.
pub(crate) async fn role_permissions(
    conn: &mut AnyConnection,
    tenant_id: &str,
    names: &[String],
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for name in names {
        if let Some(builtin) = builtin_role(name) {
            out.extend(builtin.permissions.iter().map(|p| p.to_string()));
            continue;
        }
        let found: Option<String> =
            sqlx::query_scalar("SELECT permissions FROM roles WHERE tenant_id = $1 AND name = $2")
                .bind(tenant_id)
                .bind(name)
                .fetch_optional(&mut *conn)
                .await?;
        match found {
            Some(permissions) => out.extend(crate::decode_json::<Vec<String>>("roles.permissions", &permissions)?),
            None => return Err(StoreError::NotFound { kind: "role", name: name.clone() }),
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Permission patterns granted by `roles` now: a role deleted meanwhile
/// grants nothing (what a subject holds, unlike what is being handed out).
pub(crate) async fn live_permissions(
    conn: &mut AnyConnection,
    tenant_id: &str,
    roles: &[String],
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for role in roles {
        match role_permissions(conn, tenant_id, std::slice::from_ref(role)).await {
            Ok(permissions) => out.extend(permissions),
            Err(StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The conferral rule ([`plat_domain::may_confer`]) for the authority in `ctx`.
pub(crate) fn confer(ctx: &Ctx, what: &Conferral<'_>) -> Result<()> {
    plat_domain::may_confer(&ctx.authority, what).map_err(|refusal| match refusal {
        Refusal::Denied(reason) => StoreError::Forbidden(reason),
        Refusal::Invalid(invalid) => invalid.into(),
    })
}

/// The rule for taking a user's place ([`plat_domain::may_take_over`]):
/// setting their password or minting their token.
pub(crate) async fn take_over(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    tenant: &TenantRow,
    user: &crate::UserRecord,
) -> Result<()> {
    let target = crate::orgs::holdings(conn, tenant, user).await?;
    plat_domain::may_take_over(&ctx.authority, &target).map_err(|refusal| match refusal {
        Refusal::Denied(reason) => StoreError::Forbidden(reason),
        Refusal::Invalid(invalid) => invalid.into(),
    })
}

/// Check that the roles exist in `tenant` and that `ctx` may hand them out
/// there. Every path that sets roles calls this.
pub(crate) async fn confer_roles(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    tenant: &TenantRow,
    roles: &[String],
) -> Result<()> {
    let permissions = role_permissions(conn, &tenant.id, roles).await?;
    let platform_admin = roles.iter().any(|r| r == PLATFORM_ADMIN);
    confer(ctx, &Conferral { tenant: &tenant.tenant.slug, platform_admin, permissions: &permissions, at: None })
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
        data: crate::json_value(role)?,
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
        let mut tx = self.write.begin().await?;
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
        .bind(crate::json_text(permissions)?)
        .bind(now)
        .bind(crate::json_text(conditions)?)
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
        let mut tx = self.write.begin().await?;
        let tenant_row = tenant_by_slug(&mut tx, tenant).await?;
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
        .bind(crate::json_text(&role.permissions)?)
        .bind(version)
        .bind(now_ms())
        .bind(&id)
        .bind(crate::json_text(&role.conditions)?)
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
        let mut tx = self.write.begin().await?;
        let tenant_row = tenant_by_slug(&mut tx, tenant).await?;
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

    /// Permission patterns granted by `roles` in the tenant with id
    /// `tenant_id` (a role deleted meanwhile grants nothing).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.permissions_of", skip_all)]
    pub async fn permissions_of(&self, tenant_id: &str, roles: &[String]) -> Result<Vec<String>> {
        let mut conn = self.read.acquire().await?;
        live_permissions(&mut conn, tenant_id, roles).await
    }

    /// The conditional permissions of `roles` in the tenant with id
    /// `tenant_id` (built-in roles have none; unknown names are skipped, as
    /// [`Store::permissions_of`] does).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.conditional_grants", skip_all)]
    pub async fn conditional_grants(&self, tenant_id: &str, roles: &[String]) -> Result<Vec<ConditionalGrant>> {
        let custom: Vec<&String> = roles.iter().filter(|r| builtin_role(r).is_none()).collect();
        if custom.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.read.acquire().await?;
        let mut out = Vec::new();
        for role in custom {
            let found: Option<String> = sqlx::query_scalar(
                "SELECT conditions FROM roles WHERE tenant_id = $1 AND name = $2 AND conditions <> '[]'",
            )
            .bind(tenant_id)
            .bind(role)
            .fetch_optional(&mut *conn)
            .await?;
            let Some(text) = found else { continue };
            for c in crate::decode_json::<Vec<ConditionalPermission>>("roles.conditions", &text)? {
                let grant = ConditionalGrant::parse("roles.conditions", role, &c.permission, &c.when)
                    .map_err(|e| StoreError::Corrupt(format!("role {role}: {}", e.message)))?;
                out.push(grant);
            }
        }
        Ok(out)
    }

    /// Check that `ctx` may mint a token for a holder of `roles` in `tenant`.
    /// For a user (`user`), minting any token is taking the user's place, a
    /// scoped one too (a `self:update` scope sets their password): the
    /// take-over rule. For a service account, the token reaches `scope` when
    /// given, else everything the roles grant: the conferral rule.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.check_token_conferral", skip_all)]
    pub async fn check_token_conferral(
        &self,
        ctx: &Ctx,
        tenant: &str,
        roles: &[String],
        scope: Option<&[String]>,
        user: Option<&crate::UserRecord>,
    ) -> Result<()> {
        let mut conn = self.read.acquire().await?;
        let tenant_row = tenant_by_slug(&mut conn, tenant).await?;
        if let Some(user) = user {
            return take_over(&mut conn, ctx, &tenant_row, user).await;
        }
        let platform_admin = roles.iter().any(|r| r == PLATFORM_ADMIN);
        let permissions = match scope {
            Some(scope) => scope.to_vec(),
            None => role_permissions(&mut conn, &tenant_row.id, roles).await?,
        };
        confer(ctx, &Conferral { tenant, platform_admin, permissions: &permissions, at: None })
    }
}
