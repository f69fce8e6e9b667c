//! Helpers for other crates' tests (`daemon/tests/it`), behind the
//! `test-support` feature (`plat-store = { features = ["test-support"] }` in
//! their `[dev-dependencies]`): never in a build of plat itself.

use sqlx::Executor;

use crate::{Result, StoreError};

/// Create a fresh, empty PostgreSQL database next to `server_url`'s and
/// return its URL (tests and benchmarks give each run its own database).
pub async fn create_postgres_database(server_url: &str, name: &str) -> Result<String> {
    sqlx::any::install_default_drivers();
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Err(StoreError::Invalid { field: "name".into(), message: "database names are [a-z0-9_]".into() });
    }
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(server_url).await?;
    conn.execute(format!("CREATE DATABASE {name}").as_str()).await?;
    let (base, query) = match server_url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (server_url, String::new()),
    };
    let prefix = base.rsplit_once('/').map(|(p, _)| p).unwrap_or(base);
    Ok(format!("{prefix}/{name}{query}"))
}

/// Drop a database made by [`create_postgres_database`].
pub async fn drop_postgres_database(server_url: &str, name: &str) -> Result<()> {
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(server_url).await?;
    conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await?;
    Ok(())
}
