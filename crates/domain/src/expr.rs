//! plat's expression language: a small, safe predicate over a JSON document,
//! for sync targets' event filters (`data.status == "active"`) and, later,
//! conditions on permissions (`context.file_size <= 10485760`).
//!
//! It cannot loop, call out, or allocate without bound: an expression is at
//! most [`MAX_LEN`] bytes, [`MAX_NODES`] nodes and [`MAX_DEPTH`] levels deep,
//! and evaluating it visits each node once, so its cost is linear in its size
//! (a `contains`/`in` over a list is linear in that list). Grammar, loosest
//! binding first:
//!
//! ```text
//! expr    = and ( ("||" | "or") and )*
//! and     = not ( ("&&" | "and") not )*
//! not     = ("!" | "not") not | compare
//! compare = value ( ("==" | "!=" | "<" | "<=" | ">" | ">=" | "in") value )?
//! value   = path | string | number | true | false | null
//!         | "[" ( value ( "," value )* )? "]" | "(" expr ")" | call
//! path    = name ( "." name )*          e.g. data.profile.locale
//! call    = ("starts_with" | "ends_with" | "contains") "(" value "," value ")"
//!         | "exists" "(" path ")" | "size" "(" value ")"
//! ```
//!
//! Meaning: a path that leads nowhere is `null`. `==`/`!=` compare JSON values
//! (numbers by value: `1 == 1.0`). `<`, `<=`, `>`, `>=` compare two numbers
//! or two strings (byte order) and are false for anything else. `x in list`
//! is list membership; `k in object` asks for a key. `&&`, `||` and `!` treat
//! only `true` as true, so `data.missing == null` is how to ask for absence
//! and a type mismatch never matches by accident. The whole expression
//! matches when it evaluates to `true`.

use std::borrow::Cow;
use std::fmt;

use serde_json::Value;

/// The longest expression, in bytes.
pub const MAX_LEN: usize = 1024;
/// The most nodes (names, literals, operators) in one expression.
pub const MAX_NODES: usize = 128;
/// The deepest nesting of operators and parentheses.
pub const MAX_DEPTH: usize = 16;
/// The most segments of one path.
pub const MAX_PATH: usize = 8;

/// Why an expression was refused: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// Byte offset into the expression.
    pub at: usize,
    pub message: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: {}", self.at, self.message)
    }
}

/// A parsed expression, ready to evaluate any number of times.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    root: Node,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Literal(Value),
    List(Vec<Node>),
    Path(Vec<String>),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Compare(Op, Box<Node>, Box<Node>),
    Call(Func, Vec<Node>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    StartsWith,
    EndsWith,
    Contains,
    Exists,
    Size,
}

impl Func {
    fn parse(name: &str) -> Option<Func> {
        Some(match name {
            "starts_with" => Func::StartsWith,
            "ends_with" => Func::EndsWith,
            "contains" => Func::Contains,
            "exists" => Func::Exists,
            "size" => Func::Size,
            _ => return None,
        })
    }

    fn arity(self) -> usize {
        match self {
            Func::Exists | Func::Size => 1,
            _ => 2,
        }
    }
}

impl Expr {
    /// Parse `text`. Paths must start with one of `roots` (the names the
    /// evaluation document has), so a typo is an error on write, not a
    /// filter that silently never matches.
    pub fn parse(text: &str, roots: &[&str]) -> Result<Expr, ExprError> {
        if text.len() > MAX_LEN {
            return Err(ExprError { at: MAX_LEN, message: format!("longer than {MAX_LEN} bytes") });
        }
        let tokens = lex(text)?;
        let mut parser = Parser { tokens, pos: 0, nodes: 0, roots, end: text.len() };
        let root = parser.expr(0)?;
        if let Some(tok) = parser.tokens.get(parser.pos) {
            return Err(ExprError { at: tok.at, message: format!("unexpected {}", tok.kind) });
        }
        Ok(Expr { root })
    }

    /// Whether the expression is `true` for `doc`.
    pub fn matches(&self, doc: &Value) -> bool {
        matches!(eval(&self.root, doc).as_ref(), Value::Bool(true))
    }
}

