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
type ServiceList = Vec<plat_proto::ServiceRegistration>;
type InstanceList = Vec<plat_proto::Instance>;

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
        CheckPage => Page<Check>, FindingPage => Page<Finding>, ImportUser => ImportUser,
        PageParams => PageParams, TenantDeleteQuery => TenantDeleteQuery, UserListQuery => UserListQuery,
        ImportQuery => ImportQuery, UserDeleteQuery => UserDeleteQuery, MfaResetQuery => MfaResetQuery, TaskQuery => TaskQuery,
        CheckQuery => CheckQuery, CheckGetQuery => CheckGetQuery, FindingQuery => FindingQuery,
        EventQuery => EventQuery, AuditQuery => AuditQuery, ServiceList => ServiceList,
        ServiceGraph => ServiceGraph, ServiceRegistration => ServiceRegistration, RegisterService => RegisterService,
        RegisterQuery => RegisterQuery, InstanceList => InstanceList, Heartbeat => Heartbeat, Instance => Instance,
        DiscoveryQuery => DiscoveryQuery, DiscoveryAnswer => DiscoveryAnswer,
        ServiceCredentialsRequest => ServiceCredentialsRequest, ServiceCredentials => ServiceCredentials,
        UpdateServiceAccount => UpdateServiceAccount, PublishEvent => PublishEvent, Event => Event,
        PublishBatch => PublishBatch, PublishedBatch => PublishedBatch, PreviewEvent => PreviewEvent,
        EventPreview => EventPreview, ReplayEvents => ReplayEvents, AuthzBatch => AuthzBatch,
        AuthzBatchResult => AuthzBatchResult, QuotaList => QuotaList, Quota => Quota, SetQuota => SetQuota,
        QuotaCheck => QuotaCheck, QuotaDecision => QuotaDecision, ReserveQuota => ReserveQuota,
        QuotaReservation => QuotaReservation, SettleQuota => SettleQuota, OrganizationList => OrganizationList,
        Organization => Organization, CreateOrganization => CreateOrganization,
        UpdateOrganization => UpdateOrganization, MoveOrganization => MoveOrganization,
        OrgDeleteQuery => OrgDeleteQuery, OrgListQuery => OrgListQuery, AddMember => AddMember,
        MemberQuery => MemberQuery, MemberPage => MemberPage, GrantOrgRole => GrantOrgRole,
        OrgRoleList => OrgRoleList, SessionList => SessionList, Session => Session,
        MfaLogin => MfaLogin, MfaStatus => MfaStatus, MfaCode => MfaCode, TotpEnrollment => TotpEnrollment,
        RecoveryCodes => RecoveryCodes, MfaProof => MfaProof, MfaChallenge => MfaChallenge,
        PasskeyLoginRequest => PasskeyLoginRequest, PasskeyCeremony => PasskeyCeremony,
        RegisterPasskey => RegisterPasskey, PasskeyEnrolled => PasskeyEnrolled,
    })
}

/// The streamed sides of an endpoint, `(request, response)`: NDJSON, one
/// object of the row's type per line, without the envelope.
fn ndjson(path: &str) -> (bool, bool) {
    match path {
        "/users/import" => (true, false),
        "/users/export" => (false, true),
        _ => (false, false),
    }
}

/// A property's schema as a query parameter's: a parameter is absent or a
/// string, never `null`.
fn without_null(mut schema: Value) -> Value {
    let Some(object) = schema.as_object_mut() else { return schema };
    object.remove("default");
    if let Some(Value::Array(types)) = object.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            object.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(alternatives)) = object.get("anyOf") {
        let rest: Vec<Value> = alternatives.iter().filter(|a| a.get("type") != Some(&json!("null"))).cloned().collect();
        if let [only] = rest.as_slice() {
            let mut merged = object.clone();
            merged.remove("anyOf");
            if let Some(only) = only.as_object() {
                merged.extend(only.clone());
            }
            return Value::Object(merged);
        }
        object.insert("anyOf".into(), Value::Array(rest));
    }
    schema
}

