//! `jido-dispatch transform test FILE.wasm [--opts JSON]`: the conformance kit for
//! transforms.

use std::process::ExitCode;

use jido_dispatch::Runtime;

use super::conformance::Component;

/// Arguments of `transform test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    component: Component,
}

/// Prints the report; exit 0 when every check passed, 1 otherwise.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Args { component } = args;
    let bytes = component.read()?;
    let runtime = Runtime::builder().build()?;
    let report =
        jido_dispatch::conformance::transform::run(&runtime, &bytes, &component.opts, component.wasi_stubs)
            .await;
    Ok(component.report(&report))
}
