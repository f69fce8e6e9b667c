//! Organizations (`docs/organizations.md`): a tree inside a tenant, with
//! users as members of any number of its nodes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One organization.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Organization {
    /// `org_…`, stable across renames and moves.
    pub id: String,
    pub tenant: String,
    /// Unique among its siblings: a letter, then `a-z 0-9 -`.
    pub name: String,
    /// Names from the root, `acme/engineering/platform`: what `{org}` takes
    /// besides the id.
    pub path: String,
    /// The parent's id; null for a root.
    pub parent: Option<String>,
    /// 1 for a root.
    pub depth: u32,
    pub display_name: String,
    /// `company`, `department`, `team`, or any name of that form.
    #[serde(rename = "type")]
    pub kind: String,
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// Direct members.
    pub members: u64,
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// A list of organizations in tree order (each after its parent, siblings
/// by name), at most `limits::ORG_LIST` of them.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct OrganizationList {
    pub items: Vec<Organization>,
    /// More organizations matched than the list holds.
    pub truncated: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganization {
    #[schemars(length(max = crate::limits::NAME), pattern(crate::limits::NAME_PATTERN))]
    pub name: String,
    /// The parent (id or path); absent: a root.
    #[serde(default)]
    #[schemars(length(max = crate::limits::ORG_REF))]
    pub parent: Option<String>,
    /// Default: the name.
    #[serde(default)]
    #[schemars(length(max = crate::limits::TENANT_NAME))]
    pub display_name: Option<String>,
    /// Default: `team`.
    #[serde(default, rename = "type")]
    #[schemars(length(max = crate::limits::NAME), pattern(crate::limits::NAME_PATTERN))]
    pub kind: Option<String>,
    #[serde(default)]
    #[schemars(extend("maxProperties" = crate::limits::ORG_METADATA_KEYS))]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Rename or change an organization; absent fields stay.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganization {
    #[serde(default)]
    #[schemars(length(max = crate::limits::NAME), pattern(crate::limits::NAME_PATTERN))]
    pub name: Option<String>,
    #[serde(default)]
    #[schemars(length(max = crate::limits::TENANT_NAME))]
    pub display_name: Option<String>,
    #[serde(default, rename = "type")]
    #[schemars(length(max = crate::limits::NAME), pattern(crate::limits::NAME_PATTERN))]
    pub kind: Option<String>,
    /// Replaces the metadata.
    #[serde(default)]
    #[schemars(extend("maxProperties" = crate::limits::ORG_METADATA_KEYS))]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Body of `POST /orgs/{org}/move`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MoveOrganization {
    /// The new parent (id or path); null: make it a root.
    #[serde(default)]
    #[schemars(length(max = crate::limits::ORG_REF))]
    pub parent: Option<String>,
}

/// Query of `DELETE /orgs/{org}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OrgDeleteQuery {
    /// Delete the whole subtree with its memberships (otherwise an
    /// organization with children or members is refused).
    #[serde(default)]
    pub cascade: Option<bool>,
}

/// Query of `GET /orgs`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OrgListQuery {
    /// Only the children of this organization (id or path).
    #[serde(default)]
    #[schemars(length(max = crate::limits::ORG_REF))]
    pub parent: Option<String>,
}

/// Body of `POST /orgs/{org}/members`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    /// A user of the tenant, by id or username.
    #[schemars(length(max = crate::limits::USERNAME))]
    pub user: String,
}

/// Query of `GET /orgs/{org}/members`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MemberQuery {
    /// Members of every organization of the subtree too (each user once).
    #[serde(default)]
    pub recursive: Option<bool>,
    #[serde(default)]
    #[schemars(length(max = crate::limits::ID))]
    pub cursor: Option<String>,
    #[serde(default)]
    #[schemars(range(min = 1, max = crate::MAX_PAGE_SIZE))]
    pub limit: Option<u64>,
}

/// A member, and the organization it was found in.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Member {
    pub user_id: String,
    pub username: String,
    pub email: String,
    /// The organization of the membership (with `recursive`: the first in
    /// tree order where the user is a member).
    pub organization: String,
    pub added_at: String,
}

/// A page of members, in tree order then by user id.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct MemberPage {
    pub items: Vec<Member>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Body of `POST /orgs/{org}/roles`: grant a role on the organization.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GrantOrgRole {
    /// A user of the tenant, by id or username.
    #[schemars(length(max = crate::limits::USERNAME))]
    pub user: String,
    /// A built-in role (`org-admin`, …) or a custom role of the tenant.
    #[schemars(length(max = crate::limits::NAME))]
    pub role: String,
}

/// A role granted on an organization: it holds there and below.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct OrgRole {
    /// The organization it is granted on (id).
    pub org_id: String,
    /// That organization's path of names.
    pub organization: String,
    pub user_id: String,
    pub username: String,
    pub role: String,
    pub granted_at: String,
}

/// Roles that reach an organization (granted on it or on an ancestor), or
/// that a user holds on organizations; in tree order.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct OrgRoleList {
    pub items: Vec<OrgRole>,
    /// More than `limits::ORG_LIST` matched; the rest are left off.
    pub truncated: bool,
}
