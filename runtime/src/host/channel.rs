//! The [`channel`](../../../wit/channel.wit) import.
//!
//! `publish-bus` publishes into a named bus of the runtime, through a [`ChannelBackend`]
//! the runtime provides, checked against the component's [`ChannelGrants`] and the bus-hop
//! loop guard. Mailboxes (`send`) and pubsub (`publish`) are not wired yet: they answer
//! `denied` with the reason.

use std::collections::BTreeSet;
use std::sync::Weak;

use super::bindings::channel::{Address, Error, Host};
use super::bindings::types::Signal as WitSignal;
use super::convert::signal_from_wit;
use super::state::HostState;
use crate::adapter::{BoxFuture, MAX_BUS_HOPS};
use crate::signal::Signal;

const NOT_YET: &str = "mailboxes and pubsub are not available to components in this version of the host";

/// Which names of one kind (buses, topics, mailboxes) a component may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
}

/// Why the runtime could not take a signal from the `channel` import.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    /// No such bus.
    #[error("no bus named `{0}`")]
    NotFound(String),
    /// A subscription queue of the bus is full.
    #[error("{0}")]
    Full(String),
    /// The runtime is shutting down.
    #[error("{0}")]
    Unavailable(String),
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

impl Host for HostState {
    async fn send(
        &mut self,
        _to: Address,
        _signal: WitSignal,
        _sync: bool,
        _timeout_ms: u32,
    ) -> Result<(), Error> {
        Err(Error::Denied(NOT_YET.to_owned()))
    }

    async fn publish(
        &mut self,
        _pubsub: Option<String>,
        _topic: String,
        _signal: WitSignal,
        _local_only: bool,
    ) -> Result<(), Error> {
        Err(Error::Denied(NOT_YET.to_owned()))
    }

    async fn publish_bus(&mut self, bus: String, signal: WitSignal) -> Result<(), Error> {
        if !self.channels.grants.buses.allows(&bus) {
            return Err(Error::Denied(format!("adapter `{}` holds no grant for bus `{bus}`", self.adapter)));
        }
        if self.call.hops >= MAX_BUS_HOPS {
            return Err(Error::TooManyHops(self.call.hops));
        }
        let signal = signal_from_wit(signal).map_err(|e| Error::Denied(format!("invalid signal: {e}")))?;
        let backend = self.channels.backend.as_ref().and_then(Weak::upgrade);
        let Some(backend) = backend else {
            return Err(Error::Unavailable("the runtime is shutting down".to_owned()));
        };
        backend.publish_bus(&bus, signal, self.call.hops + 1).await.map_err(|e| match e {
            ChannelError::NotFound(name) => Error::NotFound(format!("no bus named `{name}`")),
            ChannelError::Full(message) => Error::Full(message),
            ChannelError::Unavailable(message) => Error::Unavailable(message),
        })
    }
}
