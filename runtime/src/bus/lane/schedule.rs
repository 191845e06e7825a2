//! A lane's worker: takes signals from its feed and delivers up to `max_in_flight` at once,
//! keeping the order its `ordering` asks for.
//!
//! Under `{ key = … }` a signal whose key has a delivery in flight is *parked* behind it and
//! started when that delivery finishes (delivered or dead-lettered), so a failing signal
//! holds back only its own key. `strict` is one key for every signal with one delivery in
//! flight. Parked signals count toward the lane's read-ahead ([`PARK_LIMIT`]): beyond it the
//! worker stops taking signals until a key frees.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use tokio::task::JoinSet;

use super::feed::Feed;
use super::{Item, LaneCtx};
use crate::resilience::LaneOrdering;
use crate::signal::{ExtensionValue, Signal};

/// Signals parked behind busy keys before the worker stops taking more.
pub(crate) const PARK_LIMIT: usize = 1024;

/// The ordering key of `signal` under `ordering` (`None`: unordered).
pub(crate) fn key_of(ordering: &LaneOrdering, signal: &Signal) -> Option<String> {
    match ordering {
        LaneOrdering::None => None,
        LaneOrdering::Strict => Some(String::new()),
        LaneOrdering::Key(name) => Some(match name.as_str() {
            "source" => signal.source.clone(),
            "subject" => signal.subject.clone().unwrap_or_default(),
            other => match signal.extensions.get(other) {
                Some(ExtensionValue::Text(text)) => format!("t:{text}"),
                Some(ExtensionValue::Boolean(b)) => format!("b:{b}"),
                Some(ExtensionValue::Integer(i)) => format!("i:{i}"),
                None => String::new(),
            },
        }),
    }
}

/// Keys with a delivery in flight, and the signals waiting behind each.
#[derive(Default)]
struct Gate {
    busy: HashMap<String, VecDeque<Item>>,
    parked: usize,
}

impl Gate {
    /// Admits `item` now (returns it) or parks it behind its busy key.
    fn enter(&mut self, key: &Option<String>, item: Item) -> Option<Item> {
        let Some(key) = key else { return Some(item) };
        match self.busy.get_mut(key) {
            Some(waiting) => {
                waiting.push_back(item);
                self.parked += 1;
                None
            }
            None => {
                self.busy.insert(key.clone(), VecDeque::new());
                Some(item)
            }
        }
    }

    /// The delivery of `key` finished: the next signal of that key, if one is parked.
    fn leave(&mut self, key: &Option<String>) -> Option<Item> {
        let key = key.as_ref()?;
        let waiting = self.busy.get_mut(key)?;
        match waiting.pop_front() {
            Some(next) => {
                self.parked -= 1;
                Some(next)
            }
            None => {
                self.busy.remove(key);
                None
            }
        }
    }
}

/// Runs the lane until its feed closes and every delivery taken has finished.
pub(crate) async fn run(lane: Arc<LaneCtx>, mut feed: Feed) {
    if let Some((size, timeout)) = lane.target.batching() {
        return super::batch::run(lane, feed, size, timeout).await;
    }
    let settings = &lane.target.settings().lane;
    let max = settings.max_in_flight.max(1);
    if max == 1 {
        // One at a time (`strict`, or `max_in_flight = 1`): order holds by itself, and the
        // delivery runs in the worker, without a task of its own.
        while let Some(item) = lane.next(&mut feed).await {
            lane.took(&item);
            lane.deliver(item).await;
        }
        return;
    }
    let ordering = settings.ordering.clone();
    let mut gate = Gate::default();
    // Each delivery is its own task, so a lane's deliveries use every core (the Wasm calls
    // are CPU work); dropping the set (a lane aborted at shutdown) aborts them.
    let mut running = JoinSet::new();
    let start = |running: &mut JoinSet<Option<String>>, item: Item, key: Option<String>| {
        let lane = lane.clone();
        running.spawn(async move {
            lane.deliver(item).await;
            key
        });
    };
    let mut open = true;
    while open || !running.is_empty() {
        let room = open && running.len() < max && gate.parked < PARK_LIMIT;
        tokio::select! {
            biased;
            Some(done) = running.join_next(), if !running.is_empty() => {
                // A delivery task only ends early if it panicked: its key stays busy, so
                // nothing of that key is delivered out of order.
                let Ok(key) = done else { continue };
                if let Some(next) = gate.leave(&key) {
                    start(&mut running, next, key);
                }
            }
            item = lane.next(&mut feed), if room => match item {
                Some(item) => {
                    lane.took(&item);
                    let key = key_of(&ordering, &item.signal);
                    if let Some(item) = gate.enter(&key, item) {
                        start(&mut running, item, key);
                    }
                }
                None => open = false,
            },
            else => break,
        }
    }
}
