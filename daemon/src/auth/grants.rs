//! Token grants: what each one issues, in one place. [`GRANTS`] is what the
//! standard token endpoint offers (and discovery announces); [`Issued`] is
//! every kind of token plat issues (the `kind` label of
//! `plat_tokens_issued_total`). The grants both token endpoints share (the
//! JSON `/auth/*` and the standard `/oauth2/token`) live here, so neither
//! handler module calls into the other.
//!
//! Adding a grant: a row of [`GRANTS`], its function here, and its arm in
//! `api::oauth::token`; discovery and the refusals follow from the table.

use plat_proto::oauth::{GRANT_TOKEN_EXCHANGE, TokenResponse};
use plat_proto::{Claims, ErrorCode, TokenPair, TokenType, User};
use plat_store::{RefreshOutcome, StoreError};

use crate::AppState;
use crate::auth::clients::{self, AudienceRefused, Client};
use crate::auth::{FIRST_PARTY_CLIENT, Mint, crypto, sessions};
use crate::error::{ApiErr, ApiResult};

/// How every refresh token starts (access tokens are JWTs).
pub const REFRESH_PREFIX: &str = "plrt_";

/// Every kind of token plat issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issued {
    /// A person's password login (`POST /auth/login`).
    Login,
    /// A refresh token spent for a new pair.
    Refresh,
    /// A service account's own token.
    ClientCredentials,
    /// A user token traded by a service for the next hop (RFC 8693).
    TokenExchange,
    /// Minted by an admin (`POST /auth/tokens`).
    Admin,
}

impl Issued {
    pub const ALL: &[Issued] =
        &[Issued::Login, Issued::Refresh, Issued::ClientCredentials, Issued::TokenExchange, Issued::Admin];

    /// The metric's `kind` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Issued::Login => "login",
            Issued::Refresh => "refresh",
            Issued::ClientCredentials => "client_credentials",
            Issued::TokenExchange => "token_exchange",
            Issued::Admin => "admin",
        }
    }

    /// Count one issued token of this kind.
    pub fn count(self, state: &AppState) {
        state.metrics.tokens_issued.get_or_create(&vec![("kind".to_owned(), self.as_str().to_owned())]).inc();
    }
}

/// Whether a grant of the standard token endpoint needs the client to
/// authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    Required,
    /// Sessions belong to plat's own public client: holding the refresh
    /// token is the proof; credentials, when sent, must be right.
    Optional,
}

/// One grant of `POST /oauth2/token`.
#[derive(Debug)]
pub struct Grant {
    pub grant_type: &'static str,
    pub client: ClientAuth,
    pub issues: Issued,
}

/// What the standard token endpoint offers, in the order discovery lists it.
pub const GRANTS: &[Grant] = &[
    Grant { grant_type: "client_credentials", client: ClientAuth::Required, issues: Issued::ClientCredentials },
    Grant { grant_type: "refresh_token", client: ClientAuth::Optional, issues: Issued::Refresh },
    Grant { grant_type: GRANT_TOKEN_EXCHANGE, client: ClientAuth::Required, issues: Issued::TokenExchange },
];

/// Grants plat knows and does not offer (refused as unsupported, by name).
pub const NOT_OFFERED: &[&str] = &["password", "authorization_code", "urn:ietf:params:oauth:grant-type:device_code"];

/// The row of `grant_type`, if plat offers it.
pub fn grant(grant_type: &str) -> Option<&'static Grant> {
    GRANTS.iter().find(|g| g.grant_type == grant_type)
}

/// The offered grants in words: `client_credentials, refresh_token or …`.
pub fn offered() -> String {
    let names: Vec<&str> = GRANTS.iter().map(|g| g.grant_type).collect();
    match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// A person's tokens in session `sid` (begun as `amr` says): an access
/// token and a new refresh token.
pub fn session_pair(
    state: &AppState,
    user: &User,
    valid_after: i64,
    (sid, amr): (&str, &[String]),
) -> ApiResult<(TokenPair, String)> {
    let (access, _) = state
        .auth
        .mint(Mint {
            typ: TokenType::User,
            subject: &user.id,
            tenant: &user.tenant,
            username: &user.username,
            roles: user.roles.clone(),
            not_before_ms: valid_after,
            ttl: state.auth.access_ttl,
            audience: None,
            scope: None,
            client_id: FIRST_PARTY_CLIENT,
            act: None,
            session: Some((sid, amr)),
        })
        .map_err(ApiErr::internal)?;
    let refresh = crypto::random_token(REFRESH_PREFIX);
    let pair = TokenPair {
        access_token: access,
        refresh_token: refresh.clone(),
        token_type: "bearer".into(),
        expires_in: state.auth.access_ttl.as_secs(),
    };
    Ok((pair, refresh))
}

/// Why a refresh token bought nothing.
#[derive(Debug)]
pub enum RefreshRefused {
    Reused,
    Invalid,
    /// The user is disabled or its tenant suspended.
    Inactive(ErrorCode, &'static str),
    Store(StoreError),
    Internal(ApiErr),
}

impl std::fmt::Display for RefreshRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RefreshRefused::Reused => {
                f.write_str("refresh token was already used; its whole session has been revoked — log in again")
            }
            RefreshRefused::Invalid => f.write_str("refresh token is unknown, expired or revoked"),
            RefreshRefused::Inactive(_, why) => f.write_str(why),
            RefreshRefused::Store(e) => write!(f, "{e}"),
            RefreshRefused::Internal(e) => write!(f, "{}", e.error.message),
        }
    }
}

