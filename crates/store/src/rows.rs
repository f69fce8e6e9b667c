//! The rows every module reads, and their lookups: a tenant by slug, users
//! (with roles, profile and stats) by id or name, organizations as stored.
//! Reads only: what changes them lives with the entity (`tenants`, `users`,
//! `orgs`). It imports no module but `sql`.

use std::collections::HashMap;

use plat_domain::org::OrgRef;
use plat_domain::{FailureState, normalize_key};
use plat_proto::{Profile, Quotas, Tenant, TenantSecurity, Usage, User, UserStats, limits};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::sql::{Params, decode_json, format_ms, get_i64, get_opt_i64, get_opt_str, get_str, now_ms};
use crate::{Result, StoreError};

pub(crate) const TENANT_COLUMNS: &str =
    "id, slug, name, status, max_users, user_count, users_level, security, version, created_at, updated_at";

/// A tenant row with its internal id.
#[derive(Debug, Clone)]
pub struct TenantRow {
    pub id: String,
    pub tenant: Tenant,
    pub version: i64,
    /// The signalled level of the `users` quota (`plat_domain::quota`).
    pub users_level: u8,
}

impl TenantRow {
    pub fn is_suspended(&self) -> bool {
        self.tenant.status == "suspended"
    }
}

pub(crate) fn tenant_from_row(row: &AnyRow) -> Result<TenantRow> {
    Ok(TenantRow {
        id: get_str(row, "id")?,
        version: get_i64(row, "version")?,
        users_level: get_i64(row, "users_level")?.clamp(0, 100) as u8,
        tenant: Tenant {
            slug: get_str(row, "slug")?,
            name: get_str(row, "name")?,
            status: get_str(row, "status")?,
            quotas: Quotas { max_users: get_opt_i64(row, "max_users")?.map(|v| v as u64) },
            usage: Usage { users: get_i64(row, "user_count")? as u64 },
            security: security_of(row, "security")?,
            created_at: format_ms(get_i64(row, "created_at")?),
            updated_at: format_ms(get_i64(row, "updated_at")?),
        },
    })
}

/// A tenant's security settings as stored (`NULL`: every default).
fn security_of(row: &AnyRow, column: &str) -> Result<TenantSecurity> {
    get_opt_str(row, column)?
        .map_or_else(|| Ok(TenantSecurity::default()), |text| decode_json("tenants.security", &text))
}

pub(crate) async fn tenant_by_slug(conn: &mut AnyConnection, slug: &str) -> Result<TenantRow> {
    let row = sqlx::query(&format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE slug = $1"))
        .bind(slug)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound { kind: "tenant", name: slug.to_owned() })?;
    tenant_from_row(&row)
}

pub(crate) const USER_SELECT: &str = "SELECT u.id, u.tenant_id, u.username, u.email, u.status, u.version, u.created_at, u.updated_at, \
    u.locked_until, u.password_hash, u.failed_logins, u.first_failed_at, u.tokens_valid_after, \
    p.nickname, p.avatar_url, p.bio, s.login_count, s.last_login_at, t.slug AS tenant_slug, t.status AS tenant_status, \
    t.security AS tenant_security FROM users u JOIN user_profiles p ON p.user_id = u.id JOIN user_stats s ON s.user_id = u.id \
    JOIN tenants t ON t.id = u.tenant_id";

/// A user as the store sees it: the wire object plus what never leaves plat.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub user: User,
    pub tenant_id: String,
    pub tenant_status: String,
    /// The tenant's sign-in rules (session lifetimes).
    pub tenant_security: TenantSecurity,
    /// `active`, `disabled` or `deleted` as stored (lock is separate).
    pub stored_status: String,
    pub password_hash: Option<String>,
    pub failures: FailureState,
    /// Access tokens issued before this time (unix ms) are revoked.
    pub tokens_valid_after: i64,
}

