//! Typed async client for the plat HTTP API. `platctl`, `plat-bench` and the
//! tests go through it; it owns every HTTP and JSON detail of talking to platd.

use std::time::Duration;

use plat_proto::*;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error envelope.
    #[error("{}: {} (request id: {request_id})", error.code, error.message)]
    Api { status: u16, error: ApiError, request_id: String, retry_after: Option<u64> },
    /// The server could not be reached.
    #[error("cannot reach {url}: {}", root_cause(source))]
    Connect { url: String, source: reqwest::Error },
    /// Anything else on the wire: a non-envelope answer, a broken body.
    #[error("unexpected answer from {url}: {message}")]
    Protocol { url: String, message: String },
}

/// The innermost cause: "Connection refused (os error 111)" rather than
/// reqwest's "error sending request".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

impl ClientError {
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ClientError::Api { error, .. } => Some(error.code),
            _ => None,
        }
    }
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    tenant: Option<String>,
}

fn enc(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Client {
    /// A client for the server at `base` (`http://127.0.0.1:8700`).
    pub fn new(base: &str) -> Result<Client> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("plat-client/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(300))
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|e| ClientError::Protocol { url: base.to_owned(), message: e.to_string() })?;
        Ok(Client { http, base: base.trim_end_matches('/').to_owned(), token: None, tenant: None })
    }

    pub fn with_token(mut self, token: impl Into<String>) -> Client {
        self.token = Some(token.into());
        self
    }

    /// Act in another tenant (`X-Tenant-ID`; platform admins only).
    pub fn with_tenant(mut self, tenant: impl Into<String>) -> Client {
        self.tenant = Some(tenant.into());
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// A request to an `/api/v1` path.
    fn builder(&self, method: Method, path: &str) -> (reqwest::RequestBuilder, String) {
        self.builder_at(method, format!("{}{API_BASE}{path}", self.base))
    }

    fn builder_at(&self, method: Method, url: String) -> (reqwest::RequestBuilder, String) {
        let mut builder = self.http.request(method, &url);
        if let Some(token) = &self.token {
            builder = builder.bearer_auth(token);
        }
        if let Some(tenant) = &self.tenant {
            builder = builder.header("X-Tenant-ID", tenant);
        }
        (builder, url)
    }

    async fn send(&self, builder: reqwest::RequestBuilder, url: &str) -> Result<reqwest::Response> {
        builder.send().await.map_err(|source| {
            if source.is_connect() || source.is_timeout() {
                ClientError::Connect { url: self.base.clone(), source }
            } else {
                ClientError::Protocol { url: url.to_owned(), message: source.to_string() }
            }
        })
    }

    async fn decode<T: DeserializeOwned>(&self, response: reqwest::Response, url: &str) -> Result<T> {
        let status = response.status().as_u16();
        let retry_after =
            response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ClientError::Protocol { url: url.to_owned(), message: e.to_string() })?;
        let envelope: Envelope<T> = serde_json::from_slice(&bytes).map_err(|e| ClientError::Protocol {
            url: url.to_owned(),
            message: format!("HTTP {status}: {e}: {}", String::from_utf8_lossy(&bytes[..bytes.len().min(200)])),
        })?;
        match (envelope.success, envelope.data, envelope.error) {
            (true, Some(data), _) => Ok(data),
            (false, _, Some(error)) => {
                Err(ClientError::Api { status, error, request_id: envelope.meta.request_id, retry_after })
            }
            _ => Err(ClientError::Protocol {
                url: url.to_owned(),
                message: format!("HTTP {status}: envelope without data or error"),
            }),
        }
    }

    /// Send `body` (if any) to `path` and decode the envelope's `data`.
    pub async fn call<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T> {
        let (mut builder, url) = self.builder(method, path);
        if let Some(body) = body {
            builder = builder.json(body);
        }
        let response = self.send(builder, &url).await?;
        self.decode(response, &url).await
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.call::<(), T>(Method::GET, path, None).await
    }

    /// GET with `query` as the query string (`None` fields left out).
    async fn get_query<Q: Serialize + ?Sized, T: DeserializeOwned>(&self, path: &str, query: &Q) -> Result<T> {
        let (builder, url) = self.builder(Method::GET, path);
        let response = self.send(builder.query(query), &url).await?;
        self.decode(response, &url).await
    }

    async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T> {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn post_empty<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.call::<(), T>(Method::POST, path, None).await
    }

    async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.call::<(), T>(Method::DELETE, path, None).await
    }

    async fn delete_path(&self, path: &str) -> Result<()> {
        self.call::<(), serde_json::Value>(Method::DELETE, path, None).await.map(|_| ())
    }

    /// Raw GET of a path outside `/api/v1` (probes, metrics, JWKS), returning status and body.
    pub async fn get_raw(&self, path: &str) -> Result<(u16, bytes::Bytes)> {
        let (builder, url) = self.builder_at(Method::GET, format!("{}{path}", self.base));
        let response = self.send(builder, &url).await?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| ClientError::Protocol { url, message: e.to_string() })?;
        Ok((status, body))
    }

    // --- auth ---

    pub async fn login(&self, tenant: &str, username: &str, password: &str) -> Result<TokenPair> {
        self.post(
            "/auth/login",
            &LoginRequest { tenant: tenant.into(), username: username.into(), password: password.into() },
        )
        .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair> {
        self.post("/auth/refresh", &RefreshRequest { refresh_token: refresh_token.into() }).await
    }

    pub async fn logout(&self, refresh_token: &str) -> Result<serde_json::Value> {
        self.post("/auth/logout", &LogoutRequest { refresh_token: refresh_token.into() }).await
    }

    pub async fn logout_all(&self) -> Result<RevokeResult> {
        self.post_empty("/auth/logout-all").await
    }

    pub async fn client_credentials(
        &self,
        client_id: &str,
        client_secret: &str,
        scope: Option<&str>,
    ) -> Result<AccessToken> {
        let req = TokenRequest {
            grant_type: "client_credentials".into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            scope: scope.map(str::to_owned),
            audience: None,
        };
        self.post("/auth/token", &req).await
    }

    pub async fn verify(&self, token: &str) -> Result<VerifyResponse> {
        self.post("/auth/verify", &VerifyRequest { token: token.into(), audience: None }).await
    }

    pub async fn issue_token(&self, req: &IssueTokenRequest) -> Result<AccessToken> {
        self.post("/auth/tokens", req).await
    }

    pub async fn revoke(&self, req: &RevokeRequest) -> Result<RevokeResult> {
        self.post("/auth/revoke", req).await
    }

    pub async fn keys(&self) -> Result<Vec<SigningKey>> {
        self.get("/auth/keys").await
    }

    pub async fn rotate_keys(&self) -> Result<SigningKey> {
        self.post_empty("/auth/keys/rotate").await
    }

    /// The caller's live sessions, newest first (docs/sessions.md).
    pub async fn sessions(&self) -> Result<SessionList> {
        self.get("/auth/sessions").await
    }

    /// End one of the caller's sessions.
    pub async fn end_session(&self, id: &str) -> Result<Session> {
        self.delete(&format!("/auth/sessions/{}", enc(id))).await
    }

    /// End every session of the caller's but the current one.
    pub async fn end_other_sessions(&self) -> Result<RevokeResult> {
        self.delete("/auth/sessions").await
    }

    /// Begin a TOTP enrolment (docs/mfa.md).
    pub async fn enroll_totp(&self) -> Result<TotpEnrollment> {
        self.post_empty("/auth/mfa/totp").await
    }

    /// Confirm the pending TOTP enrolment with a code; the recovery codes, once.
    pub async fn confirm_totp(&self, code: &str) -> Result<RecoveryCodes> {
        self.post("/auth/mfa/totp/confirm", &MfaCode { code: code.into() }).await
    }

    /// The caller's second factors.
    pub async fn mfa(&self) -> Result<MfaStatus> {
        self.get("/auth/mfa").await
    }

    /// Remove the caller's second factors, with a fresh code of one.
    pub async fn remove_mfa(&self, code: &str) -> Result<Done> {
        self.remove_mfa_with(&MfaProof { code: Some(code.into()), ..Default::default() }).await
    }

    /// Remove the caller's second factors, with a fresh proof of one.
    pub async fn remove_mfa_with(&self, proof: &MfaProof) -> Result<Done> {
        self.call(Method::DELETE, "/auth/mfa", Some(proof)).await
    }

    /// Remove one of the caller's factors (by its `id`), with a fresh proof of one.
    pub async fn remove_factor(&self, id: &str, proof: &MfaProof) -> Result<Done> {
        self.call(Method::DELETE, &format!("/auth/mfa/{}", enc(id)), Some(proof)).await
    }

    /// Begin registering a passkey: options for the authenticator.
    pub async fn begin_passkey(&self) -> Result<PasskeyCeremony> {
        self.post_empty("/auth/mfa/passkeys").await
    }

    /// Finish registering a passkey with the authenticator's answer.
    pub async fn confirm_passkey(&self, req: &RegisterPasskey) -> Result<PasskeyEnrolled> {
        self.post("/auth/mfa/passkeys/confirm", req).await
    }

    /// Begin a passkey's proof (for `remove_mfa_with`, `remove_factor`).
    pub async fn begin_mfa_proof(&self) -> Result<PasskeyCeremony> {
        self.post_empty("/auth/mfa/proof").await
    }

    /// A login by passkey alone, first step; answer it with `login_passkey_answer`.
    pub async fn login_passkey(&self, tenant: &str, username: &str) -> Result<MfaChallenge> {
        let req = PasskeyLoginRequest { tenant: tenant.into(), username: username.into() };
        self.post("/auth/login/passkey", &req).await
    }

    /// The second step of a login (or a login by passkey) with a passkey's answer.
    pub async fn login_passkey_answer(&self, mfa_token: &str, credential: serde_json::Value) -> Result<TokenPair> {
        let req = MfaLogin { mfa_token: mfa_token.into(), code: None, credential: Some(credential) };
        self.post("/auth/login/mfa", &req).await
    }

    /// A user's second factors.
    pub async fn user_mfa(&self, user: &str) -> Result<MfaStatus> {
        self.get(&format!("/users/{}/mfa", enc(user))).await
    }

    /// Reset a user's second factors (`end_sessions`: and end its sessions).
    pub async fn reset_user_mfa(&self, user: &str, end_sessions: bool) -> Result<Done> {
        let suffix = if end_sessions { "?end_sessions=true" } else { "" };
        self.delete(&format!("/users/{}/mfa{suffix}", enc(user))).await
    }

    /// The second step of a login that answered `MFA_REQUIRED`.
    pub async fn login_mfa(&self, mfa_token: &str, code: &str) -> Result<TokenPair> {
        self.post(
            "/auth/login/mfa",
            &MfaLogin { mfa_token: mfa_token.into(), code: Some(code.into()), credential: None },
        )
        .await
    }

    /// A user's live sessions.
    pub async fn user_sessions(&self, user: &str) -> Result<SessionList> {
        self.get(&format!("/users/{}/sessions", enc(user))).await
    }

    /// End every session of a user.
    pub async fn end_user_sessions(&self, user: &str) -> Result<RevokeResult> {
        self.delete(&format!("/users/{}/sessions", enc(user))).await
    }

    pub async fn whoami(&self) -> Result<Identity> {
        self.get("/auth/whoami").await
    }

    pub async fn jwks(&self) -> Result<Jwks> {
        let (status, body) = self.get_raw("/.well-known/jwks.json").await?;
        serde_json::from_slice(&body)
            .map_err(|e| ClientError::Protocol { url: self.base.clone(), message: format!("HTTP {status}: {e}") })
    }

    // --- tenants ---

    pub async fn create_tenant(&self, req: &CreateTenant) -> Result<Tenant> {
        self.post("/tenants", req).await
    }

    pub async fn list_tenants(&self, page: Option<u64>, page_size: Option<u64>) -> Result<Page<Tenant>> {
        self.get(&format!("/tenants?{}", page_query(page, page_size))).await
    }

    pub async fn get_tenant(&self, slug: &str) -> Result<Tenant> {
        self.get(&format!("/tenants/{}", enc(slug))).await
    }

    pub async fn update_tenant(&self, slug: &str, req: &UpdateTenant) -> Result<Tenant> {
        self.call(Method::PATCH, &format!("/tenants/{}", enc(slug)), Some(req)).await
    }

    pub async fn suspend_tenant(&self, slug: &str) -> Result<Tenant> {
        self.post_empty(&format!("/tenants/{}/suspend", enc(slug))).await
    }

    pub async fn resume_tenant(&self, slug: &str) -> Result<Tenant> {
        self.post_empty(&format!("/tenants/{}/resume", enc(slug))).await
    }

    pub async fn delete_tenant(&self, slug: &str, cascade: bool) -> Result<()> {
        self.delete_path(&format!("/tenants/{}?cascade={cascade}", enc(slug))).await
    }

    // --- quotas (docs/quotas.md) ---

    fn quota_path(slug: &str, resource: &str) -> String {
        format!("/tenants/{}/quotas/{}", enc(slug), enc(resource))
    }

    pub async fn list_quotas(&self, slug: &str) -> Result<QuotaList> {
        self.get(&format!("/tenants/{}/quotas", enc(slug))).await
    }

    pub async fn get_quota(&self, slug: &str, resource: &str) -> Result<Quota> {
        self.get(&Self::quota_path(slug, resource)).await
    }

    pub async fn set_quota(&self, slug: &str, resource: &str, req: &SetQuota) -> Result<Quota> {
        self.call(Method::PUT, &Self::quota_path(slug, resource), Some(req)).await
    }

    pub async fn delete_quota(&self, slug: &str, resource: &str) -> Result<()> {
        self.delete_path(&Self::quota_path(slug, resource)).await
    }

    pub async fn check_quota(&self, slug: &str, resource: &str, amount: u64) -> Result<QuotaDecision> {
        self.post(&format!("{}/check", Self::quota_path(slug, resource)), &QuotaCheck { amount }).await
    }

    pub async fn reserve_quota(&self, slug: &str, resource: &str, req: &ReserveQuota) -> Result<QuotaReservation> {
        self.post(&format!("{}/reserve", Self::quota_path(slug, resource)), req).await
    }

    pub async fn commit_quota(&self, slug: &str, resource: &str, req: &SettleQuota) -> Result<Quota> {
        self.post(&format!("{}/commit", Self::quota_path(slug, resource)), req).await
    }

    pub async fn release_quota(&self, slug: &str, resource: &str, req: &SettleQuota) -> Result<Quota> {
        self.post(&format!("{}/release", Self::quota_path(slug, resource)), req).await
    }

    // --- organizations (docs/organizations.md) ---

    pub async fn create_org(&self, req: &CreateOrganization) -> Result<Organization> {
        self.post("/orgs", req).await
    }

    /// Every organization of the tenant, or the children of `parent`.
    pub async fn list_orgs(&self, parent: Option<&str>) -> Result<OrganizationList> {
        match parent {
            Some(parent) => self.get(&format!("/orgs?parent={}", enc(parent))).await,
            None => self.get("/orgs").await,
        }
    }

    pub async fn get_org(&self, org: &str) -> Result<Organization> {
        self.get(&format!("/orgs/{}", enc(org))).await
    }

    pub async fn org_tree(&self, org: &str) -> Result<OrganizationList> {
        self.get(&format!("/orgs/{}/tree", enc(org))).await
    }

    pub async fn update_org(&self, org: &str, req: &UpdateOrganization) -> Result<Organization> {
        self.call(Method::PATCH, &format!("/orgs/{}", enc(org)), Some(req)).await
    }

    /// Move `org` under `parent` (`None`: make it a root).
    pub async fn move_org(&self, org: &str, parent: Option<&str>) -> Result<Organization> {
        let req = MoveOrganization { parent: parent.map(str::to_owned) };
        self.post(&format!("/orgs/{}/move", enc(org)), &req).await
    }

    pub async fn delete_org(&self, org: &str, cascade: bool) -> Result<BulkResult> {
        self.call::<(), _>(Method::DELETE, &format!("/orgs/{}?cascade={cascade}", enc(org)), None).await
    }

    pub async fn add_org_member(&self, org: &str, user: &str) -> Result<Organization> {
        self.post(&format!("/orgs/{}/members", enc(org)), &AddMember { user: user.into() }).await
    }

    pub async fn remove_org_member(&self, org: &str, user: &str) -> Result<Organization> {
        self.call::<(), _>(Method::DELETE, &format!("/orgs/{}/members/{}", enc(org), enc(user)), None).await
    }

    pub async fn org_members(
        &self,
        org: &str,
        recursive: bool,
        cursor: Option<&str>,
        limit: u64,
    ) -> Result<MemberPage> {
        let mut path = format!("/orgs/{}/members?recursive={recursive}&limit={limit}", enc(org));
        if let Some(cursor) = cursor {
            path.push_str(&format!("&cursor={}", enc(cursor)));
        }
        self.get(&path).await
    }

    /// Roles that reach `org`: granted on it or above it.
    pub async fn org_roles(&self, org: &str) -> Result<OrgRoleList> {
        self.get(&format!("/orgs/{}/roles", enc(org))).await
    }

    /// Grant `user` the role `role` on `org`: it holds there and below.
    pub async fn grant_org_role(&self, org: &str, user: &str, role: &str) -> Result<OrgRole> {
        let req = GrantOrgRole { user: user.into(), role: role.into() };
        self.post(&format!("/orgs/{}/roles", enc(org)), &req).await
    }

    pub async fn revoke_org_role(&self, org: &str, user: &str, role: &str) -> Result<OrgRole> {
        let path = format!("/orgs/{}/roles/{}/{}", enc(org), enc(user), enc(role));
        self.call::<(), _>(Method::DELETE, &path, None).await
    }

    /// The organizations `user` is a member of.
    pub async fn user_orgs(&self, user: &str) -> Result<OrganizationList> {
        self.get(&format!("/users/{}/orgs", enc(user))).await
    }

    // --- users ---

    pub async fn create_user(&self, req: &CreateUser) -> Result<User> {
        self.post("/users", req).await
    }

    pub async fn get_user(&self, user: &str) -> Result<User> {
        self.get(&format!("/users/{}", enc(user))).await
    }

    pub async fn list_users(&self, query: &UserListQuery) -> Result<Page<User>> {
        self.get_query("/users", query).await
    }

    pub async fn update_user(&self, user: &str, req: &UpdateUser) -> Result<User> {
        self.call(Method::PATCH, &format!("/users/{}", enc(user)), Some(req)).await
    }

    pub async fn delete_user(&self, user: &str, hard: bool) -> Result<()> {
        self.delete_path(&format!("/users/{}?hard={hard}", enc(user))).await
    }

    pub async fn disable_user(&self, user: &str) -> Result<User> {
        self.post_empty(&format!("/users/{}/disable", enc(user))).await
    }

    pub async fn enable_user(&self, user: &str) -> Result<User> {
        self.post_empty(&format!("/users/{}/enable", enc(user))).await
    }

    pub async fn unlock_user(&self, user: &str) -> Result<User> {
        self.post_empty(&format!("/users/{}/unlock", enc(user))).await
    }

    pub async fn set_password(&self, user: &str, password: &str) -> Result<User> {
        self.set_password_with(user, &SetPassword { password: password.into(), keep_session: None }).await
    }

    /// Set a password; with `keep_session`, your own from your session, ending only the others.
    pub async fn set_password_with(&self, user: &str, req: &SetPassword) -> Result<User> {
        self.post(&format!("/users/{}/password", enc(user)), req).await
    }

    pub async fn grant_role(&self, user: &str, role: &str) -> Result<User> {
        self.post(&format!("/users/{}/roles", enc(user)), &GrantRole { role: role.into() }).await
    }

    pub async fn revoke_role(&self, user: &str, role: &str) -> Result<User> {
        self.call::<(), User>(Method::DELETE, &format!("/users/{}/roles/{}", enc(user), enc(role)), None).await
    }

    /// Stream an NDJSON body to `/users/import`.
    pub async fn import_users(&self, body: impl Into<reqwest::Body>, dry_run: bool) -> Result<ImportReport> {
        let (builder, url) = self.builder(Method::POST, &format!("/users/import?dry_run={dry_run}"));
        let response = self.send(builder.header("content-type", "application/x-ndjson").body(body), &url).await?;
        self.decode(response, &url).await
    }

    /// The NDJSON export as a byte stream.
    pub async fn export_users(&self) -> Result<reqwest::Response> {
        let (builder, url) = self.builder(Method::GET, "/users/export");
        let response = self.send(builder, &url).await?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(self
                .decode::<serde_json::Value>(response, &url)
                .await
                .err()
                .unwrap_or(ClientError::Protocol { url, message: "export failed".into() }))
        }
    }

    // --- roles and authz ---

    pub async fn list_roles(&self) -> Result<Vec<Role>> {
        self.get("/roles").await
    }

    pub async fn get_role(&self, name: &str) -> Result<Role> {
        self.get(&format!("/roles/{}", enc(name))).await
    }

    pub async fn create_role(&self, req: &CreateRole) -> Result<Role> {
        self.post("/roles", req).await
    }

    pub async fn update_role(&self, name: &str, req: &UpdateRole) -> Result<Role> {
        self.call(Method::PATCH, &format!("/roles/{}", enc(name)), Some(req)).await
    }

    pub async fn delete_role(&self, name: &str) -> Result<()> {
        self.delete_path(&format!("/roles/{}", enc(name))).await
    }

    pub async fn authz_check(&self, req: &AuthzCheck) -> Result<AuthzDecision> {
        self.post("/authz/check", req).await
    }

    pub async fn authz_check_batch(&self, req: &AuthzBatch) -> Result<AuthzBatchResult> {
        self.post("/authz/check/batch", req).await
    }

    // --- service accounts ---

    pub async fn create_service_account(&self, req: &CreateServiceAccount) -> Result<ServiceAccountCredentials> {
        self.post("/service-accounts", req).await
    }

    pub async fn list_service_accounts(&self) -> Result<Vec<ServiceAccount>> {
        self.get("/service-accounts").await
    }

    pub async fn get_service_account(&self, name: &str) -> Result<ServiceAccount> {
        self.get(&format!("/service-accounts/{}", enc(name))).await
    }

    pub async fn update_service_account(&self, name: &str, req: &UpdateServiceAccount) -> Result<ServiceAccount> {
        self.call(Method::PATCH, &format!("/service-accounts/{}", enc(name)), Some(req)).await
    }

    pub async fn delete_service_account(&self, name: &str) -> Result<()> {
        self.delete_path(&format!("/service-accounts/{}", enc(name))).await
    }

    pub async fn rotate_service_account_secret(&self, name: &str) -> Result<ServiceAccountCredentials> {
        self.post_empty(&format!("/service-accounts/{}/rotate-secret", enc(name))).await
    }

    // --- sync ---

    pub async fn create_target(&self, req: &CreateTarget) -> Result<TargetWithSecret> {
        self.post("/sync/targets", req).await
    }

    pub async fn list_targets(&self) -> Result<Vec<SyncTarget>> {
        self.get("/sync/targets").await
    }

    pub async fn get_target(&self, name: &str) -> Result<SyncTarget> {
        self.get(&format!("/sync/targets/{}", enc(name))).await
    }

    pub async fn update_target(&self, name: &str, req: &UpdateTarget) -> Result<TargetWithSecret> {
        self.call(Method::PATCH, &format!("/sync/targets/{}", enc(name)), Some(req)).await
    }

    pub async fn delete_target(&self, name: &str) -> Result<()> {
        self.delete_path(&format!("/sync/targets/{}", enc(name))).await
    }

    pub async fn pause_target(&self, name: &str) -> Result<SyncTarget> {
        self.post_empty(&format!("/sync/targets/{}/pause", enc(name))).await
    }

    pub async fn resume_target(&self, name: &str) -> Result<SyncTarget> {
        self.post_empty(&format!("/sync/targets/{}/resume", enc(name))).await
    }

    pub async fn test_target(&self, name: &str) -> Result<TargetTestResult> {
        self.post_empty(&format!("/sync/targets/{}/test", enc(name))).await
    }

    /// What `event` would become for the target: delivered or not, and the body.
    pub async fn preview_target(&self, name: &str, event: &PreviewEvent) -> Result<EventPreview> {
        self.post(&format!("/sync/targets/{}/preview", enc(name)), event).await
    }

    /// Deliver the events of a time window to the target again.
    pub async fn replay_target(&self, name: &str, req: &ReplayEvents) -> Result<BulkResult> {
        self.post(&format!("/sync/targets/{}/replay", enc(name)), req).await
    }

    pub async fn list_tasks(&self, query: &TaskQuery) -> Result<Page<SyncTask>> {
        self.get_query("/sync/tasks", query).await
    }

    pub async fn get_task(&self, id: u64) -> Result<SyncTask> {
        self.get(&format!("/sync/tasks/{id}")).await
    }

    pub async fn retry_task(&self, id: u64) -> Result<SyncTask> {
        self.post_empty(&format!("/sync/tasks/{id}/retry")).await
    }

    pub async fn cancel_task(&self, id: u64) -> Result<SyncTask> {
        self.post_empty(&format!("/sync/tasks/{id}/cancel")).await
    }

    pub async fn list_dlq(&self, query: &TaskQuery) -> Result<Page<SyncTask>> {
        self.get_query("/sync/dlq", query).await
    }

    pub async fn replay_dlq(&self, req: &DlqReplay) -> Result<BulkResult> {
        self.post("/sync/dlq/replay", req).await
    }

    pub async fn purge_dlq(&self, req: &DlqPurge) -> Result<BulkResult> {
        self.post("/sync/dlq/purge", req).await
    }

    pub async fn sync_stats(&self) -> Result<Vec<TargetStats>> {
        self.get("/sync/stats").await
    }

    // --- consistency checks ---

    pub async fn create_check(&self, req: &CreateCheck) -> Result<Check> {
        self.post("/checks", req).await
    }

    pub async fn list_checks(&self, query: &CheckQuery) -> Result<Page<Check>> {
        self.get_query("/checks", query).await
    }

    /// A check with up to `findings` of its findings (the server allows 1,000).
    pub async fn get_check(&self, id: &str, findings: u64) -> Result<Check> {
        self.get(&format!("/checks/{}?findings={findings}", enc(id))).await
    }

    pub async fn list_findings(&self, id: &str, query: &FindingQuery) -> Result<Page<Finding>> {
        self.get_query(&format!("/checks/{}/findings", enc(id)), query).await
    }

    // --- service registry ---

    pub async fn list_services(&self) -> Result<Vec<ServiceRegistration>> {
        self.get("/services").await
    }

    pub async fn service_graph(&self) -> Result<ServiceGraph> {
        self.get("/services/graph").await
    }

    pub async fn get_service(&self, namespace: &str, name: &str) -> Result<ServiceRegistration> {
        self.get(&format!("/services/{}/{}", enc(namespace), enc(name))).await
    }

    /// Create or replace a registration (idempotent); `dry_run` answers what
    /// would be stored, layering verdict included, and stores nothing.
    pub async fn register_service(
        &self,
        namespace: &str,
        name: &str,
        req: &RegisterService,
        dry_run: bool,
    ) -> Result<ServiceRegistration> {
        let path = format!("/services/{}/{}?dry_run={dry_run}", enc(namespace), enc(name));
        self.call(Method::PUT, &path, Some(req)).await
    }

    pub async fn deregister_service(&self, namespace: &str, name: &str) -> Result<()> {
        self.delete_path(&format!("/services/{}/{}", enc(namespace), enc(name))).await
    }

    /// The service's own account: created on the first call, its secret
    /// rotated on later ones (shown once).
    pub async fn service_credentials(
        &self,
        namespace: &str,
        name: &str,
        req: &ServiceCredentialsRequest,
    ) -> Result<ServiceCredentials> {
        self.post(&format!("/services/{}/{}/credentials", enc(namespace), enc(name)), req).await
    }

    pub async fn service_instances(&self, namespace: &str, name: &str) -> Result<Vec<Instance>> {
        self.get(&format!("/services/{}/{}/instances", enc(namespace), enc(name))).await
    }

    pub async fn heartbeat(&self, namespace: &str, name: &str, req: &Heartbeat) -> Result<Instance> {
        self.post(&format!("/services/{}/{}/heartbeat", enc(namespace), enc(name)), req).await
    }

    /// A service's instances. With `index` the server blocks until the
    /// service changes past it or `wait` passes (at most 5 minutes), so the
    /// request may take that long: its timeout is the wait plus a margin
    /// instead of the client's.
    pub async fn discover(&self, name: &str, query: &DiscoveryQuery) -> Result<DiscoveryAnswer> {
        let (builder, url) = self.builder(Method::GET, &format!("/discovery/{}", enc(name)));
        let mut builder = builder.query(query);
        if query.index.is_some() {
            builder = builder.timeout(blocking_timeout(query.wait.as_deref()));
        }
        let response = self.send(builder, &url).await?;
        self.decode(response, &url).await
    }

    // --- logs and health ---

    /// Publish an event as this client's service account (201, or the first
    /// event again for a repeated idempotency key).
    pub async fn publish_event(&self, req: &PublishEvent) -> Result<Event> {
        self.post("/events", req).await
    }

    /// Publish up to 1,000 events in one transaction.
    pub async fn publish_events(&self, req: &PublishBatch) -> Result<PublishedBatch> {
        self.post("/events/batch", req).await
    }

    pub async fn list_events(&self, query: &EventQuery) -> Result<Page<Event>> {
        self.get_query("/events", query).await
    }

    pub async fn list_audit(&self, query: &AuditQuery) -> Result<Page<AuditRecord>> {
        self.get_query("/audit", query).await
    }

    pub async fn health(&self) -> Result<HealthReport> {
        self.get("/health").await
    }
}

