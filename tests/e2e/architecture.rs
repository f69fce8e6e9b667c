//! ARCHITECTURE.md names files and items; every one of them must exist, so
//! the map cannot drift from the territory (as rust-analyzer's tidy tests
//! keep its docs honest). A path in backticks (`daemon/src/api/mod.rs`)
//! must exist from the repository's root; an item (`Store::list_targets`,
//! `may_take_over`, `RouteDoc`) must be an identifier some Rust file of
//! the repository uses (for `a::b`, its last segment).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root")
}

/// Every `.rs` and `.sql` file under `dir`, skipping build output.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") || name.ends_with(".sql") {
            out.push(path);
        }
    }
}

/// Every identifier the repository's Rust code (and SQL: table names) contains.
fn identifiers() -> HashSet<String> {
    let mut files = Vec::new();
    rust_files(repo(), &mut files);
    let mut out = HashSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if !word.is_empty() {
                out.insert(word.to_owned());
            }
        }
    }
    out
}

/// What a backticked span claims exists, if it claims anything.
#[derive(Debug, PartialEq)]
enum Claim<'a> {
    Path(&'a str),
    Item(&'a str),
}

fn claim(span: &str) -> Option<Claim<'_>> {
    let span = span.trim_end_matches("()");
    let is_ident = |s: &str| {
        !s.is_empty()
            && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let path_like = span.contains('/')
        && !span.starts_with('/')
        && !span.contains("://")
        && !span.contains(|c: char| c.is_whitespace() || "{}*<>$=|,:".contains(c));
    if path_like {
        let first = span.split('/').next().unwrap_or("");
        // Paths of the repository start at one of its top-level entries.
        let file = span.trim_end_matches('/').rsplit('/').next().is_some_and(|last| last.contains('.'));
        if repo().join(first).exists() || file {
            return Some(Claim::Path(span.trim_end_matches('/')));
        }
        return None;
    }
    let segments: Vec<&str> = span.split("::").collect();
    if !segments.iter().all(|s| is_ident(s)) {
        return None;
    }
    let last = segments.last().copied().unwrap_or("");
    let item_like = segments.len() > 1
        || last.contains('_')
        || (last.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && last.chars().any(|c| c.is_ascii_lowercase()));
    // Lower-case words with an underscore are items unless they read as
    // configuration or wire names, which the text writes with a dot or
    // in other places; a bare `snake_case` word is checked too.
    item_like.then_some(Claim::Item(span))
}

/// The spans of `text` between single backticks, outside fenced blocks.
fn spans(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut fenced = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut parts = line.split('`');
        parts.next();
        while let (Some(inside), Some(_)) = (parts.next(), parts.next()) {
            out.push((n + 1, inside));
        }
    }
    out
}

/// What ARCHITECTURE.md's text names that does not exist.
fn missing(text: &str, known: &HashSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    for (line, span) in spans(text) {
        match claim(span) {
            Some(Claim::Path(path)) if !repo().join(path).exists() => {
                out.push(format!("line {line}: path `{path}` does not exist"));
            }
            Some(Claim::Item(item)) => {
                let last = item.rsplit("::").next().unwrap_or(item);
                if !known.contains(last) {
                    out.push(format!("line {line}: `{item}` names nothing in the code"));
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn architecture_names_only_what_exists() {
    let text = std::fs::read_to_string(repo().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let known = identifiers();
    let wrong = missing(&text, &known);
    assert!(wrong.is_empty(), "ARCHITECTURE.md is out of date:\n{}", wrong.join("\n"));
    // It reads what it should: paths and items are found at all.
    let claims: Vec<Claim> = spans(&text).into_iter().filter_map(|(_, s)| claim(s)).collect();
    assert!(claims.iter().filter(|c| matches!(c, Claim::Path(_))).count() > 20, "too few paths found");
    assert!(claims.iter().filter(|c| matches!(c, Claim::Item(_))).count() > 50, "too few items found");
}

#[test]
fn claims_are_told_from_other_spans() {
    assert_eq!(claim("daemon/src/api/mod.rs"), Some(Claim::Path("daemon/src/api/mod.rs")));
    assert_eq!(claim("migrations/sqlite/"), Some(Claim::Path("migrations/sqlite")));
    assert_eq!(claim("Store::list_targets"), Some(Claim::Item("Store::list_targets")));
    assert_eq!(claim("may_take_over()"), Some(Claim::Item("may_take_over")));
    assert_eq!(claim("RouteDoc"), Some(Claim::Item("RouteDoc")));
    assert_eq!(claim("/api/v1"), None);
    assert_eq!(claim("sync.retention"), None);
    assert_eq!(claim("http://127.0.0.1:8700"), None);
    assert_eq!(claim("GET /users/{user}"), None);
    assert_eq!(claim("serde"), None);
    // A name that is nowhere is caught.
    let known: HashSet<String> = ["Store".to_owned()].into();
    assert_eq!(missing("see `Store::nothing_here` and `nowhere/at/all.rs`", &known).len(), 2);
}
