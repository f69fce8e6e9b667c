//! Targets and their subscriptions, and the users a target should hold
//! (its rules' tenants: [`UserScope`], which checks and backfills read).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use super::*;

pub(super) const TARGET_COLUMNS: &str = "id, name, kind, url, events, secret, secret_hint, state, disabled_reason, timeout_ms, \
     max_attempts, concurrency, options, read_back, rules, circuit, circuit_failures, circuit_open_until, circuit_version, \
     last_success_at, last_error, created_at, updated_at, batch_events, batch_bytes, backfill";

/// Stored rules (`NULL` when none), compiled once per distinct text: a
/// target's rules change only with their text, so the text is the key, and
/// fan-out (every event write) and target reads share what was compiled.
pub(super) fn compile_rules(text: Option<&str>) -> Result<Option<Arc<Rules>>> {
    /// Distinct rule texts kept at most; past it the cache starts over.
    const KEPT: usize = 1024;
    static COMPILED: LazyLock<Mutex<HashMap<String, Arc<Rules>>>> = LazyLock::new(Default::default);
    let Some(text) = text else { return Ok(None) };
    let cache = || COMPILED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(rules) = cache().get(text) {
        return Ok(Some(rules.clone()));
    }
    let rules: TargetRules = decode_json("sync_targets.rules", text)?;
    let Some(compiled) = Rules::compile(&rules).map_err(|e| StoreError::Corrupt(format!("sync target rules: {e}")))?
    else {
        return Ok(None);
    };
    let compiled = Arc::new(compiled);
    let mut kept = cache();
    if kept.len() >= KEPT {
        kept.clear();
    }
    kept.insert(text.to_owned(), compiled.clone());
    Ok(Some(compiled))
}

/// The column value of `rules`: `NULL` when there are none.
fn rules_text(rules: &TargetRules) -> Result<Option<String>> {
    if rules.is_empty() { Ok(None) } else { json_text(rules).map(Some) }
}

pub(super) fn target_from_row(row: &AnyRow) -> Result<TargetRow> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("sync target {what}"));
    let rules_column = get_opt_str(row, "rules")?;
    let rules = match rules_column.as_deref() {
        Some(text) => decode_json("sync_targets.rules", text)?,
        None => TargetRules::default(),
    };
    let compiled = compile_rules(rules_column.as_deref())?;
    let backfill = match get_opt_str(row, "backfill")? {
        Some(text) => Some(decode_json("sync_targets.backfill", &text)?),
        None => None,
    };
    Ok(TargetRow {
        rules,
        compiled,
        batch: TargetBatch {
            max_events: get_i64(row, "batch_events")?.clamp(1, i64::from(u32::MAX)) as u32,
            max_bytes: get_i64(row, "batch_bytes")?.max(1) as u64,
        },
        backfill,
        id: get_str(row, "id")?,
        name: get_str(row, "name")?,
        kind: TargetKind::parse(&get_str(row, "kind")?).ok_or_else(|| corrupt("kind"))?,
        url: get_str(row, "url")?,
        events: serde_json::from_str(&get_str(row, "events")?).map_err(|_| corrupt("events"))?,
        secret: get_opt_str(row, "secret")?,
        secret_hint: get_opt_str(row, "secret_hint")?,
        state: TargetState::parse(&get_str(row, "state")?).ok_or_else(|| corrupt("state"))?,
        disabled_reason: get_opt_str(row, "disabled_reason")?,
        timeout_ms: get_i64(row, "timeout_ms")?,
        max_attempts: get_i64(row, "max_attempts")? as u32,
        concurrency: get_i64(row, "concurrency")? as u32,
        options: serde_json::from_str(&get_str(row, "options")?).map_err(|_| corrupt("options"))?,
        read_back: serde_json::from_str(&get_str(row, "read_back")?).map_err(|_| corrupt("read_back"))?,
        circuit: Circuit {
            state: CircuitState::parse(&get_str(row, "circuit")?).ok_or_else(|| corrupt("circuit"))?,
            failures: get_i64(row, "circuit_failures")?.clamp(0, i64::from(u32::MAX)) as u32,
            open_until: get_opt_i64(row, "circuit_open_until")?,
        },
        circuit_version: get_i64(row, "circuit_version")?,
        last_success_at: get_opt_i64(row, "last_success_at")?,
        last_error: get_opt_str(row, "last_error")?,
        created_at: get_i64(row, "created_at")?,
        updated_at: get_i64(row, "updated_at")?,
    })
}

pub(super) async fn target_by_name(conn: &mut AnyConnection, name: &str) -> Result<TargetRow> {
    let row = sqlx::query(&format!("SELECT {TARGET_COLUMNS} FROM sync_targets WHERE name = $1"))
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| not_found_target(name))?;
    target_from_row(&row)
}

