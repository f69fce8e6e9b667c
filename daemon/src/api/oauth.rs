//! The standard endpoints (`docs/oauth.md`), beside plat's own JSON API:
//! discovery (RFC 8414, OpenID Connect Discovery), the token endpoint
//! (RFC 6749: client credentials and refresh; RFC 8693 token exchange),
//! introspection (RFC 7662) and revocation (RFC 7009). Form-encoded in,
//! top-level JSON out (no envelope), errors as `{error, error_description}`.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use plat_domain::{Scope, Subject};
use plat_proto::oauth::*;
use plat_proto::{Actor, Claims, ErrorCode, TokenType};
use plat_store::StoreError;
use serde::Serialize;

use crate::AppState;
use crate::auth::clients::{self, Client, Method, Refused};
use crate::auth::grants::{self, ClientAuth, GrantError, Issued, RefreshRefused, scope_of};
use crate::auth::{Mint, check_token};
use crate::error::ErrorNote;

/// An error of the standard endpoints (RFC 6749 §5.2, RFC 6750 §3.1).
#[derive(Debug)]
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    /// Answer `WWW-Authenticate: Basic` (a client that tried Basic, RFC 6749 §5.2).
    challenge: bool,
    retry_after: Option<u64>,
    internal: Option<String>,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            status,
            error,
            description: description.into(),
            challenge: false,
            retry_after: None,
            internal: None,
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> OAuthError {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    fn invalid_client(description: impl Into<String>, challenge: bool) -> OAuthError {
        OAuthError { challenge, ..Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description) }
    }

    fn invalid_grant(description: impl Into<String>) -> OAuthError {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    fn server_error(cause: impl std::fmt::Display) -> OAuthError {
        OAuthError {
            internal: Some(cause.to_string()),
            ..Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "internal error; the request id identifies it in the logs",
            )
        }
    }

    fn unavailable(description: impl Into<String>, retry_after: u64) -> OAuthError {
        OAuthError {
            retry_after: Some(retry_after),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", description)
        }
    }

    /// plat's own code for the same failure, for the request log and metrics.
    fn code(&self) -> ErrorCode {
        match self.status.as_u16() {
            401 => ErrorCode::InvalidCredentials,
            403 => ErrorCode::PermissionDenied,
            429 => ErrorCode::RateLimited,
            503 => ErrorCode::ServiceUnavailable,
            500.. => ErrorCode::InternalError,
            _ => ErrorCode::InvalidRequest,
        }
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        if e.is_busy() {
            return OAuthError::unavailable("the database is busy; retry shortly", 1);
        }
        OAuthError::server_error(e)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let code = self.code();
        let body = OAuthErrorBody { error: self.error.to_owned(), error_description: self.description };
        let mut response = (self.status, no_store(), axum::Json(body)).into_response();
        if self.challenge {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"plat\""));
        }
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(ErrorNote { code, internal: self.internal });
        response
    }
}

/// Tokens and answers about them are never cached (RFC 6749 §5.1).
fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

fn answer<T: Serialize>(body: &T) -> Response {
    (StatusCode::OK, no_store(), axum::Json(body)).into_response()
}

/// Most parameters a request may carry, and the longest value.
const MAX_PARAMS: usize = 32;

/// Form parameters (`application/x-www-form-urlencoded`): each at most once
/// (RFC 6749 §3.1), an empty value the same as none.
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name).ok_or_else(|| OAuthError::invalid_request(format!("the {name} parameter is required")))
    }

    pub fn parse(body: &[u8]) -> Result<Params, OAuthError> {
        let mut params: Vec<(String, String)> = Vec::new();
        for (key, value) in form_urlencoded::parse(body) {
            if params.iter().any(|(k, _)| *k == key) {
                return Err(OAuthError::invalid_request(format!("the {key} parameter is given more than once")));
            }
            if params.len() == MAX_PARAMS {
                return Err(OAuthError::invalid_request(format!("more than {MAX_PARAMS} parameters")));
            }
            if value.chars().count() > plat_proto::limits::TOKEN {
                return Err(OAuthError::invalid_request(format!(
                    "the {key} parameter is longer than {} characters",
                    plat_proto::limits::TOKEN
                )));
            }
            params.push((key.into_owned(), value.into_owned()));
        }
        Ok(Params(params))
    }
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = OAuthError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            let sent = if essence.is_empty() { "no content type".to_owned() } else { essence.to_owned() };
            return Err(OAuthError::invalid_request(format!(
                "send the parameters form-encoded (Content-Type: application/x-www-form-urlencoded), not {sent}"
            )));
        }
        let body = Bytes::from_request(req, state).await.map_err(|e| OAuthError::invalid_request(e.body_text()))?;
        Params::parse(&body)
    }
}

