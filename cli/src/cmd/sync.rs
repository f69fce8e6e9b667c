//! sync target add | list | get | update | remove | pause | resume | test,
//! sync task list | get | retry | cancel, sync dlq list | replay | purge,
//! sync stats, and sync replay.

use clap::{Args, Subcommand, ValueEnum};
use plat_proto::{
    Backfill, BulkResult, CreateTarget, DlqPurge, DlqReplay, MAX_PAGE_SIZE, Page, PreviewEvent, ReadBack, ReplayEvents,
    Selection, SyncTarget, SyncTask, TargetBatch, TargetKind, TargetRules, TargetStats, TargetTestResult,
    TargetWithSecret, TaskQuery, TaskStatus, UpdateTarget,
};
use serde_json::{Map, Value};

use super::log::looks_like_uuid;
use super::user::progress_bar;
use crate::error::{EXIT_ERROR, Failure};
use crate::output::{Format, Row, ago, ago_opt, emit, or_dash, plural, truncate};
use crate::prompt;
use crate::session::Session;

/// Ids per `POST /sync/dlq/replay` when a whole queue is replayed.
const REPLAY_CHUNK: usize = 500;

#[derive(Subcommand, Debug)]
pub enum SyncCmd {
    /// Manage delivery targets: HTTP webhooks, Redis keys, Redis streams.
    #[command(subcommand)]
    Target(Box<TargetCmd>),
    /// List, inspect, retry and cancel delivery tasks.
    #[command(subcommand)]
    Task(TaskCmd),
    /// The dead-letter queue: tasks that failed for good.
    #[command(subcommand)]
    Dlq(DlqCmd),
    /// Delivery statistics of every target: counts, backlog, success rate, latency.
    Stats,
    /// Deliver the events of a time window to one target again (for a
    /// subscriber that lost its data), in order per aggregate.
    Replay {
        /// The target to deliver to.
        #[arg(long, value_name = "T")]
        target: String,
        /// Start of the window: a duration back from now (`2h`) or an RFC 3339 time.
        #[arg(long, value_name = "WHEN")]
        since: String,
        /// End of the window (exclusive); default now.
        #[arg(long, value_name = "WHEN")]
        until: Option<String>,
        /// Only events of this type pattern (repeat for more); default every type the target takes.
        #[arg(long = "type", value_name = "PATTERN")]
        types: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum TargetCmd {
    /// Add a target; the signing secret of an HTTP target is printed once.
    Add {
        name: String,
        #[arg(long, value_parser = kind_arg())]
        kind: TargetKind,
        /// `http(s)://...` for http, `redis://...` for redis and redis-stream.
        #[arg(long, value_name = "URL")]
        url: String,
        /// Event type pattern to deliver (`user.*`, `tenant.suspended`); default every event.
        #[arg(long = "event", value_name = "PATTERN")]
        events: Vec<String>,
        #[command(flatten)]
        secret: SecretSource,
        #[command(flatten)]
        settings: Settings,
        /// Let plat's consistency checks read the target back.
        #[arg(long)]
        read_back: bool,
        /// Base URL of the read-back endpoints (default: the URL without its last segment); implies --read-back.
        #[arg(long, value_name = "URL")]
        read_back_url: Option<String>,
        #[command(flatten)]
        rules: RuleArgs,
        /// Queue a snapshot of every existing user the target would receive
        /// (the default when it subscribes to user.updated, as user.* does).
        #[arg(long, overrides_with = "no_backfill")]
        backfill: bool,
        /// Deliver only changes from now on.
        #[arg(long)]
        no_backfill: bool,
    },
    /// List targets.
    List,
    /// Show one target with its options.
    Get { name: String },
    /// Change a target; a new secret is printed once.
    Update {
        name: String,
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// Event type pattern; the ones given replace the target's list.
        #[arg(long = "event", value_name = "PATTERN")]
        events: Vec<String>,
        #[command(flatten)]
        secret: SecretSource,
        #[command(flatten)]
        settings: Settings,
        #[command(flatten)]
        rules: RuleArgs,
        /// Deliver every tenant's events again (drops --only-tenant / --except-tenant).
        #[arg(long, conflicts_with_all = ["only_tenants", "except_tenants"])]
        all_tenants: bool,
        /// Deliver all of `data` again (drops --field / --omit-field).
        #[arg(long, conflicts_with_all = ["fields", "omit_fields"])]
        all_fields: bool,
        /// Remove every rule: tenants, filter and fields.
        #[arg(long, conflicts_with_all = ["only_tenants", "except_tenants", "filter", "fields", "omit_fields"])]
        clear_rules: bool,
    },
    /// Remove a target (asks first).
    Remove { name: String },
    /// Stop deliveries to a target; tasks keep collecting until it is resumed.
    Pause { name: String },
    /// Resume a paused or disabled target.
    Resume { name: String },
    /// Deliver a `sync.ping` now and show the answer; with --event, show what
    /// that event would become for the target instead (nothing is sent).
    /// Exit 1 when it was not (or would not be) delivered.
    Test {
        name: String,
        /// An event (JSON, `@FILE`, or `-` for stdin), as `platctl event list -o json` prints them.
        #[arg(long, value_name = "JSON")]
        event: Option<String>,
    },
}

/// What a target receives beyond its event patterns (docs/sync.md, "Rules").
#[derive(Args, Debug, Default)]
pub struct RuleArgs {
    /// Deliver only this tenant's events (repeat for more).
    #[arg(long = "only-tenant", value_name = "SLUG")]
    only_tenants: Vec<String>,
    /// Deliver every tenant's events but this one's (repeat for more).
    #[arg(long = "except-tenant", value_name = "SLUG", conflicts_with = "only_tenants")]
    except_tenants: Vec<String>,
    /// Deliver only events for which this expression is true, e.g.
    /// `data.status == "active"` ('' removes the filter on update).
    #[arg(long, value_name = "EXPR")]
    filter: Option<String>,
    /// Deliver only this field of the event's data (a dotted path; repeat for more).
    #[arg(long = "field", value_name = "PATH")]
    fields: Vec<String>,
    /// Never deliver this field of the event's data (a dotted path; repeat for more).
    #[arg(long = "omit-field", value_name = "PATH")]
    omit_fields: Vec<String>,
}

impl RuleArgs {
    fn given(&self) -> bool {
        !self.only_tenants.is_empty()
            || !self.except_tenants.is_empty()
            || self.filter.is_some()
            || !self.fields.is_empty()
            || !self.omit_fields.is_empty()
    }

    /// `rules` changed by the flags given: each list given replaces its rule.
    fn apply(self, mut rules: TargetRules) -> TargetRules {
        if !self.only_tenants.is_empty() {
            rules.tenants = Selection { include: self.only_tenants, exclude: Vec::new() };
        }
        if !self.except_tenants.is_empty() {
            rules.tenants = Selection { include: Vec::new(), exclude: self.except_tenants };
        }
        if let Some(filter) = self.filter {
            rules.filter = (!filter.trim().is_empty()).then_some(filter);
        }
        if !self.fields.is_empty() {
            rules.fields.include = self.fields;
        }
        if !self.omit_fields.is_empty() {
            rules.fields.exclude = self.omit_fields;
        }
        rules
    }
}

#[derive(Subcommand, Debug)]
pub enum TaskCmd {
    /// List delivery tasks.
    List {
        /// Only tasks of this target.
        #[arg(long, value_name = "T")]
        target: Option<String>,
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        /// Only tasks of this user's events (id or username).
        #[arg(long, value_name = "U")]
        user: Option<String>,
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one task with every attempt.
    Get { id: u64 },
    /// Attempt a failed or dead task again now.
    Retry { id: u64 },
    /// Cancel a task that is not yet delivered.
    Cancel { id: u64 },
}

#[derive(Subcommand, Debug)]
pub enum DlqCmd {
    /// List dead tasks.
    List {
        /// Only dead tasks of this target.
        #[arg(long, value_name = "T")]
        target: Option<String>,
        #[command(flatten)]
        paging: Paging,
    },
    /// Deliver dead tasks again: the given ids, else every dead task (of --target).
    Replay {
        /// Only dead tasks of this target.
        #[arg(long, value_name = "T")]
        target: Option<String>,
        #[arg(value_name = "ID")]
        ids: Vec<u64>,
    },
    /// Delete dead tasks for good (asks first): the given ids, else every dead task (of --target).
    Purge {
        /// Only dead tasks of this target.
        #[arg(long, value_name = "T")]
        target: Option<String>,
        /// Only tasks dead for longer than this (`7d`).
        #[arg(long, value_name = "D")]
        older_than: Option<String>,
        #[arg(value_name = "ID")]
        ids: Vec<u64>,
    },
}

#[derive(Args, Debug)]
#[group(multiple = false)]
pub struct SecretSource {
    /// Read the `whsec_` signing secret from stdin (http targets).
    #[arg(long)]
    secret_stdin: bool,
    /// Have plat generate a signing secret, printed once (http targets; add does so by default).
    #[arg(long)]
    generate_secret: bool,
}

#[derive(Args, Debug)]
pub struct Settings {
    /// Per-delivery timeout (`5s`); default the server's sync.timeout.
    #[arg(long, value_name = "D")]
    timeout: Option<String>,
    /// Attempts before a task goes to the dead-letter queue.
    #[arg(long, value_name = "N")]
    max_attempts: Option<u32>,
    /// Deliveries in flight at once (each to a different aggregate).
    #[arg(long, value_name = "N")]
    concurrency: Option<u32>,
    /// Kind-specific option: `key_prefix=user:`, `ttl=24h` (redis), `stream=plat:events`, `maxlen=10000`
    /// (redis-stream). On update, `K=` removes K.
    #[arg(long = "option", value_name = "K=V", value_parser = option_pair)]
    options: Vec<(String, String)>,
    /// Events per request (1 to 1000): an HTTP target gets a JSON array, a
    /// Redis target one pipeline; 1 sends each event alone.
    #[arg(long, value_name = "N")]
    batch: Option<u32>,
    /// Bytes per batched request: `512KiB`, `1MiB` (the default), up to `16MiB`.
    #[arg(long, value_name = "SIZE", value_parser = byte_size)]
    batch_bytes: Option<u64>,
}

impl Settings {
    /// `current` with the batch flags given; `None` when none was given.
    fn batch(&self, current: TargetBatch) -> Option<TargetBatch> {
        (self.batch.is_some() || self.batch_bytes.is_some()).then(|| TargetBatch {
            max_events: self.batch.unwrap_or(current.max_events),
            max_bytes: self.batch_bytes.unwrap_or(current.max_bytes),
        })
    }
}

/// `1048576`, `512KiB`, `1MiB` (also `KB`/`MB`, read as KiB/MiB).
fn byte_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().map_err(|_| format!("{text:?} is not a size: give bytes, or KiB/MiB (512KiB)"))?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        _ => return Err(format!("{text:?} is not a size: give bytes, or KiB/MiB (512KiB)")),
    };
    n.checked_mul(scale).ok_or_else(|| format!("{text:?} is too large"))
}

#[derive(Args, Debug)]
pub struct Paging {
    #[arg(long, value_name = "N")]
    page: Option<u64>,
    /// Tasks per page (at most 500).
    #[arg(long, value_name = "N")]
    page_size: Option<u64>,
}

/// `--kind`: one of the kinds the protocol names (`TargetKind::ALL`), so a
/// new kind needs nothing here.
fn kind_arg() -> impl clap::builder::TypedValueParser<Value = TargetKind> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(TargetKind::ALL.iter().map(|k| k.as_str()))
        .try_map(|name| TargetKind::parse(&name).ok_or("not a target kind"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    Pending,
    #[value(name = "in_flight")]
    InFlight,
    Delivered,
    Failed,
    Dead,
    Cancelled,
}

impl From<StatusArg> for TaskStatus {
    fn from(s: StatusArg) -> TaskStatus {
        match s {
            StatusArg::Pending => TaskStatus::Pending,
            StatusArg::InFlight => TaskStatus::InFlight,
            StatusArg::Delivered => TaskStatus::Delivered,
            StatusArg::Failed => TaskStatus::Failed,
            StatusArg::Dead => TaskStatus::Dead,
            StatusArg::Cancelled => TaskStatus::Cancelled,
        }
    }
}

/// `K=V` split at the first `=`; the value is typed later (add and update differ on `K=`).
pub(super) fn option_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some(("", _)) => Err("expected K=V; the key is empty".to_owned()),
        Some((key, value)) => Ok((key.to_owned(), value.to_owned())),
        None => Err("expected K=V".to_owned()),
    }
}

