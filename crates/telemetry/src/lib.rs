//! plat's spans (docs/operations.md, "Traces").
//!
//! Every hop plat makes in a trace — a request it serves, a store call, a
//! webhook delivery, a read-back request — is a `tracing` span of target
//! [`TARGET`] at TRACE level. No log filter shows TRACE for this target, so
//! without an OTLP endpoint these spans are disabled at their call site and
//! cost one cached interest check; the W3C ids are then made here. With an
//! endpoint, platd's OpenTelemetry layer enables them, and the ids a span
//! gets are the ones plat sends on (`traceparent`), so what a receiver logs
//! and what the trace backend shows are one trace.

use opentelemetry::trace::{SpanContext, TraceContextExt, TraceFlags, TraceState};
use plat_domain::trace::TraceContext;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The target of every plat span; the exporting layer selects it.
pub const TARGET: &str = "plat::span";

/// Span names that only mean something inside a trace: the sampler of
/// platd drops them when they would start one (a store call of a
/// background loop).
pub const CHILD_ONLY_PREFIX: &str = "store.";

fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    // aws-lc's RNG fails only without an OS entropy source, which plat cannot run without.
    aws_lc_rs::rand::fill(&mut out).expect("system random number generator");
    out
}

/// A random span id (never all zeros).
pub fn span_id() -> [u8; 8] {
    let mut id = random::<8>();
    id[0] |= 1;
    id
}

/// A new, sampled trace.
pub fn new_trace() -> TraceContext {
    let mut trace_id = random::<16>();
    trace_id[0] |= 1;
    TraceContext::root(trace_id, span_id())
}

/// Makes `span` the next hop after `parent` (a caller's or an event's
/// `traceparent`, with its `tracestate`) and returns the position in the
/// trace that `span` stands for: what to send on as `traceparent`.
///
/// When `span` is exported, the ids are the span's own (a new trace when
/// there is no parent). Otherwise the hop gets a new span id under `parent`,
/// and there is no position without a parent (`None`): a caller that must
/// have one starts a trace with [`new_trace`].
pub fn continue_trace(
    span: &tracing::Span,
    parent: Option<&TraceContext>,
    tracestate: Option<&str>,
) -> Option<TraceContext> {
    if !span.is_disabled() {
        if let Some(parent) = parent {
            let state = tracestate.and_then(|s| s.parse::<TraceState>().ok()).unwrap_or_default();
            let remote = SpanContext::new(
                opentelemetry::trace::TraceId::from_bytes(parent.trace_id),
                opentelemetry::trace::SpanId::from_bytes(parent.span_id),
                TraceFlags::new(parent.flags),
                true,
                state,
            );
            // Fails only when no OpenTelemetry layer is installed; then the
            // span context below is invalid and the fallback applies.
            let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(remote));
        }
        let cx = span.context();
        let own = cx.span().span_context().clone();
        if own.is_valid() {
            return Some(TraceContext {
                trace_id: own.trace_id().to_bytes(),
                span_id: own.span_id().to_bytes(),
                flags: own.trace_flags().to_u8(),
            });
        }
    }
    parent.map(|p| p.child(span_id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_an_exporter_a_hop_is_a_new_span_of_the_same_trace() {
        let parent = TraceContext::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").expect("valid");
        let span = tracing::trace_span!(target: TARGET, "test.hop");
        assert!(span.is_disabled(), "no subscriber enables plat spans in a unit test");
        let hop = continue_trace(&span, Some(&parent), None).expect("a hop");
        assert_eq!(hop.trace_id, parent.trace_id);
        assert_eq!(hop.flags, 0, "the caller's sampling decision is kept");
        assert_ne!(hop.span_id, parent.span_id);
        assert_eq!(continue_trace(&span, None, None), None);
    }

    #[test]
    fn new_ids_are_never_zero_and_differ() {
        let (a, b) = (new_trace(), new_trace());
        assert_ne!(a.trace_id, [0; 16]);
        assert_ne!(a.trace_id, b.trace_id);
        assert_ne!(span_id(), [0; 8]);
    }
}
