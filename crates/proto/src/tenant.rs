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
    /// How its people sign in and how long their sessions last.
    #[serde(default)]
    pub security: TenantSecurity,
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
    /// Changes the tenant's security settings: each field given replaces
    /// the current one, `""` (`[]` for `mfa_roles`) restores its default,
    /// absent ones stay.
    #[serde(default)]
    pub security: Option<TenantSecurity>,
}

/// A tenant's sign-in rules (docs/sessions.md). Unset fields take the
/// daemon's defaults (`auth.refresh_ttl`, `auth.session_lifetime`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TenantSecurity {
    /// How long a session lives unused, as a duration (`8h`): its refresh
    /// token's lifetime, renewed by every refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::TIME))]
    pub session_idle: Option<String>,
    /// How long a session lives at most from its login, used or not (`30d`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::TIME))]
    pub session_lifetime: Option<String>,
    /// Second factors (docs/mfa.md): `optional` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa: Option<MfaPolicy>,
    /// Under `optional`, holders of these roles must have a second factor
    /// all the same (`["tenant-admin"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(max = crate::limits::ROLES),
        inner(length(max = crate::limits::NAME), pattern(crate::limits::NAME_PATTERN))
    )]
    pub mfa_roles: Option<Vec<String>>,
}

/// Whether a tenant's people use second factors (docs/mfa.md).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MfaPolicy {
    /// Nobody may enrol one (factors enrolled before are still asked for).
    Off,
    /// Whoever enrols one is asked for it; `mfa_roles` must.
    #[default]
    Optional,
    /// Everyone must: a login without one may only enrol
    /// (`MFA_ENROLLMENT_REQUIRED`).
    Required,
}

impl TenantSecurity {
    /// Whether a person holding `roles` must have a second factor.
    pub fn mfa_required_for(&self, roles: &[String]) -> bool {
        match self.mfa.unwrap_or_default() {
            MfaPolicy::Required => true,
            MfaPolicy::Off => false,
            MfaPolicy::Optional => self.mfa_roles.as_deref().unwrap_or_default().iter().any(|r| roles.contains(r)),
        }
    }
}

/// How often a quota's usage starts again from zero (`docs/quotas.md`).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum QuotaPeriod {
    /// Usage only changes when it is committed or released.
    #[default]
    None,
    /// Usage starts from zero at the top of every hour (UTC).
    Hour,
    /// … at midnight UTC.
    Day,
    /// … on the first of every month, midnight UTC.
    Month,
}

names!(QuotaPeriod { None = "none", Hour = "hour", Day = "day", Month = "month" });

/// One resource's quota in a tenant: its limit and what is used of it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Quota {
    /// `users` (kept by plat), or any name a service uses (`storage_bytes`).
    pub resource: String,
    /// Null: unlimited (usage is still counted).
    pub limit: Option<u64>,
    /// Committed usage.
    pub used: u64,
    /// Held by reservations that are neither committed, released nor expired.
    pub reserved: u64,
    /// `limit - used - reserved`; null when unlimited.
    pub remaining: Option<u64>,
    pub period: QuotaPeriod,
    /// When usage next starts from zero (a period other than `none`).
    #[serde(default)]
    pub resets_at: Option<String>,
    /// The highest threshold signalled since usage was last below 80%: 0, 80 or 100.
    pub level: u8,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct QuotaList {
    pub items: Vec<Quota>,
}

/// Body of `PUT /tenants/{slug}/quotas/{resource}`: declare a quota or
/// change it. `users` takes only `limit` (its usage is plat's count).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SetQuota {
    /// Null or absent: unlimited.
    #[serde(default)]
    pub limit: Option<u64>,
    /// Absent: unchanged (`none` for a new quota).
    #[serde(default)]
    pub period: Option<QuotaPeriod>,
    /// Set the usage outright (a correction); absent: unchanged.
    #[serde(default)]
    pub used: Option<u64>,
}

/// Body of `…/check`: would `amount` more fit?
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QuotaCheck {
    pub amount: u64,
}

/// The answer of `…/check`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct QuotaDecision {
    pub allowed: bool,
    pub amount: u64,
    /// What is left before this amount; null when unlimited.
    pub remaining: Option<u64>,
    pub quota: Quota,
}

/// Body of `…/reserve`: hold `amount` until it is committed, released or
/// `ttl` passes (default 5m, at most 24h).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReserveQuota {
    pub amount: u64,
    #[serde(default)]
    #[schemars(length(max = crate::limits::TIME))]
    pub ttl: Option<String>,
}

/// A held amount (`…/reserve`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct QuotaReservation {
    /// `rsv_…`: what `…/commit` and `…/release` take.
    pub id: String,
    pub resource: String,
    pub amount: u64,
    pub expires_at: String,
    pub quota: Quota,
}

/// Body of `…/commit` and `…/release`.
///
/// - commit `{reservation}`: the held amount becomes usage (`amount`, when
///   given, commits less and gives the rest back);
/// - commit `{amount}`: uses `amount` at once, refused past the limit;
/// - release `{reservation}`: gives the held amount back;
/// - release `{amount}`: gives back `amount` of usage (a file deleted).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SettleQuota {
    #[serde(default)]
    #[schemars(length(max = crate::limits::ID))]
    pub reservation: Option<String>,
    #[serde(default)]
    pub amount: Option<u64>,
}

impl TenantSecurity {
    /// These settings changed by `patch`: each field it gives replaces
    /// this one's; `""` (a lifetime) or `[]` (`mfa_roles`) restores the default.
    pub fn patched(&self, patch: &TenantSecurity) -> TenantSecurity {
        let pick = |current: &Option<String>, given: &Option<String>| match given.as_deref() {
            None => current.clone(),
            Some("") => None,
            Some(value) => Some(value.to_owned()),
        };
        TenantSecurity {
            session_idle: pick(&self.session_idle, &patch.session_idle),
            session_lifetime: pick(&self.session_lifetime, &patch.session_lifetime),
            mfa: patch.mfa.or(self.mfa),
            mfa_roles: match &patch.mfa_roles {
                Some(roles) if roles.is_empty() => None,
                Some(roles) => Some(roles.clone()),
                None => self.mfa_roles.clone(),
            },
        }
    }
}
