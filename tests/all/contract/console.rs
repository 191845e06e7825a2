//! Contract of `console`: the three formats, colours and the device option.

use super::{common, runtime};
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Captured, sample_signal};
use serde_json::json;

pub async fn contract() {
    common(&runtime(&Captured::new()), TargetSpec::new("console")).await;

    // json: exactly the host's structured-mode encoding, one line.
    let captured = Captured::new();
    let runtime = runtime(&captured);
    let signal = sample_signal("user.created");
    let json_target =
        runtime.open_target(&TargetSpec::new("console").with("format", json!("json"))).await.expect("valid");
    runtime.dispatch(&signal, &json_target).await.expect("delivered");
    assert_eq!(captured.stdout_text(), format!("{}\n", signal.to_json()));

    // compact without colours: one plain line.
    let captured = Captured::new();
    let runtime = super::runtime(&captured);
    let spec = TargetSpec::new("console").with("format", json!("compact")).with("colors", json!(false));
    let target = runtime.open_target(&spec).await.expect("valid");
    runtime.dispatch(&signal, &target).await.expect("delivered");
    assert_eq!(captured.stdout_text(), "2026-01-02T03:04:05Z user.created /test 0001\n");

    // pretty (the default) with colours: ANSI codes, every attribute, indented data.
    let captured = Captured::new();
    let runtime = super::runtime(&captured);
    let target = runtime.open_target(&TargetSpec::new("console")).await.expect("valid");
    runtime.dispatch(&signal, &target).await.expect("delivered");
    let out = captured.stdout_text();
    assert!(out.starts_with("\x1b[1;36muser.created\x1b[0m from /test\n"), "{out:?}");
    for needle in ["0001", "user-1", "2026-01-02T03:04:05Z", "\"name\": \"Ada\""] {
        assert!(out.contains(needle), "pretty output lacks {needle}: {out}");
    }

    // device = stderr writes nothing to stdout.
    let captured = Captured::new();
    let runtime = super::runtime(&captured);
    let spec = TargetSpec::new("console").with("device", json!("stderr")).with("format", json!("json"));
    let target = runtime.open_target(&spec).await.expect("valid");
    runtime.dispatch(&signal, &target).await.expect("delivered");
    assert_eq!(captured.stdout_text(), "");
    assert_eq!(captured.stderr_text(), format!("{}\n", signal.to_json()));

    // Bad values name the option.
    let err = runtime
        .open_target(&TargetSpec::new("console").with("format", json!("xml")))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("format: unknown variant `xml`"), "{err}");
    let err = runtime
        .open_target(&TargetSpec::new("console").with("device", json!("printer")))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("device: unknown variant `printer`"), "{err}");
    let err = runtime
        .open_target(&TargetSpec::new("console").with("colors", json!("yes")))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("colors: invalid type"), "{err}");
}
