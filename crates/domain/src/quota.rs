//! Quotas (`docs/quotas.md`): resource names, the thresholds that raise
//! `tenant.quota_warning` and `tenant.quota_exceeded`, reservation lifetimes
//! and the periods after which usage starts again from zero.

use std::time::Duration;

use plat_proto::QuotaPeriod;
use plat_proto::limits;
use time::{Date, Month, OffsetDateTime, Time};

use crate::Invalid;

/// The resource plat counts itself (`tenants.max_users`, `user_count`).
pub const USERS: &str = "users";

/// A reservation's lifetime when the caller names none.
pub const DEFAULT_RESERVATION_TTL: Duration = Duration::from_secs(300);
/// The longest a reservation may hold an amount.
pub const MAX_RESERVATION_TTL: Duration = Duration::from_secs(24 * 3600);

/// The thresholds, in percent of the limit.
pub const WARNING: u8 = 80;
pub const EXCEEDED: u8 = 100;

/// Check a resource name: a letter, then letters, digits, `_`, `.`, `-`.
pub fn validate_resource(field: &str, name: &str) -> Result<(), Invalid> {
    let bytes = name.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.len() <= limits::QUOTA_RESOURCE
        && bytes[0].is_ascii_lowercase()
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(Invalid::new(
            field,
            format!(
                "{name:?} is not a resource name: a lowercase letter, then up to {} of a-z, 0-9, '_', '.', '-'",
                limits::QUOTA_RESOURCE - 1
            ),
        ))
    }
}

/// Check a reservation's lifetime (default [`DEFAULT_RESERVATION_TTL`]).
pub fn reservation_ttl(ttl: Option<&str>) -> Result<Duration, Invalid> {
    let Some(text) = ttl else { return Ok(DEFAULT_RESERVATION_TTL) };
    let ttl = crate::parse_duration("ttl", text)?;
    if ttl < Duration::from_secs(1) || ttl > MAX_RESERVATION_TTL {
        return Err(Invalid::new("ttl", "must be from 1s to 24h"));
    }
    Ok(ttl)
}

/// The threshold `used` stands at: 0, [`WARNING`] or [`EXCEEDED`].
pub fn usage_level(used: u64, limit: Option<u64>) -> u8 {
    match limit {
        None => 0,
        Some(limit) if used >= limit => EXCEEDED,
        // used / limit >= 80%, in integers.
        Some(limit) if u128::from(used) * 100 >= u128::from(limit) * u128::from(WARNING) => WARNING,
        Some(_) => 0,
    }
}

/// How a quota's signalled level moves after a change, and the threshold to
/// announce, if any. A refused request counts as reaching the limit. A level
/// rises with usage and is re-armed only when usage falls below
/// [`WARNING`], so a quota hovering at its limit, or a client retrying a
/// refused request, raises one event, not one per request.
pub fn next_level(stored: u8, used: u64, limit: Option<u64>, refused: bool) -> (u8, Option<u8>) {
    let now = if refused { EXCEEDED } else { usage_level(used, limit) };
    if now > stored {
        (now, Some(now))
    } else if usage_level(used, limit) == 0 {
        (0, None)
    } else {
        (stored, None)
    }
}

/// The event type that announces a threshold.
pub fn level_event(level: u8) -> &'static plat_proto::catalog::EventType {
    use plat_proto::catalog::{TENANT_QUOTA_EXCEEDED, TENANT_QUOTA_WARNING};
    if level >= EXCEEDED { TENANT_QUOTA_EXCEEDED } else { TENANT_QUOTA_WARNING }
}

/// The start of the period `now_ms` falls in (Unix milliseconds, UTC), and
/// the start of the next one; `None` for [`QuotaPeriod::None`].
pub fn period_bounds(period: QuotaPeriod, now_ms: i64) -> Option<(i64, i64)> {
    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;
    match period {
        QuotaPeriod::None => None,
        QuotaPeriod::Hour => {
            let start = now_ms.div_euclid(HOUR) * HOUR;
            Some((start, start + HOUR))
        }
        QuotaPeriod::Day => {
            let start = now_ms.div_euclid(DAY) * DAY;
            Some((start, start + DAY))
        }
        QuotaPeriod::Month => {
            let now = OffsetDateTime::from_unix_timestamp(now_ms.div_euclid(1000)).ok()?;
            let first = Date::from_calendar_date(now.year(), now.month(), 1).ok()?;
            let next = match now.month() {
                Month::December => Date::from_calendar_date(now.year() + 1, Month::January, 1).ok()?,
                month => Date::from_calendar_date(now.year(), month.next(), 1).ok()?,
            };
            let ms = |d: Date| d.with_time(Time::MIDNIGHT).assume_utc().unix_timestamp() * 1000;
            Some((ms(first), ms(next)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names() {
        for ok in ["users", "storage_bytes", "api.calls-per-day", "x"] {
            assert_eq!(validate_resource("resource", ok), Ok(()), "{ok}");
        }
        for bad in ["", "Storage", "1gb", "_x", "a b", "a/b", &"a".repeat(64)] {
            assert!(validate_resource("resource", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn levels_rise_once_and_rearm_below_the_warning() {
        let limit = Some(100);
        assert_eq!(usage_level(79, limit), 0);
        assert_eq!(usage_level(80, limit), WARNING);
        assert_eq!(usage_level(100, limit), EXCEEDED);
        assert_eq!(usage_level(u64::MAX, None), 0);
        assert_eq!(usage_level(u64::MAX, Some(u64::MAX - 1)), EXCEEDED);
        // Up through both thresholds: each announced once.
        assert_eq!(next_level(0, 85, limit, false), (WARNING, Some(WARNING)));
        assert_eq!(next_level(WARNING, 90, limit, false), (WARNING, None));
        assert_eq!(next_level(WARNING, 100, limit, false), (EXCEEDED, Some(EXCEEDED)));
        // Hovering at the limit, or refusals, announce nothing more.
        assert_eq!(next_level(EXCEEDED, 95, limit, false), (EXCEEDED, None));
        assert_eq!(next_level(EXCEEDED, 95, limit, true), (EXCEEDED, None));
        // A refusal at 50% is the limit reached for the asker.
        assert_eq!(next_level(0, 50, limit, true), (EXCEEDED, Some(EXCEEDED)));
        // Below 80% re-arms both.
        assert_eq!(next_level(EXCEEDED, 79, limit, false), (0, None));
        assert_eq!(next_level(0, 80, limit, false), (WARNING, Some(WARNING)));
    }

    #[test]
    fn periods_are_utc_hours_days_and_months() {
        // 2026-12-31T23:30:00Z
        let now = 1_798_759_800_000;
        assert_eq!(period_bounds(QuotaPeriod::None, now), None);
        assert_eq!(period_bounds(QuotaPeriod::Hour, now), Some((1_798_758_000_000, 1_798_761_600_000)));
        assert_eq!(period_bounds(QuotaPeriod::Day, now), Some((1_798_675_200_000, 1_798_761_600_000)));
        // December 2026 to January 2027.
        assert_eq!(period_bounds(QuotaPeriod::Month, now), Some((1_796_083_200_000, 1_798_761_600_000)));
    }

    #[test]
    fn reservation_lifetimes() {
        assert_eq!(reservation_ttl(None), Ok(DEFAULT_RESERVATION_TTL));
        assert_eq!(reservation_ttl(Some("30s")), Ok(Duration::from_secs(30)));
        assert!(reservation_ttl(Some("0s")).is_err());
        assert!(reservation_ttl(Some("25h")).is_err());
        assert!(reservation_ttl(Some("soon")).is_err());
    }
}
