//! health [--watch] and status.

use std::io::IsTerminal;
use std::time::Duration;

use clap::Args;
use plat_proto::{Component, ErrorCode, HealthReport, HealthStatus};
use serde::Serialize;

use crate::error::{EXIT_UNHEALTHY, Failure};
use crate::output::{Format, Row, emit, human_span};
use crate::session::Session;

#[derive(Args, Debug)]
pub struct Health {
    /// Redraw every 2 seconds until interrupted.
    #[arg(long, short = 'w')]
    watch: bool,
}

fn status_word(s: HealthStatus) -> String {
    match s {
        HealthStatus::Healthy => "healthy",
        HealthStatus::Degraded => "degraded",
        HealthStatus::Unhealthy => "unhealthy",
    }
    .to_owned()
}

impl Row for Component {
    const COLUMNS: &'static [&'static str] = &["COMPONENT", "STATUS", "LATENCY", "MESSAGE"];
    const WIDE: &'static [&'static str] = &["DETAILS"];
    fn cells(&self, wide: bool) -> Vec<String> {
        let mut cells = vec![
            self.name.clone(),
            status_word(self.status),
            self.latency_ms.map_or_else(|| "-".into(), |ms| format!("{ms:.1}ms")),
            self.message.clone().unwrap_or_else(|| "-".into()),
        ];
        if wide {
            let details: Vec<String> = self
                .details
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())))
                .collect();
            cells.push(if details.is_empty() { "-".into() } else { details.join(" ") });
        }
        cells
    }
    fn name(&self) -> String {
        self.name.clone()
    }
}

fn unhealthy(report: &HealthReport) -> bool {
    report.status == HealthStatus::Unhealthy || report.components.iter().any(|c| c.status == HealthStatus::Unhealthy)
}

impl Health {
    pub async fn run(self, s: &mut Session) -> Result<(), Failure> {
        if !self.watch {
            let report = match s.api(async |c| c.health().await).await {
                Ok(report) => report,
                // The server is up but cannot serve (its database is gone): unhealthy, not unreachable.
                Err(mut f) if f.code == Some(ErrorCode::ServiceUnavailable) => {
                    f.exit = EXIT_UNHEALTHY;
                    return Err(f);
                }
                Err(f) => return Err(f),
            };
            render(s, &report, false)?;
            return if unhealthy(&report) { Err(Failure::silent(EXIT_UNHEALTHY)) } else { Ok(()) };
        }
        let clear = std::io::stdout().is_terminal();
        let mut last_unhealthy;
        loop {
            // In watch mode an unreachable server is a state to show, not the end.
            match s.api(async |c| c.health().await).await {
                Ok(report) => {
                    if clear {
                        emit("\x1b[2J\x1b[H")?;
                    }
                    render(s, &report, true)?;
                    last_unhealthy = unhealthy(&report);
                }
                Err(e) => {
                    if clear {
                        emit("\x1b[2J\x1b[H")?;
                    }
                    eprintln!("error: {}", e.message.unwrap_or_default());
                    last_unhealthy = true;
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                _ = tokio::signal::ctrl_c() => break,
            }
        }
        if last_unhealthy { Err(Failure::silent(EXIT_UNHEALTHY)) } else { Ok(()) }
    }
}

fn render(s: &Session, report: &HealthReport, watching: bool) -> Result<(), Failure> {
    if matches!(s.out.format, Format::Json | Format::Yaml | Format::Name) {
        return match s.out.format {
            Format::Name => s.out.list(&report.components, "components"),
            _ => s.out.data(report),
        };
    }
    let watch = if watching { " (every 2s; Ctrl-C stops)" } else { "" };
    let head = format!(
        "{}: {}, version {}, up {}{watch}\n",
        s.server(),
        status_word(report.status),
        report.version,
        human_span(report.uptime_seconds)
    );
    emit(&head)?;
    s.out.list(&report.components, "components")
}

#[derive(Serialize)]
struct Status<'a> {
    server: &'a str,
    context: Option<&'a str>,
    client_version: &'a str,
    server_version: &'a str,
    status: HealthStatus,
    uptime_seconds: u64,
    counts: &'a serde_json::Map<String, serde_json::Value>,
    backlogs: serde_json::Map<String, serde_json::Value>,
}

/// Server version, uptime, object counts and backlogs (the health report's
/// counts, and any component detail named `backlog`).
pub async fn status(s: &mut Session) -> Result<(), Failure> {
    let report = s.api(async |c| c.health().await).await?;
    let backlogs: serde_json::Map<String, serde_json::Value> = report
        .components
        .iter()
        .filter_map(|c| c.details.get("backlog").map(|b| (c.name.clone(), b.clone())))
        .collect();
    let status = Status {
        server: s.server(),
        context: s.context_name(),
        client_version: env!("CARGO_PKG_VERSION"),
        server_version: &report.version,
        status: report.status,
        uptime_seconds: report.uptime_seconds,
        counts: &report.counts,
        backlogs,
    };
    let show = |v: &serde_json::Value| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
    let mut fields = vec![
        ("Server", status.server.to_owned()),
        ("Context", status.context.unwrap_or("-").to_owned()),
        ("Version", format!("server {}, platctl {}", status.server_version, status.client_version)),
        ("Status", status_word(status.status)),
        ("Uptime", human_span(status.uptime_seconds)),
    ];
    let counts: Vec<String> = status.counts.iter().map(|(k, v)| format!("{k}={}", show(v))).collect();
    fields.push(("Counts", if counts.is_empty() { "-".into() } else { counts.join(" ") }));
    let backlogs: Vec<String> = status.backlogs.iter().map(|(k, v)| format!("{k}={}", show(v))).collect();
    fields.push(("Backlogs", if backlogs.is_empty() { "none".into() } else { backlogs.join(" ") }));
    s.out.detail(&status, status.server, &fields)
}
