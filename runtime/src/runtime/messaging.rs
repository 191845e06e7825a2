//! The runtime's messaging: mailboxes (`pid`, `named`), pubsub instances (`pubsub`) and,
//! once joined, the cluster that carries both to other nodes.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use crate::mailbox::{Address, ChannelError, Mailboxes, Scope};
use crate::pubsub::{PubSub, PubSubs};
use crate::signal::Signal;

/// Mailboxes, pubsub instances and the cluster.
pub(super) struct Messaging {
    /// Mailboxes for `pid` and `named` targets.
    pub mailboxes: Arc<Mailboxes>,
    /// Pubsub instances for `pubsub` targets.
    pub pubsubs: Arc<PubSubs>,
    /// The cluster, once joined.
    #[cfg(feature = "cluster")]
    pub cluster: std::sync::OnceLock<Arc<crate::cluster::Cluster>>,
}

impl Default for Messaging {
    fn default() -> Self {
        let default = (crate::pubsub::DEFAULT_PUBSUB.to_owned(), PubSub::default());
        Messaging {
            mailboxes: Arc::default(),
            pubsubs: Arc::new(RwLock::new(HashMap::from([default]))),
            #[cfg(feature = "cluster")]
            cluster: std::sync::OnceLock::new(),
        }
    }
}

impl Messaging {
    /// The pubsub instance called `name`, created on first use.
    pub fn pubsub(&self, name: &str) -> PubSub {
        if let Some(found) = self.pubsubs.read().unwrap_or_else(PoisonError::into_inner).get(name) {
            return found.clone();
        }
        let mut pubsubs = self.pubsubs.write().unwrap_or_else(PoisonError::into_inner);
        pubsubs.entry(name.to_owned()).or_default().clone()
    }

    /// Puts `signal` into the mailbox at `to`, as a `pid`/`named` target does.
    pub async fn send_to(
        &self,
        to: Address,
        signal: Signal,
        sync: bool,
        timeout: Duration,
    ) -> Result<(), ChannelError> {
        let boxes = &self.mailboxes;
        let id = match &to {
            Address::Pid(id) => boxes.parse_id(id)?,
            Address::Named(name) => boxes.lookup(Scope::Local, name)?,
            Address::Via(registry, key) => boxes.resolve_via(registry, key)?,
            Address::Global(name) if boxes.has_global(name) => boxes.lookup(Scope::Global, name)?,
            Address::Global(name) => {
                #[cfg(feature = "cluster")]
                if let Some(cluster) = self.cluster.get() {
                    return cluster.send_global(name, &signal, sync, timeout).await;
                }
                return Err(ChannelError::NotFound(format!(
                    "no process registered under the global name `{name}` (this node is in no cluster)"
                )));
            }
        };
        boxes.send(id, signal, sync, timeout).await
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
        #[cfg(feature = "cluster")]
        let remote = if local_only { None } else { self.cluster.get() };
        #[cfg(feature = "cluster")]
        if let Some(cluster) = remote {
            // Fail before anyone got it, so a retry does not repeat it locally.
            cluster.publish(pubsub, topic, &signal).await.map_err(ChannelError::Unavailable)?;
        }
        #[cfg(not(feature = "cluster"))]
        let remote: Option<()> = {
            let _ = local_only;
            None
        };
        let found = self.pubsubs.read().unwrap_or_else(PoisonError::into_inner).get(pubsub).cloned();
        match found {
            Some(instance) => {
                instance
                    .broadcast_local(topic, Arc::new(signal))
                    .map_err(|e| ChannelError::Full(e.to_string()))?;
                Ok(())
            }
            // Another node may hold the instance.
            None if remote.is_some() => Ok(()),
            None => Err(ChannelError::NotFound(format!(
                "no pubsub instance named `{pubsub}` on this node (an embedder creates it with \
                 Runtime::pubsub(\"{pubsub}\"); `{}` always exists)",
                crate::pubsub::DEFAULT_PUBSUB
            ))),
        }
    }
}
