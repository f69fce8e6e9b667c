//! plat-bench: starts its own `platd` on a temp database, drives it over
//! loopback, and prints each figure beside the limit it is compared to,
//! measured in the same run on the same machine, and their ratio.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use plat_client::Client;
use plat_proto::*;
use serde::Serialize;

mod authz;
mod check;
mod cli;
mod controller;
mod harness;
mod login;
mod orgs;
mod quotas;
mod registry;
mod sync;
mod tokens;
mod users;

use authz::*;
use check::*;
use cli::*;
use controller::*;
use harness::*;
use login::*;
use orgs::*;
use quotas::*;
use registry::*;
use sync::*;
use tokens::*;
use users::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// Client-credentials tokens/s and /auth/verify calls/s at 1, 8, 64 clients; local JWKS verification/s.
    Tokens,
    /// Password logins/s against the raw argon2id bound; logins with a TOTP second step
    /// against password logins.
    Login,
    /// /auth/verify p50/p99 while ~200 wrong-password logins/s arrive (production argon2id
    /// cost), against the same with no load; logins answered 401 and shed (503).
    VerifyFlood,
    /// Users created one by one and by import; GET-user latency at 1000 req/s.
    Users,
    /// platd's resident memory idle and after 100k users.
    Rss,
    /// Wall time of platctl commands against `platctl --version` (process start alone).
    Cli,
    /// Events a service publishes/s (single and batched) against /healthz; deliveries/s to a
    /// null HTTP sink and to examples/profile-service against a plain keep-alive client's
    /// rate; commit-to-delivery latency at half load.
    Sync,
    /// Consistency checks of 100k and 1M users against examples/profile-service: clean,
    /// 0.1% and 10% drift, digest and paging; against plat reading and hashing its own records.
    Check,
    /// The service registry: registrations/s and heartbeats/s against /healthz round trips;
    /// a probe round of 1,000 instances against a plain client; discovery answers/s; the
    /// wake-up latency of 1,000 blocked watchers against 100 ms.
    Registry,
    /// The Kubernetes controller: reconciles/s (create, then unchanged) through the mock
    /// API server and plat's registry API, against the same registrations PUT directly.
    Controller,
    /// Permission checks with a context (conditional role grants): checks/s one per call
    /// and 100 per call, against /healthz; roles on an organization: org-scoped checks/s, and
    /// reads and writes as an organization admin against the same as a tenant admin.
    Authz,
    /// Quota checks/s and reserve+commit pairs/s on one resource, against /healthz.
    Quotas,
    /// A tree of 10,000 organizations and 100,000 memberships built through the API; member
    /// listings (recursive from the root, a department, a team) p99 against 20 ms.
    Orgs,
    /// Every scenario above.
    All,
}

#[derive(Parser)]
#[command(name = "plat-bench", about = "plat's benchmark tool")]
struct Args {
    scenario: Scenario,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Also write the figures as that JSON object to this file (a baseline
    /// for `scripts/bench-compare.py`).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Run platd on this database server instead of a temp SQLite file
    /// (postgres://...; a fresh database is created and dropped).
    #[arg(long)]
    database_url: Option<String>,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 3)]
    seconds: u64,
    /// User counts of the check scenario.
    #[arg(long, value_delimiter = ',', default_values_t = [100_000usize, 1_000_000])]
    check_sizes: Vec<usize>,
    /// Export every span with OTLP to a null collector the bench runs (the
    /// cost of tracing on; docs/operations.md, "Traces").
    #[arg(long)]
    trace: bool,
    /// The platd binary (default: next to this one, built if missing).
    #[arg(long)]
    platd: Option<PathBuf>,
}

#[derive(Serialize, Clone)]
struct Figure {
    scenario: &'static str,
    name: String,
    value: f64,
    unit: &'static str,
    limit_name: String,
    limit: f64,
    ratio: f64,
    goal: String,
}

struct Report {
    json: bool,
    figures: Vec<Figure>,
}

