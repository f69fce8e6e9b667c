//! The sync engine's objects: targets, tasks with their attempts, the
//! dead-letter queue and per-target statistics (CONTRACT §2, §3).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::AggregateRef;

names!(TargetKind { Http = "http", Redis = "redis", RedisStream = "redis-stream" });
names!(TargetState { Active = "active", Paused = "paused", Disabled = "disabled" });
names!(CircuitState { Closed = "closed", Open = "open", HalfOpen = "half_open" });
names!(BackfillState { Running = "running", Done = "done" });
names!(TaskStatus {
    Pending = "pending",
    InFlight = "in_flight",
    Delivered = "delivered",
    Failed = "failed",
    Dead = "dead",
    Cancelled = "cancelled",
});

#[cfg(test)]
mod tests {
    use super::*;

    /// The names match serde's, both ways.
    #[test]
    fn names_are_the_wire_names() {
        for status in [TaskStatus::Pending, TaskStatus::InFlight, TaskStatus::Dead, TaskStatus::Cancelled] {
            assert_eq!(serde_json::to_value(status).ok(), Some(status.as_str().into()));
            assert_eq!(TaskStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(serde_json::to_value(TargetKind::RedisStream).ok(), Some("redis-stream".into()));
        assert_eq!(serde_json::to_value(CircuitState::HalfOpen).ok(), Some("half_open".into()));
        assert_eq!(TargetState::parse("nope"), None);
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    /// `POST {url}` with the event, signed with Standard Webhooks headers.
    Http,
    /// `SET {key_prefix}{id}` to the snapshot, version-guarded; `DEL` on delete.
    Redis,
    /// `XADD {stream} * type <type> payload <event>`.
    RedisStream,
}

/// `active` delivers; `paused` keeps collecting tasks but delivers none until
/// resumed; `disabled` (the target answered 410 Gone) collects nothing until
/// resumed.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TargetState {
    Active,
    Paused,
    Disabled,
}

/// A circuit opens after consecutive failures and stops claims for the target
/// until a cool-down has passed; then one delivery probes it (half open).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CircuitState {
    Closed,
    Open,
    HalfOpen,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReadBack {
    /// Whether plat's consistency checks read this target back.
    #[serde(default)]
    pub supported: bool,
    /// Base URL of the read-back endpoints; by default the target URL
    /// without its last path segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::URL))]
    pub base_url: Option<String>,
}

/// Names to take (`include`; empty takes all) and names to leave out (`exclude`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    #[serde(default)]
    #[schemars(length(max = crate::limits::SELECTION), inner(length(max = crate::limits::PATTERN)))]
    pub include: Vec<String>,
    #[serde(default)]
    #[schemars(length(max = crate::limits::SELECTION), inner(length(max = crate::limits::PATTERN)))]
    pub exclude: Vec<String>,
}

impl Selection {
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }
}

/// What a target receives beyond its event patterns (docs/sync.md, "Rules").
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TargetRules {
    /// Tenant slugs whose events the target receives, or does not.
    #[serde(default)]
    pub tenants: Selection,
    /// An expression over the event (`data.status == "active"`); only events
    /// for which it is true are delivered.
    #[serde(default)]
    #[schemars(length(max = crate::limits::EXPRESSION))]
    pub filter: Option<String>,
    /// Dotted paths into the event's `data` (`profile.locale`): only these
    /// fields are delivered, and never the excluded ones.
    #[serde(default)]
    pub fields: Selection,
}

impl TargetRules {
    pub fn is_empty(&self) -> bool {
        self.tenants.is_empty() && self.filter.is_none() && self.fields.is_empty()
    }
}

/// How many events one request carries (docs/sync.md, "Batches").
/// `max_events: 1` (the default) sends each event alone; more sends a JSON
/// array of events, each of a different aggregate, to an HTTP target, or
/// one pipeline of writes to a Redis target.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TargetBatch {
    /// Events per request, 1 to 1,000.
    #[serde(default = "TargetBatch::one")]
    #[schemars(range(min = 1, max = crate::limits::BATCH_EVENTS))]
    pub max_events: u32,
    /// Bytes of events per request (a single larger event goes alone):
    /// 1 KiB to 16 MiB, default 1 MiB.
    #[serde(default = "TargetBatch::default_bytes")]
    #[schemars(range(min = 1024, max = crate::limits::BATCH_BYTES))]
    pub max_bytes: u64,
}

impl TargetBatch {
    fn one() -> u32 {
        1
    }

    fn default_bytes() -> u64 {
        1 << 20
    }

    /// Whether requests carry more than one event.
    pub fn batches(&self) -> bool {
        self.max_events > 1
    }
}

impl Default for TargetBatch {
    fn default() -> Self {
        TargetBatch { max_events: Self::one(), max_bytes: Self::default_bytes() }
    }
}

