//! OAuth clients: how a service account proves who it is (a secret, or a
//! JWT signed with a key it registered: RFC 7523 `private_key_jwt`), and
//! which audiences its tokens may carry. Every grant — the JSON
//! `/auth/token` and the standard `/oauth2/*` endpoints — goes through here,
//! so the rules exist once.

use std::net::IpAddr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use plat_proto::{ClientJwk, ClientJwks, TokenType};
use plat_store::{ServiceAccountRecord, StoreError};

use super::CachedSubject;
use crate::AppState;

/// How a client authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    SecretBasic,
    SecretPost,
    PrivateKeyJwt,
}

/// An authenticated client: its account and the permissions its roles grant.
#[derive(Clone)]
pub struct Client {
    pub account: Box<ServiceAccountRecord>,
    pub permissions: Vec<String>,
    pub method: Method,
}

impl Client {
    pub fn client_id(&self) -> &str {
        &self.account.account.client_id
    }

    /// The client as an authorization subject (no scope: its roles reach).
    pub fn subject(&self) -> plat_domain::Subject {
        plat_domain::Subject {
            tenant: self.account.account.tenant.clone(),
            roles: self.account.account.roles.clone(),
            permissions: self.permissions.clone(),
            scope: None,
            orgs: Vec::new(),
        }
    }
}

/// Why a client was not authenticated.
#[derive(Debug)]
pub enum Refused {
    /// Too many failures from this address; retry after this many seconds.
    RateLimited(u64),
    /// Unknown client, wrong secret, or a bad assertion (the reason is for the caller).
    Invalid(String),
    /// The client's tenant is suspended.
    Suspended(String),
    /// The store could not answer.
    Unavailable(StoreError),
}

/// Longest lifetime of a client assertion; its `jti` is remembered this long.
pub const MAX_ASSERTION_LIFETIME: Duration = Duration::from_secs(300);

/// Algorithms a client may sign assertions with.
const CLIENT_ALGORITHMS: [Algorithm; 3] = [Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256];

async fn account(state: &AppState, client_id: &str) -> Result<(Box<ServiceAccountRecord>, Vec<String>), Refused> {
    let cached = super::subject(state, TokenType::Service, client_id).await.map_err(Refused::Unavailable)?;
    match &*cached {
        CachedSubject::Service { account, permissions } => Ok((account.clone(), permissions.clone())),
        _ => Err(Refused::Invalid("unknown client".into())),
    }
}

/// Rate limit, count and refuse: what every failed authentication does.
fn failed(state: &AppState, peer: IpAddr, why: impl Into<String>) -> Refused {
    state.auth.ip_limiter.record_failure(peer);
    state.metrics.login_failures.inc();
    Refused::Invalid(why.into())
}

fn admitted(account: Box<ServiceAccountRecord>, permissions: Vec<String>, method: Method) -> Result<Client, Refused> {
    if account.tenant_status == "suspended" {
        return Err(Refused::Suspended(account.account.tenant.clone()));
    }
    Ok(Client { account, permissions, method })
}

/// A client id and secret (HTTP Basic or in the body).
/// A new client's credentials: its id (`sa_…`), its secret (`plsk_…`,
/// shown once) and the secret's keyed hash (what is stored). The one place
/// that makes them, for accounts made through the API, a registered
/// service's own and the Kubernetes controller's.
pub struct NewCredentials {
    pub client_id: String,
    pub secret: String,
    pub hash: String,
}

impl NewCredentials {
    pub fn new(state: &AppState) -> NewCredentials {
        let (secret, hash) = new_secret(state);
        NewCredentials { client_id: format!("sa_{}", uuid::Uuid::now_v7().simple()), secret, hash }
    }
}

/// A new client secret and its keyed hash (a rotation).
pub fn new_secret(state: &AppState) -> (String, String) {
    let secret = super::crypto::random_token("plsk_");
    let hash = state.auth.master.keyed_hash(&secret);
    (secret, hash)
}

