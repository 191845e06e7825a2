//! Mailboxes: where `pid` and `named` targets deliver inside the embedding application.
//!
//! An embedder opens a [`Mailbox`] (anonymous, registered under a local name, or under a
//! global name that the cluster can reach) and reads [`Delivery`]s from it. A sync sender
//! waits until the receiver calls [`Delivery::ack`] (or its `timeout` passes); an async
//! sender returns as soon as the signal is in the mailbox. A closed mailbox answers
//! `process_not_alive`, an unknown name `process_not_found`, a full one `mailbox_full`.
//!
//! Mailbox ids look like `pid-7`. They are never reused, so an id that was handed out and
//! whose mailbox is gone is told apart from one that never existed.

mod delivery;
mod error;
mod registry;

pub use delivery::Delivery;
pub use error::ChannelError;
pub use registry::Registry;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::signal::Signal;

/// Signals a mailbox holds before async senders get `mailbox_full` (sync senders wait).
pub const DEFAULT_CAPACITY: usize = 1024;

/// Why a mailbox could not be registered (sends fail with a
/// [`ChannelError`], shared with pubsub and buses).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MailboxError {
    /// The name is already registered by a live mailbox.
    #[error("the name `{0}` is already registered")]
    NameTaken(String),
    /// The cluster that would serve a global name is unreachable.
    #[error("{0}")]
    Unavailable(String),
}

/// Where a `send` goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Address {
    /// A mailbox id, e.g. `pid-7` (the `pid` adapter's `target`).
    Pid(String),
    /// A name registered on this node (`named`, `name = "…"`).
    Named(String),
    /// A name registered on any node of the cluster (`name = { global = "…" }`).
    Global(String),
    /// A key resolved by an embedder's [`Registry`] (`name = { via = ["registry", "key"] }`).
    Via(String, String),
}

/// How a name is registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Scope {
    /// Reachable as `named` on this node.
    Local,
    /// Reachable as `{ global = … }` from every node of the cluster.
    Global,
}

struct Slot {
    tx: mpsc::Sender<Delivery>,
}

/// Every mailbox of a runtime, by id and by name, plus the embedder's registries.
#[derive(Default)]
pub(crate) struct Mailboxes {
    next: AtomicU64,
    slots: RwLock<HashMap<u64, Slot>>,
    names: RwLock<HashMap<(Scope, String), u64>>,
    registries: RwLock<HashMap<String, Arc<dyn Registry>>>,
    /// Told when a global name's mailbox closes (the cluster stops serving it).
    global_closed: RwLock<Option<GlobalClosed>>,
}

type GlobalClosed = Box<dyn Fn(&str) + Send + Sync>;

impl std::fmt::Debug for Mailboxes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailboxes").field("issued", &self.next.load(Ordering::Relaxed)).finish()
    }
}

/// The receiving end of a mailbox; closing it (dropping) makes senders see `process_not_alive`.
pub struct Mailbox {
    id: u64,
    name: Option<(Scope, String)>,
    rx: mpsc::Receiver<Delivery>,
    owner: Weak<Mailboxes>,
}

impl std::fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailbox").field("id", &self.id()).field("name", &self.name).finish()
    }
}

impl Mailbox {
    /// The id a `pid` target names, e.g. `pid-7`.
    pub fn id(&self) -> String {
        format_id(self.id)
    }

    /// The next delivery; `None` once the runtime is gone.
    pub async fn recv(&mut self) -> Option<Delivery> {
        self.rx.recv().await
    }

    /// Polls for the next delivery (for use as a stream).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Delivery>> {
        self.rx.poll_recv(cx)
    }

    /// A delivery if one is waiting, without waiting.
    pub fn try_recv(&mut self) -> Option<Delivery> {
        self.rx.try_recv().ok()
    }
}

impl futures::Stream for Mailbox {
    type Item = Delivery;

    fn poll_next(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Delivery>> {
        self.get_mut().rx.poll_recv(cx)
    }
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        if let Some(owner) = self.owner.upgrade() {
            owner.close(self.id, self.name.take());
        }
    }
}

fn format_id(id: u64) -> String {
    format!("pid-{id}")
}

impl Mailboxes {
    /// Opens a mailbox, registered under `name` when given.
    pub(crate) fn open(
        self: &Arc<Self>,
        name: Option<(Scope, String)>,
        capacity: usize,
    ) -> Result<Mailbox, MailboxError> {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let (tx, rx) = mpsc::channel(capacity.max(1));
        if let Some(key) = &name {
            let mut names = self.names.write().unwrap_or_else(PoisonError::into_inner);
            if names.contains_key(key) {
                return Err(MailboxError::NameTaken(key.1.clone()));
            }
            names.insert(key.clone(), id);
        }
        self.slots.write().unwrap_or_else(PoisonError::into_inner).insert(id, Slot { tx });
        Ok(Mailbox { id, name, rx, owner: Arc::downgrade(self) })
    }

