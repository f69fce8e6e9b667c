//! Outbox events and audit records.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct AggregateRef {
    pub kind: String,
    pub id: String,
    pub version: u64,
}

/// An outbox event: the full current snapshot of the aggregate, never a secret.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub version: String,
    pub timestamp: String,
    pub source: String,
    pub tenant: String,
    pub aggregate: AggregateRef,
    pub correlation_id: Option<String>,
    pub causation_id: Option<String>,
    pub data: serde_json::Value,
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

/// Query of `GET /events`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// Event type pattern: `user.*`, `*`, or an exact name.
    #[serde(rename = "type")]
    #[schemars(length(max = crate::limits::PATTERN))]
    pub event_type: Option<String>,
    #[schemars(length(max = crate::limits::ID))]
    pub aggregate_id: Option<String>,
    /// RFC 3339 time or a duration back from now (`1h`).
    #[schemars(length(max = crate::limits::TIME))]
    pub since: Option<String>,
    #[schemars(range(min = 1, max = crate::limits::PAGE))]
    pub page: Option<u64>,
    #[schemars(range(min = 1, max = crate::MAX_PAGE_SIZE))]
    pub page_size: Option<u64>,
    #[schemars(length(max = crate::limits::ID))]
    pub cursor: Option<String>,
    #[schemars(range(min = 1, max = crate::MAX_PAGE_SIZE))]
    pub limit: Option<u64>,
}

/// One append-only audit record.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct AuditRecord {
    pub id: String,
    pub timestamp: String,
    /// `username@tenant` or `service:name@tenant`.
    pub actor: String,
    /// `user.create`, `auth.login`, ...
    pub action: String,
    /// What was acted on (`user:<id>`, `tenant:<slug>`, ...).
    pub target: String,
    pub tenant: Option<String>,
    /// `success` or `failure`.
    pub outcome: String,
    pub request_id: Option<String>,
    pub details: serde_json::Value,
}

/// Query of `GET /audit`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    #[schemars(length(max = crate::limits::FILTER))]
    pub actor: Option<String>,
    /// An action or a glob of actions (`user.*`).
    #[schemars(length(max = crate::limits::PATTERN))]
    pub action: Option<String>,
    #[schemars(length(max = crate::limits::FILTER))]
    pub target: Option<String>,
    /// RFC 3339 time or a duration back from now (`1h`).
    #[schemars(length(max = crate::limits::TIME))]
    pub since: Option<String>,
    #[schemars(length(max = crate::limits::TIME))]
    pub until: Option<String>,
    #[schemars(range(min = 1, max = crate::limits::PAGE))]
    pub page: Option<u64>,
    #[schemars(range(min = 1, max = crate::MAX_PAGE_SIZE))]
    pub page_size: Option<u64>,
    #[schemars(length(max = crate::limits::ID))]
    pub cursor: Option<String>,
    #[schemars(range(min = 1, max = crate::MAX_PAGE_SIZE))]
    pub limit: Option<u64>,
}
