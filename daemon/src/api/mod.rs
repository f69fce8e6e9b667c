//! The HTTP API: the route table ([`ROUTES`], [`ROOT_ROUTES`]) from which the
//! router, the OpenAPI document and the permission table of
//! `docs/permissions.md` are all generated.

pub mod access;
pub mod auth;
pub mod checks;
pub mod extract;
pub mod mfa;
pub mod misc;
pub mod oauth;
pub mod orgs;
pub mod registry;
pub mod roles;
pub mod sessions;
pub mod sync;
pub mod tenants;
pub mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;

use crate::AppState;

/// Who may call an endpoint: the rule the handler enforces, written once here
/// so that the OpenAPI document, `docs/permissions.md` and the authorization
/// matrix test (which calls every route as every kind of caller) all read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token needed.
    Public,
    /// Any valid token.
    Token,
    /// Any valid token, or the enrolment-only token of a login that must
    /// enrol a second factor first (`MFA_ENROLLMENT_REQUIRED`, docs/mfa.md).
    Enrol,
    /// A permission inside the acting tenant.
    Tenant(&'static str),
    /// A permission inside the acting tenant, or the second (`self:…`) one
    /// when the route's `{user}` is the caller.
    TenantOrSelf(&'static str, &'static str),
    /// A platform-wide permission: platform admins only.
    Platform(&'static str),
    /// A permission inside the acting tenant, or held through a role on an
    /// organization that reaches where the route acts (`daemon/src/auth/reach.rs`).
    Org(&'static str, Reach),
    /// As `Org` on a user (the organizations it is a member of), or the
    /// second (`self:…`) permission when the route's `{user}` is the caller.
    OrgOrSelf(&'static str, &'static str),
    /// A permission inside the acting tenant, over resources every tenant
    /// shares (the service registry): nothing in them belongs to a tenant.
    Shared(&'static str),
    /// OAuth client authentication (`docs/oauth.md`), and the permission
    /// the client needs ("" for none). Errors follow RFC 6749, not the envelope.
    Client(&'static str),
}

/// Where a role on an organization must be for an [`Access::Org`] route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// On the organization in the path, or above it.
    Org,
    /// On its parent or above: deleting or moving it changes its parent.
    Parent,
    /// On each organization the request names (`parent`, `orgs`) or above;
    /// none (a root, no organization) needs the permission tenant-wide.
    Under,
    /// On an organization the route's `{user}` is a member of, or above.
    User,
}

impl Reach {
    /// In words, for `docs/permissions.md`.
    pub fn describe(self) -> &'static str {
        match self {
            Reach::Org => "tenant, or a role on the organization or above",
            Reach::Parent => "tenant, or a role on its parent or above",
            Reach::Under => "tenant, or a role on each organization the request names (`parent`, `orgs`) or above",
            Reach::User => "tenant, or a role on an organization of the user or above",
        }
    }
}

impl std::fmt::Display for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Access::Public => f.write_str("-"),
            Access::Token => f.write_str("token"),
            Access::Enrol => f.write_str("token or enrolment token"),
            Access::Tenant(p) => f.write_str(p),
            Access::TenantOrSelf(p, own) => write!(f, "{p} or {own}"),
            Access::Org(p, _) => write!(f, "{p} (or on an organization)"),
            Access::OrgOrSelf(p, own) => write!(f, "{p} (or on an organization) or {own}"),
            Access::Platform(p) => write!(f, "{p} (platform)"),
            Access::Shared(p) => write!(f, "{p} (shared)"),
            Access::Client("") => f.write_str("client"),
            Access::Client(p) => write!(f, "{p} (client)"),
        }
    }
}

