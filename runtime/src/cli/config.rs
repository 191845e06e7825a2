//! `jido-dispatch config check FILE`: parses a configuration, loads its adapters and
//! opens every target through its adapter's `validate-opts`.

use std::path::PathBuf;
use std::process::ExitCode;

use jido_dispatch::daemon::{self, Config};

/// `config` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Validate a configuration file without serving.
    Check {
        /// The TOML file.
        file: PathBuf,
    },
}

/// Runs a `config` command.
#[expect(clippy::print_stdout, reason = "the CLI reports on stdout")]
pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    let Command::Check { file } = command;
    let config = Config::load(&file)?;
    let (subscriptions, targets) = daemon::check(&config).await?;
    println!(
        "{}: ok ({subscriptions} subscription(s), {targets} target(s), {} custom adapter(s))",
        file.display(),
        config.adapters.len()
    );
    Ok(ExitCode::SUCCESS)
}
