//! `jido-dispatch dispatch`: one signal to one or more targets.

use std::process::ExitCode;

use anyhow::Context as _;
use std::sync::Arc;

use jido_dispatch::Runtime;
use jido_dispatch::dead_letter::SqliteStore;
use jido_dispatch::dispatch::DEFAULT_MAX_CONCURRENCY;
use jido_dispatch::host::http::IpNet;
use jido_dispatch::signal::Signal;
use jido_dispatch::target::TargetSpec;

/// Arguments of `dispatch`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The signal, as CloudEvents structured-mode JSON.
    #[arg(long)]
    signal: String,
    /// A target object, or a JSON array of targets, e.g. '{"adapter":"console"}'.
    #[arg(long)]
    target: String,
    /// A loopback, private or link-local network that http targets may reach, e.g.
    /// 127.0.0.0/8 (repeatable; none by default).
    #[arg(long = "allow-private", value_name = "CIDR")]
    allow_private: Vec<String>,
    /// The SQLite file final failures are recorded in (default: the user's data directory,
    /// see `jido-dispatch dlq`).
    #[arg(long)]
    store: Option<std::path::PathBuf>,
}

/// Validates everything first, then delivers; exit 1 when a delivery failed.
#[expect(clippy::print_stdout, reason = "the CLI reports outcomes on stdout")]
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let signal = Signal::from_json(&args.signal).context("invalid --signal")?;
    let specs = TargetSpec::list_from_json(&args.target).context("invalid --target")?;
    let networks = args
        .allow_private
        .iter()
        .map(|net| IpNet::parse(net))
        .collect::<Result<Vec<_>, _>>()
        .context("invalid --allow-private")?;
    let path = super::dlq::store_path(args.store.as_ref())?;
    let store =
        SqliteStore::open(&path).with_context(|| format!("cannot open the store {}", path.display()))?;
    let runtime = Runtime::builder().allow_private(networks).dead_letter_store(Arc::new(store)).build()?;
    let mut targets = Vec::with_capacity(specs.len());
    for spec in &specs {
        targets.push(runtime.open_target(spec).await?);
    }
    let outcomes = runtime.dispatch_each(&signal, &targets, DEFAULT_MAX_CONCURRENCY).await;
    // `async` targets are not waited for by the dispatch itself, but the process must not
    // exit before they finish (their failures go to the dead-letter store).
    runtime.wait_detached().await;
    let several = outcomes.len() > 1;
    let mut failed = false;
    for (index, (spec, outcome)) in specs.iter().zip(&outcomes).enumerate() {
        failed |= matches!(outcome, Some(Err(_)));
        match outcome {
            Some(Ok(())) if several => println!("target {index} ({}): delivered", spec.adapter),
            Some(Err(error)) if several => println!("target {index} ({}): failed: {error}", spec.adapter),
            Some(Err(error)) => anyhow::bail!("delivery to `{}` failed: {error}", spec.adapter),
            None => println!("target {index} ({}): started (async)", spec.adapter),
            Some(Ok(())) => {}
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