/// One endpoint: documented, routed and authorized from the same row.
pub struct RouteDoc {
    /// `get`, `post`, `patch` or `delete`.
    pub method: &'static str,
    /// Path under `/api/v1` ([`ROUTES`]) or from the root ([`ROOT_ROUTES`]).
    pub path: &'static str,
    pub summary: &'static str,
    pub access: Access,
    /// A further condition the handler checks, in words ("" when none).
    pub note: &'static str,
    /// Status of a successful answer.
    pub status: u16,
    /// The body's type (`plat-proto`), if it takes one.
    pub request: Option<&'static str>,
    /// The type of its query parameters, if it takes any.
    pub query: Option<&'static str>,
    /// The type of `data` in a successful answer, if it is not just `{}`.
    pub response: Option<&'static str>,
}

impl RouteDoc {
    /// The HTTP method in capitals.
    pub fn http_method(&self) -> &'static str {
        match self.method {
            "get" => "GET",
            "post" => "POST",
            "put" => "PUT",
            "patch" => "PATCH",
            "delete" => "DELETE",
            other => other,
        }
    }
}

/// Each row becomes a route of the router and an entry of the table, so a
/// route cannot exist without its documented access rule. A row is
/// `method path => handler, access, note, body [?query] status data, summary`,
/// where `_` stands for no body or no `data`.
macro_rules! routes {
    ($table:ident, $router:ident; $( $method:ident $path:literal => $handler:path, $access:expr, $note:literal,
        $req:tt $(? $query:ident)? $status:literal $resp:tt, $summary:literal ;)*) => {
        pub const $table: &[RouteDoc] = &[$(RouteDoc {
            method: stringify!($method), path: $path, summary: $summary, access: { use Access::*; $access },
            note: $note, status: $status, request: routes!(@opt $req), query: routes!(@query $($query)?),
            response: routes!(@opt $resp),
        }),*];

        /// Every row's route, behind its access rule (`access::guard`).
        fn $router(state: &AppState) -> Router<AppState> {
            Router::new()$(.route(
                $path,
                axum::routing::$method($handler).route_layer(axum::middleware::from_fn_with_state(
                    (state.clone(), { use Access::*; $access }),
                    access::guard,
                )),
            ))*
        }
    };
    (@opt _) => { None };
    (@opt $name:ident) => { Some(stringify!($name)) };
    (@query) => { None };
    (@query $name:ident) => { Some(stringify!($name)) };
}

