//! check run | list | get: consistency checks of sync targets and of plat itself.

use std::time::Duration;

use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use plat_proto::{
    Check, CheckMode, CheckQuery, CheckStatus, CheckTarget, CheckTargetStatus, CreateCheck, Finding, FindingQuery,
    MAX_PAGE_SIZE,
};

use super::user::progress_bar;
use crate::error::Failure;
use crate::output::{Format, Row, ago, emit, plural, truncate};
use crate::session::Session;

/// The exit code of a check that found drift (the contract's 3).
// error.rs names the other exit codes; this one lives here until it joins them.
const EXIT_DRIFT: u8 = 3;
/// Exit code after Ctrl-C stops the wait (128 + SIGINT, what a shell reports).
const EXIT_INTERRUPTED: u8 = 130;
/// How often `check run` asks how the check is going.
const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// Findings fetched with a finished check (`-o json|yaml` prints them all).
const FETCHED_FINDINGS: u64 = 100;
/// Findings the table view shows.
const SHOWN_FINDINGS: usize = 20;
/// The wait's bar while the running target knows its total, and without one.
const BAR: &str = "{spinner} {msg} [{bar:30}] {pos}/{len}";
const SPINNER: &str = "{spinner} {msg}";

#[derive(Subcommand, Debug)]
pub enum CheckCmd {
    /// Check targets (and/or plat itself) and wait for the result; exit 3 on drift, even after --repair.
    Run(Run),
    /// List checks, newest first.
    List {
        /// Only checks that included this target.
        #[arg(long, value_name = "T")]
        target: Option<String>,
        /// Only checks in this state.
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        /// At most this many checks (at most 500).
        #[arg(long, value_name = "N", default_value_t = 50)]
        limit: u64,
    },
    /// Show a check: its targets, counts and first findings.
    Get {
        /// The check's id (`chk_...`).
        #[arg(value_name = "ID")]
        id: String,
        /// Instead, list every finding of the check.
        #[arg(long)]
        findings: bool,
    },
}

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("what").args(["target", "all", "internal"]).required(true).multiple(true)))]
pub struct Run {
    /// Check this target.
    #[arg(long, value_name = "T", conflicts_with = "all")]
    target: Option<String>,
    /// Check every target that can be checked (read back, user events, not a stream).
    #[arg(long)]
    all: bool,
    /// Check plat's own invariants: profiles, stats, role grants, usage counters, tasks of events.
    #[arg(long)]
    internal: bool,
    /// Repair what is found: enqueue repair tasks for targets, fix plat's own rows.
    #[arg(long)]
    repair: bool,
    /// With --repair: report what would be repaired, change nothing.
    #[arg(long, requires = "repair")]
    dry_run: bool,
    /// Print the check's id and exit without waiting. The check runs on the server either way: Ctrl-C while
    /// waiting stops only the wait (follow it with `platctl check get ID`).
    #[arg(long)]
    no_wait: bool,
    /// How HTTP targets are read back: the digest when offered, else paging (auto), or forced.
    #[arg(long, value_enum, default_value_t = ModeArg::Auto)]
    mode: ModeArg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    Auto,
    Digest,
    Paging,
}