// ---------------------------------------------------------------- lexing

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    Str(String),
    Num(f64),
    Sym(&'static str),
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Name(n) => write!(f, "name `{n}`"),
            Tok::Str(_) => f.write_str("string"),
            Tok::Num(n) => write!(f, "number {n}"),
            Tok::Sym(s) => write!(f, "`{s}`"),
        }
    }
}

struct Token {
    kind: Tok,
    at: usize,
}

const SYMBOLS: [&str; 16] = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", "[", "]", ",", ".", "-"];

fn lex(text: &str) -> Result<Vec<Token>, ExprError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let at = i;
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'"' || c == b'\'' {
            let (s, next) = lex_string(text, i)?;
            out.push(Token { kind: Tok::Str(s), at });
            i = next;
        } else if c.is_ascii_digit() {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.' || bytes[i] == b'_') {
                i += 1;
            }
            let literal = text[at..i].replace('_', "");
            let n: f64 = literal
                .parse()
                .ok()
                .filter(|n: &f64| n.is_finite())
                .ok_or_else(|| ExprError { at, message: format!("`{}` is not a number", &text[at..i]) })?;
            out.push(Token { kind: Tok::Num(n), at });
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push(Token { kind: Tok::Name(text[at..i].to_owned()), at });
        } else if let Some(sym) = SYMBOLS.iter().find(|s| text[i..].starts_with(**s)) {
            out.push(Token { kind: Tok::Sym(sym), at });
            i += sym.len();
        } else {
            let ch = text[i..].chars().next().unwrap_or('?');
            return Err(ExprError { at, message: format!("unexpected character {ch:?}") });
        }
    }
    Ok(out)
}

/// A quoted string from `start` (the quote); returns it and the offset after it.
fn lex_string(text: &str, start: usize) -> Result<(String, usize), ExprError> {
    let quote = text.as_bytes()[start] as char;
    let mut out = String::new();
    let mut chars = text[start + 1..].char_indices();
    while let Some((offset, c)) = chars.next() {
        match c {
            c if c == quote => return Ok((out, start + 1 + offset + 1)),
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, c @ ('\\' | '"' | '\''))) => out.push(c),
                Some((o, c)) => {
                    return Err(ExprError { at: start + 1 + o, message: format!("unknown escape \\{c}") });
                }
                None => break,
            },
            c => out.push(c),
        }
    }
    Err(ExprError { at: start, message: "string is not closed".into() })
}

// ---------------------------------------------------------------- parsing

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    nodes: usize,
    roots: &'a [&'a str],
    end: usize,
}

