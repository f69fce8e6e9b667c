//! The HTTP API: the router, and the route table that documents it (OpenAPI
//! and the permission table are generated from [`ROUTES`]).

pub mod auth;
pub mod checks;
pub mod extract;
pub mod misc;
pub mod roles;
pub mod sync;
pub mod tenants;
pub mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::AppState;

/// One documented endpoint.
pub struct RouteDoc {
    pub method: &'static str,
    /// Path under `/api/v1` (or absolute when it starts with `/.` or is a probe).
    pub path: &'static str,
    pub summary: &'static str,
    /// Permission checked; `-` when unauthenticated, `token` when any valid token will do.
    pub permission: &'static str,
    pub request: Option<&'static str>,
    pub response: Option<&'static str>,
}

macro_rules! routes {
    ($( $method:literal $path:literal $perm:literal $req:tt $resp:tt $summary:literal ;)*) => {
        pub const ROUTES: &[RouteDoc] = &[$(RouteDoc {
            method: $method, path: $path, summary: $summary, permission: $perm,
            request: routes!(@opt $req), response: routes!(@opt $resp),
        }),*];
    };
    (@opt _) => { None };
    (@opt $name:ident) => { Some(stringify!($name)) };
}

routes! {
    "POST" "/auth/login" "-" LoginRequest TokenPair "Log in with a password; returns access and refresh tokens";
    "POST" "/auth/refresh" "-" RefreshRequest TokenPair "Spend a refresh token for a new pair; reuse revokes the family";
    "POST" "/auth/logout" "token" LogoutRequest _ "Revoke one session (refresh-token family)";
    "POST" "/auth/logout-all" "token" _ RevokeResult "Revoke every session of the caller";
    "POST" "/auth/token" "-" TokenRequest AccessToken "Client-credentials grant for service accounts";
    "POST" "/auth/verify" "token" VerifyRequest VerifyResponse "Introspect a token: active, claims, or why not";
    "POST" "/auth/tokens" "tokens:issue" IssueTokenRequest AccessToken "Issue a token for a user or service account (audited)";
    "POST" "/auth/revoke" "tokens:revoke" RevokeRequest RevokeResult "Revoke a token, a jti, or every session of a user";
    "GET" "/auth/keys" "keys:read (platform)" _ SigningKeyList "Signing keys (public parts)";
    "POST" "/auth/keys/rotate" "keys:rotate (platform)" _ SigningKey "Rotate the signing key; the old one verifies until its tokens expire";
    "GET" "/auth/whoami" "token" _ Identity "The caller: subject, tenant, roles, permissions";
    "GET" "/tenants" "tenants:read" _ TenantPage "List tenants (others see only their own)";
    "POST" "/tenants" "tenants:create (platform)" CreateTenant Tenant "Create a tenant";
    "GET" "/tenants/{slug}" "tenants:read" _ Tenant "Get a tenant";
    "PATCH" "/tenants/{slug}" "tenants:update (quotas: platform)" UpdateTenant Tenant "Rename a tenant or change its quota";
    "DELETE" "/tenants/{slug}" "tenants:delete (platform)" _ _ "Delete a tenant (?cascade=true to delete its users too)";
    "POST" "/tenants/{slug}/suspend" "tenants:suspend (platform)" _ Tenant "Suspend a tenant: its tokens stop working";
    "POST" "/tenants/{slug}/resume" "tenants:resume (platform)" _ Tenant "Resume a suspended tenant";
    "GET" "/users" "users:read" _ UserPage "List users (filters status, role, search)";
    "POST" "/users" "users:create" CreateUser User "Create a user with profile and stats in one transaction";
    "POST" "/users/import" "users:import" _ ImportReport "Import users from NDJSON (streamed; ?dry_run=true)";
    "GET" "/users/export" "users:export" _ _ "Export users as NDJSON (streamed)";
    "GET" "/users/{user}" "users:read or self:read" _ User "Get a user by id or username";
    "PATCH" "/users/{user}" "users:update or self:update" UpdateUser User "Change email or profile";
    "DELETE" "/users/{user}" "users:delete" _ _ "Delete a user (soft; ?hard=true removes it)";
    "POST" "/users/{user}/disable" "users:update" _ User "Disable a user and end its sessions";
    "POST" "/users/{user}/enable" "users:update" _ User "Enable a disabled user";
    "POST" "/users/{user}/unlock" "users:update" _ User "Clear a lockout";
    "POST" "/users/{user}/password" "users:update or self:update" SetPassword User "Set a password; ends the user's sessions";
    "POST" "/users/{user}/roles" "roles:grant" GrantRole User "Grant a role";
    "DELETE" "/users/{user}/roles/{role}" "roles:grant" _ User "Revoke a role";
    "GET" "/roles" "roles:read" _ RoleList "Built-in and custom roles";
    "POST" "/roles" "roles:create" CreateRole Role "Create a custom role";
    "GET" "/roles/{name}" "roles:read" _ Role "Get a role";
    "PATCH" "/roles/{name}" "roles:update" UpdateRole Role "Change a custom role's description or permissions";
    "DELETE" "/roles/{name}" "roles:delete" _ _ "Delete a custom role that nobody holds";
    "POST" "/authz/check" "token (authz:check to ask about others)" AuthzCheck AuthzDecision "May a user or service do something?";
    "GET" "/service-accounts" "service-accounts:read" _ ServiceAccountList "List service accounts";
    "POST" "/service-accounts" "service-accounts:create" CreateServiceAccount ServiceAccountCredentials "Create a service account; the secret is shown once";
    "GET" "/service-accounts/{name}" "service-accounts:read" _ ServiceAccount "Get a service account";
    "DELETE" "/service-accounts/{name}" "service-accounts:delete" _ _ "Delete a service account";
    "POST" "/service-accounts/{name}/rotate-secret" "service-accounts:rotate" _ ServiceAccountCredentials "New secret, shown once";
    "GET" "/sync/targets" "sync:read (platform)" _ TargetList "Sync targets";
    "POST" "/sync/targets" "sync:write (platform)" CreateTarget TargetWithSecret "Add a target; an HTTP target's secret is shown once";
    "GET" "/sync/targets/{name}" "sync:read (platform)" _ SyncTarget "Get a target";
    "PATCH" "/sync/targets/{name}" "sync:write (platform)" UpdateTarget TargetWithSecret "Change a target (a new secret is shown once)";
    "DELETE" "/sync/targets/{name}" "sync:write (platform)" _ _ "Remove a target with its tasks";
    "POST" "/sync/targets/{name}/pause" "sync:write (platform)" _ SyncTarget "Hold deliveries; tasks keep collecting";
    "POST" "/sync/targets/{name}/resume" "sync:write (platform)" _ SyncTarget "Deliver again (also after a 410 disabled it)";
    "POST" "/sync/targets/{name}/test" "sync:write (platform)" _ TargetTestResult "Send a sync.ping now and report the answer";
    "GET" "/sync/tasks" "sync:read (platform)" _ TaskPage "Tasks (filters target, status, aggregate_id)";
    "GET" "/sync/tasks/{id}" "sync:read (platform)" _ SyncTask "A task with every attempt";
    "POST" "/sync/tasks/{id}/retry" "sync:write (platform)" _ SyncTask "Retry a failed, dead or cancelled task now";
    "POST" "/sync/tasks/{id}/cancel" "sync:write (platform)" _ SyncTask "Cancel a task that is not in flight";
    "GET" "/sync/dlq" "sync:read (platform)" _ TaskPage "The dead-letter queue (filter target)";
    "POST" "/sync/dlq/replay" "sync:write (platform)" DlqReplay BulkResult "Queue dead tasks again";
    "POST" "/sync/dlq/purge" "sync:write (platform)" DlqPurge BulkResult "Delete dead tasks";
    "GET" "/sync/stats" "sync:read (platform)" _ TargetStatsList "Per-target delivery statistics";
    "POST" "/checks" "checks:run (platform)" CreateCheck Check "Start a check of one target, all targets and/or plat itself (repair, dry_run)";
    "GET" "/checks" "checks:read (platform)" _ CheckPage "Checks, newest first (filters target, status)";
    "GET" "/checks/{id}" "checks:read (platform)" _ Check "A check: summary, per-target progress and the first findings (?findings=N)";
    "GET" "/checks/{id}/findings" "checks:read (platform)" _ FindingPage "Page through a check's findings (filters target, kind)";
    "GET" "/events" "events:read" _ EventPage "The outbox (filters type, aggregate_id, since)";
    "GET" "/audit" "audit:read" _ AuditPage "The audit log (filters actor, action, target, since, until)";
    "GET" "/health" "health:read" _ HealthReport "Component health report";
    "GET" "/openapi.json" "-" _ _ "This document";
}

