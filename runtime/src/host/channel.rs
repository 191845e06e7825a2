//! The [`channel`](../../../wit/channel.wit) import.
//!
//! `send` (mailboxes: `pid`, `named`, `global`, `via`), `publish` (pubsub topics) and
//! `publish-bus` (named buses) reach the runtime through a [`ChannelBackend`], after the
//! host has checked the call against the component's [`ChannelGrants`] (and, for buses,
//! the bus-hop loop guard).

use std::collections::BTreeSet;
use std::sync::Weak;
use std::time::Duration;

use super::bindings::channel::{Address, Error, Host};
use super::bindings::types::Signal as WitSignal;
use super::convert::signal_from_wit;
use super::state::HostState;
use crate::adapter::{BoxFuture, MAX_BUS_HOPS};
use crate::mailbox::ChannelError;
use crate::signal::Signal;

/// Longest wait a component may ask of `send` (its `timeout-ms`).
pub const MAX_SEND_TIMEOUT_MS: u32 = 60_000;

/// Which names of one kind (buses, topics, mailboxes) a component may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Grant {
    /// None (the default for custom components).
    #[default]
    Nothing,
    /// Every name (built-in adapters, whose targets the operator configured).
    Everything,
    /// Only these names.
    Only(BTreeSet<String>),
}

impl Grant {
    /// Whether `name` is granted.
    pub fn allows(&self, name: &str) -> bool {
        match self {
            Grant::Nothing => false,
            Grant::Everything => true,
            Grant::Only(names) => names.contains(name),
        }
    }
}

/// What a component may reach through the `channel` import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelGrants {
    /// Buses it may publish into.
    pub buses: Grant,
    /// Mailboxes it may `send` to: a `pid` id (`pid-7`), a local name (`billing`), a
    /// global name (`global:billing`) or a registry of `via` addresses (`via:handlers`).
    pub mailboxes: Grant,
    /// Pubsub topics it may `publish` on.
    pub topics: Grant,
}

impl ChannelGrants {
    /// Everything (the built-in adapters, whose targets the operator wrote).
    pub fn everything() -> Self {
        ChannelGrants { buses: Grant::Everything, mailboxes: Grant::Everything, topics: Grant::Everything }
    }
}

/// The runtime side of the `channel` import.
pub trait ChannelBackend: Send + Sync + 'static {
    /// Publishes `signal` into the bus `bus`; `hops` counts the buses crossed so far.
    fn publish_bus<'a>(
        &'a self,
        bus: &'a str,
        signal: Signal,
        hops: u32,
    ) -> BoxFuture<'a, Result<(), ChannelError>>;

    /// Puts `signal` into a mailbox; with `sync`, waits up to `timeout` for the ack.
    fn send(
        &self,
        to: crate::mailbox::Address,
        signal: Signal,
        sync: bool,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<(), ChannelError>>;

    /// Broadcasts `signal` on `topic` of the pubsub instance `pubsub` (and to the other
    /// nodes of the cluster unless `local_only`).
    fn publish<'a>(
        &'a self,
        pubsub: &'a str,
        topic: &'a str,
        signal: Signal,
        local_only: bool,
    ) -> BoxFuture<'a, Result<(), ChannelError>>;
}

fn to_wit(error: ChannelError) -> Error {
    match error {
        ChannelError::NotFound(m) => Error::NotFound(m),
        ChannelError::NotAlive(m) => Error::NotAlive(m),
        ChannelError::Timeout(_) => Error::Timeout,
        ChannelError::Full(m) => Error::Full(m),
        ChannelError::Unavailable(m) => Error::Unavailable(m),
    }
}

/// The name a mailbox grant is checked against: the id, the local name, `global:NAME`
/// or `via:REGISTRY`.
fn grant_key(to: &Address) -> std::borrow::Cow<'_, str> {
    match to {
        Address::Pid(id) => id.into(),
        Address::Named(name) => name.into(),
        Address::Global(name) => format!("global:{name}").into(),
        Address::Via((registry, _)) => format!("via:{registry}").into(),
    }
}

