//! The SQL helpers every module uses, and nothing else of the store's:
//! placeholders and WHERE clauses, column readers, JSON in columns, times
//! and ids, paged reads of a `seq` table. It imports no other module (only
//! the crate root's `Store`, `StoreError` and `Result`).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{PageRequest, Result, Store, StoreError};

/// `value` as JSON text for a column. Serializing plat's own types cannot
/// fail short of a bug; if it does, the change fails, rather than storing
/// an empty string.
pub(crate) fn json_text<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("cannot serialize: {e}")))
}

/// `value` as a JSON value for an event's `data`: a failure fails the
/// change, rather than announcing `null`.
pub(crate) fn json_value<T: serde::Serialize + ?Sized>(value: &T) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| StoreError::Corrupt(format!("cannot serialize: {e}")))
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// RFC 3339 (UTC, milliseconds) rendering of unix milliseconds.
pub fn format_ms(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"))
        .unwrap_or_default()
}

/// Parse an RFC 3339 time to unix milliseconds.
pub fn parse_rfc3339_ms(text: &str) -> Option<i64> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) fn get_i64(row: &AnyRow, col: &str) -> Result<i64> {
    Ok(row.try_get::<i64, _>(col)?)
}

pub(crate) fn get_opt_i64(row: &AnyRow, col: &str) -> Result<Option<i64>> {
    Ok(row.try_get::<Option<i64>, _>(col)?)
}

pub(crate) fn get_str(row: &AnyRow, col: &str) -> Result<String> {
    Ok(row.try_get::<String, _>(col)?)
}

pub(crate) fn get_opt_str(row: &AnyRow, col: &str) -> Result<Option<String>> {
    Ok(row.try_get::<Option<String>, _>(col)?)
}

/// Decode a JSON column; a value that does not decode is `Corrupt`.
pub(crate) fn decode_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// `since` as RFC 3339 or a duration back from now.
pub fn parse_since(field: &str, text: &str) -> Result<i64> {
    if let Some(ms) = parse_rfc3339_ms(text) {
        return Ok(ms);
    }
    let back = plat_domain::parse_duration(field, text).map_err(|_| StoreError::Invalid {
        field: field.into(),
        message: format!("{text:?} is neither an RFC 3339 time nor a duration such as 1h"),
    })?;
    Ok(plat_domain::millis_before(now_ms(), back))
}

/// Placeholders for statements with many parameters. PostgreSQL gets `$N`;
/// SQLite gets plain `?`, because sqlx resolves every `$N` through
/// `sqlite3_bind_parameter_name`, a linear scan, which makes a multi-row
/// insert quadratic (half of an import's time, measured).
pub(crate) struct Params {
    positional: bool,
    n: usize,
}

impl Params {
    pub(crate) fn for_conn(conn: &AnyConnection) -> Params {
        Params { positional: conn.backend_name() == "SQLite", n: 0 }
    }

    pub(crate) fn next(&mut self) -> String {
        self.n += 1;
        if self.positional { "?".to_owned() } else { format!("${}", self.n) }
    }

    /// `p, p, p` for an IN list.
    pub(crate) fn list(&mut self, len: usize) -> String {
        (0..len).map(|_| self.next()).collect::<Vec<_>>().join(", ")
    }

    /// `(p, p), (p, p)` for `rows` rows of `cols` columns.
    pub(crate) fn rows(&mut self, rows: usize, cols: usize) -> String {
        (0..rows).map(|_| format!("({})", self.list(cols))).collect::<Vec<_>>().join(", ")
    }
}

/// Append the VALUES rows of a multi-row insert.
pub(crate) fn push_placeholders(conn: &AnyConnection, sql: &mut String, rows: usize, cols: usize) {
    sql.push_str(&Params::for_conn(conn).rows(rows, cols));
}

