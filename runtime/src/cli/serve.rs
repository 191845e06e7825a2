//! `jido-dispatch serve`: the daemon, until SIGTERM or SIGINT (graceful: stop accepting,
//! drain until `shutdown_timeout`, keep the rest in the store).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use jido_dispatch::Runtime;
use jido_dispatch::daemon::{Config, Daemon};

/// Arguments of `serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The TOML configuration (default: the embedded defaults: loopback:4000, a SQLite
    /// store in the data directory, a console subscription for every signal).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Listen address, overriding `[server] listen` (e.g. 127.0.0.1:0 for any free port).
    #[arg(long)]
    listen: Option<String>,
}

/// Runs the daemon.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::embedded(),
    };
    if let Some(listen) = args.listen {
        config.server.listen = listen;
    }
    let daemon = Daemon::start(config, Runtime::builder()).await.context("cannot start")?;
    // The address line is for scripts and tests that start on port 0.
    tracing::info!("listening on http://{}", daemon.address());
    println_address(&daemon);
    wait_for_stop(&daemon).await?;
    tracing::info!("shutting down");
    daemon.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

#[expect(clippy::print_stdout, reason = "the bound address is reported on stdout")]
fn println_address(daemon: &Daemon) {
    use std::io::Write as _;
    println!("listening on http://{}", daemon.address());
    let _ = std::io::stdout().flush();
}

/// Waits for SIGTERM or SIGINT; SIGHUP reloads the custom adapters meanwhile.
async fn wait_for_stop(daemon: &Daemon) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    loop {
        tokio::select! {
            _ = term.recv() => return Ok(()),
            _ = int.recv() => return Ok(()),
            _ = hup.recv() => match daemon.reload().await {
                Ok(loaded) => tracing::info!(?loaded, "SIGHUP: custom adapters reloaded"),
                Err(e) => tracing::error!("SIGHUP: reload refused, the running adapters stay: {e}"),
            },
        }
    }
}
