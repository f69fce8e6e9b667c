//! Permissions (`resource:action` with `*` wildcards), the built-in roles and
//! the authorization decision every endpoint asks for.

use crate::Invalid;

/// Built-in roles. They exist in every tenant and cannot be changed.
pub const PLATFORM_ADMIN: &str = "platform-admin";
pub const TENANT_ADMIN: &str = "tenant-admin";
pub const MEMBER: &str = "member";
pub const VIEWER: &str = "viewer";

/// Role given to a user created without roles.
pub const DEFAULT_ROLE: &str = MEMBER;

pub struct BuiltinRole {
    pub name: &'static str,
    pub description: &'static str,
    pub permissions: &'static [&'static str],
}

pub const BUILTIN_ROLES: &[BuiltinRole] = &[
    BuiltinRole {
        name: PLATFORM_ADMIN,
        description: "Everything, in every tenant, including platform-wide actions",
        permissions: &["*"],
    },
    BuiltinRole { name: TENANT_ADMIN, description: "Everything inside its own tenant", permissions: &["*"] },
    BuiltinRole {
        name: MEMBER,
        description: "Read and update itself, read the tenant's user directory",
        permissions: &["users:read", "self:read", "self:update"],
    },
    BuiltinRole {
        name: VIEWER,
        description: "Read everything inside its own tenant",
        permissions: &["*:read", "self:read"],
    },
];

pub fn builtin_role(name: &str) -> Option<&'static BuiltinRole> {
    BUILTIN_ROLES.iter().find(|r| r.name == name)
}

/// Check that `permission` is `resource:action` (or `*`), each part `*` or
/// made of `a-z`, `0-9`, `-` and `.`.
pub fn validate_permission(field: &str, permission: &str) -> Result<(), Invalid> {
    if permission == "*" {
        return Ok(());
    }
    let part_ok = |p: &str| {
        p == "*"
            || (!p.is_empty()
                && p.len() <= 64
                && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'))
    };
    match permission.split_once(':') {
        Some((resource, action)) if part_ok(resource) && part_ok(action) => Ok(()),
        _ => Err(Invalid::new(
            field,
            format!("{permission:?} is not a permission of the form resource:action (e.g. users:read, sync:*)"),
        )),
    }
}

/// Whether a granted permission pattern covers a requested permission.
pub fn permission_matches(granted: &str, requested: &str) -> bool {
    if granted == "*" {
        return true;
    }
    let (Some((g_res, g_act)), Some((r_res, r_act))) = (granted.split_once(':'), requested.split_once(':')) else {
        return false;
    };
    (g_res == "*" || g_res == r_res) && (g_act == "*" || g_act == r_act)
}

/// Whether a glob with `*` wildcards (event type patterns such as `user.*`)
/// matches a name. `*` matches any run of characters, dots included.
pub fn glob_matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

/// The facts about a caller that authorization needs.
#[derive(Debug, Clone)]
pub struct Subject {
    /// Tenant slug the caller belongs to.
    pub tenant: String,
    /// Role names held.
    pub roles: Vec<String>,
    /// Permission patterns of all held roles, built-in and custom.
    pub permissions: Vec<String>,
}

impl Subject {
    pub fn is_platform_admin(&self) -> bool {
        self.roles.iter().any(|r| r == PLATFORM_ADMIN)
    }
}

/// Where a permission is exercised: platform-wide (tenant lifecycle,
/// signing keys) or inside one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    Platform,
    Tenant(&'a str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub reason: String,
}

impl Decision {
    fn allow(reason: impl Into<String>) -> Self {
        Decision { allowed: true, reason: reason.into() }
    }
    fn deny(reason: impl Into<String>) -> Self {
        Decision { allowed: false, reason: reason.into() }
    }
}

/// Decide whether `subject` may exercise `permission` in `scope`.
///
/// Platform admins may do everything everywhere. Everybody else acts only
/// inside their own tenant, never platform-wide, and only with a permission
/// one of their roles grants.
pub fn authorize(subject: &Subject, permission: &str, scope: Scope<'_>) -> Decision {
    if subject.is_platform_admin() {
        return Decision::allow(format!("role {PLATFORM_ADMIN} grants everything"));
    }
    match scope {
        Scope::Platform => {
            return Decision::deny(format!("{permission} is a platform-wide action; it needs role {PLATFORM_ADMIN}"));
        }
        Scope::Tenant(tenant) if tenant != subject.tenant => {
            return Decision::deny(format!("tenant {tenant:?} is not the caller's tenant"));
        }
        Scope::Tenant(_) => {}
    }
    match subject.permissions.iter().find(|granted| permission_matches(granted, permission)) {
        Some(granted) => Decision::allow(format!("granted by permission {granted}")),
        None => Decision::deny(format!("no role of the caller grants {permission}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(tenant: &str, roles: &[&str], permissions: &[&str]) -> Subject {
        Subject {
            tenant: tenant.into(),
            roles: roles.iter().map(|s| s.to_string()).collect(),
            permissions: permissions.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn permission_wildcards() {
        assert!(permission_matches("*", "users:delete"));
        assert!(permission_matches("users:*", "users:delete"));
        assert!(permission_matches("*:read", "users:read"));
        assert!(!permission_matches("*:read", "users:delete"));
        assert!(!permission_matches("users:read", "roles:read"));
        assert!(!permission_matches("users", "users:read"));
        assert!(validate_permission("p", "sync:*").is_ok());
        assert!(validate_permission("p", "users").is_err());
        assert!(validate_permission("p", "users:Read").is_err());
        assert!(validate_permission("p", "a:b:c").is_err());
    }

    #[test]
    fn globs() {
        assert!(glob_matches("user.*", "user.created"));
        assert!(glob_matches("*", "tenant.suspended"));
        assert!(glob_matches("user.created", "user.created"));
        assert!(!glob_matches("user.*", "tenant.created"));
        assert!(glob_matches("*.deleted", "role.deleted"));
        assert!(glob_matches("u*r.*d", "user.created"));
        assert!(!glob_matches("user.*x", "user.created"));
    }

    #[test]
    fn tenants_are_walls() {
        let admin = subject("acme", &[TENANT_ADMIN], &["*"]);
        assert!(authorize(&admin, "users:delete", Scope::Tenant("acme")).allowed);
        assert!(!authorize(&admin, "users:read", Scope::Tenant("globex")).allowed);
        assert!(!authorize(&admin, "tenants:create", Scope::Platform).allowed);
        let root = subject("system", &[PLATFORM_ADMIN], &["*"]);
        assert!(authorize(&root, "tenants:create", Scope::Platform).allowed);
        assert!(authorize(&root, "users:delete", Scope::Tenant("globex")).allowed);
    }

    #[test]
    fn builtin_member_and_viewer() {
        let member = subject("acme", &[MEMBER], builtin_role(MEMBER).expect("member").permissions);
        assert!(authorize(&member, "users:read", Scope::Tenant("acme")).allowed);
        assert!(authorize(&member, "self:update", Scope::Tenant("acme")).allowed);
        assert!(!authorize(&member, "users:update", Scope::Tenant("acme")).allowed);
        let viewer = subject("acme", &[VIEWER], builtin_role(VIEWER).expect("viewer").permissions);
        assert!(authorize(&viewer, "audit:read", Scope::Tenant("acme")).allowed);
        assert!(!authorize(&viewer, "users:create", Scope::Tenant("acme")).allowed);
    }
}
