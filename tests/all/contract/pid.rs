//! Contract of `pid`: delivers into a mailbox by id; sync waits for the ack, async does not.

use std::time::Duration;

use super::{assert_refused, common, runtime};
use jido_dispatch::Runtime;
use jido_dispatch::mailbox::Mailbox;
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Captured, sample_signal};
use serde_json::json;

/// Acknowledges every delivery until the mailbox has handed out `n`, then gives it back.
pub fn ack_n(mut mailbox: Mailbox, n: usize) -> tokio::task::JoinHandle<(Mailbox, Vec<String>)> {
    tokio::spawn(async move {
        let mut ids = Vec::new();
        while ids.len() < n {
            let delivery = mailbox.recv().await.expect("mailbox open");
            ids.push(delivery.ack().id);
        }
        (mailbox, ids)
    })
}

fn pid(id: &str) -> TargetSpec {
    TargetSpec::new("pid").with("target", json!(id))
}

pub async fn contract() {
    let captured = Captured::new();
    let runtime = runtime(&captured);
    let mailbox = runtime.mailbox();
    let id = mailbox.id();
    assert!(id.starts_with("pid-"), "{id}");
    let acker = ack_n(mailbox, 6);
    common(&runtime, pid(&id)).await;
    let (_mailbox, ids) = acker.await.expect("acker");
    assert_eq!(ids.len(), 6, "3 single deliveries and a batch of 3 were acknowledged");

    assert_refused(
        &runtime,
        "pid",
        &[
            (json!({}), "missing field `target`"),
            (json!({"target": ""}), "target: must not be empty"),
            (json!({"target": "pid-1", "timeout": 0}), "timeout: must be 1..=60000"),
            (json!({"target": "pid-1", "timeout": 60001}), "timeout: must be 1..=60000"),
            (json!({"target": "pid-1", "async": "yes"}), "async: expected a boolean"),
            (json!({"target": "pid-1", "await_ack": "yes"}), "await_ack"),
        ],
    )
    .await;
    errors(&runtime).await;
}

async fn errors(runtime: &Runtime) {
    let signal = sample_signal("user.created");

    // An id never handed out: not found; a closed mailbox: not alive. Both final.
    let never = runtime.open_target(&pid("pid-999999")).await.expect("opens");
    let err = runtime.dispatch(&signal, &never).await.expect_err("unknown id");
    assert_eq!(err.code(), Some("process_not_found"), "{err}");
    assert!(!err.is_retryable());
    let closed = runtime.mailbox();
    let closed_target = runtime.open_target(&pid(&closed.id())).await.expect("opens");
    drop(closed);
    let err = runtime.dispatch(&signal, &closed_target).await.expect_err("closed");
    assert_eq!(err.code(), Some("process_not_alive"), "{err}");
    assert!(err.to_string().contains("not alive"), "{err}");

    // Sync: a receiver that never acks makes the delivery time out (retryable).
    let mut silent = runtime.mailbox();
    let target = runtime.open_target(&pid(&silent.id()).with("timeout", json!(50))).await.expect("opens");
    let err = runtime.dispatch(&signal, &target).await.expect_err("no ack");
    assert_eq!(err.code(), Some("timeout"), "{err}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains("within 50 ms"), "{err}");
    let unacked = silent.try_recv().expect("the signal did arrive");
    assert!(unacked.wants_ack());

    // A receiver that drops the signal without acknowledging: not alive, not a success.
    let mut dropper = runtime.mailbox();
    let target = runtime.open_target(&pid(&dropper.id())).await.expect("opens");
    let task = tokio::spawn(async move { drop(dropper.recv().await) });
    let err = runtime.dispatch(&signal, &target).await.expect_err("dropped");
    assert_eq!(err.code(), Some("process_not_alive"), "{err}");
    assert!(err.to_string().contains("without acknowledging"), "{err}");
    task.await.expect("dropper");

    // Async: returns once enqueued, nothing to ack; a full mailbox is a clear, retryable error.
    let mut inbox = runtime.mailbox();
    let target = runtime.open_target(&pid(&inbox.id()).with("async", json!(true))).await.expect("opens");
    for _ in 0..jido_dispatch::mailbox::DEFAULT_CAPACITY {
        target.deliver(&signal).await.expect("room in the mailbox");
    }
    let err = target.deliver(&signal).await.expect_err("full");
    assert_eq!(err.code(), Some("mailbox_full"), "{err}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains("is full"), "{err}");
    let first = inbox.recv().await.expect("queued");
    assert!(!first.wants_ack(), "async deliveries carry no ack");
    assert_eq!(first.signal().id, signal.id);
    assert!(tokio::time::timeout(Duration::from_secs(5), inbox.recv()).await.is_ok());

    // The adapter's own option says the same without the host key, and wins over the
    // profile's `async` default when both are given.
    let mut inbox = runtime.mailbox();
    let no_ack = pid(&inbox.id()).with("await_ack", json!(false));
    let target = runtime.open_target(&no_ack).await.expect("opens");
    target.deliver(&signal).await.expect("enqueued without an ack");
    assert!(!inbox.recv().await.expect("queued").wants_ack());
    let both =
        pid(&inbox.id()).with("async", json!(true)).with("await_ack", json!(true)).with("timeout", json!(50));
    let target = runtime.open_target(&both).await.expect("opens");
    let err = target.deliver(&signal).await.expect_err("waits for an ack nobody gives");
    assert_eq!(err.code(), Some("timeout"), "{err}");
    assert!(inbox.recv().await.expect("queued").wants_ack());
}
