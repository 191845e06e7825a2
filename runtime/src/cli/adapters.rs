//! `jido-dispatch adapters`: the built-in adapters and transforms, and their options.

use std::process::ExitCode;

use jido_dispatch::builtin;

/// Prints each built-in adapter's README, then each built-in transform's.
#[expect(clippy::print_stdout, reason = "the CLI prints its listing on stdout")]
pub fn run() -> anyhow::Result<ExitCode> {
    let all = builtin::all();
    if all.is_empty() {
        println!("no built-in adapters (built without the `builtin-adapters` feature)");
    }
    for builtin in all.into_iter().chain(builtin::transforms()) {
        println!("{}\n", builtin.readme.trim_end());
    }
    Ok(ExitCode::SUCCESS)
}
