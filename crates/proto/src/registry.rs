//! The service registry (CONTRACT §2 "registry", "Service registration";
//! §3 `service.*` events; §4 `platctl service`; §5 `ServiceRegistration`):
//! registrations, their probed or heart-beating instances, discovery
//! answers and the dependency graph with its layering verdicts.
//!
//! Field names are the contract's where it names them; every other field is
//! an addition, and its doc comment says so.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Endpoints of one registration. A service behind a load balancer or a
/// Kubernetes Service has one; a fleet listed by hand has a few dozen.
pub const MAX_ENDPOINTS: usize = 256;
/// Services one registration depends on.
pub const MAX_DEPENDENCIES: usize = 64;
/// Tags of one registration.
pub const MAX_TAGS: usize = 64;
/// A tag key; long enough for a Kubernetes label key with a DNS prefix
/// (`app.kubernetes.io/part-of`).
pub const MAX_TAG_KEY: usize = 128;
/// A tag value.
pub const MAX_TAG_VALUE: usize = 256;
/// A service's own version string (`1.4.2`, a git sha, an image tag).
pub const MAX_VERSION: usize = 64;
/// The HTTP health-check path, query included.
pub const MAX_HEALTH_PATH: usize = 1024;
/// A heart-beating instance's own id.
pub const MAX_INSTANCE_ID: usize = 128;
/// A `depends_on` entry: a name, or `namespace/name`.
pub const MAX_DEPENDENCY: usize = 2 * crate::limits::NAME + 1;

names!(HealthCheckKind { Http = "http", Tcp = "tcp" });
names!(RegistrationSource { Api = "api", Kubernetes = "kubernetes" });
names!(InstanceStatus { Passing = "passing", Warning = "warning", Critical = "critical" });
names!(InstanceSource { Probe = "probe", Heartbeat = "heartbeat" });
names!(ViolationKind {
    SameLayer = "same_layer",
    Upward = "upward",
    UnknownService = "unknown_service",
    Unlayered = "unlayered",
});

/// How plat probes an endpoint.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum HealthCheckKind {
    /// `GET {endpoint}{path}`: 2xx passes, 429 warns, anything else fails
    /// (Consul's reading of an HTTP check).
    #[default]
    Http,
    /// A TCP connection to the endpoint's host and port; `path` is unused.
    Tcp,
}

/// Who registered the service: a caller of the API (or `platctl`), or the
/// Kubernetes controller from a `ServiceRegistration` resource.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationSource {
    #[default]
    Api,
    Kubernetes,
}

/// The health of one instance, as Consul names it. Only `passing`
/// instances are `healthy`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum InstanceStatus {
    Passing,
    /// The instance answers but says it is overloaded (HTTP 429).
    Warning,
    Critical,
}

/// How plat learns an instance's health: by probing a registered endpoint,
/// or from the instance's own heartbeats (`POST .../heartbeat`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum InstanceSource {
    Probe,
    Heartbeat,
}

/// Why a dependency edge breaks the layering rule.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ViolationKind {
    /// Both services are in one layer (a service depending on itself too).
    SameLayer,
    /// The dependency is in a higher layer.
    Upward,
    /// No service of that name is registered.
    UnknownService,
    /// One side has no layer, or one that is not configured, so the edge
    /// cannot be shown to point downwards.
    Unlayered,
}

/// One address of a service: `http://10.0.0.5:8001`, or a Kubernetes
/// Service URL.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    #[schemars(length(max = crate::limits::URL))]
    pub url: String,
}

/// How plat probes each endpoint. Every field has a default, so `{}` (or
/// no `health_check` at all) probes `GET /health` every 10 s.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct HealthCheck {
    /// Path (and query) probed on each endpoint; default `/health`.
    #[schemars(length(max = MAX_HEALTH_PATH))]
    pub path: String,
    /// Time between probes of one endpoint, 1s to 1h; default `10s`.
    #[schemars(length(max = crate::limits::TIME))]
    pub interval: String,
    /// Time a probe may take, less than `interval`; default `2s`.
    #[schemars(length(max = crate::limits::TIME))]
    pub timeout: String,
    /// Addition: `http` (default) or `tcp`.
    pub kind: HealthCheckKind,
    /// Addition: consecutive passing probes before a failing instance is
    /// passing again, 1 to 10; default 1.
    #[schemars(range(min = 1, max = 10))]
    pub success_before_passing: u32,
    /// Addition: consecutive failed probes before a passing instance is
    /// critical, 1 to 10; default 3. With both thresholds at 2 or more, an
    /// instance that flaps (up, down, up, ...) keeps its status.
    #[schemars(range(min = 1, max = 10))]
    pub failures_before_critical: u32,
}

