//! The authorization matrix: every route of the route table (the router is
//! built from the same rows) called by every kind of caller, and from another
//! tenant in every way one can name it. The expected outcome is computed from
//! the row's `Access` (what `docs/permissions.md` shows), not kept by hand.

use std::collections::HashMap;

use plat_client::Client;
use plat_proto::*;
use platd::api::{Access, ROOT_ROUTES, ROUTES, RouteDoc};
use serde_json::{Value, json};

use crate::api::tenant;
use crate::both;

const PASSWORD: &str = "matrix-password-1";

/// The custom roles the tests create, with what they grant: created from
/// this table and expected from it.
const CUSTOM_ROLES: &[(&str, &[&str])] = &[
    // Scratch users hold it; every caller allowed to grant may hand it out.
    ("reader", &["users:read"]),
    ("role-manager", &["roles:*", "users:read"]),
    ("auditor", &["audit:read", "events:read"]),
    ("minter", &["tokens:issue", "users:read"]),
];

/// What `role` grants: a built-in role's permissions or a custom one's.
fn permissions_of(role: &str) -> Vec<String> {
    let custom = CUSTOM_ROLES.iter().find(|(name, _)| *name == role).map(|(_, p)| *p);
    let granted = plat_domain::builtin_role(role).map(|b| b.permissions).or(custom).unwrap_or_default();
    granted.iter().map(|s| s.to_string()).collect()
}

/// Create the custom role `name` of [`CUSTOM_ROLES`] through `client`.
async fn create_custom_role(client: &Client, name: &str) {
    let role =
        CreateRole { name: name.into(), description: None, permissions: permissions_of(name), conditions: vec![] };
    client.create_role(&role).await.expect("custom role");
}

/// How a caller authenticates.
#[derive(Clone)]
enum Login {
    Anonymous,
    Expired,
    User { tenant: &'static str, username: &'static str },
    Service { client_id: String, client_secret: String },
}

struct Caller {
    name: &'static str,
    login: Login,
    /// Tenant it belongs to (and acts in).
    tenant: &'static str,
    /// Its permission patterns, as its roles grant them.
    permissions: Vec<String>,
    platform_admin: bool,
    /// What its roles on an organization grant there and below (the
    /// matrix's organization "engineering" of acme).
    org_permissions: Vec<String>,
}

impl Caller {
    fn holds(&self, permission: &str) -> bool {
        self.platform_admin || self.permissions.iter().any(|g| plat_domain::permission_matches(g, permission))
    }

    fn holds_in_org(&self, permission: &str) -> bool {
        self.holds(permission) || self.org_permissions.iter().any(|g| plat_domain::permission_matches(g, permission))
    }
}

/// What a call must come to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Through the gate: anything but an authentication or permission refusal (and never a 500).
    Allowed,
    Unauthorized(ErrorCode),
    Denied,
    /// Another tenant's resources do not exist: 404, and no data.
    Hidden,
}

struct Answer {
    status: u16,
    code: Option<ErrorCode>,
    body: Value,
}

struct Matrix<'a> {
    p: &'a crate::harness::Platd,
    http: reqwest::Client,
    counter: u64,
    expired: String,
    cases: u64,
}

