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
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub permissions: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UpdateRole {
    #[serde(default)]
    pub description: Option<String>,
    /// Replace the whole permission list.
    #[serde(default)]
    pub permissions: Option<Vec<String>>,
    #[serde(default)]
    pub add_permissions: Vec<String>,
    #[serde(default)]
    pub remove_permissions: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AuthzCheck {
    /// User id or username; the caller when neither user nor service is given.
    #[serde(default)]
    pub user: Option<String>,
    /// Service account name.
    #[serde(default)]
    pub service: Option<String>,
    pub permission: String,
    #[serde(default)]
    pub tenant: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct AuthzDecision {
    pub allowed: bool,
    pub reason: String,
}
