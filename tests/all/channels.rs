//! The `channel` import for custom components: grants decide which mailboxes and topics a
//! component may reach; everything else is refused with `denied`.

use std::collections::BTreeSet;

use jido_dispatch::Runtime;
use jido_dispatch::host::{AdapterConfig, ChannelGrants, Grant};
use jido_dispatch::signal::Signal;
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{builder, guest};

fn only(names: &[&str]) -> Grant {
    Grant::Only(names.iter().map(|n| (*n).to_owned()).collect::<BTreeSet<_>>())
}

fn to(subject: &str) -> Signal {
    Signal::builder("send", "/t").subject(subject).build().expect("valid")
}

#[tokio::test]
async fn a_component_reaches_only_the_mailboxes_and_topics_it_was_granted() {
    let runtime: Runtime = builder(crate::CACHE_ROOT).build().expect("runtime");
    let granted =
        ChannelGrants { mailboxes: only(&["inbox"]), topics: only(&["news"]), ..ChannelGrants::default() };
    let config = AdapterConfig { channels: granted, ..AdapterConfig::default() };
    runtime.load_adapter("probe", guest("hostile"), config).await.expect("loads");
    runtime.load_adapter("ungranted", guest("hostile"), AdapterConfig::default()).await.expect("loads");
    let probe = runtime.open_target(&TargetSpec::new("probe")).await.expect("opens");
    let ungranted = runtime.open_target(&TargetSpec::new("ungranted")).await.expect("opens");

    let mut inbox = runtime.register_mailbox("inbox").expect("free");
    let _other = runtime.register_mailbox("other").expect("free");
    let anonymous = runtime.mailbox();
    let mut news = runtime.pubsub("default").subscribe("news");
    let mut sports = runtime.pubsub("default").subscribe("sports");

    // Granted: the named mailbox (sync: the probe waits for our ack) and the topic.
    let ack = tokio::spawn(async move { inbox.recv().await.expect("delivered").ack().id });
    let signal = to("named:inbox");
    runtime.dispatch(&signal, &probe).await.expect("granted mailbox");
    assert_eq!(ack.await.expect("acker"), signal.id);
    runtime.dispatch(&to("topic:news"), &probe).await.expect("granted topic");
    assert!(news.try_recv().is_some());

    // Not granted: other names, pids, global names and topics are refused with `denied`.
    let pid = format!("pid:{}", anonymous.id());
    for subject in ["named:other", pid.as_str(), "global:inbox", "topic:sports"] {
        let err = runtime.dispatch(&to(subject), &probe).await.expect_err("not granted");
        assert_eq!(err.code(), Some("denied"), "{subject}: {err}");
        assert!(err.to_string().contains("holds no grant for"), "{subject}: {err}");
    }
    assert!(sports.try_recv().is_none());
    // A component loaded with the default config reaches nothing.
    for subject in ["named:inbox", "topic:news"] {
        let err = runtime.dispatch(&to(subject), &ungranted).await.expect_err("no grants");
        assert_eq!(err.code(), Some("denied"), "{subject}: {err}");
        assert!(err.to_string().contains("adapter `ungranted` holds no grant"), "{err}");
    }
    assert!(news.try_recv().is_none(), "the refused broadcast reached nobody");
}

#[tokio::test]
async fn bus_subscriptions_deliver_into_mailboxes_in_order() {
    use jido_dispatch::bus::SubscribeOptions;
    let runtime: Runtime = builder(crate::CACHE_ROOT).build().expect("runtime");
    let mut mailbox = runtime.mailbox();
    let target = TargetSpec::new("pid").with("target", serde_json::json!(mailbox.id()));
    let bus = runtime.bus("default");
    bus.subscribe("user.*", vec![target], SubscribeOptions::default()).await.expect("subscribed");
    let signals: Vec<Signal> = (0..20)
        .map(|i| Signal::builder("user.created", "/t").subject(i.to_string()).build().expect("ok"))
        .collect();
    bus.publish(signals.clone()).await.expect("published");
    for expected in &signals {
        let delivery = mailbox.recv().await.expect("delivered");
        assert_eq!(delivery.ack().id, expected.id, "in publish order");
    }
}
