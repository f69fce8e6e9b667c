//! event list and publish, audit list.

use clap::Subcommand;
use plat_proto::{AuditQuery, AuditRecord, Event, EventQuery, PublishAggregate, PublishEvent};

use crate::error::Failure;
use crate::output::{Row, ago};
use crate::session::Session;

#[derive(Subcommand, Debug)]
pub enum EventCmd {
    /// List outbox events, newest first.
    List {
        /// Event type or pattern: `user.*`, `tenant.created`.
        #[arg(long = "type", value_name = "PATTERN")]
        event_type: Option<String>,
        /// Only events of this user (id or username).
        #[arg(long)]
        user: Option<String>,
        /// Since a time (RFC 3339) or for a duration back (`1h`).
        #[arg(long, value_name = "D")]
        since: Option<String>,
        /// At most this many events (at most 500).
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
    /// Publish an event as a service account (its token in --token or PLATCTL_TOKEN).
    Publish {
        /// The event type, under a prefix granted to the account (`file.uploaded`).
        #[arg(value_name = "TYPE")]
        event_type: String,
        /// The event's data: JSON, `@FILE`, or `-` for stdin.
        #[arg(long, value_name = "JSON", default_value = "{}")]
        data: String,
        /// Deliver in order with the other events of this aggregate: `KIND/ID` (`file/f_123`).
        #[arg(long, value_name = "KIND/ID")]
        aggregate: Option<String>,
        /// The user the event concerns (an id).
        #[arg(long)]
        user: Option<String>,
        /// A retry with the same key returns the first event instead of publishing twice.
        #[arg(long, value_name = "KEY")]
        idempotency_key: Option<String>,
        #[arg(long, value_name = "ID")]
        correlation_id: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// List audit records, newest first.
    List {
        /// Actor: `username@tenant` or `service:name@tenant`.
        #[arg(long, value_name = "U")]
        actor: Option<String>,
        /// Action or pattern: `user.create`, `auth.*`.
        #[arg(long, value_name = "A")]
        action: Option<String>,
        /// Since a time (RFC 3339) or for a duration back (`1h`).
        #[arg(long, value_name = "D")]
        since: Option<String>,
        /// At most this many records (at most 500).
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
}

impl Row for Event {
    const COLUMNS: &'static [&'static str] = &["TYPE", "TENANT", "AGGREGATE", "VERSION", "AGE"];
    const WIDE: &'static [&'static str] = &["ID", "ACTOR", "REQUEST ID"];
    fn cells(&self, wide: bool) -> Vec<String> {
        let mut cells = vec![
            self.event_type.clone(),
            self.tenant.clone(),
            format!("{}/{}", self.aggregate.kind, self.aggregate.id),
            self.aggregate.version.to_string(),
            ago(&self.timestamp),
        ];
        if wide {
            let meta = |k: &str| self.metadata.get(k).and_then(|v| v.as_str()).unwrap_or("-").to_owned();
            cells.extend([self.id.clone(), meta("actor"), meta("request_id")]);
        }
        cells
    }
    fn name(&self) -> String {
        self.id.clone()
    }
}

impl Row for AuditRecord {
    const COLUMNS: &'static [&'static str] = &["AGE", "ACTOR", "ACTION", "TARGET", "OUTCOME"];
    const WIDE: &'static [&'static str] = &["TENANT", "REQUEST ID", "ID"];
    fn cells(&self, wide: bool) -> Vec<String> {
        let mut cells = vec![
            ago(&self.timestamp),
            self.actor.clone(),
            self.action.clone(),
            self.target.clone(),
            self.outcome.clone(),
        ];
        if wide {
            cells.extend([
                self.tenant.clone().unwrap_or_else(|| "-".into()),
                self.request_id.clone().unwrap_or_else(|| "-".into()),
                self.id.clone(),
            ]);
        }
        cells
    }
    fn name(&self) -> String {
        self.id.clone()
    }
}

/// A JSON argument (`--data`, `--event`): JSON text, `@FILE`, or `-` for stdin.
pub(super) fn json_arg(flag: &str, value: &str) -> Result<serde_json::Value, Failure> {
    let text = match value {
        "-" => std::io::read_to_string(std::io::stdin())
            .map_err(|e| Failure::error(format!("cannot read {flag} from stdin: {e}")))?,
        file if file.starts_with('@') => std::fs::read_to_string(&file[1..])
            .map_err(|e| Failure::error(format!("cannot read {}: {e}", &file[1..])))?,
        json => json.to_owned(),
    };
    serde_json::from_str(&text).map_err(|e| Failure::usage(format!("{flag} is not JSON: {e}")))
}

pub async fn run_event(cmd: EventCmd, s: &mut Session) -> Result<(), Failure> {
    let (event_type, user, since, limit) = match cmd {
        EventCmd::List { event_type, user, since, limit } => (event_type, user, since, limit),
        EventCmd::Publish { event_type, data, aggregate, user, idempotency_key, correlation_id } => {
            let aggregate = aggregate
                .map(|a| match a.split_once('/') {
                    Some((kind, id)) if !kind.is_empty() && !id.is_empty() => {
                        Ok(PublishAggregate { kind: kind.to_owned(), id: id.to_owned() })
                    }
                    _ => Err(Failure::usage(format!("--aggregate {a:?} is not KIND/ID (file/f_123)"))),
                })
                .transpose()?;
            let req = PublishEvent {
                event_type,
                aggregate,
                user,
                idempotency_key,
                correlation_id,
                data: json_arg("--data", &data)?,
                ..Default::default()
            };
            let event = s.api(async |c| c.publish_event(&req).await).await?;
            return s.out.one(&event);
        }
    };
    // Events name users by id; a username is looked up first. An id is used
    // as it is, so the events of a deleted user can still be listed.
    let aggregate_id = match user {
        Some(u) if looks_like_uuid(&u) => Some(u),
        Some(u) => Some(s.api(async |c| c.get_user(&u).await).await?.id),
        None => None,
    };
    let query = EventQuery { event_type, aggregate_id, since, limit: Some(limit), ..Default::default() };
    let page = s.api(async |c| c.list_events(&query).await).await?;
    s.out.list(&page.items, "events")
}

pub async fn run_audit(cmd: AuditCmd, s: &mut Session) -> Result<(), Failure> {
    let AuditCmd::List { actor, action, since, limit } = cmd;
    let query = AuditQuery { actor, action, since, limit: Some(limit), ..Default::default() };
    let page = s.api(async |c| c.list_audit(&query).await).await?;
    s.out.list(&page.items, "audit records")
}

pub(crate) fn looks_like_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes()
            .enumerate()
            .all(|(i, b)| if [8, 13, 18, 23].contains(&i) { b == b'-' } else { b.is_ascii_hexdigit() })
}