impl From<ModeArg> for CheckMode {
    fn from(m: ModeArg) -> CheckMode {
        match m {
            ModeArg::Auto => CheckMode::Auto,
            ModeArg::Digest => CheckMode::Digest,
            ModeArg::Paging => CheckMode::Paging,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    Running,
    Succeeded,
    Failed,
}

impl From<StatusArg> for CheckStatus {
    fn from(s: StatusArg) -> CheckStatus {
        match s {
            StatusArg::Running => CheckStatus::Running,
            StatusArg::Succeeded => CheckStatus::Succeeded,
            StatusArg::Failed => CheckStatus::Failed,
        }
    }
}

impl Row for Check {
    const COLUMNS: &'static [&'static str] =
        &["ID", "STATUS", "REQUESTED-BY", "CREATED", "TARGETS", "FINDINGS", "REPAIRED", "DURATION"];
    fn cells(&self, _wide: bool) -> Vec<String> {
        let targets: Vec<&str> = self.targets.iter().map(|t| t.target.as_str()).collect();
        let repaired = match (self.repair, self.dry_run) {
            (false, _) => "-".to_owned(),
            (true, false) => self.summary.repaired.to_string(),
            (true, true) => format!("{} (dry run)", self.summary.repaired),
        };
        vec![
            self.id.clone(),
            self.status.as_str().to_owned(),
            self.requested_by.clone(),
            ago(&self.created_at),
            if targets.is_empty() { "-".to_owned() } else { targets.join(",") },
            self.summary.findings().to_string(),
            repaired,
            duration_opt(self.duration_ms),
        ]
    }
    fn name(&self) -> String {
        self.id.clone()
    }
}

impl Row for CheckTarget {
    const COLUMNS: &'static [&'static str] =
        &["TARGET", "STATUS", "MODE", "RECORDS", "MISSING", "ORPHAN", "STALE", "EXCLUDED", "REPAIRED", "DURATION"];
    const WIDE: &'static [&'static str] = &["TARGET-RECORDS", "BUCKETS", "MISMATCHED", "BYTES", "ERROR"];
    fn cells(&self, wide: bool) -> Vec<String> {
        let mut cells = vec![
            self.target.clone(),
            self.status.as_str().to_owned(),
            self.mode.map_or_else(|| "-".into(), |m| m.as_str().to_owned()),
            self.plat_records.to_string(),
            self.counts.missing.to_string(),
            self.counts.orphan.to_string(),
            self.counts.stale.to_string(),
            self.counts.excluded.to_string(),
            self.counts.repaired.to_string(),
            duration_opt(self.duration_ms),
        ];
        if wide {
            cells.extend([
                self.target_records.to_string(),
                self.buckets.to_string(),
                self.mismatched_buckets.to_string(),
                bytes(self.bytes),
                self.error.as_deref().map_or_else(|| "-".into(), |e| truncate(e, 80)),
            ]);
        }
        cells
    }
    fn name(&self) -> String {
        self.target.clone()
    }
}

impl Row for Finding {
    const COLUMNS: &'static [&'static str] = &["TARGET", "KIND", "ID", "PLAT", "TARGET-VERSION", "REPAIR-TASK"];
    const WIDE: &'static [&'static str] = &["AGGREGATE", "DETAIL"];
    fn cells(&self, wide: bool) -> Vec<String> {
        let version = |v: Option<u64>| v.map_or_else(|| "-".into(), |v| v.to_string());
        let repair = match (self.repair_task, self.repaired) {
            (Some(task), _) => task.to_string(),
            (None, true) => "in plat".to_owned(),
            (None, false) => "-".to_owned(),
        };
        let mut cells = vec![
            self.target.clone(),
            self.kind.as_str().to_owned(),
            self.aggregate_id.clone(),
            version(self.plat_version),
            version(self.target_version),
            repair,
        ];
        if wide {
            cells.extend([
                self.aggregate_kind.clone(),
                self.detail.as_deref().map_or_else(|| "-".into(), |d| truncate(d, 80)),
            ]);
        }
        cells
    }
    fn name(&self) -> String {
        self.aggregate_id.clone()
    }
}

/// `850ms` is `0.8s`, then `12.3s`, `2m05s`, `1h02m`; `-` while unknown.
fn duration_opt(ms: Option<u64>) -> String {
    let Some(ms) = ms else { return "-".to_owned() };
    let secs = ms / 1000;
    match secs {
        0..60 => format!("{:.1}s", ms as f64 / 1000.0),
        60..3600 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, secs % 3600 / 60),
    }
}

/// `512B`, `1.5KiB`, `3.2MiB`, `1.0GiB`.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1}{}", UNITS[unit])
}

/// `check chk_… succeeded: 3 findings (1 missing, 1 orphan, 1 stale), 3 repair tasks enqueued`,
/// or `check chk_… succeeded: no drift`.
fn summary_line(check: &Check) -> String {
    let c = &check.summary;
    let total = c.findings();
    let mut line = format!("check {} {}: ", check.id, check.status.as_str());
    if total == 0 {
        line.push_str(match check.status {
            CheckStatus::Succeeded => "no drift",
            CheckStatus::Running => "no findings yet",
            CheckStatus::Failed => "no findings",
        });
        return line;
    }
    let kinds: Vec<String> =
        [("missing", c.missing), ("orphan", c.orphan), ("stale", c.stale), ("internal", c.internal)]
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect();
    line.push_str(&format!("{} ({})", plural(total, "finding", "findings"), kinds.join(", ")));
    if check.status == CheckStatus::Running {
        line.push_str(" so far");
    }
    if check.repair {
        let tasks = plural(c.repaired, "repair task", "repair tasks");
        if check.dry_run {
            line.push_str(&format!(", {tasks} would be enqueued (dry run)"));
        } else {
            line.push_str(&format!(", {tasks} enqueued"));
        }
    }
    line
}

