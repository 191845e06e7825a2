//! The runtime's mailboxes, pubsub instances and cluster membership, and the
//! [`ChannelBackend`] through which components reach them.

use std::sync::Arc;
use std::time::Duration;

use super::{Inner, Runtime};
use crate::adapter::BoxFuture;
use crate::host::ChannelBackend;
use crate::mailbox::{self, Address, ChannelError, Mailbox, MailboxError, Registry, Scope};
use crate::pubsub::PubSub;
use crate::signal::Signal;

impl Runtime {
    /// Opens an anonymous mailbox; its [`Mailbox::id`] is what a `pid` target names.
    pub fn mailbox(&self) -> Mailbox {
        let opened = self.inner.messaging.mailboxes.open(None, mailbox::DEFAULT_CAPACITY);
        // Anonymous mailboxes cannot collide.
        opened.unwrap_or_else(|_| unreachable!("an anonymous mailbox has no name to collide"))
    }

    /// Opens a mailbox registered under the local `name` (`named` targets with `name = "…"`).
    pub fn register_mailbox(&self, name: &str) -> Result<Mailbox, MailboxError> {
        self.inner.messaging.mailboxes.open(Some((Scope::Local, name.to_owned())), mailbox::DEFAULT_CAPACITY)
    }

    /// Opens a mailbox registered under the global `name`: reachable from every node of the
    /// cluster (`named` targets with `name = { global = "…" }`), and locally without one.
    pub async fn register_global(&self, name: &str) -> Result<Mailbox, MailboxError> {
        let mailbox = self
            .inner
            .messaging
            .mailboxes
            .open(Some((Scope::Global, name.to_owned())), mailbox::DEFAULT_CAPACITY)?;
        #[cfg(feature = "cluster")]
        if let Some(cluster) = self.inner.messaging.cluster.get() {
            cluster.serve_global(name).await.map_err(MailboxError::Unavailable)?;
        }
        Ok(mailbox)
    }

    /// Registers an embedder's registry for `named` targets with `name = { via = [name, key] }`.
    pub fn register_registry(&self, name: &str, registry: impl Registry) {
        self.inner.messaging.mailboxes.register_registry(name, Arc::new(registry));
    }

    /// The pubsub instance called `name` (`pubsub` targets' `pubsub` option; default
    /// [`DEFAULT_PUBSUB`](crate::pubsub::DEFAULT_PUBSUB)), created on first use.
    pub fn pubsub(&self, name: &str) -> PubSub {
        self.inner.messaging.pubsub(name)
    }

    /// Puts `signal` into the mailbox at `to`, as a `pid`/`named` target does.
    pub async fn send(
        &self,
        to: Address,
        signal: Signal,
        sync: bool,
        timeout: Duration,
    ) -> Result<(), ChannelError> {
        self.inner.messaging.send_to(to, signal, sync, timeout).await
    }

    /// Broadcasts `signal` on `topic`, as a `pubsub` target does: to local subscribers and,
    /// unless `local_only`, to the other nodes of the cluster.
    pub async fn broadcast(
        &self,
        pubsub: &str,
        topic: &str,
        signal: Signal,
        local_only: bool,
    ) -> Result<(), ChannelError> {
        self.inner.messaging.broadcast(pubsub, topic, signal, local_only).await
    }
}

impl ChannelBackend for Inner {
    fn publish_bus<'a>(
        &'a self,
        bus: &'a str,
        signal: Signal,
        hops: u32,
    ) -> BoxFuture<'a, Result<(), ChannelError>> {
        Box::pin(async move {
            let bus =
                self.buses.get(bus).ok_or_else(|| ChannelError::NotFound(format!("no bus named `{bus}`")))?;
            match bus.publish_one(Arc::new(signal), hops, 0).await {
                Ok(_) => Ok(()),
                Err(error) => Err(ChannelError::Unavailable(error.to_string())),
            }
        })
    }

    fn send(
        &self,
        to: Address,
        signal: Signal,
        sync: bool,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<(), ChannelError>> {
        Box::pin(async move { self.messaging.send_to(to, signal, sync, timeout).await })
    }

    fn publish<'a>(
        &'a self,
        pubsub: &'a str,
        topic: &'a str,
        signal: Signal,
        local_only: bool,
    ) -> BoxFuture<'a, Result<(), ChannelError>> {
        Box::pin(async move { self.messaging.broadcast(pubsub, topic, signal, local_only).await })
    }
}
