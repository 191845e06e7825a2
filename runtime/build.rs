//! Builds the built-in adapter components of `adapters/` and the built-in transforms of
//! `adapters/transforms/` (feature `builtin-adapters`), each
//! of which must have a `README.md` (its options and failure codes) and a `profile.toml`
//! (its host profile: stdio, call limit, instances, target defaults); each transform a
//! `README.md`.

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
    // A built-in's options, failure codes and host profile are declared beside its code.
    for guest in &guests {
        for (file, what) in [
            ("README.md", "document its options and failure codes there"),
            ("profile.toml", "declare its host profile there (an empty file takes the host's defaults)"),
        ] {
            let path = guest.dir.join(file);
            assert!(path.is_file(), "built-in adapter `{}` has no {}: {what}", guest.name, path.display());
        }
    }
    jido_guest_build::build_and_embed(&workspace, &guests, "builtin_adapters");
    // Transforms build in a cargo call of their own and embed as a list of their own.
    let transforms = jido_guest_build::discover(&adapters.join("transforms"), &[]);
    for guest in &transforms {
        let path = guest.dir.join("README.md");
        assert!(
            path.is_file(),
            "built-in transform `{}` has no {}: document its options there",
            guest.name,
            path.display()
        );
    }
    jido_guest_build::build_and_embed(&workspace, &transforms, "builtin_transforms");
}
