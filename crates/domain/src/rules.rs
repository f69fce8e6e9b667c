//! A sync target's rules: which tenants' events it receives, a filter on
//! each event, and which fields of `data` it gets. One compiled [`Rules`]
//! answers all three questions for the store's fan-out (which tasks to
//! create), the dispatcher (what body to send) and the preview endpoint
//! (`platctl sync target test --event`), so they cannot disagree.

use plat_proto::{Selection, TargetRules};
use serde_json::{Map, Value};

use crate::Invalid;
use crate::expr::Expr;

/// The names an event filter may start with: the event envelope's fields.
pub const EVENT_ROOTS: &[&str] = &[
    "id",
    "type",
    "version",
    "timestamp",
    "source",
    "tenant",
    "aggregate",
    "correlation_id",
    "causation_id",
    "data",
    "metadata",
];

/// The most parts of a field path (`profile.address.city` has three).
pub const MAX_FIELD_DEPTH: usize = 8;

/// A target's rules, validated and compiled.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    include_tenants: Vec<String>,
    exclude_tenants: Vec<String>,
    filter: Option<Expr>,
    include_fields: Vec<Vec<String>>,
    exclude_fields: Vec<Vec<String>>,
}

/// Why a target does not get an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    Tenant,
    Filter,
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Skip::Tenant => "the event's tenant is not among the target's rules.tenants",
            Skip::Filter => "rules.filter is not true for the event",
        })
    }
}

fn field_path(field: &str, path: &str) -> Result<Vec<String>, Invalid> {
    let parts: Vec<String> = path.split('.').map(str::to_owned).collect();
    let valid = |p: &String| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !parts.iter().all(valid) {
        return Err(Invalid::new(
            field,
            format!("{path:?} is not a field path: names of letters, digits, `_` and `-`, joined by dots"),
        ));
    }
    if parts.len() > MAX_FIELD_DEPTH {
        return Err(Invalid::new(field, format!("{path:?} has more than {MAX_FIELD_DEPTH} parts")));
    }
    Ok(parts)
}

fn paths(field: &str, items: &[String]) -> Result<Vec<Vec<String>>, Invalid> {
    items.iter().map(|p| field_path(field, p)).collect()
}

fn slugs(field: &str, items: &[String]) -> Result<Vec<String>, Invalid> {
    items.iter().map(|s| crate::validate_slug(field, s).map(|_| s.clone())).collect()
}

impl Rules {
    /// Validate `rules`, naming the field at fault. `None` when there are
    /// none: the target takes every event its patterns match, whole.
    pub fn compile(rules: &TargetRules) -> Result<Option<Rules>, Invalid> {
        if rules.is_empty() {
            return Ok(None);
        }
        let Selection { include, exclude } = &rules.tenants;
        if !include.is_empty() && !exclude.is_empty() {
            return Err(Invalid::new("rules.tenants", "give include or exclude, not both"));
        }
        let filter = match rules.filter.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                Expr::parse(text, EVENT_ROOTS).map_err(|e| Invalid::new("rules.filter", format!("{e} in {text:?}")))?,
            ),
        };
        Ok(Some(Rules {
            include_tenants: slugs("rules.tenants.include", include)?,
            exclude_tenants: slugs("rules.tenants.exclude", exclude)?,
            filter,
            include_fields: paths("rules.fields.include", &rules.fields.include)?,
            exclude_fields: paths("rules.fields.exclude", &rules.fields.exclude)?,
        }))
    }

    /// Whether the rules take events of `tenant`.
    pub fn takes_tenant(&self, tenant: &str) -> bool {
        (self.include_tenants.is_empty() || self.include_tenants.iter().any(|t| t == tenant))
            && !self.exclude_tenants.iter().any(|t| t == tenant)
    }

    /// The tenants a check should compare: `(include, exclude)`.
    pub fn tenant_scope(&self) -> (&[String], &[String]) {
        (&self.include_tenants, &self.exclude_tenants)
    }

    /// Whether the target chooses events by their content, so no check can
    /// know which records it should hold.
    pub fn filters_events(&self) -> bool {
        self.filter.is_some()
    }

    /// Whether the target gets `event` (as JSON), or why not.
    pub fn admits(&self, event: &Value) -> Result<(), Skip> {
        if !self.takes_tenant(event.get("tenant").and_then(Value::as_str).unwrap_or_default()) {
            return Err(Skip::Tenant);
        }
        if let Some(filter) = &self.filter
            && !filter.matches(event)
        {
            return Err(Skip::Filter);
        }
        Ok(())
    }

    /// Whether [`Rules::project`] changes anything.
    pub fn projects(&self) -> bool {
        !self.include_fields.is_empty() || !self.exclude_fields.is_empty()
    }

    /// Cut the event's `data` down to what the target may receive: the
    /// included paths (all when none are), less the excluded ones. Data that
    /// is not an object keeps nothing when paths are included.
    pub fn project(&self, event: &mut Value) {
        let Some(data) = event.get_mut("data") else { return };
        if !self.include_fields.is_empty() {
            let mut kept = Map::new();
            if let Value::Object(from) = data {
                for path in &self.include_fields {
                    copy_path(from, &mut kept, path);
                }
            }
            *data = Value::Object(kept);
        }
        if let Value::Object(map) = data {
            for path in &self.exclude_fields {
                remove_path(map, path);
            }
        }
    }
}

