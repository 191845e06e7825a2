//! `jido-dispatch transform test FILE.wasm [--opts JSON]`: the conformance kit for
//! transforms.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use jido_dispatch::Runtime;

/// Arguments of `transform test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The component.
    file: PathBuf,
    /// Transform options to test with (a JSON object, as `transform_options`).
    #[arg(long, default_value = "{}")]
    opts: String,
    /// Offer the WASI stubs (an empty filesystem, no network) that some toolchains import
    /// unconditionally (componentize-py, componentize-js).
    #[arg(long)]
    wasi_stubs: bool,
}

/// Prints the report; exit 0 when every check passed, 1 otherwise.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let runtime = Runtime::builder().build()?;
    let report =
        jido_dispatch::conformance::transform::run(&runtime, &bytes, &args.opts, args.wasi_stubs).await;
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout(), "{}\n{report}", args.file.display());
    Ok(if report.passed() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
