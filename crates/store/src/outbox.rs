//! The outbox (events) and the audit log: written inside the transaction of
//! the change they describe, read back by `GET /events` and `GET /audit`.

use plat_proto::catalog::EventType;
use plat_proto::{AggregateRef, AuditQuery, AuditRecord, Event, EventQuery, Page, PublishEvent};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::tenants::tenant_by_slug;
use crate::{Ctx, PageRequest, Result, Store, StoreError, format_ms, get_i64, get_str, now_ms};

/// The tenant an audit record of a publication belongs to: the one it
/// published into (the first, for a batch across tenants).
fn ctx_tenant(tenants: &[String]) -> &str {
    tenants.first().map_or("", String::as_str)
}

/// What a change wants to announce; [`record_event`] adds id, time and
/// context. Its type is a row of plat's catalog (`plat_proto::catalog`),
/// which also names the aggregate's kind: the store writes no other type.
pub struct EventDraft<'a> {
    pub event_type: &'static EventType,
    pub tenant: &'a str,
    pub aggregate_id: &'a str,
    pub aggregate_version: u64,
    pub data: serde_json::Value,
    pub extra_metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// What an audit record says; [`record_audit`] adds id, time and context.
pub struct AuditDraft<'a> {
    pub action: &'a str,
    pub target: String,
    pub tenant: Option<&'a str>,
    pub outcome: &'a str,
    pub details: serde_json::Value,
}

pub(crate) fn build_event(ctx: &Ctx, draft: EventDraft<'_>, now: i64) -> Event {
    let head = Head {
        event_type: draft.event_type.name,
        aggregate_kind: draft.event_type.aggregate,
        aggregate_id: draft.aggregate_id,
        aggregate_version: draft.aggregate_version,
    };
    envelope(ctx, head, draft.tenant, draft.data, draft.extra_metadata, now)
}

/// What an event is and what it is about: a catalog row's, or a published
/// event's (whose kind the publisher names).
struct Head<'a> {
    event_type: &'a str,
    aggregate_kind: &'a str,
    aggregate_id: &'a str,
    aggregate_version: u64,
}

fn envelope(
    ctx: &Ctx,
    head: Head<'_>,
    tenant: &str,
    data: serde_json::Value,
    extra_metadata: Option<serde_json::Map<String, serde_json::Value>>,
    now: i64,
) -> Event {
    let mut metadata = serde_json::Map::new();
    if let Some(rid) = &ctx.request_id {
        metadata.insert("request_id".into(), rid.clone().into());
    }
    metadata.insert("actor".into(), ctx.actor.clone().into());
    if let Some(traceparent) = &ctx.traceparent {
        metadata.insert("traceparent".into(), traceparent.clone().into());
        if let Some(state) = &ctx.tracestate {
            metadata.insert("tracestate".into(), state.clone().into());
        }
    }
    if let Some(extra) = extra_metadata {
        metadata.extend(extra);
    }
    Event {
        id: format!("evt_{}", uuid::Uuid::now_v7().simple()),
        event_type: head.event_type.to_owned(),
        version: "1".into(),
        timestamp: format_ms(now),
        source: "platd".into(),
        tenant: tenant.to_owned(),
        aggregate: AggregateRef {
            kind: head.aggregate_kind.to_owned(),
            id: head.aggregate_id.to_owned(),
            version: head.aggregate_version,
        },
        correlation_id: ctx.correlation_id.clone().or_else(|| ctx.request_id.clone()),
        causation_id: ctx.causation_id.clone(),
        data,
        metadata,
    }
}

/// Where a change's audit record points, and what it adds.
pub(crate) struct AuditOf<'a> {
    /// The action, when the change is not the event type's own (a role
    /// grant announces `user.roles_changed`; a repair, any user event).
    pub action: Option<&'a str>,
    pub target: String,
    pub tenant: Option<&'a str>,
    pub details: serde_json::Value,
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
    let action = audit.action.or(draft.event_type.audit).ok_or_else(|| {
        StoreError::Corrupt(format!("{} is not a change with an audit action (plat_proto::catalog)", draft.event_type))
    })?;
    let event = record_event(conn, ctx, draft).await?;
    record_audit(
        conn,
        ctx,
        AuditDraft { action, target: audit.target, tenant: audit.tenant, outcome: "success", details: audit.details },
    )
    .await?;
    Ok(event)
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
        crate::sync::fan_out(conn, chunk).await?;
    }
    Ok(())
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

