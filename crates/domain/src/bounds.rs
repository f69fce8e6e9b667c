//! Every request is bounded: each string field has a maximum length and
//! each list a maximum number of items, from `plat_proto::limits`, the same
//! constants the wire types declare in their JSON Schema (`maxLength`,
//! `maxItems`). The daemon's JSON and query extractors run
//! [`Bounded::check_bounds`] on every request before its handler sees it,
//! so no handler, store method or hash ever works on an oversized value.
//!
//! These are only the bounds; the rules of each field (a username's
//! characters, a permission's form, ...) are checked where the field is used,
//! by the validators of `validate.rs`, with the same limits.

use plat_proto::limits as max;
use plat_proto::*;

use crate::{Invalid, validate_count, validate_len};

/// A request whose strings and lists are within `plat_proto::limits`.
pub trait Bounded {
    /// The first field over its bound, as `Invalid` naming the field.
    fn check_bounds(&self) -> Result<(), Invalid>;
}

fn opt(field: &str, value: &Option<String>, max: usize) -> Result<(), Invalid> {
    value.as_deref().map_or(Ok(()), |v| validate_len(field, v, max))
}

/// A list of at most `max_items` strings of at most `max_len` characters.
fn list(field: &str, items: &[String], max_items: usize, max_len: usize) -> Result<(), Invalid> {
    validate_count(field, items.len(), max_items)?;
    items.iter().try_for_each(|item| validate_len(field, item, max_len))
}

fn opt_list(field: &str, items: &Option<Vec<String>>, max_items: usize, max_len: usize) -> Result<(), Invalid> {
    items.as_deref().map_or(Ok(()), |items| list(field, items, max_items, max_len))
}

fn options(field: &str, options: &serde_json::Map<String, serde_json::Value>) -> Result<(), Invalid> {
    validate_count(field, options.len(), max::OPTIONS)
}

fn profile(patch: &Option<ProfilePatch>) -> Result<(), Invalid> {
    patch.as_ref().map_or(Ok(()), Bounded::check_bounds)
}

fn read_back(read_back: &Option<ReadBack>) -> Result<(), Invalid> {
    read_back.as_ref().map_or(Ok(()), |r| opt("read_back.base_url", &r.base_url, max::URL))
}

fn selection(field: &str, selection: &Selection) -> Result<(), Invalid> {
    list(&format!("{field}.include"), &selection.include, max::SELECTION, max::PATTERN)?;
    list(&format!("{field}.exclude"), &selection.exclude, max::SELECTION, max::PATTERN)
}

fn rules(rules: &Option<TargetRules>) -> Result<(), Invalid> {
    let Some(rules) = rules else { return Ok(()) };
    selection("rules.tenants", &rules.tenants)?;
    opt("rules.filter", &rules.filter, max::EXPRESSION)?;
    selection("rules.fields", &rules.fields)
}

impl Bounded for MfaCode {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("code", &self.code, max::MFA_CODE)
    }
}

/// A passkey's answer: at most `CREDENTIAL` bytes of JSON.
fn credential(field: &str, value: Option<&serde_json::Value>) -> Result<(), Invalid> {
    let len = value.map_or(0, |v| v.to_string().len());
    if len > max::CREDENTIAL {
        return Err(Invalid::new(field, format!("must be at most {} bytes of JSON", max::CREDENTIAL)));
    }
    Ok(())
}

impl Bounded for MfaLogin {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("mfa_token", &self.mfa_token, max::TOKEN)?;
        opt("code", &self.code, max::MFA_CODE)?;
        credential("credential", self.credential.as_ref())
    }
}

impl Bounded for MfaProof {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("code", &self.code, max::MFA_CODE)?;
        opt("ceremony", &self.ceremony, max::TOKEN)?;
        credential("credential", self.credential.as_ref())
    }
}

impl Bounded for PasskeyLoginRequest {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("tenant", &self.tenant, max::SLUG)?;
        validate_len("username", &self.username, max::EMAIL)
    }
}

impl Bounded for RegisterPasskey {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("ceremony", &self.ceremony, max::TOKEN)?;
        opt("name", &self.name, max::NAME)?;
        credential("credential", Some(&self.credential))
    }
}