routes! { ROUTES, api_routes;
    post "/auth/login" => auth::login, Public, "", LoginRequest 200 TokenPair, "Log in with a password; returns access and refresh tokens";
    post "/auth/login/mfa" => auth::login_mfa, Public, "wrong answers count toward the lockout; five close the challenge", MfaLogin 200 TokenPair, "The second step of a login that answered MFA_REQUIRED (its mfa_token and a code or a passkey's credential), or of a login by passkey";
    post "/auth/login/passkey" => auth::login_passkey, Public, "answers alike whether the person exists or not", PasskeyLoginRequest 200 MfaChallenge, "A login by passkey alone: a challenge for the person's passkeys, answered at /auth/login/mfa";
    get "/auth/mfa" => mfa::status, Token, "user tokens; the caller's own", _ 200 MfaStatus, "The caller's second factors and recovery codes left";
    delete "/auth/mfa" => mfa::remove, Token, "user tokens; a fresh proof of a factor", MfaProof 200 _, "Remove the caller's second factors and recovery codes";
    delete "/auth/mfa/{id}" => mfa::remove_one, Token, "user tokens; a fresh proof of a factor", MfaProof 200 _, "Remove one of the caller's factors (the recovery codes go with the last)";
    post "/auth/mfa/proof" => mfa::begin_proof, Token, "user tokens with a passkey", _ 200 PasskeyCeremony, "Begin a passkey's proof for a change to the caller's factors";
    post "/auth/mfa/passkeys" => mfa::begin_passkey, Enrol, "user tokens; not where the tenant's policy is `off`", _ 200 PasskeyCeremony, "Begin registering a passkey: options for navigator.credentials.create()";
    post "/auth/mfa/passkeys/confirm" => mfa::confirm_passkey, Enrol, "user tokens", RegisterPasskey 200 PasskeyEnrolled, "Finish registering a passkey with the authenticator's answer";
    post "/auth/mfa/totp" => mfa::enroll_totp, Enrol, "user tokens; not where the tenant's policy is `off`", _ 200 TotpEnrollment, "Begin a TOTP enrolment: a secret and its otpauth:// URI";
    post "/auth/mfa/totp/confirm" => mfa::confirm_totp, Enrol, "user tokens", MfaCode 200 RecoveryCodes, "Confirm TOTP with a code; answers recovery codes, shown once";
    post "/auth/refresh" => auth::refresh, Public, "", RefreshRequest 200 TokenPair, "Spend a refresh token for a new pair; reuse revokes the family";
    post "/auth/logout" => auth::logout, Token, "", LogoutRequest 200 _, "Revoke one session (refresh-token family)";
    post "/auth/logout-all" => auth::logout_all, Token, "user tokens; the caller's own sessions", _ 200 RevokeResult, "Revoke every session of the caller";
    post "/auth/token" => auth::client_credentials, Public, "", TokenRequest 200 AccessToken, "Client-credentials grant for service accounts";
    post "/auth/verify" => auth::verify, Token, "", VerifyRequest 200 VerifyResponse, "Introspect a token: active, claims, or why not";
    post "/auth/tokens" => auth::issue, Tenant("tokens:issue"), "the caller must hold what the token reaches (the conferral rule)", IssueTokenRequest 200 AccessToken, "Issue a token for a user or service account (audited)";
    post "/auth/revoke" => auth::revoke, Tenant("tokens:revoke"), "revoking by `jti` is platform scope", RevokeRequest 200 RevokeResult, "Revoke a token, a jti, or every session of a user";
    get "/auth/keys" => auth::keys, Platform("keys:read"), "", _ 200 SigningKeyList, "Signing keys (public parts)";
    post "/auth/keys/rotate" => auth::rotate_keys, Platform("keys:rotate"), "", _ 200 SigningKey, "Rotate the signing key; the old one verifies until its tokens expire";
    get "/auth/sessions" => sessions::list_own, Token, "user tokens; the caller's own", _ 200 SessionList, "The caller's live sessions, newest first (`current`: this token's)";
    delete "/auth/sessions" => sessions::end_others, Token, "user tokens; every session of the caller's but this token's", _ 200 RevokeResult, "End the caller's other sessions";
    delete "/auth/sessions/{id}" => sessions::end_own, Token, "user tokens; one of the caller's own", _ 200 Session, "End one of the caller's sessions: its refresh token and access tokens stop working";
    get "/auth/whoami" => auth::whoami, Token, "", _ 200 Identity, "The caller: subject, tenant, roles, permissions";
    get "/tenants" => tenants::list, Tenant("tenants:read"), "a platform admin lists every tenant", _ ?PageParams 200 TenantPage, "List tenants (others see only their own)";
    post "/tenants" => tenants::create, Platform("tenants:create"), "", CreateTenant 201 Tenant, "Create a tenant";
    get "/tenants/{slug}" => tenants::get, Tenant("tenants:read"), "the tenant in the path; others' tenants answer 404", _ 200 Tenant, "Get a tenant";
    patch "/tenants/{slug}" => tenants::update, Tenant("tenants:update"), "changing `quotas` is platform scope", UpdateTenant 200 Tenant, "Rename a tenant or change its quota";
    delete "/tenants/{slug}" => tenants::delete, Platform("tenants:delete"), "", _ ?TenantDeleteQuery 200 _, "Delete a tenant (?cascade=true to delete its users too)";
    post "/tenants/{slug}/suspend" => tenants::suspend, Platform("tenants:suspend"), "", _ 200 Tenant, "Suspend a tenant: its tokens stop working";
    post "/tenants/{slug}/resume" => tenants::resume, Platform("tenants:resume"), "", _ 200 Tenant, "Resume a suspended tenant";
    get "/tenants/{slug}/quotas" => tenants::list_quotas, Tenant("quotas:read"), "the tenant in the path; others' tenants answer 404", _ 200 QuotaList, "A tenant's quotas: `users`, then every declared resource";
    get "/tenants/{slug}/quotas/{resource}" => tenants::get_quota, Tenant("quotas:read"), "the tenant in the path", _ 200 Quota, "One quota: limit, used, reserved, remaining";
    put "/tenants/{slug}/quotas/{resource}" => tenants::set_quota, Platform("quotas:write"), "", SetQuota 200 Quota, "Declare a quota or change its limit, period or usage";
    delete "/tenants/{slug}/quotas/{resource}" => tenants::delete_quota, Platform("quotas:write"), "", _ 200 _, "Forget a declared quota and its reservations";
    post "/tenants/{slug}/quotas/{resource}/check" => tenants::check_quota, Tenant("quotas:use"), "the tenant in the path", QuotaCheck 200 QuotaDecision, "Would an amount more fit? Holds nothing";
    post "/tenants/{slug}/quotas/{resource}/reserve" => tenants::reserve_quota, Tenant("quotas:use"), "the tenant in the path; past the limit: TENANT_QUOTA_EXCEEDED", ReserveQuota 201 QuotaReservation, "Hold an amount until it is committed, released or expires";
    post "/tenants/{slug}/quotas/{resource}/commit" => tenants::commit_quota, Tenant("quotas:use"), "the tenant in the path; past the limit: TENANT_QUOTA_EXCEEDED", SettleQuota 200 Quota, "Turn a reservation (or an amount at once) into usage";
    post "/tenants/{slug}/quotas/{resource}/release" => tenants::release_quota, Tenant("quotas:use"), "the tenant in the path", SettleQuota 200 Quota, "Give back a reservation, or an amount of usage";
    get "/users" => users::list, Tenant("users:read"), "", _ ?UserListQuery 200 UserPage, "List users (filters status, role, search)";
    post "/users" => users::create, Org("users:create", Reach::Under), "the conferral rule for the roles; with `orgs`, also `orgs:members` there", CreateUser 201 User, "Create a user with profile and stats in one transaction";
    post "/users/import" => users::import, Tenant("users:import"), "the conferral rule for each line's roles", ImportUser ?ImportQuery 200 ImportReport, "Import users from NDJSON (streamed; ?dry_run=true)";
    get "/users/export" => users::export, Tenant("users:export"), "", _ 200 User, "Export users as NDJSON (streamed)";
    get "/users/{user}" => users::get, OrgOrSelf("users:read", "self:read"), "", _ 200 User, "Get a user by id or username";
    patch "/users/{user}" => users::update, OrgOrSelf("users:update", "self:update"), "through an organization: the user holds nothing the caller does not", UpdateUser 200 User, "Change email or profile";
    delete "/users/{user}" => users::delete, Org("users:delete", Reach::User), "through an organization: the user holds nothing the caller does not", _ ?UserDeleteQuery 200 _, "Delete a user (soft; ?hard=true removes it)";
    post "/users/{user}/disable" => users::disable, Org("users:update", Reach::User), "not on yourself; through an organization: the user holds nothing the caller does not", _ 200 User, "Disable a user and end its sessions";
    post "/users/{user}/enable" => users::enable, Org("users:update", Reach::User), "through an organization: the user holds nothing the caller does not", _ 200 User, "Enable a disabled user";
    post "/users/{user}/unlock" => users::unlock, Org("users:update", Reach::User), "through an organization: the user holds nothing the caller does not", _ 200 User, "Clear a lockout";
    post "/users/{user}/password" => users::set_password, OrgOrSelf("users:update", "self:update"), "on someone else: the user holds nothing the caller does not (their roles on organizations too)", SetPassword 200 User, "Set a password; ends the user's sessions";
    post "/users/{user}/roles" => users::grant_role, Tenant("roles:grant"), "the conferral rule for the role", GrantRole 200 User, "Grant a role";
    delete "/users/{user}/roles/{role}" => users::revoke_role, Tenant("roles:grant"), "the conferral rule for the role", _ 200 User, "Revoke a role";
    get "/users/{user}/sessions" => sessions::list_of_user, OrgOrSelf("sessions:read", "self:read"), "", _ 200 SessionList, "A user's live sessions, newest first";
    delete "/users/{user}/sessions" => sessions::end_of_user, Org("sessions:end", Reach::User), "", _ 200 RevokeResult, "End every session of a user (audited; `session.ended` each)";
    get "/users/{user}/mfa" => mfa::status_of_user, OrgOrSelf("mfa:read", "self:read"), "", _ 200 MfaStatus, "A user's second factors (never their secrets)";
    delete "/users/{user}/mfa" => mfa::reset_of_user, Org("mfa:reset", Reach::User), "", _ ?MfaResetQuery 200 _, "Reset a user's second factors (audited; `user.mfa_removed`; ?end_sessions=true ends its sessions too)";
    get "/users/{user}/orgs" => orgs::user_orgs, OrgOrSelf("orgs:read", "self:read"), "", _ 200 OrganizationList, "The organizations a user is a direct member of, with their paths";
    get "/orgs" => orgs::list, Org("orgs:read", Reach::Under), "", _ ?OrgListQuery 200 OrganizationList, "Organizations in tree order (or the children of ?parent=)";
    post "/orgs" => orgs::create, Org("orgs:create", Reach::Under), "", CreateOrganization 201 Organization, "Create an organization (under `parent`, or a root)";
    get "/orgs/{org}" => orgs::get, Org("orgs:read", Reach::Org), "`{org}`: an id or a URL-encoded path of names", _ 200 Organization, "Get an organization";
    patch "/orgs/{org}" => orgs::update, Org("orgs:update", Reach::Org), "", UpdateOrganization 200 Organization, "Rename an organization or change its type or metadata";
    delete "/orgs/{org}" => orgs::delete, Org("orgs:delete", Reach::Parent), "through an organization: only while nobody is a member of, or holds a role in, its subtree", _ ?OrgDeleteQuery 200 BulkResult, "Delete an organization (?cascade=true: with its subtree and memberships)";
    post "/orgs/{org}/move" => orgs::move_org, Org("orgs:update", Reach::Parent), "and on the new `parent` (tenant-wide for a root)", MoveOrganization 200 Organization, "Move an organization with its subtree (no cycles, at most 10 levels)";
    get "/orgs/{org}/tree" => orgs::tree, Org("orgs:read", Reach::Org), "", _ 200 OrganizationList, "An organization and everything below it, in tree order";
    get "/orgs/{org}/members" => orgs::members, Org("orgs:read", Reach::Org), "", _ ?MemberQuery 200 MemberPage, "Members (?recursive=true: of the whole subtree, each user once)";
    post "/orgs/{org}/members" => orgs::add_member, Org("orgs:members", Reach::Org), "through an organization: also `users:update` on the user, who must be in reach already", AddMember 200 Organization, "Make a user a member";
    delete "/orgs/{org}/members/{user}" => orgs::remove_member, Org("orgs:members", Reach::Org), "through an organization: also `users:update` on the user", _ 200 Organization, "Remove a member";
    get "/orgs/{org}/roles" => orgs::roles, Org("orgs:read", Reach::Org), "", _ 200 OrgRoleList, "Roles that reach an organization: granted on it or above it";
    post "/orgs/{org}/roles" => orgs::grant_role, Org("roles:grant", Reach::Org), "the conferral rule, on the organization; through an organization: also `users:update` on the user", GrantOrgRole 200 OrgRole, "Grant a user a role on an organization: it holds there and below";
    delete "/orgs/{org}/roles/{user}/{role}" => orgs::revoke_role, Org("roles:grant", Reach::Org), "the conferral rule, on the organization; through an organization: also `users:update` on the user", _ 200 OrgRole, "Revoke a role granted on an organization";
    get "/roles" => roles::list, Tenant("roles:read"), "", _ 200 RoleList, "Built-in and custom roles";
    post "/roles" => roles::create, Tenant("roles:create"), "the caller must hold every permission of the role", CreateRole 201 Role, "Create a custom role";
    get "/roles/{name}" => roles::get, Tenant("roles:read"), "", _ 200 Role, "Get a role";
    patch "/roles/{name}" => roles::update, Tenant("roles:update"), "the caller must hold every permission it adds", UpdateRole 200 Role, "Change a custom role's description or permissions";
    delete "/roles/{name}" => roles::delete, Tenant("roles:delete"), "", _ 200 _, "Delete a custom role that nobody holds";
    post "/authz/check" => roles::check, Token, "asking about another user or service needs `authz:check`", AuthzCheck 200 AuthzDecision, "May a user or service do something?";
    post "/authz/check/batch" => roles::check_batch, Token, "as `/authz/check`, for each of up to 100 checks", AuthzBatch 200 AuthzBatchResult, "Up to 100 checks in one call, answered in order";
    get "/service-accounts" => misc::list_service_accounts, Tenant("service-accounts:read"), "", _ 200 ServiceAccountList, "List service accounts";
    post "/service-accounts" => misc::create_service_account, Tenant("service-accounts:create"), "the conferral rule for the roles", CreateServiceAccount 201 ServiceAccountCredentials, "Create a service account; the secret is shown once";
    patch "/service-accounts/{name}" => misc::update_service_account, Tenant("service-accounts:update"), "registering keys: the conferral rule for the account's roles", UpdateServiceAccount 200 ServiceAccount, "Change a service account's description, audiences or public keys (private_key_jwt)";
    get "/service-accounts/{name}" => misc::get_service_account, Tenant("service-accounts:read"), "", _ 200 ServiceAccount, "Get a service account";
    delete "/service-accounts/{name}" => misc::delete_service_account, Tenant("service-accounts:delete"), "", _ 200 _, "Delete a service account";
    post "/service-accounts/{name}/rotate-secret" => misc::rotate_service_account, Tenant("service-accounts:rotate"), "the conferral rule for the account's roles", _ 200 ServiceAccountCredentials, "New secret, shown once";
    get "/sync/targets" => sync::list_targets, Platform("sync:read"), "", _ 200 TargetList, "Sync targets";
    post "/sync/targets" => sync::create_target, Platform("sync:write"), "", CreateTarget 201 TargetWithSecret, "Add a target; an HTTP target's secret is shown once";
    get "/sync/targets/{name}" => sync::get_target, Platform("sync:read"), "", _ 200 SyncTarget, "Get a target";
    patch "/sync/targets/{name}" => sync::update_target, Platform("sync:write"), "", UpdateTarget 200 TargetWithSecret, "Change a target (a new secret is shown once)";
    delete "/sync/targets/{name}" => sync::delete_target, Platform("sync:write"), "", _ 200 _, "Remove a target with its tasks";
    post "/sync/targets/{name}/pause" => sync::pause_target, Platform("sync:write"), "", _ 200 SyncTarget, "Hold deliveries; tasks keep collecting";
    post "/sync/targets/{name}/resume" => sync::resume_target, Platform("sync:write"), "", _ 200 SyncTarget, "Deliver again (also after a 410 disabled it)";
    post "/sync/targets/{name}/test" => sync::test_target, Platform("sync:write"), "", _ 200 TargetTestResult, "Send a sync.ping now and report the answer";
    post "/sync/targets/{name}/preview" => sync::preview_target, Platform("sync:read"), "", PreviewEvent 200 EventPreview, "What an event would become for the target (its rules applied); nothing is sent";
    post "/sync/targets/{name}/replay" => sync::replay_target, Platform("sync:write"), "", ReplayEvents 200 BulkResult, "Deliver the events of a time window to the target again (type patterns optional)";
    get "/sync/tasks" => sync::list_tasks, Platform("sync:read"), "", _ ?TaskQuery 200 TaskPage, "Tasks (filters target, status, aggregate_id)";
    get "/sync/tasks/{id}" => sync::get_task, Platform("sync:read"), "", _ 200 SyncTask, "A task with every attempt";
    post "/sync/tasks/{id}/retry" => sync::retry_task, Platform("sync:write"), "", _ 200 SyncTask, "Retry a failed, dead or cancelled task now";
    post "/sync/tasks/{id}/cancel" => sync::cancel_task, Platform("sync:write"), "", _ 200 SyncTask, "Cancel a task that is not in flight";
    get "/sync/dlq" => sync::list_dlq, Platform("sync:read"), "", _ ?TaskQuery 200 TaskPage, "The dead-letter queue (filter target)";
    post "/sync/dlq/replay" => sync::replay_dlq, Platform("sync:write"), "", DlqReplay 200 BulkResult, "Queue dead tasks again";
    post "/sync/dlq/purge" => sync::purge_dlq, Platform("sync:write"), "", DlqPurge 200 BulkResult, "Delete dead tasks";
    get "/sync/stats" => sync::stats, Platform("sync:read"), "", _ 200 TargetStatsList, "Per-target delivery statistics";
    post "/checks" => checks::create, Platform("checks:run"), "", CreateCheck 201 Check, "Start a check of one target, all targets and/or plat itself (repair, dry_run)";
    get "/checks" => checks::list, Platform("checks:read"), "", _ ?CheckQuery 200 CheckPage, "Checks, newest first (filters target, status)";
    get "/checks/{id}" => checks::get, Platform("checks:read"), "", _ ?CheckGetQuery 200 Check, "A check: summary, per-target progress and the first findings (?findings=N)";
    get "/checks/{id}/findings" => checks::findings, Platform("checks:read"), "", _ ?FindingQuery 200 FindingPage, "Page through a check's findings (filters target, kind)";
    post "/events" => misc::publish_event, Tenant("events:publish"), "service accounts only, for the types they were granted (`publishes`); another tenant needs platform scope", PublishEvent 201 Event, "Publish an event (a repeated idempotency_key answers the first event)";
    post "/events/batch" => misc::publish_batch, Tenant("events:publish"), "as `POST /events`, for each event; all or none", PublishBatch 201 PublishedBatch, "Publish up to 1,000 events in one transaction";
    get "/events" => misc::events, Tenant("events:read"), "a platform admin without `X-Tenant-ID` sees every tenant", _ ?EventQuery 200 EventPage, "The outbox (filters type, aggregate_id, since)";
    get "/audit" => misc::audit, Tenant("audit:read"), "a platform admin without `X-Tenant-ID` sees every tenant", _ ?AuditQuery 200 AuditPage, "The audit log (filters actor, action, target, since, until)";
    get "/health" => misc::health, Tenant("health:read"), "", _ 200 HealthReport, "Component health report";
    get "/services" => registry::list, Shared("services:read"), "", _ 200 ServiceList, "Registered services with their health and layering verdicts";
    get "/services/graph" => registry::graph, Shared("services:read"), "", _ 200 ServiceGraph, "The dependency graph: layers, edges with violations, cycles";
    get "/services/{namespace}/{name}" => registry::get, Shared("services:read"), "", _ 200 ServiceRegistration, "A registration";
    put "/services/{namespace}/{name}" => registry::register, Platform("services:write"), "the layering policy may refuse it (LAYER_VIOLATION)", RegisterService ?RegisterQuery 200 ServiceRegistration, "Register or update a service (idempotent; ?dry_run=true stores nothing)";
    delete "/services/{namespace}/{name}" => registry::deregister, Platform("services:write"), "", _ 200 _, "Deregister a service";
    get "/services/{namespace}/{name}/instances" => registry::instances, Shared("services:read"), "", _ 200 InstanceList, "A service's instances with their health";
    post "/services/{namespace}/{name}/credentials" => registry::credentials, Platform("services:write"), "roles under the conferral rule", ServiceCredentialsRequest 200 ServiceCredentials, "The service's own account: created once, its secret rotated after (shown once)";
    post "/services/{namespace}/{name}/heartbeat" => registry::heartbeat, Shared("services:heartbeat"), "", Heartbeat 200 Instance, "A self-registered instance is alive (TTL)";
    get "/discovery/{name}" => registry::discover, Shared("discovery:read"), "blocks with ?index=N&wait=30s until the service changes", _ ?DiscoveryQuery 200 DiscoveryAnswer, "A service's instances (?healthy=true), from memory";
    get "/openapi.json" => misc::openapi, Public, "", _ 200 _, "This document";
}

