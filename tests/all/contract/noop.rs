//! Contract of `noop`: only an ignored `label` option, accepts everything.

use super::{common, runtime};
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::Captured;

pub async fn contract() {
    let captured = Captured::new();
    let runtime = runtime(&captured);
    common(&runtime, TargetSpec::new("noop")).await;
    let err = runtime
        .open_target(&TargetSpec::new("noop").with("format", "json".into()))
        .await
        .expect_err("no options");
    assert!(err.to_string().contains("unknown field `format`"), "{err}");
    assert_eq!(captured.stdout_text(), "", "noop writes nothing");
    let labelled =
        runtime.open_target(&TargetSpec::new("noop").with("label", "a".into())).await.expect("label ok");
    assert_eq!(labelled.normalised_options(), r#"{"label":"a"}"#);
    let plain = runtime.open_target(&TargetSpec::new("noop")).await.expect("ok");
    assert_ne!(labelled.identity(), plain.identity(), "a label makes a distinct target");
}