pub async fn by_secret(
    state: &AppState,
    peer: IpAddr,
    client_id: &str,
    secret: &str,
    method: Method,
) -> Result<Client, Refused> {
    if let Some(wait) = state.auth.ip_limiter.blocked(peer) {
        return Err(Refused::RateLimited(wait));
    }
    let (account, permissions) = match account(state, client_id).await {
        Ok(found) => found,
        Err(Refused::Invalid(_)) => return Err(failed(state, peer, "invalid client_id or client_secret")),
        Err(other) => return Err(other),
    };
    if !state.auth.master.verify_keyed_hash(secret, &account.secret_hash) {
        return Err(failed(state, peer, "invalid client_id or client_secret"));
    }
    admitted(account, permissions, method)
}

#[derive(serde::Deserialize)]
struct Unverified {
    iss: Option<String>,
    sub: Option<String>,
}

#[derive(serde::Deserialize)]
struct AssertionClaims {
    exp: i64,
    jti: String,
    #[serde(default)]
    iat: Option<i64>,
}

/// A JWT the client signed with a key it registered (RFC 7523 §2.2):
/// `iss` and `sub` its client id, `aud` this server (its issuer or the
/// endpoint called), a `jti` never seen before, at most
/// [`MAX_ASSERTION_LIFETIME`] to live.
pub async fn by_assertion(
    state: &AppState,
    peer: IpAddr,
    assertion: &str,
    claimed_id: Option<&str>,
    audiences: &[String],
) -> Result<Client, Refused> {
    if let Some(wait) = state.auth.ip_limiter.blocked(peer) {
        return Err(Refused::RateLimited(wait));
    }
    // Whose key to check it with: the (not yet trusted) subject.
    let payload = assertion.split('.').nth(1).ok_or_else(|| failed(state, peer, "client_assertion is not a JWT"))?;
    let unverified: Unverified = B64
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| failed(state, peer, "client_assertion is not a JWT"))?;
    let client_id = match (unverified.iss, unverified.sub) {
        (Some(iss), Some(sub)) if iss == sub => sub,
        _ => return Err(failed(state, peer, "client_assertion: iss and sub must both be the client id")),
    };
    if claimed_id.is_some_and(|id| id != client_id) {
        return Err(failed(state, peer, "client_id differs from the assertion's subject"));
    }
    let (account, permissions) = match account(state, &client_id).await {
        Ok(found) => found,
        Err(Refused::Invalid(_)) => return Err(failed(state, peer, "client_assertion: unknown client")),
        Err(other) => return Err(other),
    };
    let Some(jwks) = account.account.jwks.as_ref().filter(|j| !j.keys.is_empty()) else {
        return Err(failed(state, peer, "the client has registered no public keys for private_key_jwt"));
    };
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|e| failed(state, peer, format!("client_assertion: malformed header: {e}")))?;
    let mut last = String::from("no registered key matches the assertion's kid and alg");
    let mut verified = None;
    for jwk in jwks.keys.iter().filter(|k| header.kid.is_none() || k.kid == header.kid) {
        let Ok((alg, key)) = client_key(jwk) else { continue };
        if alg != header.alg {
            continue;
        }
        let mut validation = Validation::new(alg);
        validation.leeway = 30;
        validation.set_issuer(&[&client_id]);
        validation.sub = Some(client_id.clone());
        validation.set_audience(audiences);
        validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
        match jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation) {
            Ok(data) => {
                verified = Some(data.claims);
                break;
            }
            Err(e) => last = format!("client_assertion: {:?}", e.kind()),
        }
    }
    let claims = verified.ok_or_else(|| failed(state, peer, last))?;
    let now = plat_store::now_ms() / 1000;
    let longest = MAX_ASSERTION_LIFETIME.as_secs() as i64;
    if claims.exp > now + longest + 30 || claims.iat.is_some_and(|iat| iat > now + 30 || claims.exp - iat > longest) {
        return Err(failed(state, peer, format!("client_assertion may live at most {longest} s")));
    }
    if claims.jti.is_empty() || claims.jti.len() > plat_proto::limits::ID {
        return Err(failed(state, peer, "client_assertion needs a jti of 1 to 256 characters"));
    }
    let fresh = state
        .store
        .spend_client_assertion(&client_id, &claims.jti, (claims.exp + 60) * 1000)
        .await
        .map_err(Refused::Unavailable)?;
    if !fresh {
        return Err(failed(state, peer, "client_assertion was used before (its jti is spent)"));
    }
    admitted(account, permissions, Method::PrivateKeyJwt)
}

