//! How long a person's session lives (docs/sessions.md): the tenant's
//! settings over the daemon's defaults, and what a tenant may set.

use std::time::Duration;

use plat_proto::TenantSecurity;

use crate::{Invalid, parse_duration};

/// The shortest and longest lifetime a tenant may set.
pub const SHORTEST: Duration = Duration::from_secs(60);
pub const LONGEST: Duration = Duration::from_secs(365 * 86_400);

/// A session's lifetimes: unused (`idle`, renewed by each refresh) and at
/// most from its login (`lifetime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    pub idle: Duration,
    pub lifetime: Duration,
}

impl Lifetimes {
    /// The tenant's lifetimes: what it set, else `defaults`. Settings are
    /// validated when stored, so one that does not parse (written by hand
    /// into the database) falls back to the default rather than failing
    /// every login.
    pub fn of(security: &TenantSecurity, defaults: Lifetimes) -> Lifetimes {
        let pick = |set: &Option<String>, default: Duration| {
            set.as_deref().and_then(|text| parse_duration("", text).ok()).unwrap_or(default)
        };
        Lifetimes {
            idle: pick(&security.session_idle, defaults.idle),
            lifetime: pick(&security.session_lifetime, defaults.lifetime),
        }
    }

    /// The idle lifetime in milliseconds, as a session stores it.
    pub fn idle_ms(&self) -> i64 {
        self.idle.as_millis() as i64
    }

    /// The absolute lifetime in milliseconds.
    pub fn lifetime_ms(&self) -> i64 {
        self.lifetime.as_millis() as i64
    }
}

/// When a refresh token issued at `now` in a session expires: unused for
/// the session's idle lifetime, and never past the session's end.
/// The `acr` of a session begun as `amr` says (OIDC Core §2, levels as
/// Keycloak numbers them): `"2"` for two factors (`mfa` in `amr`: a code
/// or a passkey after a password, or a user-verified passkey alone),
/// `"1"` for one.
pub fn acr_of(amr: &[String]) -> &'static str {
    if amr.iter().any(|m| m == "mfa") { "2" } else { "1" }
}

pub fn refresh_until(now: i64, idle_ms: i64, session_expires_at: i64) -> i64 {
    now.saturating_add(idle_ms).min(session_expires_at)
}

/// Check a tenant's security settings before they are stored.
pub fn validate_security(security: &TenantSecurity) -> Result<(), Invalid> {
    for (field, value) in
        [("security.session_idle", &security.session_idle), ("security.session_lifetime", &security.session_lifetime)]
    {
        let Some(text) = value else { continue };
        let d = parse_duration(field, text)?;
        if !(SHORTEST..=LONGEST).contains(&d) {
            return Err(Invalid::new(field, format!("{text:?} must be between 1m and 365d")));
        }
    }
    for role in security.mfa_roles.as_deref().unwrap_or_default() {
        crate::validate_name("security.mfa_roles", role)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: Lifetimes =
        Lifetimes { idle: Duration::from_secs(30 * 86_400), lifetime: Duration::from_secs(90 * 86_400) };

    fn security(idle: Option<&str>, lifetime: Option<&str>) -> TenantSecurity {
        TenantSecurity {
            session_idle: idle.map(str::to_owned),
            session_lifetime: lifetime.map(str::to_owned),
            ..Default::default()
        }
    }

    #[test]
    fn a_tenant_setting_overrides_the_default_and_garbage_falls_back() {
        let l = Lifetimes::of(&security(Some("8h"), None), DEFAULTS);
        assert_eq!(l.idle, Duration::from_secs(8 * 3600));
        assert_eq!(l.lifetime, DEFAULTS.lifetime);
        assert_eq!(Lifetimes::of(&security(Some("soon"), Some("1d")), DEFAULTS).idle, DEFAULTS.idle);
    }

    #[test]
    fn a_refresh_token_never_outlives_its_session() {
        let l = Lifetimes { idle: Duration::from_secs(3600), lifetime: Duration::from_secs(5400) };
        let ends = l.lifetime_ms();
        assert_eq!((ends, refresh_until(0, l.idle_ms(), ends)), (5_400_000, 3_600_000));
        assert_eq!(refresh_until(3_000_000, l.idle_ms(), ends), 5_400_000);
    }

    #[test]
    fn settings_are_bounded() {
        assert!(validate_security(&security(Some("8h"), Some("30d"))).is_ok());
        assert!(validate_security(&security(Some("59s"), None)).is_err());
        assert!(validate_security(&security(None, Some("366d"))).is_err());
        let e = validate_security(&security(Some("later"), None)).expect_err("not a duration");
        assert_eq!(e.field, "security.session_idle");
    }
}