pub(crate) fn user_from_row(row: &AnyRow, roles: Vec<String>, now: i64) -> Result<UserRecord> {
    let stored_status = get_str(row, "status")?;
    let locked_until = get_opt_i64(row, "locked_until")?;
    let status = if stored_status == "active" && locked_until.is_some_and(|t| t > now) {
        "locked".to_owned()
    } else {
        stored_status.clone()
    };
    Ok(UserRecord {
        user: User {
            id: get_str(row, "id")?,
            tenant: get_str(row, "tenant_slug")?,
            username: get_str(row, "username")?,
            email: get_str(row, "email")?,
            status,
            roles,
            profile: Profile {
                nickname: get_str(row, "nickname")?,
                avatar_url: get_str(row, "avatar_url")?,
                bio: get_str(row, "bio")?,
            },
            stats: UserStats {
                login_count: get_i64(row, "login_count")? as u64,
                last_login_at: get_opt_i64(row, "last_login_at")?.map(format_ms),
            },
            version: get_i64(row, "version")? as u64,
            created_at: format_ms(get_i64(row, "created_at")?),
            updated_at: format_ms(get_i64(row, "updated_at")?),
        },
        tenant_id: get_str(row, "tenant_id")?,
        tenant_status: get_str(row, "tenant_status")?,
        tenant_security: security_of(row, "tenant_security")?,
        stored_status,
        password_hash: get_opt_str(row, "password_hash")?,
        failures: FailureState {
            failures: get_i64(row, "failed_logins")? as u32,
            first_failure_at: get_opt_i64(row, "first_failed_at")?,
            locked_until,
        },
        tokens_valid_after: get_i64(row, "tokens_valid_after")?,
    })
}

async fn roles_of(conn: &mut AnyConnection, user_ids: &[String]) -> Result<HashMap<String, Vec<String>>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for chunk in user_ids.chunks(500) {
        let list = Params::for_conn(conn).list(chunk.len());
        let sql = format!("SELECT user_id, role FROM user_roles WHERE user_id IN ({list}) ORDER BY role");
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id.clone());
        }
        for row in query.fetch_all(&mut *conn).await? {
            out.entry(get_str(&row, "user_id")?).or_default().push(get_str(&row, "role")?);
        }
    }
    Ok(out)
}

pub(crate) async fn hydrate(conn: &mut AnyConnection, rows: Vec<AnyRow>) -> Result<Vec<UserRecord>> {
    let ids: Vec<String> = rows.iter().map(|r| get_str(r, "id")).collect::<Result<_>>()?;
    let mut roles = roles_of(conn, &ids).await?;
    let now = now_ms();
    rows.iter().zip(ids).map(|(row, id)| user_from_row(row, roles.remove(&id).unwrap_or_default(), now)).collect()
}

/// Find a user of a tenant by id or username (deleted users included).
pub(crate) async fn find_user(conn: &mut AnyConnection, tenant_id: &str, id_or_name: &str) -> Result<UserRecord> {
    let row = sqlx::query(&format!("{USER_SELECT} WHERE u.tenant_id = $1 AND (u.id = $2 OR u.username_key = $3)"))
        .bind(tenant_id)
        .bind(id_or_name)
        .bind(normalize_key(id_or_name))
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound { kind: "user", name: id_or_name.to_owned() })?;
    let mut users = hydrate(conn, vec![row]).await?;
    users.pop().ok_or_else(|| StoreError::NotFound { kind: "user", name: id_or_name.to_owned() })
}

/// Find a live (not deleted) user.
pub(crate) async fn find_live_user(conn: &mut AnyConnection, tenant_id: &str, id_or_name: &str) -> Result<UserRecord> {
    let user = find_user(conn, tenant_id, id_or_name).await?;
    if user.stored_status == "deleted" {
        return Err(StoreError::NotFound { kind: "user", name: id_or_name.to_owned() });
    }
    Ok(user)
}

/// The users with these ids that exist with their profile and stats rows
/// (`FOR UPDATE` on PostgreSQL when `lock`, so no change slips in before the
/// caller's writes).
pub(crate) async fn users_by_ids(conn: &mut AnyConnection, ids: &[String], lock: bool) -> Result<Vec<UserRecord>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let list = Params::for_conn(conn).list(chunk.len());
        let suffix = if lock && conn.backend_name() == "PostgreSQL" { " FOR UPDATE OF u" } else { "" };
        let sql = format!("{USER_SELECT} WHERE u.id IN ({list}){suffix}");
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id.clone());
        }
        let rows = query.fetch_all(&mut *conn).await?;
        out.extend(hydrate(conn, rows).await?);
    }
    Ok(out)
}

pub(crate) const ORG_COLUMNS: &str = "o.id, o.parent_id, o.name, o.display_name, o.kind, o.metadata, o.path, o.depth, \
     o.version, o.created_at, o.updated_at, \
     (SELECT COUNT(*) FROM organization_members mc WHERE mc.org_id = o.id) AS members";