impl Bounded for LoginRequest {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("tenant", &self.tenant, max::SLUG)?;
        validate_len("username", &self.username, max::EMAIL)?;
        validate_len("password", &self.password, max::PASSWORD)
    }
}

impl Bounded for RefreshRequest {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("refresh_token", &self.refresh_token, max::TOKEN)
    }
}

impl Bounded for LogoutRequest {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("refresh_token", &self.refresh_token, max::TOKEN)
    }
}

impl Bounded for TokenRequest {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("grant_type", &self.grant_type, max::ID)?;
        validate_len("client_id", &self.client_id, max::ID)?;
        validate_len("client_secret", &self.client_secret, max::TOKEN)?;
        opt("scope", &self.scope, max::SCOPE)?;
        opt("audience", &self.audience, plat_proto::registry::MAX_DEPENDENCY)?;
        let scopes = self.scope.as_deref().map_or(0, |s| s.split_whitespace().count());
        validate_count("scope", scopes, max::SCOPES)
    }
}

impl Bounded for VerifyRequest {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("token", &self.token, max::TOKEN)?;
        opt("audience", &self.audience, plat_proto::registry::MAX_DEPENDENCY)
    }
}

impl Bounded for IssueTokenRequest {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("user", &self.user, max::USERNAME)?;
        opt("service_account", &self.service_account, max::NAME)?;
        opt("ttl", &self.ttl, max::TIME)?;
        list("scopes", &self.scopes, max::SCOPES, max::PERMISSION)?;
        opt("audience", &self.audience, max::ID)
    }
}

impl Bounded for RevokeRequest {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("token", &self.token, max::TOKEN)?;
        opt("jti", &self.jti, max::ID)?;
        opt("user", &self.user, max::USERNAME)
    }
}

impl Bounded for CreateServiceAccount {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("name", &self.name, max::NAME)?;
        opt("description", &self.description, max::DESCRIPTION)?;
        list("roles", &self.roles, max::ROLES, max::NAME)?;
        list("audiences", &self.audiences, max::AUDIENCES, max::ID)?;
        list("publishes", &self.publishes, max::AUDIENCES, max::PATTERN)?;
        self.jwks.as_ref().map_or(Ok(()), |j| jwks_bounds("jwks", j))
    }
}

impl Bounded for UpdateServiceAccount {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("description", &self.description, max::DESCRIPTION)?;
        if let Some(audiences) = &self.audiences {
            list("audiences", audiences, max::AUDIENCES, max::ID)?;
        }
        opt_list("publishes", &self.publishes, max::AUDIENCES, max::PATTERN)?;
        self.jwks.as_ref().map_or(Ok(()), |j| jwks_bounds("jwks", j))
    }
}

impl Bounded for PublishEvent {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("type", &self.event_type, max::PATTERN)?;
        opt("version", &self.version, max::NAME)?;
        opt("tenant", &self.tenant, max::NAME)?;
        if let Some(aggregate) = &self.aggregate {
            validate_len("aggregate.kind", &aggregate.kind, max::NAME)?;
            validate_len("aggregate.id", &aggregate.id, max::ID)?;
        }
        opt("user", &self.user, max::ID)?;
        opt("correlation_id", &self.correlation_id, max::ID)?;
        opt("causation_id", &self.causation_id, max::ID)?;
        opt("idempotency_key", &self.idempotency_key, max::ID)
    }
}

impl Bounded for PublishBatch {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_count("events", self.events.len(), crate::publish::MAX_BATCH)?;
        if self.events.is_empty() {
            return Err(Invalid::new("events", "give 1 to 1000 events"));
        }
        for (i, event) in self.events.iter().enumerate() {
            // The field as the schema names it; the message says which event.
            event
                .check_bounds()
                .map_err(|e| Invalid::new(format!("events.{}", e.field), format!("events[{i}]: {}", e.message)))?;
        }
        Ok(())
    }
}