routes! { ROOT_ROUTES, root_routes;
    get "/healthz" => misc::healthz, Public, "", _ 200 _, "The process is alive";
    get "/readyz" => misc::readyz, Public, "", _ 200 _, "The database is reachable and migrated";
    get "/metrics" => misc::metrics, Public, "", _ 200 _, "Prometheus metrics";
    get "/.well-known/jwks.json" => auth::jwks, Public, "", _ 200 _, "Public signing keys (JWKS)";
    get "/.well-known/openid-configuration" => oauth::discovery, Public, "", _ 200 _, "OpenID Connect discovery: the issuer and its endpoints";
    get "/.well-known/oauth-authorization-server" => oauth::discovery, Public, "", _ 200 _, "OAuth 2.0 authorization server metadata (RFC 8414), the same document";
    get "/oauth2/authorize" => oauth::authorize, Public, "", _ 400 _, "No browser flow: answers unsupported_response_type";
    post "/oauth2/token" => oauth::token, Client(""), "a refresh_token grant needs no client authentication", _ 200 _, "RFC 6749 token endpoint: client_credentials, refresh_token, token exchange (RFC 8693)";
    post "/oauth2/introspect" => oauth::introspect, Client("tokens:introspect"), "or a bearer token with the permission; other tenants' tokens answer inactive", _ 200 _, "RFC 7662 token introspection";
    post "/oauth2/revoke" => oauth::revoke, Client(""), "an access token by the client it was issued to, or with `tokens:revoke` in its tenant; a refresh token by whoever holds it", _ 200 _, "RFC 7009 token revocation";
}