/// `Authorization: Basic` credentials: id and secret are form-urlencoded
/// before base64 (RFC 6749 §2.3.1).
fn basic(headers: &HeaderMap) -> Option<Result<(String, String), OAuthError>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let bad = || OAuthError::invalid_client("malformed Basic credentials", true);
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|_| bad());
    let parsed = decoded.and_then(|bytes| String::from_utf8(bytes).map_err(|_| bad())).and_then(|text| {
        let (id, secret) = text.split_once(':').ok_or_else(bad)?;
        let unescape = |part: &str| -> String {
            form_urlencoded::parse(format!("v={}", part.replace('&', "%26").replace('=', "%3D")).as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        Ok((unescape(id), unescape(secret)))
    });
    Some(parsed)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

/// Authenticate the client of a request by whichever one method it used:
/// HTTP Basic, `client_id` + `client_secret` in the body, or a signed
/// assertion. `Ok(None)` when it presented none and `required` is false.
async fn client(
    state: &AppState,
    peer: IpAddr,
    headers: &HeaderMap,
    params: &Params,
    endpoint: &str,
    required: bool,
) -> Result<Option<Client>, OAuthError> {
    let basic = basic(headers).transpose()?;
    let secret = params.get("client_secret");
    let assertion = params.get("client_assertion");
    let presented = [basic.is_some(), secret.is_some(), assertion.is_some()].iter().filter(|p| **p).count();
    if presented > 1 {
        return Err(OAuthError::invalid_request("use exactly one client authentication method (RFC 6749 §2.3)"));
    }
    let body_id = params.get("client_id");
    let result = if let Some((id, secret)) = &basic {
        if body_id.is_some_and(|b| b != id) {
            return Err(OAuthError::invalid_request("client_id differs from the Basic credentials"));
        }
        clients::by_secret(state, peer, id, secret, Method::SecretBasic).await
    } else if let Some(secret) = secret {
        let id = body_id.ok_or_else(|| OAuthError::invalid_request("client_secret needs client_id"))?;
        clients::by_secret(state, peer, id, secret, Method::SecretPost).await
    } else if let Some(assertion) = assertion {
        if params.get("client_assertion_type") != Some(ASSERTION_JWT_BEARER) {
            return Err(OAuthError::invalid_request(format!("client_assertion_type must be {ASSERTION_JWT_BEARER}")));
        }
        let issuer = state.auth.keys.issuer();
        let audiences = [issuer.to_owned(), format!("{issuer}{endpoint}")];
        clients::by_assertion(state, peer, assertion, body_id, &audiences).await
    } else if required {
        return Err(OAuthError::invalid_client(
            "client authentication required: HTTP Basic, client_id and client_secret, or a client_assertion",
            true,
        ));
    } else {
        return Ok(None);
    };
    match result {
        Ok(client) => Ok(Some(client)),
        Err(Refused::Invalid(why)) => Err(OAuthError::invalid_client(why, basic.is_some())),
        Err(Refused::RateLimited(wait)) => Err(OAuthError {
            retry_after: Some(wait),
            ..OAuthError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "invalid_client",
                format!("too many failed attempts; retry in {wait} s"),
            )
        }),
        Err(Refused::Suspended(tenant)) => Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            format!("tenant {tenant:?} is suspended"),
        )),
        Err(Refused::Unavailable(e)) => Err(e.into()),
    }
}

/// Who calls introspection or revocation: an authenticated client, or the
/// holder of a plat access token.
struct Caller {
    subject: Subject,
    client_id: Option<String>,
    actor: String,
}

