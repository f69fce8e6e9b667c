//! Users: account, profile, statistics and roles, plus bulk import/export lines.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Profile {
    pub nickname: String,
    pub avatar_url: String,
    pub bio: String,
}

/// Profile fields to set; absent fields are left as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    #[serde(default)]
    #[schemars(length(max = crate::limits::NICKNAME))]
    pub nickname: Option<String>,
    /// Empty, or an absolute `http(s)://` URL.
    #[serde(default)]
    #[schemars(length(max = crate::limits::URL))]
    pub avatar_url: Option<String>,
    #[serde(default)]
    #[schemars(length(max = crate::limits::BIO))]
    pub bio: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct UserStats {
    pub login_count: u64,
    pub last_login_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct User {
    /// UUIDv7.
    pub id: String,
    pub tenant: String,
    pub username: String,
    pub email: String,
    /// `active`, `disabled`, `locked` or `deleted`.
    pub status: String,
    pub roles: Vec<String>,
    pub profile: Profile,
    pub stats: UserStats,
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schemars(length(max = crate::limits::USERNAME))]
    pub username: String,
    /// An address with a dotted domain.
    #[schemars(length(max = crate::limits::EMAIL), extend("format" = "email"))]
    pub email: String,
    #[serde(default)]
    #[schemars(length(max = crate::limits::PASSWORD))]
    pub password: Option<String>,
    /// Defaults to `["member"]`.
    #[serde(default)]
    #[schemars(
        length(max = crate::limits::ROLES),
        inner(length(max = crate::limits::NAME), pattern(crate::limits::NAME_PATTERN))
    )]
    pub roles: Option<Vec<String>>,
    #[serde(default)]
    pub profile: Option<ProfilePatch>,
    /// Organizations (ids or paths of names) the user joins, in the same
    /// transaction. With them, `users:create` on each (or above) is enough.
    #[serde(default)]
    #[schemars(length(max = crate::limits::USER_ORGS), inner(length(max = crate::limits::ORG_REF)))]
    pub orgs: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// An address with a dotted domain.
    #[serde(default)]
    #[schemars(length(max = crate::limits::EMAIL), extend("format" = "email"))]
    pub email: Option<String>,
    #[serde(default)]
    pub profile: Option<ProfilePatch>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    #[schemars(length(max = crate::limits::PASSWORD))]
    pub password: String,
    /// Changing your own password from a session: keep that session and
    /// end the others (docs/sessions.md). Left out, every session of the
    /// user ends, the caller's too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_session: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GrantRole {
    #[schemars(length(max = crate::limits::NAME))]
    pub role: String,
}

/// Query of `GET /users`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UserListQuery {
    #[schemars(length(max = crate::limits::FILTER))]
    pub status: Option<String>,
    #[schemars(length(max = crate::limits::NAME))]
    pub role: Option<String>,
    #[schemars(length(max = crate::limits::FILTER))]
    pub search: Option<String>,
    #[schemars(range(min = 1, max = crate::limits::PAGE))]
    pub page: Option<u64>,
    #[schemars(range(min = 1, max = crate::MAX_PAGE_SIZE))]
    pub page_size: Option<u64>,
    #[schemars(length(max = crate::limits::ID))]
    pub cursor: Option<String>,
    #[schemars(range(min = 1, max = crate::MAX_PAGE_SIZE))]
    pub limit: Option<u64>,
}

/// Query of `DELETE /users/{user}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UserDeleteQuery {
    /// Remove the user instead of marking it deleted.
    #[serde(default)]
    pub hard: Option<bool>,
}

/// Query of `POST /users/import`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Check every line, create nothing.
    #[serde(default)]
    pub dry_run: Option<bool>,
}

/// One NDJSON line of `POST /users/import`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ImportUser {
    #[schemars(length(max = crate::limits::USERNAME))]
    pub username: String,
    /// An address with a dotted domain.
    #[schemars(length(max = crate::limits::EMAIL), extend("format" = "email"))]
    pub email: String,
    /// A plain password, hashed with argon2id on import.
    #[serde(default)]
    #[schemars(length(max = crate::limits::PASSWORD))]
    pub password: Option<String>,
    /// An existing `$argon2id$...` or `$2b$...` (bcrypt) hash, kept as is.
    #[serde(default)]
    #[schemars(length(max = crate::limits::PASSWORD_HASH))]
    pub password_hash: Option<String>,
    #[serde(default)]
    #[schemars(
        length(max = crate::limits::ROLES),
        inner(length(max = crate::limits::NAME), pattern(crate::limits::NAME_PATTERN))
    )]
    pub roles: Option<Vec<String>>,
    #[serde(default)]
    pub profile: Option<ProfilePatch>,
}

/// A rejected import line.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ImportLineError {
    /// 1-based line number in the uploaded file.
    pub line: u64,
    #[serde(default)]
    pub username: Option<String>,
    pub code: crate::ErrorCode,
    pub message: String,
    #[serde(default)]
    pub field: Option<String>,
}

/// Result of an import: counts and the rejected lines.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ImportReport {
    pub total: u64,
    pub created: u64,
    pub failed: u64,
    pub dry_run: bool,
    pub errors: Vec<ImportLineError>,
}
