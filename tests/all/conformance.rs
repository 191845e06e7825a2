//! The conformance kit: every built-in adapter passes it, and each broken guest fails the
//! check that names its defect.

use jido_dispatch::Runtime;
use jido_dispatch::conformance::{Report, run};
use jido_dispatch_tests::{builder, guest};

fn runtime() -> Runtime {
    builder(crate::CACHE_ROOT).build().expect("runtime")
}

fn failed(report: &Report) -> Vec<(String, String)> {
    report.checks.iter().filter(|c| !c.passed).map(|c| (c.name.clone(), c.detail.clone())).collect()
}

#[tokio::test]
async fn every_builtin_adapter_passes() {
    let options = [
        ("noop", "{}"),
        ("console", r#"{"format":"json"}"#),
        ("logger", "{}"),
        ("bus", r#"{"bus":"nowhere"}"#),
        ("http", r#"{"url":"http://127.0.0.1:9/"}"#),
        ("webhook", r#"{"url":"http://127.0.0.1:9/","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}"#),
        ("pid", r#"{"target":"pid-1"}"#),
        ("named", r#"{"name":"nobody"}"#),
        ("pubsub", r#"{"topic":"t"}"#),
    ];
    let all: Vec<&str> = jido_dispatch::builtin::all().iter().map(|b| b.name).collect();
    assert_eq!(all.len(), options.len(), "every built-in has options here: {all:?}");
    for (name, opts) in options {
        let bytes = jido_dispatch::builtin::get(name).expect("built in").component;
        let report = run(&runtime(), bytes, opts, false).await;
        assert!(report.passed(), "{name}:\n{report}");
        assert_eq!(report.checks.len(), 9, "{name}: every check ran:\n{report}");
        // The SDK builds every built-in against the view world, and the kit names it.
        assert_eq!(report.checks[0].detail, "implements jido:dispatch/dispatch-view-adapter@0.1.0");
    }
}

#[tokio::test]
async fn broken_guests_fail_the_check_that_names_their_defect() {
    let cases = [
        (r#"{}"#, vec![("rejects non-JSON", "accepted `{not json`")]),
        (
            r#"{"flaw":"batch"}"#,
            vec![("rejects non-JSON", ""), ("deliver-batch", "returned 0 results for 3 signals")],
        ),
        (
            r#"{"flaw":"binary"}"#,
            vec![("rejects non-JSON", ""), ("deliver binary", "trapped"), ("deliver-batch", "trapped")],
        ),
        (r#"{"flaw":"health"}"#, vec![("rejects non-JSON", ""), ("health-check", "trapped")]),
        (
            r#"{"flaw":"memory"}"#,
            vec![
                ("rejects non-JSON", ""),
                ("deliver large", "memory limit"),
                ("deliver-batch", "memory limit"),
            ],
        ),
    ];
    for (opts, expected) in cases {
        let report = run(&runtime(), guest("broken"), opts, false).await;
        let failures = failed(&report);
        assert_eq!(failures.len(), expected.len(), "{opts}:\n{report}");
        for ((name, detail), (want_name, want_detail)) in failures.iter().zip(&expected) {
            assert_eq!(name, want_name, "{opts}:\n{report}");
            assert!(detail.contains(want_detail), "{opts}: {name}: {detail}");
        }
    }
    let report = run(&runtime(), guest("other-world"), "{}", false).await;
    assert_eq!(failed(&report), [("world".to_owned(), report.checks[0].detail.clone())]);
    assert!(report.checks[0].detail.contains("does not export `jido:dispatch/adapter@0.1.0`"));
    assert!(report.to_string().ends_with("1 of 1 checks failed"), "{report}");
}

#[tokio::test]
async fn the_transform_kit_passes_the_builtins_and_the_examples_and_names_broken_ones() {
    use jido_dispatch::conformance::transform;
    let template = r#"{"template":{"text":"$type"}}"#;
    let builtin = |name: &str| {
        jido_dispatch::builtin::transforms().into_iter().find(|t| t.name == name).expect("built in").component
    };
    let good = [
        ("template", builtin("template"), template),
        ("select", builtin("select"), r#"{"keep":["data.n"]}"#),
        ("probe", guest("transform-probe"), "{}"),
        ("slack example", guest("rust-slack-transform"), r##"{"channel":"#ops"}"##),
    ];
    for (name, bytes, opts) in good {
        let report = transform::run(&runtime(), bytes, opts, false).await;
        assert!(report.passed(), "{name}:\n{report}");
        assert_eq!(report.checks.len(), 8, "{name}: every check ran:\n{report}");
        // The Rust SDK builds transforms that read signals through a view.
        assert!(report.checks[0].detail.ends_with("dispatch-view-transform@0.1.0"), "{name}:\n{report}");
    }
    // An adapter is not a transform; a refused option is named.
    let adapter = jido_dispatch::builtin::get("noop").expect("built in").component;
    let report = transform::run(&runtime(), adapter, "{}", false).await;
    assert_eq!(failed(&report)[0].0, "world");
    assert!(failed(&report)[0].1.contains("does not export `jido:dispatch/transform@0.1.0`"), "{report}");
    let report = transform::run(&runtime(), builtin("template"), r#"{"template":"${x"}"#, false).await;
    assert_eq!(failed(&report)[0].0, "validate-opts", "{report}");
}