/// The whole application (without the connect-info and shutdown plumbing of `serve`).
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.http.body_limit_bytes;
    let import_limit = state.config.http.import_limit_bytes;
    let api = Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", post(auth::refresh))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/logout-all", post(auth::logout_all))
        .route("/auth/token", post(auth::client_credentials))
        .route("/auth/verify", post(auth::verify))
        .route("/auth/tokens", post(auth::issue))
        .route("/auth/revoke", post(auth::revoke))
        .route("/auth/keys", get(auth::keys))
        .route("/auth/keys/rotate", post(auth::rotate_keys))
        .route("/auth/whoami", get(auth::whoami))
        .route("/tenants", get(tenants::list).post(tenants::create))
        .route("/tenants/{slug}", get(tenants::get).patch(tenants::update).delete(tenants::delete))
        .route("/tenants/{slug}/suspend", post(tenants::suspend))
        .route("/tenants/{slug}/resume", post(tenants::resume))
        .route("/users", get(users::list).post(users::create))
        .route("/users/import", post(users::import).layer(DefaultBodyLimit::max(import_limit)))
        .route("/users/export", get(users::export))
        .route("/users/{user}", get(users::get).patch(users::update).delete(users::delete))
        .route("/users/{user}/disable", post(users::disable))
        .route("/users/{user}/enable", post(users::enable))
        .route("/users/{user}/unlock", post(users::unlock))
        .route("/users/{user}/password", post(users::set_password))
        .route("/users/{user}/roles", post(users::grant_role))
        .route("/users/{user}/roles/{role}", axum::routing::delete(users::revoke_role))
        .route("/roles", get(roles::list).post(roles::create))
        .route("/roles/{name}", get(roles::get).patch(roles::update).delete(roles::delete))
        .route("/authz/check", post(roles::check))
        .route("/service-accounts", get(misc::list_service_accounts).post(misc::create_service_account))
        .route("/service-accounts/{name}", get(misc::get_service_account).delete(misc::delete_service_account))
        .route("/service-accounts/{name}/rotate-secret", post(misc::rotate_service_account))
        .route("/sync/targets", get(sync::list_targets).post(sync::create_target))
        .route("/sync/targets/{name}", get(sync::get_target).patch(sync::update_target).delete(sync::delete_target))
        .route("/sync/targets/{name}/pause", post(sync::pause_target))
        .route("/sync/targets/{name}/resume", post(sync::resume_target))
        .route("/sync/targets/{name}/test", post(sync::test_target))
        .route("/sync/tasks", get(sync::list_tasks))
        .route("/sync/tasks/{id}", get(sync::get_task))
        .route("/sync/tasks/{id}/retry", post(sync::retry_task))
        .route("/sync/tasks/{id}/cancel", post(sync::cancel_task))
        .route("/sync/dlq", get(sync::list_dlq))
        .route("/sync/dlq/replay", post(sync::replay_dlq))
        .route("/sync/dlq/purge", post(sync::purge_dlq))
        .route("/sync/stats", get(sync::stats))
        .route("/checks", get(checks::list).post(checks::create))
        .route("/checks/{id}", get(checks::get))
        .route("/checks/{id}/findings", get(checks::findings))
        .route("/events", get(misc::events))
        .route("/audit", get(misc::audit))
        .route("/health", get(misc::health))
        .route("/openapi.json", get(misc::openapi))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), crate::context::middleware))
        .fallback(misc::not_found)
        .method_not_allowed_fallback(misc::method_not_allowed);
    // The middleware is a route layer so it sees the matched route (bounded
    // metric labels); unmatched requests still get an envelope from the fallback.
    Router::new()
        .route("/healthz", get(misc::healthz))
        .route("/readyz", get(misc::readyz))
        .route("/metrics", get(misc::metrics))
        .route("/.well-known/jwks.json", get(auth::jwks))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), crate::context::middleware))
        .nest("/api/v1", api)
        .fallback(misc::not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_: Box<dyn std::any::Any + Send>| {
            axum::response::IntoResponse::into_response(crate::error::ApiErr::internal("handler panicked"))
        }))
        .with_state(state)
}