impl Matrix<'_> {
    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    async fn root(&self) -> Client {
        let pair = self.p.client.login("system", "admin", PASSWORD).await.expect("root login");
        self.p.client.clone().with_token(pair.access_token)
    }

    async fn token(&self, login: &Login) -> Option<String> {
        match login {
            Login::Anonymous => None,
            Login::Expired => Some(self.expired.clone()),
            Login::User { tenant, username } => {
                Some(self.p.client.login(tenant, username, PASSWORD).await.expect("caller login").access_token)
            }
            Login::Service { client_id, client_secret } => Some(
                self.p.client.client_credentials(client_id, client_secret, None).await.expect("sa token").access_token,
            ),
        }
    }

    async fn call(
        &self,
        route: &RouteDoc,
        path: &str,
        token: Option<&str>,
        tenant_header: Option<&str>,
        body: Option<&Body>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(route.http_method().as_bytes()).expect("method");
        let mut request = self.http.request(method, format!("{}{path}", self.p.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(tenant) = tenant_header {
            request = request.header("x-tenant-id", tenant);
        }
        request = match body {
            Some(Body::Json(value)) => request.json(value),
            Some(Body::Raw(text)) => request.header("content-type", "application/x-ndjson").body(text.clone()),
            None => request,
        };
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        let code = body["error"]["code"].as_str().and_then(|c| serde_json::from_value(json!(c)).ok());
        Answer { status, code, body }
    }

    /// Objects a call on `route` acts upon, made fresh in `tenant` so that
    /// an allowed destructive call cannot disturb the next case; `within`
    /// an organization (made under it, users its members, it the `parent`)
    /// when given.
    async fn fill_path(
        &mut self,
        route: &RouteDoc,
        tenant: &str,
        caller_user: Option<&str>,
        within: Option<&str>,
    ) -> (String, HashMap<&'static str, String>) {
        let k = self.next();
        // A fresh root session: the matrix may end the previous ones.
        let root = self.root().await;
        let admin = root.clone().with_tenant(tenant);
        let mut names = HashMap::new();
        let mut path = route.path.to_owned();
        if let Some(within) = within {
            names.insert("parent", within.to_owned());
            if route.path == "/orgs" && route.method == "get" {
                path = format!("/orgs?parent={within}");
            }
        }
        if path.contains("{user}") || (within.is_some() && caller_user.is_none()) {
            let user = match caller_user {
                Some(own) => own.to_owned(),
                None => {
                    let name = format!("scratch{k}");
                    admin
                        .create_user(&CreateUser {
                            username: name.clone(),
                            email: format!("{name}@example.test"),
                            password: Some(PASSWORD.into()),
                            roles: Some(vec!["reader".into()]),
                            ..CreateUser::default()
                        })
                        .await
                        .expect("scratch user")
                        .id
                }
            };
            if let (Some(within), None) = (within, caller_user) {
                admin.add_org_member(within, &user).await.expect("scratch member");
            }
            names.insert("user", user.clone());
            path = path.replace("{user}", &user);
        }
        if path.contains("{slug}") {
            path = path.replace("{slug}", tenant);
        }
        if path.contains("{org}") {
            let req = CreateOrganization {
                name: format!("scratch-org{k}"),
                parent: within.map(str::to_owned),
                ..Default::default()
            };
            let org = admin.create_org(&req).await.expect("scratch organization");
            names.insert("org", org.id.clone());
            path = path.replace("{org}", &org.id);
        }
        if path.contains("{resource}") {
            // A quota declared fresh, so a delete or a full quota cannot
            // disturb the next case.
            let resource = format!("scratch_res{k}");
            let declare = SetQuota { limit: Some(1000), ..Default::default() };
            root.set_quota(tenant, &resource, &declare).await.expect("scratch quota");
            names.insert("resource", resource.clone());
            path = path.replace("{resource}", &resource);
        }
        if path.contains("{role}") {
            path = path.replace("{role}", "reader");
        }
        if path.contains("{name}") {
            let name = if route.path.starts_with("/roles/") {
                let name = format!("scratch-role{k}");
                admin
                    .create_role(&CreateRole {
                        name: name.clone(),
                        description: None,
                        permissions: vec!["users:read".into()],
                        conditions: vec![],
                    })
                    .await
                    .expect("scratch role");
                name
            } else if route.path.starts_with("/service-accounts/") {
                let name = format!("scratch-sa{k}");
                admin
                    .create_service_account(&CreateServiceAccount {
                        name: name.clone(),
                        description: None,
                        roles: vec![],
                        ..Default::default()
                    })
                    .await
                    .expect("scratch service account");
                name
            } else if route.path.starts_with("/services/") || route.path.starts_with("/discovery/") {
                let name = format!("scratch-svc{k}");
                let token = self.p.client.login("system", "admin", PASSWORD).await.expect("root").access_token;
                let answer = self
                    .http
                    .put(format!("{}/api/v1/services/matrix/{name}", self.p.base))
                    .bearer_auth(token)
                    .json(&json!({"layer": "core"}))
                    .send()
                    .await
                    .expect("scratch service");
                assert_eq!(answer.status().as_u16(), 200, "scratch service");
                path = path.replace("{namespace}", "matrix");
                name
            } else if route.path.starts_with("/sync/targets/") {
                let name = format!("scratch-target{k}");
                let target: CreateTarget = serde_json::from_value(
                    json!({"name": name, "kind": "http", "url": "http://127.0.0.1:9/hooks/plat", "events": ["nothing.*"]}),
                )
                .expect("target");
                root.create_target(&target).await.expect("scratch target");
                name
            } else {
                panic!("no way to fill {{name}} of {}", route.path)
            };
            names.insert("name", name.clone());
            path = path.replace("{name}", &name);
        }
        if path.contains("{id}") {
            path = path.replace("{id}", if route.path.starts_with("/checks") { "chk_none" } else { "1" });
        }
        (path, names)
    }
}

enum Body {
    Json(Value),
    Raw(String),
}

/// A valid request body for a route, so that a refusal can only come from
/// the gate. A route with a request type and no sample fails the test.
fn sample_body(route: &RouteDoc, k: u64, names: &HashMap<&'static str, String>, extra: &Extra) -> Option<Body> {
    if route.path == "/users/import" {
        return Some(Body::Raw(format!("{{\"username\":\"imp{k}\",\"email\":\"imp{k}@example.test\"}}\n")));
    }
    let user = names.get("user").cloned().unwrap_or_else(|| extra.member_id.clone());
    let value = match route.request? {
        "LoginRequest" => json!({"tenant": "acme", "username": "member", "password": PASSWORD}),
        "MfaLogin" => json!({"mfa_token": "plmfa_unknown", "code": "123456"}),
        "MfaCode" => json!({"code": "123456"}),
        "MfaProof" => json!({"code": "123456"}),
        "PasskeyLoginRequest" => json!({"tenant": "acme", "username": user}),
        "RegisterPasskey" => json!({"ceremony": "plwa_unknown", "credential": {}}),
        "RefreshRequest" | "LogoutRequest" => json!({"refresh_token": extra.refresh_token}),
        "TokenRequest" => {
            json!({"grant_type": "client_credentials", "client_id": extra.sa_id, "client_secret": extra.sa_secret})
        }
        "VerifyRequest" => json!({"token": "not-a-token"}),
        "IssueTokenRequest" => json!({"user": user, "ttl": "1m"}),
        "RevokeRequest" => json!({"user": user}),
        "CreateTenant" => json!({"slug": format!("made{k}"), "name": "Made"}),
        "UpdateTenant" => json!({"name": format!("Renamed {k}")}),
        "CreateUser" => json!({"username": format!("made{k}"), "email": format!("made{k}@example.test"),
            "orgs": names.get("parent").map(|org| vec![org])}),
        "UpdateUser" => json!({"profile": {"nickname": "N"}}),
        "SetPassword" => json!({"password": PASSWORD}),
        "GrantRole" => json!({"role": "reader"}),
        "CreateRole" => json!({"name": format!("made{k}"), "permissions": ["users:read"]}),
        "UpdateRole" => json!({"description": "changed"}),
        "AuthzCheck" => json!({"permission": "users:read"}),
        "AuthzBatch" => {
            json!({"checks": [{"permission": "users:read"}, {"resource": "users", "action": "read", "context": {"k": k}}]})
        }
        "CreateServiceAccount" => json!({"name": format!("made{k}")}),
        "CreateTarget" => {
            json!({"name": format!("made{k}"), "kind": "http", "url": "http://127.0.0.1:9/hooks/plat", "events": ["nothing.*"]})
        }
        "UpdateTarget" => json!({"timeout": "2s"}),
        "DlqReplay" => json!({"ids": [999999]}),
        "DlqPurge" => json!({"ids": [999999]}),
        "CreateCheck" => json!({"target": "no-such-target"}),
        "RegisterService" => json!({"layer": "core", "tags": {"made": k.to_string()}}),
        "Heartbeat" => json!({"url": "http://127.0.0.1:9/", "ttl": "30s"}),
        "ServiceCredentialsRequest" => json!({"roles": []}),
        "UpdateServiceAccount" => json!({"description": format!("changed {k}")}),
        "PublishEvent" => json!({"type": "matrix.sample", "data": {"k": k}}),
        "PublishBatch" => json!({"events": [{"type": "matrix.sample", "data": {"k": k}}]}),
        "ReplayEvents" => json!({"since": "1m", "types": ["nothing.*"]}),
        "PreviewEvent" => json!({"event": {"type": "user.updated", "tenant": "acme", "data": {"k": k}}}),
        "SetQuota" => json!({"limit": 1000 + k}),
        "CreateOrganization" => json!({"name": format!("made{k}"), "type": "team", "parent": names.get("parent")}),
        "UpdateOrganization" => json!({"display_name": format!("Changed {k}")}),
        "MoveOrganization" => json!({"parent": names.get("parent")}),
        "GrantOrgRole" => json!({"user": user, "role": "reader"}),
        "AddMember" => json!({"user": user}),
        "QuotaCheck" => json!({"amount": 1}),
        "ReserveQuota" => json!({"amount": 1, "ttl": "1m"}),
        "SettleQuota" => json!({"amount": 1}),
        other => panic!("{} {} takes {other}: add a sample body to the matrix", route.http_method(), route.path),
    };
    Some(Body::Json(value))
}

/// Credentials some sample bodies need.
struct Extra {
    member_id: String,
    refresh_token: String,
    sa_id: String,
    sa_secret: String,
}

/// What `caller` acting in its own tenant must meet on `route` (`own` when
/// the route's `{user}` is the caller, `inside` when the route acts inside
/// the caller's organization).
fn expect(route: &RouteDoc, caller: &Caller, own: bool, inside: bool) -> Expect {
    match (&caller.login, route.access) {
        // The standard endpoints authenticate clients, not bearer tokens
        // alone, and answer RFC 6749 errors: tests/it/oauth.rs covers them.
        (_, Access::Public | Access::Client(_)) => return Expect::Allowed,
        (Login::Anonymous, _) => return Expect::Unauthorized(ErrorCode::Unauthorized),
        (Login::Expired, _) => return Expect::Unauthorized(ErrorCode::TokenExpired),
        _ => {}
    }
    let allowed = match route.access {
        Access::Public | Access::Token | Access::Enrol | Access::Client(_) => true,
        Access::Tenant(p) | Access::Shared(p) => caller.holds(p),
        Access::TenantOrSelf(p, mine) => caller.holds(p) || (own && caller.holds(mine)),
        Access::Org(p, _) => caller.holds(p) || (inside && caller.holds_in_org(p)),
        Access::OrgOrSelf(p, mine) => {
            caller.holds(p) || (own && caller.holds(mine)) || (inside && caller.holds_in_org(p))
        }
        Access::Platform(p) => caller.platform_admin && caller.holds(p),
    };
    if allowed { Expect::Allowed } else { Expect::Denied }
}

fn judge(route: &RouteDoc, who: &str, expected: Expect, answer: &Answer) {
    let what = format!("{} {} as {who}", route.http_method(), route.path);
    assert!(answer.status != 500, "{what}: 500 {}", answer.body);
    match expected {
        Expect::Allowed => assert!(
            !matches!(answer.status, 401 | 403)
                && !matches!(answer.code, Some(ErrorCode::TenantNotFound | ErrorCode::PermissionDenied)),
            "{what}: expected to pass the gate, got {} {}",
            answer.status,
            answer.body
        ),
        Expect::Unauthorized(code) => {
            assert_eq!((answer.status, answer.code), (401, Some(code)), "{what}: {}", answer.body)
        }
        Expect::Denied => {
            assert_eq!(
                (answer.status, answer.code),
                (403, Some(ErrorCode::PermissionDenied)),
                "{what}: {}",
                answer.body
            )
        }
        Expect::Hidden => {
            assert_eq!(answer.status, 404, "{what}: another tenant's resource must look missing: {}", answer.body);
            assert!(answer.body.get("data").is_none(), "{what}: a 404 carries no data: {}", answer.body);
        }
    }
}

// Samples with wrong second-factor codes count toward the loopback IP's
// failure limit like any wrong credential; the matrix checks access rules,
// so it lifts that limit out of the way.
both!(every_route_enforces_its_documented_access, &[("PLATD_AUTH__IP_LIMIT__MAX_FAILURES", "100000")], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    let globex = tenant(&p.admin, "globex", None).await;
    for client in [&acme, &globex, &p.admin] {
        create_custom_role(client, "reader").await;
    }
    create_custom_role(&acme, "role-manager").await;
    create_custom_role(&acme, "auditor").await;
    let mut member_id = String::new();
    for (client, username, roles) in [
        (&acme, "member", vec!["member"]),
        (&acme, "viewer", vec!["viewer"]),
        (&acme, "auditor", vec!["auditor"]),
        (&acme, "admin", vec!["tenant-admin"]),
        (&acme, "manager", vec!["role-manager"]),
        (&acme, "orgadmin", vec!["member"]),
        (&globex, "admin", vec!["tenant-admin"]),
        (&p.admin, "operator", vec!["tenant-admin"]),
    ] {
        let user = client
            .create_user(&CreateUser {
                username: username.into(),
                email: format!("{username}@example.test"),
                password: Some(PASSWORD.into()),
                roles: Some(roles.into_iter().map(str::to_owned).collect()),
                ..CreateUser::default()
            })
            .await
            .expect("caller");
        if username == "member" && user.tenant == "acme" {
            member_id = user.id;
        }
    }
    // The organization admin: org-admin on "engineering" only.
    let engineering =
        acme.create_org(&CreateOrganization { name: "engineering".into(), ..Default::default() }).await.expect("org");
    acme.grant_org_role(&engineering.id, "orgadmin", "org-admin").await.expect("org-admin");
    let with = acme
        .create_service_account(&CreateServiceAccount {
            name: "with".into(),
            description: None,
            roles: vec!["tenant-admin".into()],
            publishes: vec!["matrix.*".into()],
            ..Default::default()
        })
        .await
        .expect("sa with");
    let without = acme
        .create_service_account(&CreateServiceAccount {
            name: "without".into(),
            description: None,
            roles: vec![],
            ..Default::default()
        })
        .await
        .expect("sa without");
    // Everyone shares one password, so self-service password changes keep it
    // (this ends the harness's root session: the matrix logs in afresh).
    p.admin.set_password("admin", PASSWORD).await.expect("root password");
    let perms = permissions_of;
    let user = |tenant, username| Login::User { tenant, username };
    let callers = vec![
        Caller {
            name: "anonymous",
            login: Login::Anonymous,
            tenant: "acme",
            permissions: vec![],
            platform_admin: false,
            org_permissions: vec![],
        },
        Caller {
            name: "expired token",
            login: Login::Expired,
            tenant: "acme",
            permissions: vec![],
            platform_admin: false,
            org_permissions: vec![],
        },
        Caller {
            name: "member",
            login: user("acme", "member"),
            tenant: "acme",
            permissions: perms("member"),
            platform_admin: false,
            org_permissions: vec![],
        },
        Caller {
            name: "viewer",
            login: user("acme", "viewer"),
            tenant: "acme",
            permissions: perms("viewer"),
            platform_admin: false,
            org_permissions: vec![],
        },
        Caller {
            name: "auditor (custom)",
            login: user("acme", "auditor"),
            tenant: "acme",
            permissions: perms("auditor"),
            platform_admin: false,
            org_permissions: vec![],
        },
        Caller {
            name: "tenant admin",
            login: user("acme", "admin"),
            tenant: "acme",
            permissions: perms("tenant-admin"),
            platform_admin: false,
            org_permissions: vec![],
        },
        Caller {
            name: "role manager (custom)",
            login: user("acme", "manager"),
            tenant: "acme",
            permissions: perms("role-manager"),
            platform_admin: false,
            org_permissions: vec![],
        },
        Caller {
            name: "tenant admin of system",
            login: user("system", "operator"),
            tenant: "system",
            permissions: perms("tenant-admin"),
            platform_admin: false,
            org_permissions: vec![],
        },
        Caller {
            name: "service account with",
            login: Login::Service {
                client_id: with.account.client_id.clone(),
                client_secret: with.client_secret.clone(),
            },
            tenant: "acme",
            permissions: perms("tenant-admin"),
            platform_admin: false,
            org_permissions: vec![],
        },
        Caller {
            name: "service account without",
            login: Login::Service {
                client_id: without.account.client_id.clone(),
                client_secret: without.client_secret.clone(),
            },
            tenant: "acme",
            permissions: vec![],
            platform_admin: false,
            org_permissions: vec![],
        },
        Caller {
            name: "platform admin",
            login: user("system", "admin"),
            tenant: "system",
            permissions: vec!["*".into()],
            platform_admin: true,
            org_permissions: vec![],
        },
    ];
    let org_admin = Caller {
        name: "org admin (engineering)",
        login: user("acme", "orgadmin"),
        tenant: "acme",
        permissions: perms("member"),
        platform_admin: false,
        org_permissions: perms("org-admin"),
    };
    let callers: Vec<Caller> = callers.into_iter().chain([org_admin]).collect();
    let intruder = Caller {
        name: "globex admin",
        login: user("globex", "admin"),
        tenant: "globex",
        permissions: perms("tenant-admin"),
        platform_admin: false,
        org_permissions: vec![],
    };

    // An expired token of a real user, correctly signed.
    let now = plat_store::now_ms() / 1000;
    let member_claims = Claims {
        iss: p.state().auth.keys.issuer().to_owned(),
        aud: p.state().auth.keys.audience().to_owned(),
        sub: member_id.clone(),
        exp: now - 3600,
        iat: now - 7200,
        nbf: now - 7200,
        jti: uuid::Uuid::now_v7().to_string(),
        tenant: "acme".into(),
        username: "member".into(),
        roles: vec!["member".into()],
        typ: TokenType::User,
        scope: None,
        client_id: None,
        act: None,
        sid: None,
        amr: None,
        acr: None,
    };
    let expired = p.state().auth.keys.sign(&member_claims).expect("sign");
    let mut m = Matrix { p: &p, http: reqwest::Client::new(), counter: 0, expired, cases: 0 };

    let routes: Vec<(&RouteDoc, &str)> =
        ROUTES.iter().map(|r| (r, "/api/v1")).chain(ROOT_ROUTES.iter().map(|r| (r, ""))).collect();
    for (route, prefix) in routes {
        // Every caller, in its own tenant; self-service routes also on itself.
        for caller in &callers {
            // (on itself, inside its organization)
            let in_org = !caller.org_permissions.is_empty();
            let cases: &[(bool, bool)] = match route.access {
                Access::TenantOrSelf(..) if matches!(caller.login, Login::User { .. }) => {
                    &[(false, false), (true, false)]
                }
                Access::OrgOrSelf(..) if in_org => &[(false, false), (true, false), (false, true)],
                Access::OrgOrSelf(..) if matches!(caller.login, Login::User { .. }) => &[(false, false), (true, false)],
                Access::Org(..) if in_org => &[(false, false), (false, true)],
                _ => &[(false, false)],
            };
            for &(own, inside) in cases {
                let token = m.token(&caller.login).await;
                let caller_user = if own {
                    let Login::User { username, .. } = caller.login else { unreachable!() };
                    Some(username)
                } else {
                    None
                };
                // A platform admin's platform-wide calls act on a scratch tenant.
                let tenant = if caller.platform_admin && route.path.contains("{slug}") {
                    let k = m.next();
                    let slug = format!("scratch{k}");
                    tenant(&m.root().await, &slug, None).await;
                    slug
                } else {
                    caller.tenant.to_owned()
                };
                let within = inside.then_some(engineering.id.as_str());
                let (path, names) = m.fill_path(route, &tenant, caller_user, within).await;
                let pair = p.client.login("acme", "member", PASSWORD).await.expect("member login");
                let extra = Extra {
                    member_id: member_id.clone(),
                    refresh_token: pair.refresh_token,
                    sa_id: with.account.client_id.clone(),
                    sa_secret: with.client_secret.clone(),
                };
                let k = m.next();
                let body = sample_body(route, k, &names, &extra);
                let answer = m.call(route, &format!("{prefix}{path}"), token.as_deref(), None, body.as_ref()).await;
                let who = match (own, inside) {
                    (true, _) => format!("{} on itself", caller.name),
                    (_, true) => format!("{} inside it", caller.name),
                    _ => caller.name.to_owned(),
                };
                judge(route, &who, expect(route, caller, own, inside), &answer);
                m.cases += 1;
            }
        }
        if !matches!(
            route.access,
            Access::Tenant(_) | Access::TenantOrSelf(..) | Access::Org(..) | Access::OrgOrSelf(..) | Access::Shared(_)
        ) {
            continue;
        }
        // Another tenant's admin: naming acme with X-Tenant-ID ...
        let token = m.token(&intruder.login).await;
        let (path, names) = m.fill_path(route, "acme", None, None).await;
        let k = m.next();
        let body = sample_body(
            route,
            k,
            &names,
            &Extra {
                member_id: member_id.clone(),
                refresh_token: String::new(),
                sa_id: String::new(),
                sa_secret: String::new(),
            },
        );
        let answer = m.call(route, &format!("{prefix}{path}"), token.as_deref(), Some("acme"), body.as_ref()).await;
        judge(route, "globex admin with X-Tenant-ID acme", Expect::Hidden, &answer);
        assert_eq!(answer.code, Some(ErrorCode::TenantNotFound), "{}: {}", route.path, answer.body);
        m.cases += 1;
        // ... and with acme's objects in the path (or the slug). Shared
        // resources belong to no tenant: nothing to hide.
        if matches!(route.access, Access::Shared(_)) {
            continue;
        }
        if route.path.contains('{') {
            let answer = m.call(route, &format!("{prefix}{path}"), token.as_deref(), None, body.as_ref()).await;
            judge(route, "globex admin with acme's ids", Expect::Hidden, &answer);
            m.cases += 1;
        } else if route.http_method() == "GET" {
            // Its own lists never show acme's objects.
            let answer = m.call(route, &format!("{prefix}{path}"), token.as_deref(), None, None).await;
            judge(route, "globex admin in globex", Expect::Allowed, &answer);
            let text = answer.body.to_string();
            for id in names.values().chain([&member_id]) {
                assert!(!text.contains(id.as_str()), "{}: globex sees acme's {id}: {text}", route.path);
            }
            m.cases += 1;
        }
    }
    // Naming another tenant in a body: asking about acme answers no.
    let token = m.token(&intruder.login).await;
    let check = ROUTES.iter().find(|r| r.path == "/authz/check").expect("authz route");
    let answer = m
        .call(
            check,
            "/api/v1/authz/check",
            token.as_deref(),
            None,
            Some(&Body::Json(json!({"permission": "users:read", "tenant": "acme"}))),
        )
        .await;
    assert_eq!(answer.body["data"]["allowed"], json!(false), "{}", answer.body);
    let answer = m
        .call(
            check,
            "/api/v1/authz/check",
            token.as_deref(),
            None,
            Some(&Body::Json(json!({"permission": "users:read", "user": member_id}))),
        )
        .await;
    judge(check, "globex admin asking about acme's member", Expect::Hidden, &answer);
    m.cases += 2;
    eprintln!("authorization matrix: {} cases over {} routes", m.cases, ROUTES.len() + ROOT_ROUTES.len());
});

