//! `jido-dispatch adapters`: the built-in adapters and their options.

use std::process::ExitCode;

use jido_dispatch::builtin;

/// Prints each built-in adapter's README.
#[expect(clippy::print_stdout, reason = "the CLI prints its listing on stdout")]
pub fn run() -> anyhow::Result<ExitCode> {
    let all = builtin::all();
    if all.is_empty() {
        println!("no built-in adapters (built without the `builtin-adapters` feature)");
    }
    for adapter in all {
        println!("{}\n", adapter.readme.trim_end());
    }
    Ok(ExitCode::SUCCESS)
}
