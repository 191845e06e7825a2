//! Joining a cluster (feature `cluster`): the runtime's mailboxes with global names and its
//! pubsub instances then reach the other nodes connected to the same NATS server.

use std::sync::Arc;

use tokio::sync::watch;

use super::Runtime;
use crate::cluster::{Cluster, ClusterConfig, ClusterError};

impl Runtime {
    /// Joins the cluster: pubsub broadcasts and global names then reach the other nodes
    /// connected to the same NATS server.
    pub async fn join_cluster(&self, config: &ClusterConfig) -> Result<(), ClusterError> {
        if self.inner.messaging.cluster.get().is_some() {
            return Err(ClusterError::AlreadyJoined);
        }
        let cluster = Cluster::join(
            config,
            self.inner.messaging.mailboxes.clone(),
            self.inner.messaging.pubsubs.clone(),
        )
        .await?;
        for name in self.inner.messaging.mailboxes.global_names() {
            cluster
                .serve_global(&name)
                .await
                .map_err(|reason| ClusterError::Connect { url: config.nats_url.clone(), reason })?;
        }
        let cluster = Arc::new(cluster);
        let weak = Arc::downgrade(&cluster);
        self.inner.messaging.mailboxes.on_global_closed(Box::new(move |name| {
            if let Some(cluster) = weak.upgrade() {
                cluster.stop_global(name);
            }
        }));
        self.inner.messaging.cluster.set(cluster).map_err(|_| ClusterError::AlreadyJoined)
    }

    /// This node's name in the cluster, if it joined one.
    pub fn cluster_node(&self) -> Option<String> {
        self.inner.messaging.cluster.get().map(|c| c.node().to_owned())
    }

    /// Whether the cluster connection is up (changes as NATS goes away and comes back).
    pub fn cluster_connection(&self) -> Option<watch::Receiver<bool>> {
        self.inner.messaging.cluster.get().map(|c| c.connection())
    }
}