/// Spend a refresh token for a new pair (rotation; a reuse revokes the
/// whole family): for `/auth/refresh` and the standard token endpoint.
pub async fn refresh_session(state: &AppState, refresh_token: &str) -> Result<TokenPair, RefreshRefused> {
    let hash = state.auth.master.keyed_hash(refresh_token);
    let successor = crypto::random_token(REFRESH_PREFIX);
    let successor_hash = state.auth.master.keyed_hash(&successor);
    let revoke_until = sessions::revoke_until(state);
    match state.store.rotate_refresh(&hash, &successor_hash, revoke_until).await.map_err(RefreshRefused::Store)? {
        RefreshOutcome::Rotated { user_id, family_id, amr } => {
            let user = state.store.get_user_by_id(&user_id).await.map_err(RefreshRefused::Store)?;
            if user.stored_status != "active" {
                return Err(RefreshRefused::Inactive(ErrorCode::UserInactive, "the user is not active"));
            }
            if user.tenant_status == "suspended" {
                return Err(RefreshRefused::Inactive(ErrorCode::TenantSuspended, "the tenant is suspended"));
            }
            let (mut pair, _) = session_pair(state, &user.user, user.tokens_valid_after, (&family_id, &amr))
                .map_err(RefreshRefused::Internal)?;
            pair.refresh_token = successor;
            Issued::Refresh.count(state);
            Ok(pair)
        }
        RefreshOutcome::Reused { family_id, .. } => {
            sessions::refuse(state, &family_id, revoke_until);
            Err(RefreshRefused::Reused)
        }
        RefreshOutcome::Invalid => Err(RefreshRefused::Invalid),
    }
}

/// Why a grant was refused after the client authenticated.
pub enum GrantError {
    Scope(plat_domain::Invalid),
    Audience(String),
    Store(StoreError),
    Internal(anyhow::Error),
}

impl From<AudienceRefused> for GrantError {
    fn from(r: AudienceRefused) -> Self {
        match r {
            AudienceRefused::Not(why) => GrantError::Audience(why),
            AudienceRefused::Store(e) => GrantError::Store(e),
        }
    }
}

pub fn scope_of(requested: Option<&str>) -> Result<Option<String>, GrantError> {
    let Some(scope) = requested.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    let items: Vec<&str> = scope.split_whitespace().collect();
    plat_domain::validate_count("scope", items.len(), plat_proto::limits::SCOPES).map_err(GrantError::Scope)?;
    for item in &items {
        plat_domain::validate_permission("scope", item).map_err(GrantError::Scope)?;
    }
    Ok(Some(items.join(" ")))
}

/// The client-credentials grant, for both token endpoints.
pub async fn client_credentials(
    state: &AppState,
    client: &Client,
    scope: Option<&str>,
    audience: Option<&str>,
) -> Result<(TokenResponse, Claims), GrantError> {
    let scope = scope_of(scope)?;
    let audience = clients::grant_audience(state, &client.account, audience).await?;
    let account = &client.account.account;
    let (token, claims) = state
        .auth
        .mint(Mint {
            typ: TokenType::Service,
            subject: &account.client_id,
            tenant: &account.tenant,
            username: &account.name,
            roles: account.roles.clone(),
            not_before_ms: 0,
            ttl: state.auth.service_ttl,
            audience: audience.as_deref(),
            scope: scope.clone(),
            client_id: &account.client_id,
            act: None,
            session: None,
        })
        .map_err(GrantError::Internal)?;
    Issued::ClientCredentials.count(state);
    let response = TokenResponse {
        access_token: token,
        token_type: "Bearer".into(),
        expires_in: state.auth.service_ttl.as_secs(),
        scope,
        refresh_token: None,
        issued_token_type: None,
    };
    Ok((response, claims))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_each_grant_once_and_refuses_none_it_offers() {
        for g in GRANTS {
            assert_eq!(grant(g.grant_type).map(|x| x.grant_type), Some(g.grant_type));
            assert!(!NOT_OFFERED.contains(&g.grant_type));
            assert!(Issued::ALL.contains(&g.issues));
        }
        assert_eq!(offered(), format!("client_credentials, refresh_token or {GRANT_TOKEN_EXCHANGE}"));
        assert!(grant("password").is_none());
    }
}