/// The query parameters of a query type: one optional parameter per field.
fn query_parameters(generator: &mut SchemaGenerator, name: &str) -> Vec<Value> {
    let Some(reference) = schema_named(generator, name) else { return Vec::new() };
    // The type's definition holds its fields; the type itself is not a
    // component of the document.
    let Some(definition) = reference
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
        .and_then(|key| generator.definitions_mut().remove(key))
    else {
        return Vec::new();
    };
    let properties = definition.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
    properties
        .into_iter()
        .map(|(field, schema)| {
            let mut schema = without_null(schema);
            let description = schema.as_object_mut().and_then(|o| o.remove("description"));
            let mut param = json!({"name": field, "in": "query", "required": false, "schema": schema});
            if let (Some(description), Some(param)) = (description, param.as_object_mut()) {
                param.insert("description".into(), description);
            }
            param
        })
        .collect()
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
    // OpenAPI 3.1 schemas are JSON Schema 2020-12 (`type: [T, "null"]`,
    // `const`), not OpenAPI 3.0's dialect (`nullable`), which 3.1 ignores.
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        .into_generator();
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
        let mut params: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|p| p.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if let Some(query) = route.query {
            params.extend(query_parameters(&mut generator, query));
        }
        if !params.is_empty() {
            op.insert("parameters".into(), Value::Array(params));
        }
        let (ndjson_request, ndjson_response) = ndjson(route.path);
        if let Some(request) = route.request.and_then(|n| schema_named(&mut generator, n)) {
            let body = if ndjson_request {
                json!({"required": true, "description": "NDJSON: one object per line",
                       "content": {"application/x-ndjson": {"schema": request.to_value()}}})
            } else {
                json!({"required": true, "content": {"application/json": {"schema": request.to_value()}}})
            };
            op.insert("requestBody".into(), body);
        }
        let data = route.response.and_then(|n| schema_named(&mut generator, n));
        let ok = if route.path == "/openapi.json" {
            json!({"description": "OpenAPI document", "content": {"application/json": {}}})
        } else if ndjson_response {
            let line = data.map(|s| s.to_value()).unwrap_or(json!({}));
            json!({"description": "NDJSON, streamed: one object per line", "content": {"application/x-ndjson": {"schema": line}}})
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
            Access::Enrol => ("any valid token, or an enrolment token ([mfa.md](mfa.md))".to_owned(), "—"),
            Access::Tenant(p) => (format!("`{p}`"), "tenant"),
            Access::TenantOrSelf(p, own) => (format!("`{p}`, or `{own}` on your own record"), "tenant"),
            Access::Org(p, reach) => (format!("`{p}`"), reach.describe()),
            Access::OrgOrSelf(p, own) => {
                (format!("`{p}`, or `{own}` on your own record"), crate::api::Reach::User.describe())
            }
            Access::Shared(p) => (format!("`{p}`"), "tenant (the registry is shared by every tenant)"),
            Access::Platform(p) => (format!("`{p}`"), "platform"),
            Access::Client("") => ("OAuth client authentication".to_owned(), "—"),
            Access::Client(p) => (format!("OAuth client authentication, `{p}`"), "tenant"),
        };
        let path = if absolute { route.path.to_owned() } else { format!("/api/v1{}", route.path) };
        out.push_str(&format!("| {} | `{path}` | {permission} | {scope} | {} |\n", route.http_method(), route.note));
    }
    out
}

#[cfg(test)]
mod tests {
    //! The limits the document declares are the limits the server enforces:
    //! for every body and query type of the route table, every string has a
    //! `maxLength` (or is an enum), every list a `maxItems`, every free map a
    //! `maxProperties`, and `Bounded::check_bounds` accepts each at its
    //! bound and refuses it one past, naming the field.

    use plat_domain::Bounded;
    use plat_proto::*;
    use schemars::JsonSchema;
    use serde::de::DeserializeOwned;
    use serde_json::{Map, Value, json};

    use super::SchemaSettings;

    enum Bound {
        Chars(usize),
        Items(usize),
        Properties(usize),
    }

    /// One bounded place of a request: where it is in an instance, the
    /// field an error names, and its bound.
    struct Leaf {
        pointer: String,
        field: String,
        bound: Bound,
    }

