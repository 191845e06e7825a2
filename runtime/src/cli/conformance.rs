//! `jido-dispatch adapter test FILE.wasm [--opts JSON]`: the conformance kit.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use jido_dispatch::Runtime;
use jido_dispatch::host::http::IpNet;

/// What both kits (`adapter test`, `transform test`) are run on.
#[derive(Debug, clap::Args)]
pub struct Component {
    /// The component.
    pub file: PathBuf,
    /// Options to test with (a JSON object: a target's options, or `transform_options`).
    #[arg(long, default_value = "{}")]
    pub opts: String,
    /// Offer the WASI stubs (an empty filesystem, no network) that some toolchains import
    /// unconditionally (componentize-py, componentize-js).
    #[arg(long)]
    pub wasi_stubs: bool,
}

impl Component {
    /// The component's bytes.
    pub fn read(&self) -> anyhow::Result<Vec<u8>> {
        std::fs::read(&self.file).with_context(|| format!("cannot read {}", self.file.display()))
    }

    /// Prints the report under the file's name; exit 0 when every check passed, 1 otherwise.
    pub fn report(&self, report: &jido_dispatch::conformance::Report) -> ExitCode {
        // A closed stdout (e.g. `| head`) must not panic the tool: the exit code still tells.
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), "{}\n{report}", self.file.display());
        if report.passed() { ExitCode::SUCCESS } else { ExitCode::from(1) }
    }
}

/// Arguments of `adapter test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    component: Component,
    /// A loopback or private network the component's http requests may reach (repeatable).
    #[arg(long = "allow-private", value_name = "CIDR")]
    allow_private: Vec<String>,
}

/// Prints the report; exit 0 when every check passed, 1 otherwise.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Args { component, allow_private } = args;
    let bytes = component.read()?;
    let networks = allow_private.iter().map(|n| IpNet::parse(n)).collect::<Result<Vec<_>, _>>()?;
    let runtime = Runtime::builder().allow_private(networks).build()?;
    let report =
        jido_dispatch::conformance::run(&runtime, &bytes, &component.opts, component.wasi_stubs).await;
    Ok(component.report(&report))
}
