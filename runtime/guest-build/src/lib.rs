//! Build-script helper that compiles guest adapter crates into WebAssembly components.
//!
//! Used by `runtime/build.rs` (the built-in adapters of `adapters/`) and `tests/build.rs`
//! (the test-only guests of `tests/guests/`). Every guest of one call is compiled by a
//! single nested `cargo build --target wasm32-wasip2 --profile guest`, into a target
//! directory of its own (`target/guests`) so the host's builds never wait on it and a
//! `cargo clippy` does not rebuild the guests. The result is a generated Rust file that
//! embeds every component and defines a `for_each_*!` macro over their names, so a test
//! module can demand one test per guest at compile time.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Rust target guests are compiled for.
pub const GUEST_TARGET: &str = "wasm32-wasip2";

/// A guest crate found on disk.
#[derive(Debug, Clone)]
pub struct Guest {
    /// Short name (the crate's directory name), e.g. `noop`.
    pub name: String,
    /// Cargo package name, e.g. `jido-adapter-noop`.
    pub package: String,
    /// The crate's directory.
    pub dir: PathBuf,
}

/// Finds the guest crates directly below `dir`: every sub-directory holding a
/// `Cargo.toml`, except those named in `skip`. Sorted by name.
pub fn discover(dir: &Path, skip: &[&str]) -> Vec<Guest> {
    let mut guests = Vec::new();
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read guest directory {}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let manifest = path.join("Cargo.toml");
        if skip.contains(&name.as_str()) || !manifest.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&manifest)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", manifest.display()));
        let package =
            package_name(&text).unwrap_or_else(|| panic!("no `name = ...` in {}", manifest.display()));
        guests.push(Guest { name, package, dir: path });
    }
    guests.sort_by(|a, b| a.name.cmp(&b.name));
    guests
}

/// Reads `name = "..."` from the `[package]` table of a manifest.
fn package_name(manifest: &str) -> Option<String> {
    let package = manifest.split("[package]").nth(1)?;
    package.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("name")?.trim_start().strip_prefix('=')?;
        Some(rest.trim().trim_matches('"').to_owned())
    })
}

/// Compiles `guests` (one nested cargo call) and writes `OUT_DIR/<module>.rs` with:
/// - `pub const <MODULE>: &[(&str, &[u8], &str, &str)]`: each guest's name, component
///   bytes, README and `profile.toml` (each text empty when the crate has none);
/// - `macro_rules! for_each_<module>`: calls `$m!(name)` once per guest.
///
/// `workspace` is the workspace root. Panics (failing the build) with a message that
/// names the fix when the `wasm32-wasip2` target is not installed.
pub fn build_and_embed(workspace: &Path, guests: &[Guest], module: &str) {
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo"));
    let target_dir = workspace.join("target").join("guests");
    ensure_target_installed();

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args(["build", "--profile", "guest", "--target", GUEST_TARGET])
        .arg("--target-dir")
        .arg(&target_dir);
    for guest in guests {
        cmd.args(["-p", &guest.package]);
    }
    // The host build's flags and wrappers (clippy, coverage, sanitizers) must not leak
    // into the guest build: they would fail on wasm32 or force needless rebuilds.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_PROFILE_RELEASE_DEBUG",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status().unwrap_or_else(|e| panic!("failed to run cargo for the guest components: {e}"));
    assert!(status.success(), "building the guest components failed (see the errors above)");

    let wasm_dir = target_dir.join(GUEST_TARGET).join("guest");
    let mut code = String::new();
    let upper = module.to_uppercase();
    let _ = writeln!(code, "/// Every {module} component: (name, component bytes, README, profile).");
    let _ = writeln!(code, "pub const {upper}: &[(&str, &[u8], &str, &str)] = &[");
    for guest in guests {
        let file = format!("{}.wasm", guest.package.replace('-', "_"));
        let built = wasm_dir.join(&file);
        let embedded = out_dir.join(&file);
        std::fs::copy(&built, &embedded)
            .unwrap_or_else(|e| panic!("guest {} was not built at {}: {e}", guest.name, built.display()));
        let readme = include_text(&guest.dir.join("README.md"));
        let profile = include_text(&guest.dir.join("profile.toml"));
        let _ = writeln!(
            code,
            "    ({:?}, include_bytes!({:?}), {readme}, {profile}),",
            guest.name,
            embedded.display().to_string()
        );
    }
    let _ = writeln!(code, "];");
    let _ = writeln!(code, "/// Calls `$m!(name)` once for every {module} component.");
    let _ = writeln!(code, "#[macro_export]");
    let _ = writeln!(code, "macro_rules! for_each_{module} {{");
    let _ = writeln!(code, "    ($m:ident) => {{");
    for guest in guests {
        let _ = writeln!(code, "        $m!({});", guest.name.replace('-', "_"));
    }
    let _ = writeln!(code, "    }};\n}}");
    let generated = out_dir.join(format!("{module}.rs"));
    std::fs::write(&generated, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", generated.display()));
}

/// `include_str!("path")`, or `""` when there is no such file.
fn include_text(path: &Path) -> String {
    if path.is_file() { format!("include_str!({:?})", path.display().to_string()) } else { "\"\"".to_owned() }
}

/// Fails the build with the fix spelled out when the wasm32-wasip2 standard library is
/// not installed for the active toolchain.
fn ensure_target_installed() {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let installed = sysroot.map(|root| root.join("lib/rustlib").join(GUEST_TARGET).is_dir()).unwrap_or(true);
    assert!(
        installed,
        "the `{GUEST_TARGET}` Rust target is not installed, so the adapter components cannot be \
         built. Fix: run `rustup target add {GUEST_TARGET}` (or build the runtime with \
         `--no-default-features` to embed no built-in adapters)."
    );
}

/// Prints the `rerun-if-changed` lines for the given paths.
#[expect(clippy::print_stdout, reason = "build scripts talk to cargo on stdout")]
pub fn rerun_if_changed(paths: &[PathBuf]) {
    for path in paths {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}