fn copy_path(from: &Map<String, Value>, to: &mut Map<String, Value>, path: &[String]) {
    let Some((first, rest)) = path.split_first() else { return };
    let Some(value) = from.get(first) else { return };
    if rest.is_empty() {
        to.insert(first.clone(), value.clone());
        return;
    }
    let Value::Object(inner) = value else { return };
    let slot = to.entry(first.clone()).or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(slot) = slot {
        copy_path(inner, slot, rest);
    }
}

fn remove_path(map: &mut Map<String, Value>, path: &[String]) {
    match path {
        [] => {}
        [last] => {
            map.remove(last);
        }
        [first, rest @ ..] => {
            if let Some(Value::Object(inner)) = map.get_mut(first) {
                remove_path(inner, rest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sel(include: &[&str], exclude: &[&str]) -> Selection {
        Selection {
            include: include.iter().map(|s| s.to_string()).collect(),
            exclude: exclude.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn event() -> Value {
        json!({"type": "user.updated", "tenant": "acme", "aggregate": {"kind": "user", "id": "u1", "version": 2},
               "data": {"id": "u1", "status": "active", "email": "a@example.com",
                        "profile": {"nickname": "ann", "locale": "de", "email": "x"}, "stats": {"logins": 3}}})
    }

    #[test]
    fn no_rules_compile_to_none() {
        assert!(Rules::compile(&TargetRules::default()).expect("valid").is_none());
    }

    #[test]
    fn tenants_are_included_or_excluded() {
        let only = Rules::compile(&TargetRules { tenants: sel(&["acme"], &[]), ..Default::default() })
            .expect("valid")
            .expect("some");
        assert!(only.admits(&event()).is_ok());
        assert_eq!(only.admits(&json!({"tenant": "globex"})), Err(Skip::Tenant));
        let but = Rules::compile(&TargetRules { tenants: sel(&[], &["acme"]), ..Default::default() })
            .expect("valid")
            .expect("some");
        assert_eq!(but.admits(&event()), Err(Skip::Tenant));
        assert!(but.admits(&json!({"tenant": "globex"})).is_ok());
        let both = Rules::compile(&TargetRules { tenants: sel(&["a1"], &["b1"]), ..Default::default() });
        assert_eq!(both.expect_err("both").field, "rules.tenants");
        let bad = Rules::compile(&TargetRules { tenants: sel(&["Acme!"], &[]), ..Default::default() });
        assert_eq!(bad.expect_err("slug").field, "rules.tenants.include");
    }

    #[test]
    fn the_filter_reads_the_whole_event() {
        let rules = TargetRules {
            filter: Some(r#"data.status == "active" && aggregate.version > 1"#.into()),
            ..Default::default()
        };
        let rules = Rules::compile(&rules).expect("valid").expect("some");
        assert!(rules.admits(&event()).is_ok());
        let mut suspended = event();
        suspended["data"]["status"] = "suspended".into();
        assert_eq!(rules.admits(&suspended), Err(Skip::Filter));
        let typo = Rules::compile(&TargetRules { filter: Some("dat.status == 1".into()), ..Default::default() });
        let err = typo.expect_err("typo");
        assert_eq!(err.field, "rules.filter");
        assert!(err.message.contains("at 0: unknown name `dat`"), "{}", err.message);
    }

    #[test]
    fn projection_keeps_included_fields_and_never_excluded_ones() {
        let rules =
            TargetRules { fields: sel(&["id", "profile", "missing.x"], &["profile.email"]), ..Default::default() };
        let rules = Rules::compile(&rules).expect("valid").expect("some");
        let mut e = event();
        rules.project(&mut e);
        assert_eq!(e["data"], json!({"id": "u1", "profile": {"nickname": "ann", "locale": "de"}}));
        assert_eq!(e["tenant"], "acme", "only data is projected");

        let rules = TargetRules { fields: sel(&[], &["email", "stats", "profile.email"]), ..Default::default() };
        let rules = Rules::compile(&rules).expect("valid").expect("some");
        let mut e = event();
        rules.project(&mut e);
        assert_eq!(e["data"], json!({"id": "u1", "status": "active", "profile": {"nickname": "ann", "locale": "de"}}));

        let nested = TargetRules { fields: sel(&["profile.locale"], &[]), ..Default::default() };
        let nested = Rules::compile(&nested).expect("valid").expect("some");
        let mut e = event();
        nested.project(&mut e);
        assert_eq!(e["data"], json!({"profile": {"locale": "de"}}));
        let mut scalar = json!({"data": "secret"});
        nested.project(&mut scalar);
        assert_eq!(scalar["data"], json!({}));

        for bad in ["", "a..b", "a b", "a.*"] {
            let rules = TargetRules { fields: sel(&[bad], &[]), ..Default::default() };
            assert_eq!(Rules::compile(&rules).expect_err(bad).field, "rules.fields.include", "{bad:?}");
        }
    }
}