/// Why a check failed: its own error, else the first failed target's.
fn failure_reason(check: &Check) -> String {
    if let Some(error) = &check.error {
        return error.clone();
    }
    check
        .targets
        .iter()
        .find(|t| t.status == CheckTargetStatus::Failed)
        .map(|t| format!("target {}: {}", t.target, t.error.as_deref().unwrap_or("failed")))
        .unwrap_or_else(|| "no reason given".to_owned())
}

/// A check as `run` ends and `get` shows it: per-target table, summary line,
/// first findings (tables); the check itself (`-o json|yaml`); its id (`-o name`).
fn summary(s: &Session, check: &Check) -> Result<(), Failure> {
    match s.out.format {
        Format::Json | Format::Yaml => return s.out.data(check),
        Format::Name => return emit(&format!("{}\n", check.id)),
        Format::Table | Format::Wide | Format::Dot => {}
    }
    s.out.list(&check.targets, "targets")?;
    emit(&format!("{}\n", summary_line(check)))?;
    let findings = check.findings.as_deref().unwrap_or_default();
    if findings.is_empty() {
        return Ok(());
    }
    let shown = &findings[..findings.len().min(SHOWN_FINDINGS)];
    emit("\n")?;
    s.out.list(shown, "findings")?;
    let total = check.summary.findings().max(findings.len() as u64);
    if (shown.len() as u64) < total {
        eprintln!(
            "Showing {} of {total} findings; all of them: platctl check get {} --findings",
            shown.len(),
            check.id
        );
    }
    Ok(())
}

pub async fn run(cmd: CheckCmd, s: &mut Session) -> Result<(), Failure> {
    match cmd {
        CheckCmd::Run(r) => run_check(r, s).await,
        CheckCmd::List { target, status, limit } => {
            let query = CheckQuery { target, status: status.map(Into::into), limit: Some(limit), ..Default::default() };
            let page = s.api(async |c| c.list_checks(&query).await).await?;
            s.out.list(&page.items, "checks")
        }
        CheckCmd::Get { id, findings: false } => {
            let check = s.api(async |c| c.get_check(&id, FETCHED_FINDINGS).await).await?;
            summary(s, &check)
        }
        CheckCmd::Get { id, findings: true } => {
            let findings = all_findings(s, &id).await?;
            s.out.list(&findings, "findings")
        }
    }
}

async fn run_check(r: Run, s: &mut Session) -> Result<(), Failure> {
    let req = CreateCheck {
        target: r.target,
        all: r.all,
        internal: r.internal,
        repair: r.repair,
        dry_run: r.dry_run,
        mode: r.mode.into(),
    };
    let check = s.api(async |c| c.create_check(&req).await).await?;
    if r.no_wait {
        return match s.out.format {
            Format::Json | Format::Yaml => s.out.data(&check),
            Format::Name => emit(&format!("{}\n", check.id)),
            Format::Table | Format::Wide | Format::Dot => emit(&format!("check {} started\n", check.id)),
        };
    }
    let id = check.id.clone();
    let bar = progress_bar(None, SPINNER);
    let waited = tokio::select! {
        result = wait(s, check, &bar) => result,
        _ = tokio::signal::ctrl_c() => {
            bar.finish_and_clear();
            eprintln!("Stopped waiting; check {id} keeps running on the server: platctl check get {id}");
            return Err(Failure::silent(EXIT_INTERRUPTED));
        }
    };
    bar.finish_and_clear();
    if let Err(mut e) = waited {
        if e.hint.is_none() {
            e.hint = Some(format!("the check may still be running: platctl check get {id}"));
        }
        return Err(e);
    }
    let check = s.api(async |c| c.get_check(&id, FETCHED_FINDINGS).await).await?;
    summary(s, &check)?;
    if check.status == CheckStatus::Failed {
        return Err(Failure::error(format!("check {} failed: {}", check.id, failure_reason(&check))));
    }
    if check.drifted() { Err(Failure::silent(EXIT_DRIFT)) } else { Ok(()) }
}

/// Poll the check until it is no longer running, showing the running
/// target's phase and progress on the bar (hidden off a terminal).
async fn wait(s: &mut Session, mut check: Check, bar: &ProgressBar) -> Result<(), Failure> {
    while check.status == CheckStatus::Running {
        show_progress(&check, bar);
        tokio::time::sleep(POLL_INTERVAL).await;
        check = s.api(async |c| c.get_check(&check.id, 0).await).await?;
    }
    Ok(())
}