impl Default for HealthCheck {
    /// Kubernetes' probe defaults: one success to pass, three failures to
    /// fail.
    fn default() -> Self {
        HealthCheck {
            path: "/health".to_owned(),
            interval: "10s".to_owned(),
            timeout: "2s".to_owned(),
            kind: HealthCheckKind::Http,
            success_before_passing: 1,
            failures_before_critical: 3,
        }
    }
}

/// `PUT /services/{namespace}/{name}`: create or replace a registration.
/// Namespace and name come from the path.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RegisterService {
    /// The service's own version (`1.4.2`).
    #[serde(default)]
    #[schemars(length(max = MAX_VERSION))]
    pub version: Option<String>,
    /// Probed addresses. May be empty when instances join by heartbeat.
    #[serde(default)]
    #[schemars(length(max = MAX_ENDPOINTS))]
    pub endpoints: Vec<Endpoint>,
    #[serde(default)]
    pub health_check: HealthCheck,
    /// One of the configured layers (by default `infrastructure`, `core`,
    /// `business`, `application`, lowest first). A service without a layer
    /// may have no dependencies that pass the layering rule, and no
    /// service's dependency on it passes either.
    #[serde(default)]
    #[schemars(length(max = crate::limits::NAME))]
    pub layer: Option<String>,
    /// Services this one calls synchronously: a name in the same namespace
    /// (`user-service`) or `namespace/name` in another one.
    #[serde(default)]
    #[schemars(length(max = MAX_DEPENDENCIES), inner(length(max = MAX_DEPENDENCY)))]
    pub depends_on: Vec<String>,
    #[serde(default)]
    #[schemars(extend("maxProperties" = MAX_TAGS))]
    pub tags: BTreeMap<String, String>,
    /// `api` (default) or `kubernetes` (set by the controller).
    #[serde(default)]
    pub source: RegistrationSource,
    /// The tenant whose service this is: only that tenant's callers (and
    /// platform admins) see it. None: every tenant sees it. An addition.
    #[serde(default)]
    #[schemars(length(max = crate::limits::SLUG))]
    pub tenant: Option<String>,
}

/// One dependency edge that breaks the layering rule.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct LayeringViolation {
    /// `namespace/name` of the dependent service.
    pub from: String,
    /// `namespace/name` of the dependency.
    pub to: String,
    pub from_layer: Option<String>,
    /// The dependency's layer; null when it has none or is not registered.
    pub to_layer: Option<String>,
    pub kind: ViolationKind,
    /// Names the edge and the rule: `order-service (core) → user-service
    /// (business): a core service may not depend on a business one`.
    pub reason: String,
    /// The edge is in the configured baseline (a known violation accepted
    /// until it is fixed): reported, never rejected.
    pub accepted: bool,
}

/// What plat currently knows about a registration.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct RegistrationStatus {
    /// Instances that are passing.
    pub healthy_endpoints: u32,
    /// Addition: all instances, probed and heart-beating.
    pub total_endpoints: u32,
    /// `ok`, or `violation: ` and the reasons of the edges that break the
    /// layering rule and are not in the baseline, joined by `; `.
    pub layering: String,
    /// Addition: every violating edge, accepted ones included.
    pub violations: Vec<LayeringViolation>,
    /// Addition: so few instances pass that discovery answers the last
    /// healthy set instead (the protection threshold).
    pub protected: bool,
}

/// The contract's registration object: `GET /services/{namespace}/{name}`,
/// items of `GET /services`, and the data of `service.*` events.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct ServiceRegistration {
    pub namespace: String,
    pub name: String,
    /// The service's own version string; see `revision` for plat's counter.
    pub version: Option<String>,
    pub endpoints: Vec<Endpoint>,
    pub health_check: HealthCheck,
    pub layer: Option<String>,
    pub depends_on: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub source: RegistrationSource,
    pub status: RegistrationStatus,
    pub created_at: String,
    pub updated_at: String,
    /// Addition: rises by one on every change of the registration (the
    /// contract's `version` is already the service's own version string).
    pub revision: u64,
    /// The client id of the service's own account, when it has one
    /// (`POST /services/{namespace}/{name}/credentials`). An addition.
    #[serde(default)]
    pub service_account: Option<String>,
    /// The tenant that alone sees it, if any. An addition.
    #[serde(default)]
    pub tenant: Option<String>,
}

