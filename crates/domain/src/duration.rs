//! Human durations (`15m`, `30d`, `1h30m`, `500ms`) as used in configuration,
//! API parameters and CLI flags.

use std::time::Duration;

use crate::Invalid;

/// Parse a duration made of `<number><unit>` parts; units `ms`, `s`, `m`,
/// `h`, `d`, `w`. A bare number is refused: `10` is ambiguous.
pub fn parse_duration(field: &str, text: &str) -> Result<Duration, Invalid> {
    let invalid = || Invalid::new(field, format!("{text:?} is not a duration such as 30s, 15m, 12h or 30d"));
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(invalid)?;
        if digits == 0 {
            return Err(invalid());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let millis_per_unit: u64 = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 604_800_000,
            _ => return Err(invalid()),
        };
        rest = &rest[unit_len..];
        total = number.checked_mul(millis_per_unit).and_then(|v| total.checked_add(v)).ok_or_else(invalid)?;
    }
    Ok(Duration::from_millis(total))
}

/// The shortest exact rendering of a duration (`90s` → `1m30s`).
pub fn format_duration(duration: Duration) -> String {
    let mut millis = duration.as_millis();
    if millis == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400_000u128), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)] {
        if millis >= size {
            out.push_str(&format!("{}{unit}", millis / size));
            millis %= size;
        }
    }
    out
}

/// Unix milliseconds `back` before `now_ms`, saturating: a client may ask
/// for `since=15250284453w`, more milliseconds than an `i64` holds.
pub fn millis_before(now_ms: i64, back: Duration) -> i64 {
    now_ms.saturating_sub(i64::try_from(back.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        assert_eq!(parse_duration("t", "15m").expect("ok"), Duration::from_secs(900));
        assert_eq!(parse_duration("t", "1h30m").expect("ok"), Duration::from_secs(5400));
        assert_eq!(parse_duration("t", "30d").expect("ok"), Duration::from_secs(30 * 86400));
        assert_eq!(parse_duration("t", "250ms").expect("ok"), Duration::from_millis(250));
        for bad in ["", "10", "m", "5x", "1.5h", "-1s", "99999999999999999999d"] {
            assert!(parse_duration("t", bad).is_err(), "{bad}");
        }
        assert_eq!(format_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_duration(Duration::from_secs(86400)), "1d");
    }

    #[test]
    fn times_before_now_saturate() {
        assert_eq!(millis_before(10_000, Duration::from_secs(3)), 7_000);
        let longest = parse_duration("t", &format!("{}ms", u64::MAX)).expect("ok");
        assert_eq!(millis_before(1_700_000_000_000, longest), 1_700_000_000_000 - i64::MAX);
        assert_eq!(millis_before(-5, longest), i64::MIN);
    }
}