/// The whole application (without the connect-info and shutdown plumbing of `serve`).
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.http.body_limit_bytes;
    let api = with_request_layers(api_routes(&state), &state)
        .fallback(misc::not_found)
        .method_not_allowed_fallback(misc::method_not_allowed);
    // The middleware is a route layer so it sees the matched route (bounded
    // metric labels); unmatched requests still get an envelope from the fallback.
    with_request_layers(root_routes(&state), &state)
        .nest("/api/v1", api)
        .fallback(misc::not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

/// What every route gets: the request middleware (request id, metrics, the
/// log line) around the panic catcher, so a panic is answered, logged and
/// counted like any other 500. Route layers, so the middleware sees the
/// matched route.
pub fn with_request_layers(routes: Router<AppState>, state: &AppState) -> Router<AppState> {
    routes
        .route_layer(catch_panic())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), crate::context::middleware))
}

type PanicHandler = fn(Box<dyn std::any::Any + Send>) -> axum::response::Response;

/// A panicking handler answers `INTERNAL_ERROR`. It sits inside the request
/// middleware, so the answer carries the request id and the panic is logged
/// with it and counted like any other 500.
fn catch_panic() -> tower_http::catch_panic::CatchPanicLayer<PanicHandler> {
    tower_http::catch_panic::CatchPanicLayer::custom(|payload: Box<dyn std::any::Any + Send>| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        axum::response::IntoResponse::into_response(crate::error::ApiErr::internal(format!(
            "handler panicked: {message}"
        )))
    })
}
