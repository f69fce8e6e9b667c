//! Roles, permissions and authorization checks.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Role {
    pub name: String,
    pub description: String,
    /// `resource:action` with `*` wildcards.
    pub permissions: Vec<String>,
    pub builtin: bool,
    /// Owning tenant; null for built-in roles, which exist in every tenant.
    pub tenant: Option<String>,
    /// Permissions granted only when a condition on the check's context
    /// holds (docs/permissions.md, "Conditions").
    #[serde(default)]
    pub conditions: Vec<ConditionalPermission>,
}

/// `permission`, granted only when `when` is true: an expression over the
/// check's `context` and the `principal` (`context.file_size <= 10485760`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConditionalPermission {
    #[schemars(length(max = crate::limits::PERMISSION), pattern(crate::limits::PERMISSION_PATTERN))]
    pub permission: String,
    #[schemars(length(max = crate::limits::EXPRESSION))]
    pub when: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CreateRole {
    #[schemars(length(max = crate::limits::NAME), pattern(crate::limits::NAME_PATTERN))]
    pub name: String,
    #[serde(default)]
    #[schemars(length(max = crate::limits::DESCRIPTION))]
    pub description: Option<String>,
    #[schemars(
        length(max = crate::limits::PERMISSIONS),
        inner(length(max = crate::limits::PERMISSION), pattern(crate::limits::PERMISSION_PATTERN))
    )]
    pub permissions: Vec<String>,
    #[serde(default)]
    #[schemars(length(max = crate::limits::CONDITIONS))]
    pub conditions: Vec<ConditionalPermission>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UpdateRole {
    #[serde(default)]
    #[schemars(length(max = crate::limits::DESCRIPTION))]
    pub description: Option<String>,
    /// Replace the whole permission list.
    #[serde(default)]
    #[schemars(
        length(max = crate::limits::PERMISSIONS),
        inner(length(max = crate::limits::PERMISSION), pattern(crate::limits::PERMISSION_PATTERN))
    )]
    pub permissions: Option<Vec<String>>,
    #[serde(default)]
    #[schemars(
        length(max = crate::limits::PERMISSIONS),
        inner(length(max = crate::limits::PERMISSION), pattern(crate::limits::PERMISSION_PATTERN))
    )]
    pub add_permissions: Vec<String>,
    #[serde(default)]
    #[schemars(length(max = crate::limits::PERMISSIONS), inner(length(max = crate::limits::PERMISSION)))]
    pub remove_permissions: Vec<String>,
    /// Replace the whole list of conditional permissions (`[]` removes them).
    #[serde(default)]
    #[schemars(length(max = crate::limits::CONDITIONS))]
    pub conditions: Option<Vec<ConditionalPermission>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AuthzCheck {
    /// User id or username; the caller when neither user nor service is given.
    #[serde(default)]
    #[schemars(length(max = crate::limits::USERNAME))]
    pub user: Option<String>,
    /// Service account name.
    #[serde(default)]
    #[schemars(length(max = crate::limits::NAME))]
    pub service: Option<String>,
    /// `resource:action`; or give `resource` and `action` apart.
    #[serde(default)]
    #[schemars(length(max = crate::limits::PERMISSION))]
    pub permission: String,
    #[serde(default)]
    #[schemars(length(max = crate::limits::PERMISSION))]
    pub resource: Option<String>,
    #[serde(default)]
    #[schemars(length(max = crate::limits::PERMISSION))]
    pub action: Option<String>,
    #[serde(default)]
    #[schemars(length(max = crate::limits::SLUG))]
    pub tenant: Option<String>,
    /// What the caller knows about the action (`{"folder": "u1/docs",
    /// "file_size": 1024}`), read by roles' conditions; at most 8 KiB.
    #[serde(default)]
    pub context: Option<serde_json::Value>,
    /// The organization the action is on (id or path of names): roles
    /// granted on it or above it count too.
    #[serde(default)]
    #[schemars(length(max = crate::limits::ORG_REF))]
    pub org: Option<String>,
}

/// `POST /authz/check/batch`: up to 100 checks, answered in order.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AuthzBatch {
    #[schemars(length(max = crate::limits::AUTHZ_BATCH))]
    pub checks: Vec<AuthzCheck>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct AuthzBatchResult {
    pub results: Vec<AuthzDecision>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct AuthzDecision {
    pub allowed: bool,
    pub reason: String,
}