/// Append an audit record on `conn` (inside the change's transaction).
pub async fn record_audit(conn: &mut AnyConnection, ctx: &Ctx, draft: AuditDraft<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, created_at, actor, action, target, tenant, outcome, request_id, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(format!("aud_{}", uuid::Uuid::now_v7().simple()))
    .bind(now_ms())
    .bind(ctx.actor.clone())
    .bind(draft.action)
    .bind(draft.target)
    .bind(draft.tenant.map(str::to_owned))
    .bind(draft.outcome)
    .bind(ctx.request_id.clone())
    .bind(draft.details.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// `since` as RFC 3339 or a duration back from now.
pub fn parse_since(field: &str, text: &str) -> Result<i64> {
    if let Some(ms) = crate::parse_rfc3339_ms(text) {
        return Ok(ms);
    }
    let back = plat_domain::parse_duration(field, text).map_err(|_| StoreError::Invalid {
        field: field.into(),
        message: format!("{text:?} is neither an RFC 3339 time nor a duration such as 1h"),
    })?;
    Ok(plat_domain::millis_before(now_ms(), back))
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
    let size = crate::json_text(&event.data)?.len();
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
        let mut tx = self.write.begin().await?;
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
                    out.push(crate::decode_json::<Event>("events.payload", &get_str(&row, "payload")?)?);
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
            .bind(crate::json_text(&event)?)
            .bind(publisher)
            .bind(req.idempotency_key.clone())
            .execute(&mut *tx)
            .await;
            match inserted {
                Err(e) if crate::is_unique_violation(&e) => {
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
            crate::sync::fan_out(&mut tx, chunk).await?;
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

    /// Write one audit record on its own (actions that change no row, such as failed logins).
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.audit", skip_all)]
    pub async fn audit(&self, ctx: &Ctx, draft: AuditDraft<'_>) -> Result<()> {
        let mut conn = self.write.acquire().await?;
        record_audit(&mut conn, ctx, draft).await
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

    /// Audit records, newest first, optionally of one tenant.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.list_audit", skip_all)]
    pub async fn list_audit(&self, tenant: Option<&str>, query: &AuditQuery) -> Result<Page<AuditRecord>> {
        let page = PageRequest::new(query.page, query.page_size, query.cursor.as_deref(), query.limit)?;
        let mut filter = Filter::default();
        if let Some(t) = tenant {
            filter.eq("tenant", t.to_owned());
        }
        if let Some(actor) = &query.actor {
            filter.eq("actor", actor.clone());
        }
        if let Some(action) = &query.action {
            filter.like("action", "action", action)?;
        }
        if let Some(target) = &query.target {
            filter.eq("target", target.clone());
        }
        if let Some(since) = &query.since {
            filter.gte_int("created_at", parse_since("since", since)?);
        }
        if let Some(until) = &query.until {
            filter.lt_int("created_at", parse_since("until", until)?);
        }
        let rows = self
            .page_query(
                "audit_log",
                "seq, id, created_at, actor, action, target, tenant, outcome, request_id, details",
                &filter,
                &page,
            )
            .await?;
        let total = self.count_query("audit_log", &filter).await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            items.push((get_i64(&row, "seq")?.to_string(), audit_from_row(&row)?));
        }
        Ok(page.finish(items, total))
    }

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

fn audit_from_row(row: &AnyRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        id: get_str(row, "id")?,
        timestamp: format_ms(get_i64(row, "created_at")?),
        actor: get_str(row, "actor")?,
        action: get_str(row, "action")?,
        target: get_str(row, "target")?,
        tenant: crate::get_opt_str(row, "tenant")?,
        outcome: get_str(row, "outcome")?,
        request_id: crate::get_opt_str(row, "request_id")?,
        details: serde_json::from_str(&get_str(row, "details")?)
            .map_err(|_| StoreError::Corrupt("audit details".into()))?,
    })
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
