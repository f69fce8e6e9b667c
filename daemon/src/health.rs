//! The detailed health report: one component per dependency, worst wins.

use plat_proto::{
    CheckTarget, CheckTargetStatus, CircuitState, Component, HealthReport, HealthStatus, TargetState, TargetStats,
};

use crate::AppState;

/// A sync target: unhealthy when a 410 disabled it, degraded while paused
/// or while its circuit is not closed.
fn sync_component(stats: &TargetStats) -> Component {
    let status = match (stats.state, stats.circuit) {
        (TargetState::Disabled, _) => HealthStatus::Unhealthy,
        (TargetState::Paused, _) | (_, CircuitState::Open | CircuitState::HalfOpen) => HealthStatus::Degraded,
        _ => HealthStatus::Healthy,
    };
    let message = match (stats.state, stats.circuit) {
        (TargetState::Disabled, _) => Some("disabled after a 410 answer; resume it when the target is back".to_owned()),
        (TargetState::Paused, _) => Some("paused".to_owned()),
        (_, CircuitState::Closed) => None,
        (_, circuit) => Some(format!(
            "circuit {}: {}",
            circuit.as_str(),
            stats.last_error.as_deref().unwrap_or("consecutive failures")
        )),
    };
    let mut details = serde_json::Map::new();
    details.insert("state".into(), stats.state.as_str().into());
    details.insert("circuit".into(), stats.circuit.as_str().into());
    details.insert("backlog".into(), stats.backlog.into());
    details.insert("dead".into(), stats.dead.into());
    details.insert("last_success_at".into(), stats.last_success_at.clone().into());
    Component { name: format!("sync:{}", stats.target), status, latency_ms: None, message, details }
}

/// The last check of a target: in the details; a failed check, or drift
/// found and not repaired, degrades the component.
fn add_last_check(component: &mut Component, report: &CheckTarget, at: i64) {
    let findings = report.counts.findings();
    let last = serde_json::json!({
        "at": plat_store::format_ms(at),
        "status": report.status.as_str(),
        "findings": findings,
        "missing": report.counts.missing,
        "orphan": report.counts.orphan,
        "stale": report.counts.stale,
        "repaired": report.counts.repaired,
        "duration_ms": report.duration_ms,
    });
    component.details.insert("last_check".into(), last);
    let unhealthy_check = match report.status {
        CheckTargetStatus::Failed => {
            Some(format!("last check failed: {}", report.error.as_deref().unwrap_or("see platctl check list")))
        }
        _ if findings > report.counts.repaired => Some(format!("last check found {findings} differences")),
        _ => None,
    };
    if let Some(message) = unhealthy_check {
        component.status = component.status.max(HealthStatus::Degraded);
        component.message.get_or_insert(message);
    }
}

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
            message: {
                tracing::warn!(error = %e, "health: database ping failed");
                Some(format!("{} (the daemon's log has the cause)", e.public()))
            },
            details: serde_json::Map::new(),
        }),
    }
    if let Ok(mut stats) = state.store.sync_stats().await {
        state.sync.overlay_circuits(&mut stats);
        let last_checks = state.store.latest_check_reports().await.unwrap_or_default();
        for entry in &stats {
            let mut component = sync_component(entry);
            if let Some((report, at)) = last_checks.iter().find(|(r, _)| r.target == entry.target) {
                add_last_check(&mut component, report, *at);
            }
            components.push(component);
        }
        if let Some((report, at)) = last_checks.iter().find(|(r, _)| r.target == plat_proto::INTERNAL_TARGET) {
            let mut component = Component {
                name: "check:internal".into(),
                status: HealthStatus::Healthy,
                latency_ms: None,
                message: None,
                details: serde_json::Map::new(),
            };
            add_last_check(&mut component, report, *at);
            components.push(component);
        }
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