/// One instance of a service: a registered endpoint that plat probes, or a
/// process that sends heartbeats.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Instance {
    /// Addition: stable id; for a probed endpoint derived from its URL, for
    /// a heart-beating instance the one it sent (or derived from its URL).
    pub id: String,
    pub url: String,
    /// `status` is `passing`.
    pub healthy: bool,
    /// Addition.
    pub status: InstanceStatus,
    /// Addition.
    pub source: InstanceSource,
    pub last_probe_at: Option<String>,
    /// Addition.
    pub last_heartbeat_at: Option<String>,
    /// Duration of the last probe.
    pub latency_ms: Option<f64>,
    /// Addition: passing probes in a row.
    pub consecutive_successes: u32,
    /// Addition: failed probes in a row.
    pub consecutive_failures: u32,
}

/// `POST /services/{namespace}/{name}/heartbeat`: an instance says it is
/// alive. It is passing until `ttl` passes without another heartbeat, then
/// critical, and removed after a longer period.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {
    /// The instance's own id (`A-Z a-z 0-9 . _ : -`); derived from `url`
    /// when absent. One of `instance_id` and `url` is required.
    #[serde(default)]
    #[schemars(length(max = MAX_INSTANCE_ID))]
    pub instance_id: Option<String>,
    /// Where the instance serves; required for its first heartbeat.
    #[serde(default)]
    #[schemars(length(max = crate::limits::URL))]
    pub url: Option<String>,
    /// How long the heartbeat counts, 1s to 1h; default `15s`.
    #[serde(default)]
    #[schemars(length(max = crate::limits::TIME))]
    pub ttl: Option<String>,
}

/// `GET /discovery/{name}`: the instances a caller should use.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct DiscoveryAnswer {
    pub service: String,
    pub namespace: String,
    /// Rises whenever the answer changes, so a caller can tell a fresh
    /// answer from the one it holds (Consul's `X-Consul-Index`).
    pub index: u64,
    pub instances: Vec<Instance>,
    /// With `healthy=true`: so few instances pass that these are the last
    /// known healthy ones, not the current ones (the protection threshold
    /// keeps one bad probe round from emptying every caller's list).
    pub protected: bool,
}

/// A service in the dependency graph.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct GraphNode {
    /// `namespace/name`, what edges and cycles name.
    pub id: String,
    pub namespace: String,
    pub name: String,
    pub layer: Option<String>,
    /// False for a dependency that no registration provides.
    pub registered: bool,
}

/// One `depends_on` entry.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct GraphEdge {
    pub from: String,
    pub to: String,
    /// The edge breaks the layering rule.
    pub violation: bool,
    /// The violation is in the baseline.
    pub accepted: bool,
    /// Why it is a violation.
    pub reason: Option<String>,
}

/// Services that depend on each other in a circle.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct DependencyCycle {
    /// Every service of the strongly connected group, sorted.
    pub members: Vec<String>,
    /// One circle through the first member: each depends on the next, the
    /// last on the first (`[a]` is a service depending on itself).
    pub path: Vec<String>,
}

/// The whole dependency graph of the registry, with layering verdicts.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct ServiceGraph {
    /// The configured layers, lowest first.
    pub layers: Vec<String>,
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
    pub cycles: Vec<DependencyCycle>,
}

/// `POST /services/{namespace}/{name}/credentials`: the roles of the
/// service's own account (in the `system` tenant) when it is created.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ServiceCredentialsRequest {
    #[serde(default)]
    #[schemars(length(max = crate::limits::ROLES), inner(length(max = crate::limits::NAME)))]
    pub roles: Vec<String>,
}

/// A service's own credentials, shown once: the client-credentials grant at
/// `token_url` gives it tokens; with `audience` set to one of `audiences`
/// (its dependencies), the token is for that service alone.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct ServiceCredentials {
    pub client_id: String,
    pub client_secret: String,
    /// Path of the grant, under the daemon's address: `/api/v1/auth/token`.
    pub token_url: String,
    /// Path of the public keys: `/.well-known/jwks.json`.
    pub jwks_url: String,
    /// `namespace/name` of each dependency: what `audience` may name.
    pub audiences: Vec<String>,
    /// Whether this call created the account (else it rotated the secret).
    pub created: bool,
}

/// Query of `PUT /services/{namespace}/{name}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RegisterQuery {
    /// Answer what would be stored, layering verdict included, and store nothing.
    #[serde(default)]
    pub dry_run: Option<bool>,
}