impl Parser<'_> {
    fn at(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end, |t| t.at)
    }

    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.kind)
    }

    fn error(&self, message: impl Into<String>) -> ExprError {
        ExprError { at: self.at(), message: message.into() }
    }

    fn node(&mut self, node: Node) -> Result<Node, ExprError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(self.error(format!("more than {MAX_NODES} names, values and operators")));
        }
        Ok(node)
    }

    fn deeper(&self, depth: usize) -> Result<usize, ExprError> {
        if depth >= MAX_DEPTH {
            return Err(self.error(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(depth + 1)
    }

    /// Consume the symbol or keyword `word` if it is next.
    fn eat(&mut self, words: &[&str]) -> bool {
        let hit = match self.peek() {
            Some(Tok::Sym(s)) => words.contains(s),
            Some(Tok::Name(n)) => words.contains(&n.as_str()),
            _ => false,
        };
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn expect(&mut self, sym: &'static str) -> Result<(), ExprError> {
        if self.eat(&[sym]) {
            return Ok(());
        }
        Err(match self.peek() {
            Some(tok) => self.error(format!("expected `{sym}`, found {tok}")),
            None => self.error(format!("expected `{sym}` at the end")),
        })
    }

    fn expr(&mut self, depth: usize) -> Result<Node, ExprError> {
        let depth = self.deeper(depth)?;
        let mut left = self.and(depth)?;
        while self.eat(&["||", "or"]) {
            let right = self.and(depth)?;
            left = self.node(Node::Or(Box::new(left), Box::new(right)))?;
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Node, ExprError> {
        let mut left = self.not(depth)?;
        while self.eat(&["&&", "and"]) {
            let right = self.not(depth)?;
            left = self.node(Node::And(Box::new(left), Box::new(right)))?;
        }
        Ok(left)
    }

    fn not(&mut self, depth: usize) -> Result<Node, ExprError> {
        if self.eat(&["!", "not"]) {
            let depth = self.deeper(depth)?;
            let inner = self.not(depth)?;
            return self.node(Node::Not(Box::new(inner)));
        }
        self.compare(depth)
    }

    fn compare(&mut self, depth: usize) -> Result<Node, ExprError> {
        let left = self.value(depth)?;
        let op = match self.peek() {
            Some(Tok::Sym("==")) => Op::Eq,
            Some(Tok::Sym("!=")) => Op::Ne,
            Some(Tok::Sym("<")) => Op::Lt,
            Some(Tok::Sym("<=")) => Op::Le,
            Some(Tok::Sym(">")) => Op::Gt,
            Some(Tok::Sym(">=")) => Op::Ge,
            Some(Tok::Name(n)) if n == "in" => Op::In,
            _ => return Ok(left),
        };
        self.pos += 1;
        let right = self.value(depth)?;
        self.node(Node::Compare(op, Box::new(left), Box::new(right)))
    }

    fn value(&mut self, depth: usize) -> Result<Node, ExprError> {
        let at = self.at();
        let Some(tok) = self.tokens.get(self.pos).map(|t| t.kind.clone()) else {
            return Err(self.error("expected a value at the end"));
        };
        self.pos += 1;
        let node = match tok {
            Tok::Str(s) => Node::Literal(Value::String(s)),
            Tok::Num(n) => Node::Literal(number(n)),
            Tok::Sym("-") => match self.peek() {
                Some(Tok::Num(n)) => {
                    let n = -*n;
                    self.pos += 1;
                    Node::Literal(number(n))
                }
                _ => return Err(self.error("expected a number after `-`")),
            },
            Tok::Sym("(") => {
                let inner = self.expr(depth)?;
                self.expect(")")?;
                return Ok(inner);
            }
            Tok::Sym("[") => {
                let depth = self.deeper(depth)?;
                let mut items = Vec::new();
                if !self.eat(&["]"]) {
                    loop {
                        items.push(self.value(depth)?);
                        if self.eat(&["]"]) {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Node::List(items)
            }
            Tok::Name(name) => match name.as_str() {
                "true" => Node::Literal(Value::Bool(true)),
                "false" => Node::Literal(Value::Bool(false)),
                "null" => Node::Literal(Value::Null),
                _ if self.peek() == Some(&Tok::Sym("(")) => {
                    let func = Func::parse(&name).ok_or_else(|| ExprError {
                        at,
                        message: format!(
                            "unknown function `{name}`; there are starts_with, ends_with, contains, exists, size"
                        ),
                    })?;
                    self.pos += 1;
                    let depth = self.deeper(depth)?;
                    let mut args = Vec::new();
                    for i in 0..func.arity() {
                        if i > 0 {
                            self.expect(",")?;
                        }
                        let arg_at = self.at();
                        let arg = self.value(depth)?;
                        if func == Func::Exists && !matches!(arg, Node::Path(_)) {
                            return Err(ExprError { at: arg_at, message: "exists() takes a path".into() });
                        }
                        args.push(arg);
                    }
                    self.expect(")")?;
                    Node::Call(func, args)
                }
                _ => self.path(name, at)?,
            },
            other => return Err(ExprError { at, message: format!("expected a value, found {other}") }),
        };
        self.node(node)
    }

    fn path(&mut self, first: String, at: usize) -> Result<Node, ExprError> {
        if !self.roots.contains(&first.as_str()) {
            return Err(ExprError {
                at,
                message: format!("unknown name `{first}`; use one of {}", self.roots.join(", ")),
            });
        }
        let mut segments = vec![first];
        while self.eat(&["."]) {
            match self.tokens.get(self.pos).map(|t| &t.kind) {
                Some(Tok::Name(n)) => segments.push(n.clone()),
                _ => return Err(self.error("expected a field name after `.`")),
            }
            self.pos += 1;
            if segments.len() > MAX_PATH {
                return Err(ExprError { at, message: format!("a path has at most {MAX_PATH} parts") });
            }
        }
        Ok(Node::Path(segments))
    }
}

fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

// ---------------------------------------------------------------- evaluation

fn lookup<'a>(doc: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(doc, |v, key| v.as_object()?.get(key))
}

fn eval<'a>(node: &'a Node, doc: &'a Value) -> Cow<'a, Value> {
    let yes = |b: bool| Cow::Owned(Value::Bool(b));
    match node {
        Node::Literal(v) => Cow::Borrowed(v),
        Node::List(items) => Cow::Owned(Value::Array(items.iter().map(|i| eval(i, doc).into_owned()).collect())),
        Node::Path(path) => lookup(doc, path).map_or(Cow::Owned(Value::Null), Cow::Borrowed),
        Node::Not(inner) => yes(!truthy(&eval(inner, doc))),
        Node::And(a, b) => yes(truthy(&eval(a, doc)) && truthy(&eval(b, doc))),
        Node::Or(a, b) => yes(truthy(&eval(a, doc)) || truthy(&eval(b, doc))),
        Node::Compare(op, a, b) => yes(compare(*op, &eval(a, doc), &eval(b, doc))),
        Node::Call(func, args) => {
            if *func == Func::Exists {
                let Node::Path(path) = &args[0] else { return yes(false) };
                return yes(lookup(doc, path).is_some());
            }
            let first = eval(&args[0], doc);
            match func {
                Func::Size => match first.as_ref() {
                    Value::String(s) => Cow::Owned(Value::from(s.chars().count())),
                    Value::Array(a) => Cow::Owned(Value::from(a.len())),
                    Value::Object(o) => Cow::Owned(Value::from(o.len())),
                    _ => Cow::Owned(Value::Null),
                },
                _ => {
                    let second = eval(&args[1], doc);
                    yes(match (func, first.as_ref(), second.as_ref()) {
                        (Func::StartsWith, Value::String(s), Value::String(p)) => s.starts_with(p.as_str()),
                        (Func::EndsWith, Value::String(s), Value::String(p)) => s.ends_with(p.as_str()),
                        (Func::Contains, Value::String(s), Value::String(p)) => s.contains(p.as_str()),
                        (Func::Contains, Value::Array(items), x) => items.iter().any(|i| equal(i, x)),
                        _ => false,
                    })
                }
            }
        }
    }
}

fn truthy(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| equal(a, b)),
        _ => a == b,
    }
}

fn compare(op: Op, a: &Value, b: &Value) -> bool {
    use std::cmp::Ordering::*;
    let order = match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64().zip(y.as_f64()).and_then(|(x, y)| x.partial_cmp(&y)),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    };
    match op {
        Op::Eq => equal(a, b),
        Op::Ne => !equal(a, b),
        Op::Lt => order == Some(Less),
        Op::Le => matches!(order, Some(Less | Equal)),
        Op::Gt => order == Some(Greater),
        Op::Ge => matches!(order, Some(Greater | Equal)),
        Op::In => match b {
            Value::Array(items) => items.iter().any(|i| equal(i, a)),
            Value::Object(map) => a.as_str().is_some_and(|k| map.contains_key(k)),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ROOTS: &[&str] = &["data", "type", "tenant", "context"];

    fn check(text: &str, doc: &Value) -> bool {
        Expr::parse(text, ROOTS).unwrap_or_else(|e| panic!("{text}: {e}")).matches(doc)
    }

    fn refused(text: &str) -> ExprError {
        Expr::parse(text, ROOTS).expect_err(text)
    }

    fn event() -> Value {
        json!({
            "type": "user.updated", "tenant": "acme",
            "data": {"status": "active", "age": 42, "score": 1.5, "tags": ["a", "b"], "profile": {"locale": "de-DE"},
                     "email": "ann@example.com", "flag": true, "none": null}
        })
    }

    #[test]
    fn comparisons_follow_json_values() {
        let e = event();
        for yes in [
            r#"data.status == "active""#,
            "data.status == 'active'",
            "data.age == 42",
            "data.age == 42.0",
            "data.age > 41 && data.age <= 42",
            "data.score < 2",
            "data.score >= -1",
            r#"data.profile.locale != "en""#,
            r#"data.status > "a""#,
            "data.flag",
            "data.flag == true",
            "data.none == null",
            "data.missing == null",
            r#"tenant in ["acme", "globex"]"#,
            r#""profile" in data"#,
            r#"type == "user.updated" and not (data.age < 18)"#,
            "!data.missing",
            "1_000 == 1000",
        ] {
            assert!(check(yes, &e), "{yes}");
        }
        for no in [
            r#"data.status == "suspended""#,
            r#"data.age > "4""#,
            "data.age < null",
            "data.missing",
            "data.missing > 1",
            "data.status",
            r#"tenant in "acme""#,
            r#""zzz" in data"#,
            "data.tags == ['a']",
        ] {
            assert!(!check(no, &e), "{no}");
        }
    }

    #[test]
    fn functions_are_few_and_total() {
        let e = event();
        for yes in [
            r#"ends_with(data.email, "@example.com")"#,
            r#"starts_with(data.profile.locale, "de")"#,
            r#"contains(data.tags, "b")"#,
            r#"contains(data.email, "@")"#,
            "exists(data.none)",
            "!exists(data.missing)",
            "size(data.tags) == 2",
            "size(data.status) == 6",
        ] {
            assert!(check(yes, &e), "{yes}");
        }
        for no in [r#"starts_with(data.age, "4")"#, r#"contains(data.tags, "c")"#, "size(data.age) == 2"] {
            assert!(!check(no, &e), "{no}");
        }
    }

    #[test]
    fn precedence_is_or_then_and_then_not() {
        let e = event();
        assert!(check("data.flag || data.missing && data.missing", &e));
        assert!(!check("(data.flag || data.missing) && data.missing", &e));
        assert!(!check("not data.flag || data.missing", &e));
    }

    #[test]
    fn mistakes_are_refused_with_their_place() {
        assert_eq!(refused(r#"dta.status == "x""#).at, 0);
        assert!(refused(r#"dta.status == "x""#).message.contains("use one of data"));
        assert_eq!(refused("data.status ==").message, "expected a value at the end");
        assert!(refused("data.status = 1").message.contains("unexpected character"));
        assert!(refused(r#"data.status == "open"#).message.contains("not closed"));
        assert!(refused("lower(data.status)").message.contains("unknown function"));
        assert!(refused("exists('x')").message.contains("takes a path"));
        assert!(refused("(data.flag").message.contains("expected `)`"));
        assert!(refused("data.flag data.flag").message.contains("unexpected"));
        assert!(refused("data.").message.contains("field name"));
        assert!(refused("1e999 == 1").message.contains("not a number"));
        assert!(refused("").message.contains("end"));
    }

    #[test]
    fn size_and_depth_are_bounded() {
        let long = format!("data.x == \"{}\"", "a".repeat(MAX_LEN));
        assert!(refused(&long).message.contains("longer"));
        let deep = format!("{}data.flag{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
        assert!(refused(&deep).message.contains("deeper"));
        let nots = format!("{}data.flag", "!".repeat(MAX_DEPTH + 1));
        assert!(refused(&nots).message.contains("deeper"));
        let wide = vec!["1"; MAX_NODES / 2 + 1].join("||");
        assert!(refused(&wide).message.contains("more than"));
        let path = format!("data{}", ".a".repeat(MAX_PATH));
        assert!(refused(&path).message.contains("at most"));
    }

    #[test]
    fn a_permission_condition_reads_its_context() {
        let roots = ["context", "principal"];
        let rule = Expr::parse("context.file_size <= 10485760 || starts_with(context.folder, principal.id)", &roots)
            .expect("parses");
        assert!(rule.matches(&json!({"context": {"file_size": 1024}, "principal": {"id": "u1"}})));
        assert!(rule.matches(&json!({"context": {"file_size": 1e9, "folder": "u1/docs"}, "principal": {"id": "u1"}})));
        assert!(!rule.matches(&json!({"context": {"file_size": 1e9, "folder": "u2/docs"}, "principal": {"id": "u1"}})));
    }
}
