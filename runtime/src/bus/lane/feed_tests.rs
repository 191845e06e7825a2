//! A spilled lane under a steady stream: it returns to memory although a signal arrives
//! during every store read, and delivers every signal once, in order; a lane waiting in the
//! store for a skipped offer still ends when its senders go.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::mpsc;

use super::feed::{self, Backlog, Durable, Mode, StoredSignal};
use super::{Item, Offered};
use crate::adapter::BoxFuture;
use crate::signal::Signal;

/// Signals stored past this many are refused by the stream (bounds the test if a lane
/// never returns to memory).
const CAP: u64 = 5_000;

/// A store kept in memory. While `stream` is set, every read stores and offers one more
/// signal after taking its snapshot: what a steady stream of publishes does while a read
/// is in flight.
#[derive(Default)]
struct MemoryStore {
    rows: Mutex<BTreeMap<u64, Arc<Signal>>>,
    reads: AtomicUsize,
    stream: Mutex<Option<(Weak<Durable>, mpsc::Sender<Item>)>>,
}

impl MemoryStore {
    /// Stores the next signal and offers it to the lane; its seq.
    fn publish(&self, durable: &Durable, sender: &mpsc::Sender<Item>) -> Option<u64> {
        let (seq, signal) = {
            let mut rows = self.rows.lock().expect("rows");
            let seq = rows.len() as u64;
            if seq >= CAP {
                return None;
            }
            let signal =
                Arc::new(Signal::builder("t.x", "/s").id(format!("s-{seq}")).build().expect("signal"));
            rows.insert(seq, signal.clone());
            (seq, signal)
        };
        // Offered after the store lock is let go, as the daemon offers after its commit.
        let offered = durable.offer(sender, seq, Item { seq: Some(seq), signal, hops: 0, earlier: 0 });
        assert_eq!(offered, Offered::Taken);
        Some(seq)
    }

    fn stored(&self) -> u64 {
        self.rows.lock().expect("rows").len() as u64
    }
}

impl Backlog for MemoryStore {
    fn read(
        &self,
        _lane: &Arc<str>,
        from: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<StoredSignal>, String>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let rows: Vec<StoredSignal> = self
            .rows
            .lock()
            .expect("rows")
            .range(from..)
            .take(limit)
            .map(|(&seq, signal)| StoredSignal { seq, signal: signal.clone(), earlier: 0 })
            .collect();
        let stream = self.stream.lock().expect("stream").clone();
        if let Some((durable, sender)) = stream
            && let Some(durable) = durable.upgrade()
        {
            self.publish(&durable, &sender);
        }
        Box::pin(async move { Ok(rows) })
    }

    fn done(&self, _lane: &Arc<str>, _seq: u64) {}
}

#[tokio::test]
async fn a_spilled_lane_returns_to_memory_while_signals_keep_arriving() {
    let store = Arc::new(MemoryStore::default());
    let durable = Arc::new(Durable::new("lane".into(), store.clone()));
    let (sender, receiver) = mpsc::channel(8);
    let mut feed = feed::start(receiver, Some(durable.clone()));
    // A backlog of 200 (the lane starts spilled: whatever the store holds comes first).
    for _ in 0..200 {
        store.publish(&durable, &sender);
    }
    *store.stream.lock().expect("stream") = Some((Arc::downgrade(&durable), sender.clone()));

    let mut next = 0;
    while next < store.stored() {
        let item = feed.recv().await.expect("the lane delivers");
        assert_eq!(item.seq, Some(next), "every signal once, in order");
        next += 1;
    }
    let (reads, stored) = (store.reads.load(Ordering::SeqCst), store.stored());
    assert!(
        stored < 220 && reads < 20,
        "caught up in a handful of reads ({reads} reads, {stored} signals), not one per signal"
    );
    assert_eq!(*durable.mode.lock().expect("mode"), Mode::Memory);

    // From memory now: each signal offered arrives without a store read.
    for _ in 0..50 {
        let seq = store.publish(&durable, &sender).expect("under the cap");
        let item = feed.recv().await.expect("the lane delivers");
        assert_eq!(item.seq, Some(seq));
    }
    assert_eq!(store.reads.load(Ordering::SeqCst), reads, "no read once in memory");
}

#[tokio::test(start_paused = true)]
async fn a_lane_closing_a_gap_that_cannot_close_still_ends_when_its_senders_go() {
    let store = Arc::new(MemoryStore::default());
    let durable = Arc::new(Durable::new("lane".into(), store.clone()));
    let (sender, receiver) = mpsc::channel(8);
    let mut feed = feed::start(receiver, Some(durable.clone()));
    store.publish(&durable, &sender);
    // An offer whose row the store never shows (say its lane item was removed with its
    // subscription): after the short read the lane waits for it in the store.
    let ghost = Arc::new(Signal::builder("t.x", "/s").id("ghost").build().expect("signal"));
    durable.offer(&sender, 999, Item { seq: Some(999), signal: ghost, hops: 0, earlier: 0 });
    assert_eq!(feed.recv().await.expect("the stored signal").seq, Some(0));
    drop(sender);
    // Paused clock: a reader that kept polling the store would run this timeout out.
    let end = tokio::time::timeout(std::time::Duration::from_secs(60), feed.recv()).await;
    assert!(matches!(end, Ok(None)), "the lane ends instead of reading the store for ever");
}
