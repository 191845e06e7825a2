//! Builds the test-only guest components of `tests/guests/` and the Rust examples of
//! `guest-examples/` (the Slack adapter and the Slack-message transform).

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest.parent().expect("tests/ sits in the workspace").to_path_buf();
    let guests_dir = manifest.join("guests");
    let examples_dir = workspace.join("guest-examples");
    jido_guest_build::rerun_if_changed(&[
        guests_dir.clone(),
        examples_dir.join("rust-slack"),
        examples_dir.join("rust-slack-transform"),
        workspace.join("adapters/sdk"),
        workspace.join("wit"),
    ]);
    // The Rust guest examples are built and embedded alongside the test guests.
    let mut guests = jido_guest_build::discover(&guests_dir, &[]);
    guests.extend(jido_guest_build::discover(&examples_dir, &[]));
    jido_guest_build::build_and_embed(&workspace, &guests, "test_guests");
}
