//! The task that answers requests for one global name served by this node, and how it
//! retires once the name closes.
//!
//! A NATS server routes a request to every subscriber it knows at that instant, so a
//! request may already be on its way when the name closes here. async-nats 0.51's
//! `Subscriber::drain` forgets the subscription on its next poll without waiting for the
//! server's PONG, and a message that arrives after that is dropped: its sender would wait
//! for its whole timeout. So a closed name's subscription *lingers*: it keeps answering
//! (`process_not_found`, as the local lookup says) until no request has come for
//! [`LINGER_QUIET`], at most [`LINGER_MAX`] after the close, and only then unsubscribes.
//! A name registered again on this node while its subscription lingers takes the same
//! subscription back, so there is never a moment with no subscriber.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::global::{answer, encode_reply};
use crate::mailbox::{ChannelError, Mailboxes, Scope};

/// How long a closed name's subscription stays after the last request it answered.
pub(super) const LINGER_QUIET: Duration = Duration::from_millis(500);
/// The longest a closed name's subscription stays after the close, however busy it is.
pub(super) const LINGER_MAX: Duration = Duration::from_secs(5);

/// The global names this node serves, by name.
pub(super) type Responders = Arc<Mutex<HashMap<String, Responder>>>;

/// The task answering requests for one global name, and whether the name is open here.
pub(super) struct Responder {
    pub(super) task: JoinHandle<()>,
    open: watch::Sender<bool>,
}

impl Responder {
    /// Marks the name open (registered here) or closed; a closed name's task retires by
    /// itself.
    pub(super) fn set_open(&self, open: bool) {
        self.open.send_replace(open);
    }

    /// Whether the task still runs (it ends when it retires or the connection closes).
    pub(super) fn is_serving(&self) -> bool {
        !self.task.is_finished()
    }
}

/// What the responder task needs besides its subscription.
pub(super) struct Serving {
    pub(super) client: async_nats::Client,
    pub(super) mailboxes: Arc<Mailboxes>,
    pub(super) responders: Responders,
    pub(super) name: String,
}

/// Starts answering on `sub` for an open name.
pub(super) fn spawn(serving: Serving, sub: async_nats::Subscriber) -> Responder {
    let (open, watching) = watch::channel(true);
    let task = tokio::spawn(run(serving, sub, watching));
    Responder { task, open }
}

async fn run(serving: Serving, mut sub: async_nats::Subscriber, mut open: watch::Receiver<bool>) {
    let mut closed_at: Option<Instant> = None;
    loop {
        let is_open = *open.borrow_and_update();
        closed_at = if is_open { None } else { closed_at.or_else(|| Some(Instant::now())) };
        let retire_at = closed_at.map(|at| (Instant::now() + LINGER_QUIET).min(at + LINGER_MAX));
        let message = tokio::select! {
            message = sub.next() => message,
            changed = open.changed() => {
                if changed.is_err() {
                    return;
                }
                continue;
            }
            () = sleep_until(retire_at) => {
                if retire(&serving, &open) {
                    break;
                }
                continue;
            }
        };
        let Some(message) = message else { return };
        reply(&serving, message, false);
    }
    // Retired: unsubscribe, and answer what the server had already sent — unless the name
    // was registered here again meanwhile, whose new subscription answers it too.
    if sub.drain().await.is_err() {
        return;
    }
    while let Some(message) = sub.next().await {
        if serving.mailboxes.lookup(Scope::Global, &serving.name).is_err() {
            reply(&serving, message, true);
        }
    }
}

/// Answers `message` in a task of its own: delivered to the name's mailbox, or, once
/// `retired`, `process_not_found` without looking (a later registration answers itself).
fn reply(serving: &Serving, message: async_nats::Message, retired: bool) {
    let Some(reply) = message.reply.clone() else { return };
    let (client, mailboxes, name) = (serving.client.clone(), serving.mailboxes.clone(), serving.name.clone());
    tokio::spawn(async move {
        let outcome = if retired {
            Err(ChannelError::NotFound(format!("no process registered under the global name `{name}`")))
        } else {
            answer(&mailboxes, &name, &message).await
        };
        let _ = client.publish(reply, encode_reply(&outcome).into()).await;
    });
}

/// Leaves the map if the name is still closed and this task still serves it; the caller
/// then unsubscribes. A name registered again in the meantime keeps its task.
fn retire(serving: &Serving, open: &watch::Receiver<bool>) -> bool {
    let mut responders = serving.responders.lock().unwrap_or_else(PoisonError::into_inner);
    let ours = responders.get(&serving.name).is_some_and(|r| r.open.subscribe().same_channel(open));
    if ours && !*open.borrow() {
        responders.remove(&serving.name);
        return true;
    }
    // Not in the map any more (replaced or the cluster is closing): stop lingering too.
    !ours
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