/// An option's JSON value: a JSON number, `true` or `false`, else the text
/// as a string. An empty value is `null` (remove) when `empty_removes`,
/// else the empty string.
fn option_value(value: &str, empty_removes: bool) -> Value {
    match value {
        "" if empty_removes => Value::Null,
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        // JSON's grammar, not Rust's: `007`, `+1`, ` 5` and `inf` stay strings.
        _ if value.trim() == value => {
            serde_json::from_str::<serde_json::Number>(value).map_or_else(|_| value.into(), Value::Number)
        }
        _ => value.into(),
    }
}

fn options_map(pairs: Vec<(String, String)>, empty_removes: bool) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k, option_value(&v, empty_removes))).collect()
}

/// The secret of `--secret-stdin`, read before any server call.
fn read_secret(source: &SecretSource) -> Result<Option<String>, Failure> {
    if source.secret_stdin {
        return prompt::stdin_secret("secret").map(|s| Some(s.trim().to_owned()));
    }
    Ok(None)
}

impl Row for SyncTarget {
    const COLUMNS: &'static [&'static str] = &["NAME", "KIND", "URL", "EVENTS", "STATE", "CIRCUIT"];
    const WIDE: &'static [&'static str] = &["TIMEOUT", "MAX ATTEMPTS", "CONCURRENCY", "SECRET", "AGE"];
    fn cells(&self, wide: bool) -> Vec<String> {
        let mut cells = vec![
            self.name.clone(),
            self.kind.as_str().to_owned(),
            self.url.clone(),
            or_dash(&self.events.join(",")),
            self.state.as_str().to_owned(),
            self.circuit.as_str().to_owned(),
        ];
        if wide {
            cells.extend([
                self.timeout.clone(),
                self.max_attempts.to_string(),
                self.concurrency.to_string(),
                self.secret_hint.clone().unwrap_or_else(|| "-".into()),
                ago(&self.created_at),
            ]);
        }
        cells
    }
    fn name(&self) -> String {
        self.name.clone()
    }
}

