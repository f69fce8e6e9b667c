//! What a check reads from plat: live users' `(id, version)` streamed, and the records still moving.

use super::*;

impl Store {
    /// How many users in `scope` are live (not deleted): the records a target should hold.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.count_live_users", skip_all)]
    pub async fn count_live_users(&self, scope: &UserScope) -> Result<u64> {
        let sql = format!("SELECT COUNT(*) AS n FROM users WHERE status <> 'deleted'{}", scope.clause());
        let row = sqlx::query(&sql).fetch_one(&self.read).await?;
        Ok(get_i64(&row, "n")?.max(0) as u64)
    }

    /// Stream the `(id, version)` of every live (not deleted) user, in
    /// batches, through a bounded channel so memory stays flat. `ordered`
    /// sorts by id in byte order (the order of read-back pages).
    pub fn stream_user_versions(&self, scope: &UserScope, ordered: bool) -> mpsc::Receiver<Result<Vec<VersionedId>>> {
        let (tx, rx) = mpsc::channel(4);
        let pool = self.read.clone();
        let order = match (ordered, self.backend) {
            (false, _) => "",
            (true, crate::Backend::Postgres) => " ORDER BY id COLLATE \"C\"",
            (true, crate::Backend::Sqlite) => " ORDER BY id",
        };
        let sql = format!("SELECT id, version FROM users WHERE status <> 'deleted'{}{order}", scope.clause());
        tokio::spawn(async move {
            use futures_util::TryStreamExt;
            let mut rows = sqlx::query(&sql).fetch(&pool);
            let mut batch = Vec::with_capacity(2048);
            loop {
                match rows.try_next().await {
                    Ok(Some(row)) => {
                        let id: std::result::Result<String, _> = row.try_get(0);
                        let version: std::result::Result<i64, _> = row.try_get(1);
                        match (id, version) {
                            (Ok(id), Ok(version)) => batch.push(VersionedId { id, version: version.max(0) as u64 }),
                            (Err(e), _) | (_, Err(e)) => {
                                let _ = tx.send(Err(e.into())).await;
                                return;
                            }
                        }
                        if batch.len() == 2048 && tx.send(Ok(std::mem::take(&mut batch))).await.is_err() {
                            return;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        let _ = tx.send(Err(e.into())).await;
                        return;
                    }
                }
            }
            if !batch.is_empty() {
                let _ = tx.send(Ok(batch)).await;
            }
        });
        rx
    }

    /// Of `ids`, those that are still moving for `target_id`: a task for the
    /// target that is open or changed state after `since` (unix ms), or a
    /// change of the user (an event) after `since`.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.moving_records", skip_all)]
    pub async fn moving_records(&self, target_id: Option<&str>, ids: &[String], since: i64) -> Result<HashSet<String>> {
        let mut out = HashSet::new();
        for chunk in ids.chunks(500) {
            let mut conn = self.read.acquire().await?;
            let mut p = Params::for_conn(&conn);
            let list = p.list(chunk.len());
            let since_p = p.next();
            let sql = format!(
                "SELECT aggregate_id FROM events WHERE aggregate_kind = 'user' AND aggregate_id IN ({list}) \
                 AND created_at > {since_p}"
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id.clone());
            }
            for row in query.bind(since).fetch_all(&mut *conn).await? {
                out.insert(get_str(&row, "aggregate_id")?);
            }
            if let Some(target_id) = target_id {
                // Open now, or settled after `since`: delivered while the
                // check read the two sides, so either may have seen it.
                out.extend(records_with_tasks(&mut conn, target_id, chunk, Some(since)).await?);
            }
        }
        Ok(out)
    }
}

/// Of `ids`, those with a task for the target that is open, or (with
/// `settled_since`) changed state after that time.
pub(super) async fn records_with_tasks(
    conn: &mut AnyConnection,
    target_id: &str,
    ids: &[String],
    settled_since: Option<i64>,
) -> Result<HashSet<String>> {
    let mut p = Params::for_conn(conn);
    let (target_p, list) = (p.next(), p.list(ids.len()));
    let settled = match settled_since {
        Some(_) => format!(" OR updated_at > {}", p.next()),
        None => String::new(),
    };
    let sql = format!(
        "SELECT aggregate_id FROM sync_tasks WHERE target_id = {target_p} AND aggregate_kind = 'user' \
         AND aggregate_id IN ({list}) AND (status IN ('pending', 'failed', 'in_flight'){settled})"
    );
    let mut query = sqlx::query(&sql).bind(target_id.to_owned());
    for id in ids {
        query = query.bind(id.clone());
    }
    if let Some(since) = settled_since {
        query = query.bind(since);
    }
    query.fetch_all(&mut *conn).await?.iter().map(|r| get_str(r, "aggregate_id")).collect()
}
