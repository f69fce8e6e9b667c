//! The outbox: events appended inside the transaction of the change they
//! describe and fanned out there to the sync targets that take them
//! (`sync::fan_out`, called from here alone), services' published events,
//! and `GET /events`. [`record_change`] is the one helper for "event +
//! audit record".

use plat_proto::{Event, EventQuery, Page, PublishEvent, catalog};
use sqlx::AnyConnection;

use crate::audit::{AuditDraft, AuditOf, record_audit, record_audits};
use crate::envelope::{EventDraft, Head, build_event, envelope};
use crate::rows::tenant_by_slug;
use crate::sql::{
    Filter, decode_json, get_i64, get_str, is_unique_violation, json_text, now_ms, parse_since, push_placeholders,
};
use crate::sync::fan_out;
use crate::{Ctx, PageRequest, Result, Store, StoreError};

/// The tenant an audit record of a publication belongs to: the one it
/// published into (the first, for a batch across tenants).
fn ctx_tenant(tenants: &[String]) -> &str {
    tenants.first().map_or("", String::as_str)
}

/// A change of an actor's: its event and, under the event type's audit
/// action (`EventType::audit`), its audit record, on `conn` in the change's
/// transaction. The one way plat writes "event + audit".
pub(crate) async fn record_change(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    draft: EventDraft<'_>,
    audit: AuditOf<'_>,
) -> Result<Event> {
    let mut events = record_changes(conn, ctx, vec![(draft, audit)]).await?;
    events.pop().ok_or_else(|| StoreError::Corrupt("a change recorded no event".into()))
}

/// Many changes of one actor's in one go: their events in one multi-row
/// insert (and one fan-out), their audit records in another.
pub(crate) async fn record_changes(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    changes: Vec<(EventDraft<'_>, AuditOf<'_>)>,
) -> Result<Vec<Event>> {
    let now = now_ms();
    let mut events = Vec::with_capacity(changes.len());
    let mut audits = Vec::with_capacity(changes.len());
    for (draft, audit) in changes {
        let action = audit.action.or(draft.event_type.audit).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "{} is not a change with an audit action (plat_proto::catalog)",
                draft.event_type
            ))
        })?;
        events.push(build_event(ctx, draft, now));
        audits.push(AuditDraft {
            action,
            target: audit.target,
            tenant: audit.tenant,
            outcome: "success",
            details: audit.details,
        });
    }
    insert_events(conn, &events, now).await?;
    record_audits(conn, ctx, audits).await?;
    Ok(events)
}

/// Append an event to the outbox on `conn` (inside the change's transaction).
pub async fn record_event(conn: &mut AnyConnection, ctx: &Ctx, draft: EventDraft<'_>) -> Result<Event> {
    let now = now_ms();
    let event = build_event(ctx, draft, now);
    insert_events(conn, std::slice::from_ref(&event), now).await?;
    Ok(event)
}

/// Append many events with multi-row inserts.
pub(crate) async fn insert_events(conn: &mut AnyConnection, events: &[Event], now: i64) -> Result<()> {
    for chunk in events.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO events (id, type, tenant, aggregate_kind, aggregate_id, aggregate_version, created_at, payload) VALUES ",
        );
        push_placeholders(conn, &mut sql, chunk.len(), 8);
        let mut query = sqlx::query(&sql);
        for event in chunk {
            let payload = serde_json::to_string(event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            query = query
                .bind(event.id.clone())
                .bind(event.event_type.clone())
                .bind(event.tenant.clone())
                .bind(event.aggregate.kind.clone())
                .bind(event.aggregate.id.clone())
                .bind(event.aggregate.version as i64)
                .bind(now)
                .bind(payload);
        }
        query.execute(&mut *conn).await?;
        fan_out(conn, chunk).await?;
    }
    if events.iter().any(|e| catalog::lookup(&e.event_type).is_some_and(|t| t.authority)) {
        raise_authority(conn).await?;
    }
    Ok(())
}

