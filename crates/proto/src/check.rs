//! Consistency checks (CONTRACT §2, §3): a check compares plat's users with
//! the copies its sync targets hold (and, `internal`, plat's own tables with
//! its invariants), stores what differs as findings, and can repair them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The name a check gives the internal check in its per-target reports.
/// Target names are slugs, so it cannot collide with one.
pub const INTERNAL_TARGET: &str = "plat:internal";

names!(CheckStatus { Running = "running", Succeeded = "succeeded", Failed = "failed" });
names!(CheckTargetStatus {
    Pending = "pending",
    Running = "running",
    Succeeded = "succeeded",
    Failed = "failed",
    Skipped = "skipped",
});
names!(CheckMode { Auto = "auto", Digest = "digest", Paging = "paging", Redis = "redis", Internal = "internal" });
names!(FindingKind {
    Missing = "missing",
    Orphan = "orphan",
    Stale = "stale",
    MissingProfile = "missing_profile",
    MissingStats = "missing_stats",
    DanglingGrant = "dangling_grant",
    UsageMismatch = "usage_mismatch",
    EventWithoutTask = "event_without_task",
});

/// A whole check: `succeeded` when it could compare everything it was asked
/// to (findings or not), `failed` when a target could not be read.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Running,
    Succeeded,
    Failed,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CheckTargetStatus {
    Pending,
    Running,
    Succeeded,
    Failed,
    /// Not checkable: no read-back, no user events, or a stream target.
    Skipped,
}

/// How a target is read back. `auto` (a request's default) uses the digest
/// when the target offers one and pages otherwise; Redis targets are read
/// by plat itself (`redis`).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CheckMode {
    #[default]
    Auto,
    Digest,
    Paging,
    Redis,
    Internal,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// plat has the record, the target does not.
    Missing,
    /// The target has the record, plat does not (or it is deleted).
    Orphan,
    /// Both have it, at different versions.
    Stale,
    /// Internal: a user without its profile row.
    MissingProfile,
    /// Internal: a user without its stats row.
    MissingStats,
    /// Internal: a role grant naming a role its tenant does not have.
    DanglingGrant,
    /// Internal: a tenant's user counter differs from its users.
    UsageMismatch,
    /// Internal: an event a target subscribes to, without that target's task.
    EventWithoutTask,
}

/// `POST /checks`: one target, or all checkable targets, and/or the internal check.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CreateCheck {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::NAME))]
    pub target: Option<String>,
    #[serde(default)]
    pub all: bool,
    /// plat's own invariants (an addition to the contract).
    #[serde(default)]
    pub internal: bool,
    /// Enqueue repairs for the findings.
    #[serde(default)]
    pub repair: bool,
    /// With `repair`: report what would be repaired, enqueue nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Force a read-back mode (`digest` or `paging`) for HTTP targets.
    #[serde(default)]
    pub mode: CheckMode,
}

/// Where a check of one target is, while it runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct CheckProgress {
    /// `reading`, `comparing`, `repairing` or `done`.
    pub phase: String,
    pub done: u64,
    pub total: u64,
}

/// The counts of one target's check.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct CheckCounts {
    pub missing: u64,
    pub orphan: u64,
    pub stale: u64,
    /// Internal findings (every kind but the three above).
    pub internal: u64,
    /// Differences left out: a task for the record was pending or in flight,
    /// or the record changed within the grace period.
    pub excluded: u64,
    /// Repair tasks enqueued (or, in a dry run, that would have been).
    pub repaired: u64,
}

impl CheckCounts {
    pub fn findings(&self) -> u64 {
        self.missing + self.orphan + self.stale + self.internal
    }

    pub fn add(&mut self, other: &CheckCounts) {
        self.missing += other.missing;
        self.orphan += other.orphan;
        self.stale += other.stale;
        self.internal += other.internal;
        self.excluded += other.excluded;
        self.repaired += other.repaired;
    }
}

