//! The detailed health report behind `GET /api/v1/health` and `platctl health`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    Healthy,
    Degraded,
    Unhealthy,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Component {
    /// `database`, `sync:<target>`, `service:<ns>/<name>`, ...
    pub name: String,
    pub status: HealthStatus,
    #[serde(default)]
    pub latency_ms: Option<f64>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub details: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct HealthReport {
    /// The worst status of any component.
    pub status: HealthStatus,
    pub version: String,
    pub uptime_seconds: u64,
    pub components: Vec<Component>,
    /// Object counts: tenants, users, roles, service accounts, events.
    pub counts: serde_json::Map<String, serde_json::Value>,
}
