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
    /// Grant the (empty) filesystem, for toolchains that always import it (componentize-py).
    #[arg(long)]
    filesystem: bool,
    /// A loopback or private network the component's http requests may reach (repeatable).
    #[arg(long = "allow-private", value_name = "CIDR")]
    allow_private: Vec<String>,
}

/// Prints the report; exit 0 when every check passed, 1 otherwise.
#[expect(clippy::print_stdout, reason = "the CLI reports on stdout")]
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let networks = args.allow_private.iter().map(|n| IpNet::parse(n)).collect::<Result<Vec<_>, _>>()?;
    let runtime = Runtime::builder().allow_private(networks).build()?;
    let report = jido_dispatch::conformance::run(&runtime, &bytes, &args.opts, args.filesystem).await;
    println!("{}", args.file.display());
    println!("{report}");
    Ok(if report.passed() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
