//! The catalog of what plat emits: every event type plat itself writes,
//! with its aggregate kind, the audit action recorded with it, and the
//! schema of its `data`. One table, one row per type.
//!
//! Everything else follows from it: the store writes only these types
//! (`plat_store`'s event drafts take a `&'static EventType`, never a
//! string), the publish rules reserve their namespaces and aggregate kinds
//! (`plat_domain::publish`), and `docs/events.md`'s table is tested against
//! it. Adding an event type is one row of `catalog!` here ([`ALL`] follows)
//! and its line in docs/events.md's table (a test holds them together).

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

/// One event type plat emits.
#[derive(Debug)]
pub struct EventType {
    /// The type's name, `user.created`: its first segment is its namespace.
    pub name: &'static str,
    /// The kind of aggregate it is about (`aggregate.kind`).
    pub aggregate: &'static str,
    /// The audit action the store records with it in the same transaction,
    /// when the change is the event's own (`user.create`); `None` for
    /// activity and announcements that are not an actor's change.
    pub audit: Option<&'static str>,
    /// Whether the change it records can change a permission check's
    /// answer: who holds which roles where, custom roles, the tree,
    /// memberships, whether an account may act. Writing one moves the
    /// authority generation (`plat_store`'s `record_event`), which every
    /// replica's cached decisions are checked against
    /// (`docs/permissions.md`, "What a check costs").
    pub authority: bool,
    /// The JSON schema of its `data`.
    pub data: fn(&mut SchemaGenerator) -> Schema,
    /// When plat emits it (docs/events.md).
    pub when: &'static str,
}

impl EventType {
    /// The namespace: the type's first segment and its dot, `user.`.
    pub fn namespace(&self) -> &'static str {
        let end = self.name.find('.').map_or(self.name.len(), |i| i + 1);
        &self.name[..end]
    }
}

impl PartialEq for EventType {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// The `data` of `sync.ping`: the target it tests.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct PingData {
    pub target: String,
}

/// Namespaces no event type of plat's uses yet but that stay plat's:
/// `plat.` for plat's own future use.
pub const RESERVED_NAMESPACES: &[&str] = &["plat."];

macro_rules! catalog {
    ($($id:ident = $name:literal, $kind:literal, $audit:expr, $authority:literal, $data:ty, $when:literal;)+) => {
        $(
            #[doc = concat!("`", $name, "`: ", $when)]
            pub const $id: &EventType = &EventType {
                name: $name,
                aggregate: $kind,
                audit: $audit,
                authority: $authority,
                data: <$data as JsonSchema>::json_schema,
                when: $when,
            };
        )+
        /// Every event type plat emits, in the order `docs/events.md` lists them.
        pub const ALL: &[&EventType] = &[$($id),+];
    };
}

use crate::{Organization, Role, ServiceAccount, ServiceRegistration, Session, Tenant, User};

