//! Output: tables (`tabled`) for people, `json`/`yaml` of the contract's
//! `data` for scripts (lists as arrays), `name` for one identifier a line.
//! Colour only on a terminal, never with `--no-color` or `NO_COLOR`.

use std::io::{IsTerminal, Write};

use clap::ValueEnum;
use serde::Serialize;
use tabled::builder::Builder;
use tabled::settings::{Padding, Style};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::Failure;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns.
    Table,
    /// The table with more columns.
    Wide,
    /// The `data` object of the API (lists as arrays).
    Json,
    /// The same as YAML.
    Yaml,
    /// One identifier a line.
    Name,
    /// Graphviz DOT (only `service graph`; other commands refuse it).
    Dot,
}

/// A type shown as a table row.
pub trait Row: Serialize {
    /// Column headers of `-o table`.
    const COLUMNS: &'static [&'static str];
    /// Headers `-o wide` appends.
    const WIDE: &'static [&'static str] = &[];
    /// The cells of `COLUMNS`, then of `WIDE` when `wide`.
    fn cells(&self, wide: bool) -> Vec<String>;
    /// What `-o name` prints.
    fn name(&self) -> String;
}

pub struct Output {
    pub format: Format,
    headers: bool,
    color: bool,
}

impl Output {
    pub fn new(format: Format, no_headers: bool, no_color: bool) -> Output {
        let color = !no_color
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::stdout().is_terminal()
            && std::env::var("TERM").map_or(true, |t| t != "dumb");
        Output { format, headers: !no_headers, color }
    }

    /// Print a list. `what` names the items for the "No ... found." line.
    pub fn list<T: Row>(&self, items: &[T], what: &str) -> Result<(), Failure> {
        match self.format {
            Format::Json | Format::Yaml => self.data(&items),
            Format::Name => {
                let mut out = String::new();
                for item in items {
                    out.push_str(&item.name());
                    out.push('\n');
                }
                emit(&out)
            }
            // `-o dot` reaches only `service graph` (`run` refuses it elsewhere).
            Format::Table | Format::Wide | Format::Dot => {
                if items.is_empty() {
                    eprintln!("No {what} found.");
                    return Ok(());
                }
                let wide = self.format == Format::Wide;
                let mut headers: Vec<&str> = T::COLUMNS.to_vec();
                if wide {
                    headers.extend_from_slice(T::WIDE);
                }
                let rows: Vec<Vec<String>> = items.iter().map(|i| i.cells(wide)).collect();
                emit(&self.table(&headers, rows))
            }
        }
    }

    /// Print one object as a one-row table (or its data / name).
    pub fn one<T: Row>(&self, item: &T) -> Result<(), Failure> {
        match self.format {
            Format::Json | Format::Yaml => self.data(item),
            _ => self.list(std::slice::from_ref(item), ""),
        }
    }

    /// Print `data` as JSON or YAML; tables and names come from `fields` and `name`.
    pub fn detail<T: Serialize>(&self, data: &T, name: &str, fields: &[(&str, String)]) -> Result<(), Failure> {
        match self.format {
            Format::Json | Format::Yaml => self.data(data),
            Format::Name => emit(&format!("{name}\n")),
            Format::Table | Format::Wide | Format::Dot => {
                let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 1;
                let mut out = String::new();
                for (key, value) in fields {
                    let label = format!("{key}:");
                    let label =
                        if self.color { format!("\x1b[1m{label:<width$}\x1b[0m") } else { format!("{label:<width$}") };
                    out.push_str(&format!("{label} {value}\n"));
                }
                emit(&out)
            }
        }
    }

    /// Print `data` as JSON (pretty) or YAML, whatever the table format would be.
    pub fn data<T: Serialize + ?Sized>(&self, data: &T) -> Result<(), Failure> {
        let encode = |e: serde_json::Error| Failure::error(format!("cannot encode output: {e}"));
        let text = match self.format {
            Format::Yaml => to_yaml(&serde_json::to_value(data).map_err(encode)?),
            // Straight from the type, so fields keep the order of the API.
            _ => serde_json::to_string_pretty(data).map_err(encode)? + "\n",
        };
        emit(&text)
    }

    pub fn table(&self, headers: &[&str], rows: Vec<Vec<String>>) -> String {
        let status_col = headers.iter().position(|h| *h == "STATUS");
        let mut builder = Builder::default();
        if self.headers {
            builder.push_record(
                headers.iter().map(|h| if self.color { format!("\x1b[1m{h}\x1b[0m") } else { (*h).to_owned() }),
            );
        }
        for mut row in rows {
            if let Some(cell) = status_col.filter(|_| self.color).and_then(|i| row.get_mut(i)) {
                *cell = paint_status(cell);
            }
            builder.push_record(row);
        }
        let mut table = builder.build();
        // kubectl's look: no borders, three blanks between columns.
        table.with(Style::empty()).with(Padding::new(0, 3, 0, 0));
        let mut text = table.to_string();
        // tabled pads the last column too; trailing blanks are noise in a terminal and in diffs.
        text = text.lines().map(str::trim_end).collect::<Vec<_>>().join("\n");
        text.push('\n');
        text
    }
}

