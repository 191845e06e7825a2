//! The daemon's side of durable lanes ([`Backlog`]): a spilled lane reads its backlog
//! through a reader thread with its own connection (WAL readers never wait for the
//! writer), and reports finished signals to the writer.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;

use rusqlite::{Connection, OpenFlags, params};
use tokio::sync::oneshot;

use super::log::SignalLog;
use super::subscriptions::SubscriptionStore;
use crate::adapter::BoxFuture;
use crate::bus::{Backlog, PauseReason, StoredSignal};
use crate::signal::Signal;

struct Read {
    lane: Arc<str>,
    from: u64,
    limit: usize,
    reply: oneshot::Sender<Result<Vec<StoredSignal>, String>>,
}

/// The durable lanes' store.
#[derive(Debug, Clone)]
pub struct StoreBacklog {
    reads: std_mpsc::Sender<Read>,
    log: SignalLog,
    /// Paused lanes and why, as stored at start-up.
    paused: Arc<HashMap<String, PauseReason>>,
    /// Where a lane that pauses itself is remembered.
    stored: Arc<SubscriptionStore>,
}

impl StoreBacklog {
    /// Opens a reader on `path` beside the writer `log`.
    pub fn open(path: &Path, log: SignalLog, stored: Arc<SubscriptionStore>) -> Result<Self, String> {
        let paused = stored.paused().map_err(|e| e.to_string())?;
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| format!("cannot open {} for reading: {e}", path.display()))?;
        connection.busy_timeout(std::time::Duration::from_secs(5)).map_err(|e| e.to_string())?;
        let (reads, receiver) = std_mpsc::channel::<Read>();
        std::thread::Builder::new()
            .name("jido-lane-reader".to_owned())
            .spawn(move || {
                while let Ok(read) = receiver.recv() {
                    let _ = read.reply.send(read_lane(&connection, &read.lane, read.from, read.limit));
                }
            })
            .map_err(|e| e.to_string())?;
        Ok(StoreBacklog { reads, log, paused: Arc::new(paused), stored })
    }
}

fn read_lane(
    connection: &Connection,
    lane: &str,
    from: u64,
    limit: usize,
) -> Result<Vec<StoredSignal>, String> {
    let mut statement = connection
        .prepare_cached(
            "SELECT i.seq, s.signal FROM lane_items i \
             JOIN lanes l ON l.id = i.lane JOIN signals s ON s.row = i.seq \
             WHERE l.key = ?1 AND i.seq >= ?2 ORDER BY i.seq LIMIT ?3",
        )
        .map_err(|e| e.to_string())?;
    let from = i64::try_from(from).unwrap_or(i64::MAX);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = statement
        .query_map(params![lane, from, limit], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)))
        .map_err(|e| e.to_string())?;
    let mut found = Vec::new();
    for row in rows {
        let (seq, text) = row.map_err(|e| e.to_string())?;
        let signal = Signal::from_json(&text).map_err(|e| format!("row {seq}: {e}"))?;
        found.push(StoredSignal {
            seq: u64::try_from(seq).unwrap_or(0),
            signal: Arc::new(signal),
            earlier: 0,
        });
    }
    Ok(found)
}

impl Backlog for StoreBacklog {
    fn read(
        &self,
        lane: &Arc<str>,
        from: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<StoredSignal>, String>> {
        let (reply, answer) = oneshot::channel();
        let sent = self.reads.send(Read { lane: lane.clone(), from, limit, reply });
        Box::pin(async move {
            sent.map_err(|_| "the store reader stopped".to_owned())?;
            answer.await.map_err(|_| "the store reader stopped".to_owned())?
        })
    }

    fn done(&self, lane: &Arc<str>, seq: u64) {
        self.log.done(lane.clone(), seq);
    }

    fn starts_paused(&self, lane: &Arc<str>) -> Option<PauseReason> {
        self.paused.get(&**lane).copied()
    }

    fn paused_itself(&self, lane: &Arc<str>) {
        if let Err(e) = self.stored.set_paused(lane, Some(PauseReason::NoSuccess)) {
            tracing::error!(lane = %lane, "cannot remember that the lane paused itself: {e}");
        }
    }
}
