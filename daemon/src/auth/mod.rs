//! Authentication: passwords, signing keys, tokens, revocation, and the
//! [`Principal`] every protected endpoint extracts from its request.

pub mod clients;
pub mod crypto;
pub mod decisions;
pub mod grants;
pub mod keys;
pub mod limits;
pub mod mfa;
pub mod passkeys;
pub mod passwords;
pub mod reach;
pub mod sessions;

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use plat_domain::{Decision, Scope, Subject, authorize};
use plat_proto::{Claims, ErrorCode, TokenType};
use plat_store::{Ctx, StoreError};

use crate::AppState;
use crate::context;
use crate::error::{ApiErr, ApiResult};

/// What token checks need to know about a subject, cached for a short TTL
/// so that grants and verification do not each cost database round trips.
/// Any successful change through this replica's API clears it; other
/// replicas' changes are seen within the TTL (`auth.subject_cache_ttl`).
#[derive(Clone)]
pub enum CachedSubject {
    User { user: Box<plat_store::UserRecord>, permissions: Vec<String>, orgs: Vec<plat_domain::OrgGrant> },
    Service { account: Box<plat_store::ServiceAccountRecord>, permissions: Vec<String> },
    Missing,
}

pub struct SubjectCache {
    ttl: Duration,
    entries: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, std::sync::Arc<CachedSubject>)>>,
}

impl SubjectCache {
    pub fn new(ttl: Duration) -> SubjectCache {
        SubjectCache { ttl, entries: std::sync::Mutex::new(std::collections::HashMap::new()) }
    }

    fn get(&self, key: &str) -> Option<std::sync::Arc<CachedSubject>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(key).filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, s)| s.clone())
    }

    fn put(&self, key: String, subject: CachedSubject) -> std::sync::Arc<CachedSubject> {
        let subject = std::sync::Arc::new(subject);
        if self.ttl.is_zero() {
            return subject;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() > 50_000 {
            entries.clear();
        }
        entries.insert(key, (std::time::Instant::now(), subject.clone()));
        subject
    }

    pub fn clear(&self) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// The cached state of a user (`user:<id>`) or service account (`service:<client id>`).
pub async fn subject(state: &AppState, typ: TokenType, id: &str) -> Result<std::sync::Arc<CachedSubject>, StoreError> {
    let key = match typ {
        TokenType::User => format!("user:{id}"),
        TokenType::Service => format!("service:{id}"),
    };
    if let Some(hit) = state.auth.subjects.get(&key) {
        return Ok(hit);
    }
    let loaded = match typ {
        TokenType::User => match state.store.get_user_by_id(id).await {
            Ok(user) => {
                let permissions = state.store.permissions_of(&user.tenant_id, &user.user.roles).await?;
                let orgs = state.store.org_grants_of(&user.tenant_id, &user.user.id).await?;
                CachedSubject::User { user: Box::new(user), permissions, orgs }
            }
            Err(StoreError::NotFound { .. }) => CachedSubject::Missing,
            Err(e) => return Err(e),
        },
        TokenType::Service => match state.store.service_account_by_client_id(id).await {
            Ok(account) => {
                let permissions = state.store.permissions_of(&account.tenant_id, &account.account.roles).await?;
                CachedSubject::Service { account: Box::new(account), permissions }
            }
            Err(StoreError::NotFound { .. }) => CachedSubject::Missing,
            Err(e) => return Err(e),
        },
    };
    Ok(state.auth.subjects.put(key, loaded))
}

pub struct Auth {
    pub subjects: SubjectCache,
    /// This replica's view of the authority generation (`decisions`).
    pub authority: decisions::Authority,
    pub passwords: passwords::Passwords,
    pub keys: keys::KeyRing,
    pub master: crypto::MasterKey,
    pub revoked: limits::RevokedSet,
    pub ip_limiter: limits::IpLimiter,
    pub lockout: plat_domain::LockoutPolicy,
    /// This server as a WebAuthn relying party (docs/mfa.md).
    pub passkeys: passkeys::Passkeys,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub session_lifetime: Duration,
    pub service_ttl: Duration,
    pub max_issued_ttl: Duration,
    pub key_retire_after: Duration,
}

/// Parameters of a token to mint.
pub struct Mint<'a> {
    pub typ: TokenType,
    pub subject: &'a str,
    pub tenant: &'a str,
    pub username: &'a str,
    pub roles: Vec<String>,
    /// The mint time recorded in the jti is at least this (unix ms): the
    /// user's `tokens_valid_after`, so a token minted in the same millisecond
    /// as a revocation is not mistaken for one minted before it.
    pub not_before_ms: i64,
    pub ttl: Duration,
    pub audience: Option<&'a str>,
    pub scope: Option<String>,
    /// The OAuth client (`client_id`); [`FIRST_PARTY_CLIENT`] for logins.
    pub client_id: &'a str,
    /// Who acts for the subject (token exchange).
    pub act: Option<plat_proto::Actor>,
    /// The person's session (`sid`) and how it began (`amr`), for tokens
    /// issued in one (docs/sessions.md).
    pub session: Option<(&'a str, &'a [String])>,
}

