//! [`Delivery`]: one signal taken from a mailbox, with the acknowledgement a sync sender
//! waits for.

use tokio::sync::oneshot;

use crate::signal::Signal;

/// A signal received from a [`Mailbox`](super::Mailbox).
///
/// A sync sender waits until [`ack`](Delivery::ack) is called. Dropping a delivery without
/// acknowledging it tells that sender the receiver dropped the signal (`process_not_alive`),
/// so it is retried or dead-lettered rather than counted as delivered.
#[derive(Debug)]
pub struct Delivery {
    signal: Signal,
    ack: Option<oneshot::Sender<()>>,
}

impl Delivery {
    pub(super) fn unacked(signal: Signal) -> Self {
        Delivery { signal, ack: None }
    }

    pub(super) fn acked(signal: Signal, ack: oneshot::Sender<()>) -> Self {
        Delivery { signal, ack: Some(ack) }
    }

    /// The signal.
    pub fn signal(&self) -> &Signal {
        &self.signal
    }

    /// Whether the sender waits for [`ack`](Delivery::ack) (a sync `pid`/`named` target).
    pub fn wants_ack(&self) -> bool {
        self.ack.is_some()
    }

    /// Acknowledges the signal and returns it: the sync sender's delivery succeeds.
    pub fn ack(mut self) -> Signal {
        if let Some(ack) = self.ack.take() {
            // The sender may have timed out already; its error stands.
            let _ = ack.send(());
        }
        self.signal
    }
}
