//! Events that services publish (docs/events.md, "Publishing events"): who
//! may publish which types. Pure; the API and the store call these, so the
//! rule lives here once.

use crate::Invalid;

use plat_proto::catalog;

/// Whether `kind` is an aggregate kind of plat's own events (the catalog's,
/// `plat_proto::catalog`). A published event may not name one: it would
/// join the delivery order of a user (or organization, ...) and take a
/// version a receiver expects from plat.
pub fn is_reserved_kind(kind: &str) -> bool {
    catalog::aggregate_kinds().any(|k| k == kind)
}

/// The kind of aggregate a publisher names: a name (`file`), not one of plat's.
pub fn validate_aggregate_kind(field: &str, kind: &str) -> Result<(), Invalid> {
    crate::validate_name(field, kind)?;
    if is_reserved_kind(kind) {
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

/// The namespace of plat's (`user.`, `organization.`: every namespace of
/// the catalog, and `plat.`) that a type or pattern reaches, if any. No
/// service may publish there, and no account may be granted it: a
/// subscriber trusts that a `user.updated` comes from plat.
fn reserved(pattern: &str) -> Option<&'static str> {
    catalog::namespaces().find(|prefix| {
        // A pattern reaches a reserved namespace when it starts with it, or
        // when it is a wildcard that could expand into it (`*`, `us*`).
        pattern.starts_with(prefix)
            || pattern.split('*').next().is_some_and(|head| prefix.starts_with(head) && pattern.contains('*'))
            || catalog::ALL.iter().any(|t| t.namespace() == *prefix && crate::glob_matches(pattern, t.name))
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
    fn every_type_plat_emits_is_refused_and_no_pattern_covering_one_is_granted() {
        for t in catalog::ALL {
            assert!(may_publish(&list(&["*"]), t.name).is_err(), "{}", t.name);
            assert!(may_publish(&list(&[t.name]), t.name).is_err(), "{}", t.name);
            for pattern in
                [t.name.to_owned(), format!("{}*", t.namespace()), format!("*.{}", &t.name[t.namespace().len()..])]
            {
                assert!(validate_publish_patterns(&list(&[&pattern])).is_err(), "{pattern}");
            }
            assert!(validate_aggregate_kind("aggregate.kind", t.aggregate).is_err(), "{}", t.aggregate);
        }
        // The namespace was left out of the hand-written list once.
        assert!(may_publish(&list(&["*"]), "organization.deleted").is_err());
        assert!(validate_publish_patterns(&list(&["organization.*"])).is_err());
        assert!(validate_publish_patterns(&list(&["org*"])).is_err());
        assert!(validate_aggregate_kind("aggregate.kind", "organization").is_err());
        // Types of its own a service may still have.
        assert!(validate_publish_patterns(&list(&["organizer.*", "users_report.done"])).is_ok());
    }

    #[test]
    fn a_publisher_never_joins_the_order_of_plats_aggregates() {
        for kind in catalog::aggregate_kinds() {
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
