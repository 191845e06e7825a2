//! The `channel` import's context on its own, without a guest: grants, the bus-hop guard and
//! a runtime that is gone, against a real runtime's mailboxes, pubsub and buses.

use std::collections::BTreeSet;

use super::{ChannelCtx, ChannelGrants, Grant};
use crate::Runtime;
use crate::adapter::MAX_BUS_HOPS;
use crate::host::bindings::channel::{Address, Error};
use crate::host::convert::signal_to_wit;
use crate::signal::Signal;

fn signal() -> crate::host::bindings::types::Signal {
    signal_to_wit(&Signal::builder("order.created", "/test").build().expect("signal"))
}

fn only(names: &[&str]) -> Grant {
    Grant::Only(names.iter().map(|n| (*n).to_owned()).collect::<BTreeSet<_>>())
}

fn ctx(runtime: &Runtime, grants: ChannelGrants) -> ChannelCtx {
    ChannelCtx { backend: Some(runtime.channel_backend()), grants }
}

#[tokio::test]
async fn a_granted_mailbox_receives_and_an_ungranted_one_is_denied_before_the_runtime_is_asked() {
    let runtime = Runtime::builder().build().expect("runtime");
    let mut billing = runtime.register_mailbox("billing").expect("mailbox");
    let _audit = runtime.register_mailbox("audit").expect("mailbox");
    let ctx = ctx(&runtime, ChannelGrants { mailboxes: only(&["billing"]), ..ChannelGrants::default() });
    ctx.send("tenant", Address::Named("billing".into()), signal(), false, 1000).await.expect("sent");
    let delivery = billing.try_recv().expect("the signal is in the mailbox");
    assert_eq!(delivery.signal().ty, "order.created");
    let refused = ctx.send("tenant", Address::Named("audit".into()), signal(), false, 1000).await;
    match refused {
        Err(Error::Denied(message)) => {
            assert!(message.contains("adapter `tenant` holds no grant for mailbox `audit`"), "{message}")
        }
        other => panic!("expected a denial, got {other:?}"),
    }
    let missing = ctx.send("tenant", Address::Named("billing-2".into()), signal(), false, 1000).await;
    assert!(matches!(missing, Err(Error::Denied(_))), "not granted either: {missing:?}");
}

#[tokio::test]
async fn topics_and_buses_need_their_own_grants_and_the_hop_guard_holds() {
    let runtime = Runtime::builder().build().expect("runtime");
    let mut news = runtime.pubsub("default").subscribe("news");
    let ctx = ctx(
        &runtime,
        ChannelGrants { topics: only(&["news"]), buses: only(&["audit"]), mailboxes: Grant::Nothing },
    );
    ctx.publish("tenant", None, "news".into(), signal(), true).await.expect("published");
    assert!(news.try_recv().is_some(), "the subscriber got it");
    assert!(matches!(
        ctx.publish("tenant", None, "sports".into(), signal(), true).await,
        Err(Error::Denied(_))
    ));
    assert!(matches!(ctx.publish_bus("tenant", "other".into(), signal(), 0).await, Err(Error::Denied(_))));
    let looped = ctx.publish_bus("tenant", "audit".into(), signal(), MAX_BUS_HOPS).await;
    assert!(matches!(looped, Err(Error::TooManyHops(hops)) if hops == MAX_BUS_HOPS), "{looped:?}");
}

#[tokio::test]
async fn once_the_runtime_is_gone_a_granted_call_is_unavailable() {
    let runtime = Runtime::builder().build().expect("runtime");
    let ctx = ctx(&runtime, ChannelGrants::everything());
    drop(runtime);
    let answer = ctx.send("tenant", Address::Pid("pid-1".into()), signal(), false, 1000).await;
    assert!(matches!(answer, Err(Error::Unavailable(_))), "{answer:?}");
}
