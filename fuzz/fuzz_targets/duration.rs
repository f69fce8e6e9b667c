//! Human durations (`15m`, `1h30m`, `500ms`) from configuration, query
//! parameters (`since`, `older_than`) and request bodies (`ttl`, `timeout`).
//!
//! Properties: `parse_duration` accepts only whole milliseconds that fit a
//! `u64`; `format_duration` renders them in a form that parses back to the
//! same duration and is its own canonical form; `millis_before` never
//! overflows and never lies after "now".
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use plat_domain::{format_duration, millis_before, parse_duration};

fn round_trips(d: Duration) {
    let text = format_duration(d);
    let again = parse_duration("d", &text).unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"));
    assert_eq!(again, d, "{text:?}");
    assert_eq!(format_duration(again), text);
}

fuzz_target!(|data: &[u8]| {
    // Any duration plat can render: 8 bytes of milliseconds.
    if let Some(bytes) = data.get(..8) {
        let millis = u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
        round_trips(Duration::from_millis(millis));
        let now = i64::from_le_bytes(bytes.try_into().expect("8 bytes"));
        let before = millis_before(now, Duration::from_millis(millis));
        assert!(before <= now);
    }
    // Any text a client sends.
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse_duration("d", text) {
        Ok(d) => {
            assert_eq!(d.subsec_nanos() % 1_000_000, 0, "whole milliseconds");
            assert!(u64::try_from(d.as_millis()).is_ok());
            round_trips(d);
            for now in [0, 1_700_000_000_000, i64::MIN, i64::MAX] {
                assert!(millis_before(now, d) <= now);
            }
        }
        Err(e) => {
            assert_eq!(e.field, "d");
            assert!(e.message.ends_with("is not a duration such as 30s, 15m, 12h or 30d"));
        }
    }
});