catalog! {
    USER_CREATED = "user.created", "user", Some("user.create"), false, User, "a user is created (`data`: the user)";
    USER_UPDATED = "user.updated", "user", Some("user.update"), true, User, "a user's account or profile changes";
    USER_DELETED = "user.deleted", "user", Some("user.delete"), true, User, "a user is deleted (soft or hard; `data`: the last snapshot)";
    USER_PASSWORD_CHANGED = "user.password_changed", "user", Some("user.set_password"), false, User, "a user's password is set";
    USER_ROLES_CHANGED = "user.roles_changed", "user", None, true, User, "a role is granted to or revoked from a user (audited as `role.grant` / `role.revoke`)";
    USER_ACTIVATED = "user.activated", "user", Some("user.enable"), true, User, "an admin enables a user";
    USER_SUSPENDED = "user.suspended", "user", Some("user.disable"), true, User, "an admin disables a user";
    USER_UNLOCKED = "user.unlocked", "user", Some("user.unlock"), true, User, "an admin unlocks a locked user";
    USER_LOGIN = "user.login", "user", None, false, User, "a user logs in (activity: `metadata` says from where)";
    USER_LOGOUT = "user.logout", "user", None, false, User, "a user logs out";
    USER_LOGIN_FAILED = "user.login_failed", "user", None, false, User, "a login fails for a known user";
    USER_LOCKED = "user.locked", "user", None, true, User, "failed logins lock a user";
    USER_MFA_ENROLLED = "user.mfa_enrolled", "user", None, false, User, "a user confirms a second factor (`metadata.factor`: `totp`)";
    USER_MFA_REMOVED = "user.mfa_removed", "user", None, false, User, "a user's second factors are removed, by the user or reset by an admin (`metadata.factor`, `metadata.by_admin`)";
    SESSION_STARTED = "session.started", "session", None, false, Session, "a person logs in: a session begins (`data`: the session)";
    SESSION_ENDED = "session.ended", "session", Some("session.end"), false, Session, "a session ends before its time: logout, its owner, an admin, a password change (`data`: the session, `ended_reason`)";
    TENANT_CREATED = "tenant.created", "tenant", Some("tenant.create"), false, Tenant, "a tenant is created";
    TENANT_UPDATED = "tenant.updated", "tenant", Some("tenant.update"), false, Tenant, "a tenant changes";
    TENANT_SUSPENDED = "tenant.suspended", "tenant", Some("tenant.suspend"), true, Tenant, "a tenant is suspended";
    TENANT_RESUMED = "tenant.resumed", "tenant", Some("tenant.resume"), true, Tenant, "a tenant is resumed";
    TENANT_DELETED = "tenant.deleted", "tenant", Some("tenant.delete"), true, Tenant, "a tenant is deleted";
    TENANT_QUOTA_WARNING = "tenant.quota_warning", "tenant", None, false, Tenant, "a quota's usage reached 80% of its limit";
    TENANT_QUOTA_EXCEEDED = "tenant.quota_exceeded", "tenant", None, false, Tenant, "a quota's usage reached its limit, or a request was refused for it";
    SERVICE_ACCOUNT_CREATED = "service_account.created", "service_account", Some("service_account.create"), true, ServiceAccount, "a service account is created (`data`: the account, never its secret)";
    SERVICE_ACCOUNT_UPDATED = "service_account.updated", "service_account", Some("service_account.update"), true, ServiceAccount, "a service account changes";
    SERVICE_ACCOUNT_SECRET_ROTATED = "service_account.secret_rotated", "service_account", Some("service_account.rotate_secret"), false, ServiceAccount, "a service account's secret is rotated";
    SERVICE_ACCOUNT_DELETED = "service_account.deleted", "service_account", Some("service_account.delete"), true, ServiceAccount, "a service account is deleted";
    ROLE_CREATED = "role.created", "role", Some("role.create"), true, Role, "a custom role is created";
    ROLE_UPDATED = "role.updated", "role", Some("role.update"), true, Role, "a custom role changes";
    ROLE_DELETED = "role.deleted", "role", Some("role.delete"), true, Role, "a custom role is deleted";
    ORGANIZATION_CREATED = "organization.created", "organization", Some("org.created"), true, Organization, "an organization is created";
    ORGANIZATION_UPDATED = "organization.updated", "organization", Some("org.updated"), true, Organization, "an organization is renamed or its fields change";
    ORGANIZATION_MOVED = "organization.moved", "organization", Some("org.moved"), true, Organization, "an organization moves under another parent";
    ORGANIZATION_DELETED = "organization.deleted", "organization", Some("org.deleted"), true, Organization, "an organization is deleted";
    ORGANIZATION_MEMBER_ADDED = "organization.member_added", "organization", Some("org.member_added"), true, Organization, "a user joins an organization";
    ORGANIZATION_MEMBER_REMOVED = "organization.member_removed", "organization", Some("org.member_removed"), true, Organization, "a user leaves an organization";
    ORGANIZATION_ROLE_GRANTED = "organization.role_granted", "organization", Some("org.role_granted"), true, Organization, "a role is granted on an organization";
    ORGANIZATION_ROLE_REVOKED = "organization.role_revoked", "organization", Some("org.role_revoked"), true, Organization, "a role on an organization is revoked";
    SERVICE_REGISTERED = "service.registered", "service", Some("service.registered"), false, ServiceRegistration, "a service registers";
    SERVICE_UPDATED = "service.updated", "service", Some("service.updated"), false, ServiceRegistration, "a registration changes (a re-registration with other settings, new credentials)";
    SERVICE_DEREGISTERED = "service.deregistered", "service", Some("service.deregistered"), false, ServiceRegistration, "a service deregisters";
    SERVICE_HEALTH_CHANGED = "service.health_changed", "service", Some("service.health_changed"), false, ServiceRegistration, "an instance's health verdict changes";
    SYNC_PING = "sync.ping", "sync-target", None, false, PingData, "`platctl sync target test` (delivered at once, never queued)";
}