/// A new target's backfill: a snapshot of every existing user it would
/// receive, queued at low priority (docs/sync.md, "A new target starts
/// complete").
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Backfill {
    /// `running` while snapshots are being queued, then `done`.
    pub state: BackfillState,
    /// Snapshots queued so far.
    pub queued: u64,
    /// Queued snapshots not yet delivered (pending, failed or in flight).
    pub remaining: u64,
    pub started_at: String,
    pub finished_at: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BackfillState {
    Running,
    Done,
}

/// `POST /sync/targets/{name}/preview`: what an event would become for a target.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PreviewEvent {
    /// An event as `GET /events` shows it, or as a service publishes it
    /// (missing envelope fields are filled in).
    pub event: serde_json::Value,
}

/// The answer of a preview: whether the target would get the event, and the body.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct EventPreview {
    pub delivered: bool,
    /// Why not, when not: the rule that leaves it out.
    pub reason: Option<String>,
    /// The body the target would receive (after projection).
    pub body: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct SyncTarget {
    pub name: String,
    pub kind: TargetKind,
    /// The target URL; a password in it is shown as `***`.
    pub url: String,
    /// Event type patterns: `user.*`, `*`, exact names.
    pub events: Vec<String>,
    /// Whether deliveries run (`state` is `active`).
    pub enabled: bool,
    pub state: TargetState,
    /// Why the target was disabled (a 410 answer), if it was.
    pub disabled_reason: Option<String>,
    /// `whsec_…` and the secret's last four characters (HTTP targets).
    pub secret_hint: Option<String>,
    pub timeout: String,
    pub max_attempts: u32,
    /// Deliveries in flight at once (each to a different aggregate).
    pub concurrency: u32,
    /// Kind-specific options: `key_prefix`, `ttl` (redis); `stream`,
    /// `maxlen` (redis-stream).
    pub options: serde_json::Map<String, serde_json::Value>,
    pub read_back: ReadBack,
    /// Tenant filter, event filter and projection.
    pub rules: TargetRules,
    pub batch: TargetBatch,
    /// The snapshot of existing users queued when the target was added, if any.
    pub backfill: Option<Backfill>,
    pub circuit: CircuitState,
    pub created_at: String,
    pub updated_at: String,
}

/// `POST /sync/targets`. The answer carries the secret once.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CreateTarget {
    #[schemars(length(max = crate::limits::NAME), pattern(crate::limits::NAME_PATTERN))]
    pub name: String,
    pub kind: TargetKind,
    #[schemars(length(max = crate::limits::URL))]
    pub url: String,
    /// Event type patterns; default `["*"]`.
    #[serde(default)]
    #[schemars(length(max = crate::limits::EVENTS), inner(length(max = crate::limits::PATTERN)))]
    pub events: Vec<String>,
    /// `whsec_` + base64 of 24–64 bytes; generated for HTTP targets when absent.
    #[serde(default)]
    #[schemars(length(max = crate::limits::SECRET))]
    pub secret: Option<String>,
    /// Per-delivery timeout (`5s`); default from `sync.timeout`.
    #[serde(default)]
    #[schemars(length(max = crate::limits::TIME))]
    pub timeout: Option<String>,
    #[serde(default)]
    pub max_attempts: Option<u32>,
    #[serde(default)]
    pub concurrency: Option<u32>,
    #[serde(default)]
    #[schemars(extend("maxProperties" = crate::limits::OPTIONS))]
    pub options: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub read_back: Option<ReadBack>,
    #[serde(default)]
    pub rules: Option<TargetRules>,
    #[serde(default)]
    pub batch: Option<TargetBatch>,
    /// Queue a snapshot of every existing user the target would receive.
    /// Default: true when the target subscribes to `user.updated` (as
    /// `user.*` and `*` do).
    #[serde(default)]
    pub backfill: Option<bool>,
}

/// `PATCH /sync/targets/{name}`: only the fields given change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UpdateTarget {
    #[serde(default)]
    #[schemars(length(max = crate::limits::URL))]
    pub url: Option<String>,
    #[serde(default)]
    #[schemars(length(max = crate::limits::EVENTS), inner(length(max = crate::limits::PATTERN)))]
    pub events: Option<Vec<String>>,
    /// A new secret; with `generate_secret`, plat makes one and answers it once.
    #[serde(default)]
    #[schemars(length(max = crate::limits::SECRET))]
    pub secret: Option<String>,
    #[serde(default)]
    pub generate_secret: bool,
    #[serde(default)]
    #[schemars(length(max = crate::limits::TIME))]
    pub timeout: Option<String>,
    #[serde(default)]
    pub max_attempts: Option<u32>,
    #[serde(default)]
    pub concurrency: Option<u32>,
    /// Merged into the options; a `null` value removes an option.
    #[serde(default)]
    #[schemars(extend("maxProperties" = crate::limits::OPTIONS))]
    pub options: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    pub read_back: Option<ReadBack>,
    /// Replaces all the target's rules (`{}` removes them).
    #[serde(default)]
    pub rules: Option<TargetRules>,
    /// Replaces the batch settings (`{}` sends events one by one again).
    #[serde(default)]
    pub batch: Option<TargetBatch>,
}

