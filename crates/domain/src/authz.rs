//! Permissions (`resource:action` with `*` wildcards), the built-in roles and
//! the authorization decision every endpoint asks for.

use crate::Invalid;

/// Built-in roles. They exist in every tenant and cannot be changed.
pub const PLATFORM_ADMIN: &str = "platform-admin";
pub const TENANT_ADMIN: &str = "tenant-admin";
pub const MEMBER: &str = "member";
pub const VIEWER: &str = "viewer";
/// Granted on an organization (`docs/organizations.md`): manages that
/// subtree's organizations, members and users, and grants roles in it.
pub const ORG_ADMIN: &str = "org-admin";

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
    BuiltinRole {
        name: ORG_ADMIN,
        description: "Manage organizations, their members and those members' accounts, sessions and second factors; meant to be granted on an organization",
        permissions: &[
            "orgs:*",
            "users:create",
            "users:read",
            "users:update",
            "users:delete",
            "roles:grant",
            "sessions:read",
            "sessions:end",
            "mfa:read",
            "mfa:reset",
        ],
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

/// Longest glob a caller may send.
pub const MAX_GLOB_LEN: usize = 128;
/// Most `*` wildcards in one glob.
pub const MAX_GLOB_STARS: usize = 4;

/// Check a glob a caller sends (event type patterns, filters). Its length
/// and wildcard count are bounded so that matching stays cheap in memory
/// and as SQL `LIKE`, whose backtracking grows with every `%`
/// (`*a*a*a*a*a*…` against a long value).
pub fn validate_glob(field: &str, pattern: &str) -> Result<(), Invalid> {
    if pattern.is_empty() || pattern.len() > MAX_GLOB_LEN {
        return Err(Invalid::new(field, format!("must be 1 to {MAX_GLOB_LEN} characters")));
    }
    if pattern.chars().any(char::is_control) {
        return Err(Invalid::new(field, "must not contain control characters"));
    }
    if pattern.matches('*').count() > MAX_GLOB_STARS {
        return Err(Invalid::new(field, format!("{pattern:?} has more than {MAX_GLOB_STARS} '*' wildcards")));
    }
    Ok(())
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

/// Text escaped for SQL `LIKE ... ESCAPE '\'`: LIKE's wildcards `%` and
/// `_` and the escape character itself match only themselves.
pub fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A `*` glob (`user.*`) as a LIKE pattern (`user.%`), with LIKE's own
/// wildcards and the escape character escaped (`ESCAPE '\'`). Under
/// case-sensitive LIKE it matches what [`glob_matches`] matches.
pub fn like_pattern(glob: &str) -> String {
    glob.split('*').map(like_escape).collect::<Vec<_>>().join("%")
}

/// A role granted on an organization: what it grants holds in that
/// organization and in everything below it, nowhere else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgGrant {
    /// The organization's stored path of ids (`/id/id/`, `crate::org`).
    pub path: String,
    /// Its path of names (`acme/engineering`), for reasons.
    pub name: String,
    pub role: String,
    /// The role's permission patterns.
    pub permissions: Vec<String>,
}

impl OrgGrant {
    /// Whether this grant reaches something in the organization with the
    /// stored path `path`: the grant is on it or on one of its ancestors.
    pub fn covers(&self, path: &str) -> bool {
        path.starts_with(&self.path)
    }
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
    /// A token's scope: when set, only permissions it covers can be
    /// exercised, whatever the roles grant.
    pub scope: Option<Vec<String>>,
    /// Roles held on organizations (users only).
    pub orgs: Vec<OrgGrant>,
}

impl Subject {
    pub fn is_platform_admin(&self) -> bool {
        self.roles.iter().any(|r| r == PLATFORM_ADMIN)
    }

    /// Whether the token's scope (if any) lets `permission` through.
    fn scope_allows(&self, permission: &str) -> bool {
        self.scope.as_ref().is_none_or(|scope| scope.iter().any(|s| permission_matches(s, permission)))
    }

    /// Whether this subject holds `permission` itself, within its scope,
    /// tenant-wide or (`at`: stored organization paths) through a role on
    /// one of those organizations or their ancestors: the test for handing
    /// it to someone else.
    fn holds(&self, permission: &str, at: &[String]) -> bool {
        let wide = self.is_platform_admin() || self.permissions.iter().any(|g| permission_matches(g, permission));
        (wide || self.org_grant(permission, at).is_some()) && self.scope_allows(permission)
    }

    /// A role on an organization that grants `permission` somewhere in `at`.
    fn org_grant(&self, permission: &str, at: &[String]) -> Option<&OrgGrant> {
        self.orgs.iter().find(|grant| {
            at.iter().any(|path| grant.covers(path))
                && grant.permissions.iter().any(|g| permission_matches(g, permission))
        })
    }
}

/// Where a permission is exercised: platform-wide (tenant lifecycle,
/// signing keys), inside one tenant, or inside one tenant on something that
/// lies in organizations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    Platform,
    Tenant(&'a str),
    /// A tenant, and the stored paths of the organizations the target lies
    /// in: an organization's own (or its parent's, for changes of where it
    /// sits), or those a user is a member of. A tenant-wide grant allows, and
    /// so does a role on any of those organizations or their ancestors.
    Orgs(&'a str, &'a [String]),
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
    if !subject.scope_allows(permission) {
        return Decision::deny(format!("the token's scope does not include {permission}"));
    }
    if subject.is_platform_admin() {
        return Decision::allow(format!("role {PLATFORM_ADMIN} grants everything"));
    }
    let (tenant, at) = match scope {
        Scope::Platform => {
            return Decision::deny(format!("{permission} is a platform-wide action; it needs role {PLATFORM_ADMIN}"));
        }
        Scope::Tenant(tenant) => (tenant, &[][..]),
        Scope::Orgs(tenant, at) => (tenant, at),
    };
    if tenant != subject.tenant {
        return Decision::deny(format!("tenant {tenant:?} is not the caller's tenant"));
    }
    if let Some(granted) = subject.permissions.iter().find(|granted| permission_matches(granted, permission)) {
        return Decision::allow(format!("granted by permission {granted}"));
    }
    if let Some(grant) = subject.org_grant(permission, at) {
        return Decision::allow(format!("granted by role {} on organization {}", grant.role, grant.name));
    }
    if subject.orgs.iter().any(|g| g.permissions.iter().any(|p| permission_matches(p, permission))) {
        return Decision::deny(format!(
            "the caller holds {permission} only on organizations this is not in (or not below)"
        ));
    }
    Decision::deny(format!("no role of the caller grants {permission}"))
}

/// What a permission's condition may read: the check's `context` (what the
/// caller says about the action: `{"folder": ..., "file_size": ...}`) and the
/// `principal` asked about (`id`, `name`, `tenant`, `roles`, `kind`).
pub const CONDITION_ROOTS: &[&str] = &["context", "principal"];

/// A permission a custom role grants only when a condition holds.
#[derive(Debug, Clone)]
pub struct ConditionalGrant {
    pub role: String,
    pub permission: String,
    /// The condition as written, for the decision's reason.
    pub text: String,
    pub when: crate::expr::Expr,
}

impl ConditionalGrant {
    /// Parse a role's condition; errors name `field` and say where.
    pub fn parse(field: &str, role: &str, permission: &str, when: &str) -> Result<ConditionalGrant, Invalid> {
        let expr = crate::expr::Expr::parse(when, CONDITION_ROOTS).map_err(|e| Invalid::new(field, e.to_string()))?;
        Ok(ConditionalGrant {
            role: role.to_owned(),
            permission: permission.to_owned(),
            text: when.to_owned(),
            when: expr,
        })
    }
}

/// [`authorize`], and then the subject's conditional grants: one whose
/// permission covers `permission` (judged by [`authorize`] itself, so the
/// tenant and the token's scope bound it alike) allows when its condition
/// is true over `input` (`{"context": …, "principal": …}`). Conditions
/// only ever add to what the roles grant outright, and only where a caller
/// asks with a context (`POST /authz/check`): a request to plat's own API
/// has none, so they never widen it.
pub fn authorize_with(
    subject: &Subject,
    grants: &[ConditionalGrant],
    permission: &str,
    scope: Scope<'_>,
    input: &serde_json::Value,
) -> Decision {
    let plain = authorize(subject, permission, scope);
    if plain.allowed {
        return plain;
    }
    for grant in grants {
        let only = Subject { permissions: vec![grant.permission.clone()], ..subject.clone() };
        if authorize(&only, permission, scope).allowed && grant.when.matches(input) {
            return Decision::allow(format!(
                "granted by permission {} of role {} when {}",
                grant.permission, grant.role, grant.text
            ));
        }
    }
    match grants.iter().find(|g| permission_matches(&g.permission, permission)) {
        Some(grant) if plain.reason.starts_with("no role") => Decision::deny(format!(
            "role {} grants {} only when {}, which the context does not satisfy",
            grant.role, grant.permission, grant.text
        )),
        _ => plain,
    }
}

/// Who is handing out power: plat itself (bootstrap, its own repairs) or an
/// authenticated caller. The default is nobody, so a change that forgot to
/// say who acts can confer nothing.
#[derive(Debug, Clone, Default)]
pub enum Authority {
    #[default]
    Nobody,
    Platform,
    Caller(Subject),
}

/// Power about to be handed to a holder: roles for a user or service account,
/// the permissions of a role its holders will gain, or what a token reaches.
#[derive(Debug, Clone, Copy)]
pub struct Conferral<'a> {
    /// Tenant of whoever will hold it.
    pub tenant: &'a str,
    /// Whether it includes the role `platform-admin`.
    pub platform_admin: bool,
    /// The permission patterns it carries.
    pub permissions: &'a [String],
    /// Where it will hold: the stored path of the organization it is granted
    /// on (a role on an organization), or nothing (tenant-wide).
    pub at: Option<&'a str>,
}