/// A WHERE clause built from trusted column names and bound values.
#[derive(Clone, Default)]
pub(crate) struct Filter {
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

#[derive(Clone)]
pub(crate) enum Bind {
    Text(String),
    Int(i64),
}

impl Filter {
    fn next(&self) -> usize {
        self.binds.len() + 1
    }

    pub(crate) fn eq(&mut self, column: &str, value: String) {
        self.clauses.push(format!("{column} = ${}", self.next()));
        self.binds.push(Bind::Text(value));
    }

    /// A `*` glob as LIKE (with `_`, `%` and `\` escaped); the glob is
    /// checked first (`plat_domain::validate_glob`), and named by `field`.
    pub(crate) fn like(&mut self, column: &str, field: &str, pattern: &str) -> crate::Result<()> {
        plat_domain::validate_glob(field, pattern)?;
        if !pattern.contains('*') {
            self.eq(column, pattern.to_owned());
            return Ok(());
        }
        self.clauses.push(format!("{column} LIKE ${} ESCAPE '\\'", self.next()));
        self.binds.push(Bind::Text(plat_domain::like_pattern(pattern)));
        Ok(())
    }

    /// A clause without a bound value.
    pub(crate) fn fixed(&mut self, clause: &str) {
        self.clauses.push(clause.to_owned());
    }

    pub(crate) fn len(&self) -> usize {
        self.binds.len()
    }

    pub(crate) fn raw(&mut self, clause_with_placeholder: impl Fn(usize) -> String, value: Bind) {
        self.clauses.push(clause_with_placeholder(self.next()));
        self.binds.push(value);
    }

    /// `column IN (...)` over integers.
    pub(crate) fn in_ints(&mut self, column: &str, values: impl IntoIterator<Item = i64>) {
        let start = self.next();
        let values: Vec<i64> = values.into_iter().collect();
        let list = (start..start + values.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        self.clauses.push(format!("{column} IN ({list})"));
        self.binds.extend(values.into_iter().map(Bind::Int));
    }

    pub(crate) fn gte_int(&mut self, column: &str, value: i64) {
        self.clauses.push(format!("{column} >= ${}", self.next()));
        self.binds.push(Bind::Int(value));
    }

    pub(crate) fn lt_int(&mut self, column: &str, value: i64) {
        self.clauses.push(format!("{column} < ${}", self.next()));
        self.binds.push(Bind::Int(value));
    }

    pub(crate) fn where_clause(&self) -> String {
        if self.clauses.is_empty() { String::new() } else { format!(" WHERE {}", self.clauses.join(" AND ")) }
    }

    pub(crate) fn bind_all<'q>(
        &self,
        mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        for bind in &self.binds {
            query = match bind {
                Bind::Text(s) => query.bind(s.clone()),
                Bind::Int(i) => query.bind(*i),
            };
        }
        query
    }
}

impl Store {
    pub(crate) async fn page_query(
        &self,
        table: &str,
        columns: &str,
        filter: &Filter,
        page: &PageRequest,
    ) -> Result<Vec<AnyRow>> {
        let mut filter = filter.clone();
        if let Some(after) = page.after_seq()? {
            filter.lt_int("seq", after);
        }
        let n = filter.binds.len();
        let sql = format!(
            "SELECT {columns} FROM {table}{} ORDER BY seq DESC LIMIT ${} OFFSET ${}",
            filter.where_clause(),
            n + 1,
            n + 2
        );
        let query = filter.bind_all(sqlx::query(&sql));
        Ok(query.bind(page.page_size as i64 + 1).bind(page.offset()).fetch_all(&self.read).await?)
    }

    pub(crate) async fn count_query(&self, table: &str, filter: &Filter) -> Result<u64> {
        let sql = format!("SELECT COUNT(*) FROM {table}{}", filter.where_clause());
        let row = filter.bind_all(sqlx::query(&sql)).fetch_one(&self.read).await?;
        Ok(row.try_get::<i64, _>(0)? as u64)
    }
}