impl Row for SyncTask {
    const COLUMNS: &'static [&'static str] =
        &["ID", "TARGET", "EVENT", "AGGREGATE", "VERSION", "STATUS", "ATTEMPTS", "AGE"];
    const WIDE: &'static [&'static str] = &["NEXT ATTEMPT", "LAST ERROR", "LATENCY"];
    fn cells(&self, wide: bool) -> Vec<String> {
        // Wide shows the whole id, for `task list --user ID` and `event list --user ID`.
        let id = if wide { self.aggregate.id.clone() } else { short_id(&self.aggregate.id) };
        let mut cells = vec![
            self.id.to_string(),
            self.target.clone(),
            self.event_type.clone(),
            format!("{}/{id}", self.aggregate.kind),
            self.aggregate.version.to_string(),
            self.status.as_str().to_owned(),
            self.attempts.to_string(),
            ago(&self.created_at),
        ];
        if wide {
            cells.extend([
                ago_opt(self.next_attempt_at.as_deref()),
                truncate(&last_error(self.last_status_code, self.last_error.as_deref()), 60),
                ms_opt(self.latency_ms),
            ]);
        }
        cells
    }
    fn name(&self) -> String {
        self.id.to_string()
    }
}

impl Row for TargetStats {
    const COLUMNS: &'static [&'static str] =
        &["TARGET", "STATE", "CIRCUIT", "DELIVERED", "FAILED", "DEAD", "BACKLOG", "SUCCESS", "P50", "P99", "BACKFILL"];
    const WIDE: &'static [&'static str] = &["IN FLIGHT", "LAST SUCCESS", "LAST ERROR"];
    fn cells(&self, wide: bool) -> Vec<String> {
        let mut cells = vec![
            self.target.clone(),
            self.state.as_str().to_owned(),
            self.circuit.as_str().to_owned(),
            self.delivered.to_string(),
            self.failed.to_string(),
            self.dead.to_string(),
            self.backlog.to_string(),
            self.success_rate.map_or_else(|| "-".into(), percent),
            ms_opt(self.latency_p50_ms),
            ms_opt(self.latency_p99_ms),
            match &self.backfill {
                None => "-".to_owned(),
                Some(b) if b.remaining == 0 => b.state.as_str().to_owned(),
                Some(b) => format!("{} ({} of {} left)", b.state.as_str(), b.remaining, b.queued),
            },
        ];
        if wide {
            cells.extend([
                self.in_flight.to_string(),
                ago_opt(self.last_success_at.as_deref()),
                truncate(self.last_error.as_deref().unwrap_or("-"), 60),
            ]);
        }
        cells
    }
    fn name(&self) -> String {
        self.target.clone()
    }
}