impl Report {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        scenario: &'static str,
        name: String,
        value: f64,
        unit: &'static str,
        limit_name: String,
        limit: f64,
        goal: &str,
    ) {
        let ratio = if limit > 0.0 { value / limit } else { 0.0 };
        if !self.json {
            println!(
                "{scenario:<12} {name:<40} {value:>12.1} {unit:<6} limit {limit_name:<34} {limit:>12.1}  ratio {ratio:>6.3}  goal {goal}"
            );
        }
        self.figures.push(Figure { scenario, name, value, unit, limit_name, limit, ratio, goal: goal.to_owned() });
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let binary = sibling_binary("platd", args.platd.as_deref())?;
    let mut report = Report { json: args.json, figures: Vec::new() };
    let wanted = |s: Scenario| args.scenario == s || args.scenario == Scenario::All;
    if !args.json {
        let backend = if args.database_url.is_some() { "postgres" } else { "sqlite" };
        let traces = if args.trace { ", spans exported with OTLP" } else { "" };
        println!(
            "plat-bench on {backend}{traces}, {} cores, {} s per figure",
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            args.seconds
        );
    }
    let url = args.database_url.as_deref();
    // Generous IP limits: the bench makes no failed attempts, but never let one throttle it.
    let mut env = vec![("PLATD_AUTH__IP_LIMIT__MAX_FAILURES", "1000000")];
    let collector = if args.trace { Some(null_receiver("/v1/traces").await?) } else { None };
    if let Some((url, _)) = &collector {
        env.push(("PLATD_TRACE__OTLP_ENDPOINT", url.as_str()));
    }
    let scenarios = [
        Scenario::Tokens,
        Scenario::Login,
        Scenario::VerifyFlood,
        Scenario::Users,
        Scenario::Rss,
        Scenario::Cli,
        Scenario::Sync,
        Scenario::Check,
        Scenario::Registry,
        Scenario::Controller,
        Scenario::Authz,
        Scenario::Quotas,
        Scenario::Orgs,
    ];
    for scenario in scenarios {
        if !wanted(scenario) {
            continue;
        }
        // A fresh platd per scenario, so one scenario's data never skews another.
        let p = start_platd(&binary, url, &env).await?;
        match scenario {
            Scenario::Tokens => tokens(&mut report, &p, args.seconds).await?,
            Scenario::Login => login(&mut report, &p, args.seconds).await?,
            Scenario::VerifyFlood => verify_flood(&mut report, &p, args.seconds).await?,
            Scenario::Users => users(&mut report, &p, args.seconds).await?,
            Scenario::Rss => rss(&mut report, &p).await?,
            Scenario::Cli => cli(&mut report, &p).await?,
            Scenario::Sync => sync(&mut report, &p, args.seconds).await?,
            Scenario::Registry => registry(&mut report, &p).await?,
            Scenario::Controller => controller(&mut report, &p).await?,
            Scenario::Authz => authz(&mut report, &p, args.seconds).await?,
            Scenario::Quotas => quotas(&mut report, &p, args.seconds).await?,
            Scenario::Orgs => orgs(&mut report, &p).await?,
            Scenario::Check => {
                drop(p);
                for &size in &args.check_sizes {
                    // A fresh platd per size, without grace: the users were just imported.
                    let env = [env.as_slice(), &[("PLATD_CHECKS__GRACE", "0s")]].concat();
                    let p = start_platd(&binary, url, &env).await?;
                    check(&mut report, &p, size).await?;
                }
            }
            Scenario::All => {}
        }
    }
    if let Some((_, exports)) = &collector {
        eprintln!("traces: {} OTLP export requests reached the null collector", exports.load(Ordering::Relaxed));
    }
    let document = serde_json::to_string_pretty(&serde_json::json!({ "figures": report.figures }))?;
    if args.json {
        println!("{document}");
    }
    if let Some(out) = &args.out {
        std::fs::write(out, format!("{document}\n")).with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok(())
}
