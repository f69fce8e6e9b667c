//! Exporting plat's spans (`plat_telemetry`) with OTLP/HTTP, when
//! `trace.otlp_endpoint` or the standard `OTEL_EXPORTER_OTLP_*ENDPOINT`
//! variables name a collector (docs/operations.md, "Traces").

use anyhow::Context as _;
use opentelemetry::KeyValue;
use opentelemetry::trace::{Link, SpanKind, TraceId, TracerProvider as _};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::trace::{Sampler, SamplingDecision, SamplingResult, SdkTracerProvider, ShouldSample};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::{Layer, Registry};

use crate::config::TraceConfig;

/// The exporting layer of platd's subscriber.
pub type ExportLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// A layer that exports plat's spans (and the warnings and errors logged
/// inside them, as span events), with the provider to flush at shutdown;
/// `None` when no endpoint is configured.
pub fn exporter(config: &TraceConfig) -> anyhow::Result<Option<(ExportLayer, SdkTracerProvider)>> {
    let from_env = ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"]
        .iter()
        .any(|k| std::env::var(k).is_ok_and(|v| !v.is_empty()));
    if config.otlp_endpoint.is_empty() && !from_env {
        return Ok(None);
    }
    let mut builder = opentelemetry_otlp::SpanExporter::builder().with_http();
    if !config.otlp_endpoint.is_empty() {
        builder = builder.with_endpoint(traces_url(&config.otlp_endpoint));
    }
    let exporter = builder.build().context("cannot set up the OTLP trace exporter")?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(config.service_name.clone())
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(Sampler::ParentBased(Box::new(Roots(Sampler::TraceIdRatioBased(config.sample_ratio)))))
        .with_resource(resource)
        .build();
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("platd")).with_threads(false).with_filter(
        Targets::new().with_target(plat_telemetry::TARGET, LevelFilter::TRACE).with_default(LevelFilter::WARN),
    );
    Ok(Some((Box::new(layer), provider)))
}

/// `http://collector:4318` → `http://collector:4318/v1/traces`, as the
/// OTLP specification derives it from `OTEL_EXPORTER_OTLP_ENDPOINT`.
fn traces_url(base: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.ends_with("/v1/traces") { base.to_owned() } else { format!("{base}/v1/traces") }
}

/// How a trace starts in plat: a store call never starts one (it is a
/// background loop's, and would flood the collector); anything else is
/// recorded at the configured ratio.
#[derive(Debug, Clone)]
struct Roots(Sampler);

impl ShouldSample for Roots {
    fn should_sample(
        &self,
        parent: Option<&opentelemetry::Context>,
        trace_id: TraceId,
        name: &str,
        kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        if name.starts_with(plat_telemetry::CHILD_ONLY_PREFIX) {
            return SamplingResult {
                decision: SamplingDecision::Drop,
                attributes: Vec::new(),
                trace_state: Default::default(),
            };
        }
        self.0.should_sample(parent, trace_id, name, kind, attributes, links)
    }
}

/// Export what is still buffered; called once, when platd stops.
pub async fn flush(provider: SdkTracerProvider) {
    let done = tokio::task::spawn_blocking(move || provider.shutdown()).await;
    if let Ok(Err(e)) = done {
        tracing::warn!(error = %e, "could not export the last spans");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_traces_path_is_added_once() {
        assert_eq!(traces_url("http://c:4318"), "http://c:4318/v1/traces");
        assert_eq!(traces_url("http://c:4318/"), "http://c:4318/v1/traces");
        assert_eq!(traces_url("http://c:4318/v1/traces"), "http://c:4318/v1/traces");
    }

    #[test]
    fn a_store_call_never_starts_a_trace_but_a_request_does() {
        let roots = Sampler::ParentBased(Box::new(Roots(Sampler::TraceIdRatioBased(1.0))));
        let decide = |name: &str| {
            roots.should_sample(None, TraceId::from_bytes([7; 16]), name, &SpanKind::Internal, &[], &[]).decision
        };
        assert_eq!(decide("store.update_user"), SamplingDecision::Drop);
        assert_eq!(decide("http.request"), SamplingDecision::RecordAndSample);
    }
}
