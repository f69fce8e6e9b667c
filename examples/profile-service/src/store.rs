//! The profile service's own SQLite database: one `users` table holding the
//! latest snapshot of each plat user this service has been sent.
//!
//! The schema is deliberately plain, so that tests can inject drift by writing
//! to the file directly (`UPDATE users SET version = 99 WHERE id = ...`,
//! `INSERT INTO users (id, version) VALUES ('orphan', 1)`): every column but
//! `id` and `version` has a default.
//!
//! Every write is one statement whose `WHERE` clause carries the version
//! check, so a concurrent delivery can never slip between the check and the
//! write.

use std::path::Path;
use std::time::Duration;

use futures_util::TryStreamExt;
use plat_domain::readback::{Digest, bucket_of};
use serde::Serialize;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    id          TEXT PRIMARY KEY NOT NULL,
    tenant      TEXT NOT NULL DEFAULT '',
    username    TEXT NOT NULL DEFAULT '',
    email       TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT '',
    nickname    TEXT NOT NULL DEFAULT '',
    avatar_url  TEXT NOT NULL DEFAULT '',
    bio         TEXT NOT NULL DEFAULT '',
    roles       TEXT NOT NULL DEFAULT '[]',
    version     INTEGER NOT NULL,
    updated_at  TEXT NOT NULL DEFAULT '',
    received_at TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
-- Covers the read-back queries, so digests and record pages scan
-- (id, version) pairs instead of whole rows.
CREATE INDEX IF NOT EXISTS users_readback ON users (id, version);
";

const USER_COLUMNS: &str =
    "id, tenant, username, email, status, nickname, avatar_url, bio, roles, version, updated_at, received_at";

/// One stored user, as `GET /users/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserRow {
    pub id: String,
    pub tenant: String,
    pub username: String,
    pub email: String,
    pub status: String,
    pub nickname: String,
    pub avatar_url: String,
    pub bio: String,
    /// A JSON array of role names (stored as JSON text).
    pub roles: serde_json::Value,
    pub version: i64,
    /// plat's `updated_at` of the snapshot.
    pub updated_at: String,
    /// When this service stored the snapshot.
    pub received_at: String,
}

/// An `{id, version}` pair of the read-back protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    pub id: String,
    pub version: u64,
}

/// One change to the stored copy.
#[derive(Debug, Clone)]
pub enum Write {
    Upsert { user: Box<UserRow>, repair: bool },
    Delete { id: String, version: i64, repair: bool },
}

async fn upsert(db: impl sqlx::SqliteExecutor<'_>, user: &UserRow, repair: bool) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "INSERT INTO users (id, tenant, username, email, status, nickname, avatar_url, bio, roles, version, \
                            updated_at, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (id) DO UPDATE SET
             tenant = excluded.tenant, username = excluded.username, email = excluded.email,
             status = excluded.status, nickname = excluded.nickname, avatar_url = excluded.avatar_url,
             bio = excluded.bio, roles = excluded.roles, version = excluded.version,
             updated_at = excluded.updated_at, received_at = excluded.received_at
         WHERE excluded.version > users.version OR ?13",
    )
    .bind(&user.id)
    .bind(&user.tenant)
    .bind(&user.username)
    .bind(&user.email)
    .bind(&user.status)
    .bind(&user.nickname)
    .bind(&user.avatar_url)
    .bind(&user.bio)
    .bind(user.roles.to_string())
    .bind(user.version)
    .bind(&user.updated_at)
    .bind(&user.received_at)
    .bind(repair)
    .execute(db)
    .await?;
    Ok(result.rows_affected() > 0)
}

