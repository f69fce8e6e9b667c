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

/// The registry (who probes, how late, how many services and instances),
/// then one `service:<namespace>/<name>` per registration: degraded while
/// some instances fail or the protection threshold holds, unhealthy when a
/// service with instances has none healthy.
fn registry_components(state: &AppState) -> Vec<Component> {
    use std::sync::atomic::Ordering::Relaxed;
    let services = state.registry.list();
    let stats = &state.prober.stats;
    let (mut passing, mut total) = (0usize, 0usize);
    let mut components = Vec::new();
    for snapshot in &services {
        let (healthy, count) = snapshot.counts();
        passing += healthy;
        total += count;
        let (status, message) = match (healthy, count) {
            (_, 0) => (HealthStatus::Healthy, Some("no instances".to_owned())),
            (0, _) if snapshot.protected() => {
                (HealthStatus::Unhealthy, Some("no instance passes; discovery answers the last healthy set".to_owned()))
            }
            (0, _) => (HealthStatus::Unhealthy, Some("no instance passes its health check".to_owned())),
            (h, c) if snapshot.protected() => {
                (HealthStatus::Degraded, Some(format!("{h} of {c} pass; discovery answers the last healthy set")))
            }
            (h, c) if h < c => (HealthStatus::Degraded, Some(format!("{h} of {c} instances pass"))),
            _ => (HealthStatus::Healthy, None),
        };
        // A layering violation (not in the baseline) degrades the service too.
        let violations: Vec<&str> =
            snapshot.row.layering.iter().filter(|v| !v.accepted).map(|v| v.reason.as_str()).collect();
        let (status, message) = match (status, violations.is_empty()) {
            (HealthStatus::Healthy, false) => {
                (HealthStatus::Degraded, Some(format!("layering: {}", violations.join("; "))))
            }
            other => (other.0, message),
        };
        let mut details = serde_json::Map::new();
        details.insert("layering_violations".into(), violations.len().into());
        details.insert("healthy".into(), healthy.into());
        details.insert("instances".into(), count.into());
        details.insert("protected".into(), snapshot.protected().into());
        details.insert("index".into(), snapshot.index.into());
        components.push(Component {
            name: format!("service:{}/{}", snapshot.row.namespace, snapshot.row.name),
            status,
            latency_ms: None,
            message,
            details,
        });
    }
    let mut details = serde_json::Map::new();
    details.insert("services".into(), services.len().into());
    details.insert("instances".into(), total.into());
    details.insert("healthy_instances".into(), passing.into());
    details
        .insert("prober".into(), (if stats.leader.load(Relaxed) { "this replica" } else { "another replica" }).into());
    details.insert("prober_lag_ms".into(), stats.lag_ms.load(Relaxed).into());
    details.insert("index".into(), state.registry.seq().into());
    let lagging = stats.leader.load(Relaxed) && stats.lag_ms.load(Relaxed) > 5_000;
    components.insert(
        0,
        Component {
            name: "registry".into(),
            status: if lagging { HealthStatus::Degraded } else { HealthStatus::Healthy },
            latency_ms: None,
            message: lagging.then(|| "the prober runs more than 5 s behind its schedule".to_owned()),
            details,
        },
    );
    components
}

/// Who leads scheduled work and the prober: degraded while no replica holds
/// the `scheduler` lease (a handover takes up to `leader.lease_ttl`).
async fn leader_component(state: &AppState) -> Component {
    let mut details = serde_json::Map::new();
    let mut status = HealthStatus::Healthy;
    let mut message = None;
    for elector in [&state.scheduler, &state.prober_lease] {
        let lease = elector.lease();
        match state.store.lease_holder(lease).await {
            Ok(holder) => {
                let entry = serde_json::json!({
                    "holder": holder.as_ref().map(|(h, _)| h.clone()),
                    "expires_at": holder.as_ref().map(|(_, at)| plat_store::format_ms(*at)),
                    "this_replica": elector.is_leader(),
                });
                if holder.is_none() && lease == crate::leader::SCHEDULER {
                    status = HealthStatus::Degraded;
                    message = Some("no replica leads scheduled work yet".to_owned());
                }
                details.insert(lease.into(), entry);
            }
            Err(e) => {
                tracing::warn!(error = %e, "health: cannot read lease {lease}");
                status = HealthStatus::Degraded;
                message = Some(format!("cannot read lease {lease}"));
            }
        }
    }
    Component { name: "leader".into(), status, latency_ms: None, message, details }
}

/// A component whose state could not be read: degraded, and saying so.
fn unknown(name: &str, message: String) -> Component {
    let mut details = serde_json::Map::new();
    details.insert("state".into(), "unknown".into());
    Component { name: name.into(), status: HealthStatus::Degraded, latency_ms: None, message: Some(message), details }
}

/// The sync engine itself, only when something is wrong with it: a lock
/// poisoned by a panic (the engine goes on with the last value).
fn engine_component(state: &AppState) -> Option<Component> {
    let poisoned = state.sync.poisoned_locks();
    (poisoned > 0).then(|| {
        let mut details = serde_json::Map::new();
        details.insert("poisoned_locks".into(), poisoned.into());
        Component {
            name: "sync".into(),
            status: HealthStatus::Degraded,
            latency_ms: None,
            message: Some(format!("{poisoned} lock(s) poisoned by a panic; the daemon's log has it")),
            details,
        }
    })
}

/// The Kubernetes controller (who leads), while it is enabled.
pub fn controller_component(state: &AppState) -> Option<Component> {
    state.config.kubernetes.enabled.then(|| state.controller.borrow().clone())
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
    components.extend(engine_component(state));
    let stats = state.store.sync_stats().await;
    if let Err(e) = &stats {
        // The targets cannot be listed: say so, rather than drop them.
        tracing::warn!(error = %e, "health: cannot read sync stats");
        components.push(unknown("sync", format!("unknown: cannot read the sync targets' stats ({})", e.public())));
    }
    if let Ok(stats) = stats {
        let last_checks = match state.store.latest_check_reports().await {
            Ok(reports) => reports,
            Err(e) => {
                tracing::warn!(error = %e, "health: cannot read the last checks");
                components.push(unknown("checks", format!("unknown: cannot read the last checks ({})", e.public())));
                Vec::new()
            }
        };
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
    components.push(leader_component(state).await);
    components.extend(registry_components(state));
    components.extend(controller_component(state));
    let status = components.iter().map(|c| c.status).max().unwrap_or(HealthStatus::Healthy);
    HealthReport {
        status,
        version: env!("CARGO_PKG_VERSION").into(),
        uptime_seconds: state.started.elapsed().as_secs(),
        components,
        counts,
    }
}
