//! Builds the built-in adapter components of `adapters/` (feature `builtin-adapters`), each
//! of which must have a `README.md`.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=CARGO_FEATURE_BUILTIN_ADAPTERS");
    if std::env::var_os("CARGO_FEATURE_BUILTIN_ADAPTERS").is_none() {
        return;
    }
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest.parent().expect("runtime/ sits in the workspace").to_path_buf();
    let adapters = workspace.join("adapters");
    jido_guest_build::rerun_if_changed(&[adapters.clone(), workspace.join("wit")]);
    let guests = jido_guest_build::discover(&adapters, &["sdk"]);
    // A built-in's options and failure codes are documented beside its code.
    for guest in &guests {
        let readme = guest.dir.join("README.md");
        assert!(
            readme.is_file(),
            "built-in adapter `{}` has no {}: document its options and failure codes there",
            guest.name,
            readme.display()
        );
    }
    jido_guest_build::build_and_embed(&workspace, &guests, "builtin_adapters");
}
