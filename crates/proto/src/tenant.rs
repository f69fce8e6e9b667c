//! Tenants.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Quotas {
    /// Largest number of (non-deleted) users; null means unlimited.
    #[serde(default)]
    pub max_users: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Usage {
    pub users: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Tenant {
    pub slug: String,
    pub name: String,
    /// `active` or `suspended`.
    pub status: String,
    pub quotas: Quotas,
    pub usage: Usage,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    #[schemars(length(max = crate::limits::SLUG), pattern(crate::limits::SLUG_PATTERN))]
    pub slug: String,
    #[serde(default)]
    #[schemars(length(max = crate::limits::TENANT_NAME))]
    pub name: Option<String>,
    #[serde(default)]
    pub quotas: Option<Quotas>,
}

/// Query of `DELETE /tenants/{slug}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TenantDeleteQuery {
    /// Delete the tenant's users too (otherwise a tenant with users is refused).
    #[serde(default)]
    pub cascade: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenant {
    #[serde(default)]
    #[schemars(length(max = crate::limits::TENANT_NAME))]
    pub name: Option<String>,
    #[serde(default)]
    pub quotas: Option<Quotas>,
}
