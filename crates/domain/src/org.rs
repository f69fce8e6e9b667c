//! Organizations (`docs/organizations.md`): how an organization is named,
//! where a subtree lies in the stored paths, and what a move may do.
//!
//! Each organization stores `path`: the ids from its root to itself,
//! `/id/id/id/`. A subtree is then a range of paths (every path that starts
//! with the root's), so reading, moving or deleting one is a range scan of
//! one index, and a cycle would need a path that contains itself.

use plat_proto::limits;

use crate::Invalid;

/// How an organization is named in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgRef {
    /// `org_…`
    Id(String),
    /// Names from a root: `acme/engineering`.
    Path(Vec<String>),
}

/// The prefix of every organization id.
pub const ID_PREFIX: &str = "org_";

impl OrgRef {
    pub fn parse(field: &str, text: &str) -> Result<OrgRef, Invalid> {
        if text.len() > limits::ORG_REF {
            return Err(Invalid::new(field, format!("must be at most {} characters", limits::ORG_REF)));
        }
        if let Some(id) = text.strip_prefix(ID_PREFIX) {
            if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Ok(OrgRef::Id(text.to_owned()));
            }
            return Err(Invalid::new(field, format!("{text:?} is not an organization id (org_ and 32 hex digits)")));
        }
        let names: Vec<String> = text.trim_matches('/').split('/').map(str::to_owned).collect();
        if names.len() > limits::ORG_DEPTH as usize {
            return Err(Invalid::new(field, format!("a path has at most {} names", limits::ORG_DEPTH)));
        }
        for name in &names {
            crate::validate_name(field, name).map_err(|_| {
                Invalid::new(
                    field,
                    format!("{text:?} is neither an organization id nor a path of names (acme/engineering)"),
                )
            })?;
        }
        Ok(OrgRef::Path(names))
    }
}

/// The range `[low, high)` of the stored paths of `path`'s subtree (itself
/// included): `/` is followed by `0` in byte order.
pub fn subtree_range(path: &str) -> (String, String) {
    let high = format!("{}0", &path[..path.len().saturating_sub(1)]);
    (path.to_owned(), high)
}

/// The stored path of the parent of the organization at `path`; `None` for
/// a root.
pub fn parent_path(path: &str) -> Option<&str> {
    let cut = path[..path.len().saturating_sub(1)].rfind('/')?;
    (cut > 0).then(|| &path[..=cut])
}

/// The ids of a stored path, root first.
pub fn path_ids(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// Where a moved subtree lands, checked: not under itself, not deeper
/// than [`limits::ORG_DEPTH`]. `moved` is the moved organization's stored
/// path and depth, `deepest` the greatest depth in its subtree, `parent`
/// the new parent's path and depth (`None`: a root). Returns the new path
/// prefix and the change of depth.
pub fn plan_move(
    moved: (&str, u32),
    deepest: u32,
    parent: Option<(&str, u32)>,
    id: &str,
) -> Result<(String, i64), Invalid> {
    let (path, depth) = moved;
    let (new_path, new_depth) = match parent {
        Some((parent_path, _)) if parent_path.starts_with(path) => {
            return Err(Invalid::new("parent", "an organization cannot move under itself or its descendants"));
        }
        Some((parent_path, parent_depth)) => (format!("{parent_path}{id}/"), parent_depth + 1),
        None => (format!("/{id}/"), 1),
    };
    let levels = deepest - depth;
    if new_depth + levels > limits::ORG_DEPTH {
        return Err(Invalid::new(
            "parent",
            format!(
                "the subtree would reach level {}; trees have at most {} levels",
                new_depth + levels,
                limits::ORG_DEPTH
            ),
        ));
    }
    Ok((new_path, i64::from(new_depth) - i64::from(depth)))
}

/// Check an organization's metadata: a JSON object of at most
/// [`limits::ORG_METADATA_KEYS`] keys and [`limits::ORG_METADATA`] bytes.
pub fn validate_metadata(metadata: &serde_json::Map<String, serde_json::Value>) -> Result<(), Invalid> {
    crate::validate_count("metadata", metadata.len(), limits::ORG_METADATA_KEYS)?;
    let size = serde_json::Value::Object(metadata.clone()).to_string().len();
    if size > limits::ORG_METADATA {
        return Err(Invalid::new("metadata", format!("must be at most {} bytes of JSON", limits::ORG_METADATA)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "org_0190f0a0000070008000000000000001";

    #[test]
    fn references_are_ids_or_paths_of_names() {
        assert_eq!(OrgRef::parse("org", A), Ok(OrgRef::Id(A.into())));
        assert_eq!(
            OrgRef::parse("org", "acme/engineering"),
            Ok(OrgRef::Path(vec!["acme".into(), "engineering".into()]))
        );
        assert_eq!(OrgRef::parse("org", "/acme/"), Ok(OrgRef::Path(vec!["acme".into()])));
        for bad in ["", "acme//x", "Acme", "org_123", "a b", &["a"; 11].join("/"), &"a".repeat(700)] {
            assert!(OrgRef::parse("org", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_subtree_is_a_range_of_paths() {
        let (low, high) = subtree_range("/a/b/");
        assert_eq!((low.as_str(), high.as_str()), ("/a/b/", "/a/b0"));
        for inside in ["/a/b/", "/a/b/c/", "/a/b/c/d/"] {
            assert!(inside >= low.as_str() && inside < high.as_str(), "{inside}");
        }
        for outside in ["/a/", "/a/bc/", "/a/b0/", "/b/"] {
            assert!(!(outside >= low.as_str() && outside < high.as_str()), "{outside}");
        }
        assert_eq!(path_ids("/a/b/c/").collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(
            (parent_path("/a/b/c/"), parent_path("/a/b/"), parent_path("/a/")),
            (Some("/a/b/"), Some("/a/"), None)
        );
    }

    #[test]
    fn moves_refuse_cycles_and_depth() {
        // b (depth 2, subtree down to depth 4) under x (depth 3): depth +2.
        assert_eq!(plan_move(("/a/b/", 2), 4, Some(("/x/y/z/", 3)), "b"), Ok(("/x/y/z/b/".into(), 2)));
        assert_eq!(plan_move(("/a/b/", 2), 4, None, "b"), Ok(("/b/".into(), -1)));
        assert!(plan_move(("/a/b/", 2), 4, Some(("/a/b/", 2)), "b").is_err(), "under itself");
        assert!(plan_move(("/a/b/", 2), 4, Some(("/a/b/c/", 3)), "b").is_err(), "under a descendant");
        assert!(plan_move(("/a/b/", 2), 10, Some(("/x/", 1)), "b").is_ok());
        assert!(plan_move(("/a/b/", 2), 10, Some(("/x/y/", 2)), "b").is_err(), "too deep");
    }
}
