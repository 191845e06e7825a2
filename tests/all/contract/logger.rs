//! Contract of `logger`: template, level and metadata reach the host's `tracing`.

use std::sync::{Arc, Mutex};

use super::{common, runtime};
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Captured, sample_signal};
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;

/// A `tracing` writer that keeps everything in memory.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Buffer {
        self.clone()
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
            .into_owned()
    }
}

pub async fn contract() {
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(buffer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .finish();
    // The test runs on a current-thread runtime, so guest calls (and their log imports)
    // happen on this thread and see this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);

    let runtime = runtime(&Captured::new());
    common(&runtime, TargetSpec::new("logger")).await;
    let signal = sample_signal("user.created");

    let spec = TargetSpec::new("logger")
        .with("level", json!("warn"))
        .with("format", json!("User event: $type from $source"));
    let target = runtime.open_target(&spec).await.expect("valid");
    runtime.dispatch(&signal, &target).await.expect("delivered");
    let line = buffer.text().lines().find(|l| l.contains("User event")).map(str::to_owned).expect("logged");
    assert!(line.contains(" WARN "), "{line}");
    assert!(line.contains("User event: user.created from /test"), "{line}");
    assert!(line.contains("adapter=\"logger\""), "{line}");

    let spec = TargetSpec::new("logger")
        .with("format", json!("[$id] $subject $time $data $$"))
        .with("metadata", json!(["subject", "name", "absent"]));
    let target = runtime.open_target(&spec).await.expect("valid");
    runtime.dispatch(&signal, &target).await.expect("delivered");
    let line = buffer.text().lines().find(|l| l.contains("[0001]")).map(str::to_owned).expect("logged");
    assert!(line.contains(r#"[0001] user-1 2026-01-02T03:04:05Z {"id":1,"name":"Ada"} $"#), "{line}");
    assert!(line.contains(r#"fields="subject=user-1 name=Ada""#), "{line}");

    let default = runtime.open_target(&TargetSpec::new("logger")).await.expect("valid");
    assert_eq!(
        default.normalised_options(),
        r#"{"level":"info","format":"Signal dispatched: $type from $source","metadata":[]}"#
    );
    let err = runtime
        .open_target(&TargetSpec::new("logger").with("level", json!("loud")))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("level: unknown variant `loud`"), "{err}");
    let err = runtime
        .open_target(&TargetSpec::new("logger").with("format", json!("$nope")))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("format: unknown placeholder $nope"), "{err}");
}