/// The `client_id` of tokens from plat's own login (the API, `platctl`).
pub const FIRST_PARTY_CLIENT: &str = "plat";

impl Auth {
    pub fn mint(&self, m: Mint<'_>) -> anyhow::Result<(String, Claims)> {
        let now = plat_store::now_ms() / 1000;
        let claims = Claims {
            iss: self.keys.issuer().to_owned(),
            aud: m.audience.unwrap_or(self.keys.audience()).to_owned(),
            sub: m.subject.to_owned(),
            exp: now + m.ttl.as_secs() as i64,
            iat: now,
            nbf: now,
            jti: jti_at(m.not_before_ms).to_string(),
            tenant: m.tenant.to_owned(),
            username: m.username.to_owned(),
            roles: m.roles,
            typ: m.typ,
            scope: m.scope,
            client_id: Some(m.client_id.to_owned()),
            act: m.act,
            sid: m.session.map(|(sid, _)| sid.to_owned()),
            amr: m.session.map(|(_, amr)| amr.to_vec()),
            acr: m.session.map(|(_, amr)| plat_domain::session::acr_of(amr).to_owned()),
        };
        Ok((self.keys.sign(&claims)?, claims))
    }
}

/// A UUIDv7 jti stamped now, or at `not_before_ms` if that is later.
fn jti_at(not_before_ms: i64) -> uuid::Uuid {
    let now = plat_store::now_ms();
    if now >= not_before_ms {
        return uuid::Uuid::now_v7();
    }
    let ms = not_before_ms.max(0) as u64;
    uuid::Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, ms / 1000, ((ms % 1000) * 1_000_000) as u32))
}

/// Unix milliseconds at which a token was minted, from its UUIDv7 jti.
fn jti_millis(claims: &Claims) -> i64 {
    uuid::Uuid::parse_str(&claims.jti)
        .ok()
        .and_then(|u| u.get_timestamp())
        .map(|ts| {
            let (secs, nanos) = ts.to_unix();
            secs as i64 * 1000 + (nanos / 1_000_000) as i64
        })
        .unwrap_or(claims.iat * 1000)
}

/// How the audit log and events name who acted: `name@tenant` for a user,
/// `service:name@tenant` for a service account.
pub fn actor_of(typ: TokenType, name: &str, tenant: &str) -> String {
    match typ {
        TokenType::User => format!("{name}@{tenant}"),
        TokenType::Service => format!("service:{name}@{tenant}"),
    }
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub claims: Claims,
    pub subject: Subject,
    pub tenant_id: String,
    /// The `X-Tenant-ID` the request asked to act in.
    pub requested_tenant: Option<String>,
    /// The tenant the route table's rule admitted the caller to act in
    /// (`api::access`), for routes whose rule is a permission in a tenant.
    pub acting: Option<String>,
}

impl Principal {
    pub fn actor(&self) -> String {
        actor_of(self.claims.typ, &self.claims.username, &self.claims.tenant)
    }

    pub fn ctx(&self) -> Ctx {
        context::store_ctx(
            self.actor(),
            plat_domain::Authority::Caller(self.subject.clone()),
            Some(self.claims.sub.clone()),
        )
    }

