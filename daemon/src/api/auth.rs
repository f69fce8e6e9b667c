//! `/auth/*`: login, refresh, logout, client credentials, introspection,
//! admin-issued tokens, revocation, signing keys, whoami.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use plat_domain::Scope;
use plat_proto::*;
use plat_store::{Purpose, StoreError};

use super::extract::Json;
use crate::AppState;
use crate::auth::clients::{self, Method, Refused};
use crate::auth::grants::{self, GrantError, Issued};
use crate::auth::passwords::{Passwords, Verified};
use crate::auth::{FIRST_PARTY_CLIENT, Mint, Principal, check_token};
use crate::auth::{mfa, passkeys, sessions};
use crate::context::{self, Data};
use crate::error::{ApiErr, ApiResult};

fn invalid_credentials() -> ApiErr {
    ApiErr::new(ErrorCode::InvalidCredentials, "invalid tenant, username or password")
}

/// Count a wrong credential of a known person (a password, a second
/// factor's code): toward the IP's limit and, under the row's lock, the
/// account's lockout. Whether it locked the account.
pub async fn count_failure(
    state: &AppState,
    ctx: &plat_store::Ctx,
    (record, ip): (&plat_store::UserRecord, std::net::IpAddr),
    from: plat_store::Activity,
) -> ApiResult<bool> {
    state.auth.ip_limiter.record_failure(ip);
    state.metrics.login_failures.inc();
    let who = (record.user.id.as_str(), record.user.tenant.as_str());
    let locked = state.store.record_login_failure(ctx, who, &state.auth.lockout, &from).await?;
    if locked {
        state.metrics.lockouts.inc();
    }
    Ok(locked)
}

/// Both steps of a login are refused while the IP is over its failure limit.
fn ip_gate(state: &AppState, ip: std::net::IpAddr) -> ApiResult<()> {
    match state.auth.ip_limiter.blocked(ip) {
        Some(wait) => {
            state.metrics.login("rate_limited");
            Err(ApiErr::rate_limited(wait))
        }
        None => Ok(()),
    }
}

/// Who acts in a login's bookkeeping: the person, with no power.
fn login_ctx(record: &plat_store::UserRecord) -> plat_store::Ctx {
    context::store_ctx(
        format!("{}@{}", record.user.username, record.user.tenant),
        plat_domain::Authority::Nobody,
        Some(record.user.id.clone()),
    )
}

/// A locked account's answer, at either step of a login and when removing factors.
pub fn locked() -> ApiErr {
    ApiErr::new(
        ErrorCode::AccountLocked,
        "the account is locked after repeated failed logins; retry later or ask an admin to unlock it",
    )
}