/// Query of `GET /discovery/{name}`: Consul-style blocking queries.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DiscoveryQuery {
    /// The namespace, when the name exists in several.
    #[serde(default)]
    #[schemars(length(max = crate::limits::NAME))]
    pub namespace: Option<String>,
    /// Only instances that pass their health checks (the last healthy set
    /// while the protection threshold holds).
    #[serde(default)]
    pub healthy: Option<bool>,
    /// Block until the service's index is past this one.
    #[serde(default)]
    pub index: Option<u64>,
    /// How long to block (`30s`; at most `5m`), with `index`.
    #[serde(default)]
    #[schemars(length(max = crate::limits::TIME))]
    pub wait: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contract's example registration is a valid PUT body (without the
    /// fields plat owns), and a missing health check takes the defaults.
    #[test]
    fn the_contract_example_is_a_request() {
        let body: RegisterService = serde_json::from_value(serde_json::json!({
            "version": "1.4.2",
            "endpoints": [{"url": "http://10.0.0.5:8001"}],
            "health_check": {"path": "/health", "interval": "10s", "timeout": "2s"},
            "layer": "business", "depends_on": ["user-service"],
            "tags": {"team": "shop"}, "source": "kubernetes",
        }))
        .expect("the contract's example");
        assert_eq!(body.health_check, HealthCheck::default());
        assert_eq!(body.source, RegistrationSource::Kubernetes);
        let empty: RegisterService = serde_json::from_value(serde_json::json!({})).expect("empty body");
        assert_eq!(empty.health_check.failures_before_critical, 3);
        assert_eq!(empty.source, RegistrationSource::Api);
    }

    #[test]
    fn requests_refuse_unknown_fields() {
        for body in [
            serde_json::json!({"endpoint": []}),
            serde_json::json!({"health_check": {"intervalSeconds": 10}}),
            serde_json::json!({"endpoints": [{"url": "http://a", "port": 1}]}),
        ] {
            assert!(serde_json::from_value::<RegisterService>(body.clone()).is_err(), "{body}");
        }
        assert!(serde_json::from_value::<Heartbeat>(serde_json::json!({"id": "x"})).is_err());
    }

    /// The registration object uses the contract's names.
    #[test]
    fn the_registration_has_the_contract_fields() {
        let registration = ServiceRegistration {
            namespace: "shop".into(),
            name: "order-service".into(),
            version: Some("1.4.2".into()),
            endpoints: vec![Endpoint { url: "http://10.0.0.5:8001".into() }],
            health_check: HealthCheck::default(),
            layer: Some("business".into()),
            depends_on: vec!["user-service".into()],
            tags: BTreeMap::from([("team".into(), "shop".into())]),
            source: RegistrationSource::Api,
            status: RegistrationStatus {
                healthy_endpoints: 1,
                total_endpoints: 1,
                layering: "ok".into(),
                violations: vec![],
                protected: false,
            },
            created_at: "2026-11-21T10:00:00.000Z".into(),
            updated_at: "2026-11-21T10:00:00.000Z".into(),
            revision: 1,
            service_account: None,
            tenant: None,
        };
        let json = serde_json::to_value(&registration).expect("serializes");
        for field in ["namespace", "name", "version", "endpoints", "health_check", "layer", "depends_on", "tags"] {
            assert!(json.get(field).is_some(), "{field}");
        }
        assert_eq!(json["source"], "api");
        assert_eq!(json["status"]["healthy_endpoints"], 1);
        assert_eq!(json["status"]["layering"], "ok");
        assert_eq!(json["health_check"]["interval"], "10s");
    }

    /// The names match serde's, both ways.
    #[test]
    fn names_are_the_wire_names() {
        for status in [InstanceStatus::Passing, InstanceStatus::Warning, InstanceStatus::Critical] {
            assert_eq!(serde_json::to_value(status).ok(), Some(status.as_str().into()));
            assert_eq!(InstanceStatus::parse(status.as_str()), Some(status));
        }
        for kind in [ViolationKind::SameLayer, ViolationKind::Upward, ViolationKind::UnknownService] {
            assert_eq!(serde_json::to_value(kind).ok(), Some(kind.as_str().into()));
        }
        assert_eq!(serde_json::to_value(InstanceSource::Heartbeat).ok(), Some("heartbeat".into()));
        assert_eq!(HealthCheckKind::parse("tcp"), Some(HealthCheckKind::Tcp));
        assert_eq!(RegistrationSource::parse("k8s"), None);
    }
}