    /// The person whose own session this token is, for the routes that
    /// change how they sign in or end their sessions (docs/mfa.md,
    /// docs/sessions.md): a user token from plat's own login, in a session
    /// (`sid`) or the enrolment token of one, not narrowed by a scope and
    /// not held by a service acting for them (`act`). An admin-minted or
    /// exchanged token is not enough to change a person's factors.
    pub fn person(&self, state: &AppState) -> ApiResult<&str> {
        let c = &self.claims;
        let own = c.typ == TokenType::User
            && c.act.is_none()
            && c.scope.is_none()
            && c.client_id.as_deref() == Some(FIRST_PARTY_CLIENT)
            && (c.sid.is_some() || mfa::is_enrol_audience(state, &c.aud));
        if !own {
            return Err(ApiErr::new(
                ErrorCode::InvalidRequest,
                "this takes a person's own session token, from logging in (not a service's, nor a scoped or issued one)",
            ));
        }
        Ok(&c.sub)
    }

    pub fn is_platform_admin(&self) -> bool {
        self.subject.is_platform_admin()
    }

    pub fn is_user(&self, user_id: &str) -> bool {
        self.claims.typ == TokenType::User && self.claims.sub == user_id
    }

    /// The tenant this request acts in. Others' tenants look like missing ones.
    pub fn tenant(&self) -> ApiResult<String> {
        match &self.requested_tenant {
            None => Ok(self.claims.tenant.clone()),
            Some(t) if *t == self.claims.tenant || self.is_platform_admin() => Ok(t.clone()),
            Some(t) => Err(ApiErr::new(ErrorCode::TenantNotFound, format!("tenant {t:?} not found"))),
        }
    }

    pub fn decide(&self, permission: &str, scope: Scope<'_>) -> Decision {
        authorize(&self.subject, permission, scope)
    }

    pub fn require(&self, permission: &str, scope: Scope<'_>) -> ApiResult<()> {
        let decision = self.decide(permission, scope);
        if decision.allowed { Ok(()) } else { Err(ApiErr::forbidden(decision.reason)) }
    }

    /// Resolve the acting tenant and check a permission inside it.
    /// The tenant the route's access rule admitted the caller to act in
    /// (`api::access::guard` checked the route's permission there).
    pub fn acting(&self) -> ApiResult<String> {
        self.acting.clone().ok_or_else(|| ApiErr::internal("the route's access rule names no tenant permission"))
    }

    pub fn require_in_tenant(&self, permission: &str) -> ApiResult<String> {
        let tenant = self.tenant()?;
        self.require(permission, Scope::Tenant(&tenant))?;
        Ok(tenant)
    }
}

/// Why a token is not active.
pub struct Inactive {
    pub code: ErrorCode,
    pub reason: String,
    /// The bounded label of `plat_token_checks_total{outcome}`.
    pub outcome: &'static str,
}

impl From<Inactive> for ApiErr {
    fn from(i: Inactive) -> Self {
        ApiErr::new(i.code, i.reason)
    }
}

fn inactive(outcome: &'static str, code: ErrorCode, reason: impl Into<String>) -> Inactive {
    Inactive { code, reason: reason.into(), outcome }
}

/// Verify a token fully: signature and claims, revocation, and the current
/// state of its subject and tenant. `audience: None` accepts any audience.
/// Every token plat accepts or refuses passes here, and is counted here.
pub async fn check_token(
    state: &AppState,
    token: &str,
    audience: Option<&str>,
) -> Result<(Claims, Subject, String), Inactive> {
    let checked = verify_token(state, token, audience).await;
    state.metrics.token_check(checked.as_ref().map_or_else(|i| i.outcome, |_| "active"));
    checked
}

