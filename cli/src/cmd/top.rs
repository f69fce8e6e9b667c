//! top: a live view of a running platd, drawn from its `/metrics` and
//! `/health` — request rates, sync throughput and backlog per target, the
//! last checks, the registry's instances, the process. What `kubectl top`
//! and `htop` give their users.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use clap::Args;

use crate::error::Failure;
use crate::output::{emit, human_span};
use crate::session::Session;

#[derive(Args, Debug)]
pub struct Top {
    /// Time between frames (`2s`, `500ms`).
    #[arg(long, short = 'n', default_value = "2s", value_parser = parse_interval)]
    interval: Duration,
    /// Draw this many frames and exit; 0 runs until Ctrl-C.
    #[arg(long, default_value_t = 0)]
    frames: u32,
}

fn parse_interval(text: &str) -> Result<Duration, String> {
    let d = plat_domain::parse_duration("interval", text).map_err(|e| e.message)?;
    if d < Duration::from_millis(200) {
        return Err("must be at least 200ms".into());
    }
    Ok(d)
}

type Labels = BTreeMap<String, String>;

/// One sample of the exposition: series name → [(labels, value)].
#[derive(Default)]
struct Scrape {
    series: BTreeMap<String, Vec<(Labels, f64)>>,
    at: Option<Instant>,
}

impl Scrape {
    fn parse(text: &str) -> Scrape {
        let mut series: BTreeMap<String, Vec<(Labels, f64)>> = BTreeMap::new();
        for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
            let Some((head, value)) = line.rsplit_once(' ') else { continue };
            let Ok(value) = value.parse::<f64>() else { continue };
            let (name, labels) = match head.split_once('{') {
                Some((name, rest)) => (name, parse_labels(rest.trim_end_matches('}'))),
                None => (head, BTreeMap::new()),
            };
            series.entry(name.to_owned()).or_default().push((labels, value));
        }
        Scrape { series, at: Some(Instant::now()) }
    }

    /// The sum of a series over the samples whose labels include `filter`,
    /// grouped by the value of `by` ("" groups everything together).
    fn sum_by(&self, name: &str, by: &str, filter: &[(&str, &str)]) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        for (labels, value) in self.series.get(name).into_iter().flatten() {
            if filter.iter().all(|(k, v)| labels.get(*k).is_some_and(|l| l == v)) {
                let key = labels.get(by).cloned().unwrap_or_default();
                *out.entry(key).or_insert(0.0) += value;
            }
        }
        out
    }

    fn total(&self, name: &str, filter: &[(&str, &str)]) -> f64 {
        self.sum_by(name, "", filter).values().sum()
    }
}

fn parse_labels(text: &str) -> Labels {
    let mut labels = BTreeMap::new();
    let mut rest = text;
    while let Some((key, after)) = rest.split_once("=\"") {
        let mut value = String::new();
        let mut chars = after.char_indices();
        let mut end = after.len();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        value.push(if escaped == 'n' { '\n' } else { escaped });
                    }
                }
                '"' => {
                    end = i + 1;
                    break;
                }
                c => value.push(c),
            }
        }
        labels.insert(key.trim_start_matches(',').to_owned(), value);
        rest = &after[end..];
    }
    labels
}

/// Per-second rate of a counter between two scrapes (0 on the first).
fn rate(now: f64, before: Option<f64>, seconds: f64) -> f64 {
    match before {
        Some(before) if seconds > 0.0 && now >= before => (now - before) / seconds,
        _ => 0.0,
    }
}

/// Rows under a header, each column as wide as its widest cell.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        out.push_str(&line(row.clone()));
    }
    out
}