/// The random tail of a UUID (a UUIDv7's head is its creation time, shared by
/// users created together); other ids as they are.
fn short_id(id: &str) -> String {
    if looks_like_uuid(id) { format!("…{}", &id[id.len() - 8..]) } else { id.to_owned() }
}

fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

fn ms_opt(ms: Option<f64>) -> String {
    ms.map_or_else(|| "-".into(), |ms| format!("{ms:.1}ms"))
}

fn last_error(status: Option<u16>, error: Option<&str>) -> String {
    match (status, error) {
        (Some(code), Some(e)) => format!("HTTP {code}: {e}"),
        (Some(code), None) => format!("HTTP {code}"),
        (None, Some(e)) => e.to_owned(),
        (None, None) => "-".to_owned(),
    }
}

/// A target as a detail view; `secret` is the one answered by add or a
/// secret change, shown once.
fn target_detail(
    s: &Session,
    t: &SyncTarget,
    secret: Option<&str>,
    data: &impl serde::Serialize,
) -> Result<(), Failure> {
    let state = match (&t.disabled_reason, t.state.as_str()) {
        (Some(reason), state) => format!("{state} ({reason})"),
        (None, state) => state.to_owned(),
    };
    let options: Vec<String> = t
        .options
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())))
        .collect();
    let read_back = match (&t.read_back.supported, &t.read_back.base_url) {
        (false, _) => "no".to_owned(),
        (true, Some(url)) => format!("yes, at {url}"),
        (true, None) => "yes".to_owned(),
    };
    let secret = match (secret, &t.secret_hint) {
        (Some(secret), _) => format!("{secret} (shown once)"),
        (None, Some(hint)) => hint.clone(),
        (None, None) => "-".to_owned(),
    };
    let fields = [
        ("Name", t.name.clone()),
        ("Kind", t.kind.as_str().to_owned()),
        ("URL", t.url.clone()),
        ("Events", or_dash(&t.events.join(", "))),
        ("State", state),
        ("Circuit", t.circuit.as_str().to_owned()),
        ("Secret", secret),
        ("Timeout", t.timeout.clone()),
        ("Max attempts", t.max_attempts.to_string()),
        ("Concurrency", t.concurrency.to_string()),
        ("Options", or_dash(&options.join(" "))),
        ("Read-back", read_back),
        ("Tenants", tenants_line(&t.rules.tenants)),
        ("Filter", or_dash(t.rules.filter.as_deref().unwrap_or_default())),
        ("Fields", fields_line(&t.rules.fields)),
        ("Batch", batch_line(&t.batch)),
        ("Backfill", t.backfill.as_ref().map_or_else(|| "-".to_owned(), backfill_line)),
        ("Created", ago(&t.created_at)),
        ("Updated", ago(&t.updated_at)),
    ];
    s.out.detail(data, &t.name, &fields)
}

