//! `jido-dispatch adapter test FILE.wasm [--opts JSON]`: the conformance kit.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use jido_dispatch::Runtime;
use jido_dispatch::host::http::IpNet;

/// Arguments of `adapter test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The component.
    file: PathBuf,
    /// Target options to test with (a JSON object).
    #[arg(long, default_value = "{}")]
    opts: String,
    /// Offer the WASI stubs (an empty filesystem, no network) that some toolchains import
    /// unconditionally (componentize-py, componentize-js).
    #[arg(long)]
    wasi_stubs: bool,
    /// A loopback or private network the component's http requests may reach (repeatable).
    #[arg(long = "allow-private", value_name = "CIDR")]
    allow_private: Vec<String>,
}

/// Prints the report; exit 0 when every check passed, 1 otherwise.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let networks = args.allow_private.iter().map(|n| IpNet::parse(n)).collect::<Result<Vec<_>, _>>()?;
    let runtime = Runtime::builder().allow_private(networks).build()?;
    let report = jido_dispatch::conformance::run(&runtime, &bytes, &args.opts, args.wasi_stubs).await;
    // A closed stdout (e.g. `| head`) must not panic the tool: the exit code still tells.
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout(), "{}\n{report}", args.file.display());
    Ok(if report.passed() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