#[derive(Debug, Clone)]
pub(crate) struct OrgRow {
    pub(crate) id: String,
    pub(crate) parent: Option<String>,
    pub(crate) name: String,
    pub(crate) display_name: String,
    pub(crate) kind: String,
    pub(crate) metadata: serde_json::Map<String, serde_json::Value>,
    pub(crate) path: String,
    pub(crate) depth: u32,
    pub(crate) version: i64,
    pub(crate) members: u64,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

pub(crate) fn org_from(row: &AnyRow) -> Result<OrgRow> {
    let parent = get_str(row, "parent_id")?;
    Ok(OrgRow {
        id: get_str(row, "id")?,
        parent: (!parent.is_empty()).then_some(parent),
        name: get_str(row, "name")?,
        display_name: get_str(row, "display_name")?,
        kind: get_str(row, "kind")?,
        metadata: decode_json("organization metadata", &get_str(row, "metadata")?)?,
        path: get_str(row, "path")?,
        depth: get_i64(row, "depth")?.clamp(1, i64::from(limits::ORG_DEPTH)) as u32,
        version: get_i64(row, "version")?,
        members: get_i64(row, "members")?.max(0) as u64,
        created_at: get_i64(row, "created_at")?,
        updated_at: get_i64(row, "updated_at")?,
    })
}

/// The names of every organization on the rows' paths.
pub(crate) async fn names_of(conn: &mut AnyConnection, rows: &[OrgRow]) -> Result<HashMap<String, String>> {
    let mut names: HashMap<String, String> = rows.iter().map(|r| (r.id.clone(), r.name.clone())).collect();
    let mut missing: Vec<String> = rows
        .iter()
        .flat_map(|r| plat_domain::org::path_ids(&r.path))
        .filter(|id| !names.contains_key(*id))
        .map(str::to_owned)
        .collect();
    missing.sort();
    missing.dedup();
    for chunk in missing.chunks(500) {
        let sql =
            format!("SELECT id, name FROM organizations WHERE id IN ({})", Params::for_conn(conn).list(chunk.len()));
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id.clone());
        }
        for row in query.fetch_all(&mut *conn).await? {
            names.insert(get_str(&row, "id")?, get_str(&row, "name")?);
        }
    }
    Ok(names)
}

/// Find an organization of a tenant by id or by its path of names.
pub(crate) async fn resolve(conn: &mut AnyConnection, tenant: &TenantRow, field: &str, text: &str) -> Result<OrgRow> {
    let not_found = || StoreError::NotFound { kind: "organization", name: text.to_owned() };
    match OrgRef::parse(field, text)? {
        OrgRef::Id(id) => {
            let row =
                sqlx::query(&format!("SELECT {ORG_COLUMNS} FROM organizations o WHERE o.tenant_id = $1 AND o.id = $2"))
                    .bind(&tenant.id)
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or_else(not_found)?;
            org_from(&row)
        }
        OrgRef::Path(names) => {
            // One query for the whole path: the root by name in the tenant,
            // then each level a child of the one before (`o` is the last),
            // placeholders in text order (SQLite's are positional).
            let last = names.len().saturating_sub(1);
            let alias = |i: usize| if i == last { "o".to_owned() } else { format!("p{i}") };
            let mut params = Params::for_conn(conn);
            let mut sql = format!("SELECT {ORG_COLUMNS} FROM organizations {}", alias(0));
            for i in 1..names.len() {
                let (child, parent) = (alias(i), alias(i - 1));
                sql.push_str(&format!(
                    " JOIN organizations {child} ON {child}.tenant_id = {parent}.tenant_id \
                     AND {child}.parent_id = {parent}.id AND {child}.name = {}",
                    params.next()
                ));
            }
            let root = alias(0);
            let (t, n) = (params.next(), params.next());
            sql.push_str(&format!(" WHERE {root}.tenant_id = {t} AND {root}.parent_id = '' AND {root}.name = {n}"));
            let mut query = sqlx::query(&sql);
            for name in names.iter().skip(1) {
                query = query.bind(name.as_str());
            }
            let row = query
                .bind(&tenant.id)
                .bind(names.first().map_or("", String::as_str))
                .fetch_optional(&mut *conn)
                .await?
                .ok_or_else(not_found)?;
            org_from(&row)
        }
    }
}
