//! Authority: who may hand out what, and what a user holds. The conferral
//! rule (`plat_domain::may_confer`) through [`confer`] and [`confer_roles`],
//! the take-over rule through [`take_over`], what roles grant
//! ([`role_permissions`], [`live_permissions`]) and what a user holds
//! ([`holdings`]: their roles and their roles on organizations) and where
//! they lie (`Store::standing`). `users`, `roles`, `orgs` and `auth` all ask
//! it; it asks none of them, only the stored rows (`rows`).

use plat_domain::{ConditionalGrant, Conferral, OrgGrant, PLATFORM_ADMIN, Refusal, Subject, builtin_role};
use plat_proto::{ConditionalPermission, OrgRole, limits};
use sqlx::AnyConnection;

use crate::rows::{ORG_COLUMNS, OrgRow, TenantRow, UserRecord, names_of, org_from, tenant_by_slug};
use crate::sql::{decode_json, format_ms, get_i64, get_str};
use crate::{Ctx, Result, Store, StoreError};

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
            Some(permissions) => out.extend(decode_json::<Vec<String>>("roles.permissions", &permissions)?),
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

/// The rule for taking a user's place ([`plat_domain::may_take_over`]):
/// setting their password or minting their token.
pub(crate) async fn take_over(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    tenant: &TenantRow,
    user: &UserRecord,
) -> Result<()> {
    let target = holdings(conn, tenant, user).await?;
    plat_domain::may_take_over(&ctx.authority, &target).map_err(|refusal| match refusal {
        Refusal::Denied(reason) => StoreError::Forbidden(reason),
        Refusal::Invalid(invalid) => invalid.into(),
    })
}

/// What a user holds, as a [`Subject`]: their roles' permissions and their
/// roles on organizations (`plat_domain::may_take_over` weighs it).
pub(crate) async fn holdings(conn: &mut AnyConnection, tenant: &TenantRow, user: &UserRecord) -> Result<Subject> {
    Ok(Subject {
        tenant: tenant.tenant.slug.clone(),
        roles: user.user.roles.clone(),
        permissions: live_permissions(conn, &tenant.id, &user.user.roles).await?,
        scope: None,
        orgs: grants_of(conn, &tenant.id, &user.user.id).await?,
    })
}

/// The roles a user holds on organizations, each with what it grants now
/// (a custom role deleted meanwhile grants nothing).
async fn grants_of(conn: &mut AnyConnection, tenant_id: &str, user_id: &str) -> Result<Vec<OrgGrant>> {
    let sql = format!(
        "SELECT {ORG_COLUMNS}, {ORG_ROLE_SELECT} FROM organization_roles r \
         JOIN organizations o ON o.id = r.org_id JOIN users u ON u.id = r.user_id \
         WHERE r.user_id = $1 ORDER BY o.path, r.role LIMIT {}",
        limits::USER_ORG_ROLES + 1
    );
    let (rows, more) = org_roles_of(conn, &sql, &[user_id], limits::USER_ORG_ROLES).await?;
    if more {
        // Never decide on part of what someone holds (grants are refused past the bound).
        return Err(StoreError::Corrupt(format!(
            "user {user_id} holds more than {} roles on organizations",
            limits::USER_ORG_ROLES
        )));
    }
    let mut out = Vec::with_capacity(rows.len());
    for (org, view) in rows {
        let permissions = match role_permissions(conn, tenant_id, std::slice::from_ref(&view.role)).await {
            Ok(permissions) => permissions,
            Err(StoreError::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        out.push(OrgGrant { path: org.path, name: view.organization, role: view.role, permissions });
    }
    Ok(out)
}

/// Where a user lies: the stored paths of the organizations they are a
/// direct member of, in tree order.
async fn member_paths(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT o.path FROM organization_members m JOIN organizations o ON o.id = m.org_id WHERE m.user_id = $1 \
         ORDER BY o.path",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// What the role rows of [`org_roles_of`] select.
pub(crate) const ORG_ROLE_SELECT: &str = "r.user_id, r.role, r.created_at AS granted_at, u.username";

/// The roles granted on organizations (the rows `sql` selects: `r.*`,
/// `o.path`, `u.username`), as the wire form, in tree order; at most `cap`,
/// and whether there were more.
pub(crate) async fn org_roles_of(
    conn: &mut AnyConnection,
    sql: &str,
    binds: &[&str],
    cap: usize,
) -> Result<(Vec<(OrgRow, OrgRole)>, bool)> {
    let mut query = sqlx::query(sql);
    for bind in binds {
        query = query.bind(*bind);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    let truncated = rows.len() > cap;
    let mut orgs = Vec::new();
    let mut grants = Vec::new();
    for row in rows.iter().take(cap) {
        orgs.push(org_from(row)?);
        grants.push((
            get_str(row, "user_id")?,
            get_str(row, "username")?,
            get_str(row, "role")?,
            get_i64(row, "granted_at")?,
        ));
    }
    let names = names_of(conn, &orgs).await?;
    let mut out = Vec::with_capacity(orgs.len());
    for (org, (user_id, username, role, at)) in orgs.into_iter().zip(grants) {
        let organization = plat_domain::org::path_ids(&org.path)
            .map(|id| names.get(id).map_or("?", String::as_str))
            .collect::<Vec<_>>()
            .join("/");
        let view = OrgRole { org_id: org.id.clone(), organization, user_id, username, role, granted_at: format_ms(at) };
        out.push((org, view));
    }
    Ok((out, truncated))
}

impl Store {
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
            for c in decode_json::<Vec<ConditionalPermission>>("roles.conditions", &text)? {
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
        user: Option<&UserRecord>,
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

    /// What a user of `tenant` holds (see `holdings`), and where they lie:
    /// the stored paths of the organizations they are a member of.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.standing", skip_all)]
    pub async fn standing(&self, tenant: &str, user: &UserRecord) -> Result<(Subject, Vec<String>)> {
        let mut conn = self.read.acquire().await?;
        let tenant_row = tenant_by_slug(&mut conn, tenant).await?;
        let subject = holdings(&mut conn, &tenant_row, user).await?;
        Ok((subject, member_paths(&mut conn, &user.user.id).await?))
    }

    /// The roles the user with id `user_id` holds on organizations, each
    /// with what it grants (a custom role deleted meanwhile grants nothing).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.org_grants_of", skip_all)]
    pub async fn org_grants_of(&self, tenant_id: &str, user_id: &str) -> Result<Vec<OrgGrant>> {
        let mut conn = self.read.acquire().await?;
        grants_of(&mut conn, tenant_id, user_id).await
    }
}
