//! Organizations (`docs/organizations.md`): a tree per tenant stored as
//! materialized paths of ids (`plat_domain::org`), and memberships.
//!
//! Every change of the tree's shape (create, move, delete) first locks the
//! tenant's row on PostgreSQL, so two moves can never cross into a cycle
//! (SQLite has one writer). Renames touch one row: paths hold ids.

use plat_proto::catalog;
use std::collections::HashMap;

use plat_domain::org as rules;
use plat_domain::{Conferral, PLATFORM_ADMIN};
use plat_proto::limits;
use plat_proto::{Member, MemberPage, OrgRole, OrgRoleList, Organization, OrganizationList};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::audit::AuditOf;
use crate::authority::{ORG_ROLE_SELECT, confer, lock_reach, org_roles_of, role_permissions};
use crate::envelope::EventDraft;
use crate::outbox::record_change;
use crate::rows::{ORG_COLUMNS, OrgRow, TenantRow, find_user, names_of, org_from, resolve, tenant_by_slug};
use crate::sql::{Params, format_ms, get_i64, get_str, is_unique_violation, json_text, json_value, now_ms};
use crate::{Ctx, Result, Store, StoreError};

/// The organizations' wire form, their name paths read from `names`.
fn views(tenant: &str, rows: &[OrgRow], names: &HashMap<String, String>) -> Vec<Organization> {
    let mut items: Vec<Organization> = rows
        .iter()
        .map(|row| Organization {
            id: row.id.clone(),
            tenant: tenant.to_owned(),
            name: row.name.clone(),
            path: rules::path_ids(&row.path)
                .map(|id| names.get(id).map_or("?", String::as_str))
                .collect::<Vec<_>>()
                .join("/"),
            parent: row.parent.clone(),
            depth: row.depth,
            display_name: row.display_name.clone(),
            kind: row.kind.clone(),
            metadata: row.metadata.clone(),
            members: row.members,
            version: row.version as u64,
            created_at: format_ms(row.created_at),
            updated_at: format_ms(row.updated_at),
        })
        .collect();
    // Tree order: each after its parent, siblings by name.
    items.sort_by(|a, b| a.path.split('/').cmp(b.path.split('/')));
    items
}

async fn one_view(conn: &mut AnyConnection, tenant: &str, row: &OrgRow) -> Result<Organization> {
    let names = names_of(conn, std::slice::from_ref(row)).await?;
    Ok(views(tenant, std::slice::from_ref(row), &names).remove(0))
}

async fn announce(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    tenant: &TenantRow,
    org: &Organization,
    event_type: &'static catalog::EventType,
    extra: Option<serde_json::Map<String, serde_json::Value>>,
) -> Result<()> {
    let draft = EventDraft {
        event_type,
        tenant: &tenant.tenant.slug,
        aggregate_id: &org.id,
        aggregate_version: org.version,
        data: json_value(org)?,
        extra_metadata: extra,
    };
    let details = serde_json::json!({"id": org.id});
    let audit =
        AuditOf { action: None, target: format!("org:{}", org.path), tenant: Some(&tenant.tenant.slug), details };
    record_change(conn, ctx, draft, audit).await?;
    Ok(())
}

fn validate_fields(
    name: Option<&str>,
    display_name: Option<&str>,
    kind: Option<&str>,
    metadata: Option<&serde_json::Map<String, serde_json::Value>>,
) -> Result<()> {
    if let Some(name) = name {
        plat_domain::validate_name("name", name)?;
    }
    if let Some(display_name) = display_name {
        plat_domain::validate_text("display_name", display_name, limits::TENANT_NAME)?;
    }
    if let Some(kind) = kind {
        plat_domain::validate_name("type", kind)?;
    }
    if let Some(metadata) = metadata {
        rules::validate_metadata(metadata)?;
    }
    Ok(())
}

fn taken(name: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |e| {
        if is_unique_violation(&e) {
            StoreError::AlreadyExists { kind: "organization", name: name.to_owned(), field: "name" }
        } else {
            e.into()
        }
    }
}