fn jwks_bounds(field: &str, jwks: &ClientJwks) -> Result<(), Invalid> {
    let at = |member: &str| format!("{field}.keys.{member}");
    validate_count(&format!("{field}.keys"), jwks.keys.len(), max::CLIENT_KEYS)?;
    for key in &jwks.keys {
        validate_len(&at("kty"), &key.kty, 8)?;
        opt(&at("kid"), &key.kid, max::ID)?;
        opt(&at("alg"), &key.alg, 16)?;
        opt(&at("use"), &key.use_, 8)?;
        opt(&at("crv"), &key.crv, 16)?;
        for (member, part) in [("x", &key.x), ("y", &key.y), ("n", &key.n), ("e", &key.e)] {
            opt(&at(member), part, max::JWK_PART)?;
        }
    }
    Ok(())
}

impl Bounded for ProfilePatch {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("profile.nickname", &self.nickname, max::NICKNAME)?;
        opt("profile.avatar_url", &self.avatar_url, max::URL)?;
        opt("profile.bio", &self.bio, max::BIO)
    }
}

impl Bounded for CreateUser {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("username", &self.username, max::USERNAME)?;
        validate_len("email", &self.email, max::EMAIL)?;
        opt("password", &self.password, max::PASSWORD)?;
        opt_list("roles", &self.roles, max::ROLES, max::NAME)?;
        opt_list("orgs", &self.orgs, max::USER_ORGS, max::ORG_REF)?;
        profile(&self.profile)
    }
}

impl Bounded for UpdateUser {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("email", &self.email, max::EMAIL)?;
        profile(&self.profile)
    }
}

impl Bounded for SetPassword {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("password", &self.password, max::PASSWORD)
    }
}

impl Bounded for GrantRole {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("role", &self.role, max::NAME)
    }
}

impl Bounded for ImportUser {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("username", &self.username, max::USERNAME)?;
        validate_len("email", &self.email, max::EMAIL)?;
        opt("password", &self.password, max::PASSWORD)?;
        opt("password_hash", &self.password_hash, max::PASSWORD_HASH)?;
        opt_list("roles", &self.roles, max::ROLES, max::NAME)?;
        profile(&self.profile)
    }
}

fn conditions(items: &[ConditionalPermission]) -> Result<(), Invalid> {
    validate_count("conditions", items.len(), max::CONDITIONS)?;
    for c in items {
        validate_len("conditions.permission", &c.permission, max::PERMISSION)?;
        validate_len("conditions.when", &c.when, max::EXPRESSION)?;
    }
    Ok(())
}

impl Bounded for CreateRole {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("name", &self.name, max::NAME)?;
        opt("description", &self.description, max::DESCRIPTION)?;
        list("permissions", &self.permissions, max::PERMISSIONS, max::PERMISSION)?;
        conditions(&self.conditions)
    }
}

impl Bounded for UpdateRole {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("description", &self.description, max::DESCRIPTION)?;
        opt_list("permissions", &self.permissions, max::PERMISSIONS, max::PERMISSION)?;
        list("add_permissions", &self.add_permissions, max::PERMISSIONS, max::PERMISSION)?;
        list("remove_permissions", &self.remove_permissions, max::PERMISSIONS, max::PERMISSION)?;
        self.conditions.as_deref().map_or(Ok(()), conditions)
    }
}

impl Bounded for AuthzCheck {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("user", &self.user, max::USERNAME)?;
        opt("service", &self.service, max::NAME)?;
        validate_len("permission", &self.permission, max::PERMISSION)?;
        opt("resource", &self.resource, max::PERMISSION)?;
        opt("action", &self.action, max::PERMISSION)?;
        opt("tenant", &self.tenant, max::SLUG)?;
        opt("org", &self.org, max::ORG_REF)?;
        match &self.context {
            Some(context) if context.to_string().len() > max::AUTHZ_CONTEXT => {
                Err(Invalid::new("context", format!("must be at most {} bytes of JSON", max::AUTHZ_CONTEXT)))
            }
            _ => Ok(()),
        }
    }
}

impl Bounded for AuthzBatch {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_count("checks", self.checks.len(), max::AUTHZ_BATCH)?;
        for check in &self.checks {
            check.check_bounds().map_err(|e| Invalid::new(format!("checks.{}", e.field), e.message))?;
        }
        Ok(())
    }
}

