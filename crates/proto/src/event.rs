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

/// An event a service publishes (`POST /events`, docs/events.md): the
/// envelope of the seed's event format. plat adds the id, time, source and
/// metadata, stores it in the outbox and delivers it like its own.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PublishEvent {
    /// A dotted lower-case name under a prefix granted to the publisher
    /// (`file.uploaded`).
    #[serde(rename = "type")]
    #[schemars(length(max = crate::limits::PATTERN))]
    pub event_type: String,
    /// The version of the event's schema (default `"1"`).
    #[serde(default)]
    #[schemars(length(max = crate::limits::NAME))]
    pub version: Option<String>,
    /// The tenant's slug: the caller's own unless it has platform scope
    /// (default: the caller's, or `X-Tenant-ID`).
    #[serde(default)]
    #[schemars(length(max = crate::limits::NAME))]
    pub tenant: Option<String>,
    /// Events of one aggregate are delivered in the order they were
    /// published; without one, the event stands alone.
    #[serde(default)]
    pub aggregate: Option<PublishAggregate>,
    /// The user the event concerns (an id), recorded as `metadata.user`.
    #[serde(default)]
    #[schemars(length(max = crate::limits::ID))]
    pub user: Option<String>,
    #[serde(default)]
    #[schemars(length(max = crate::limits::ID))]
    pub correlation_id: Option<String>,
    #[serde(default)]
    #[schemars(length(max = crate::limits::ID))]
    pub causation_id: Option<String>,
    /// A retry with the same key (per publisher) returns the event of the
    /// first call instead of publishing twice.
    #[serde(default)]
    #[schemars(length(max = crate::limits::ID))]
    pub idempotency_key: Option<String>,
    /// At most 64 KiB serialised.
    #[serde(default)]
    pub data: serde_json::Value,
}

/// The aggregate a published event belongs to (`{"kind": "file", "id": "f_1"}`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PublishAggregate {
    #[schemars(length(max = crate::limits::NAME))]
    pub kind: String,
    #[schemars(length(max = crate::limits::ID))]
    pub id: String,
}

/// Up to 1,000 events published in one transaction (`POST /events/batch`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PublishBatch {
    #[schemars(length(min = 1, max = 1000))]
    pub events: Vec<PublishEvent>,
}

/// What a batch published, in the order given.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct PublishedBatch {
    pub items: Vec<Event>,
    /// How many were earlier publications returned for their idempotency key.
    pub replayed: u64,
}
