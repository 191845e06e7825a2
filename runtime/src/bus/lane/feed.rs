//! Where a lane's worker takes its next signal from: a small in-memory read-ahead, and for
//! durable lanes the store behind it.
//!
//! A durable lane's signals are in the store before they are offered to the lane. While
//! the read-ahead has room, offers go to memory; once it is full the lane *spills*: offers
//! are skipped (the signal is already stored) and the worker reads its backlog from the
//! store page by page, from its cursor. After a full page the next one is read while this
//! one is delivered, so a spilled lane drains faster than signals arrive. When a read comes
//! back short the lane returns to memory at once: from then on offers go to the read-ahead,
//! and if an offer was skipped past the cursor, the lane first *closes* the gap, reading the
//! store until it has passed that offer (what it also receives in memory is dropped by
//! seq). Memory never holds more than the read-ahead and two pages, whatever the backlog.
//!
//! Before, a lane returned to memory only after a short read with no offer skipped past
//! it: under a steady stream an offer nearly always came in while the read was in flight,
//! so a lane that spilled once stayed spilled, and with one page read at a time it kept a
//! standing backlog (BENCHMARKS.md, "A lane that stayed spilled").

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

use super::shape::LaneShape;
use super::{Item, Offered};
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

    /// Offers stored signal `seq` to the read-ahead `sender`: taken into memory, or, when
    /// the lane is spilled or the read-ahead is full, left in the store (and noted as
    /// skipped).
    pub fn offer(&self, sender: &mpsc::Sender<Item>, seq: u64, item: Item) -> Offered {
        let mut mode = self.mode();
        if let Mode::Spilled { skipped } = &mut *mode {
            *skipped = Some(skipped.map_or(seq, |s| s.max(seq)));
            return Offered::Taken;
        }
        match sender.try_send(item) {
            Ok(()) => Offered::Taken,
            Err(TrySendError::Full(_)) => {
                *mode = Mode::Spilled { skipped: Some(seq) };
                Offered::Taken
            }
            Err(TrySendError::Closed(_)) => Offered::Closed,
        }
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
    let mut reader =
        Reader { receiver, durable, cursor: 0, page: Default::default(), ahead: None, closing: None };
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
    /// The next page, read while this one is delivered (after a full page).
    ahead: Option<tokio::task::JoinHandle<Result<Vec<StoredSignal>, String>>>,
    /// Back in memory with an offer skipped at `seq` not read yet: the store is read until
    /// the cursor passes it.
    closing: Option<u64>,
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
            if !spilled && self.closing.is_none() {
                let item = self.receiver.recv().await?;
                match item.seq {
                    // Already read from the store while spilled.
                    Some(seq) if seq < self.cursor => continue,
                    Some(seq) => self.cursor = seq + 1,
                    None => {}
                }
                return Some(item);
            }
            // A closing lane whose senders are gone stops too (what it has not read stays in
            // the store), so that a gap that can no longer close never keeps it reading.
            if spilled || self.receiver.is_closed() {
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
            }
            self.read_page(&durable).await;
        }
    }

    /// Reads the next page of a spilled (or closing) lane: the one read ahead if there is
    /// one. A full page starts the read of the next; a short one returns the lane to memory.
    async fn read_page(&mut self, durable: &Arc<Durable>) {
        let read = match self.ahead.take() {
            Some(ahead) => ahead.await.unwrap_or_else(|e| Err(format!("the read ahead failed: {e}"))),
            None => durable.backlog.read(&durable.key, self.cursor, PAGE).await,
        };
        match read {
            Ok(rows) => {
                let (short, empty) = (rows.len() < PAGE, rows.is_empty());
                for row in rows {
                    self.cursor = self.cursor.max(row.seq + 1);
                    self.page.push_back(Item {
                        seq: Some(row.seq),
                        signal: row.signal,
                        hops: 0,
                        earlier: row.earlier,
                    });
                }
                if durable.backlog.reads_only() {
                    return;
                }
                if !short {
                    let (durable, from) = (durable.clone(), self.cursor);
                    self.ahead =
                        Some(tokio::spawn(
                            async move { durable.backlog.read(&durable.key, from, PAGE).await },
                        ));
                    return;
                }
                let waiting = self.closing.is_some_and(|seq| seq >= self.cursor);
                if !waiting {
                    self.closing = None;
                    self.back_to_memory(durable);
                } else if empty {
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

    /// After a short read: offers go to memory from now on; one skipped past the cursor is
    /// still to be read from the store (`closing`).
    fn back_to_memory(&mut self, durable: &Durable) {
        let mut mode = durable.mode();
        if let Mode::Spilled { skipped } = *mode {
            self.closing = skipped.filter(|&seq| seq >= self.cursor);
            *mode = Mode::Memory;
        }
    }
}
