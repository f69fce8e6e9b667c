//! Prometheus metrics: request counts and latency by route, login failures,
//! lockouts, tokens issued.

use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;

pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram>,
    pub login_failures: Counter,
    pub lockouts: Counter,
    pub tokens_issued: Family<Labels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("plat");
        let requests = Family::<Labels, Counter>::default();
        let latency =
            Family::<Labels, Histogram>::new_with_constructor(|| Histogram::new(exponential_buckets(0.0001, 2.5, 14)));
        let login_failures = Counter::default();
        let lockouts = Counter::default();
        let tokens_issued = Family::<Labels, Counter>::default();
        registry.register("http_requests", "HTTP requests by method, route and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by method and route", latency.clone());
        registry.register("login_failures", "Failed logins and client-credential grants", login_failures.clone());
        registry.register("lockouts", "Accounts locked after repeated failures", lockouts.clone());
        registry.register("tokens_issued", "Access tokens issued by kind", tokens_issued.clone());
        Metrics { registry, requests, latency, login_failures, lockouts, tokens_issued }
    }

    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let labels = vec![("method".to_owned(), method.to_owned()), ("route".to_owned(), route.to_owned())];
        self.latency.get_or_create(&labels).observe(elapsed.as_secs_f64());
        let mut with_status = labels;
        with_status.push(("status".to_owned(), status.to_string()));
        self.requests.get_or_create(&with_status).inc();
    }

    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        encode(&mut out, &self.registry)?;
        Ok(out)
    }
}