/// `off` or `up to 100 events, 1 MiB`.
fn batch_line(batch: &TargetBatch) -> String {
    if !batch.batches() {
        return "off (one event per request)".to_owned();
    }
    let bytes = match batch.max_bytes {
        b if b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    };
    format!("up to {} events, {bytes} per request", batch.max_events)
}

/// `running: 1,500 queued, 1,200 to deliver` or `done: 2,000 queued, all delivered`.
fn backfill_line(b: &Backfill) -> String {
    let rest = if b.remaining == 0 { "all delivered".to_owned() } else { format!("{} to deliver", b.remaining) };
    format!("{}: {} queued, {rest}", b.state.as_str(), b.queued)
}

fn tenants_line(tenants: &Selection) -> String {
    match (tenants.include.is_empty(), tenants.exclude.is_empty()) {
        (false, _) => format!("only {}", tenants.include.join(", ")),
        (true, false) => format!("all but {}", tenants.exclude.join(", ")),
        (true, true) => "all".to_owned(),
    }
}

fn fields_line(fields: &Selection) -> String {
    let mut line = if fields.include.is_empty() { "all".to_owned() } else { fields.include.join(", ") };
    if !fields.exclude.is_empty() {
        line.push_str(&format!(", without {}", fields.exclude.join(", ")));
    }
    line
}

/// The answer of add and update. `-o name` prints only the name, so a new
/// secret goes to stderr there rather than being lost.
fn with_secret(s: &Session, answer: &TargetWithSecret) -> Result<(), Failure> {
    if let (Some(secret), Format::Name) = (&answer.secret, s.out.format) {
        eprintln!("Signing secret of sync target {} (shown once): {secret}", answer.target.name);
    }
    target_detail(s, &answer.target, answer.secret.as_deref(), answer)
}

pub async fn run(cmd: SyncCmd, s: &mut Session) -> Result<(), Failure> {
    match cmd {
        SyncCmd::Target(c) => run_target(*c, s).await,
        SyncCmd::Task(c) => run_task(c, s).await,
        SyncCmd::Dlq(c) => run_dlq(c, s).await,
        SyncCmd::Stats => {
            let stats = s.api(async |c| c.sync_stats().await).await?;
            s.out.list(&stats, "sync targets")
        }
        SyncCmd::Replay { target, since, until, types } => {
            let req = ReplayEvents { since, until, types };
            let result = s.api(async |c| c.replay_target(&target, &req).await).await?;
            bulk_done(s, result.count, &format!("Queued for {target}:"))
        }
    }
}

