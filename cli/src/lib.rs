//! platctl, the admin CLI of plat.
//!
//! The command tree is clap's derive types: [`Cli`] holds the global flags and
//! one [`Command`] variant per group; each group lives in its own module under
//! [`cmd`] with its own subcommand enum and a `run` function. Adding a group is
//! adding one module and one variant. Every call to the daemon goes through
//! `plat-client`; this crate holds no HTTP or JSON details of its own.

use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand};

pub mod cmd;
mod config;
mod error;
mod output;
mod prompt;
pub mod reference;
mod session;

pub use error::Failure;
pub use output::Format;
use session::Session;

/// The default server: where `platd serve --dev` listens.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8700";

#[derive(Parser, Debug)]
#[command(
    name = "platctl",
    version,
    about = "The admin CLI of plat: tenants, users, roles, tokens, sync, checks, services and health.",
    long_about = None,
    propagate_version = true,
    disable_help_subcommand = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Args, Debug, Clone)]
pub struct Global {
    /// Server URL (default: the context's, else http://127.0.0.1:8700).
    #[arg(long, global = true, env = "PLATCTL_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// Access token to use instead of the context's.
    #[arg(long, global = true, env = "PLATCTL_TOKEN", value_name = "T", hide_env_values = true)]
    pub token: Option<String>,
    /// Context to use instead of the current one.
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// Tenant to act in (platform admins may name any tenant).
    #[arg(long, global = true, env = "PLATCTL_TENANT", value_name = "SLUG")]
    pub tenant: Option<String>,
    /// Output format (`dot`: only `service graph`).
    #[arg(short = 'o', long, global = true, value_enum, default_value_t = Format::Table, value_name = "FORMAT")]
    pub output: Format,
    /// Print tables without their header row.
    #[arg(long, global = true)]
    pub no_headers: bool,
    /// Skip confirmations of destructive commands.
    #[arg(short = 'y', long, global = true)]
    pub yes: bool,
    /// Never colour output (also: the NO_COLOR environment variable).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Say more on stderr (token refreshes, reasons of decisions).
    #[arg(short = 'v', long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Log in and store the session's tokens in the current context.
    Login(cmd::session::Login),
    /// End the context's session on the server and forget its tokens.
    Logout(cmd::session::Logout),
    /// Show who the current token belongs to, with roles and permissions.
    Whoami,
    /// Second factors: enrol TOTP, see, remove; reset a user's.
    #[command(subcommand)]
    Mfa(cmd::session::MfaCmd),
    /// List and end sessions: your own, or a user's.
    #[command(subcommand)]
    Session(cmd::session::SessionCmd),
    /// Manage named contexts (server, tenant, tokens).
    #[command(subcommand)]
    Context(cmd::context::ContextCmd),
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(cmd::tenant::TenantCmd),
    /// Manage users, and import or export them in bulk.
    #[command(subcommand)]
    User(cmd::user::UserCmd),
    /// Manage organizations: a tree of companies, departments and teams, and their members.
    #[command(subcommand)]
    Org(cmd::org::OrgCmd),
    /// Manage roles and grant them to users.
    #[command(subcommand)]
    Role(cmd::role::RoleCmd),
    /// Ask the server what a subject may do.
    #[command(subcommand)]
    Auth(cmd::role::AuthCmd),
    /// Manage service accounts (client credentials for services).
    #[command(subcommand)]
    ServiceAccount(cmd::token::ServiceAccountCmd),
    /// Issue, verify and revoke tokens.
    #[command(subcommand)]
    Token(cmd::token::TokenCmd),
    /// List and rotate the token signing keys.
    #[command(subcommand)]
    Keys(cmd::token::KeysCmd),
    /// Deliver events to targets: targets, tasks, the dead-letter queue, statistics.
    #[command(subcommand)]
    Sync(cmd::sync::SyncCmd),
    /// Check that targets hold what plat holds (and plat its own invariants); repair drift.
    #[command(subcommand)]
    Check(cmd::check::CheckCmd),
    /// Register services, follow their instances' health, show the dependency graph and its layering.
    #[command(subcommand)]
    Service(cmd::service::ServiceCmd),
    /// Read the event log (the outbox).
    #[command(subcommand)]
    Event(cmd::log::EventCmd),
    /// Read the audit log.
    #[command(subcommand)]
    Audit(cmd::log::AuditCmd),
    /// Show the health of every component; exit 4 when one is unhealthy.
    Health(cmd::health::Health),
    /// Show server version, uptime, counts and backlogs.
    Status,
    /// Watch a running platd: request rates, sync throughput and backlog per target, checks, registry, process.
    Top(cmd::top::Top),
    /// Print a shell completion script.
    Completion(cmd::completion::Completion),
}

impl Command {
    /// Whether the command has a Graphviz rendering (`-o dot`).
    fn prints_dot(&self) -> bool {
        matches!(self, Command::Service(cmd::service::ServiceCmd::Graph))
    }
}

/// Parse the command line, run the command, report the outcome; the process's exit code.
pub fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    if cli.global.output == Format::Dot && !cli.command.prints_dot() {
        return Err(Failure::usage("-o dot is only for `platctl service graph`")
            .with_hint("other commands print table, wide, json, yaml or name"));
    }
    match cli.command {
        // Commands that never talk to a server start no runtime.
        Command::Completion(c) => c.run(&mut Cli::command()),
        Command::Context(c) => cmd::context::run(c, &cli.global),
        command => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| Failure::error(format!("cannot start the runtime: {e}")))?;
            runtime.block_on(async move {
                let mut session = Session::new(cli.global)?;
                dispatch(command, &mut session).await
            })
        }
    }
}

async fn dispatch(command: Command, s: &mut Session) -> Result<(), Failure> {
    match command {
        Command::Login(c) => c.run(s).await,
        Command::Logout(c) => c.run(s).await,
        Command::Whoami => cmd::session::whoami(s).await,
        Command::Session(c) => cmd::session::run_session(c, s).await,
        Command::Mfa(c) => cmd::session::run_mfa(c, s).await,
        Command::Tenant(c) => cmd::tenant::run(c, s).await,
        Command::Org(c) => cmd::org::run(c, s).await,
        Command::User(c) => cmd::user::run(c, s).await,
        Command::Role(c) => cmd::role::run(c, s).await,
        Command::Auth(c) => cmd::role::run_auth(c, s).await,
        Command::ServiceAccount(c) => cmd::token::run_service_account(c, s).await,
        Command::Token(c) => cmd::token::run_token(c, s).await,
        Command::Keys(c) => cmd::token::run_keys(c, s).await,
        Command::Sync(c) => cmd::sync::run(c, s).await,
        Command::Check(c) => cmd::check::run(c, s).await,
        Command::Service(c) => cmd::service::run(c, s).await,
        Command::Event(c) => cmd::log::run_event(c, s).await,
        Command::Audit(c) => cmd::log::run_audit(c, s).await,
        Command::Health(c) => c.run(s).await,
        Command::Status => cmd::health::status(s).await,
        Command::Top(top) => top.run(s).await,
        Command::Completion(_) | Command::Context(_) => unreachable!("handled without a runtime"),
    }
}