/// Why a conferral is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The authority may not hand this out (PERMISSION_DENIED).
    Denied(String),
    /// Nobody may hold this (VALIDATION_ERROR).
    Invalid(Invalid),
}

/// The one rule for handing out roles and permissions, called on every path
/// that sets roles, changes what a role grants, or mints a token for someone:
///
/// - `platform-admin` is held only inside the `system` tenant, and only a
///   platform admin (with an unscoped token) hands it out;
/// - everybody else confers only inside their own tenant, and only
///   permissions they hold themselves within their token's scope, where the
///   holder will hold them (no one can mint a role, a grant or a token
///   stronger than their own; a role on an organization reaches no further
///   than that organization's subtree, so a role held there is enough);
/// - a custom role never reaches platform scope: only `platform-admin` does
///   (see [`authorize`]), and custom roles cannot take a built-in name.
pub fn may_confer(authority: &Authority, what: &Conferral<'_>) -> Result<(), Refusal> {
    let caller = match authority {
        Authority::Platform => None,
        Authority::Nobody => return Err(Refusal::Denied("no authenticated caller may confer roles here".into())),
        Authority::Caller(caller) => Some(caller),
    };
    // Who asks is answered first: a tenant admin trying for platform-admin
    // learns that it is not theirs to give, not where it could be held.
    if let Some(caller) = caller {
        if what.platform_admin && !(caller.is_platform_admin() && caller.scope.is_none()) {
            return Err(Refusal::Denied(format!("only a {PLATFORM_ADMIN} may hand out {PLATFORM_ADMIN}")));
        }
        if !caller.is_platform_admin() && caller.tenant != what.tenant {
            return Err(Refusal::Denied(format!("tenant {:?} is not the caller's tenant", what.tenant)));
        }
        let at: Vec<String> = what.at.map(str::to_owned).into_iter().collect();
        if let Some(p) = what.permissions.iter().find(|p| !caller.holds(p, &at)) {
            let there = if what.at.is_some() { " there" } else { "" };
            return Err(Refusal::Denied(format!("the caller cannot hand out {p}: it does not hold it{there}")));
        }
    }
    if what.platform_admin && what.tenant != plat_proto::SYSTEM_TENANT {
        return Err(Refusal::Invalid(Invalid::new(
            "roles",
            format!("{PLATFORM_ADMIN} can be held only inside the {} tenant", plat_proto::SYSTEM_TENANT),
        )));
    }
    Ok(())
}