async fn run_target(cmd: TargetCmd, s: &mut Session) -> Result<(), Failure> {
    let target = match cmd {
        TargetCmd::Add {
            name,
            kind,
            url,
            events,
            secret,
            settings,
            read_back,
            read_back_url,
            rules,
            backfill,
            no_backfill,
        } => {
            if kind != TargetKind::Http && (secret.secret_stdin || secret.generate_secret) {
                return Err(Failure::usage(format!(
                    "{} targets have no signing secret: --secret-stdin and --generate-secret are for http targets",
                    kind.as_str()
                )));
            }
            // No secret asks the server to generate one (http targets).
            let secret = read_secret(&secret)?;
            let read_back =
                (read_back || read_back_url.is_some()).then_some(ReadBack { supported: true, base_url: read_back_url });
            let batch = settings.batch(TargetBatch::default());
            let req = CreateTarget {
                name,
                kind,
                url,
                events,
                secret,
                timeout: settings.timeout,
                max_attempts: settings.max_attempts,
                concurrency: settings.concurrency,
                batch,
                options: options_map(settings.options, false),
                read_back,
                rules: rules.given().then(|| rules.apply(TargetRules::default())),
                backfill: if no_backfill { Some(false) } else { backfill.then_some(true) },
            };
            let answer = s.api(async |c| c.create_target(&req).await).await?;
            return with_secret(s, &answer);
        }
        TargetCmd::List => {
            let targets = s.api(async |c| c.list_targets().await).await?;
            return s.out.list(&targets, "sync targets");
        }
        TargetCmd::Get { name } => {
            let target = s.api(async |c| c.get_target(&name).await).await?;
            return target_detail(s, &target, None, &target);
        }
        TargetCmd::Update { name, url, events, secret, settings, rules, all_tenants, all_fields, clear_rules } => {
            let batch = match settings.batch(TargetBatch::default()) {
                Some(_) if settings.batch.is_none() || settings.batch_bytes.is_none() => {
                    let current = s.api(async |c| c.get_target(&name).await).await?.batch;
                    settings.batch(current)
                }
                batch => batch,
            };
            let rules = if clear_rules {
                Some(TargetRules::default())
            } else if rules.given() || all_tenants || all_fields {
                let mut current = s.api(async |c| c.get_target(&name).await).await?.rules;
                if all_tenants {
                    current.tenants = Selection::default();
                }
                if all_fields {
                    current.fields = Selection::default();
                }
                Some(rules.apply(current))
            } else {
                None
            };
            let req = UpdateTarget {
                url,
                events: (!events.is_empty()).then_some(events),
                secret: read_secret(&secret)?,
                generate_secret: secret.generate_secret,
                timeout: settings.timeout,
                max_attempts: settings.max_attempts,
                concurrency: settings.concurrency,
                options: (!settings.options.is_empty()).then(|| options_map(settings.options, true)),
                read_back: None,
                rules,
                batch,
            };
            if req == UpdateTarget::default() {
                return Err(Failure::usage(
                    "nothing to update: give --url, --event, --secret-stdin, --generate-secret, --timeout, \
                     --max-attempts, --concurrency, --option, --batch, --batch-bytes, or a rule (--only-tenant, --except-tenant, \
                     --filter, --field, --omit-field, --clear-rules)",
                ));
            }
            let answer = s.api(async |c| c.update_target(&name, &req).await).await?;
            return with_secret(s, &answer);
        }
        TargetCmd::Remove { name } => {
            let target = s.api(async |c| c.get_target(&name).await).await?;
            let what = format!("remove sync target {} ({} to {})", target.name, target.kind.as_str(), target.url);
            prompt::confirm(&what, s.global.yes)?;
            s.api(async |c| c.delete_target(&name).await).await?;
            eprintln!("Removed sync target {name}.");
            return Ok(());
        }
        TargetCmd::Pause { name } => s.api(async |c| c.pause_target(&name).await).await?,
        TargetCmd::Resume { name } => s.api(async |c| c.resume_target(&name).await).await?,
        TargetCmd::Test { name, event: Some(event) } => {
            let event = super::log::json_arg("--event", &event)?;
            let preview =
                s.api(async |c| c.preview_target(&name, &PreviewEvent { event: event.clone() }).await).await?;
            match s.out.format {
                Format::Json | Format::Yaml => s.out.data(&preview)?,
                _ => {
                    let mut text = match &preview.reason {
                        None => "would be delivered:\n".to_owned(),
                        Some(reason) => format!("would not be delivered: {reason}\n"),
                    };
                    if let Some(body) = &preview.body {
                        let pretty = serde_json::to_string_pretty(body).map_err(|e| Failure::error(e.to_string()))?;
                        text.push_str(&pretty);
                        text.push('\n');
                    }
                    emit(&text)?;
                }
            }
            return if preview.delivered { Ok(()) } else { Err(Failure::silent(EXIT_ERROR)) };
        }
        TargetCmd::Test { name, event: None } => {
            let result = s.api(async |c| c.test_target(&name).await).await?;
            match s.out.format {
                Format::Json | Format::Yaml => s.out.data(&result)?,
                format => {
                    emit(&format!("{}\n", test_line(&result)))?;
                    if let (Format::Wide, Some(response)) = (format, &result.response) {
                        emit(&format!("{response}\n"))?;
                    }
                }
            }
            return if result.delivered { Ok(()) } else { Err(Failure::silent(EXIT_ERROR)) };
        }
    };
    s.out.one(&target)
}

/// `delivered: HTTP 200 in 12 ms`, `failed: HTTP 500 in 3 ms: <error>`;
/// `failed in 3 ms: <error>` when there was no HTTP answer (or no HTTP).
fn test_line(r: &TargetTestResult) -> String {
    let mut line = if r.delivered { "delivered".to_owned() } else { "failed".to_owned() };
    if let Some(code) = r.status_code {
        line.push_str(&format!(": HTTP {code}"));
    }
    line.push_str(&format!(" in {:.0} ms", r.duration_ms));
    if let Some(error) = &r.error {
        line.push_str(&format!(": {error}"));
    }
    line
}

