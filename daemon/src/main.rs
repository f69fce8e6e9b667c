//! The `platd` command line: `serve`, `migrate`, `bootstrap`.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use opentelemetry_sdk::trace::SdkTracerProvider;
use platd::config::{Config, Overrides};
use platd::{AppState, Server, open_store};

#[derive(Parser)]
#[command(name = "platd", version, about = "The plat control-plane daemon")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations, then serve the API and run the workers.
    Serve {
        #[arg(long)]
        config: Option<PathBuf>,
        /// Address to listen on (default 127.0.0.1:8700).
        #[arg(long)]
        listen: Option<String>,
        /// sqlite://... or postgres://...
        #[arg(long, env = "PLATD_DATABASE_URL")]
        database_url: Option<String>,
        /// Development mode: SQLite under ./.plat/, bootstrapped admin.
        #[arg(long)]
        dev: bool,
    },
    /// Apply pending migrations and exit.
    Migrate {
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long, env = "PLATD_DATABASE_URL")]
        database_url: Option<String>,
    },
    /// Create the system tenant and its first platform admin.
    Bootstrap {
        #[arg(long)]
        admin: String,
        /// Read the password from standard input instead of a prompt.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long, env = "PLATD_DATABASE_URL")]
        database_url: Option<String>,
    },
}

/// Changes the log filter of the running process.
type Reload = Box<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// Log to stderr with the filter of `RUST_LOG`, else `log.level`; with
/// `traces`, also export spans when `[trace]` names a collector. Returns
/// that filter, a way to replace it at run time, and the span exporter to
/// flush at exit.
fn init_logging(config: &Config, traces: bool) -> anyhow::Result<(String, Reload, Option<SdkTracerProvider>)> {
    use tracing_subscriber::prelude::*;
    use tracing_subscriber::{EnvFilter, Registry, reload};
    let configured = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| EnvFilter::try_new(v).is_ok())
        .unwrap_or_else(|| config.log.level.clone());
    let json = match config.log.format.as_str() {
        "json" => true,
        "pretty" => false,
        _ => !std::io::stderr().is_terminal(),
    };
    // The log filter applies to the log lines only: plat's spans are
    // selected by the exporter's own filter (plat_telemetry).
    let (filter, handle) = reload::Layer::<EnvFilter, Registry>::new(EnvFilter::new(&configured));
    let log = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let log = if json {
        log.json().flatten_event(true).with_filter(filter).boxed()
    } else {
        log.with_ansi(std::io::stderr().is_terminal()).with_filter(filter).boxed()
    };
    let mut layers = vec![log];
    let mut provider = None;
    if traces && let Some((layer, p)) = platd::telemetry::exporter(&config.trace)? {
        layers.push(layer);
        provider = Some(p);
    }
    tracing_subscriber::registry().with(layers).init();
    let reload: Reload = Box::new(move |directives: &str| {
        let filter = EnvFilter::try_new(directives).map_err(|e| e.to_string())?;
        handle.reload(filter).map_err(|e| e.to_string())
    });
    Ok((configured, reload, provider))
}