/// Write to stdout; a closed pipe (`| head`) is not an error.
pub fn emit(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn paint_status(status: &str) -> String {
    let color = match status {
        "active" | "healthy" | "yes" | "current" | "passing" => "32",
        "disabled" | "suspended" | "degraded" | "retiring" | "warning" => "33",
        "locked" | "deleted" | "unhealthy" | "failure" | "retired" | "critical" => "31",
        _ => return status.to_owned(),
    };
    format!("\x1b[{color}m{status}\x1b[0m")
}

/// "3m ago" / "in 2h" for a table; the RFC 3339 text itself when it does not parse.
pub fn ago(ts: &str) -> String {
    let Ok(then) = OffsetDateTime::parse(ts, &Rfc3339) else {
        return ts.to_owned();
    };
    let secs = (OffsetDateTime::now_utc() - then).whole_seconds();
    let (n, future) = if secs < 0 { (-secs, true) } else { (secs, false) };
    let span = human_span(n as u64);
    if future { format!("in {span}") } else { format!("{span} ago") }
}

/// `ago` for an optional time; `-` for none.
pub fn ago_opt(ts: Option<&str>) -> String {
    ts.map(ago).unwrap_or_else(|| "-".to_owned())
}

/// `45s`, `3m`, `2h`, `5d`, `3mo`, `2y`: the largest unit, like kubectl's AGE.
pub fn human_span(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h", secs / 3600),
        86_400..2_592_000 => format!("{}d", secs / 86_400),
        2_592_000..31_536_000 => format!("{}mo", secs / 2_592_000),
        _ => format!("{}y", secs / 31_536_000),
    }
}

pub fn or_dash(s: &str) -> String {
    if s.is_empty() { "-".to_owned() } else { s.to_owned() }
}

/// YAML of a JSON value. Strings that a YAML reader could take for anything
/// but a string are double-quoted (a JSON string is valid YAML).
pub fn to_yaml(value: &serde_json::Value) -> String {
    let mut out = String::new();
    yaml_block(value, 0, &mut out);
    if out.is_empty() || !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn yaml_scalar(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    Some(match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => yaml_string(s),
        Value::Array(a) if a.is_empty() => "[]".to_owned(),
        Value::Object(o) if o.is_empty() => "{}".to_owned(),
        _ => return None,
    })
}

fn yaml_string(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '/')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "_-./@".contains(c))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n" | "nan" | "inf"
        );
    if plain { s.to_owned() } else { serde_json::Value::String(s.to_owned()).to_string() }
}

fn yaml_block(value: &serde_json::Value, indent: usize, out: &mut String) {
    use serde_json::Value;
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, v) in map {
                out.push_str(&format!("{pad}{}:", yaml_string(key)));
                match yaml_scalar(v) {
                    Some(s) => out.push_str(&format!(" {s}\n")),
                    None => {
                        out.push('\n');
                        // Sequences under a key sit at the key's indentation, as kubectl prints them.
                        let child = if v.is_array() { indent } else { indent + 2 };
                        yaml_block(v, child, out);
                    }
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                match yaml_scalar(item) {
                    Some(s) => out.push_str(&format!("{pad}- {s}\n")),
                    None => {
                        // The first line of a nested block goes after the dash.
                        let mut nested = String::new();
                        yaml_block(item, indent + 2, &mut nested);
                        let trimmed = nested.strip_prefix(&" ".repeat(indent + 2)).unwrap_or(&nested);
                        out.push_str(&format!("{pad}- {trimmed}"));
                    }
                }
            }
        }
        other => {
            if let Some(s) = yaml_scalar(other) {
                out.push_str(&format!("{pad}{s}\n"));
            }
        }
    }
}

/// At most `max` characters of the first line, for a table cell.
pub fn truncate(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() <= max && line.len() == text.len() {
        return text.to_owned();
    }
    let mut out: String = line.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `1 thing` or `n things`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_quotes_what_would_not_read_back_as_a_string() {
        let v = json!({
            "name": "alice", "empty": "", "yes": "yes", "num": "123", "time": "2026-11-21T10:00:00Z",
            "colon": "a: b", "n": 7, "f": 1.5, "b": true, "none": null, "list": ["x", "-y"], "nested": {"k": "v"},
            "objs": [{"a": 1, "b": [1, 2]}, {}], "blank": [], "email": "a@b.test"
        });
        let yaml = to_yaml(&v);
        let expected = "\
b: true
blank: []
colon: \"a: b\"
email: a@b.test
empty: \"\"
f: 1.5
list:
- x
- \"-y\"
\"n\": 7
name: alice
nested:
  k: v
none: null
num: \"123\"
objs:
- a: 1
  b:
  - 1
  - 2
- {}
time: \"2026-11-21T10:00:00Z\"
yes: \"yes\"
";
        // Keys like `yes` and `n` are quoted too: they read as booleans in YAML 1.1.
        assert_eq!(yaml, expected.replace("yes: \"yes\"", "\"yes\": \"yes\""));
    }

    #[test]
    fn spans_use_the_largest_unit() {
        assert_eq!(human_span(0), "0s");
        assert_eq!(human_span(59), "59s");
        assert_eq!(human_span(60), "1m");
        assert_eq!(human_span(7200), "2h");
        assert_eq!(human_span(86_400 * 3), "3d");
        assert_eq!(human_span(86_400 * 65), "2mo");
        assert_eq!(human_span(86_400 * 800), "2y");
        assert_eq!(ago("not a time"), "not a time");
    }
}