    fn close(&self, id: u64, name: Option<(Scope, String)>) {
        self.slots.write().unwrap_or_else(PoisonError::into_inner).remove(&id);
        if let Some(key) = name {
            let mut names = self.names.write().unwrap_or_else(PoisonError::into_inner);
            if names.get(&key) == Some(&id) {
                names.remove(&key);
            }
            drop(names);
            if key.0 == Scope::Global
                && let Some(hook) = &*self.global_closed.read().unwrap_or_else(PoisonError::into_inner)
            {
                hook(&key.1);
            }
        }
    }

    /// Sets what happens when a global name's mailbox closes.
    #[cfg(feature = "cluster")]
    pub(crate) fn on_global_closed(&self, hook: GlobalClosed) {
        *self.global_closed.write().unwrap_or_else(PoisonError::into_inner) = Some(hook);
    }

    /// Every global name registered on this node.
    #[cfg(feature = "cluster")]
    pub(crate) fn global_names(&self) -> Vec<String> {
        let names = self.names.read().unwrap_or_else(PoisonError::into_inner);
        names.keys().filter(|(scope, _)| *scope == Scope::Global).map(|(_, name)| name.clone()).collect()
    }

    /// Registers an embedder's registry for `{ via = [name, key] }` addresses.
    pub(crate) fn register_registry(&self, name: &str, registry: Arc<dyn Registry>) {
        self.registries.write().unwrap_or_else(PoisonError::into_inner).insert(name.to_owned(), registry);
    }

    /// Whether a global name is registered on this node.
    pub(crate) fn has_global(&self, name: &str) -> bool {
        self.names
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(&(Scope::Global, name.to_owned()))
    }

    /// The mailbox id behind a name on this node.
    pub(crate) fn lookup(&self, scope: Scope, name: &str) -> Result<u64, ChannelError> {
        let names = self.names.read().unwrap_or_else(PoisonError::into_inner);
        names.get(&(scope, name.to_owned())).copied().ok_or_else(|| {
            let kind = if scope == Scope::Global { "global name" } else { "name" };
            ChannelError::NotFound(format!("no process registered under the {kind} `{name}`"))
        })
    }

    /// The mailbox id an embedder's registry gives for `key`.
    pub(crate) fn resolve_via(&self, registry: &str, key: &str) -> Result<u64, ChannelError> {
        let found = self.registries.read().unwrap_or_else(PoisonError::into_inner).get(registry).cloned();
        let registry_ref =
            found.ok_or_else(|| ChannelError::NotFound(format!("no registry named `{registry}`")))?;
        let id = registry_ref.whereis(key).ok_or_else(|| {
            ChannelError::NotFound(format!("registry `{registry}` has no process under `{key}`"))
        })?;
        self.parse_id(&id)
    }

    /// The numeric id of `pid-N`; ids never handed out are `process_not_found`.
    pub(crate) fn parse_id(&self, id: &str) -> Result<u64, ChannelError> {
        let n = id.strip_prefix("pid-").and_then(|n| n.parse::<u64>().ok());
        match n {
            Some(n) if n >= 1 && n <= self.next.load(Ordering::Relaxed) => Ok(n),
            _ => Err(ChannelError::NotFound(format!("no process with id `{id}` (ids look like `pid-7`)"))),
        }
    }

    /// Puts `signal` into mailbox `id`. With `sync`, waits (up to `timeout`) for room and
    /// for the receiver's ack; otherwise fails fast when the mailbox is full.
    pub(crate) async fn send(
        &self,
        id: u64,
        signal: Signal,
        sync: bool,
        timeout: Duration,
    ) -> Result<(), ChannelError> {
        let who = format_id(id);
        let tx = self.slots.read().unwrap_or_else(PoisonError::into_inner).get(&id).map(|s| s.tx.clone());
        let Some(tx) = tx else {
            return Err(ChannelError::NotAlive(format!(
                "process {who} is not alive (its mailbox was closed)"
            )));
        };
        let millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        if !sync {
            return tx.try_send(Delivery::unacked(signal)).map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => ChannelError::Full(format!(
                    "mailbox of process {who} is full ({} signals waiting)",
                    tx.max_capacity()
                )),
                mpsc::error::TrySendError::Closed(_) => {
                    ChannelError::NotAlive(format!("process {who} is not alive (its mailbox was closed)"))
                }
            });
        }
        let (ack_tx, ack_rx) = oneshot::channel();
        let signal_id = signal.id.clone();
        let wait = async {
            tx.send(Delivery::acked(signal, ack_tx)).await.map_err(|_| {
                ChannelError::NotAlive(format!("process {who} is not alive (its mailbox was closed)"))
            })?;
            ack_rx.await.map_err(|_| {
                ChannelError::NotAlive(format!(
                    "process {who} dropped signal {signal_id} without acknowledging it"
                ))
            })
        };
        match tokio::time::timeout(timeout, wait).await {
            Ok(result) => result,
            Err(_) => Err(ChannelError::Timeout(format!(
                "no acknowledgement from process {who} within {millis} ms"
            ))),
        }
    }
}