fn show_progress(check: &Check, bar: &ProgressBar) {
    let count = check.targets.len();
    let running = check.targets.iter().enumerate().find(|(_, t)| t.status == CheckTargetStatus::Running);
    let (message, done, total) = match running {
        Some((i, t)) => {
            (format!("{} ({}/{count}): {}", t.target, i + 1, t.progress.phase), t.progress.done, t.progress.total)
        }
        None => {
            let finished = check.targets.iter().filter(|t| t.status != CheckTargetStatus::Pending).count();
            (format!("check {}: {finished}/{count} targets done", check.id), 0, 0)
        }
    };
    bar.set_length(total);
    bar.set_position(done);
    // A bar of length 0 draws full; until a total is known, only the spinner turns.
    if let Ok(style) = ProgressStyle::with_template(if total == 0 { SPINNER } else { BAR }) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message);
}

/// Every finding of a check, walked with a cursor.
async fn all_findings(s: &mut Session, id: &str) -> Result<Vec<Finding>, Failure> {
    let listing = progress_bar(None, "{spinner} listing findings: {pos}");
    let mut query = FindingQuery { limit: Some(MAX_PAGE_SIZE), ..Default::default() };
    let mut findings = Vec::new();
    loop {
        let page = match s.api(async |c| c.list_findings(id, &query).await).await {
            Ok(page) => page,
            Err(e) => {
                listing.finish_and_clear();
                return Err(e);
            }
        };
        listing.inc(page.items.len() as u64);
        findings.extend(page.items);
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    listing.finish_and_clear();
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use plat_proto::CheckCounts;

    fn check(status: CheckStatus, counts: CheckCounts, repair: bool, dry_run: bool) -> Check {
        Check {
            id: "chk_1".into(),
            status,
            repair,
            dry_run,
            requested_by: "admin@system".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            finished_at: None,
            duration_ms: Some(1200),
            error: None,
            summary: counts,
            targets: vec![],
            findings: None,
        }
    }

    #[test]
    fn summary_lines_read_like_the_contract() {
        let drift = CheckCounts { missing: 1, orphan: 1, stale: 1, repaired: 3, ..Default::default() };
        assert_eq!(
            summary_line(&check(CheckStatus::Succeeded, drift.clone(), true, false)),
            "check chk_1 succeeded: 3 findings (1 missing, 1 orphan, 1 stale), 3 repair tasks enqueued"
        );
        assert_eq!(
            summary_line(&check(CheckStatus::Succeeded, drift.clone(), false, false)),
            "check chk_1 succeeded: 3 findings (1 missing, 1 orphan, 1 stale)"
        );
        assert_eq!(
            summary_line(&check(CheckStatus::Succeeded, drift, true, true)),
            "check chk_1 succeeded: 3 findings (1 missing, 1 orphan, 1 stale), 3 repair tasks would be enqueued \
             (dry run)"
        );
        let internal = CheckCounts { internal: 1, excluded: 4, ..Default::default() };
        assert_eq!(
            summary_line(&check(CheckStatus::Succeeded, internal, false, false)),
            "check chk_1 succeeded: 1 finding (1 internal)"
        );
        assert_eq!(
            summary_line(&check(CheckStatus::Succeeded, CheckCounts::default(), true, false)),
            "check chk_1 succeeded: no drift"
        );
    }

    #[test]
    fn failures_name_a_reason() {
        let mut c = check(CheckStatus::Failed, CheckCounts::default(), false, false);
        let mut t = CheckTarget::new("profile-svc", CheckTargetStatus::Failed);
        t.error = Some("connection refused".into());
        c.targets.push(t);
        assert_eq!(failure_reason(&c), "target profile-svc: connection refused");
        c.error = Some("target profile-svc could not be read".into());
        assert_eq!(failure_reason(&c), "target profile-svc could not be read");
    }

    #[test]
    fn cells_are_human() {
        assert_eq!(duration_opt(None), "-");
        assert_eq!(duration_opt(Some(1200)), "1.2s");
        assert_eq!(duration_opt(Some(850)), "0.8s");
        assert_eq!(duration_opt(Some(125_000)), "2m05s");
        assert_eq!(duration_opt(Some(3_720_000)), "1h02m");
        assert_eq!(bytes(512), "512B");
        assert_eq!(bytes(1536), "1.5KiB");
        assert_eq!(bytes(3 * 1024 * 1024), "3.0MiB");
        assert_eq!(truncate("a\nb", 10), "a…");
    }
}