async fn replace_subscriptions(conn: &mut AnyConnection, target_id: &str, events: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM sync_subscriptions WHERE target_id = $1").bind(target_id).execute(&mut *conn).await?;
    let mut patterns: Vec<String> = events.iter().map(|e| like_pattern(e)).collect();
    patterns.sort();
    patterns.dedup();
    for pattern in patterns {
        sqlx::query("INSERT INTO sync_subscriptions (target_id, pattern) VALUES ($1, $2)")
            .bind(target_id)
            .bind(pattern)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn audit_target(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    action: &str,
    name: &str,
    details: serde_json::Value,
) -> Result<()> {
    record_audit(
        conn,
        ctx,
        AuditDraft { action, target: format!("sync-target:{name}"), tenant: None, outcome: "success", details },
    )
    .await
}

impl Store {
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.create_target", skip_all)]
    pub async fn create_target(&self, ctx: &Ctx, new: NewTarget) -> Result<TargetRow> {
        let now = now_ms();
        let id = new_id();
        let mut tx = self.begin(ctx).await?;
        let inserted = sqlx::query(
            "INSERT INTO sync_targets (id, name, kind, url, events, secret, secret_hint, state, timeout_ms, \
             max_attempts, concurrency, options, read_back, rules, circuit, created_at, updated_at, batch_events, \
             batch_bytes, backfill) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10, $11, $12, $14, 'closed', $13, $13, $15, $16, \
             $17)",
        )
        .bind(id.clone())
        .bind(new.name.clone())
        .bind(new.kind.as_str())
        .bind(new.url.clone())
        .bind(json_text(&new.events)?)
        .bind(new.secret.clone())
        .bind(new.secret_hint.clone())
        .bind(new.timeout_ms)
        .bind(i64::from(new.max_attempts))
        .bind(i64::from(new.concurrency))
        .bind(serde_json::Value::Object(new.options.clone()).to_string())
        .bind(json_text(&new.read_back)?)
        .bind(now)
        .bind(rules_text(&new.rules)?)
        .bind(i64::from(new.batch.max_events))
        .bind(new.batch.max_bytes as i64)
        .bind(new.backfill.then(|| BackfillRecord::start(now)).map(|b| json_text(&b)).transpose()?)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::AlreadyExists { kind: "sync target", name: new.name, field: "name" });
            }
            other => {
                other?;
            }
        }
        replace_subscriptions(&mut tx, &id, &new.events).await?;
        audit_target(
            &mut tx,
            ctx,
            "sync.target.create",
            &new.name,
            serde_json::json!({"kind": new.kind.as_str(), "url": plat_domain::redact_url(&new.url), "events": new.events,
                "rules": new.rules, "batch": new.batch, "backfill": new.backfill}),
        )
        .await?;
        let row = target_by_name(&mut tx, &new.name).await?;
        tx.commit().await?;
        Ok(row)
    }

    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.list_targets", skip_all)]
    pub async fn list_targets(&self) -> Result<Vec<TargetRow>> {
        let rows = sqlx::query(&format!("SELECT {TARGET_COLUMNS} FROM sync_targets ORDER BY name"))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(target_from_row).collect()
    }

    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.get_target", skip_all)]
    pub async fn get_target(&self, name: &str) -> Result<TargetRow> {
        let mut conn = self.read.acquire().await?;
        target_by_name(&mut conn, name).await
    }

    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.update_target", skip_all)]
    pub async fn update_target(&self, ctx: &Ctx, name: &str, change: TargetChange) -> Result<TargetRow> {
        let mut tx = self.begin(ctx).await?;
        let mut row = target_by_name(&mut tx, name).await?;
        let mut changed = Vec::new();
        if let Some(url) = change.url {
            row.url = url;
            changed.push("url");
        }
        if let Some(events) = change.events {
            replace_subscriptions(&mut tx, &row.id, &events).await?;
            row.events = events;
            changed.push("events");
        }
        if let Some((secret, hint)) = change.secret {
            row.secret = Some(secret);
            row.secret_hint = Some(hint);
            changed.push("secret");
        }
        if let Some(ms) = change.timeout_ms {
            row.timeout_ms = ms;
            changed.push("timeout");
        }
        if let Some(n) = change.max_attempts {
            row.max_attempts = n;
            changed.push("max_attempts");
        }
        if let Some(n) = change.concurrency {
            row.concurrency = n;
            changed.push("concurrency");
        }
        if let Some(options) = change.options {
            row.options = options;
            changed.push("options");
        }
        if let Some(read_back) = change.read_back {
            row.read_back = read_back;
            changed.push("read_back");
        }
        if let Some(rules) = change.rules {
            row.compiled = Rules::compile(&rules)
                .map_err(|e| StoreError::Invalid { field: e.field, message: e.message })?
                .map(std::sync::Arc::new);
            row.rules = rules;
            changed.push("rules");
        }
        if let Some(batch) = change.batch {
            row.batch = batch;
            changed.push("batch");
        }
        row.updated_at = now_ms();
        sqlx::query(
            "UPDATE sync_targets SET url = $1, events = $2, secret = $3, secret_hint = $4, timeout_ms = $5, \
             max_attempts = $6, concurrency = $7, options = $8, read_back = $9, updated_at = $10, rules = $12, \
             batch_events = $13, batch_bytes = $14 WHERE id = $11",
        )
        .bind(row.url.clone())
        .bind(json_text(&row.events)?)
        .bind(row.secret.clone())
        .bind(row.secret_hint.clone())
        .bind(row.timeout_ms)
        .bind(i64::from(row.max_attempts))
        .bind(i64::from(row.concurrency))
        .bind(serde_json::Value::Object(row.options.clone()).to_string())
        .bind(json_text(&row.read_back)?)
        .bind(row.updated_at)
        .bind(row.id.clone())
        .bind(rules_text(&row.rules)?)
        .bind(i64::from(row.batch.max_events))
        .bind(row.batch.max_bytes as i64)
        .execute(&mut *tx)
        .await?;
        audit_target(&mut tx, ctx, "sync.target.update", name, serde_json::json!({"changed": changed})).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Delete a target with all its tasks and attempts.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.delete_target", skip_all)]
    pub async fn delete_target(&self, ctx: &Ctx, name: &str) -> Result<()> {
        let mut tx = self.begin(ctx).await?;
        let row = target_by_name(&mut tx, name).await?;
        // Attempts and tasks go by cascade; delete them explicitly so SQLite
        // does not depend on the foreign-key pragma.
        sqlx::query("DELETE FROM sync_attempts WHERE task_seq IN (SELECT seq FROM sync_tasks WHERE target_id = $1)")
            .bind(row.id.clone())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sync_heads WHERE target_id = $1").bind(row.id.clone()).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM sync_tasks WHERE target_id = $1").bind(row.id.clone()).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM sync_subscriptions WHERE target_id = $1")
            .bind(row.id.clone())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sync_targets WHERE id = $1").bind(row.id.clone()).execute(&mut *tx).await?;
        audit_target(&mut tx, ctx, "sync.target.delete", name, serde_json::json!({})).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Pause, resume or disable a target. Resuming closes its circuit.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.set_target_state", skip_all)]
    pub async fn set_target_state(&self, ctx: &Ctx, name: &str, state: TargetState) -> Result<TargetRow> {
        let now = now_ms();
        let mut tx = self.begin(ctx).await?;
        let row = target_by_name(&mut tx, name).await?;
        sqlx::query(
            "UPDATE sync_targets SET state = $1, disabled_reason = NULL, \
             circuit = CASE WHEN $1 = 'active' THEN 'closed' ELSE circuit END, \
             circuit_failures = CASE WHEN $1 = 'active' THEN 0 ELSE circuit_failures END, \
             circuit_open_until = CASE WHEN $1 = 'active' THEN NULL ELSE circuit_open_until END, \
             circuit_version = circuit_version + CASE WHEN $1 = 'active' THEN 1 ELSE 0 END, \
             updated_at = $2 WHERE id = $3",
        )
        .bind(state.as_str())
        .bind(now)
        .bind(row.id.clone())
        .execute(&mut *tx)
        .await?;
        let action = match state {
            TargetState::Active => "sync.target.resume",
            TargetState::Paused => "sync.target.pause",
            TargetState::Disabled => "sync.target.disable",
        };
        audit_target(&mut tx, ctx, action, name, serde_json::json!({})).await?;
        let row = target_by_name(&mut tx, name).await?;
        if state == TargetState::Active {
            announce(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(row)
    }
}

/// The users a target should hold: every tenant's, or those its rules name
/// (`rules.tenants`).
#[derive(Debug, Clone, Default)]
pub struct UserScope {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

impl UserScope {
    pub fn of(target: &TargetRow) -> UserScope {
        UserScope { include: target.rules.tenants.include.clone(), exclude: target.rules.tenants.exclude.clone() }
    }

    /// ` AND tenant_id …` with the slugs inlined as bound-free literals
    /// (slugs are validated: `[a-z0-9-]`), so the streaming query stays one
    /// string.
    pub(crate) fn clause(&self) -> String {
        let list = |slugs: &[String]| {
            slugs
                .iter()
                .filter(|s| s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
                .map(|s| format!("'{s}'"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match (self.include.is_empty(), self.exclude.is_empty()) {
            (false, _) => format!(" AND tenant_id IN (SELECT id FROM tenants WHERE slug IN ({}))", list(&self.include)),
            (true, false) => {
                format!(" AND tenant_id NOT IN (SELECT id FROM tenants WHERE slug IN ({}))", list(&self.exclude))
            }
            (true, true) => String::new(),
        }
    }
}