/// Raise the authority generation with the change's transaction, and tell a
/// [`watch_changes`] around the task. On PostgreSQL the change only marks
/// itself; a deferred trigger raises the generation at commit (migration
/// 0019), so the generation's row is the last lock a transaction takes and
/// can close no cycle with the rows it wrote before. SQLite has one writer.
pub(crate) async fn raise_authority(conn: &mut AnyConnection) -> Result<()> {
    let raise = if conn.backend_name() == "PostgreSQL" {
        "INSERT INTO authority_marks DEFAULT VALUES"
    } else {
        "UPDATE authority_generation SET value = value + 1 WHERE id = 1"
    };
    sqlx::query(raise).execute(&mut *conn).await?;
    crate::audit::note_change(|changes| changes.authority = true);
    Ok(())
}

impl Store {
    /// The authority generation: it moves with every committed change of
    /// what a permission check reads ([`watch_changes`]).
    pub async fn authority_generation(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT value FROM authority_generation WHERE id = 1").fetch_one(&self.read).await?)
    }
}

/// An event a service publishes into `tenant` (a slug), already allowed by
/// the caller (`plat_domain::publish::may_publish`, the tenant's scope).
pub struct Publication<'a> {
    pub tenant: &'a str,
    pub event: &'a PublishEvent,
}

/// `events[i].field` in a batch, `field` alone for one event.
fn at(batch: bool, i: usize, field: &str) -> String {
    if batch { format!("events[{i}].{field}") } else { field.to_owned() }
}

fn check_publication(batch: bool, i: usize, event: &PublishEvent) -> Result<()> {
    plat_domain::publish::validate_event_type(&at(batch, i, "type"), &event.event_type)?;
    if let Some(version) = &event.version {
        plat_domain::validate_text(&at(batch, i, "version"), version, plat_proto::limits::NAME)?;
    }
    if let Some(aggregate) = &event.aggregate {
        plat_domain::publish::validate_aggregate_kind(&at(batch, i, "aggregate.kind"), &aggregate.kind)?;
        plat_domain::validate_text(&at(batch, i, "aggregate.id"), &aggregate.id, plat_proto::limits::ID)?;
        if aggregate.id.is_empty() {
            return Err(StoreError::Invalid {
                field: at(batch, i, "aggregate.id"),
                message: "must not be empty".into(),
            });
        }
    }
    let size = json_text(&event.data)?.len();
    if size > plat_domain::publish::MAX_DATA_BYTES {
        return Err(StoreError::Invalid {
            field: at(batch, i, "data"),
            message: format!("is {size} bytes; an event's data may be at most 64 KiB"),
        });
    }
    Ok(())
}