/// The longest a blocking discovery call may wait on the server.
const MAX_DISCOVERY_WAIT: Duration = Duration::from_secs(300);
/// Time a blocking call's answer may take beyond its wait.
const BLOCKING_MARGIN: Duration = Duration::from_secs(30);

/// The timeout of a blocking discovery call: the server's wait (`wait`, the
/// server's maximum when absent or unreadable, at most that) plus a margin.
fn blocking_timeout(wait: Option<&str>) -> Duration {
    let wait = wait.and_then(|w| plat_domain::parse_duration("wait", w).ok());
    wait.unwrap_or(MAX_DISCOVERY_WAIT).min(MAX_DISCOVERY_WAIT) + BLOCKING_MARGIN
}

fn page_query(page: Option<u64>, page_size: Option<u64>) -> String {
    let mut parts = Vec::new();
    if let Some(p) = page {
        parts.push(format!("page={p}"));
    }
    if let Some(s) = page_size {
        parts.push(format!("page_size={s}"));
    }
    parts.join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocking_calls_wait_longer_than_the_server() {
        assert_eq!(blocking_timeout(Some("60s")), Duration::from_secs(90));
        assert_eq!(blocking_timeout(Some("1m30s")), Duration::from_secs(120));
        assert_eq!(blocking_timeout(Some("500ms")), Duration::from_millis(30_500));
        // The server blocks at most 5 minutes, also without a wait or with one it refuses.
        for wait in [None, Some("1h"), Some("soon"), Some("10"), Some("")] {
            assert_eq!(blocking_timeout(wait), Duration::from_secs(330), "{wait:?}");
        }
    }
}
