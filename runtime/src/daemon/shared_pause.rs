//! Paused lanes shared by every daemon of a JetStream store (`[store] kind = "jetstream"`):
//! the bucket `PREFIX_paused`, key = the lane's token, value = `{"lane": <lane key>,
//! "reason": "operator" | "no_success"}`; no entry = running. A pause or resume through
//! any daemon's admin API, and a lane that paused itself (`auto_pause_after`) on any
//! daemon, reaches every daemon's copy of the lane without a restart, and a daemon that
//! starts opens its lanes in the stored state.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use futures::StreamExt;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::State;
use super::subscriptions::{reason_name, reason_named};
use crate::bus::PauseReason;
use crate::jetstream::{Change, JetStreamError, SharedBucket, WorkQueue, lane_token};

/// Paused lanes by token: (lane key, why).
type Known = HashMap<String, (String, PauseReason)>;

/// The shared pause state, with what this daemon knows of it.
#[derive(Debug, Clone)]
pub struct SharedPauses {
    bucket: SharedBucket,
    known: Arc<Mutex<Known>>,
}

impl SharedPauses {
    /// Opens the bucket and reads what is paused now (before any lane starts).
    pub async fn open(work: &WorkQueue) -> Result<SharedPauses, JetStreamError> {
        let bucket = SharedBucket::open(work, "paused").await?;
        let pauses = SharedPauses { bucket, known: Arc::default() };
        for change in pauses.bucket.current().await? {
            pauses.learn(change);
        }
        Ok(pauses)
    }

    fn known(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Why lane `lane` is paused, if it is.
    pub fn reason(&self, lane: &str) -> Option<PauseReason> {
        self.known().get(&lane_token(lane)).map(|(_, reason)| *reason)
    }

    /// Pauses (`Some`) or resumes (`None`) lane `lane` on every daemon.
    pub async fn set(&self, lane: &str, reason: Option<PauseReason>) -> Result<(), JetStreamError> {
        let token = lane_token(lane);
        match reason {
            Some(reason) => {
                let value = json!({ "lane": lane, "reason": reason_name(reason) }).to_string();
                self.bucket.put(&token, &value).await?;
                self.known().insert(token, (lane.to_owned(), reason));
            }
            None => {
                self.bucket.delete(&token).await?;
                self.known().remove(&token);
            }
        }
        Ok(())
    }

    /// Records `change`; returns the lane it concerns and its state now.
    fn learn(&self, change: Change) -> Option<(String, Option<PauseReason>)> {
        match change {
            Change::Put { key, value } => {
                let value: Value = serde_json::from_str(&value).ok()?;
                let lane = value["lane"].as_str()?.to_owned();
                let reason = reason_named(value["reason"].as_str().unwrap_or_default());
                self.known().insert(key, (lane.clone(), reason));
                Some((lane, Some(reason)))
            }
            Change::Delete { key } => self.known().remove(&key).map(|(lane, _)| (lane, None)),
        }
    }

    /// Follows the bucket: every change is applied to this daemon's copy of the lane.
    pub async fn follow(&self, state: Weak<State>) -> Result<JoinHandle<()>, JetStreamError> {
        let mut changes = Box::pin(self.bucket.watch().await?);
        let pauses = self.clone();
        Ok(tokio::spawn(async move {
            while let Some(change) = changes.next().await {
                let Some((lane, reason)) = pauses.learn(change) else { continue };
                let Some(state) = state.upgrade() else { return };
                for name in state.runtime.bus_names() {
                    state.runtime.bus(&name).set_lane_paused(&lane, reason);
                }
            }
        }))
    }
}
