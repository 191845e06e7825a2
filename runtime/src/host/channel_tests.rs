//! The `channel` import's context on its own, without a guest or a runtime: grants, the
//! bus-hop guard and a backend that is gone. The backend here is the real mailboxes and
//! pubsub of the layer below, joined as the runtime joins them; buses are recorded.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::{ChannelBackend, ChannelCtx, ChannelGrants, Grant};
use crate::adapter::{BoxFuture, MAX_BUS_HOPS};
use crate::host::bindings::channel::{Address, Error};
use crate::host::convert::signal_to_wit;
use crate::mailbox::{self, ChannelError, Mailboxes, Scope};
use crate::pubsub::PubSub;
use crate::signal::Signal;

/// Mailboxes and one pubsub instance; bus publishes are kept to be looked at.
#[derive(Default)]
struct Local {
    mailboxes: Arc<Mailboxes>,
    pubsub: PubSub,
    buses: Mutex<Vec<(String, u32)>>,
}

impl ChannelBackend for Local {
    fn publish_bus<'a>(
        &'a self,
        bus: &'a str,
        _: Signal,
        hops: u32,
    ) -> BoxFuture<'a, Result<(), ChannelError>> {
        self.buses.lock().unwrap_or_else(PoisonError::into_inner).push((bus.to_owned(), hops));
        Box::pin(async { Ok(()) })
    }

    fn send(
        &self,
        to: mailbox::Address,
        signal: Signal,
        sync: bool,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<(), ChannelError>> {
        Box::pin(async move {
            let id = match &to {
                mailbox::Address::Named(name) => self.mailboxes.lookup(Scope::Local, name)?,
                mailbox::Address::Pid(id) => self.mailboxes.parse_id(id)?,
                _ => return Err(ChannelError::NotFound("not in this test".to_owned())),
            };
            self.mailboxes.send(id, signal, sync, timeout).await
        })
    }

    fn publish<'a>(
        &'a self,
        _: &'a str,
        topic: &'a str,
        signal: Signal,
        _: bool,
    ) -> BoxFuture<'a, Result<(), ChannelError>> {
        let sent = self
            .pubsub
            .broadcast_local(topic, Arc::new(signal))
            .map_err(|e| ChannelError::Full(e.to_string()));
        Box::pin(async move { sent.map(|_| ()) })
    }
}

fn signal() -> crate::host::bindings::types::Signal {
    signal_to_wit(&Signal::builder("order.created", "/test").build().expect("signal"))
}

fn only(names: &[&str]) -> Grant {
    Grant::Only(names.iter().map(|n| (*n).to_owned()).collect::<BTreeSet<_>>())
}

fn ctx(backend: &Arc<Local>, grants: ChannelGrants) -> ChannelCtx {
    let backend: Arc<dyn ChannelBackend> = backend.clone();
    ChannelCtx { backend: Some(Arc::downgrade(&backend)), grants }
}

#[tokio::test]
async fn a_granted_mailbox_receives_and_an_ungranted_one_is_denied_before_the_backend_is_asked() {
    let backend = Arc::new(Local::default());
    let mut billing = backend.mailboxes.open(Some((Scope::Local, "billing".to_owned())), 8).expect("mailbox");
    let mut audit = backend.mailboxes.open(Some((Scope::Local, "audit".to_owned())), 8).expect("mailbox");
    let ctx = ctx(&backend, ChannelGrants { mailboxes: only(&["billing"]), ..ChannelGrants::default() });
    ctx.send("tenant", Address::Named("billing".into()), signal(), false, 1000).await.expect("sent");
    let delivery = billing.try_recv().expect("the signal is in the mailbox");
    assert_eq!(delivery.signal().ty, "order.created");
    match ctx.send("tenant", Address::Named("audit".into()), signal(), false, 1000).await {
        Err(Error::Denied(message)) => {
            assert!(message.contains("adapter `tenant` holds no grant for mailbox `audit`"), "{message}")
        }
        other => panic!("expected a denial, got {other:?}"),
    }
    assert!(audit.try_recv().is_none(), "nothing reached the ungranted mailbox");
}

#[tokio::test]
async fn topics_and_buses_need_their_own_grants_and_the_hop_guard_holds() {
    let backend = Arc::new(Local::default());
    let mut news = backend.pubsub.subscribe("news");
    let ctx = ctx(
        &backend,
        ChannelGrants { topics: only(&["news"]), buses: only(&["audit"]), mailboxes: Grant::Nothing },
    );
    ctx.publish("tenant", None, "news".into(), signal(), true).await.expect("published");
    assert!(news.try_recv().is_some(), "the subscriber got it");
    assert!(matches!(
        ctx.publish("tenant", None, "sports".into(), signal(), true).await,
        Err(Error::Denied(_))
    ));
    assert!(matches!(ctx.publish_bus("tenant", "other".into(), signal(), 0).await, Err(Error::Denied(_))));
    ctx.publish_bus("tenant", "audit".into(), signal(), 2).await.expect("published to the bus");
    let looped = ctx.publish_bus("tenant", "audit".into(), signal(), MAX_BUS_HOPS).await;
    assert!(matches!(looped, Err(Error::TooManyHops(hops)) if hops == MAX_BUS_HOPS), "{looped:?}");
    let buses = backend.buses.lock().unwrap_or_else(PoisonError::into_inner).clone();
    assert_eq!(buses, [("audit".to_owned(), 3)], "one publish got through, one hop further");
}

#[tokio::test]
async fn once_the_backend_is_gone_a_granted_call_is_unavailable() {
    let backend = Arc::new(Local::default());
    let ctx = ctx(&backend, ChannelGrants::everything());
    drop(backend);
    let answer = ctx.send("tenant", Address::Pid("pid-1".into()), signal(), false, 1000).await;
    assert!(matches!(answer, Err(Error::Unavailable(_))), "{answer:?}");
}