impl Bounded for CreateTenant {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("slug", &self.slug, max::SLUG)?;
        opt("name", &self.name, max::TENANT_NAME)
    }
}

impl Bounded for UpdateTenant {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("name", &self.name, max::TENANT_NAME)?;
        if let Some(security) = &self.security {
            opt("security.session_idle", &security.session_idle, max::TIME)?;
            opt("security.session_lifetime", &security.session_lifetime, max::TIME)?;
            opt_list("security.mfa_roles", &security.mfa_roles, max::ROLES, max::NAME)?;
        }
        Ok(())
    }
}

impl Bounded for CreateTarget {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("name", &self.name, max::NAME)?;
        validate_len("url", &self.url, max::URL)?;
        list("events", &self.events, max::EVENTS, max::PATTERN)?;
        opt("secret", &self.secret, max::SECRET)?;
        opt("timeout", &self.timeout, max::TIME)?;
        options("options", &self.options)?;
        read_back(&self.read_back)?;
        rules(&self.rules)
    }
}

impl Bounded for UpdateTarget {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("url", &self.url, max::URL)?;
        opt_list("events", &self.events, max::EVENTS, max::PATTERN)?;
        opt("secret", &self.secret, max::SECRET)?;
        opt("timeout", &self.timeout, max::TIME)?;
        self.options.as_ref().map_or(Ok(()), |o| options("options", o))?;
        read_back(&self.read_back)?;
        rules(&self.rules)
    }
}

/// The event is any JSON; the extractor's catch-all bounds hold its strings
/// and lists.
impl Bounded for PreviewEvent {
    fn check_bounds(&self) -> Result<(), Invalid> {
        Ok(())
    }
}

impl Bounded for ReplayEvents {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("since", &self.since, max::TIME)?;
        opt("until", &self.until, max::TIME)?;
        list("types", &self.types, max::EVENTS, max::PATTERN)
    }
}

impl Bounded for DlqReplay {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("target", &self.target, max::NAME)?;
        validate_count("ids", self.ids.len(), max::DLQ_IDS)
    }
}

impl Bounded for DlqPurge {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("target", &self.target, max::NAME)?;
        validate_count("ids", self.ids.len(), max::DLQ_IDS)?;
        opt("older_than", &self.older_than, max::TIME)
    }
}

impl Bounded for CreateCheck {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("target", &self.target, max::NAME)
    }
}

/// Types made only of numbers, booleans and enums: nothing to bound.
macro_rules! nothing_to_bound {
    ($($t:ty),* $(,)?) => {$(
        impl Bounded for $t {
            fn check_bounds(&self) -> Result<(), Invalid> {
                Ok(())
            }
        }
    )*};
}

nothing_to_bound!(
    TenantDeleteQuery,
    UserDeleteQuery,
    MfaResetQuery,
    ImportQuery,
    CheckGetQuery,
    SetQuota,
    QuotaCheck,
    OrgDeleteQuery
);

fn org_metadata(metadata: &Option<serde_json::Map<String, serde_json::Value>>) -> Result<(), Invalid> {
    metadata.as_ref().map_or(Ok(()), crate::org::validate_metadata)
}

impl Bounded for CreateOrganization {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("name", &self.name, max::NAME)?;
        opt("parent", &self.parent, max::ORG_REF)?;
        opt("display_name", &self.display_name, max::TENANT_NAME)?;
        opt("type", &self.kind, max::NAME)?;
        org_metadata(&self.metadata)
    }
}

impl Bounded for UpdateOrganization {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("name", &self.name, max::NAME)?;
        opt("display_name", &self.display_name, max::TENANT_NAME)?;
        opt("type", &self.kind, max::NAME)?;
        org_metadata(&self.metadata)
    }
}

impl Bounded for MoveOrganization {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("parent", &self.parent, max::ORG_REF)
    }
}

impl Bounded for OrgListQuery {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("parent", &self.parent, max::ORG_REF)
    }
}

impl Bounded for AddMember {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("user", &self.user, max::USERNAME)
    }
}

