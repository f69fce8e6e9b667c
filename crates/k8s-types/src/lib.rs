//! The `ServiceRegistration` custom resource (CONTRACT §5): what a team
//! applies next to its Deployment to register the service in plat, and the
//! status plat's controller writes back. The CRD in
//! `manifests/base/crd.yaml` is generated from these types
//! ([`crd_yaml`]; a test fails when the file is stale).
//!
//! Types only: kube's derive and k8s-openapi's types, no client, so a crate
//! that only reads or writes these objects stays light.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::{CustomResource, CustomResourceExt, KubeSchema};
use serde::{Deserialize, Serialize};

/// The API group of plat's resources.
pub const GROUP: &str = "plat.dev";
/// The finalizer the controller puts on every resource: deleting the
/// resource deregisters the service (and deletes its service account)
/// before the finalizer is removed.
pub const FINALIZER: &str = "plat.dev/deregister";
/// Set this annotation on a resource to any new value (a timestamp, a
/// counter) and the controller rotates the service's client secret and
/// rewrites its Secret; the Secret records the value it was written for in
/// [`ROTATED_FOR_ANNOTATION`].
pub const ROTATE_ANNOTATION: &str = "plat.dev/rotate-credentials";
/// On a credentials Secret: the [`ROTATE_ANNOTATION`] value it was written for.
pub const ROTATED_FOR_ANNOTATION: &str = "plat.dev/rotated-for";
/// The label on every object the controller creates.
pub const MANAGED_BY_LABEL: (&str, &str) = ("app.kubernetes.io/managed-by", "plat-controller");
/// The field manager of the controller's server-side applies.
pub const FIELD_MANAGER: &str = "plat-controller";

/// Condition types of [`ServiceRegistrationStatus::conditions`].
pub mod condition {
    /// The service is registered in plat as the spec says.
    pub const REGISTERED: &str = "Registered";
    /// At least one of its instances passes its health check.
    pub const HEALTHY: &str = "Healthy";
    /// Its dependencies follow the layering rule (or are in the baseline).
    pub const LAYERING_VALID: &str = "LayeringValid";
}

/// A service plat should know about: its addresses (or the Kubernetes
/// Service that has them), how to probe them, its layer and dependencies,
/// and whether it gets its own plat credentials.
// Each `printcolumn(...)` repeats `type_`: clippy reads that as a duplicate.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[kube(
    group = "plat.dev",
    version = "v1alpha1",
    kind = "ServiceRegistration",
    namespaced,
    shortname = "svcreg",
    category = "plat",
    status = "ServiceRegistrationStatus",
    derive = "PartialEq",
    doc = "A service registered in plat's registry by the plat controller.",
    printcolumn(name = "Version", type_ = "string", json_path = ".spec.version"),
    printcolumn(name = "Layer", type_ = "string", json_path = ".spec.layer"),
    printcolumn(
        name = "Registered",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Registered\")].status"
    ),
    printcolumn(name = "Healthy", type_ = "string", json_path = ".status.conditions[?(@.type==\"Healthy\")].status"),
    printcolumn(
        name = "Endpoints",
        type_ = "integer",
        json_path = ".status.healthyEndpoints",
        description = "Endpoints that pass their health check",
        priority = "1"
    ),
    printcolumn(
        name = "Reason",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Registered\")].reason",
        priority = "1"
    ),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[x_kube(validation = Rule::new(
    "!has(self.serviceRef) || !has(self.endpoints) || size(self.endpoints) == 0"
).message("set endpoints or serviceRef, not both").field_path(".serviceRef"))]
#[serde(rename_all = "camelCase")]
pub struct ServiceRegistrationSpec {
    /// The service's own version (`1.4.2`, an image tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub version: Option<String>,
    /// Addresses plat probes, e.g. `http://order-service.shop.svc:8001`.
    /// Leave empty with `serviceRef`, or when instances join by heartbeat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub endpoints: Option<Vec<EndpointSpec>>,
    /// A Kubernetes Service in the same namespace: its ready endpoints
    /// (from its EndpointSlices) become the registration's, and follow the
    /// Pods as they come and go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_ref: Option<ServiceRef>,
    /// How plat probes each endpoint; `GET /health` every 10 s by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheckSpec>,
    /// One of plat's configured layers (`infrastructure`, `core`,
    /// `business`, `application` by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 63))]
    pub layer: Option<String>,
    /// Services this one calls: a name in the same namespace, or
    /// `namespace/name`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64), inner(length(min = 1, max = 127)))]
    pub depends_on: Vec<String>,
    /// Free-form tags (`team: shop`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 64))]
    pub tags: BTreeMap<String, String>,
    /// The plat tenant that alone sees the service; every tenant when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63))]
    pub tenant: Option<String>,
    /// The service's own plat account, its credentials in a Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<CredentialsSpec>,
}