/// `kill -USR1` turns debug logging on, `kill -USR2` restores the
/// configured filter (docs/operations.md, "Logs").
#[cfg(unix)]
async fn log_level_signals(configured: String, reload: Reload) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut debug), Ok(mut restore)) = (signal(SignalKind::user_defined1()), signal(SignalKind::user_defined2()))
    else {
        tracing::warn!("cannot listen for SIGUSR1/SIGUSR2: the log level cannot be changed at run time");
        return;
    };
    loop {
        tokio::select! {
            Some(()) = debug.recv() => {
                match reload("debug") {
                    Ok(()) => tracing::info!("SIGUSR1: logging at debug until SIGUSR2"),
                    Err(e) => tracing::warn!(error = %e, "SIGUSR1: cannot change the log level"),
                }
            }
            Some(()) = restore.recv() => {
                tracing::info!(filter = %configured, "SIGUSR2: logging at the configured level again");
                if let Err(e) = reload(&configured) {
                    tracing::warn!(error = %e, "SIGUSR2: cannot change the log level");
                }
            }
            else => return,
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return ctrl_c.await.unwrap_or(()),
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await.unwrap_or(());
}

async fn serve(
    config_file: Option<PathBuf>,
    listen: Option<String>,
    database_url: Option<String>,
    dev: bool,
) -> anyhow::Result<()> {
    let mut overrides = Overrides { listen, database_url, data_dir: None };
    let dev_dir = PathBuf::from(".plat");
    if dev {
        std::fs::create_dir_all(&dev_dir).context("cannot create ./.plat")?;
        overrides.data_dir = Some(dev_dir.clone());
        if overrides.database_url.is_none() && std::env::var("PLATD_DATABASE_URL").is_err() {
            overrides.database_url = Some("sqlite://.plat/plat.db?mode=rwc".into());
        }
    }
    let config = Config::load(config_file.as_deref(), &overrides)?;
    let (configured, reload, traces) = init_logging(&config, true)?;
    #[cfg(unix)]
    tokio::spawn(log_level_signals(configured, reload));
    #[cfg(not(unix))]
    let _ = (configured, reload);
    let store = open_store(&config).await?;
    let listen_addr = config.listen;
    let state = AppState::new(config, store).await?;
    if dev {
        platd::dev_bootstrap(&state, &dev_dir).await?;
    }
    let listener =
        tokio::net::TcpListener::bind(listen_addr).await.with_context(|| format!("cannot listen on {listen_addr}"))?;
    let server = Server::start(state, listener).await?;
    tracing::info!(addr = %server.addr, version = env!("CARGO_PKG_VERSION"), "platd is serving");
    let token = server.shutdown_token();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        token.cancel();
    });
    server.wait().await?;
    if let Some(provider) = traces {
        platd::telemetry::flush(provider).await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// glibc's allocator as platd wants it, unless the environment already says
/// (docs/operations.md, "Memory"): at most two arenas, and allocations of
/// 128 KiB and more mapped on their own, so that what a burst frees (a
/// 10,000-user import) goes back to the system instead of staying in an
/// arena. Measured with `plat-bench rss`: idle 42 → 23 MB, after 100k
/// users 76 → 55 MB. The tunables are read when a process starts, so platd
/// starts itself again with them — the only way without `unsafe` (`mallopt`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    use std::os::unix::process::CommandExt;
    const GLIBC_TUNABLES: &str = "glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=131072";
    // Once: glibc may drop `GLIBC_TUNABLES` from the environment it hands
    // on (a binary with file capabilities runs in secure mode), so its
    // absence alone would start platd again and again. (Not `PLATD_`:
    // those variables are configuration keys.)
    const STARTED_AGAIN: &str = "PLAT_ALLOCATOR_TUNED";
    if std::env::var_os("GLIBC_TUNABLES").is_some() || std::env::var_os(STARTED_AGAIN).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let mut args = std::env::args_os();
    let mut again = std::process::Command::new(exe);
    if let Some(arg0) = args.next() {
        again.arg0(arg0);
    }
    // `exec` returns only when it failed: platd then runs as it is.
    let _ = again.args(args).env("GLIBC_TUNABLES", GLIBC_TUNABLES).env(STARTED_AGAIN, "1").exec();
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

fn main() -> std::process::ExitCode {
    tune_allocator();
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve { config, listen, database_url, dev } => serve(config, listen, database_url, dev).await,
        Command::Migrate { config, database_url } => {
            async {
                let config = Config::load(config.as_deref(), &Overrides { database_url, ..Overrides::default() })?;
                let _ = init_logging(&config, false)?;
                open_store(&config).await?.close().await;
                eprintln!("migrations applied to {}", platd::redact_url(&config.database_url));
                Ok(())
            }
            .await
        }
        Command::Bootstrap { admin, password_stdin, config, database_url } => {
            async {
                let config = Config::load(config.as_deref(), &Overrides { database_url, ..Overrides::default() })?;
                let _ = init_logging(&config, false)?;
                let password = if password_stdin {
                    let mut text = String::new();
                    std::io::stdin().read_to_string(&mut text)?;
                    text.trim_end_matches(['\n', '\r']).to_owned()
                } else if std::io::stdin().is_terminal() {
                    rpassword_prompt()?
                } else {
                    anyhow::bail!("no terminal to ask for the password: pass --password-stdin");
                };
                let store = open_store(&config).await?;
                let state = AppState::new(config, store).await?;
                let user = platd::bootstrap(&state, &admin, &password).await?;
                eprintln!("bootstrapped: tenant system, platform admin {} ({})", user.username, user.id);
                state.store.close().await;
                Ok(())
            }
            .await
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Read a password from the terminal without echo (stty), asking twice.
fn rpassword_prompt() -> anyhow::Result<String> {
    let read = |prompt: &str| -> anyhow::Result<String> {
        eprint!("{prompt}");
        let _ = std::process::Command::new("stty").arg("-echo").status();
        let mut line = String::new();
        let result = std::io::stdin().read_line(&mut line);
        let _ = std::process::Command::new("stty").arg("echo").status();
        eprintln!();
        result?;
        Ok(line.trim_end_matches(['\n', '\r']).to_owned())
    };
    let first = read("admin password: ")?;
    if read("again: ")? != first {
        anyhow::bail!("the passwords differ");
    }
    Ok(first)
}
