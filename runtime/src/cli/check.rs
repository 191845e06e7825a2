//! `jido-dispatch adapter check FILE.wasm`: does a component implement the world?

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use jido_dispatch::host::{AdapterConfig, AdapterHost, CompileCache, EngineSettings};

/// Arguments of `adapter check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The component file.
    file: PathBuf,
}

/// Prints the component's imports (with the grant each needs) and the verdict.
#[expect(clippy::print_stdout, reason = "the CLI prints its report on stdout")]
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let host = AdapterHost::new(&EngineSettings::default(), CompileCache::new(CompileCache::default_dir()))?;
    let (info, _) = host.inspect(&bytes).with_context(|| format!("{} is not usable", args.file.display()))?;
    println!("{}", args.file.display());
    println!("imports:");
    for import in &info.imports {
        let mark = match (
            import.offered,
            import.name.starts_with("wasi:filesystem/") || import.name.starts_with("wasi:sockets/"),
        ) {
            (true, _) => "ok",
            (false, true) => "GRANT ONLY",
            (false, false) => "NOT OFFERED",
        };
        println!("  {:<40} {:<12} grant: {}", import.name, mark, import.grant);
    }
    println!("exports:");
    for export in &info.exports {
        println!("  {export}");
    }
    let (adapter, _) = host
        .load("check", &bytes, AdapterConfig::default())
        .with_context(|| format!("{} is not a usable adapter", args.file.display()))?;
    let world = adapter.pool().world();
    println!("verdict: implements jido:dispatch/{world}@{}", jido_dispatch::host::WORLD_VERSION);
    Ok(ExitCode::SUCCESS)
}