/// The backend and grants every instance of one adapter shares.
#[derive(Clone, Default)]
pub struct ChannelCtx {
    /// The runtime (weak: the runtime owns the host, not the other way round).
    pub backend: Option<Weak<dyn ChannelBackend>>,
    /// The adapter's grants.
    pub grants: ChannelGrants,
}

impl std::fmt::Debug for ChannelCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelCtx").field("grants", &self.grants).finish_non_exhaustive()
    }
}

impl ChannelCtx {
    fn backend(&self) -> Result<std::sync::Arc<dyn ChannelBackend>, Error> {
        let backend = self.backend.as_ref().and_then(Weak::upgrade);
        backend.ok_or_else(|| Error::Unavailable("the runtime is shutting down".to_owned()))
    }

    /// `send` for `adapter`: the mailbox grant, then the runtime.
    pub(crate) async fn send(
        &self,
        adapter: &str,
        to: Address,
        signal: WitSignal,
        sync: bool,
        timeout_ms: u32,
    ) -> Result<(), Error> {
        let key = grant_key(&to);
        if !self.grants.mailboxes.allows(&key) {
            return Err(denied(adapter, &format!("mailbox `{key}`")));
        }
        let signal = signal_from_wit(signal).map_err(|e| Error::Denied(format!("invalid signal: {e}")))?;
        let timeout = Duration::from_millis(u64::from(timeout_ms.clamp(1, MAX_SEND_TIMEOUT_MS)));
        let to = match to {
            Address::Pid(id) => crate::mailbox::Address::Pid(id),
            Address::Named(name) => crate::mailbox::Address::Named(name),
            Address::Global(name) => crate::mailbox::Address::Global(name),
            Address::Via((registry, key)) => crate::mailbox::Address::Via(registry, key),
        };
        self.backend()?.send(to, signal, sync, timeout).await.map_err(to_wit)
    }

    /// `publish` for `adapter`: the topic grant, then the runtime.
    pub(crate) async fn publish(
        &self,
        adapter: &str,
        pubsub: Option<String>,
        topic: String,
        signal: WitSignal,
        local_only: bool,
    ) -> Result<(), Error> {
        if !self.grants.topics.allows(&topic) {
            return Err(denied(adapter, &format!("topic `{topic}`")));
        }
        let signal = signal_from_wit(signal).map_err(|e| Error::Denied(format!("invalid signal: {e}")))?;
        let pubsub = pubsub.as_deref().unwrap_or(crate::pubsub::DEFAULT_PUBSUB);
        self.backend()?.publish(pubsub, &topic, signal, local_only).await.map_err(to_wit)
    }

    /// `publish-bus` for `adapter`, whose signal has crossed `hops` buses: the bus grant,
    /// the loop guard, then the runtime.
    pub(crate) async fn publish_bus(
        &self,
        adapter: &str,
        bus: String,
        signal: WitSignal,
        hops: u32,
    ) -> Result<(), Error> {
        if !self.grants.buses.allows(&bus) {
            return Err(denied(adapter, &format!("bus `{bus}`")));
        }
        if hops >= MAX_BUS_HOPS {
            return Err(Error::TooManyHops(hops));
        }
        let signal = signal_from_wit(signal).map_err(|e| Error::Denied(format!("invalid signal: {e}")))?;
        self.backend()?.publish_bus(&bus, signal, hops + 1).await.map_err(to_wit)
    }
}

fn denied(adapter: &str, what: &str) -> Error {
    Error::Denied(format!("adapter `{adapter}` holds no grant for {what}"))
}

impl Host for HostState {
    async fn send(
        &mut self,
        to: Address,
        signal: WitSignal,
        sync: bool,
        timeout_ms: u32,
    ) -> Result<(), Error> {
        self.channels.send(&self.adapter, to, signal, sync, timeout_ms).await
    }

    async fn publish(
        &mut self,
        pubsub: Option<String>,
        topic: String,
        signal: WitSignal,
        local_only: bool,
    ) -> Result<(), Error> {
        self.channels.publish(&self.adapter, pubsub, topic, signal, local_only).await
    }

    async fn publish_bus(&mut self, bus: String, signal: WitSignal) -> Result<(), Error> {
        self.channels.publish_bus(&self.adapter, bus, signal, self.call.hops).await
    }
}

#[cfg(test)]
#[path = "channel_tests.rs"]
mod tests;
