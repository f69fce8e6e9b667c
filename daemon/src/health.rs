//! The detailed health report: one component per dependency, worst wins.

use plat_proto::{Component, HealthReport, HealthStatus};

use crate::AppState;

pub async fn report(state: &AppState) -> HealthReport {
    let mut components = Vec::new();
    let mut counts = serde_json::Map::new();
    match state.store.ping().await {
        Ok(latency) => {
            let ms = latency.as_secs_f64() * 1000.0;
            let status = if ms > 250.0 { HealthStatus::Degraded } else { HealthStatus::Healthy };
            let mut details = serde_json::Map::new();
            details.insert("backend".into(), format!("{:?}", state.store.backend()).to_lowercase().into());
            components.push(Component {
                name: "database".into(),
                status,
                latency_ms: Some(ms),
                message: None,
                details,
            });
            if let Ok(pairs) = state.store.counts().await {
                for (name, n) in pairs {
                    counts.insert(name.into(), n.into());
                }
            }
        }
        Err(e) => components.push(Component {
            name: "database".into(),
            status: HealthStatus::Unhealthy,
            latency_ms: None,
            message: Some(format!("unreachable: {e}")),
            details: serde_json::Map::new(),
        }),
    }
    let status = components.iter().map(|c| c.status).max().unwrap_or(HealthStatus::Healthy);
    HealthReport {
        status,
        version: env!("CARGO_PKG_VERSION").into(),
        uptime_seconds: state.started.elapsed().as_secs(),
        components,
        counts,
    }
}