/// A registered public key as a verifier, with its algorithm: the one
/// place that decides which client keys plat accepts.
pub fn client_key(jwk: &ClientJwk) -> Result<(Algorithm, DecodingKey), String> {
    let inferred = match (jwk.kty.as_str(), jwk.crv.as_deref()) {
        ("OKP", Some("Ed25519")) => Algorithm::EdDSA,
        ("EC", Some("P-256")) => Algorithm::ES256,
        ("RSA", _) => Algorithm::RS256,
        (kty, crv) => {
            return Err(format!("unsupported key type {kty:?} (curve {crv:?}): use OKP Ed25519, EC P-256 or RSA"));
        }
    };
    let alg = match jwk.alg.as_deref() {
        None => inferred,
        Some(name) => {
            let alg: Algorithm = name.parse().map_err(|_| format!("unknown algorithm {name:?}"))?;
            if alg != inferred || !CLIENT_ALGORITHMS.contains(&alg) {
                return Err(format!("algorithm {name:?} does not fit a {} key", jwk.kty));
            }
            alg
        }
    };
    if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
        return Err("a client key must be for signatures (\"use\": \"sig\")".into());
    }
    let text = serde_json::to_value(jwk).map_err(|e| e.to_string())?;
    let parsed: jsonwebtoken::jwk::Jwk = serde_json::from_value(text).map_err(|e| format!("not a valid JWK: {e}"))?;
    let key = DecodingKey::from_jwk(&parsed).map_err(|e| format!("not a valid JWK: {e}"))?;
    Ok((alg, key))
}

/// Check keys a client registers, naming the first that plat cannot use.
pub fn validate_jwks(jwks: &ClientJwks) -> Result<(), plat_domain::Invalid> {
    for (i, jwk) in jwks.keys.iter().enumerate() {
        client_key(jwk).map_err(|why| plat_domain::Invalid::new(format!("jwks.keys[{i}]"), why))?;
    }
    Ok(())
}

/// The `aud` of a token a client asks for, or `None` for plat's own.
/// Allowed: plat's audience, the account's configured audiences (the first
/// is the default when none is asked for), and, for a registered service's
/// account, its declared dependencies (`name` or `namespace/name`).
pub async fn grant_audience(
    state: &AppState,
    account: &ServiceAccountRecord,
    wanted: Option<&str>,
) -> Result<Option<String>, AudienceRefused> {
    let configured = &account.account.audiences;
    let Some(wanted) = wanted.filter(|w| !w.is_empty()) else {
        return Ok(configured.first().cloned());
    };
    if wanted == state.auth.keys.audience() {
        return Ok(None);
    }
    if configured.iter().any(|a| a == wanted) {
        return Ok(Some(wanted.to_owned()));
    }
    let service = state.store.service_of_account(&account.account.client_id).await.map_err(AudienceRefused::Store)?;
    let Some(service) = service else {
        return Err(AudienceRefused::Not(format!(
            "{wanted:?} is not an audience of this client (allowed: {})",
            allowed(state, configured, &[])
        )));
    };
    let key = plat_domain::registry::ServiceKey::dependency(&service.namespace, wanted).to_string();
    let declared: Vec<String> = service
        .spec
        .depends_on
        .iter()
        .map(|d| plat_domain::registry::ServiceKey::dependency(&service.namespace, d).to_string())
        .collect();
    if declared.contains(&key) {
        return Ok(Some(key));
    }
    Err(AudienceRefused::Not(format!(
        "{key} is not a dependency of {}/{} nor an audience of this client (allowed: {})",
        service.namespace,
        service.name,
        allowed(state, configured, &declared)
    )))
}

fn allowed(state: &AppState, configured: &[String], declared: &[String]) -> String {
    std::iter::once(state.auth.keys.audience())
        .chain(configured.iter().chain(declared).map(String::as_str))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why an audience was refused.
pub enum AudienceRefused {
    Not(String),
    Store(StoreError),
}