impl Top {
    pub async fn run(self, s: &mut Session) -> Result<(), Failure> {
        let clear = std::io::stdout().is_terminal();
        let mut previous = Scrape::default();
        let mut drawn = 0u32;
        loop {
            let metrics = s.api(async |c| c.get_raw("/metrics").await).await;
            let health = s.api(async |c| c.health().await).await;
            let frame = match metrics {
                Ok((_, body)) => {
                    let scrape = Scrape::parse(&String::from_utf8_lossy(&body));
                    let frame = self.frame(s.server(), &scrape, &previous, health.ok());
                    previous = scrape;
                    frame
                }
                Err(e) => format!("{}: unreachable: {}\n", s.server(), e.message.unwrap_or_default()),
            };
            if clear {
                emit("\x1b[2J\x1b[H")?;
            }
            emit(&frame)?;
            drawn += 1;
            if self.frames != 0 && drawn >= self.frames {
                return Ok(());
            }
            if !clear {
                emit("\n")?;
            }
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = tokio::signal::ctrl_c() => return Ok(()),
            }
        }
    }

    fn frame(&self, server: &str, now: &Scrape, before: &Scrape, health: Option<plat_proto::HealthReport>) -> String {
        let seconds = match (now.at, before.at) {
            (Some(a), Some(b)) => a.duration_since(b).as_secs_f64(),
            _ => 0.0,
        };
        let had = before.at.is_some();
        let counter = |name: &str, filter: &[(&str, &str)]| {
            rate(now.total(name, filter), had.then(|| before.total(name, filter)), seconds)
        };
        let mut out = String::new();
        let every = format!("every {}; Ctrl-C stops", plat_domain::format_duration(self.interval));
        match &health {
            Some(h) => out.push_str(&format!(
                "plat {server}  {}  version {}  up {}  ({every})\n",
                format!("{:?}", h.status).to_lowercase(),
                h.version,
                human_span(h.uptime_seconds)
            )),
            None => out.push_str(&format!("plat {server}  ({every})\n")),
        }
        let requests = counter("plat_http_requests_total", &[]);
        let errors: f64 = ["500", "502", "503", "504"]
            .iter()
            .map(|code| counter("plat_http_requests_total", &[("status", code)]))
            .sum();
        let logins = counter("plat_logins_total", &[("outcome", "success")]);
        let failed_logins = counter("plat_login_failures_total", &[]);
        out.push_str(&format!(
            "requests {requests:.1}/s  5xx {errors:.1}/s  logins {logins:.1}/s  failed logins {failed_logins:.1}/s\n"
        ));
        let rss = now.total("process_resident_memory_bytes", &[]) / 1e6;
        let cpu = counter("process_cpu_seconds_total", &[]) * 100.0;
        let database = if now.total("plat_database_up", &[]) >= 1.0 { "up" } else { "DOWN" };
        let in_use = now.total("plat_database_pool_connections", &[("state", "in_use")]);
        let max = now.total("plat_database_pool_max_connections", &[]);
        let leases: Vec<String> = now
            .sum_by("plat_leader", "lease", &[])
            .into_iter()
            .filter(|(_, v)| *v >= 1.0)
            .map(|(lease, _)| lease)
            .collect();
        let leads = if leases.is_empty() { "-".to_owned() } else { leases.join(",") };
        out.push_str(&format!(
            "process RSS {rss:.0} MB  CPU {cpu:.0}%  database {database}  pool {in_use:.0}/{max:.0} in use  leads {leads}\n\n"
        ));

        let backlog = now.sum_by("plat_sync_backlog_tasks", "target", &[]);
        let targets: Vec<Vec<String>> = backlog
            .iter()
            .map(|(target, backlog)| {
                let one = |name: &str| now.total(name, &[("target", target)]);
                let state = now
                    .sum_by("plat_sync_target_state", "state", &[("target", target)])
                    .into_iter()
                    .find(|(_, v)| *v >= 1.0)
                    .map_or("-".to_owned(), |(s, _)| s);
                let circuit = match one("plat_sync_circuit_state") as i64 {
                    0 => "closed",
                    1 => "half-open",
                    _ => "OPEN",
                };
                let delivered = counter("plat_sync_attempts_total", &[("target", target), ("outcome", "delivered")]);
                let attempts = counter("plat_sync_attempts_total", &[("target", target)]);
                vec![
                    target.clone(),
                    state,
                    circuit.to_owned(),
                    format!("{backlog:.0}"),
                    human_span(one("plat_sync_oldest_due_task_age_seconds") as u64),
                    format!("{:.0}", one("plat_sync_dead_letter_tasks")),
                    format!("{delivered:.1}"),
                    format!("{:.1}", (attempts - delivered).max(0.0)),
                ]
            })
            .collect();
        if targets.is_empty() {
            out.push_str("no sync targets\n");
        } else {
            out.push_str(&table(
                &["TARGET", "STATE", "CIRCUIT", "BACKLOG", "OLDEST DUE", "DEAD", "DELIVERED/S", "FAILED/S"],
                &targets,
            ));
        }

        let findings = now.sum_by("plat_check_findings", "target", &[]);
        if !findings.is_empty() {
            let rows: Vec<Vec<String>> = findings
                .keys()
                .map(|target| {
                    let kind = |k: &str| {
                        format!("{:.0}", now.total("plat_check_findings", &[("target", target), ("kind", k)]))
                    };
                    let repaired = now.total("plat_check_repaired", &[("target", target)]);
                    vec![target.clone(), kind("missing"), kind("orphan"), kind("stale"), format!("{repaired:.0}")]
                })
                .collect();
            out.push('\n');
            out.push_str(&table(&["LAST CHECK", "MISSING", "ORPHAN", "STALE", "REPAIRED"], &rows));
        }

        let services = now.sum_by("plat_registry_instances", "service", &[]);
        if !services.is_empty() {
            let rows: Vec<Vec<String>> = services
                .keys()
                .map(|service| {
                    let n = |status: &str| {
                        format!(
                            "{:.0}",
                            now.total("plat_registry_instances", &[("service", service), ("status", status)])
                        )
                    };
                    vec![service.clone(), n("passing"), n("warning"), n("critical")]
                })
                .collect();
            out.push('\n');
            out.push_str(&table(&["SERVICE", "PASSING", "WARNING", "CRITICAL"], &rows));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# HELP plat_sync_backlog_tasks x\n\
plat_sync_backlog_tasks{target=\"profiles\"} 12\n\
plat_sync_attempts_total{target=\"profiles\",outcome=\"delivered\"} 30\n\
plat_sync_attempts_total{target=\"profiles\",outcome=\"retry\"} 5\n\
plat_registry_instances{service=\"shop/a\\\"b\",status=\"passing\"} 2\n";

    #[test]
    fn the_exposition_is_read_with_its_labels() {
        let scrape = Scrape::parse(TEXT);
        assert_eq!(scrape.total("plat_sync_backlog_tasks", &[("target", "profiles")]), 12.0);
        assert_eq!(scrape.total("plat_sync_attempts_total", &[("outcome", "delivered")]), 30.0);
        assert_eq!(scrape.total("plat_sync_attempts_total", &[]), 35.0);
        let services = scrape.sum_by("plat_registry_instances", "service", &[]);
        assert_eq!(services.get("shop/a\"b"), Some(&2.0), "{services:?}");
    }

    #[test]
    fn rates_need_two_scrapes_and_a_counter_that_did_not_reset() {
        assert_eq!(rate(10.0, None, 2.0), 0.0);
        assert_eq!(rate(10.0, Some(4.0), 2.0), 3.0);
        assert_eq!(rate(1.0, Some(4.0), 2.0), 0.0, "a restarted replica's counter");
    }
}