async fn delete(db: impl sqlx::SqliteExecutor<'_>, id: &str, version: i64, repair: bool) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("DELETE FROM users WHERE id = ?1 AND (version <= ?2 OR ?3)")
        .bind(id)
        .bind(version)
        .bind(repair)
        .execute(db)
        .await?;
    Ok(result.rows_affected() > 0)
}

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Open (creating if missing) the database at `path` in WAL mode and
    /// create the schema.
    pub async fn open(path: &Path) -> Result<Store, sqlx::Error> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            // Other processes (tests injecting drift) may hold the write lock briefly.
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        sqlx::raw_sql(SCHEMA).execute(&pool).await?;
        Ok(Store { pool })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Insert or replace the user if `user.version` is newer than the stored
    /// one, or unconditionally for a `repair`. Returns whether it was written.
    pub async fn upsert_user(&self, user: &UserRow, repair: bool) -> Result<bool, sqlx::Error> {
        upsert(&self.pool, user, repair).await
    }

    /// Delete the user if `version` is at least the stored one (a delete
    /// carries the next version), or unconditionally for a `repair`. Returns
    /// whether a row was deleted.
    pub async fn delete_user(&self, id: &str, version: i64, repair: bool) -> Result<bool, sqlx::Error> {
        delete(&self.pool, id, version, repair).await
    }

    /// Apply a batch of writes in one transaction (one disk sync for the
    /// lot: what makes a batched delivery cheap here too). Returns whether
    /// each was written.
    pub async fn apply_all(&self, writes: &[Write]) -> Result<Vec<bool>, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let mut written = Vec::with_capacity(writes.len());
        for write in writes {
            written.push(match write {
                Write::Upsert { user, repair } => upsert(&mut *tx, user, *repair).await?,
                Write::Delete { id, version, repair } => delete(&mut *tx, id, *version, *repair).await?,
            });
        }
        tx.commit().await?;
        Ok(written)
    }

    pub async fn get_user(&self, id: &str) -> Result<Option<UserRow>, sqlx::Error> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// The first `limit` users in id order.
    pub async fn list_users(&self, limit: u32) -> Result<Vec<UserRow>, sqlx::Error> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY id LIMIT ?1");
        let rows = sqlx::query(&sql).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(user_from_row).collect()
    }

    /// The read-back digest of all users over `buckets` buckets, streamed so
    /// that memory does not grow with the table.
    pub async fn digest(&self, buckets: u32) -> Result<Digest, sqlx::Error> {
        let mut digest = Digest::new(buckets);
        let mut rows = sqlx::query("SELECT id, version FROM users").fetch(&self.pool);
        while let Some(row) = rows.try_next().await? {
            let id: &str = row.try_get(0)?;
            digest.add(id, read_version(row.try_get(1)?));
        }
        Ok(digest)
    }

    /// All records in `bucket` of `buckets`, in id order. Buckets depend on
    /// the caller's N, so this scans every record.
    pub async fn records_in_bucket(&self, bucket: u32, buckets: u32) -> Result<Vec<Record>, sqlx::Error> {
        let mut records = Vec::new();
        let mut rows = sqlx::query("SELECT id, version FROM users ORDER BY id").fetch(&self.pool);
        while let Some(row) = rows.try_next().await? {
            let id: &str = row.try_get(0)?;
            if bucket_of(id, buckets) == bucket {
                records.push(Record { id: id.to_owned(), version: read_version(row.try_get(1)?) });
            }
        }
        Ok(records)
    }

    /// Up to `limit` records with an id after `after`, in id order.
    pub async fn records_after(&self, after: &str, limit: u32) -> Result<Vec<Record>, sqlx::Error> {
        let rows = sqlx::query("SELECT id, version FROM users WHERE id > ?1 ORDER BY id LIMIT ?2")
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| Ok(Record { id: row.try_get(0)?, version: read_version(row.try_get(1)?) })).collect()
    }
}

/// Versions are stored as SQLite integers; a negative one can only come from
/// a hand edit and reads back as 0, which plat will report as stale.
fn read_version(stored: i64) -> u64 {
    u64::try_from(stored).unwrap_or(0)
}

fn user_from_row(row: &SqliteRow) -> Result<UserRow, sqlx::Error> {
    let roles: String = row.try_get("roles")?;
    Ok(UserRow {
        id: row.try_get("id")?,
        tenant: row.try_get("tenant")?,
        username: row.try_get("username")?,
        email: row.try_get("email")?,
        status: row.try_get("status")?,
        nickname: row.try_get("nickname")?,
        avatar_url: row.try_get("avatar_url")?,
        bio: row.try_get("bio")?,
        // A hand-edited value that is not JSON is shown as the string it is.
        roles: serde_json::from_str(&roles).unwrap_or(serde_json::Value::String(roles)),
        version: row.try_get("version")?,
        updated_at: row.try_get("updated_at")?,
        received_at: row.try_get("received_at")?,
    })
}