/// One target's part of a check.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct CheckTarget {
    pub target: String,
    pub status: CheckTargetStatus,
    /// How the target was read back (set once known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<CheckMode>,
    /// Why it was skipped or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub progress: CheckProgress,
    #[serde(flatten)]
    pub counts: CheckCounts,
    /// Records plat holds for the target.
    pub plat_records: u64,
    /// Records the target holds.
    pub target_records: u64,
    /// Digest buckets, and how many of them differed.
    pub buckets: u32,
    pub mismatched_buckets: u32,
    /// Bytes read from the target.
    pub bytes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

impl CheckTarget {
    pub fn new(target: impl Into<String>, status: CheckTargetStatus) -> CheckTarget {
        CheckTarget {
            target: target.into(),
            status,
            mode: None,
            error: None,
            progress: CheckProgress { phase: "pending".into(), done: 0, total: 0 },
            counts: CheckCounts::default(),
            plat_records: 0,
            target_records: 0,
            buckets: 0,
            mismatched_buckets: 0,
            bytes: 0,
            duration_ms: None,
        }
    }
}

/// A check: its request, state, summary and per-target reports.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Check {
    pub id: String,
    pub status: CheckStatus,
    pub repair: bool,
    pub dry_run: bool,
    pub requested_by: String,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The counts of all targets together.
    pub summary: CheckCounts,
    pub targets: Vec<CheckTarget>,
    /// The first findings (`GET /checks/{id}`; `GET /checks/{id}/findings`
    /// pages through all of them). Absent in lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findings: Option<Vec<Finding>>,
}

impl Check {
    /// Whether any drift was found (what `platctl check run` exits 3 on).
    pub fn drifted(&self) -> bool {
        self.summary.findings() > 0
    }
}

/// One difference found by a check.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Finding {
    /// The target, or `plat:internal`.
    pub target: String,
    pub kind: FindingKind,
    /// `user` for target findings; `user`, `role_grant`, `tenant` or `event` internally.
    pub aggregate_kind: String,
    pub aggregate_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plat_version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The repair task enqueued for it (`GET /sync/tasks/{id}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repair_task: Option<u64>,
    /// Repaired in plat itself (internal findings).
    #[serde(default)]
    pub repaired: bool,
}

/// Query of `GET /checks/{id}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CheckGetQuery {
    /// How many findings to include (default 100).
    #[schemars(range(max = crate::limits::FINDINGS))]
    pub findings: Option<u64>,
}

/// `GET /checks/{id}/findings`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FindingQuery {
    #[schemars(length(max = crate::limits::FILTER))]
    pub target: Option<String>,
    pub kind: Option<FindingKind>,
    #[schemars(range(min = 1, max = crate::limits::PAGE))]
    pub page: Option<u64>,
    #[schemars(range(min = 1, max = crate::MAX_PAGE_SIZE))]
    pub page_size: Option<u64>,
    #[schemars(length(max = crate::limits::ID))]
    pub cursor: Option<String>,
    #[schemars(range(min = 1, max = crate::MAX_PAGE_SIZE))]
    pub limit: Option<u64>,
}

/// `GET /checks`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CheckQuery {
    #[schemars(length(max = crate::limits::FILTER))]
    pub target: Option<String>,
    pub status: Option<CheckStatus>,
    #[schemars(range(min = 1, max = crate::limits::PAGE))]
    pub page: Option<u64>,
    #[schemars(range(min = 1, max = crate::MAX_PAGE_SIZE))]
    pub page_size: Option<u64>,
    #[schemars(length(max = crate::limits::ID))]
    pub cursor: Option<String>,
    #[schemars(range(min = 1, max = crate::MAX_PAGE_SIZE))]
    pub limit: Option<u64>,
}

/// `GET {base}/sync/digest` of the read-back protocol (what a target serves).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ReadBackDigest {
    pub kind: String,
    pub buckets: Vec<ReadBackBucket>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ReadBackBucket {
    pub bucket: u32,
    pub count: u64,
    /// 64 lower-case hex digits.
    pub hash: String,
}

/// `GET {base}/sync/records` of the read-back protocol.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ReadBackRecords {
    pub items: Vec<ReadBackRecord>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReadBackRecord {
    pub id: String,
    pub version: u64,
}