/// Whether `authority` may take the place of the user `target`: set their
/// password, mint their token, or (reaching them only through a role on an
/// organization) manage them at all. Allowed when `target` holds nothing the
/// caller does not hold, each where the target holds it: their roles'
/// permissions tenant-wide (a role on an organization does not make up for
/// one the target holds everywhere), and each of their roles on
/// organizations on that organization. So a tenant admin who joins a team
/// stays out of its organization admin's reach, and so do the admin of a
/// sibling department and anyone holding `org-admin` tenant-wide. `self:…`
/// permissions are no power over anyone else and are not weighed. Taking a
/// place is holding what it holds: the same rule as [`may_confer`].
pub fn may_take_over(authority: &Authority, target: &Subject) -> Result<(), Refusal> {
    let caller = match authority {
        Authority::Platform => return Ok(()),
        Authority::Nobody => return Err(Refusal::Denied("no authenticated caller may act for this user".into())),
        Authority::Caller(caller) => caller,
    };
    let denied = |p: &str| Refusal::Denied(format!("the user holds {p} tenant-wide, which the caller does not"));
    if target.is_platform_admin() && !(caller.is_platform_admin() && caller.scope.is_none()) {
        return Err(denied(PLATFORM_ADMIN));
    }
    if !caller.is_platform_admin() && caller.tenant != target.tenant {
        return Err(Refusal::Denied(format!("tenant {:?} is not the caller's tenant", target.tenant)));
    }
    let over_others = |p: &&String| !p.starts_with("self:");
    if let Some(p) = target.permissions.iter().filter(over_others).find(|p| !caller.holds(p, &[])) {
        return Err(denied(p));
    }
    for grant in &target.orgs {
        let there = std::slice::from_ref(&grant.path);
        if let Some(p) = grant.permissions.iter().filter(over_others).find(|p| !caller.holds(p, there)) {
            return Err(Refusal::Denied(format!(
                "the user holds {p} on organization {} (role {}), which the caller does not hold there",
                grant.name, grant.role
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_add_only_where_the_context_satisfies_them() {
        let subject = Subject {
            tenant: "acme".into(),
            roles: vec!["uploader".into()],
            permissions: vec!["files:read".into()],
            scope: None,
            orgs: Vec::new(),
        };
        let when = "context.file_size <= 10485760 || starts_with(context.folder, principal.id)";
        let grants = vec![ConditionalGrant::parse("conditions", "uploader", "files:upload", when).expect("parses")];
        let input = |context: serde_json::Value| serde_json::json!({"context": context, "principal": {"id": "u1"}});
        let acme = Scope::Tenant("acme");
        let small =
            authorize_with(&subject, &grants, "files:upload", acme, &input(serde_json::json!({"file_size": 10})));
        assert!(small.allowed && small.reason.contains("role uploader when"), "{small:?}");
        let own = serde_json::json!({"file_size": 1e9, "folder": "u1/x"});
        assert!(authorize_with(&subject, &grants, "files:upload", acme, &input(own)).allowed);
        let big =
            authorize_with(&subject, &grants, "files:upload", acme, &input(serde_json::json!({"file_size": 1e9})));
        assert!(!big.allowed && big.reason.contains("only when"), "{big:?}");
        // No context: the condition reads nulls and is false.
        assert!(!authorize_with(&subject, &grants, "files:upload", acme, &serde_json::Value::Null).allowed);
        // Another tenant, or a token scope without it: a condition cannot reach past them.
        let other = Scope::Tenant("globex");
        assert!(
            !authorize_with(&subject, &grants, "files:upload", other, &input(serde_json::json!({"file_size": 1})))
                .allowed
        );
        let scoped = Subject { scope: Some(vec!["files:read".into()]), ..subject.clone() };
        assert!(
            !authorize_with(&scoped, &grants, "files:upload", acme, &input(serde_json::json!({"file_size": 1})))
                .allowed
        );
        // Outright grants need no context.
        assert!(authorize_with(&subject, &grants, "files:read", acme, &serde_json::Value::Null).allowed);
        let bad =
            ConditionalGrant::parse("conditions[0].when", "r", "files:upload", "context.size <=").expect_err("refused");
        assert_eq!(bad.field, "conditions[0].when");
        assert!(ConditionalGrant::parse("c", "r", "p", "data.x == 1").is_err(), "only context and principal");
    }

    fn subject(tenant: &str, roles: &[&str], permissions: &[&str]) -> Subject {
        Subject {
            tenant: tenant.into(),
            roles: roles.iter().map(|s| s.to_string()).collect(),
            permissions: permissions.iter().map(|s| s.to_string()).collect(),
            scope: None,
            orgs: Vec::new(),
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn conferral_rule() {
        let root = Authority::Caller(subject("system", &[PLATFORM_ADMIN], &["*"]));
        let system_admin = Authority::Caller(subject("system", &[TENANT_ADMIN], &["*"]));
        let acme_admin = Authority::Caller(subject("acme", &[TENANT_ADMIN], &["*"]));
        let acme_hr = Authority::Caller(subject("acme", &["hr"], &["users:*", "roles:grant", "self:read"]));
        let mut scoped = subject("system", &[PLATFORM_ADMIN], &["*"]);
        scoped.scope = Some(strings(&["users:create"]));
        let scoped_root = Authority::Caller(scoped);
        let everything = strings(&["*"]);
        let read = strings(&["users:read"]);
        let roles_write = strings(&["roles:*"]);
        let wide_read = strings(&["*:read"]);
        let pa = |tenant| Conferral { tenant, platform_admin: true, permissions: &everything, at: None };
        let perms = |tenant, permissions| Conferral { tenant, platform_admin: false, permissions, at: None };
        let denied = |r: Result<(), Refusal>| matches!(r, Err(Refusal::Denied(_)));
        let invalid = |r: Result<(), Refusal>| matches!(r, Err(Refusal::Invalid(_)));
        // platform-admin: only in system, only from an unscoped platform admin.
        assert_eq!(may_confer(&root, &pa("system")), Ok(()));
        assert_eq!(may_confer(&Authority::Platform, &pa("system")), Ok(()));
        assert!(invalid(may_confer(&root, &pa("acme"))));
        assert!(denied(may_confer(&acme_admin, &pa("acme"))), "who asks is answered first");
        assert!(denied(may_confer(&system_admin, &pa("system"))));
        assert!(denied(may_confer(&scoped_root, &pa("system"))));
        assert!(denied(may_confer(&Authority::Nobody, &perms("acme", &read))));
        // Tenant walls.
        assert_eq!(may_confer(&acme_admin, &perms("acme", &everything)), Ok(()));
        assert!(denied(may_confer(&acme_admin, &perms("globex", &read))));
        assert_eq!(may_confer(&root, &perms("globex", &everything)), Ok(()));
        // Nobody hands out what they do not hold.
        assert_eq!(may_confer(&acme_hr, &perms("acme", &read)), Ok(()));
        assert!(denied(may_confer(&acme_hr, &perms("acme", &everything))));
        assert!(denied(may_confer(&acme_hr, &perms("acme", &roles_write))));
        assert!(denied(may_confer(&acme_hr, &perms("acme", &wide_read))), "*:read is wider than users:*");
        // A scope narrows what its holder can hand out.
        assert!(denied(may_confer(&scoped_root, &perms("acme", &read))));
    }

    fn grant(path: &str, role: &str) -> OrgGrant {
        let permissions =
            builtin_role(role).map(|b| strings(b.permissions)).unwrap_or_else(|| strings(&["users:read"]));
        OrgGrant { path: path.into(), name: path.trim_matches('/').into(), role: role.into(), permissions }
    }

    #[test]
    fn a_role_on_an_organization_reaches_its_subtree_only() {
        let mut admin = subject("acme", &[MEMBER], builtin_role(MEMBER).expect("member").permissions);
        admin.orgs = vec![grant("/eng/", ORG_ADMIN)];
        let at = |paths: &[&str]| strings(paths);
        let (eng, team, sales) = (at(&["/eng/"]), at(&["/eng/backend/"]), at(&["/sales/"]));
        let allowed = |p: &str, paths: &[String]| authorize(&admin, p, Scope::Orgs("acme", paths)).allowed;
        assert!(allowed("orgs:create", &eng) && allowed("users:update", &team));
        assert!(!allowed("users:update", &sales), "a sibling is out of reach");
        assert!(!allowed("users:update", &[]), "the tenant itself is out of reach");
        assert!(allowed("users:update", &at(&["/sales/", "/eng/x/"])), "one organization in reach is enough");
        assert!(!authorize(&admin, "users:update", Scope::Tenant("acme")).allowed, "tenant scope ignores it");
        assert!(!authorize(&admin, "orgs:create", Scope::Orgs("globex", &eng)).allowed, "tenants are walls");
        assert!(!allowed("tenants:update", &eng), "only what the role grants");
        let reason = authorize(&admin, "users:update", Scope::Orgs("acme", &team)).reason;
        assert!(reason.contains("org-admin on organization eng"), "{reason}");
        // A path prefix is not an ancestor unless it ends at an id: paths end with '/'.
        assert!(!allowed("users:update", &at(&["/engx/"])));
        // Scope narrows org grants too.
        let mut scoped = admin.clone();
        scoped.scope = Some(strings(&["users:read"]));
        assert!(!authorize(&scoped, "users:update", Scope::Orgs("acme", &team)).allowed);

        // Conferring on an organization: what the caller holds there.
        let who = Authority::Caller(admin.clone());
        let org_admin = strings(builtin_role(ORG_ADMIN).expect("org-admin").permissions);
        let on = |at| Conferral { tenant: "acme", platform_admin: false, permissions: &org_admin, at };
        assert_eq!(may_confer(&who, &on(Some("/eng/backend/"))), Ok(()));
        assert!(may_confer(&who, &on(Some("/sales/"))).is_err());
        assert!(may_confer(&who, &on(None)).is_err(), "not tenant-wide");
        let everything = strings(&["*"]);
        let all = Conferral { tenant: "acme", platform_admin: false, permissions: &everything, at: Some("/eng/") };
        assert!(may_confer(&who, &all).is_err(), "not more than the role");

        // Managing a user reached through the organization.
        let member = subject("acme", &[MEMBER], builtin_role(MEMBER).expect("member").permissions);
        assert_eq!(may_take_over(&who, &member), Ok(()));
        let boss = subject("acme", &[TENANT_ADMIN], &["*"]);
        assert!(may_take_over(&who, &boss).is_err(), "a tenant admin in a team stays out of reach");
        // A role held on the organization does not make up for one held tenant-wide.
        let wide_org_admin = subject("acme", &[ORG_ADMIN], builtin_role(ORG_ADMIN).expect("org-admin").permissions);
        assert!(may_take_over(&who, &wide_org_admin).is_err(), "org-admin held tenant-wide is more");
        let mut bare = admin.clone();
        bare.permissions.clear();
        assert!(may_take_over(&Authority::Caller(bare), &member).is_err(), "the member reads the whole directory");
        let mut sibling_admin = member.clone();
        sibling_admin.orgs = vec![grant("/sales/", ORG_ADMIN)];
        assert!(
            matches!(may_take_over(&who, &sibling_admin), Err(Refusal::Denied(r)) if r.contains("organization sales"))
        );
        let mut sub_admin = member.clone();
        sub_admin.orgs = vec![grant("/eng/backend/", ORG_ADMIN)];
        assert_eq!(may_take_over(&who, &sub_admin), Ok(()), "an admin below is within reach");
        let root = subject("system", &[PLATFORM_ADMIN], &["*"]);
        assert!(may_take_over(&who, &root).is_err());
    }

    #[test]
    fn scope_narrows_authorization() {
        let mut admin = subject("acme", &[TENANT_ADMIN], &["*"]);
        admin.scope = Some(strings(&["users:read"]));
        assert!(authorize(&admin, "users:read", Scope::Tenant("acme")).allowed);
        assert!(!authorize(&admin, "users:delete", Scope::Tenant("acme")).allowed);
        let mut root = subject("system", &[PLATFORM_ADMIN], &["*"]);
        root.scope = Some(strings(&["checks:*"]));
        assert!(authorize(&root, "checks:run", Scope::Platform).allowed);
        assert!(!authorize(&root, "keys:rotate", Scope::Platform).allowed);
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
    fn globs_are_bounded() {
        assert!(validate_glob("type", "user.*").is_ok());
        assert!(validate_glob("type", "*a*a*a*").is_ok());
        assert!(validate_glob("type", "*a*a*a*a*").is_err());
        assert!(validate_glob("type", "").is_err());
        assert!(validate_glob("type", &"a".repeat(MAX_GLOB_LEN + 1)).is_err());
        assert!(validate_glob("type", "user\n").is_err(), "control characters");
        assert!(validate_glob("type", "user\u{0}").is_err());
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
        assert_eq!(like_pattern("user.*"), "user.%");
        assert_eq!(like_pattern("*a_b%c\\*"), "%a\\_b\\%c\\\\%");
        assert_eq!(like_escape("50%_off\\"), "50\\%\\_off\\\\");
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
