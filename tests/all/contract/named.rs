//! Contract of `named`: local names, `{ global = … }` and `{ via = [registry, key] }`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::pid::ack_n;
use super::{assert_refused, common, runtime};
use jido_dispatch::mailbox::MailboxError;
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Captured, sample_signal};
use serde_json::json;

fn named(name: serde_json::Value) -> TargetSpec {
    TargetSpec::new("named").with("name", name)
}

pub async fn contract() {
    let captured = Captured::new();
    let runtime = runtime(&captured);
    let mailbox = runtime.register_mailbox("user_handler").expect("free name");
    let acker = ack_n(mailbox, 6);
    common(&runtime, named(json!("user_handler"))).await;
    let (handler, _) = acker.await.expect("acker");

    // A name is held by one live mailbox at a time, and freed when it closes.
    let taken = runtime.register_mailbox("user_handler").expect_err("taken");
    assert_eq!(taken, MailboxError::NameTaken("user_handler".into()));
    drop(handler);
    let again = runtime.register_mailbox("user_handler").expect("freed on close");

    let signal = sample_signal("user.created");
    // Global names work on a node without a cluster too.
    let global = runtime.register_global("audit").await.expect("free name");
    let acker = ack_n(global, 1);
    let target = runtime.open_target(&named(json!({"global": "audit"}))).await.expect("opens");
    runtime.dispatch(&signal, &target).await.expect("acknowledged");
    assert_eq!(acker.await.expect("acker").1, vec![signal.id.clone()]);

    // Via: the embedder's registry resolves the key to a mailbox id.
    let table: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let lookup = table.clone();
    runtime.register_registry("handlers", move |key: &str| {
        lookup.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(key).cloned()
    });
    let inbox = runtime.mailbox();
    table.lock().expect("lock").insert("billing".into(), inbox.id());
    let acker = ack_n(inbox, 1);
    let via = runtime.open_target(&named(json!({"via": ["handlers", "billing"]}))).await.expect("opens");
    runtime.dispatch(&signal, &via).await.expect("acknowledged");
    assert_eq!(acker.await.expect("acker").1.len(), 1);

    for (name, message) in [
        (json!("nobody"), "no process registered under the name `nobody`"),
        (json!({"global": "nobody"}), "global name `nobody`"),
        (json!({"via": ["handlers", "shipping"]}), "registry `handlers` has no process under `shipping`"),
        (json!({"via": ["nowhere", "x"]}), "no registry named `nowhere`"),
    ] {
        let target = runtime.open_target(&named(name.clone())).await.expect("opens");
        let err = runtime.dispatch(&signal, &target).await.expect_err("not found");
        assert_eq!(err.code(), Some("process_not_found"), "{name}: {err}");
        assert!(err.to_string().contains(message), "{name}: {err}");
        assert!(!err.is_retryable());
    }
    drop(again);

    assert_refused(
        &runtime,
        "named",
        &[
            (json!({}), "missing field `name`"),
            (json!({"name": ""}), "name: must not be empty"),
            (json!({"name": 7}), "name: expected \"name\""),
            (json!({"name": {"global": ""}}), "name.global: must not be empty"),
            (json!({"name": {"via": ["only-one"]}}), "name.via: expected [\"registry\", \"key\"]"),
            (json!({"name": {"local": "x"}}), "name: expected"),
            (json!({"name": "x", "timeout": 0}), "timeout: must be 1..=60000"),
        ],
    )
    .await;
}