    fn resolve<'a>(schema: &'a Value, defs: &'a Map<String, Value>) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => resolve(&defs[r.rsplit('/').next().unwrap_or_default()], defs),
            None => schema,
        }
    }

    /// The non-null alternative of an optional schema.
    fn some<'a>(schema: &'a Value, defs: &'a Map<String, Value>) -> &'a Value {
        let schema = resolve(schema, defs);
        match schema.get("anyOf").and_then(Value::as_array) {
            Some(alternatives) => {
                let alternative = alternatives.iter().find(|a| a.get("type") != Some(&json!("null")));
                resolve(alternative.unwrap_or(schema), defs)
            }
            None => schema,
        }
    }

    fn type_of(schema: &Value) -> Option<&str> {
        match schema.get("type") {
            Some(Value::String(t)) => Some(t),
            Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).find(|t| *t != "null"),
            _ => None,
        }
    }

    /// An instance with every field set, and the bounded places in it.
    fn instance(
        schema: &Value,
        defs: &Map<String, Value>,
        pointer: &str,
        field: &str,
        leaves: &mut Vec<Leaf>,
    ) -> Value {
        let schema = some(schema, defs);
        if let Some(value) = schema.get("const") {
            return value.clone();
        }
        if let Some(first) = schema.get("enum").and_then(|e| e.get(0)) {
            return first.clone();
        }
        if let Some(first) = schema.get("oneOf").and_then(|o| o.get(0)) {
            return instance(first, defs, pointer, field, leaves);
        }
        let leaf = |bound| Leaf { pointer: pointer.to_owned(), field: field.to_owned(), bound };
        match type_of(schema) {
            Some("string") => {
                let max = schema.get("maxLength").and_then(Value::as_u64);
                let max = max.unwrap_or_else(|| panic!("{field}: a string without maxLength")) as usize;
                leaves.push(leaf(Bound::Chars(max)));
                json!("a")
            }
            Some("array") => {
                let max = schema.get("maxItems").and_then(Value::as_u64);
                let max = max.unwrap_or_else(|| panic!("{field}: a list without maxItems")) as usize;
                leaves.push(leaf(Bound::Items(max)));
                json!([instance(&schema["items"], defs, &format!("{pointer}/0"), field, leaves)])
            }
            Some("object") => {
                let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
                    let max = schema.get("maxProperties").and_then(Value::as_u64);
                    let max = max.unwrap_or_else(|| panic!("{field}: a map without maxProperties")) as usize;
                    leaves.push(leaf(Bound::Properties(max)));
                    return json!({});
                };
                let object = properties.iter().map(|(name, property)| {
                    let path = if field.is_empty() { name.clone() } else { format!("{field}.{name}") };
                    (name.clone(), instance(property, defs, &format!("{pointer}/{name}"), &path, leaves))
                });
                Value::Object(object.collect())
            }
            Some("integer") => json!(1),
            Some("boolean") => json!(false),
            // Any JSON (a published event's `data`): bounded by size in its
            // handler, and by the body limit, not by a schema keyword.
            None if schema.as_object().is_none_or(|o| o.keys().all(|k| k == "description" || k == "default")) => {
                json!({})
            }
            other => panic!("{field}: unexpected schema type {other:?}"),
        }
    }

    fn bounds_of<T: DeserializeOwned + Bounded>(value: &Value) -> Result<(), plat_domain::Invalid> {
        let request: T = serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{value}: {e}"));
        request.check_bounds()
    }

    fn agree<T: DeserializeOwned + Bounded + JsonSchema>() {
        let mut generator = SchemaSettings::draft2020_12().into_generator();
        let root = generator.root_schema_for::<T>().to_value();
        let defs = root.get("$defs").and_then(Value::as_object).cloned().unwrap_or_default();
        let mut leaves = Vec::new();
        let base = instance(&root, &defs, "", "", &mut leaves);
        let name = T::schema_name();
        assert_eq!(bounds_of::<T>(&base), Ok(()), "{name}: {base}");
        for leaf in leaves {
            let at = |n: usize| match leaf.bound {
                Bound::Chars(_) => json!("é".repeat(n)),
                Bound::Items(_) => {
                    let item = base.pointer(&format!("{}/0", leaf.pointer)).cloned().unwrap_or(json!(1));
                    Value::Array(vec![item; n])
                }
                Bound::Properties(_) => {
                    Value::Object((0..n).map(|i| (format!("k{i}"), json!(i.to_string()))).collect())
                }
            };
            let max = match leaf.bound {
                Bound::Chars(n) | Bound::Items(n) | Bound::Properties(n) => n,
            };
            for (n, ok) in [(max, true), (max + 1, false)] {
                let mut value = base.clone();
                if let Some(place) = value.pointer_mut(&leaf.pointer) {
                    *place = at(n);
                }
                let result = bounds_of::<T>(&value);
                if ok {
                    assert_eq!(result, Ok(()), "{name}.{} at its bound {max}", leaf.field);
                } else {
                    let error = result.err().unwrap_or_else(|| panic!("{name}.{} over {max} accepted", leaf.field));
                    assert_eq!(error.field, leaf.field, "{name}: {error}");
                }
            }
        }
    }

    #[test]
    fn the_documented_limits_are_the_enforced_limits() {
        let names = super::ROUTES.iter().flat_map(|r| [r.request, r.query]).flatten();
        for name in names {
            macro_rules! each {
                ($($t:ident),* $(,)?) => {
                    match name {
                        $(stringify!($t) => agree::<$t>(),)*
                        other => panic!("{other}: add it to this test"),
                    }
                };
            }
            each! {
                LoginRequest, MfaLogin, MfaCode, MfaProof, PasskeyLoginRequest, RegisterPasskey, RefreshRequest, LogoutRequest, TokenRequest, VerifyRequest,
                IssueTokenRequest,
                RevokeRequest, CreateTenant, UpdateTenant, CreateUser, UpdateUser, SetPassword, GrantRole,
                ImportUser, CreateRole, UpdateRole, AuthzCheck, CreateServiceAccount, CreateTarget, UpdateTarget,
                DlqReplay, DlqPurge, CreateCheck, PageParams, TenantDeleteQuery, UserListQuery, ImportQuery,
                UserDeleteQuery, MfaResetQuery, TaskQuery, CheckQuery, CheckGetQuery, FindingQuery, EventQuery, AuditQuery,
                RegisterService, RegisterQuery, Heartbeat, DiscoveryQuery, ServiceCredentialsRequest, UpdateServiceAccount,
                PublishEvent, PublishBatch, PreviewEvent, ReplayEvents, AuthzBatch, SetQuota, QuotaCheck,
                ReserveQuota, SettleQuota, CreateOrganization, UpdateOrganization, MoveOrganization,
                OrgDeleteQuery, OrgListQuery, AddMember, MemberQuery, GrantOrgRole,
            }
        }
    }
}
