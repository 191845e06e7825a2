//! `jido-dispatch adapter new NAME --lang rust|javascript|python|wat`: writes a ready adapter
//! project — source on the language's guest SDK, a `build.sh` that installs its toolchain
//! into the project on first use, a `test.sh` that runs the conformance kit, a README and
//! the WIT package — so that `./build.sh && ./test.sh` passes as made.
//!
//! Everything is embedded in the binary: the templates (`scaffold/`), the WIT package, each
//! language's SDK (the Rust SDK as a path crate `sdk/`, since it is not published), and the
//! JavaScript, Python and WAT examples' sources, which are the projects' starting code (so
//! the examples' tests also cover what `adapter new` writes).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};

/// Arguments of `adapter new`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The adapter's name (lower-case letters, digits and `-`, starting with a letter).
    name: String,
    /// The language to write it in.
    #[arg(long, value_enum)]
    lang: Language,
    /// Where to write it (default: a new folder NAME); must not exist or be empty.
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// The languages a project can be made in.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Language {
    Rust,
    Javascript,
    Python,
    Wat,
}

/// Every file of `wit/` (a test checks that none is missing).
const WIT: [(&str, &str); 9] = [
    ("wit/adapter.wit", include_str!("../../../wit/adapter.wit")),
    ("wit/channel.wit", include_str!("../../../wit/channel.wit")),
    ("wit/crypto.wit", include_str!("../../../wit/crypto.wit")),
    ("wit/http.wit", include_str!("../../../wit/http.wit")),
    ("wit/log.wit", include_str!("../../../wit/log.wit")),
    ("wit/package.wit", include_str!("../../../wit/package.wit")),
    ("wit/transform.wit", include_str!("../../../wit/transform.wit")),
    ("wit/types.wit", include_str!("../../../wit/types.wit")),
    ("wit/view.wit", include_str!("../../../wit/view.wit")),
];

const RUST_SDK: [(&str, &str); 10] = [
    ("sdk/src/lib.rs", include_str!("../../../adapters/sdk/src/lib.rs")),
    ("sdk/src/channel.rs", include_str!("../../../adapters/sdk/src/channel.rs")),
    ("sdk/src/http.rs", include_str!("../../../adapters/sdk/src/http.rs")),
    ("sdk/src/incoming.rs", include_str!("../../../adapters/sdk/src/incoming.rs")),
    ("sdk/src/json.rs", include_str!("../../../adapters/sdk/src/json.rs")),
    ("sdk/src/log.rs", include_str!("../../../adapters/sdk/src/log.rs")),
    ("sdk/src/options.rs", include_str!("../../../adapters/sdk/src/options.rs")),
    ("sdk/src/outcome.rs", include_str!("../../../adapters/sdk/src/outcome.rs")),
    ("sdk/src/path.rs", include_str!("../../../adapters/sdk/src/path.rs")),
    ("sdk/src/transform.rs", include_str!("../../../adapters/sdk/src/transform.rs")),
];

impl Language {
    /// The project's own files (besides the WIT, README, test script and .gitignore).
    fn files(self) -> Vec<(&'static str, String)> {
        let own = |path: &'static str, text: &str| (path, text.to_owned());
        match self {
            Language::Javascript => vec![
                // The example, importing the SDK from beside it instead of from the repository.
                own(
                    "adapter.js",
                    &include_str!("../../../guest-examples/javascript/adapter.js")
                        .replace("../../adapters/sdk/javascript/jido.js", "./jido.js")
                        .replace("(adapters/sdk/javascript/jido.js)", "(jido.js)"),
                ),
                own("build.sh", include_str!("scaffold/javascript/build.sh")),
                own("jido.js", include_str!("../../../adapters/sdk/javascript/jido.js")),
            ],
            Language::Python => vec![
                own("app.py", include_str!("../../../guest-examples/python/app.py")),
                own(
                    "adapter.py",
                    &include_str!("../../../guest-examples/python/adapter.py").replace(
                        "(adapters/sdk/python/jido_sdk.py, put on the path\nby `build.sh`)",
                        "(jido_sdk.py)",
                    ),
                ),
                own("build.sh", include_str!("scaffold/python/build.sh")),
                own("jido_sdk.py", include_str!("../../../adapters/sdk/python/jido_sdk.py")),
            ],
            Language::Wat => vec![
                own("adapter.wat", include_str!("../../../guest-examples/wat/adapter.wat")),
                own("build.sh", include_str!("scaffold/wat/build.sh")),
            ],
            Language::Rust => {
                let mut files = vec![
                    own("Cargo.toml", include_str!("scaffold/rust/Cargo.toml")),
                    own("src/lib.rs", include_str!("scaffold/rust/lib.rs")),
                    own("build.sh", include_str!("scaffold/rust/build.sh")),
                    own("sdk/Cargo.toml", include_str!("scaffold/rust/sdk.toml")),
                ];
                // The SDK finds the WIT package beside it, one level up instead of two.
                files.extend(
                    RUST_SDK.iter().map(|(path, text)| (*path, text.replace("\"../../wit\"", "\"../wit\""))),
                );
                files
            }
        }
    }