async fn verify_token(
    state: &AppState,
    token: &str,
    audience: Option<&str>,
) -> Result<(Claims, Subject, String), Inactive> {
    let claims = state.auth.keys.verify(token, audience).map_err(|e| match e {
        keys::TokenError::Expired => inactive("expired", ErrorCode::TokenExpired, "the token has expired"),
        keys::TokenError::Invalid(why) => inactive("invalid", ErrorCode::InvalidToken, format!("invalid token: {why}")),
    })?;
    // An enrolment-only token is good for its own audience alone, never
    // where any audience would do (`/auth/verify`, token exchange).
    if audience.is_none() && mfa::is_enrol_audience(state, &claims.aud) {
        return Err(inactive("invalid", ErrorCode::InvalidToken, "an enrolment token opens the enrolment routes only"));
    }
    if state.auth.revoked.contains(&claims.jti) {
        return Err(inactive("revoked", ErrorCode::InvalidToken, "the token has been revoked"));
    }
    if claims.sid.as_deref().is_some_and(|sid| state.auth.revoked.session_ended(sid)) {
        return Err(inactive("session_ended", ErrorCode::InvalidToken, "the token's session has ended"));
    }
    let unavailable = |e: StoreError| {
        tracing::warn!(error = %e, "cannot load a token's subject");
        inactive(
            "unavailable",
            ErrorCode::ServiceUnavailable,
            format!("cannot check the token now: {}; retry shortly", e.public()),
        )
    };
    let cached = subject(state, claims.typ, &claims.sub).await.map_err(unavailable)?;
    let (tenant_status, roles, permissions, tenant_id, orgs) = match (&*cached, claims.typ) {
        (CachedSubject::User { user, permissions, orgs }, TokenType::User) => {
            match user.stored_status.as_str() {
                "deleted" => {
                    return Err(inactive(
                        "subject_deleted",
                        ErrorCode::InvalidToken,
                        "the token's user has been deleted",
                    ));
                }
                "disabled" => return Err(inactive("user_disabled", ErrorCode::UserInactive, "the user is disabled")),
                _ => {}
            }
            if jti_millis(&claims) < user.tokens_valid_after {
                return Err(inactive("revoked", ErrorCode::InvalidToken, "the token has been revoked"));
            }
            let tenant_id = user.tenant_id.clone();
            (user.tenant_status.clone(), user.user.roles.clone(), permissions.clone(), tenant_id, orgs.clone())
        }
        (CachedSubject::Service { account, permissions }, TokenType::Service) => (
            account.tenant_status.clone(),
            account.account.roles.clone(),
            permissions.clone(),
            account.tenant_id.clone(),
            Vec::new(),
        ),
        _ => return Err(inactive("subject_deleted", ErrorCode::InvalidToken, "the token's subject no longer exists")),
    };
    if tenant_status == "suspended" {
        return Err(inactive(
            "tenant_suspended",
            ErrorCode::TenantSuspended,
            format!("tenant {:?} is suspended", claims.tenant),
        ));
    }
    let scope = claims.scope.as_ref().map(|s| s.split_whitespace().map(str::to_owned).collect());
    let subject = Subject { tenant: claims.tenant.clone(), roles, permissions, scope, orgs };
    Ok((claims, subject, tenant_id))
}

/// The `aud` a bearer JWT claims, read without verifying it: only to pick
/// which audience to verify it for, never to trust.
pub fn claimed_audience(parts: &Parts) -> Option<String> {
    use base64::Engine;
    let (token, _) = bearer(parts)?;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("aud")?.as_str().map(str::to_owned)
}

fn bearer(parts: &Parts) -> Option<(String, bool)> {
    if let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, token) = value.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| (token.trim().to_owned(), false));
    }
    parts.headers.get("x-service-token").and_then(|v| v.to_str().ok()).map(|t| (t.trim().to_owned(), true))
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiErr;

    /// The caller the route's access rule admitted (`api::access`), or,
    /// on a route that authenticates in its handler, the token's.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(admitted) = parts.extensions.get::<Admitted>() {
            return Ok((*admitted.0).clone());
        }
        Principal::authenticate(parts, state).await
    }
}

/// The caller as the route's access rule admitted it.
#[derive(Clone)]
pub struct Admitted(pub std::sync::Arc<Principal>);

impl Principal {
    /// Check the request's bearer token (or `X-Service-Token`).
    pub async fn authenticate(parts: &Parts, state: &AppState) -> ApiResult<Principal> {
        let audience = state.auth.keys.audience().to_owned();
        Principal::authenticate_for(parts, state, &audience).await
    }

    /// Check the request's bearer token, issued for `audience`.
    pub async fn authenticate_for(parts: &Parts, state: &AppState, audience: &str) -> ApiResult<Principal> {
        let (token, service_header) = bearer(parts).ok_or_else(|| {
            ApiErr::new(ErrorCode::Unauthorized, "authentication required: send Authorization: Bearer <token>")
        })?;
        let (claims, subject, tenant_id) = check_token(state, &token, Some(audience)).await?;
        if service_header && claims.typ != TokenType::Service {
            return Err(ApiErr::new(ErrorCode::InvalidToken, "X-Service-Token must carry a service token"));
        }
        let requested_tenant = parts
            .headers
            .get("x-tenant-id")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        Ok(Principal { claims, subject, tenant_id, requested_tenant, acting: None })
    }
}