/// One address of the service.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, KubeSchema)]
pub struct EndpointSpec {
    /// `http://host:port` or `https://host:port`.
    #[schemars(length(min = 1, max = 2048), regex(pattern = r"^https?://"))]
    pub url: String,
}

/// A Kubernetes Service whose EndpointSlices give the addresses.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
pub struct ServiceRef {
    /// The Service's name, in the resource's namespace.
    #[schemars(length(min = 1, max = 63), regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"))]
    pub name: String,
    /// The port, by number (`8001`) or by the Service port's name (`http`).
    pub port: IntOrString,
    /// `http` (default) or `https`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<Scheme>,
}

/// How plat reaches a resolved endpoint.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    #[default]
    Http,
    Https,
}

/// How plat probes each endpoint.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.timeoutSeconds < self.intervalSeconds")
    .message("timeoutSeconds must be less than intervalSeconds")
    .field_path(".timeoutSeconds"))]
pub struct HealthCheckSpec {
    /// Path (and query) probed on each endpoint.
    #[serde(default = "default_path")]
    #[schemars(length(min = 1, max = 1024), regex(pattern = r"^/"))]
    pub path: String,
    /// Seconds between probes.
    #[serde(default = "default_interval")]
    #[schemars(range(min = 1, max = 3600))]
    pub interval_seconds: i32,
    /// Seconds a probe may take; less than `intervalSeconds`.
    #[serde(default = "default_timeout")]
    #[schemars(range(min = 1, max = 3599))]
    pub timeout_seconds: i32,
    /// `http` (default: `GET path`, 2xx passes) or `tcp` (a connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ProbeKind>,
}

impl Default for HealthCheckSpec {
    fn default() -> Self {
        HealthCheckSpec {
            path: default_path(),
            interval_seconds: default_interval(),
            timeout_seconds: default_timeout(),
            kind: None,
        }
    }
}

fn default_path() -> String {
    "/health".to_owned()
}
fn default_interval() -> i32 {
    10
}
fn default_timeout() -> i32 {
    2
}

/// How plat probes.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProbeKind {
    Http,
    Tcp,
}

/// The service's own plat account (client credentials).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialsSpec {
    /// Create the account and keep its credentials in a Secret.
    #[serde(default)]
    pub enabled: bool,
    /// Roles of the account in plat's `system` tenant (under plat's
    /// conferral rule).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32), inner(length(min = 1, max = 63)))]
    pub roles: Vec<String>,
    /// The Secret's name; `<resource name>-plat-credentials` by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 253),
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
    )]
    pub secret_name: Option<String>,
}

/// What the controller last saw of the service in plat.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRegistrationStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Registered`, `Healthy` and `LayeringValid`, in the standard
    /// `metav1.Condition` shape.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
    /// Endpoints whose health check passes.
    #[serde(default)]
    pub healthy_endpoints: i32,
    /// All endpoints, passing or not.
    #[serde(default)]
    pub total_endpoints: i32,
    /// The endpoints registered (resolved from `serviceRef` when set).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<String>,
    /// plat's revision of the registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
    /// The Secret holding the service's credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,
}

impl ServiceRegistration {
    /// The condition of `type_`, if set.
    pub fn condition(&self, type_: &str) -> Option<&Condition> {
        self.status.as_ref()?.conditions.iter().find(|c| c.type_ == type_)
    }

    /// The Secret the credentials go to, when they are enabled.
    pub fn secret_name(&self) -> Option<String> {
        let credentials = self.spec.credentials.as_ref().filter(|c| c.enabled)?;
        let name = self.metadata.name.as_deref().unwrap_or_default();
        Some(credentials.secret_name.clone().unwrap_or_else(|| format!("{name}-plat-credentials")))
    }
}

/// The CRD as `manifests/base/crd.yaml` holds it: a header, then the YAML
/// of [`ServiceRegistration::crd`].
pub fn crd_yaml() -> String {
    let crd = ServiceRegistration::crd();
    let body = serde_saphyr::to_string(&crd).expect("a CRD serialises to YAML");
    format!("# Generated from crates/k8s-types by `UPDATE_EXPECT=1 cargo test -p plat-k8s-types`; do not edit.\n{body}")
}
