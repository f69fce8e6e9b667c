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
    #[schemars(length(max = crate::limits::PERMISSION), pattern(crate::limits::PERMISSION_PATTERN))]
    pub permission: String,
    #[serde(default)]
    #[schemars(length(max = crate::limits::SLUG))]
    pub tenant: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct AuthzDecision {
    pub allowed: bool,
    pub reason: String,
}
