//! The `pubsub` adapter: broadcasts each signal on a topic of a pubsub instance, to every
//! local subscriber and, unless `local? = true`, to the other nodes of the cluster, through
//! the host's `channel.publish`.

use jido_dispatch_sdk::bindings::jido::dispatch::channel::{self, Error};
use jido_dispatch_sdk::{Adapter, DeliveryError, Signal, options, outcome};
use serde::{Deserialize, Serialize};

/// `pubsub` options.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// The topic (required).
    pub topic: String,
    /// The pubsub instance (the host's default instance when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pubsub: Option<String>,
    /// Only this node's subscribers.
    #[serde(default, rename = "local?", alias = "local")]
    pub local: bool,
}

/// The opened `pubsub` target.
#[derive(Debug)]
pub struct PubsubTarget {
    opts: Options,
}

impl Adapter for PubsubTarget {
    type Options = Options;

    fn check(opts: &Options) -> Result<(), String> {
        options::non_empty("topic", &opts.topic)?;
        match &opts.pubsub {
            Some(name) => options::non_empty("pubsub", name),
            None => Ok(()),
        }
    }

    fn open(opts: Options) -> Result<Self, String> {
        Ok(PubsubTarget { opts })
    }

    fn deliver(&self, signal: &Signal) -> Result<(), DeliveryError> {
        let opts = &self.opts;
        channel::publish(opts.pubsub.as_deref(), &opts.topic, signal, opts.local).map_err(|error| match error
        {
            // Some local subscribers missed it; a retry would repeat it to the others.
            Error::Full(m) => outcome::permanent("subscriber_full", m),
            Error::Unavailable(m) => outcome::retryable("unavailable", m),
            Error::Denied(m) => outcome::permanent("denied", m),
            Error::NotFound(m) => outcome::permanent("pubsub_not_found", m),
            Error::NotAlive(m) => outcome::permanent("pubsub_error", m),
            Error::Timeout => outcome::retryable("timeout", "broadcast timed out"),
            Error::TooManyHops(hops) => {
                outcome::permanent("bus_loop", format!("signal crossed {hops} buses"))
            }
        })
    }
}

jido_dispatch_sdk::export_adapter!(PubsubTarget);
