//! Where a lane's worker takes its next signal from: a small in-memory read-ahead, and for
//! durable lanes the store behind it.
//!
//! A durable lane's signals are in the store before they are offered to the lane. While
//! the read-ahead has room, offers go to memory; once it is full the lane *spills*: offers
//! are skipped (the signal is already stored) and the worker reads its backlog from the
//! store page by page, from its cursor. When a read comes back short and no offer was
//! skipped past the cursor, the lane returns to memory. Memory never holds more than the
//! read-ahead, whatever the backlog.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;

use super::Item;
use super::shape::LaneShape;
use crate::adapter::BoxFuture;
use crate::signal::Signal;

/// Signals a durable lane reads from its store at once.
const PAGE: usize = 64;

/// A signal as stored for a lane.
#[derive(Debug, Clone)]
pub struct StoredSignal {
    /// Its position in the store (increasing in acceptance order).
    pub seq: u64,
    /// The signal.
    pub signal: Arc<Signal>,
    /// Deliveries of it to this lane that came before this one and failed (a shared
    /// queue's redeliveries); they count toward the target's retry policy.
    pub earlier: u32,
}

/// The store behind durable lanes (the daemon's SQLite log).
pub trait Backlog: Send + Sync + 'static {
    /// Up to `limit` signals of `lane` with `seq >= from`, in `seq` order.
    fn read(
        &self,
        lane: &Arc<str>,
        from: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<StoredSignal>, String>>;

    /// `lane` has finished `seq` (delivered, or finally failed and recorded).
    fn done(&self, lane: &Arc<str>, seq: u64);

    /// Whether `lane` starts paused, and why (an operator paused it, or it paused itself
    /// under `auto_pause_after`, before a restart).
    fn starts_paused(&self, _lane: &Arc<str>) -> Option<crate::bus::PauseReason> {
        None
    }

    /// `lane` paused itself (`auto_pause_after`): a store keeps it paused across restarts
    /// until an operator resumes it.
    fn paused_itself(&self, _lane: &Arc<str>) {}

    /// Whether the store is the lanes' only source: signals reach them through `read`
    /// alone, never through offers (a queue shared by several nodes). Such a lane never
    /// returns to memory, and its `read` waits for work itself, returning empty when none
    /// came within a moment.
    fn reads_only(&self) -> bool {
        false
    }

    /// `lane` started: how its signals may be out (read and not `done`) across every
    /// reader of the store, and how its work is partitioned.
    fn lane_started(&self, _lane: &Arc<str>, _shape: LaneShape) {}

    /// Whether the lane hands retries back to the store ([`Backlog::retry_later`]) instead
    /// of waiting for them itself.
    fn defers_retries(&self) -> bool {
        false
    }

    /// `lane` failed `seq` retryably: the store delivers it again after `wait`, to any
    /// reader (JetStream's nak with delay). Only called when [`Backlog::defers_retries`].
    fn retry_later(&self, _lane: &Arc<str>, _seq: u64, _wait: Duration) {}
}

/// Whether offers reach memory or are left in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Offers go to the read-ahead.
    Memory,
    /// Offers are skipped; `skipped` is the highest seq skipped so far.
    Spilled { skipped: Option<u64> },
}

/// The durable side of a lane, shared by the lane handle (offers) and its worker.
pub(crate) struct Durable {
    pub key: Arc<str>,
    pub backlog: Arc<dyn Backlog>,
    pub mode: Mutex<Mode>,
}

impl std::fmt::Debug for Durable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Durable").field("key", &self.key).finish_non_exhaustive()
    }
}

impl Durable {
    /// A durable lane starts spilled: whatever an earlier run left in the store comes first.
    pub fn new(key: Arc<str>, backlog: Arc<dyn Backlog>) -> Self {
        Durable { key, backlog, mode: Mutex::new(Mode::Spilled { skipped: None }) }
    }

    fn mode(&self) -> std::sync::MutexGuard<'_, Mode> {
        self.mode.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a lane's worker receives from. A memory lane's worker takes its read-ahead
/// directly; a durable lane's gets a reader task between the two (read-ahead and store),
/// so that the worker may drop a pending `recv` (it is cancel-safe) without losing a page
/// read half-way.
pub(crate) type Feed = mpsc::Receiver<Item>;

/// Starts the feed of a lane whose read-ahead is `receiver`.
pub(crate) fn start(receiver: mpsc::Receiver<Item>, durable: Option<Arc<Durable>>) -> Feed {
    let Some(durable) = durable else { return receiver };
    let (sender, feed) = mpsc::channel(1);
    let mut reader = Reader { receiver, durable, cursor: 0, page: Default::default() };
    tokio::spawn(async move {
        while let Some(item) = reader.next().await {
            if sender.send(item).await.is_err() {
                break;
            }
        }
    });
    feed
}

/// The reader of a durable lane: its read-ahead and its cursor in the store.
struct Reader {
    receiver: mpsc::Receiver<Item>,
    durable: Arc<Durable>,
    /// The next seq the lane has not taken yet.
    cursor: u64,
    page: std::collections::VecDeque<Item>,
}

impl Reader {
    /// The next signal, or `None` once the lane is closed (the rest of its backlog stays in
    /// the store).
    async fn next(&mut self) -> Option<Item> {
        let durable = self.durable.clone();
        loop {
            if let Some(item) = self.page.pop_front() {
                return Some(item);
            }
            let spilled = matches!(*durable.mode(), Mode::Spilled { .. });
            if !spilled {
                let item = self.receiver.recv().await?;
                match item.seq {
                    // Already read from the store while spilled.
                    Some(seq) if seq < self.cursor => continue,
                    Some(seq) => self.cursor = seq + 1,
                    None => {}
                }
                return Some(item);
            }
            // The read-ahead's stored signals will be read again from the store; signals
            // that were never stored (from another bus, or `on_failure` ones) go now.
            while let Ok(item) = self.receiver.try_recv() {
                if item.seq.is_none() {
                    return Some(item);
                }
            }
            if self.receiver.is_closed() {
                return None;
            }
            self.read_page(&durable).await;
        }
    }

    /// Reads the next page of a spilled lane; a short page with nothing skipped past it
    /// returns the lane to memory.
    async fn read_page(&mut self, durable: &Durable) {
        match durable.backlog.read(&durable.key, self.cursor, PAGE).await {
            Ok(rows) => {
                let (short, empty) = (rows.len() < PAGE, rows.is_empty());
                let reads_only = durable.backlog.reads_only();
                for row in rows {
                    self.cursor = self.cursor.max(row.seq + 1);
                    self.page.push_back(Item {
                        seq: Some(row.seq),
                        signal: row.signal,
                        hops: 0,
                        earlier: row.earlier,
                    });
                }
                if short && !reads_only && !self.back_to_memory(durable) && empty {
                    // Skipped past the cursor but not visible yet: never busy-wait.
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            Err(error) => {
                tracing::error!(lane = %durable.key, "cannot read the lane's backlog: {error}; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }

    /// After a short read: back to memory unless an offer was skipped past the cursor.
    fn back_to_memory(&self, durable: &Durable) -> bool {
        let mut mode = durable.mode();
        match *mode {
            Mode::Spilled { skipped } if skipped.is_some_and(|s| s >= self.cursor) => false,
            _ => {
                *mode = Mode::Memory;
                true
            }
        }
    }
}