async fn caller(
    state: &AppState,
    peer: IpAddr,
    headers: &HeaderMap,
    params: &Params,
    endpoint: &str,
) -> Result<Caller, OAuthError> {
    if let Some(token) = bearer(headers) {
        let (claims, subject, _) = check_token(state, token, Some(state.auth.keys.audience())).await.map_err(|i| {
            if i.code == ErrorCode::ServiceUnavailable {
                return OAuthError::unavailable(i.reason, 1);
            }
            OAuthError::new(StatusCode::UNAUTHORIZED, "invalid_token", i.reason)
        })?;
        let actor = crate::auth::actor_of(claims.typ, &claims.username, &claims.tenant);
        let client_id = (claims.typ == TokenType::Service).then(|| claims.sub.clone()).or(claims.client_id);
        return Ok(Caller { subject, client_id, actor });
    }
    let client = client(state, peer, headers, params, endpoint, true)
        .await?
        .ok_or_else(|| OAuthError::invalid_client("client authentication required", true))?;
    Ok(Caller {
        subject: client.subject(),
        client_id: Some(client.client_id().to_owned()),
        actor: crate::auth::actor_of(TokenType::Service, &client.account.account.name, &client.account.account.tenant),
    })
}

/// `GET /.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`.
pub async fn discovery(State(state): State<AppState>) -> Response {
    let issuer = state.auth.keys.issuer();
    let at = |path: &str| format!("{issuer}{path}");
    let auth_methods: Vec<String> =
        ["client_secret_basic", "client_secret_post", "private_key_jwt"].map(String::from).to_vec();
    let metadata = ProviderMetadata {
        issuer: issuer.to_owned(),
        authorization_endpoint: at("/oauth2/authorize"),
        token_endpoint: at("/oauth2/token"),
        jwks_uri: at("/.well-known/jwks.json"),
        introspection_endpoint: at("/oauth2/introspect"),
        revocation_endpoint: at("/oauth2/revoke"),
        response_types_supported: Vec::new(),
        grant_types_supported: grants::GRANTS.iter().map(|g| g.grant_type.to_owned()).collect(),
        subject_types_supported: vec!["public".into()],
        id_token_signing_alg_values_supported: vec!["EdDSA".into()],
        token_endpoint_auth_methods_supported: auth_methods.clone(),
        token_endpoint_auth_signing_alg_values_supported: vec!["EdDSA".into(), "ES256".into(), "RS256".into()],
        introspection_endpoint_auth_methods_supported: auth_methods.clone(),
        revocation_endpoint_auth_methods_supported: auth_methods,
        claims_supported: [
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "nbf",
            "jti",
            "client_id",
            "scope",
            "act",
            "tenant",
            "username",
            "roles",
            "typ",
        ]
        .map(String::from)
        .to_vec(),
        service_documentation: "https://github.com/plat/plat/blob/main/docs/oauth.md".into(),
    };
    (StatusCode::OK, [(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"))], axum::Json(metadata))
        .into_response()
}

/// `GET /oauth2/authorize`: plat has no browser flow.
pub async fn authorize() -> OAuthError {
    OAuthError::new(
        StatusCode::BAD_REQUEST,
        "unsupported_response_type",
        "plat has no browser (authorization code) flow: services use client_credentials or token exchange, people log in with platctl (docs/oauth.md)",
    )
}

/// `POST /oauth2/token`.
pub async fn token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, OAuthError> {
    let grant_type = params.require("grant_type")?;
    let Some(grant) = grants::grant(grant_type) else {
        let why = if grants::NOT_OFFERED.contains(&grant_type) {
            format!("plat does not offer the {grant_type} grant: use {}", grants::offered())
        } else {
            format!("unknown grant_type {grant_type:?}: use {}", grants::offered())
        };
        return Err(OAuthError::new(StatusCode::BAD_REQUEST, "unsupported_grant_type", why));
    };
    let required = grant.client == ClientAuth::Required;
    let authenticated = client(&state, peer.ip(), &headers, &params, "/oauth2/token", required).await?;
    match (grant.issues, authenticated) {
        (Issued::ClientCredentials, Some(client)) => {
            let (issued, _) =
                grants::client_credentials(&state, &client, params.get("scope"), wanted_audience(&params)?)
                    .await
                    .map_err(OAuthError::from)?;
            Ok(answer(&issued))
        }
        (Issued::Refresh, _) => {
            let refresh = params.require("refresh_token")?;
            match grants::refresh_session(&state, refresh).await {
                Ok(pair) => Ok(answer(&TokenResponse {
                    access_token: pair.access_token,
                    token_type: "Bearer".into(),
                    expires_in: pair.expires_in,
                    scope: None,
                    refresh_token: Some(pair.refresh_token),
                    issued_token_type: None,
                })),
                Err(RefreshRefused::Store(e)) => Err(e.into()),
                Err(RefreshRefused::Internal(e)) => {
                    Err(OAuthError::server_error(e.internal.unwrap_or(e.error.message)))
                }
                Err(refused) => Err(OAuthError::invalid_grant(refused.to_string())),
            }
        }
        (Issued::TokenExchange, Some(client)) => exchange(&state, &client, &params).await,
        // A required client is always there: `client` refused its absence.
        (issues, _) => Err(OAuthError::server_error(format!("the {grant_type} grant ({issues:?}) has no client"))),
    }
}

/// `audience` (as Auth0 and RFC 8693 name it) or `resource` (RFC 8707).
fn wanted_audience(params: &Params) -> Result<Option<&str>, OAuthError> {
    match (params.get("audience"), params.get("resource")) {
        (Some(a), Some(r)) if a != r => Err(OAuthError::invalid_request("audience and resource differ; give one")),
        (a, r) => Ok(a.or(r)),
    }
}

impl From<GrantError> for OAuthError {
    fn from(e: GrantError) -> OAuthError {
        match e {
            GrantError::Scope(e) => OAuthError::new(StatusCode::BAD_REQUEST, "invalid_scope", e.message),
            GrantError::Audience(why) => OAuthError::new(StatusCode::BAD_REQUEST, "invalid_target", why),
            GrantError::Store(e) => e.into(),
            GrantError::Internal(e) => OAuthError::server_error(e),
        }
    }
}

/// Token exchange (RFC 8693): a service trades the user token it received
/// for one to call the next service, with `act` naming itself, the
/// audience narrowed to a service it may reach, the scope narrowed if
/// asked, and no longer life than the token it trades.
async fn exchange(state: &AppState, client: &Client, params: &Params) -> Result<Response, OAuthError> {
    let subject_token = params.require("subject_token")?;
    let token_type = params.require("subject_token_type")?;
    if token_type != TOKEN_TYPE_ACCESS && token_type != TOKEN_TYPE_JWT {
        return Err(OAuthError::invalid_request(format!(
            "subject_token_type must be {TOKEN_TYPE_ACCESS} or {TOKEN_TYPE_JWT}"
        )));
    }
    if params.get("actor_token").is_some() {
        return Err(OAuthError::invalid_request("actor_token is not supported: the authenticated client is the actor"));
    }
    if let Some(wanted) = params.get("requested_token_type")
        && wanted != TOKEN_TYPE_ACCESS
        && wanted != TOKEN_TYPE_JWT
    {
        return Err(OAuthError::invalid_request(format!("requested_token_type must be {TOKEN_TYPE_ACCESS}")));
    }
    let (claims, subject, _) = check_token(state, subject_token, None).await.map_err(|i| {
        if i.code == ErrorCode::ServiceUnavailable {
            return OAuthError::unavailable(i.reason, 1);
        }
        OAuthError::invalid_grant(format!("subject_token is not active: {}", i.reason))
    })?;
    let account = &client.account.account;
    if claims.typ != TokenType::User {
        return Err(OAuthError::invalid_grant(
            "subject_token must be a user's token (services use client_credentials)",
        ));
    }
    if claims.tenant != account.tenant && !client.subject().is_platform_admin() {
        return Err(OAuthError::invalid_grant("subject_token belongs to another tenant"));
    }
    // The token must have been meant for this client: plat's audience (a
    // user's own token) or one of the client's.
    let own_service = state.store.service_of_account(&account.client_id).await?;
    let addressed = claims.aud == state.auth.keys.audience()
        || account.audiences.contains(&claims.aud)
        || own_service.is_some_and(|s| claims.aud == format!("{}/{}", s.namespace, s.name));
    if !addressed {
        return Err(OAuthError::invalid_grant(format!(
            "subject_token is for audience {:?}, not for this client",
            claims.aud
        )));
    }
    let wanted = wanted_audience(params)?
        .ok_or_else(|| OAuthError::invalid_request("audience (or resource) is required: the service to call"))?;
    let audience = clients::grant_audience(state, &client.account, Some(wanted))
        .await
        .map_err(|r| OAuthError::from(GrantError::from(r)))?;
    let scope = scope_of(params.get("scope")).map_err(OAuthError::from)?;
    if let (Some(asked), Some(held)) = (&scope, &claims.scope) {
        let held: Vec<&str> = held.split_whitespace().collect();
        if let Some(wider) =
            asked.split_whitespace().find(|s| !held.iter().any(|h| plat_domain::permission_matches(h, s)))
        {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                format!("{wider} is wider than the subject token's scope"),
            ));
        }
    }
    let scope = scope.or(claims.scope.clone());
    let now = plat_store::now_ms() / 1000;
    let left = u64::try_from(claims.exp - now).unwrap_or(0);
    let ttl = state.auth.service_ttl.min(std::time::Duration::from_secs(left.max(1)));
    let act = Actor { sub: account.client_id.clone(), act: claims.act.clone().map(Box::new) };
    // The next hop's token stays in the person's session: ending it ends this one too.
    let amr = claims.amr.clone().unwrap_or_default();
    let (token, _) = state
        .auth
        .mint(Mint {
            typ: TokenType::User,
            subject: &claims.sub,
            tenant: &claims.tenant,
            username: &claims.username,
            roles: subject.roles.clone(),
            not_before_ms: 0,
            ttl,
            audience: audience.as_deref(),
            scope: scope.clone(),
            client_id: &account.client_id,
            act: Some(act),
            session: claims.sid.as_deref().map(|sid| (sid, amr.as_slice())),
        })
        .map_err(OAuthError::server_error)?;
    Issued::TokenExchange.count(state);
    Ok(answer(&TokenResponse {
        access_token: token,
        token_type: "Bearer".into(),
        expires_in: ttl.as_secs(),
        scope,
        refresh_token: None,
        issued_token_type: Some(TOKEN_TYPE_ACCESS.into()),
    }))
}

/// `POST /oauth2/introspect` (RFC 7662), for callers holding
/// `tokens:introspect`. A token of another tenant is inactive to them.
pub async fn introspect(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, OAuthError> {
    let caller = caller(&state, peer.ip(), &headers, &params, "/oauth2/introspect").await?;
    let decision = plat_domain::authorize(&caller.subject, "tokens:introspect", Scope::Tenant(&caller.subject.tenant));
    if !decision.allowed {
        return Err(OAuthError::new(StatusCode::FORBIDDEN, "access_denied", decision.reason));
    }
    let token = params.require("token")?;
    let visible = |claims: &Claims| claims.tenant == caller.subject.tenant || caller.subject.is_platform_admin();
    let answered = match check_token(&state, token, None).await {
        Ok((claims, _, _)) if visible(&claims) => Introspection::of(claims),
        Err(i) if i.code == ErrorCode::ServiceUnavailable => return Err(OAuthError::unavailable(i.reason, 1)),
        _ => Introspection::inactive(),
    };
    Ok(answer(&answered))
}

/// `POST /oauth2/revoke` (RFC 7009). A refresh token ends its session for
/// whoever holds it; an access token is revoked by the client it was
/// issued to, or by a caller holding `tokens:revoke` in its tenant. Unknown,
/// invalid and expired tokens answer 200: there is nothing left to revoke.
pub async fn revoke(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, OAuthError> {
    let token = params.require("token")?;
    if token.starts_with(grants::REFRESH_PREFIX) {
        let client = client(&state, peer.ip(), &headers, &params, "/oauth2/revoke", false).await?;
        let actor = client.as_ref().map_or("refresh-token holder".to_owned(), |c| format!("service:{}", c.client_id()));
        let ctx = crate::context::store_ctx(actor, plat_domain::Authority::Nobody, None);
        crate::auth::sessions::end_of_refresh(&state, &ctx, token, None, &plat_store::Activity::default()).await?;
        return Ok((StatusCode::OK, no_store()).into_response());
    }
    let caller = caller(&state, peer.ip(), &headers, &params, "/oauth2/revoke").await?;
    let Ok(claims) = state.auth.keys.verify(token, None) else {
        return Ok((StatusCode::OK, no_store()).into_response());
    };
    let issued_to_caller = caller.client_id.is_some()
        && (claims.client_id == caller.client_id
            || (claims.typ == TokenType::Service && Some(&claims.sub) == caller.client_id.as_ref()));
    if !issued_to_caller
        && !plat_domain::authorize(&caller.subject, "tokens:revoke", Scope::Tenant(&claims.tenant)).allowed
    {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "the token was not issued to this client, and revoking others' tokens needs tokens:revoke in their tenant",
        ));
    }
    let ctx = crate::context::store_ctx(caller.actor, plat_domain::Authority::Caller(caller.subject), None);
    state.store.revoke_jti(&ctx, &claims.jti, claims.exp * 1000, Some(&claims.tenant)).await?;
    state.auth.revoked.insert(claims.jti, claims.exp * 1000);
    Ok((StatusCode::OK, no_store()).into_response())
}