async fn run_task(cmd: TaskCmd, s: &mut Session) -> Result<(), Failure> {
    let task = match cmd {
        TaskCmd::List { target, status, user, paging } => {
            // Tasks name users by id; a username is looked up first. An id is
            // used as it is, so the tasks of a deleted user can still be listed.
            let aggregate_id = match user {
                Some(u) if looks_like_uuid(&u) => Some(u),
                Some(u) => Some(s.api(async |c| c.get_user(&u).await).await?.id),
                None => None,
            };
            let query = TaskQuery {
                target,
                status: status.map(Into::into),
                aggregate_id,
                page: paging.page,
                page_size: paging.page_size,
                ..Default::default()
            };
            let page = s.api(async |c| c.list_tasks(&query).await).await?;
            return print_page(s, &page, "tasks");
        }
        TaskCmd::Get { id } => {
            let task = s.api(async |c| c.get_task(id).await).await?;
            return task_detail(s, &task);
        }
        TaskCmd::Retry { id } => s.api(async |c| c.retry_task(id).await).await?,
        TaskCmd::Cancel { id } => s.api(async |c| c.cancel_task(id).await).await?,
    };
    s.out.one(&task)
}

/// One page of tasks, with a hint on stderr when more pages follow.
fn print_page(s: &Session, page: &Page<SyncTask>, what: &str) -> Result<(), Failure> {
    s.out.list(&page.items, what)?;
    if page.page < page.total_pages && matches!(s.out.format, Format::Table | Format::Wide) {
        eprintln!(
            "Page {} of {} ({} {what}); next: --page {}.",
            page.page,
            page.total_pages,
            page.total,
            page.page + 1
        );
    }
    Ok(())
}

fn task_detail(s: &Session, t: &SyncTask) -> Result<(), Failure> {
    let fields = [
        ("ID", t.id.to_string()),
        ("Target", t.target.clone()),
        ("Event", format!("{} ({})", t.event_type, t.event_id)),
        ("Tenant", t.tenant.clone()),
        ("Aggregate", format!("{}/{} version {}", t.aggregate.kind, t.aggregate.id, t.aggregate.version)),
        ("Status", format!("{}{}", t.status.as_str(), if t.repair { " (repair)" } else { "" })),
        ("Attempts", t.attempts.to_string()),
        ("Next attempt", ago_opt(t.next_attempt_at.as_deref())),
        ("Last error", last_error(t.last_status_code, t.last_error.as_deref())),
        ("Created", ago(&t.created_at)),
        ("Updated", ago(&t.updated_at)),
        ("Delivered", ago_opt(t.delivered_at.as_deref())),
        ("Latency", ms_opt(t.latency_ms)),
    ];
    s.out.detail(t, &t.id.to_string(), &fields)?;
    if !matches!(s.out.format, Format::Table | Format::Wide) {
        return Ok(());
    }
    let attempts = t.attempt_log.as_deref().unwrap_or_default();
    if attempts.is_empty() {
        eprintln!("No attempts yet.");
        return Ok(());
    }
    let rows = attempts
        .iter()
        .map(|a| {
            vec![
                a.number.to_string(),
                ago(&a.started_at),
                format!("{:.1}ms", a.duration_ms),
                a.outcome.clone(),
                a.status_code.map_or_else(|| "-".into(), |c| c.to_string()),
                a.error.as_deref().map_or_else(|| "-".into(), |e| truncate(e, 80)),
            ]
        })
        .collect();
    emit("\n")?;
    emit(&s.out.table(&["NUMBER", "STARTED", "DURATION", "OUTCOME", "STATUS", "ERROR"], rows))
}

async fn run_dlq(cmd: DlqCmd, s: &mut Session) -> Result<(), Failure> {
    match cmd {
        DlqCmd::List { target, paging } => {
            let query = TaskQuery { target, page: paging.page, page_size: paging.page_size, ..Default::default() };
            let page = s.api(async |c| c.list_dlq(&query).await).await?;
            print_page(s, &page, "dead tasks")
        }
        DlqCmd::Replay { target, ids } => {
            let count = if ids.is_empty() {
                replay_all(s, target).await?
            } else {
                let req = DlqReplay { target, ids };
                s.api(async |c| c.replay_dlq(&req).await).await?.count
            };
            bulk_done(s, count, "Replayed")
        }
        DlqCmd::Purge { target, older_than, ids } => {
            let what = purge_description(s, target.as_deref(), older_than.as_deref(), &ids).await?;
            prompt::confirm(&what, s.global.yes)?;
            let req = DlqPurge { target, ids, older_than };
            let result = s.api(async |c| c.purge_dlq(&req).await).await?;
            bulk_done(s, result.count, "Purged")
        }
    }
}