/// Where a login or logout came from, for the activity events.
fn activity(peer: &SocketAddr, headers: &HeaderMap) -> plat_store::Activity {
    let user_agent = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(256).collect::<String>());
    plat_store::Activity { source_ip: Some(peer.ip().to_string()), user_agent, ..Default::default() }
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Data<TokenPair>> {
    ip_gate(&state, peer.ip())?;
    let found = match state.store.find_login(&req.tenant, &req.username).await {
        Ok(user) => Some(user),
        Err(StoreError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let Some(record) = found.filter(|u| u.stored_status != "deleted") else {
        // Same work as a real check, so timing does not reveal who exists.
        let _ = state.auth.passwords.verify(req.password, None).await?;
        state.auth.ip_limiter.record_failure(peer.ip());
        state.metrics.login_failures.inc();
        state.metrics.login("invalid_credentials");
        return Err(invalid_credentials());
    };
    let now = plat_store::now_ms();
    let ctx = login_ctx(&record);
    if state.auth.lockout.is_locked(&record.failures, now) {
        state.metrics.login_failures.inc();
        state.metrics.login("locked");
        return Err(locked());
    }
    let verified = state.auth.passwords.verify(req.password.clone(), record.password_hash.clone()).await?;
    let Verified::Yes { rehash } = verified else {
        let from = activity(&peer, &headers);
        let locked = count_failure(&state, &ctx, (&record, peer.ip()), from).await?;
        state.metrics.login(if locked { "locked" } else { "invalid_credentials" });
        return Err(invalid_credentials());
    };
    if record.stored_status == "disabled" {
        state.metrics.login("disabled");
        return Err(ApiErr::new(ErrorCode::UserInactive, "the user is disabled"));
    }
    if record.tenant_status == "suspended" {
        state.metrics.login("suspended");
        return Err(ApiErr::new(ErrorCode::TenantSuspended, format!("tenant {:?} is suspended", record.user.tenant)));
    }
    let new_hash = if rehash { state.auth.passwords.rehash(req.password).await? } else { None };
    let second = state.store.mfa_status(&record.user.id).await?;
    if !second.factors.is_empty() {
        return Err(mfa_required(&state, &record.user.id, &second, new_hash.as_deref()).await?);
    }
    if record.tenant_security.mfa_required_for(&record.user.roles) {
        state.metrics.login("mfa_enrollment_required");
        return Err(mfa::enrolment_required(&state, &record.user)?);
    }
    let from = activity(&peer, &headers);
    let pair = begin_session(&state, &ctx, &record, (new_hash.as_deref(), vec!["pwd".to_owned()]), &from).await?;
    state.metrics.login("success");
    Ok(Data(pair))
}

/// The answer to a right password of a person with a second factor: a
/// challenge for the second step (`POST /auth/login/mfa`).
async fn mfa_required(state: &AppState, user_id: &str, second: &MfaStatus, rehash: Option<&str>) -> ApiResult<ApiErr> {
    let token = crate::auth::crypto::random_token(mfa::MFA_TOKEN_PREFIX);
    let mut factors: Vec<String> = Vec::new();
    for factor in &second.factors {
        if !factors.contains(&factor.kind) {
            factors.push(factor.kind.clone());
        }
    }
    // Passkeys turned off since they were registered (`auth.passkeys`)
    // cannot answer; the other factors still can.
    if state.auth.passkeys.rp_id().is_none() {
        factors.retain(|f| f != plat_store::PASSKEY);
    }
    if second.recovery_codes_left > 0 {
        factors.push(mfa::Factor::RecoveryCode.as_str().into());
    }
    let passkeys = if factors.iter().any(|f| f == plat_store::PASSKEY) {
        passkeys::begin_authentication(state, &state.store.passkeys(user_id).await?)?
    } else {
        None
    };
    let challenge = open_challenge(state, (&token, user_id), Purpose::Login, rehash, passkeys, factors).await?;
    state.metrics.login("mfa_required");
    let mut err = ApiErr::new(
        ErrorCode::MfaRequired,
        "a second factor is required: POST /api/v1/auth/login/mfa with the mfa_token and a code or a passkey's credential",
    );
    err.error = err
        .error
        .with_detail("mfa_token", challenge.mfa_token)
        .with_detail("factors", challenge.factors)
        .with_detail("expires_in", challenge.expires_in);
    if let Some(options) = challenge.passkey {
        err.error = err.error.with_detail("passkey", options);
    }
    Ok(err)
}

/// Open a login's challenge for its second step (a passkey's ceremony in
/// it, when one may answer), and what the caller needs to answer it.
async fn open_challenge(
    state: &AppState,
    (token, user_id): (&str, &str),
    purpose: Purpose,
    rehash: Option<&str>,
    passkey: Option<(serde_json::Value, String)>,
    factors: Vec<String>,
) -> ApiResult<plat_proto::MfaChallenge> {
    let (options, ceremony) = passkey.unzip();
    let hash = state.auth.master.keyed_hash(token);
    let expires_at = plat_store::now_ms() + mfa::CHALLENGE_TTL_MS;
    let new = plat_store::NewChallenge {
        token_hash: &hash,
        user_id,
        purpose,
        expires_at,
        rehash,
        ceremony: ceremony.as_deref(),
    };
    state.store.open_mfa_challenge(new).await?;
    Ok(plat_proto::MfaChallenge {
        mfa_token: token.to_owned(),
        factors,
        passkey: options,
        expires_in: mfa::CHALLENGE_TTL_MS / 1000,
    })
}

/// A login by passkey alone, first step (docs/mfa.md): a challenge any of
/// the person's passkeys answers at `POST /auth/login/mfa`. A person who
/// does not exist or has no passkey gets a challenge too, that no answer
/// completes, so this does not tell who exists.
pub async fn login_passkey(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(req): Json<PasskeyLoginRequest>,
) -> ApiResult<Data<plat_proto::MfaChallenge>> {
    ip_gate(&state, peer.ip())?;
    let token = crate::auth::crypto::random_token(passkeys::LOGIN_PREFIX);
    let factors = vec![plat_store::PASSKEY.to_owned()];
    // Only a person who may sign in gets a real challenge: a disabled one
    // (or one of a suspended tenant) gets the decoy, so the second call
    // does not tell that the account exists either.
    let found = match state.store.find_login(&req.tenant, &req.username).await {
        Ok(user) => Some(user).filter(|u| u.stored_status == "active" && u.tenant_status != "suspended"),
        Err(StoreError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let stored = match &found {
        Some(record) => state.store.passkeys(&record.user.id).await?,
        None => Vec::new(),
    };
    let ceremony = passkeys::begin_authentication(&state, &stored)?;
    let (Some(record), Some(ceremony)) = (found, ceremony) else {
        let options = passkeys::decoy_authentication(&state, &req.tenant, &req.username)?;
        return Ok(Data(plat_proto::MfaChallenge {
            mfa_token: token,
            factors,
            passkey: Some(options),
            expires_in: mfa::CHALLENGE_TTL_MS / 1000,
        }));
    };
    let who = (token.as_str(), record.user.id.as_str());
    Ok(Data(open_challenge(&state, who, Purpose::PasskeyLogin, None, Some(ceremony), factors).await?))
}

/// A person signed in (`amr`: how): a new session with its tokens, the
/// login's bookkeeping (failures reset, a re-hashed password stored), counted.
async fn begin_session(
    state: &AppState,
    ctx: &plat_store::Ctx,
    record: &plat_store::UserRecord,
    (new_hash, amr): (Option<&str>, Vec<String>),
    from: &plat_store::Activity,
) -> ApiResult<TokenPair> {
    let lifetimes = sessions::lifetimes(state, &record.tenant_security);
    let session = plat_store::NewSession {
        id: uuid::Uuid::now_v7().to_string(),
        amr,
        idle_ms: lifetimes.idle_ms(),
        lifetime_ms: lifetimes.lifetime_ms(),
    };
    let sid = (session.id.as_str(), session.amr.as_slice());
    let (pair, refresh) = grants::session_pair(state, &record.user, record.tokens_valid_after, sid)?;
    let hash = state.auth.master.keyed_hash(&refresh);
    let user = (record.user.id.as_str(), record.user.tenant.as_str(), record.tokens_valid_after);
    state.store.record_login_success(ctx, user, new_hash, (&hash, &session), from).await?;
    Issued::Login.count(state);
    Ok(pair)
}

/// An `mfa_token` that opens nothing: a field of the request, not the
/// caller's credentials (so not a 401), like logout's unknown refresh token.
fn stale_challenge() -> ApiErr {
    ApiErr::validation("mfa_token", "is unknown, expired or used; log in again")
}

/// A passkey login's every failure answers the same, so its answers do not
/// tell a person with passkeys from one without (whose challenge is a decoy).
fn passkey_refused() -> ApiErr {
    ApiErr::new(ErrorCode::InvalidCredentials, "the passkey was not accepted; begin the login again")
}

/// The second step of a login (docs/mfa.md): the first step's `mfa_token`
/// and a code of the person's second factor or a passkey's answer; or a
/// login by passkey alone (`POST /auth/login/passkey`).
pub async fn login_mfa(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<MfaLogin>,
) -> ApiResult<Data<TokenPair>> {
    ip_gate(&state, peer.ip())?;
    if req.code.is_some() == req.credential.is_some() {
        return Err(ApiErr::validation("code", "give a code or a passkey's credential, one of them"));
    }
    let alone = req.mfa_token.starts_with(passkeys::LOGIN_PREFIX);
    let hash = state.auth.master.keyed_hash(&req.mfa_token);
    // The attempt is taken before the code is checked: a burst of guesses
    // gets `MAX_ATTEMPTS` checks in all.
    let Some(challenge) = state.store.attempt_mfa_challenge(&hash, mfa::MAX_ATTEMPTS).await? else {
        state.auth.ip_limiter.record_failure(peer.ip());
        state.metrics.login("mfa_invalid");
        return Err(if alone { passkey_refused() } else { stale_challenge() });
    };
    let record = state.store.get_user_by_id(&challenge.user_id).await?;
    let now = plat_store::now_ms();
    let ctx = login_ctx(&record);
    if state.auth.lockout.is_locked(&record.failures, now) {
        state.store.take_mfa_challenge(&hash).await?;
        state.metrics.login("locked");
        return Err(locked());
    }
    let alone = challenge.purpose == Purpose::PasskeyLogin;
    if record.stored_status != "active" || record.tenant_status == "suspended" {
        state.store.take_mfa_challenge(&hash).await?;
        if alone {
            return Err(passkey_refused());
        }
        return Err(ApiErr::new(ErrorCode::UserInactive, "the user cannot log in now"));
    }
    let mut from = activity(&peer, &headers);
    let factor = match (&req.code, &req.credential, &challenge.ceremony) {
        (Some(code), _, _) if !alone => mfa::verify(&state, &record.user.id, code).await?,
        (_, Some(credential), Some(ceremony)) => {
            passkeys::finish_authentication(&state, &record.user.id, ceremony, credential)
                .await?
                .map(|_| mfa::Factor::Passkey)
        }
        _ => None,
    };
    let Some(factor) = factor else {
        from.details.insert("reason".into(), "invalid_second_factor".into());
        let tried = match &req.code {
            Some(code) => mfa::Factor::of_code(code),
            None => mfa::Factor::Passkey,
        };
        from.details.insert("factor".into(), tried.as_str().into());
        let locked = count_failure(&state, &ctx, (&record, peer.ip()), from).await?;
        state.metrics.login(if locked { "locked" } else { "mfa_invalid" });
        if alone {
            return Err(passkey_refused());
        }
        let left = mfa::MAX_ATTEMPTS.saturating_sub(challenge.attempts);
        let mut err = ApiErr::new(ErrorCode::InvalidCredentials, "the code or passkey is wrong, or was used already");
        err.error = err.error.with_detail("attempts_left", if locked { 0 } else { left });
        return Err(err);
    };
    // Single use: of two requests with right answers, one signs in.
    let Some(rehash) = state.store.take_mfa_challenge(&hash).await? else {
        return Err(if alone { passkey_refused() } else { stale_challenge() });
    };
    from.details.insert("factor".into(), factor.as_str().into());
    let amr = if alone { mfa::Factor::passkey_alone_amr() } else { factor.amr() };
    let pair = begin_session(&state, &ctx, &record, (rehash.as_deref(), amr), &from).await?;
    state.metrics.login("mfa_success");
    Ok(Data(pair))
}

pub async fn refresh(State(state): State<AppState>, Json(req): Json<RefreshRequest>) -> ApiResult<Data<TokenPair>> {
    match grants::refresh_session(&state, &req.refresh_token).await {
        Ok(pair) => Ok(Data(pair)),
        Err(grants::RefreshRefused::Store(e)) => Err(e.into()),
        Err(grants::RefreshRefused::Internal(e)) => Err(e),
        Err(refused @ grants::RefreshRefused::Inactive(code, _)) => Err(ApiErr::new(code, refused.to_string())),
        Err(refused) => Err(ApiErr::new(ErrorCode::InvalidToken, refused.to_string())),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    principal: Principal,
    Json(req): Json<LogoutRequest>,
) -> ApiResult<Data<Done>> {
    // Only the session's owner may end it this way; others use /auth/revoke.
    let owner = (principal.claims.typ == TokenType::User).then(|| principal.claims.sub.clone());
    let Some(owner) = owner else {
        return Err(ApiErr::new(ErrorCode::InvalidRequest, "logout is for user tokens"));
    };
    let from = activity(&peer, &headers);
    match sessions::end_of_refresh(&state, &principal.ctx(), &req.refresh_token, Some(&owner), &from).await? {
        Some(_) => Ok(Data(Done { done: true })),
        // The caller's own token is fine: a 401 would send it to log in again.
        None => Err(ApiErr::validation("refresh_token", "is unknown or not the caller's")),
    }
}

pub async fn logout_all(State(state): State<AppState>, principal: Principal) -> ApiResult<Data<RevokeResult>> {
    if principal.claims.typ != TokenType::User {
        return Err(ApiErr::new(ErrorCode::InvalidRequest, "logout-all is for user tokens"));
    }
    let n = state.store.revoke_user_sessions(&principal.ctx(), &principal.claims.sub, &principal.claims.tenant).await?;
    Ok(Data(RevokeResult { revoked: n }))
}

pub async fn client_credentials(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(req): Json<TokenRequest>,
) -> ApiResult<Data<AccessToken>> {
    if req.grant_type != "client_credentials" {
        return Err(ApiErr::field(
            ErrorCode::ValidationError,
            "grant_type",
            "only grant_type client_credentials is supported",
        ));
    }
    let client = clients::by_secret(&state, peer.ip(), &req.client_id, &req.client_secret, Method::SecretPost)
        .await
        .map_err(|refused| match refused {
            Refused::RateLimited(wait) => ApiErr::rate_limited(wait),
            Refused::Invalid(_) => ApiErr::new(ErrorCode::InvalidCredentials, "invalid client_id or client_secret"),
            Refused::Suspended(tenant) => {
                ApiErr::new(ErrorCode::TenantSuspended, format!("tenant {tenant:?} is suspended"))
            }
            Refused::Unavailable(e) => e.into(),
        })?;
    let (issued, claims) = grants::client_credentials(&state, &client, req.scope.as_deref(), req.audience.as_deref())
        .await
        .map_err(|e| match e {
            GrantError::Scope(invalid) => invalid.into(),
            GrantError::Audience(why) => ApiErr::validation("audience", why),
            GrantError::Store(e) => e.into(),
            GrantError::Internal(e) => ApiErr::internal(e),
        })?;
    Ok(Data(AccessToken {
        access_token: issued.access_token,
        token_type: "bearer".into(),
        expires_in: issued.expires_in,
        jti: claims.jti,
        scope: issued.scope,
    }))
}

pub async fn verify(
    State(state): State<AppState>,
    _caller: Principal,
    Json(req): Json<VerifyRequest>,
) -> ApiResult<Data<VerifyResponse>> {
    Ok(Data(match check_token(&state, &req.token, req.audience.as_deref()).await {
        Ok((claims, _, _)) => VerifyResponse { active: true, claims: Some(claims), reason: None },
        Err(inactive) if inactive.code == ErrorCode::ServiceUnavailable => return Err(inactive.into()),
        Err(inactive) => VerifyResponse { active: false, claims: None, reason: Some(inactive.reason) },
    }))
}

pub async fn issue(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<IssueTokenRequest>,
) -> ApiResult<Data<AccessToken>> {
    let tenant = principal.acting()?;
    let ttl = match &req.ttl {
        Some(text) => plat_domain::parse_duration("ttl", text)?,
        None => state.auth.access_ttl,
    };
    if ttl > state.auth.max_issued_ttl || ttl.as_secs() == 0 {
        return Err(ApiErr::validation(
            "ttl",
            format!("must be between 1s and {}", plat_domain::format_duration(state.auth.max_issued_ttl)),
        ));
    }
    for s in &req.scopes {
        plat_domain::validate_permission("scopes", s)?;
    }
    let scope = (!req.scopes.is_empty()).then(|| req.scopes.join(" "));
    // A token reaches what its subject's roles (narrowed by the scope)
    // reach: the caller must be able to hand that out.
    let reach = (!req.scopes.is_empty()).then_some(req.scopes.as_slice());
    let ctx = principal.ctx();
    let (token, claims) = match (&req.user, &req.service_account) {
        (Some(user), None) => {
            let record = state.store.get_user(&tenant, user).await?;
            state.store.check_token_conferral(&ctx, &tenant, &record.user.roles, reach, Some(&record)).await?;
            state.auth.mint(Mint {
                typ: TokenType::User,
                subject: &record.user.id,
                tenant: &record.user.tenant,
                username: &record.user.username,
                roles: record.user.roles.clone(),
                not_before_ms: record.tokens_valid_after,
                ttl,
                audience: req.audience.as_deref(),
                scope: scope.clone(),
                client_id: FIRST_PARTY_CLIENT,
                act: None,
                session: None,
            })
        }
        (None, Some(name)) => {
            let account = state.store.get_service_account(&tenant, name).await?;
            state.store.check_token_conferral(&ctx, &tenant, &account.account.roles, reach, None).await?;
            state.auth.mint(Mint {
                typ: TokenType::Service,
                subject: &account.account.client_id,
                tenant: &account.account.tenant,
                username: &account.account.name,
                roles: account.account.roles.clone(),
                not_before_ms: 0,
                ttl,
                audience: req.audience.as_deref(),
                scope: scope.clone(),
                client_id: &account.account.client_id,
                act: None,
                session: None,
            })
        }
        _ => return Err(ApiErr::new(ErrorCode::ValidationError, "give exactly one of user and service_account")),
    }
    .map_err(ApiErr::internal)?;
    state
        .store
        .audit(
            &principal.ctx(),
            plat_store::AuditDraft {
                action: "token.issue",
                target: format!("{}:{}", if req.user.is_some() { "user" } else { "service_account" }, claims.username),
                tenant: Some(&tenant),
                outcome: "success",
                details: serde_json::json!({"jti": claims.jti, "ttl_seconds": ttl.as_secs(), "audience": claims.aud, "scope": scope}),
            },
        )
        .await?;
    Issued::Admin.count(&state);
    Ok(Data(AccessToken {
        access_token: token,
        token_type: "bearer".into(),
        expires_in: ttl.as_secs(),
        jti: claims.jti,
        scope,
    }))
}

pub async fn revoke(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<RevokeRequest>,
) -> ApiResult<Data<RevokeResult>> {
    let tenant = principal.acting()?;
    let ctx = principal.ctx();
    match (&req.token, &req.jti, &req.user) {
        (Some(token), None, None) => {
            // Revoking needs a genuine token of this platform, expired or not.
            let claims = state.auth.keys.verify(token, None).map_err(|e| match e {
                crate::auth::keys::TokenError::Expired => {
                    ApiErr::new(ErrorCode::InvalidRequest, "the token has expired already")
                }
                crate::auth::keys::TokenError::Invalid(why) => ApiErr::new(ErrorCode::InvalidToken, why),
            })?;
            if claims.tenant != tenant && !principal.is_platform_admin() {
                return Err(ApiErr::new(ErrorCode::InvalidToken, "the token is not of this tenant"));
            }
            let fresh = state.store.revoke_jti(&ctx, &claims.jti, claims.exp * 1000, Some(&claims.tenant)).await?;
            state.auth.revoked.insert(claims.jti, claims.exp * 1000);
            Ok(Data(RevokeResult { revoked: u64::from(fresh) }))
        }
        (None, Some(jti), None) => {
            // A bare jti names no tenant, so only the platform may revoke by it.
            principal.require("tokens:revoke", Scope::Platform)?;
            let max_exp = plat_store::now_ms() + state.auth.max_issued_ttl.as_millis() as i64;
            let fresh = state.store.revoke_jti(&ctx, jti, max_exp, Some(&tenant)).await?;
            state.auth.revoked.insert(jti.clone(), max_exp);
            Ok(Data(RevokeResult { revoked: u64::from(fresh) }))
        }
        (None, None, Some(user)) => {
            let record = state.store.get_user(&tenant, user).await?;
            let n = state.store.revoke_user_sessions(&ctx, &record.user.id, &tenant).await?;
            Ok(Data(RevokeResult { revoked: n }))
        }
        _ => Err(ApiErr::new(ErrorCode::ValidationError, "give exactly one of token, jti and user")),
    }
}

pub async fn keys(State(state): State<AppState>) -> ApiResult<Data<Vec<SigningKey>>> {
    Ok(Data(state.auth.keys.public_keys()))
}

pub async fn rotate_keys(State(state): State<AppState>, principal: Principal) -> ApiResult<Data<SigningKey>> {
    let key = state
        .auth
        .keys
        .rotate(&state.store, &principal.ctx(), state.auth.key_retire_after)
        .await
        .map_err(ApiErr::internal)?;
    Ok(Data(key))
}

pub async fn jwks(State(state): State<AppState>) -> axum::Json<Jwks> {
    axum::Json(state.auth.keys.jwks())
}

pub async fn whoami(principal: Principal) -> ApiResult<Data<Identity>> {
    Ok(Data(Identity {
        typ: principal.claims.typ,
        subject: principal.claims.sub.clone(),
        username: principal.claims.username.clone(),
        tenant: principal.claims.tenant.clone(),
        roles: principal.subject.roles.clone(),
        permissions: principal.subject.permissions.clone(),
        expires_at: plat_store::format_ms(principal.claims.exp * 1000),
        issuer: principal.claims.iss.clone(),
    }))
}

/// Check a plain password or an imported hash before it is stored.
pub async fn hash_new_password(passwords: &Passwords, field: &str, password: String) -> ApiResult<String> {
    plat_domain::validate_password(field, &password)?;
    Ok(passwords.hash(password).await?)
}
