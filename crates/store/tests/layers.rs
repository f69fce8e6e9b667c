//! The store's modules import each other without a circle.
//!
//! Reads `src/` (the crate's own source, not the compiled crate), finds the
//! modules `lib.rs` declares, and for each one every `crate::…` path in its
//! files (a directory module's submodules count as the module itself, as do
//! its `use super::*`). A path's first segment is a module (`crate::sync::…`)
//! or a name at the crate root (`crate::UserRecord`, `crate::now_ms`), which
//! is followed to the module that defines it through `lib.rs`'s re-exports,
//! so an import through the root hides no edge. `lib.rs` itself is the node
//! `lib`: its `mod` and `pub use` lines assemble the crate and are no edges,
//! but any other use of a module's item in it is one.
//!
//! Then the graph must have no cycle; the one found is printed with the
//! reference behind each edge. `cargo test -p plat-store --test layers --
//! --nocapture` prints the whole graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const LIB: &str = "lib";

/// Rust source with comments removed and string and char literals emptied
/// (`"…"` becomes `""`), so neither can look like a path.
fn strip(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    while i < c.len() {
        let prev_ident = i > 0 && ident(c[i - 1]);
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if !prev_ident && (c[i] == 'r' || (c[i] == 'b' && c.get(i + 1) == Some(&'r'))) && {
            // A raw string: r"…", r#"…"#, br"…".
            let mut j = if c[i] == 'b' { i + 2 } else { i + 1 };
            while c.get(j) == Some(&'#') {
                j += 1;
            }
            c.get(j) == Some(&'"')
        } {
            let mut j = if c[i] == 'b' { i + 2 } else { i + 1 };
            let mut hashes = 0;
            while c[j] == '#' {
                hashes += 1;
                j += 1;
            }
            j += 1;
            loop {
                assert!(j < c.len(), "unterminated raw string");
                if c[j] == '"' && (0..hashes).all(|h| c.get(j + 1 + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c[i] == '\'' {
            if c.get(i + 1) == Some(&'\\') {
                // An escaped char: '\n', '\'', '\u{1F600}'.
                i += 3;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
                out.push_str("' '");
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("' '");
            } else {
                // A lifetime.
                out.push('\'');
                i += 1;
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
struct Token {
    text: String,
    /// Brace depth at the token (a `{` is at the depth outside it).
    depth: usize,
}

fn tokens(src: &str) -> Vec<Token> {
    let c: Vec<char> = strip(src).chars().collect();
    let mut out = Vec::new();
    let (mut i, mut depth) = (0, 0usize);
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch.is_alphanumeric() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push(Token { text: c[start..i].iter().collect(), depth });
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            out.push(Token { text: "::".into(), depth });
            i += 2;
        } else {
            if ch == '}' {
                depth = depth.saturating_sub(1);
            }
            out.push(Token { text: ch.to_string(), depth });
            if ch == '{' {
                depth += 1;
            }
            i += 1;
        }
    }
    out
}

fn is_ident(text: &str) -> bool {
    text.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// One module of the crate: its files, tokenized.
struct Module {
    name: String,
    files: Vec<(PathBuf, Vec<Token>)>,
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).expect("read module directory").map(|e| e.expect("directory entry").path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rs_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn load(path: &Path) -> Vec<Token> {
    tokens(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display())))
}

/// The modules `lib.rs` declares (`mod x;` at the top level, any visibility
/// or attributes), with their files.
fn modules(src: &Path, lib: &[Token]) -> Vec<Module> {
    let mut out = Vec::new();
    for (i, t) in lib.iter().enumerate() {
        if t.depth == 0 && t.text == "mod" && lib.get(i + 2).is_some_and(|s| s.text == ";") {
            let name = lib[i + 1].text.clone();
            let mut paths = Vec::new();
            let file = src.join(format!("{name}.rs"));
            if file.is_file() {
                paths.push(file);
            }
            let dir = src.join(&name);
            if dir.is_dir() {
                rs_files(&dir, &mut paths);
            }
            assert!(!paths.is_empty(), "module {name} has no file");
            let files = paths.into_iter().map(|p| (p.clone(), load(&p))).collect();
            out.push(Module { name, files });
        }
    }
    out
}

/// A `use` statement's tree from `tokens[start]` (after `use`) to its `;`:
/// every leaf path as segments (a glob ends in `*`; `x as y` names `y`).
fn use_paths(tokens: &[Token], start: usize) -> (Vec<Vec<String>>, usize) {
    fn tree(tokens: &[Token], i: &mut usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        let mut path = prefix;
        loop {
            let t = &tokens[*i].text;
            if t == "{" {
                *i += 1;
                loop {
                    if tokens[*i].text == "}" {
                        *i += 1;
                        break;
                    }
                    tree(tokens, i, path.clone(), out);
                    if tokens[*i].text == "," {
                        *i += 1;
                    }
                }
                return;
            } else if t == "*" {
                path.push("*".into());
                *i += 1;
                out.push(path);
                return;
            } else if is_ident(t) {
                path.push(t.clone());
                *i += 1;
                if tokens[*i].text == "::" {
                    *i += 1;
                    continue;
                }
                if tokens[*i].text == "as" {
                    // The leaf is known here by its alias, but it is the
                    // original item that the edge is to.
                    *i += 2;
                }
                out.push(path);
                return;
            } else {
                *i += 1;
            }
        }
    }
    let mut out = Vec::new();
    let mut i = start;
    while tokens[i].text != ";" {
        tree(tokens, &mut i, Vec::new(), &mut out);
    }
    (out, i)
}

/// Where each name at the crate root comes from: `lib` for what `lib.rs`
/// defines or imports from outside the crate, else the module that defines
/// it (through a glob or a named re-export of `lib.rs`).
struct Roots {
    modules: BTreeSet<String>,
    names: BTreeMap<String, BTreeSet<String>>,
}

const ITEM_KEYWORDS: &[&str] = &["fn", "struct", "enum", "type", "trait", "static", "const", "union", "macro_rules"];

/// Names a file defines at its top level; `public` only those with `pub`
/// or `pub(crate)` (a module's names reachable from the root through a glob).
fn defined(tokens: &[Token], public: bool) -> Vec<String> {
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if t.depth != 0 || !ITEM_KEYWORDS.contains(&t.text.as_str()) {
            continue;
        }
        let Some(name) = tokens.get(i + 1).filter(|n| is_ident(&n.text)) else { continue };
        if ["fn", "unsafe", "async", "extern"].contains(&name.text.as_str()) {
            continue; // `const fn`, `const unsafe fn`: the `fn` names it.
        }
        if t.text == "macro_rules" {
            out.push(tokens.get(i + 2).map_or(String::new(), |n| n.text.clone()));
            continue;
        }
        // Back over qualifiers to the visibility.
        let mut j = i;
        while j > 0 && ["async", "unsafe", "const", "extern", "\"\""].contains(&tokens[j - 1].text.as_str()) {
            j -= 1;
        }
        let visible = if j > 0 && tokens[j - 1].text == "pub" {
            true
        } else if j >= 4 && tokens[j - 1].text == ")" && tokens[j - 4].text == "pub" {
            tokens[j - 2].text == "crate"
        } else {
            false
        };
        if visible || !public {
            out.push(name.text.clone());
        }
    }
    out
}

fn roots(lib: &[Token], modules: &[Module]) -> Roots {
    let names_of_modules: BTreeSet<String> = modules.iter().map(|m| m.name.clone()).collect();
    let mut names: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for name in defined(lib, false) {
        names.entry(name).or_default().insert(LIB.into());
    }
    let mut globbed = Vec::new();
    for (i, t) in lib.iter().enumerate() {
        if t.depth != 0 || t.text != "use" {
            continue;
        }
        let (paths, _) = use_paths(lib, i + 1);
        for path in paths {
            let first = path[0].as_str();
            let first =
                if first == "crate" || first == "self" { path.get(1).map_or("", String::as_str) } else { first };
            let leaf = path.last().cloned().unwrap_or_default();
            if names_of_modules.contains(first) {
                if leaf == "*" {
                    globbed.push(first.to_owned());
                } else {
                    names.entry(leaf).or_default().insert(first.to_owned());
                }
            } else if leaf != "*" {
                names.entry(leaf).or_default().insert(LIB.into());
            }
        }
    }
    for module in modules.iter().filter(|m| globbed.contains(&m.name)) {
        for (_, tokens) in &module.files {
            let mut here = defined(tokens, true);
            // `pub use` of anything but another module's item.
            for (i, t) in tokens.iter().enumerate() {
                if t.depth == 0 && t.text == "use" && i > 0 && [")", "pub"].contains(&tokens[i - 1].text.as_str()) {
                    let (paths, _) = use_paths(tokens, i + 1);
                    here.extend(paths.into_iter().filter(|p| p[0] != "crate").filter_map(|p| p.last().cloned()));
                }
            }
            for name in here {
                let owners = names.entry(name).or_default();
                if !owners.contains(LIB) {
                    owners.insert(module.name.clone());
                }
            }
        }
    }
    Roots { modules: names_of_modules, names }
}

impl Roots {
    /// The module `crate::<first>` is in (`None`: the module itself).
    fn resolve(&self, from: &str, first: &str, file: &Path) -> Option<String> {
        if first == "self" || first == "super" || first == "*" {
            return None;
        }
        let to = if self.modules.contains(first) {
            first.to_owned()
        } else {
            let owners = self.names.get(first).unwrap_or_else(|| {
                panic!("{}: crate::{first} is neither a module nor a name lib.rs knows", file.display())
            });
            let owner = if owners.contains(LIB) { Some(LIB) } else { None };
            match owner {
                Some(lib) => lib.to_owned(),
                None => {
                    assert!(
                        owners.len() == 1,
                        "{}: crate::{first} may come from any of {owners:?}; name the module",
                        file.display()
                    );
                    owners.iter().next().cloned().unwrap_or_default()
                }
            }
        };
        (to != from).then_some(to)
    }
}

type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// Each module's edges, with one reference that makes each (for the report).
fn graph(src: &Path) -> Graph {
    let lib_path = src.join("lib.rs");
    let lib = load(&lib_path);
    let modules = modules(src, &lib);
    let roots = roots(&lib, &modules);
    let mut graph: Graph = BTreeMap::new();
    let add = |graph: &mut Graph, from: &str, to: Option<String>, why: String| {
        let edges = graph.entry(from.to_owned()).or_default();
        if let Some(to) = to {
            edges.entry(to).or_insert(why);
        }
    };
    let files = modules
        .iter()
        .flat_map(|m| m.files.iter().map(move |(p, t)| (m.name.as_str(), p, t)))
        .chain([(LIB, &lib_path, &lib)]);
    for (module, path, tokens) in files {
        add(&mut graph, module, None, String::new());
        let rel = path.strip_prefix(src).unwrap_or(path).display().to_string();
        for (i, t) in tokens.iter().enumerate() {
            if t.text != "crate" || tokens.get(i + 1).is_none_or(|n| n.text != "::") {
                continue;
            }
            let next = &tokens[i + 2];
            if next.text == "{" {
                // `use crate::{a, b::c}`: each branch's first segment.
                let mut end = i + 2;
                let mut depth = 0;
                let mut firsts = Vec::new();
                let mut expect = true;
                loop {
                    let x = &tokens[end].text;
                    match x.as_str() {
                        "{" => depth += 1,
                        "}" => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        "," if depth == 1 => expect = true,
                        _ if expect && depth == 1 && is_ident(x) => {
                            firsts.push(x.clone());
                            expect = false;
                        }
                        _ => {}
                    }
                    end += 1;
                }
                for first in firsts {
                    let to = roots.resolve(module, &first, path);
                    add(&mut graph, module, to, format!("{rel}: use crate::{{{first}, …}}"));
                }
            } else {
                let to = roots.resolve(module, &next.text, path);
                add(&mut graph, module, to, format!("{rel}: crate::{}", next.text));
            }
        }
    }
    // `lib.rs` names its modules' items without `crate::` (its globs bring
    // them in): any such name outside its `mod` and `use` lines is an edge.
    let own: BTreeSet<String> = defined(&lib, false).into_iter().collect();
    let mut skip_to = 0;
    for (i, t) in lib.iter().enumerate() {
        if i < skip_to {
            continue;
        }
        if t.depth == 0 && (t.text == "use" || t.text == "mod") {
            skip_to = i + lib[i..].iter().position(|s| s.text == ";").unwrap_or(0);
            continue;
        }
        let after_path = i > 0 && [".", "::"].contains(&lib[i - 1].text.as_str());
        if !is_ident(&t.text) || after_path || own.contains(&t.text) {
            continue;
        }
        if let Some(owners) = roots.names.get(&t.text).filter(|o| !o.contains(LIB)) {
            for owner in owners {
                add(&mut graph, LIB, Some(owner.clone()), format!("lib.rs: {}", t.text));
            }
        }
    }
    graph
}

/// A cycle of the graph, if there is one (depth first, in name order).
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        graph: &Graph,
        node: &str,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_owned(), 1);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flat_map(|e| e.keys()) {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                0 => {
                    if let Some(cycle) = visit(graph, next, state, stack) {
                        return Some(cycle);
                    }
                }
                1 => {
                    let from = stack.iter().position(|s| s == next).unwrap_or(0);
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if state.get(node.as_str()).copied().unwrap_or(0) == 0 {
            let mut stack = Vec::new();
            if let Some(cycle) = visit(graph, node, &mut state, &mut stack) {
                return Some(cycle);
            }
        }
    }
    None
}

/// The modules that reach each other (strongly connected), for the report:
/// every set of two or more is a knot of circles to cut.
fn knots(graph: &Graph) -> Vec<BTreeSet<String>> {
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_owned()];
        while let Some(node) = todo.pop() {
            for next in graph.get(&node).into_iter().flat_map(|e| e.keys()) {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> = graph.keys().map(|m| (m, reach(m))).collect();
    let mut out: Vec<BTreeSet<String>> = Vec::new();
    for (m, r) in &reaches {
        let knot: BTreeSet<String> = r.iter().filter(|o| reaches[*o].contains(*m)).cloned().collect();
        if knot.len() > 1 && !out.contains(&knot) {
            out.push(knot);
        }
    }
    out
}

#[test]
fn store_modules_import_without_a_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = graph(&src);
    println!("crates/store modules and what each imports:");
    for (module, edges) in &graph {
        println!("  {module:<10} -> {}", edges.keys().cloned().collect::<Vec<_>>().join(", "));
    }
    if let Some(cycle) = find_cycle(&graph) {
        let mut report = format!("crates/store has an import circle: {}\n", cycle.join(" -> "));
        for pair in cycle.windows(2) {
            report.push_str(&format!("  {} -> {}: {}\n", pair[0], pair[1], graph[&pair[0]][&pair[1]]));
        }
        for knot in knots(&graph) {
            let knot: Vec<String> = knot.into_iter().collect();
            report.push_str(&format!("modules in circles with each other: {}\n", knot.join(", ")));
        }
        panic!("{report}");
    }
}

#[test]
fn the_reader_sees_paths_only_in_code() {
    let src = r##"
        // crate::outbox in a comment
        /* crate::sync /* nested */ crate::users */
        let a = "crate::orgs";
        let b = r#"crate::roles "quoted""#;
        let c = '"'; let d = '\''; fn f<'a>(x: &'a str) {}
        use crate::{tenants::x, Ctx};
    "##;
    let texts: Vec<String> = tokens(src).into_iter().map(|t| t.text).collect();
    let joined = texts.join(" ");
    for hidden in ["outbox", "sync", "users", "orgs", "roles"] {
        assert!(!joined.contains(hidden), "{hidden} leaked from a comment or string: {joined}");
    }
    assert!(joined.contains("crate :: { tenants :: x , Ctx }"), "{joined}");
}

#[test]
fn a_cycle_is_found_and_a_chain_is_not() {
    let edges = |pairs: &[(&str, &str)]| {
        let mut g: Graph = BTreeMap::new();
        for (a, b) in pairs {
            g.entry((*a).into()).or_default().insert((*b).into(), String::new());
            g.entry((*b).into()).or_default();
        }
        g
    };
    assert_eq!(find_cycle(&edges(&[("a", "b"), ("b", "c"), ("a", "c")])), None);
    let cycle = find_cycle(&edges(&[("a", "b"), ("b", "c"), ("c", "a")])).expect("a cycle");
    assert_eq!(cycle, ["a", "b", "c", "a"]);
}

#[test]
fn edges_through_the_root_are_followed() {
    // a.rs names b's item through lib's named re-export; b's submodule names
    // a's function through lib's glob; lib.rs's own code calls into a.
    let dir = std::env::temp_dir().join(format!("plat-store-layers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("b")).expect("fixture directory");
    let files = [
        ("lib.rs", "mod a;\nmod b;\npub use a::*;\npub use b::{Thing};\nfn helper() { let _ = thing_of(); }\n"),
        ("a.rs", "use crate::Thing;\npub fn thing_of() -> Option<Thing> { None }\n"),
        ("b/mod.rs", "mod inner;\npub struct Thing;\n"),
        ("b/inner.rs", "use super::*;\nfn f() { crate::thing_of(); }\n"),
    ];
    for (path, text) in files {
        std::fs::write(dir.join(path), text).expect("fixture file");
    }
    let g = graph(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    let edges = |m: &str| g[m].keys().cloned().collect::<Vec<_>>();
    assert_eq!(edges("a"), ["b"]);
    assert_eq!(edges("b"), ["a"]);
    assert_eq!(edges("lib"), ["a"]);
    assert!(find_cycle(&g).is_some());
    assert_eq!(knots(&g), [BTreeSet::from(["a".to_owned(), "b".to_owned()])]);
}