/// Every dead task (of `target`), listed with a cursor and replayed in
/// chunks, so one call never holds a huge queue and a bar can count.
async fn replay_all(s: &mut Session, target: Option<String>) -> Result<u64, Failure> {
    let listing = progress_bar(None, "{spinner} listing dead tasks: {pos}");
    let mut query = TaskQuery { target, limit: Some(MAX_PAGE_SIZE), ..Default::default() };
    let mut ids = Vec::new();
    loop {
        let page = s.api(async |c| c.list_dlq(&query).await).await?;
        listing.inc(page.items.len() as u64);
        ids.extend(page.items.iter().map(|t| t.id));
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    listing.finish_and_clear();
    let bar = progress_bar(Some(ids.len() as u64), "{spinner} replaying [{bar:40}] {pos}/{len} tasks");
    let mut count = 0;
    for chunk in ids.chunks(REPLAY_CHUNK) {
        let req = DlqReplay { target: None, ids: chunk.to_vec() };
        let result = match s.api(async |c| c.replay_dlq(&req).await).await {
            Ok(r) => r,
            Err(e) => {
                bar.finish_and_clear();
                if count > 0 {
                    eprintln!("Replayed {} before the error.", plural(count, "task", "tasks"));
                }
                return Err(e);
            }
        };
        count += result.count;
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok(count)
}

/// What a purge destroys, for the question; the size of the queue only when
/// the question is asked (and no age filter makes it unknowable here).
async fn purge_description(
    s: &mut Session,
    target: Option<&str>,
    older_than: Option<&str>,
    ids: &[u64],
) -> Result<String, Failure> {
    let of = target.map(|t| format!(" of target {t}")).unwrap_or_default();
    let age = older_than.map(|d| format!(" dead for longer than {d}")).unwrap_or_default();
    if !ids.is_empty() {
        let list: Vec<String> = ids.iter().map(u64::to_string).collect();
        return Ok(format!(
            "purge {} ({}){of}{age}",
            plural(ids.len() as u64, "dead task", "dead tasks"),
            list.join(", ")
        ));
    }
    if s.global.yes || !prompt::interactive() || older_than.is_some() {
        return Ok(format!("purge every dead task{of}{age}"));
    }
    let query = TaskQuery { target: target.map(str::to_owned), page_size: Some(1), ..Default::default() };
    let total = s.api(async |c| c.list_dlq(&query).await).await?.total;
    Ok(format!("purge {}{of}", plural(total, "dead task", "dead tasks")))
}

fn bulk_done(s: &Session, count: u64, verb: &str) -> Result<(), Failure> {
    match s.out.format {
        Format::Json | Format::Yaml => s.out.data(&BulkResult { count }),
        _ => {
            eprintln!("{verb} {}.", plural(count, "task", "tasks"));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn options_are_typed_like_json() {
        let pairs = |list: &[&str]| -> Vec<(String, String)> {
            list.iter().map(|p| option_pair(p).expect("valid pair")).collect()
        };
        let add = options_map(
            pairs(&["key_prefix=user:", "maxlen=10000", "ratio=0.5", "on=true", "off=false", "ttl=24h", "empty="]),
            false,
        );
        assert_eq!(
            Value::Object(add),
            json!({"key_prefix": "user:", "maxlen": 10000, "ratio": 0.5, "on": true, "off": false, "ttl": "24h", "empty": ""})
        );
        // Only JSON numbers are numbers; the value may itself hold `=`.
        let odd = options_map(pairs(&["a=007", "b=+1", "c= 5", "d=inf", "e=-3", "f=1e3", "g=x=y", "h=True"]), false);
        assert_eq!(
            Value::Object(odd),
            json!({"a": "007", "b": "+1", "c": " 5", "d": "inf", "e": -3, "f": 1e3, "g": "x=y", "h": "True"})
        );
        // On update an empty value removes the option.
        let update = options_map(pairs(&["ttl=", "stream=s", "ttl="]), true);
        assert_eq!(Value::Object(update), json!({"ttl": null, "stream": "s"}));
    }

    #[test]
    fn option_pairs_need_a_key_and_an_equals_sign() {
        assert!(option_pair("ttl").is_err());
        assert!(option_pair("=5").is_err());
        assert_eq!(option_pair("k=").expect("valid"), ("k".to_owned(), String::new()));
    }

    #[test]
    fn cells_are_short() {
        assert_eq!(short_id("0193a7c2-1b2c-7d3e-8f40-a1b2c3d4e5f6"), "…c3d4e5f6");
        assert_eq!(short_id("acme"), "acme");
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("abcdefghijkl", 5), "abcd…");
        assert_eq!(truncate("one\ntwo", 10), "one…");
        assert_eq!(percent(0.995), "99.5%");
        assert_eq!(ms_opt(None), "-");
        assert_eq!(ms_opt(Some(12.34)), "12.3ms");
        assert_eq!(last_error(Some(500), Some("boom")), "HTTP 500: boom");
        assert_eq!(last_error(None, None), "-");
    }

    #[test]
    fn test_lines_read_like_the_contract() {
        let mut r = TargetTestResult {
            delivered: true,
            status_code: Some(200),
            duration_ms: 12.4,
            error: None,
            response: None,
        };
        assert_eq!(test_line(&r), "delivered: HTTP 200 in 12 ms");
        r.delivered = false;
        r.status_code = Some(500);
        r.duration_ms = 3.0;
        r.error = Some("internal".into());
        assert_eq!(test_line(&r), "failed: HTTP 500 in 3 ms: internal");
        r.status_code = None;
        r.error = Some("connection refused".into());
        assert_eq!(test_line(&r), "failed in 3 ms: connection refused");
    }
}