    fn title(self) -> &'static str {
        match self {
            Language::Rust => "Rust",
            Language::Javascript => "JavaScript",
            Language::Python => "Python",
            Language::Wat => "the WebAssembly text format",
        }
    }

    /// Whether the toolchain's output imports WASI it does not use (then it needs the stubs).
    fn needs_wasi_stubs(self) -> bool {
        matches!(self, Language::Javascript | Language::Python)
    }

    /// What the made adapter's options are, and options the test script passes.
    fn options(self) -> (&'static str, &'static str) {
        match self {
            Language::Wat => ("taking no options", "{}"),
            _ => (
                "at the level its `level` option names (`debug`, `info` (default), `warn`, `error`)",
                r#"{"level":"warn"}"#,
            ),
        }
    }

    fn notes(self) -> &'static str {
        match self {
            Language::Rust => {
                "`sdk/` is a copy of the Rust guest SDK (`jido-dispatch-sdk`): option parsing, \
                 failures, CloudEvents over the `http` import."
            }
            Language::Javascript => {
                "`jido.js` is the JavaScript guest SDK: options, failures, the batch default, \
                 CloudEvents over the `http` import (`sendSignal`), UTF-8 and base64 (QuickJS \
                 has no TextEncoder). componentize-js takes one file, so `build.sh` bundles it \
                 in front of `adapter.js`."
            }
            Language::Python => {
                "`jido_sdk.py` is the Python guest SDK: options, failures, the batch default, \
                 CloudEvents over the `http` import (`send_signal`). The component bundles \
                 CPython (about 18 MB)."
            }
            Language::Wat => {
                "`adapter.wat` implements the canonical ABI by hand (`cabi_realloc`, \
                 post-return functions, record layouts): the conformance kit is its only check."
            }
        }
    }
}

/// Writes the project and says what to run next.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let name = &args.name;
    let valid = name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        bail!(
            "{name:?} is not an adapter name: use lower-case letters, digits and `-`, starting with a letter"
        );
    }
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from(name));
    if dir.read_dir().is_ok_and(|mut entries| entries.next().is_some()) {
        bail!("{} already exists and is not empty", dir.display());
    }
    let lang = args.lang;
    let stubs = if lang.needs_wasi_stubs() { "--wasi-stubs " } else { "" };
    let grants = if lang.needs_wasi_stubs() { "\ngrants = { wasi_stubs = true }" } else { "" };
    let (options, opts) = lang.options();
    let fill = |text: &str| {
        text.replace("{{name}}", name)
            .replace("{{options}}", options)
            .replace("{{opts}}", opts)
            .replace("{{language}}", lang.title())
            .replace("{{stubs}}", stubs)
            .replace("{{grants}}", grants)
            .replace("{{notes}}", lang.notes())
    };
    let mut files: Vec<(&str, String)> = WIT.iter().map(|(path, text)| (*path, (*text).to_owned())).collect();
    files.push(("README.md", fill(include_str!("scaffold/README.md"))));
    files.push(("test.sh", fill(include_str!("scaffold/test.sh"))));
    files.push((".gitignore", include_str!("scaffold/gitignore").to_owned()));
    files.extend(lang.files().into_iter().map(|(path, text)| (path, fill(&text))));
    for (path, text) in &files {
        write(&dir.join(path), text)?;
    }
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stdout(),
        "made {} ({} adapter `{name}`, {} files); next: cd {} && ./build.sh && ./test.sh",
        dir.display(),
        lang.title(),
        files.len(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    if path.extension().is_some_and(|ext| ext == "sh") {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {} executable", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// Checks that `embedded` lists, as `prefix/NAME`, exactly the files of the repository
    /// folder `folder` (relative to the workspace root).
    fn lists_every_file(embedded: &[(&str, &str)], folder: &str, prefix: &str) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(folder);
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{folder} reads: {e}"))
            .map(|entry| format!("{prefix}/{}", entry.expect("entry").file_name().to_string_lossy()))
            .collect();
        files.sort();
        let mut listed: Vec<String> = embedded.iter().map(|(path, _)| (*path).to_owned()).collect();
        listed.sort();
        assert_eq!(listed, files);
    }

    #[test]
    fn a_new_project_gets_every_file_of_the_wit_package() {
        lists_every_file(&super::WIT, "wit", "wit");
    }

    #[test]
    fn a_new_rust_project_gets_every_source_file_of_the_sdk() {
        lists_every_file(&super::RUST_SDK, "adapters/sdk/src", "sdk/src");
    }
}