/// One attempt at more power than the caller has.
struct Attempt {
    who: &'static str,
    method: &'static str,
    path: String,
    body: Body,
}

both!(no_path_leads_to_more_power, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    let system = p.admin.clone();
    for (client, username, roles) in [
        (&acme, "admin", vec!["tenant-admin"]),
        (&acme, "manager", vec!["role-manager"]),
        (&system, "operator", vec!["tenant-admin"]),
    ] {
        if username == "manager" {
            create_custom_role(client, "role-manager").await;
        }
        client
            .create_user(&CreateUser {
                username: username.into(),
                email: format!("{username}@example.test"),
                password: Some(PASSWORD.into()),
                roles: Some(roles.into_iter().map(str::to_owned).collect()),
                ..CreateUser::default()
            })
            .await
            .expect("user");
    }
    create_custom_role(&acme, "reader").await;
    create_custom_role(&acme, "minter").await;
    // Organizations: orgadmin is org-admin of eng; the tenant admin and the
    // admin of a sibling department are members of eng/team.
    for (username, roles) in [
        ("orgadmin", vec!["member"]),
        ("salesadmin", vec!["member"]),
        ("minter", vec!["minter"]),
        ("dora", vec!["org-admin"]),
    ] {
        acme.create_user(&CreateUser {
            username: username.into(),
            email: format!("{username}@example.test"),
            password: Some(PASSWORD.into()),
            roles: Some(roles.into_iter().map(str::to_owned).collect()),
            ..CreateUser::default()
        })
        .await
        .expect("user");
    }
    for (name, parent) in [("eng", None), ("team", Some("eng")), ("sales", None)] {
        let req = CreateOrganization { name: name.into(), parent: parent.map(str::to_owned), ..Default::default() };
        acme.create_org(&req).await.expect("org");
    }
    acme.grant_org_role("eng", "orgadmin", "org-admin").await.expect("org-admin of eng");
    acme.grant_org_role("sales", "salesadmin", "org-admin").await.expect("org-admin of sales");
    // dora holds org-admin tenant-wide: more than orgadmin, who holds it on eng.
    for member in ["admin", "salesadmin", "dora"] {
        acme.add_org_member("eng/team", member).await.expect("member of eng/team");
    }
    let root_sa = system
        .create_service_account(&CreateServiceAccount {
            name: "root-robot".into(),
            description: None,
            roles: vec!["platform-admin".into()],
            ..Default::default()
        })
        .await
        .expect("platform service account");
    let login = |tenant: &'static str, username: &'static str| {
        let client = p.client.clone();
        async move { client.login(tenant, username, PASSWORD).await.expect("login").access_token }
    };
    let acme_admin = login("acme", "admin").await;
    let manager = login("acme", "manager").await;
    let operator = login("system", "operator").await;
    let org_admin = login("acme", "orgadmin").await;
    let minter = login("acme", "minter").await;
    // The acme admin's own token narrowed to creating and reading users.
    let scoped = acme
        .issue_token(&IssueTokenRequest {
            user: Some("admin".into()),
            scopes: vec!["users:create".into(), "users:read".into()],
            ..IssueTokenRequest::default()
        })
        .await
        .expect("scoped token")
        .access_token;
    let pa = json!(["platform-admin"]);
    let user =
        |name: &str, roles: &Value| json!({"username": name, "email": format!("{name}@example.test"), "roles": roles});
    let org = |method: &'static str, path: &str, body: Value| Attempt {
        who: "org admin",
        method,
        path: path.to_owned(),
        body: Body::Json(body),
    };
    let attempts = vec![
        // An organization admin reaches its subtree, and no one there who
        // holds more than it does.
        org("POST", "/orgs/eng%2Fteam/members", json!({"user": "manager"})),
        org("POST", "/users/admin/disable", json!({})),
        org("POST", "/users/admin/password", json!({"password": "taken-over-1"})),
        org("PATCH", "/users/admin", json!({"email": "mine@example.test"})),
        org("DELETE", "/users/admin", json!({})),
        org("DELETE", "/orgs/eng%2Fteam/members/admin", json!({})),
        org("POST", "/users/salesadmin/disable", json!({})),
        org("POST", "/orgs/eng/roles", json!({"user": "orgadmin", "role": "tenant-admin"})),
        org("POST", "/orgs/sales/roles", json!({"user": "orgadmin", "role": "org-admin"})),
        org("POST", "/orgs", json!({"name": "rogue"})),
        org("POST", "/orgs/eng/move", json!({"parent": "sales"})),
        org("POST", "/orgs/eng%2Fteam/move", json!({"parent": "sales"})),
        org("DELETE", "/orgs/eng", json!({})),
        org("PATCH", "/orgs/sales", json!({"name": "mine"})),
        org("POST", "/users/orgadmin/roles", json!({"role": "tenant-admin"})),
        org("POST", "/auth/tokens", json!({"user": "salesadmin"})),
        org("POST", "/users/dora/password", json!({"password": "taken-over-1"})),
        org("POST", "/users/dora/disable", json!({})),
        org("DELETE", "/orgs/eng%2Fteam?cascade=true", json!({})),
        org("POST", "/orgs/eng%2Fteam/roles", json!({"user": "admin", "role": "reader"})),
        org("POST", "/orgs/eng%2Fteam/roles", json!({"user": "manager", "role": "org-admin"})),
        // Minting a token for the organization admin is taking its place there.
        Attempt {
            who: "minter",
            method: "POST",
            path: "/auth/tokens".into(),
            body: Body::Json(json!({"user": "orgadmin"})),
        },
        // A scope does not make a token someone else's any less: `self:update`
        // would set the tenant admin's password.
        Attempt {
            who: "minter",
            method: "POST",
            path: "/auth/tokens".into(),
            body: Body::Json(json!({"user": "admin", "scopes": ["self:update"]})),
        },
        // The reported hole, and its every variant.
        Attempt { who: "acme admin", method: "POST", path: "/users".into(), body: Body::Json(user("evil", &pa)) },
        Attempt {
            who: "acme admin",
            method: "POST",
            path: "/users/admin/roles".into(),
            body: Body::Json(json!({"role": "platform-admin"})),
        },
        Attempt {
            who: "acme admin",
            method: "POST",
            path: "/service-accounts".into(),
            body: Body::Json(json!({"name": "evil", "roles": pa})),
        },
        Attempt {
            who: "acme admin",
            method: "POST",
            path: "/users/import".into(),
            body: Body::Raw(format!("{}\n", user("evil2", &pa))),
        },
        // A custom role with roles:* cannot mint or take what it lacks.
        Attempt {
            who: "role manager",
            method: "POST",
            path: "/roles".into(),
            body: Body::Json(json!({"name": "all", "permissions": ["*"]})),
        },
        Attempt {
            who: "role manager",
            method: "POST",
            path: "/roles".into(),
            body: Body::Json(json!({"name": "deleter", "permissions": ["users:delete"]})),
        },
        Attempt {
            who: "role manager",
            method: "PATCH",
            path: "/roles/reader".into(),
            body: Body::Json(json!({"add_permissions": ["users:*"]})),
        },
        Attempt {
            who: "role manager",
            method: "PATCH",
            path: "/roles/role-manager".into(),
            body: Body::Json(json!({"permissions": ["*"]})),
        },
        Attempt {
            who: "role manager",
            method: "POST",
            path: "/users/manager/roles".into(),
            body: Body::Json(json!({"role": "tenant-admin"})),
        },
        // A scope narrows what its token can hand out.
        Attempt {
            who: "scoped acme admin",
            method: "POST",
            path: "/users".into(),
            body: Body::Json(user("boss", &json!(["tenant-admin"]))),
        },
        // A tenant admin of the system tenant is not a platform admin.
        Attempt { who: "system operator", method: "POST", path: "/users".into(), body: Body::Json(user("evil3", &pa)) },
        Attempt {
            who: "system operator",
            method: "POST",
            path: "/users/operator/roles".into(),
            body: Body::Json(json!({"role": "platform-admin"})),
        },
        Attempt {
            who: "system operator",
            method: "POST",
            path: "/users/admin/password".into(),
            body: Body::Json(json!({"password": "taken-over-1"})),
        },
        Attempt {
            who: "system operator",
            method: "POST",
            path: "/auth/tokens".into(),
            body: Body::Json(json!({"user": "admin"})),
        },
        Attempt {
            who: "system operator",
            method: "POST",
            path: "/auth/tokens".into(),
            body: Body::Json(json!({"service_account": "root-robot", "scopes": ["keys:rotate"]})),
        },
        Attempt {
            who: "system operator",
            method: "POST",
            path: "/service-accounts".into(),
            body: Body::Json(json!({"name": "evil", "roles": pa})),
        },
        Attempt {
            who: "system operator",
            method: "POST",
            path: "/users/import".into(),
            body: Body::Raw(format!("{}\n", user("evil4", &pa))),
        },
        Attempt {
            who: "system operator",
            method: "POST",
            path: "/service-accounts/root-robot/rotate-secret".into(),
            body: Body::Json(json!({})),
        },
    ];
    let http = reqwest::Client::new();
    let mut refused = 0;
    for attempt in &attempts {
        let token = match attempt.who {
            "acme admin" => &acme_admin,
            "role manager" => &manager,
            "scoped acme admin" => &scoped,
            "org admin" => &org_admin,
            "minter" => &minter,
            _ => &operator,
        };
        let method = reqwest::Method::from_bytes(attempt.method.as_bytes()).expect("method");
        let request = http.request(method, format!("{}/api/v1{}", p.base, attempt.path)).bearer_auth(token);
        let request = match &attempt.body {
            Body::Json(value) => request.json(value),
            Body::Raw(text) => request.body(text.clone()),
        };
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("json");
        let what = format!("{} {} as {}", attempt.method, attempt.path, attempt.who);
        if attempt.path == "/users/import" {
            assert_eq!(status, 200, "{what}: {body}");
            assert_eq!(body["data"]["created"], json!(0), "{what}: {body}");
            assert_eq!(body["data"]["errors"][0]["code"], json!("PERMISSION_DENIED"), "{what}: {body}");
        } else {
            assert_eq!((status, body["error"]["code"].as_str()), (403, Some("PERMISSION_DENIED")), "{what}: {body}");
        }
        refused += 1;
    }
    // Rotating a platform service account's secret is taking it over, too.
    // Nothing changed: root is the only platform admin user, and the
    // platform service account still answers to its own secret.
    let admins = system
        .list_users(&UserListQuery { role: Some("platform-admin".into()), ..Default::default() })
        .await
        .expect("list");
    assert_eq!(admins.items.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(), vec!["admin"]);
    // The tenant admin is still enabled, still in eng/team, eng still a root.
    assert_eq!(acme.get_user("admin").await.expect("admin").status, "active");
    let team = acme.org_members("eng/team", false, None, 100).await.expect("members");
    assert_eq!(team.items.len(), 3, "{team:?}");
    assert_eq!(acme.get_org("eng").await.expect("eng").parent, None);
    // And what it may do, it does: a sub-team, its own member's account.
    let own = p.client.clone().with_token(org_admin.clone());
    acme.create_user(&CreateUser {
        username: "dev".into(),
        email: "dev@example.test".into(),
        password: Some(PASSWORD.into()),
        ..CreateUser::default()
    })
    .await
    .expect("dev");
    acme.add_org_member("eng", "dev").await.expect("dev in eng");
    let squad = CreateOrganization { name: "squad".into(), parent: Some("eng/team".into()), ..Default::default() };
    own.create_org(&squad).await.expect("a sub-team");
    own.add_org_member("eng/team/squad", "dev").await.expect("dev in the squad");
    own.disable_user("dev").await.expect("disable a member");
    own.grant_org_role("eng/team/squad", "dev", "org-admin").await.expect("delegate the squad");
    p.client.client_credentials(&root_sa.account.client_id, &root_sa.client_secret, None).await.expect("robot intact");
    // Nobody holds platform-admin outside the system tenant, root included.
    let misplaced = CreateUser {
        username: "misplaced".into(),
        email: "misplaced@example.test".into(),
        roles: Some(vec!["platform-admin".into()]),
        ..CreateUser::default()
    };
    assert_eq!(crate::api::code(acme.create_user(&misplaced).await), ErrorCode::ValidationError);
    eprintln!("escalation attempts refused: {refused}");
});