/// A target as answered by create and secret changes: the secret, once.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct TargetWithSecret {
    #[serde(flatten)]
    pub target: SyncTarget,
    pub secret: Option<String>,
}

/// `POST /sync/targets/{name}/test`: one `sync.ping`, delivered at once.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct TargetTestResult {
    pub delivered: bool,
    pub status_code: Option<u16>,
    pub duration_ms: f64,
    pub error: Option<String>,
    /// The first 4 KiB of the answer.
    pub response: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Waiting for its first attempt (or for an earlier event of its aggregate).
    Pending,
    InFlight,
    Delivered,
    /// The last attempt failed; another is scheduled.
    Failed,
    /// In the dead-letter queue.
    Dead,
    Cancelled,
}

/// One delivery of one event to one target.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct SyncTask {
    pub id: u64,
    pub target: String,
    pub event_id: String,
    pub event_type: String,
    pub tenant: String,
    pub aggregate: AggregateRef,
    pub status: TaskStatus,
    /// Repair tasks of a consistency check go first.
    pub repair: bool,
    pub attempts: u32,
    pub next_attempt_at: Option<String>,
    pub last_status_code: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub delivered_at: Option<String>,
    /// From the event's commit to the target's 2xx.
    pub latency_ms: Option<f64>,
    /// Every attempt, oldest first (`GET /sync/tasks/{id}` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt_log: Option<Vec<TaskAttempt>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct TaskAttempt {
    pub number: u32,
    pub started_at: String,
    pub duration_ms: f64,
    /// `delivered`, `retry`, `dead`, `gone`.
    pub outcome: String,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    /// The first 4 KiB of the answer.
    pub response: Option<String>,
}

/// Query of `GET /sync/tasks` and `GET /sync/dlq`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TaskQuery {
    #[schemars(length(max = crate::limits::NAME))]
    pub target: Option<String>,
    pub status: Option<TaskStatus>,
    #[schemars(length(max = crate::limits::ID))]
    pub aggregate_id: Option<String>,
    #[schemars(range(min = 1, max = crate::limits::PAGE))]
    pub page: Option<u64>,
    #[schemars(range(min = 1, max = crate::MAX_PAGE_SIZE))]
    pub page_size: Option<u64>,
    #[schemars(length(max = crate::limits::ID))]
    pub cursor: Option<String>,
    #[schemars(range(min = 1, max = crate::MAX_PAGE_SIZE))]
    pub limit: Option<u64>,
}

/// `POST /sync/dlq/replay`: dead tasks of one target, or the given ids, or all.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DlqReplay {
    #[serde(default)]
    #[schemars(length(max = crate::limits::NAME))]
    pub target: Option<String>,
    #[serde(default)]
    #[schemars(length(max = crate::limits::DLQ_IDS))]
    pub ids: Vec<u64>,
}

/// `POST /sync/dlq/purge`: delete dead tasks.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DlqPurge {
    #[serde(default)]
    #[schemars(length(max = crate::limits::NAME))]
    pub target: Option<String>,
    #[serde(default)]
    #[schemars(length(max = crate::limits::DLQ_IDS))]
    pub ids: Vec<u64>,
    /// Only tasks dead for longer than this (`7d`).
    #[serde(default)]
    #[schemars(length(max = crate::limits::TIME))]
    pub older_than: Option<String>,
}

/// `POST /sync/targets/{name}/replay`: deliver a window of past events again.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReplayEvents {
    /// Start of the window: RFC 3339 time or a duration back from now (`2h`).
    #[schemars(length(max = crate::limits::TIME))]
    pub since: String,
    /// End of the window (exclusive); default now.
    #[serde(default)]
    #[schemars(length(max = crate::limits::TIME))]
    pub until: Option<String>,
    /// Event type patterns to replay; default every type the target subscribes to.
    #[serde(default)]
    #[schemars(length(max = crate::limits::EVENTS), inner(length(max = crate::limits::PATTERN)))]
    pub types: Vec<String>,
}

/// How many tasks a bulk operation touched.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct BulkResult {
    pub count: u64,
}

/// `GET /sync/stats`: one entry per target.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct TargetStats {
    pub target: String,
    pub state: TargetState,
    pub circuit: CircuitState,
    /// Tasks delivered (within `sync.retention`).
    pub delivered: u64,
    /// Failed attempts (within `sync.retention`).
    pub failed: u64,
    /// Tasks in the dead-letter queue.
    pub dead: u64,
    /// Tasks not yet delivered: pending, failed (retry scheduled) and in flight.
    pub backlog: u64,
    pub in_flight: u64,
    /// Successful attempts over all attempts; null before the first.
    pub success_rate: Option<f64>,
    /// Commit-to-delivery latency of the last 1,000 deliveries.
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub last_success_at: Option<String>,
    pub last_error: Option<String>,
    /// The target's backfill, while it runs and after.
    pub backfill: Option<Backfill>,
}