async fn bump(conn: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE organizations SET version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn reload(conn: &mut AnyConnection, tenant: &TenantRow, id: &str) -> Result<Organization> {
    let row = resolve(conn, tenant, "org", id).await?;
    one_view(conn, &tenant.tenant.slug, &row).await
}

/// What a new organization is.
pub struct NewOrganization<'a> {
    pub name: &'a str,
    pub parent: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub metadata: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

/// What a change of an organization changes (`None`: unchanged).
#[derive(Default)]
pub struct OrganizationChange<'a> {
    pub name: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub metadata: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

/// Rows of organizations as a list, with their name paths.
async fn list_of(conn: &mut AnyConnection, tenant: &str, rows: Vec<AnyRow>) -> Result<OrganizationList> {
    let truncated = rows.len() > limits::ORG_LIST;
    let rows: Vec<OrgRow> = rows.iter().take(limits::ORG_LIST).map(org_from).collect::<Result<_>>()?;
    let names = names_of(conn, &rows).await?;
    Ok(OrganizationList { items: views(tenant, &rows, &names), truncated })
}

impl Store {
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.create_org", skip_all)]
    pub async fn create_org(&self, ctx: &Ctx, tenant: &str, new: NewOrganization<'_>) -> Result<Organization> {
        validate_fields(Some(new.name), new.display_name, new.kind, new.metadata)?;
        let mut tx = self.begin(ctx).await?;
        let tenant_row = tenant_by_slug(&mut tx, tenant).await?;
        lock_reach(&mut tx, &tenant_row).await?;
        let parent = match new.parent {
            Some(parent) => Some(resolve(&mut tx, &tenant_row, "parent", parent).await?),
            None => None,
        };
        let id = format!("{}{}", rules::ID_PREFIX, uuid::Uuid::now_v7().simple());
        let (path, depth) = match &parent {
            Some(p) if p.depth >= limits::ORG_DEPTH => {
                return Err(StoreError::Invalid {
                    field: "parent".into(),
                    message: format!("trees have at most {} levels", limits::ORG_DEPTH),
                });
            }
            Some(p) => (format!("{}{id}/", p.path), p.depth + 1),
            None => (format!("/{id}/"), 1),
        };
        let now = now_ms();
        sqlx::query(
            "INSERT INTO organizations (id, tenant_id, parent_id, name, display_name, kind, metadata, path, depth, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10)",
        )
        .bind(&id)
        .bind(&tenant_row.id)
        .bind(parent.as_ref().map_or("", |p| p.id.as_str()))
        .bind(new.name)
        .bind(new.display_name.unwrap_or(new.name))
        .bind(new.kind.unwrap_or("team"))
        .bind(json_text(&new.metadata.cloned().unwrap_or_default())?)
        .bind(&path)
        .bind(i64::from(depth))
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(taken(new.name))?;
        let org = reload(&mut tx, &tenant_row, &id).await?;
        announce(&mut tx, ctx, &tenant_row, &org, catalog::ORGANIZATION_CREATED, None).await?;
        tx.commit().await?;
        Ok(org)
    }

    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.get_org", skip_all)]
    pub async fn get_org(&self, tenant: &str, org: &str) -> Result<Organization> {
        let mut conn = self.read.acquire().await?;
        let tenant_row = tenant_by_slug(&mut conn, tenant).await?;
        let row = resolve(&mut conn, &tenant_row, "org", org).await?;
        one_view(&mut conn, tenant, &row).await
    }

    /// Every organization of a tenant, or the children of `parent`, in tree
    /// order (at most `limits::ORG_LIST`).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.list_orgs", skip_all)]
    pub async fn list_orgs(&self, tenant: &str, parent: Option<&str>) -> Result<OrganizationList> {
        let mut conn = self.read.acquire().await?;
        let tenant_row = tenant_by_slug(&mut conn, tenant).await?;
        let parent_id = match parent {
            Some(parent) => Some(resolve(&mut conn, &tenant_row, "parent", parent).await?.id),
            None => None,
        };
        let filter = if parent_id.is_some() { " AND o.parent_id = $2" } else { "" };
        let sql = format!(
            "SELECT {ORG_COLUMNS} FROM organizations o WHERE o.tenant_id = $1{filter} ORDER BY o.path LIMIT {}",
            limits::ORG_LIST + 1
        );
        let mut query = sqlx::query(&sql).bind(&tenant_row.id);
        if let Some(parent_id) = &parent_id {
            query = query.bind(parent_id);
        }
        let rows = query.fetch_all(&mut *conn).await?;
        list_of(&mut conn, tenant, rows).await
    }

    /// An organization and everything below it, in tree order.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.org_tree", skip_all)]
    pub async fn org_tree(&self, tenant: &str, org: &str) -> Result<OrganizationList> {
        let mut conn = self.read.acquire().await?;
        let tenant_row = tenant_by_slug(&mut conn, tenant).await?;
        let root = resolve(&mut conn, &tenant_row, "org", org).await?;
        let (low, high) = rules::subtree_range(&root.path);
        let rows = sqlx::query(&format!(
            "SELECT {ORG_COLUMNS} FROM organizations o WHERE o.tenant_id = $1 AND o.path >= $2 AND o.path < $3 \
             ORDER BY o.path LIMIT {}",
            limits::ORG_LIST + 1
        ))
        .bind(&tenant_row.id)
        .bind(low)
        .bind(high)
        .fetch_all(&mut *conn)
        .await?;
        list_of(&mut conn, tenant, rows).await
    }

    /// The organizations `user` is a direct member of, in tree order.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.user_orgs", skip_all)]
    pub async fn user_orgs(&self, tenant: &str, user: &str) -> Result<OrganizationList> {
        let mut conn = self.read.acquire().await?;
        let tenant_row = tenant_by_slug(&mut conn, tenant).await?;
        let user = find_user(&mut conn, &tenant_row.id, user).await?;
        let rows = sqlx::query(&format!(
            "SELECT {ORG_COLUMNS} FROM organization_members m JOIN organizations o ON o.id = m.org_id \
             WHERE m.user_id = $1 ORDER BY o.path LIMIT {}",
            limits::ORG_LIST + 1
        ))
        .bind(&user.user.id)
        .fetch_all(&mut *conn)
        .await?;
        list_of(&mut conn, tenant, rows).await
    }

    /// Rename an organization or change its display name, type or metadata.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.update_org", skip_all)]
    pub async fn update_org(
        &self,
        ctx: &Ctx,
        tenant: &str,
        org: &str,
        change: OrganizationChange<'_>,
    ) -> Result<Organization> {
        validate_fields(change.name, change.display_name, change.kind, change.metadata)?;
        let mut tx = self.begin(ctx).await?;
        let tenant_row = tenant_by_slug(&mut tx, tenant).await?;
        // A rename changes what a path of names resolves to: reach reads it.
        lock_reach(&mut tx, &tenant_row).await?;
        let current = resolve(&mut tx, &tenant_row, "org", org).await?;
        let name = change.name.unwrap_or(&current.name);
        let metadata = change.metadata.cloned().unwrap_or_else(|| current.metadata.clone());
        sqlx::query(
            "UPDATE organizations SET name = $1, display_name = $2, kind = $3, metadata = $4, \
             version = version + 1, updated_at = $5 WHERE id = $6",
        )
        .bind(name)
        .bind(change.display_name.unwrap_or(&current.display_name))
        .bind(change.kind.unwrap_or(&current.kind))
        .bind(json_text(&metadata)?)
        .bind(now_ms())
        .bind(&current.id)
        .execute(&mut *tx)
        .await
        .map_err(taken(name))?;
        let updated = reload(&mut tx, &tenant_row, &current.id).await?;
        announce(&mut tx, ctx, &tenant_row, &updated, catalog::ORGANIZATION_UPDATED, None).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Move an organization with its subtree under `parent` (`None`: make
    /// it a root). Refused under itself or its descendants, or past the
    /// depth bound; the descendants' paths move in the same transaction.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.move_org", skip_all)]
    pub async fn move_org(&self, ctx: &Ctx, tenant: &str, org: &str, parent: Option<&str>) -> Result<Organization> {
        let mut tx = self.begin(ctx).await?;
        let tenant_row = tenant_by_slug(&mut tx, tenant).await?;
        lock_reach(&mut tx, &tenant_row).await?;
        let moved = resolve(&mut tx, &tenant_row, "org", org).await?;
        let parent = match parent {
            Some(parent) => Some(resolve(&mut tx, &tenant_row, "parent", parent).await?),
            None => None,
        };
        if parent.as_ref().map(|p| &p.id) == moved.parent.as_ref() {
            return one_view(&mut tx, tenant, &moved).await;
        }
        let before = one_view(&mut tx, tenant, &moved).await?.path;
        let (low, high) = rules::subtree_range(&moved.path);
        let deepest: i64 = sqlx::query_scalar(
            "SELECT MAX(depth) FROM organizations WHERE tenant_id = $1 AND path >= $2 AND path < $3",
        )
        .bind(&tenant_row.id)
        .bind(&low)
        .bind(&high)
        .fetch_one(&mut *tx)
        .await?;
        let (new_path, delta) = rules::plan_move(
            (&moved.path, moved.depth),
            deepest.clamp(1, i64::from(limits::ORG_DEPTH)) as u32,
            parent.as_ref().map(|p| (p.path.as_str(), p.depth)),
            &moved.id,
        )?;
        let now = now_ms();
        // The moved organization first: its name must be free among its new siblings.
        sqlx::query("UPDATE organizations SET parent_id = $1, version = version + 1, updated_at = $2 WHERE id = $3")
            .bind(parent.as_ref().map_or("", |p| p.id.as_str()))
            .bind(now)
            .bind(&moved.id)
            .execute(&mut *tx)
            .await
            .map_err(taken(&moved.name))?;
        sqlx::query(
            "UPDATE organizations SET path = $1 || SUBSTR(path, CAST($2 AS INTEGER)), depth = depth + $3 \
             WHERE tenant_id = $4 AND path >= $5 AND path < $6",
        )
        .bind(&new_path)
        .bind(moved.path.len() as i64 + 1)
        .bind(delta)
        .bind(&tenant_row.id)
        .bind(&low)
        .bind(&high)
        .execute(&mut *tx)
        .await?;
        let org = reload(&mut tx, &tenant_row, &moved.id).await?;
        let mut extra = serde_json::Map::new();
        extra.insert("from".into(), before.into());
        extra.insert("to".into(), org.path.clone().into());
        announce(&mut tx, ctx, &tenant_row, &org, catalog::ORGANIZATION_MOVED, Some(extra)).await?;
        tx.commit().await?;
        Ok(org)
    }

    /// Delete an organization: refused while it has children or members,
    /// unless `cascade`, which deletes its subtree and their memberships
    /// (an `organization.deleted` for each).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.delete_org", skip_all)]
    pub async fn delete_org(&self, ctx: &Ctx, tenant: &str, org: &str, cascade: bool) -> Result<u64> {
        let mut tx = self.begin(ctx).await?;
        let tenant_row = tenant_by_slug(&mut tx, tenant).await?;
        lock_reach(&mut tx, &tenant_row).await?;
        let root = resolve(&mut tx, &tenant_row, "org", org).await?;
        let (low, high) = rules::subtree_range(&root.path);
        let rows = sqlx::query(&format!(
            "SELECT {ORG_COLUMNS} FROM organizations o WHERE o.tenant_id = $1 AND o.path >= $2 AND o.path < $3 ORDER BY o.path"
        ))
        .bind(&tenant_row.id)
        .bind(&low)
        .bind(&high)
        .fetch_all(&mut *tx)
        .await?;
        let rows: Vec<OrgRow> = rows.iter().map(org_from).collect::<Result<_>>()?;
        if !cascade && (rows.len() > 1 || root.members > 0) {
            return Err(StoreError::Conflict(format!(
                "organization {org:?} has {} sub-organizations and {} members; remove them first or pass cascade=true",
                rows.len() - 1,
                root.members
            )));
        }
        let names = names_of(&mut tx, &rows).await?;
        let gone = views(tenant, &rows, &names);
        sqlx::query(
            "DELETE FROM organization_members WHERE org_id IN \
             (SELECT id FROM organizations WHERE tenant_id = $1 AND path >= $2 AND path < $3)",
        )
        .bind(&tenant_row.id)
        .bind(&low)
        .bind(&high)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM organizations WHERE tenant_id = $1 AND path >= $2 AND path < $3")
            .bind(&tenant_row.id)
            .bind(&low)
            .bind(&high)
            .execute(&mut *tx)
            .await?;
        // Deepest first, so a receiver never sees a child outlive its parent.
        for mut org in gone.into_iter().rev() {
            org.version += 1;
            announce(&mut tx, ctx, &tenant_row, &org, catalog::ORGANIZATION_DELETED, None).await?;
        }
        tx.commit().await?;
        Ok(rows.len() as u64)
    }

    /// Make a user a member (`add`) or not (`!add`) of an organization.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.set_membership", skip_all)]
    pub async fn set_membership(
        &self,
        ctx: &Ctx,
        tenant: &str,
        org: &str,
        user: &str,
        add: bool,
    ) -> Result<Organization> {
        let mut tx = self.begin(ctx).await?;
        let tenant_row = tenant_by_slug(&mut tx, tenant).await?;
        lock_reach(&mut tx, &tenant_row).await?;
        let row = resolve(&mut tx, &tenant_row, "org", org).await?;
        let user = find_user(&mut tx, &tenant_row.id, user).await?;
        if add && user.stored_status == "deleted" {
            return Err(StoreError::NotFound { kind: "user", name: user.user.username.clone() });
        }
        let changed =
            change_membership(&mut tx, ctx, &tenant_row, &row, (&user.user.id, &user.user.username), add).await?;
        match changed {
            Some(updated) => {
                tx.commit().await?;
                Ok(updated)
            }
            // Already a member: nothing changes, nothing is announced.
            None if add => one_view(&mut tx, tenant, &row).await,
            None => Err(StoreError::NotFound { kind: "membership", name: format!("{} in {org}", user.user.username) }),
        }
    }

    /// A page of an organization's members, or (`recursive`) of every user
    /// who is a member anywhere in its subtree, each once (at the first
    /// organization, in tree order, where the user is a member): in tree
    /// order, then by user id, from `cursor`.
    ///
    /// The subtree's organizations are walked in path order in growing
    /// batches, and each batch's memberships read by their primary key, so a
    /// page costs about its own length, whatever the size of the tree (one
    /// query over every membership of the subtree had to sort them all
    /// before the first row: 90 ms at the root of 100,000, measured).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.org_members", skip_all)]
    pub async fn org_members(
        &self,
        tenant: &str,
        org: &str,
        recursive: bool,
        cursor: Option<&str>,
        limit: u64,
    ) -> Result<MemberPage> {
        let mut conn = self.read.acquire().await?;
        let tenant_row = tenant_by_slug(&mut conn, tenant).await?;
        let root = resolve(&mut conn, &tenant_row, "org", org).await?;
        let (low, high) = rules::subtree_range(&root.path);
        let (after_path, after_user) = match cursor {
            Some(cursor) => decode_cursor(cursor)?,
            None => (String::new(), String::new()),
        };
        // Where the walk of the subtree's organizations stands.
        let mut walk = if after_path.as_str() > low.as_str() { after_path.clone() } else { low.clone() };
        let want = limit as usize + 1;
        let mut found: Vec<(String, Member)> = Vec::new();
        let mut batch = 16usize;
        let mut first = true;
        while found.len() < want {
            // The next organizations of the subtree (only the root when not recursive).
            let orgs: Vec<(String, String)> = if recursive {
                let op = if first { ">=" } else { ">" };
                sqlx::query_as(&format!(
                    "SELECT id, path FROM organizations WHERE tenant_id = $1 AND path {op} $2 AND path < $3 \
                     ORDER BY path LIMIT {batch}"
                ))
                .bind(&tenant_row.id)
                .bind(&walk)
                .bind(&high)
                .fetch_all(&mut *conn)
                .await?
            } else if first {
                vec![(root.id.clone(), root.path.clone())]
            } else {
                Vec::new()
            };
            let Some((_, last_path)) = orgs.last().cloned() else { break };
            let paths: HashMap<String, String> = orgs.iter().cloned().collect();
            let ids: Vec<&String> = orgs.iter().map(|(id, _)| id).collect();
            // The user's other memberships are probed by user id (CROSS JOIN
            // fixes SQLite's join order: driving from the organizations'
            // paths scanned the subtree for every row, 3.3 s for 64
            // organizations against 0.09 s).
            let sql = {
                // In the order they appear: SQLite's `?` are positional.
                let mut params = Params::for_conn(&conn);
                let list = params.list(ids.len());
                let (t, lo) = (params.next(), params.next());
                format!(
                    "SELECT m.org_id, m.user_id, m.created_at, u.username, u.email, o.path \
                     FROM organization_members m \
                     JOIN organizations o ON o.id = m.org_id \
                     JOIN users u ON u.id = m.user_id \
                     WHERE m.org_id IN ({list}) \
                       AND NOT EXISTS (SELECT 1 FROM organization_members m2 CROSS JOIN organizations o2 \
                                       WHERE o2.id = m2.org_id AND m2.user_id = m.user_id AND o2.tenant_id = {t} \
                                         AND o2.path >= {lo} AND o2.path < o.path)"
                )
            };
            let mut query = sqlx::query(&sql);
            for id in &ids {
                query = query.bind(id.as_str());
            }
            query = query.bind(&tenant_row.id).bind(if recursive { &low } else { &root.path });
            let mut rows = Vec::new();
            for row in query.fetch_all(&mut *conn).await? {
                let path = paths.get(&get_str(&row, "org_id")?).cloned().unwrap_or_default();
                let user_id = get_str(&row, "user_id")?;
                if cursor.is_some() && (path.as_str(), user_id.as_str()) <= (after_path.as_str(), after_user.as_str()) {
                    continue;
                }
                rows.push((
                    path,
                    Member {
                        user_id,
                        username: get_str(&row, "username")?,
                        email: get_str(&row, "email")?,
                        organization: get_str(&row, "org_id")?,
                        added_at: format_ms(get_i64(&row, "created_at")?),
                    },
                ));
            }
            rows.sort_by(|a, b| (a.0.as_str(), a.1.user_id.as_str()).cmp(&(b.0.as_str(), b.1.user_id.as_str())));
            let got = rows.len();
            found.extend(rows);
            if orgs.len() < batch {
                break;
            }
            walk = last_path;
            first = false;
            // Enough organizations for the rest of the page at this batch's
            // yield (a quarter more), fewer reads of empty ones otherwise.
            batch = if got == 0 {
                batch * 4
            } else {
                (want.saturating_sub(found.len()) * orgs.len() * 5 / 4).div_ceil(got)
            }
            .clamp(8, 1024);
        }
        let more = found.len() > limit as usize;
        found.truncate(limit as usize);
        let next_cursor = if more { found.last().map(|(path, m)| encode_cursor(path, &m.user_id)) } else { None };
        Ok(MemberPage { items: found.into_iter().map(|(_, m)| m).collect(), next_cursor })
    }
}

/// Add (`add`) or remove the membership of a user (`(id, username)`) in
/// `row`, announced: the organization as it is now, or `None` when nothing
/// changed.
async fn change_membership(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    tenant: &TenantRow,
    row: &OrgRow,
    (user_id, username): (&str, &str),
    add: bool,
) -> Result<Option<Organization>> {
    let now = now_ms();
    let changed = if add {
        sqlx::query(
            "INSERT INTO organization_members (org_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(&row.id)
        .bind(user_id)
        .bind(now)
        .execute(&mut *conn)
        .await?
    } else {
        sqlx::query("DELETE FROM organization_members WHERE org_id = $1 AND user_id = $2")
            .bind(&row.id)
            .bind(user_id)
            .execute(&mut *conn)
            .await?
    };
    if changed.rows_affected() == 0 {
        return Ok(None);
    }
    bump(conn, &row.id, now).await?;
    let updated = reload(conn, tenant, &row.id).await?;
    let mut extra = serde_json::Map::new();
    extra.insert("user_id".into(), user_id.into());
    extra.insert("username".into(), username.into());
    let event = if add { catalog::ORGANIZATION_MEMBER_ADDED } else { catalog::ORGANIZATION_MEMBER_REMOVED };
    announce(conn, ctx, tenant, &updated, event, Some(extra)).await?;
    Ok(Some(updated))
}

/// Make a user just created (`(id, username)`) a member of the
/// organization `org` names (`field` in errors), in the caller's transaction.
pub(crate) async fn join(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    tenant: &TenantRow,
    (field, org): (&str, &str),
    user: (&str, &str),
) -> Result<()> {
    let row = resolve(conn, tenant, field, org).await?;
    change_membership(conn, ctx, tenant, &row, user, true).await?;
    Ok(())
}

impl Store {
    /// The stored path of an organization (`plat_domain::org`): where
    /// authorization looks for roles granted on it or above it.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.org_path", skip_all)]
    pub async fn org_path(&self, tenant: &str, field: &str, org: &str) -> Result<String> {
        let mut conn = self.read.acquire().await?;
        let tenant_row = tenant_by_slug(&mut conn, tenant).await?;
        Ok(resolve(&mut conn, &tenant_row, field, org).await?.path)
    }

    /// The roles that reach an organization: granted on it or on one of its
    /// ancestors, in tree order.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.org_roles", skip_all)]
    pub async fn org_roles(&self, tenant: &str, org: &str) -> Result<OrgRoleList> {
        let mut conn = self.read.acquire().await?;
        let tenant_row = tenant_by_slug(&mut conn, tenant).await?;
        let row = resolve(&mut conn, &tenant_row, "org", org).await?;
        let ids: Vec<&str> = rules::path_ids(&row.path).collect();
        let sql = format!(
            "SELECT {ORG_COLUMNS}, {ORG_ROLE_SELECT} FROM organization_roles r \
             JOIN organizations o ON o.id = r.org_id JOIN users u ON u.id = r.user_id \
             WHERE r.org_id IN ({}) ORDER BY o.path, u.username, r.role LIMIT {}",
            Params::for_conn(&conn).list(ids.len()),
            limits::ORG_LIST + 1
        );
        let (rows, truncated) = org_roles_of(&mut conn, &sql, &ids, limits::ORG_LIST).await?;
        Ok(OrgRoleList { items: rows.into_iter().map(|(_, view)| view).collect(), truncated })
    }

    /// Grant (`grant`) or revoke a role on an organization. Either is
    /// handing out power where the role will hold: the conferral rule at the
    /// organization (`plat_domain::may_confer`). `platform-admin` is never
    /// held on an organization.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.set_org_role", skip_all)]
    pub async fn set_org_role(
        &self,
        ctx: &Ctx,
        tenant: &str,
        org: &str,
        user: &str,
        role: &str,
        grant: bool,
    ) -> Result<OrgRole> {
        if role == PLATFORM_ADMIN {
            return Err(StoreError::Invalid {
                field: "role".into(),
                message: format!("{PLATFORM_ADMIN} is held platform-wide, never on an organization"),
            });
        }
        let mut tx = self.begin(ctx).await?;
        let tenant_row = tenant_by_slug(&mut tx, tenant).await?;
        lock_reach(&mut tx, &tenant_row).await?;
        let row = resolve(&mut tx, &tenant_row, "org", org).await?;
        let user = find_user(&mut tx, &tenant_row.id, user).await?;
        if grant && user.stored_status == "deleted" {
            return Err(StoreError::NotFound { kind: "user", name: user.user.username.clone() });
        }
        let permissions = role_permissions(&mut tx, &tenant_row.id, &[role.to_owned()]).await?;
        if grant {
            let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organization_roles WHERE user_id = $1")
                .bind(&user.user.id)
                .fetch_one(&mut *tx)
                .await?;
            if held >= limits::USER_ORG_ROLES as i64 {
                return Err(StoreError::Invalid {
                    field: "user".into(),
                    message: format!("a user holds at most {} roles on organizations", limits::USER_ORG_ROLES),
                });
            }
        }
        let what = Conferral { tenant, platform_admin: false, permissions: &permissions, at: Some(&row.path) };
        confer(ctx, &what)?;
        let now = now_ms();
        let changed = if grant {
            sqlx::query(
                "INSERT INTO organization_roles (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(&row.id)
            .bind(&user.user.id)
            .bind(role)
            .bind(now)
            .execute(&mut *tx)
            .await?
        } else {
            sqlx::query("DELETE FROM organization_roles WHERE org_id = $1 AND user_id = $2 AND role = $3")
                .bind(&row.id)
                .bind(&user.user.id)
                .bind(role)
                .execute(&mut *tx)
                .await?
        };
        let view = one_view(&mut tx, tenant, &row).await?;
        let granted = OrgRole {
            org_id: row.id.clone(),
            organization: view.path.clone(),
            user_id: user.user.id.clone(),
            username: user.user.username.clone(),
            role: role.to_owned(),
            granted_at: format_ms(now),
        };
        if changed.rows_affected() == 0 {
            if grant {
                // Held already: nothing changes, nothing is announced.
                let at: i64 = sqlx::query_scalar(
                    "SELECT created_at FROM organization_roles WHERE org_id = $1 AND user_id = $2 AND role = $3",
                )
                .bind(&row.id)
                .bind(&user.user.id)
                .bind(role)
                .fetch_one(&mut *tx)
                .await?;
                return Ok(OrgRole { granted_at: format_ms(at), ..granted });
            }
            return Err(StoreError::NotFound {
                kind: "role grant",
                name: format!("{role} of {} on {org}", user.user.username),
            });
        }
        bump(&mut tx, &row.id, now).await?;
        let updated = reload(&mut tx, &tenant_row, &row.id).await?;
        let mut extra = serde_json::Map::new();
        extra.insert("user_id".into(), user.user.id.clone().into());
        extra.insert("username".into(), user.user.username.clone().into());
        extra.insert("role".into(), role.into());
        let event = if grant { catalog::ORGANIZATION_ROLE_GRANTED } else { catalog::ORGANIZATION_ROLE_REVOKED };
        announce(&mut tx, ctx, &tenant_row, &updated, event, Some(extra)).await?;
        tx.commit().await?;
        Ok(granted)
    }
}

fn encode_cursor(path: &str, user: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{path}\n{user}"))
}

fn decode_cursor(cursor: &str) -> Result<(String, String)> {
    use base64::Engine as _;
    let invalid = || StoreError::Invalid { field: "cursor".into(), message: "is not a cursor this list gave".into() };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (path, user) = text.split_once('\n').ok_or_else(invalid)?;
    Ok((path.to_owned(), user.to_owned()))
}
