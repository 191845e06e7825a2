//! Command-line interface: argument parsing and the subcommands.

mod adapters;
mod check;
mod config;
mod conformance;
mod dispatch;
mod dlq;
mod jobs;
mod publish;
mod scaffold;
mod serve;
mod transform_test;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A signal dispatcher whose delivery adapters are sandboxed WebAssembly components.
#[derive(Debug, Parser)]
#[command(name = "jido-dispatch", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the daemon: signals in over HTTP, delivered durably to the configured targets.
    Serve(serve::Args),
    /// Send signals to a running daemon.
    Publish(publish::Args),
    /// Validate a daemon configuration.
    #[command(subcommand)]
    Config(config::Command),
    /// Deliver one signal to one or more targets and report each outcome.
    Dispatch(dispatch::Args),
    /// List the built-in adapters and their options.
    Adapters,
    /// Work with adapter components.
    #[command(subcommand)]
    Adapter(AdapterCommand),
    /// Inspect, redrive and purge the dead letters of a SQLite store.
    #[command(subcommand)]
    Dlq(dlq::Command),
    /// Deliver retained signals (filtered by type, source, bus and time) to one target, as
    /// a job of a running daemon; shows its progress and a summary.
    Replay(jobs::Replay),
    /// Look after a running daemon's jobs (bulk redrive, replay).
    #[command(subcommand)]
    Jobs(jobs::Command),
    /// Work with transform components (the dispatch-view-transform and dispatch-transform
    /// worlds).
    #[command(subcommand)]
    Transform(TransformCommand),
}

#[derive(Debug, Subcommand)]
enum TransformCommand {
    /// Run the conformance kit against a transform: world, options, open, transforms of
    /// small, large and binary signals, purity; exit 1 when a check fails.
    Test(transform_test::Args),
}

#[derive(Debug, Subcommand)]
enum AdapterCommand {
    /// Check that a component implements the dispatch-adapter world; list its imports and
    /// the grants they need.
    Check(check::Args),
    /// Run the conformance kit against a component: world, options, deliveries of small,
    /// large and binary signals, batches, health; exit 1 when a check fails.
    Test(conformance::Args),
    /// Make a new adapter project: source on the guest SDK, a build script that installs
    /// its toolchain, a test script running the conformance kit, a README and the WIT.
    New(scaffold::Args),
}

/// Runs the CLI; errors are printed as one line on stderr with a non-zero exit.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let result = match cli.command {
        Command::Serve(args) => tokio_main(serve::run(args)),
        Command::Publish(args) => tokio_main(publish::run(args)),
        Command::Config(command) => tokio_main(config::run(command)),
        Command::Dispatch(args) => tokio_main(dispatch::run(args)),
        Command::Adapters => adapters::run(),
        Command::Adapter(AdapterCommand::Check(args)) => check::run(args),
        Command::Adapter(AdapterCommand::Test(args)) => tokio_main(conformance::run(args)),
        Command::Adapter(AdapterCommand::New(args)) => scaffold::run(args),
        Command::Dlq(command) => tokio_main(dlq::run(command)),
        Command::Replay(args) => tokio_main(jobs::replay(args)),
        Command::Jobs(command) => tokio_main(jobs::run(command)),
        Command::Transform(TransformCommand::Test(args)) => tokio_main(transform_test::run(args)),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            report(&error);
            ExitCode::from(2)
        }
    }
}

fn tokio_main<F: Future<Output = anyhow::Result<ExitCode>>>(f: F) -> anyhow::Result<ExitCode> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(f)
}

#[expect(clippy::print_stderr, reason = "the CLI reports errors on stderr")]
fn report(error: &anyhow::Error) {
    eprintln!("error: {error:#}");
}

/// Logs to stderr; `RUST_LOG` overrides the default `info` level.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,wasmtime=warn,cranelift=warn"));
    use std::io::IsTerminal as _;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}
