//! `*` globs (event type patterns of sync targets, `type=`/`action=` list
//! filters): `validate_glob`, `glob_matches` and the SQL `LIKE` pattern the
//! store runs (`like_pattern`, `like_escape`).
//!
//! Properties: `glob_matches` agrees with a plain dynamic-programming glob
//! matcher; the LIKE pattern, run by a reference `LIKE ... ESCAPE '\'`
//! matcher (case-sensitive, as PostgreSQL's), matches the same names; an
//! escaped text as a LIKE pattern matches only itself; a validated glob is
//! short, has few wildcards and no control characters. Matching stays fast
//! (libFuzzer's `-timeout` flags a slow input).
#![no_main]

use libfuzzer_sys::fuzz_target;
use plat_domain::{MAX_GLOB_LEN, MAX_GLOB_STARS, glob_matches, like_escape, like_pattern, validate_glob};

/// `*` matches any run of characters; everything else itself.
fn reference_glob(pattern: &[char], name: &[char]) -> bool {
    // matched[j]: the pattern so far matches name[..j].
    let mut matched = vec![false; name.len() + 1];
    matched[0] = true;
    for p in pattern {
        let mut next = vec![false; name.len() + 1];
        for j in 0..=name.len() {
            next[j] = if *p == '*' {
                matched[j] || (j > 0 && next[j - 1])
            } else {
                j > 0 && matched[j - 1] && name[j - 1] == *p
            };
        }
        matched = next;
    }
    matched[name.len()]
}

enum Like {
    Any,
    One,
    Char(char),
}

/// SQL `value LIKE pattern ESCAPE '\'`, case-sensitive.
fn reference_like(pattern: &str, value: &[char]) -> bool {
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '%' => Like::Any,
            '_' => Like::One,
            // A trailing escape is an error in SQL; the store never makes one.
            '\\' => Like::Char(chars.next().expect("an escape escapes something")),
            c => Like::Char(c),
        });
    }
    let mut matched = vec![false; value.len() + 1];
    matched[0] = true;
    for t in &tokens {
        let mut next = vec![false; value.len() + 1];
        for j in 0..=value.len() {
            next[j] = match t {
                Like::Any => matched[j] || (j > 0 && next[j - 1]),
                Like::One => j > 0 && matched[j - 1],
                Like::Char(c) => j > 0 && matched[j - 1] && value[j - 1] == *c,
            };
        }
        matched = next;
    }
    matched[value.len()]
}

fuzz_target!(|data: &[u8]| {
    // The pattern, a newline, the name (which may hold more newlines).
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (pattern, name) = text.split_once('\n').unwrap_or((text, ""));
    let valid = validate_glob("type", pattern).is_ok();
    if valid {
        assert!(!pattern.is_empty() && pattern.len() <= MAX_GLOB_LEN);
        assert!(pattern.matches('*').count() <= MAX_GLOB_STARS);
        assert!(!pattern.chars().any(char::is_control));
    }
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let matches = glob_matches(pattern, name);
    assert_eq!(matches, reference_glob(&p, &n), "glob {pattern:?} on {name:?}");
    assert_eq!(reference_like(&like_pattern(pattern), &n), matches, "LIKE {:?} on {name:?}", like_pattern(pattern));
    assert!(reference_like(&like_escape(name), &n));
    assert_eq!(reference_like(&like_escape(pattern), &n), pattern == name);
});