/// The catalog row of `name`, if plat emits it.
pub fn lookup(name: &str) -> Option<&'static EventType> {
    ALL.iter().copied().find(|t| t.name == name)
}

/// The aggregate kinds of plat's events: no publisher may name one.
pub fn aggregate_kinds() -> impl Iterator<Item = &'static str> {
    let mut kinds: Vec<&'static str> = ALL.iter().map(|t| t.aggregate).collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds.into_iter()
}

/// The namespaces of plat's events (`user.`, `organization.`, ...) and the
/// reserved ones: no publisher may publish, or be granted, a type in one.
pub fn namespaces() -> impl Iterator<Item = &'static str> {
    let mut spaces: Vec<&'static str> =
        ALL.iter().map(|t| t.namespace()).chain(RESERVED_NAMESPACES.iter().copied()).collect();
    spaces.sort_unstable();
    spaces.dedup();
    spaces.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_well_formed_and_named_once() {
        let mut names: Vec<&str> = ALL.iter().map(|t| t.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "a type is listed twice");
        for t in ALL {
            assert!(t.name.contains('.') && t.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_'));
            assert!(!t.aggregate.is_empty());
            let mut generator = SchemaGenerator::default();
            let schema = (t.data)(&mut generator);
            assert!(schema.as_value().is_object(), "{}", t.name);
        }
    }

    #[test]
    fn namespaces_and_kinds_come_from_the_rows() {
        let spaces: Vec<&str> = namespaces().collect();
        for expected in ["organization.", "plat.", "role.", "service.", "service_account.", "sync.", "tenant.", "user."]
        {
            assert!(spaces.contains(&expected), "{expected}");
        }
        let kinds: Vec<&str> = aggregate_kinds().collect();
        assert!(kinds.contains(&"organization"));
        assert_eq!(lookup("organization.deleted"), Some(ORGANIZATION_DELETED));
        assert_eq!(lookup("file.uploaded"), None);
    }

    /// docs/events.md's table of plat's own events names every type of the
    /// catalog with its aggregate kind, and nothing else.
    #[test]
    fn the_events_doc_lists_the_catalog() {
        let doc = include_str!("../../../docs/events.md");
        let start = doc.find("## plat's own events").expect("the section");
        let section = &doc[start..];
        let table: Vec<&str> =
            section.lines().skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|')).collect();
        let mut listed = Vec::new();
        for line in table.iter().skip(2) {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let kind = cells.get(2).copied().unwrap_or("").trim_matches('`');
            for name in cells[1].split(',').map(|n| n.trim().trim_matches('`')) {
                let row =
                    lookup(name).unwrap_or_else(|| panic!("docs/events.md lists {name}, which plat does not emit"));
                assert_eq!(row.aggregate, kind, "{name}'s aggregate in docs/events.md");
                listed.push(name);
            }
        }
        for t in ALL {
            assert!(listed.contains(&t.name), "docs/events.md does not list {}", t.name);
        }
    }
}