impl Store {
    /// Publish events in one transaction for `publisher` (its actor name,
    /// `service:files@acme`, which scopes idempotency keys), with `source`
    /// as the events' source (the service account's name). Each is stored in
    /// the outbox and fanned out to the targets that subscribe to it, like
    /// plat's own. An event whose `idempotency_key` this publisher used
    /// before is not published again: the first one is returned (counted in
    /// the second value).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.publish_events", skip_all)]
    pub async fn publish_events(
        &self,
        ctx: &Ctx,
        (publisher, source): (&str, &str),
        publications: &[Publication<'_>],
    ) -> Result<(Vec<Event>, u64)> {
        let batch = publications.len() > 1;
        for (i, p) in publications.iter().enumerate() {
            check_publication(batch, i, p.event)?;
        }
        let mut tx = self.begin(ctx).await?;
        let now = now_ms();
        let (mut out, mut new_ids, mut replayed) = (Vec::with_capacity(publications.len()), Vec::new(), 0u64);
        let mut tenants: Vec<String> = Vec::new();
        for p in publications {
            if !tenants.iter().any(|t| t == p.tenant) {
                tenant_by_slug(&mut tx, p.tenant).await?;
                tenants.push(p.tenant.to_owned());
            }
            let req = p.event;
            if let Some(key) = &req.idempotency_key {
                let first = sqlx::query("SELECT payload FROM events WHERE publisher = $1 AND idempotency_key = $2")
                    .bind(publisher)
                    .bind(key.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(row) = first {
                    out.push(decode_json::<Event>("events.payload", &get_str(&row, "payload")?)?);
                    replayed += 1;
                    continue;
                }
            }
            let id = format!("evt_{}", uuid::Uuid::now_v7().simple());
            let (kind, aggregate_id, version) = match &req.aggregate {
                Some(aggregate) => {
                    let last: Option<i64> = sqlx::query_scalar(
                        "SELECT MAX(aggregate_version) FROM events WHERE publisher IS NOT NULL AND tenant = $3 \
                         AND aggregate_kind = $2 AND aggregate_id = $1",
                    )
                    .bind(aggregate.id.as_str())
                    .bind(aggregate.kind.as_str())
                    .bind(p.tenant)
                    .fetch_one(&mut *tx)
                    .await?;
                    (aggregate.kind.clone(), aggregate.id.clone(), last.unwrap_or(0) as u64 + 1)
                }
                // Alone: its own aggregate, ordered after nothing.
                None => (req.event_type.split('.').next().unwrap_or("event").to_owned(), id.clone(), 1),
            };
            let mut extra = serde_json::Map::new();
            if let Some(user) = &req.user {
                extra.insert("user".into(), user.clone().into());
            }
            let head = Head {
                event_type: &req.event_type,
                aggregate_kind: &kind,
                aggregate_id: &aggregate_id,
                aggregate_version: version,
            };
            let extra = (!extra.is_empty()).then_some(extra);
            let mut event = envelope(ctx, head, p.tenant, req.data.clone(), extra, now);
            event.id = id;
            event.source = source.to_owned();
            event.version = req.version.clone().unwrap_or_else(|| "1".into());
            if req.correlation_id.is_some() {
                event.correlation_id = req.correlation_id.clone();
            }
            if req.causation_id.is_some() {
                event.causation_id = req.causation_id.clone();
            }
            let inserted = sqlx::query(
                "INSERT INTO events (id, type, tenant, aggregate_kind, aggregate_id, aggregate_version, created_at, payload, \
                 publisher, idempotency_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(event.id.clone())
            .bind(event.event_type.clone())
            .bind(event.tenant.clone())
            .bind(event.aggregate.kind.clone())
            .bind(event.aggregate.id.clone())
            .bind(event.aggregate.version as i64)
            .bind(now)
            .bind(json_text(&event)?)
            .bind(publisher)
            .bind(req.idempotency_key.clone())
            .execute(&mut *tx)
            .await;
            match inserted {
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::Conflict(format!(
                        "another request is publishing with idempotency_key {:?}; retry to get its event",
                        req.idempotency_key.as_deref().unwrap_or_default()
                    )));
                }
                other => other?,
            };
            new_ids.push(event.id.clone());
            out.push(event);
        }
        let new: std::collections::HashSet<&str> = new_ids.iter().map(String::as_str).collect();
        let fresh: Vec<Event> = out.iter().filter(|e| new.contains(e.id.as_str())).cloned().collect();
        for chunk in fresh.chunks(500) {
            fan_out(&mut tx, chunk).await?;
        }
        if !new_ids.is_empty() {
            let mut types: Vec<&str> = out.iter().map(|e| e.event_type.as_str()).collect();
            types.sort_unstable();
            types.dedup();
            types.truncate(20);
            let draft = AuditDraft {
                action: "event.publish",
                target: format!("events:{source}"),
                tenant: Some(ctx_tenant(&tenants)),
                outcome: "success",
                details: serde_json::json!({"published": new_ids.len(), "replayed": replayed, "types": types}),
            };
            record_audit(&mut tx, ctx, draft).await?;
        }
        tx.commit().await?;
        Ok((out, replayed))
    }

    /// Events, newest first, optionally of one tenant.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.list_events", skip_all)]
    pub async fn list_events(&self, tenant: Option<&str>, query: &EventQuery) -> Result<Page<Event>> {
        let page = PageRequest::new(query.page, query.page_size, query.cursor.as_deref(), query.limit)?;
        let mut filter = Filter::default();
        if let Some(t) = tenant {
            filter.eq("tenant", t.to_owned());
        }
        if let Some(agg) = &query.aggregate_id {
            filter.eq("aggregate_id", agg.clone());
        }
        if let Some(pattern) = &query.event_type {
            filter.like("type", "type", pattern)?;
        }
        if let Some(since) = &query.since {
            filter.gte_int("created_at", parse_since("since", since)?);
        }
        let rows = self.page_query("events", "seq, payload", &filter, &page).await?;
        let total = self.count_query("events", &filter).await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            let event: Event = serde_json::from_str(&get_str(&row, "payload")?)
                .map_err(|e| StoreError::Corrupt(format!("event payload: {e}")))?;
            items.push((get_i64(&row, "seq")?.to_string(), event));
        }
        Ok(page.finish(items, total))
    }
}
