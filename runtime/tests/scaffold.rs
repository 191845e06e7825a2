//! `jido-dispatch adapter new`: for every language, the project it makes builds with its own
//! `build.sh` and passes the conformance kit with its own `test.sh`, driven through the real
//! binary. Building needs the languages' toolchains, so those run with the examples
//! (`JIDO_EXAMPLES=1`, set by `tests/run`); the JavaScript, Python and WAT projects reuse the
//! examples' toolchain folders (`TOOLS`) instead of installing their own copy.

#![expect(clippy::unwrap_used, reason = "a test may stop at the first error")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_jido-dispatch");

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn new_project(lang: &str, dir: &Path) -> Output {
    Command::new(BIN)
        .args(["adapter", "new", &format!("demo-{lang}"), "--lang", lang, "--dir"])
        .arg(dir)
        .output()
        .unwrap()
}

fn made_builds_and_passes_the_kit(lang: &str) {
    if std::env::var_os("JIDO_EXAMPLES").is_none() {
        #[expect(clippy::print_stderr, reason = "say why the test did nothing")]
        {
            eprintln!("skipping the {lang} scaffold: set JIDO_EXAMPLES=1 (tests/run does) to build it");
        }
        return;
    }
    let dir = scratch(&format!("scaffold-{lang}"));
    let made = new_project(lang, &dir);
    assert!(made.status.success() && text(&made).contains("./build.sh && ./test.sh"), "{}", text(&made));
    let mut build = Command::new("bash");
    build.arg(dir.join("build.sh"));
    if lang != "rust" {
        let tools =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../guest-examples").join(lang).join(".tools");
        build.env("TOOLS", tools);
    }
    let built = build.output().unwrap();
    assert!(built.status.success(), "{lang} build.sh:\n{}", text(&built));
    let tested = Command::new("bash").arg(dir.join("test.sh")).env("JIDO_DISPATCH", BIN).output().unwrap();
    let report = text(&tested);
    assert!(tested.status.success() && report.contains("all 9 checks passed"), "{lang} test.sh:\n{report}");
}

#[test]
fn a_rust_project_builds_and_passes_the_kit() {
    made_builds_and_passes_the_kit("rust");
}

#[test]
fn a_javascript_project_builds_and_passes_the_kit() {
    made_builds_and_passes_the_kit("javascript");
}

#[test]
fn a_python_project_builds_and_passes_the_kit() {
    made_builds_and_passes_the_kit("python");
}

#[test]
fn a_wat_project_builds_and_passes_the_kit() {
    made_builds_and_passes_the_kit("wat");
}

#[test]
fn bad_names_unknown_languages_and_used_folders_are_refused() {
    let dir = scratch("scaffold-refused");
    let bad = Command::new(BIN)
        .args(["adapter", "new", "Bad_Name", "--lang", "rust", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!bad.status.success() && text(&bad).contains("is not an adapter name"), "{}", text(&bad));
    let go = Command::new(BIN).args(["adapter", "new", "x", "--lang", "go"]).output().unwrap();
    assert!(
        !go.status.success() && text(&go).contains("possible values: rust, javascript, python, wat"),
        "{}",
        text(&go)
    );
    assert!(new_project("wat", &dir).status.success());
    assert!(dir.join("wit/adapter.wit").is_file() && dir.join("adapter.wat").is_file());
    let again = new_project("wat", &dir);
    assert!(
        !again.status.success() && text(&again).contains("already exists and is not empty"),
        "{}",
        text(&again)
    );
}
