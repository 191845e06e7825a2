//! Builds the test-only guest components of `tests/guests/`.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest.parent().expect("tests/ sits in the workspace").to_path_buf();
    let guests_dir = manifest.join("guests");
    jido_guest_build::rerun_if_changed(&[
        guests_dir.clone(),
        workspace.join("adapters/sdk"),
        workspace.join("wit"),
    ]);
    let guests = jido_guest_build::discover(&guests_dir, &[]);
    jido_guest_build::build_and_embed(&workspace, &guests, "test_guests");
}
