//! The OpenAPI 3.1 document, generated from the route table and the
//! `plat-proto` types (JSON Schema 2020-12 via schemars). Committed as
//! `docs/openapi.json`; a test fails when the two differ.

use schemars::generate::SchemaSettings;
use schemars::{Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

use crate::api::ROUTES;

/// Lists the API returns as plain arrays inside `data`.
type SigningKeyList = Vec<plat_proto::SigningKey>;
type RoleList = Vec<plat_proto::Role>;
type ServiceAccountList = Vec<plat_proto::ServiceAccount>;
type TargetList = Vec<plat_proto::SyncTarget>;
type TargetStatsList = Vec<plat_proto::TargetStats>;

macro_rules! schemas {
    ($gen:ident, $name:expr, { $($n:ident => $t:ty),* $(,)? }) => {
        match $name {
            $(stringify!($n) => Some($gen.subschema_for::<$t>()),)*
            _ => None,
        }
    };
}

fn schema_named(generator: &mut SchemaGenerator, name: &str) -> Option<Schema> {
    use plat_proto::*;
    schemas!(generator, name, {
        LoginRequest => LoginRequest, TokenPair => TokenPair, RefreshRequest => RefreshRequest,
        LogoutRequest => LogoutRequest, TokenRequest => TokenRequest, AccessToken => AccessToken,
        VerifyRequest => VerifyRequest, VerifyResponse => VerifyResponse, IssueTokenRequest => IssueTokenRequest,
        RevokeRequest => RevokeRequest, RevokeResult => RevokeResult, SigningKeyList => SigningKeyList,
        SigningKey => SigningKey, Identity => Identity, TenantPage => Page<Tenant>, CreateTenant => CreateTenant,
        Tenant => Tenant, UpdateTenant => UpdateTenant, UserPage => Page<User>, CreateUser => CreateUser,
        User => User, ImportReport => ImportReport, UpdateUser => UpdateUser, SetPassword => SetPassword,
        GrantRole => GrantRole, RoleList => RoleList, CreateRole => CreateRole, Role => Role,
        UpdateRole => UpdateRole, AuthzCheck => AuthzCheck, AuthzDecision => AuthzDecision,
        ServiceAccountList => ServiceAccountList, CreateServiceAccount => CreateServiceAccount,
        ServiceAccountCredentials => ServiceAccountCredentials, ServiceAccount => ServiceAccount,
        EventPage => Page<Event>, AuditPage => Page<AuditRecord>, HealthReport => HealthReport,
        TargetList => TargetList, CreateTarget => CreateTarget, TargetWithSecret => TargetWithSecret,
        SyncTarget => SyncTarget, UpdateTarget => UpdateTarget, TargetTestResult => TargetTestResult,
        TaskPage => Page<SyncTask>, SyncTask => SyncTask, DlqReplay => DlqReplay, DlqPurge => DlqPurge,
        BulkResult => BulkResult, TargetStatsList => TargetStatsList, CreateCheck => CreateCheck, Check => Check,
        CheckPage => Page<Check>, FindingPage => Page<Finding>,
    })
}

fn envelope(data: Option<Schema>, meta: &Schema) -> Value {
    json!({
        "type": "object",
        "required": ["success", "meta"],
        "properties": {
            "success": {"type": "boolean"},
            "data": data.map(|s| s.to_value()).unwrap_or(json!({})),
            "meta": meta.as_value().clone(),
        }
    })
}

fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_lowercase();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        let part = part.trim_matches(|c| c == '{' || c == '}');
        id.push('_');
        id.push_str(&part.replace(['-', '.'], "_"));
    }
    id
}

pub fn document() -> Value {
    let mut generator = SchemaSettings::openapi3().into_generator();
    let meta = generator.subschema_for::<plat_proto::Meta>();
    let error = generator.subschema_for::<plat_proto::ApiError>();
    let mut paths: Map<String, Value> = Map::new();
    for route in ROUTES {
        let mut op = Map::new();
        op.insert("operationId".into(), operation_id(route.method, route.path).into());
        op.insert("summary".into(), route.summary.into());
        op.insert("x-permission".into(), route.access.to_string().into());
        if !route.note.is_empty() {
            op.insert("x-permission-note".into(), route.note.into());
        }
        if route.access != crate::api::Access::Public {
            op.insert("security".into(), json!([{"bearer": []}]));
        }
        let params: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|p| p.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if !params.is_empty() {
            op.insert("parameters".into(), Value::Array(params));
        }
        if let Some(request) = route.request.and_then(|n| schema_named(&mut generator, n)) {
            op.insert(
                "requestBody".into(),
                json!({"required": true, "content": {"application/json": {"schema": request.to_value()}}}),
            );
        }
        let data = route.response.and_then(|n| schema_named(&mut generator, n));
        let ok = if route.path == "/openapi.json" {
            json!({"description": "OpenAPI document", "content": {"application/json": {}}})
        } else {
            json!({"description": "success", "content": {"application/json": {"schema": envelope(data, &meta)}}})
        };
        let failure = json!({"description": "error (see the error codes)", "content": {"application/json": {"schema": {
            "type": "object", "required": ["success", "error", "meta"],
            "properties": {"success": {"const": false}, "error": error.as_value().clone(), "meta": meta.as_value().clone()}}}}});
        op.insert("responses".into(), json!({route.status.to_string(): ok, "default": failure}));
        paths
            .entry(format!("/api/v1{}", route.path))
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .map(|m| m.insert(route.method.to_owned(), Value::Object(op)));
    }
    let schemas: Map<String, Value> = generator.take_definitions(true).into_iter().collect();
    json!({
        "openapi": "3.1.0",
        "info": {"title": "plat API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "The plat control plane. Every /api/v1 response is wrapped in the envelope {success, data | error, meta}."},
        "servers": [{"url": "http://127.0.0.1:8700"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
        }
    })
}

/// The document as committed: pretty JSON with a trailing newline.
pub fn document_json() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}

/// The endpoint table of `docs/permissions.md`, from the same route table
/// (committed between the `routes:begin` and `routes:end` markers; a test
/// fails when the two differ).
pub fn permission_table() -> String {
    use crate::api::{Access, ROOT_ROUTES, ROUTES};
    let mut out = String::from("| method | path | permission | scope | also |\n|---|---|---|---|---|\n");
    for (route, absolute) in ROOT_ROUTES.iter().map(|r| (r, true)).chain(ROUTES.iter().map(|r| (r, false))) {
        let (permission, scope) = match route.access {
            Access::Public => ("unauthenticated".to_owned(), "—"),
            Access::Token => ("any valid token".to_owned(), "—"),
            Access::Tenant(p) => (format!("`{p}`"), "tenant"),
            Access::TenantOrSelf(p, own) => (format!("`{p}`, or `{own}` on your own record"), "tenant"),
            Access::Platform(p) => (format!("`{p}`"), "platform"),
        };
        let path = if absolute { route.path.to_owned() } else { format!("/api/v1{}", route.path) };
        out.push_str(&format!("| {} | `{path}` | {permission} | {scope} | {} |\n", route.http_method(), route.note));
    }
    out
}
