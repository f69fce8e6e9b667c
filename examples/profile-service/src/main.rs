//! The `profile-service` command line: open the database, bind, print the
//! address, serve [`profile_service::app`] until SIGTERM or SIGINT.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use profile_service::store::Store;
use profile_service::{AppState, Config, app};

#[derive(Parser)]
#[command(name = "profile-service", version, about = "Example user profile service fed by plat's signed webhooks")]
struct Cli {
    /// Address to listen on; port 0 picks a free port (the real address is printed).
    #[arg(long, env = "PROFILE_LISTEN", default_value = "127.0.0.1:9000")]
    listen: String,
    /// SQLite database file, created if missing.
    #[arg(long, env = "PROFILE_DATABASE", default_value = "profile.db")]
    database: PathBuf,
    /// The webhook target's secret, `whsec_...`; it also verifies plat's read-back requests.
    #[arg(long, env = "PROFILE_WEBHOOK_SECRET", hide_env_values = true)]
    secret: String,
    /// How far `webhook-timestamp` may be from now, in seconds (webhooks and read-back requests).
    #[arg(long, env = "PROFILE_TOLERANCE", default_value_t = 300)]
    tolerance: u32,
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            return ctrl_c.await.unwrap_or(());
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await.unwrap_or(());
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let webhook_key = plat_domain::delivery::parse_secret("--secret", &cli.secret)?;
    let store = Store::open(&cli.database)
        .await
        .with_context(|| format!("cannot open the database {}", cli.database.display()))?;
    let state = AppState::new(store.clone(), Config { webhook_key, tolerance_secs: i64::from(cli.tolerance) });
    let listener =
        tokio::net::TcpListener::bind(&cli.listen).await.with_context(|| format!("cannot listen on {}", cli.listen))?;
    let addr = listener.local_addr()?;
    // Tests and scripts wait for this line to learn the port. Nobody reading
    // it (a closed pipe) is no reason to stop serving, so errors are ignored.
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "listening on http://{addr}").and_then(|()| stdout.flush());
    tracing::info!(%addr, database = %cli.database.display(), "profile service is serving");
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown_signal()).await?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