impl Bounded for GrantOrgRole {
    fn check_bounds(&self) -> Result<(), Invalid> {
        validate_len("user", &self.user, max::USERNAME)?;
        validate_len("role", &self.role, max::NAME)
    }
}

impl Bounded for MemberQuery {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("cursor", &self.cursor, max::ID)
    }
}

impl Bounded for ReserveQuota {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("ttl", &self.ttl, max::TIME)
    }
}

impl Bounded for SettleQuota {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("reservation", &self.reservation, max::ID)
    }
}

impl Bounded for PageParams {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("cursor", &self.cursor, max::ID)
    }
}

impl Bounded for UserListQuery {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("status", &self.status, max::FILTER)?;
        opt("role", &self.role, max::NAME)?;
        opt("search", &self.search, max::FILTER)?;
        opt("cursor", &self.cursor, max::ID)
    }
}

impl Bounded for TaskQuery {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("target", &self.target, max::NAME)?;
        opt("aggregate_id", &self.aggregate_id, max::ID)?;
        opt("cursor", &self.cursor, max::ID)
    }
}

impl Bounded for EventQuery {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("type", &self.event_type, max::PATTERN)?;
        opt("aggregate_id", &self.aggregate_id, max::ID)?;
        opt("since", &self.since, max::TIME)?;
        opt("cursor", &self.cursor, max::ID)
    }
}

impl Bounded for AuditQuery {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("actor", &self.actor, max::FILTER)?;
        opt("action", &self.action, max::PATTERN)?;
        opt("target", &self.target, max::FILTER)?;
        opt("since", &self.since, max::TIME)?;
        opt("until", &self.until, max::TIME)?;
        opt("cursor", &self.cursor, max::ID)
    }
}

impl Bounded for CheckQuery {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("target", &self.target, max::FILTER)?;
        opt("cursor", &self.cursor, max::ID)
    }
}

impl Bounded for FindingQuery {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("target", &self.target, max::FILTER)?;
        opt("cursor", &self.cursor, max::ID)
    }
}

impl Bounded for RegisterService {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("version", &self.version, plat_proto::registry::MAX_VERSION)?;
        validate_count("endpoints", self.endpoints.len(), plat_proto::registry::MAX_ENDPOINTS)?;
        self.endpoints.iter().try_for_each(|e| validate_len("endpoints.url", &e.url, max::URL))?;
        validate_len("health_check.path", &self.health_check.path, plat_proto::registry::MAX_HEALTH_PATH)?;
        validate_len("health_check.interval", &self.health_check.interval, max::TIME)?;
        validate_len("health_check.timeout", &self.health_check.timeout, max::TIME)?;
        opt("layer", &self.layer, max::NAME)?;
        opt("tenant", &self.tenant, max::SLUG)?;
        list(
            "depends_on",
            &self.depends_on,
            plat_proto::registry::MAX_DEPENDENCIES,
            plat_proto::registry::MAX_DEPENDENCY,
        )?;
        validate_count("tags", self.tags.len(), plat_proto::registry::MAX_TAGS)?;
        self.tags.iter().try_for_each(|(k, v)| {
            validate_len("tags", k, plat_proto::registry::MAX_TAG_KEY)?;
            validate_len("tags", v, plat_proto::registry::MAX_TAG_VALUE)
        })
    }
}

impl Bounded for Heartbeat {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("instance_id", &self.instance_id, plat_proto::registry::MAX_INSTANCE_ID)?;
        opt("url", &self.url, max::URL)?;
        opt("ttl", &self.ttl, max::TIME)
    }
}

impl Bounded for RegisterQuery {
    fn check_bounds(&self) -> Result<(), Invalid> {
        Ok(())
    }
}

impl Bounded for DiscoveryQuery {
    fn check_bounds(&self) -> Result<(), Invalid> {
        opt("namespace", &self.namespace, max::NAME)?;
        opt("wait", &self.wait, max::TIME)
    }
}

impl Bounded for ServiceCredentialsRequest {
    fn check_bounds(&self) -> Result<(), Invalid> {
        list("roles", &self.roles, max::ROLES, max::NAME)
    }
}
