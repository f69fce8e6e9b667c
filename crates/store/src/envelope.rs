//! Events as plat writes them: what a change announces ([`EventDraft`]),
//! and the envelope around it (id, time, actor, request, trace). Building an
//! event writes nothing: `outbox` appends events and fans them out; a
//! repair or a backfill puts one straight into a task.

use plat_proto::catalog::EventType;
use plat_proto::{AggregateRef, Event};

use crate::Ctx;
use crate::sql::format_ms;

/// What a change wants to announce; [`record_event`](crate::record_event)
/// adds id, time and context. Its type is a row of plat's catalog (`plat_proto::catalog`),
/// which also names the aggregate's kind: the store writes no other type.
pub struct EventDraft<'a> {
    pub event_type: &'static EventType,
    pub tenant: &'a str,
    pub aggregate_id: &'a str,
    pub aggregate_version: u64,
    pub data: serde_json::Value,
    pub extra_metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The event of `draft` at `now`, in plat's envelope.
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
pub(crate) struct Head<'a> {
    pub(crate) event_type: &'a str,
    pub(crate) aggregate_kind: &'a str,
    pub(crate) aggregate_id: &'a str,
    pub(crate) aggregate_version: u64,
}

/// The envelope around an event's `data`: id, time, source, context.
pub(crate) fn envelope(
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
