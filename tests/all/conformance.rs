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
