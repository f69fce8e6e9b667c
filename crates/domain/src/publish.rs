//! Events that services publish (docs/events.md, "Publishing events"): who
//! may publish which types. Pure; the API and the store call these, so the
//! rule lives here once.

use crate::Invalid;

/// Event types plat itself emits. No service may publish under them, and
/// no account may be granted them: a subscriber trusts that a
/// `user.updated` comes from plat.
pub const RESERVED_PREFIXES: &[&str] = &["user.", "tenant.", "role.", "service_account.", "service.", "sync.", "plat."];

/// Aggregate kinds plat's own events use. A published event may not name
/// one: it would join the delivery order of a user (or tenant, ...) and
/// take a version a receiver expects from plat.
pub const RESERVED_KINDS: &[&str] = &["user", "tenant", "role", "service", "service_account"];

/// The kind of aggregate a publisher names: a name (`file`), not one of plat's.
pub fn validate_aggregate_kind(field: &str, kind: &str) -> Result<(), Invalid> {
    crate::validate_name(field, kind)?;
    if RESERVED_KINDS.contains(&kind) {
        return Err(Invalid::new(
            field,
            format!("{kind:?} is an aggregate kind of plat's own events; name your own (file)"),
        ));
    }
    Ok(())
}

/// The largest `data` of one published event, serialised.
pub const MAX_DATA_BYTES: usize = 64 * 1024;

/// The most events one batch publishes.
pub const MAX_BATCH: usize = 1000;

/// An exact event type: lower-case segments of letters, digits and `_`,
/// separated by dots, at least two (`file.uploaded`), at most 100 characters.
pub fn validate_event_type(field: &str, event_type: &str) -> Result<(), Invalid> {
    let segments_ok = event_type
        .split('.')
        .all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
    if event_type.len() > 100 || !event_type.contains('.') || !segments_ok {
        return Err(Invalid::new(
            field,
            format!("{event_type:?} is not an event type: use lower-case dotted names such as file.uploaded"),
        ));
    }
    Ok(())
}

fn reserved(pattern: &str) -> Option<&'static str> {
    RESERVED_PREFIXES.iter().copied().find(|prefix| {
        // A pattern reaches a reserved prefix when it starts with it, or
        // when it is a wildcard that could expand into it (`*`, `us*`).
        pattern.starts_with(prefix)
            || pattern.split('*').next().is_some_and(|head| prefix.starts_with(head) && pattern.contains('*'))
    })
}

/// The patterns a service account may publish (`file.*`, `report.done`):
/// valid globs, none reaching a type plat emits.
pub fn validate_publish_patterns(patterns: &[String]) -> Result<(), Invalid> {
    if patterns.len() > 50 {
        return Err(Invalid::new("publishes", "give at most 50 event patterns"));
    }
    for pattern in patterns {
        crate::validate_glob("publishes", pattern)?;
        let ok = pattern.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._*".contains(&b));
        if !ok {
            return Err(Invalid::new(
                "publishes",
                format!("{pattern:?} is not an event pattern: use lower-case names with '.', '_' and '*' (file.*)"),
            ));
        }
        if let Some(prefix) = reserved(pattern) {
            return Err(Invalid::new(
                "publishes",
                format!(
                    "{pattern:?} reaches {prefix}*, which only plat emits; grant the service's own prefix (file.*)"
                ),
            ));
        }
    }
    Ok(())
}

/// Whether an account granted `patterns` may publish `event_type`; the
/// refusal says why.
pub fn may_publish(patterns: &[String], event_type: &str) -> Result<(), String> {
    if let Some(prefix) = reserved(event_type) {
        return Err(format!("{event_type} is a type only plat emits ({prefix}*)"));
    }
    if patterns.iter().any(|p| crate::glob_matches(p, event_type)) {
        return Ok(());
    }
    if patterns.is_empty() {
        return Err("this service account may not publish events: grant it patterns with \
                    `platctl service-account update NAME --publishes 'file.*'`"
            .into());
    }
    Err(format!("{event_type} is not among the types this service account may publish ({})", patterns.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_service_publishes_only_what_it_was_granted() {
        let granted = list(&["file.*", "report.done"]);
        assert!(may_publish(&granted, "file.uploaded").is_ok());
        assert!(may_publish(&granted, "report.done").is_ok());
        assert!(may_publish(&granted, "report.failed").expect_err("not granted").contains("not among"));
        assert!(may_publish(&[], "file.uploaded").expect_err("nothing granted").contains("--publishes"));
    }

    #[test]
    fn nobody_publishes_or_is_granted_what_plat_emits() {
        assert!(may_publish(&list(&["*"]), "user.created").expect_err("reserved").contains("only plat"));
        assert!(may_publish(&list(&["*"]), "sync.ping").is_err());
        for bad in ["*", "user.*", "us*", "tenant.created", "*.created"] {
            assert!(validate_publish_patterns(&list(&[bad])).is_err(), "{bad}");
        }
        for good in ["file.*", "files.*", "report.done", "billing.invoice_paid"] {
            assert!(validate_publish_patterns(&list(&[good])).is_ok(), "{good}");
        }
    }

    #[test]
    fn a_publisher_never_joins_the_order_of_plats_aggregates() {
        for kind in RESERVED_KINDS {
            assert!(validate_aggregate_kind("aggregate.kind", kind).is_err(), "{kind}");
        }
        assert!(validate_aggregate_kind("aggregate.kind", "file").is_ok());
        assert!(validate_aggregate_kind("aggregate.kind", "File").is_err());
    }

    #[test]
    fn event_types_are_dotted_lower_case_names() {
        for good in ["file.uploaded", "system.job_failed", "a.b.c2"] {
            assert!(validate_event_type("type", good).is_ok(), "{good}");
        }
        for bad in ["file", "File.uploaded", "file..x", ".x", "file.*", "file uploaded", ""] {
            assert!(validate_event_type("type", bad).is_err(), "{bad:?}");
        }
    }
}
